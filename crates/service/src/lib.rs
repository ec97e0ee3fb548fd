//! The CloudWatch Logs model over Loupe's store and engine, and Loupe's public library API.
//!
//! [`Loupe`] is what the CLI (and later the HTTP API) talks to: it ingests events, runs Logs
//! Insights queries and lists log groups, reporting failures as [`ServiceError`]s named after
//! the AWS exceptions. It owns the async runtime the engine runs on, so callers stay
//! synchronous. It does not print and does not parse command-line flags.
//!
//! ```no_run
//! use loupe_service::{Loupe, StartQuery};
//! let loupe = Loupe::open("/tmp/loupe-store".as_ref())?;
//! loupe.ingest_lines("app", "main", &b"2026-11-01T00:00:00Z ERROR boom\n"[..])?;
//! let results = loupe.query(&StartQuery {
//!     query_string: "filter @message like /ERROR/".into(),
//!     log_group_names: vec!["app".into()],
//!     ..Default::default()
//! })?;
//! assert_eq!(results.results.len(), 1);
//! # Ok::<(), loupe_service::ServiceError>(())
//! ```

mod clock;
mod error;
mod explore;
mod ingest;
pub mod lookups;
mod queries;
mod query;
mod record;

pub mod put_log_events;

use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;

pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{Result, ServiceError};
pub use ingest::{
    Format, GroupIngest, IngestOptions, IngestReport, TimestampRule, split_timestamp,
};
pub use loupe_store::{GroupInfo, SettleReport};
pub use queries::{QueryInfo, QueryLimits};
pub use query::{GetQueryResults, QueryStatistics, QueryStatus, ResultField, StartQuery};

use loupe_store::Store;

/// A Loupe instance over one store directory.
#[derive(Debug)]
pub struct Loupe {
    store: Store,
    clock: Arc<dyn Clock>,
    runtime: tokio::runtime::Runtime,
    queries: Arc<queries::Registry>,
    limits: QueryLimits,
}

impl Loupe {
    /// Opens (creating if needed) the store at `dir`, with the system clock.
    pub fn open(dir: &Path) -> Result<Loupe> {
        Self::with_clock(dir, Arc::new(SystemClock))
    }

    pub fn with_clock(dir: &Path, clock: Arc<dyn Clock>) -> Result<Loupe> {
        let store = Store::open(dir)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| ServiceError::Internal(format!("cannot start the query runtime: {e}")))?;
        Ok(Loupe {
            store,
            clock,
            runtime,
            queries: Arc::default(),
            limits: QueryLimits::default(),
        })
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Ingests one event per line of `input` into `group`, stream `stream` (see the `ingest` module docs).
    pub fn ingest_lines(
        &self,
        group: &str,
        stream: &str,
        input: impl BufRead,
    ) -> Result<IngestReport> {
        ingest::ingest_lines(&self.store, group, stream, input, self.clock.now_ms())
    }

    /// Ingests `input` in `format` into `group`, stream `stream` (see [`Format`]).
    pub fn ingest(
        &self,
        group: &str,
        stream: &str,
        input: impl BufRead,
        format: Format,
    ) -> Result<IngestReport> {
        ingest::ingest(
            &self.store,
            group,
            stream,
            input,
            format,
            self.clock.now_ms(),
        )
    }

    /// Seals every group's unsealed events into segments, so the store at rest holds no
    /// write-ahead log to replay (what a clean shutdown does).
    pub fn seal_all(&self) -> Result<()> {
        for group in self.store.groups()? {
            self.store.seal(&group.name)?;
        }
        Ok(())
    }

    /// Every log group with its event count and stored bytes.
    pub fn groups(&self) -> Result<Vec<GroupInfo>> {
        Ok(self.store.groups()?)
    }

    /// PutLogEvents (spec §G.2): validates the batch at the clock's time against the group's
    /// retention, stores the accepted events with that time as `@ingestionTime`, and reports
    /// the rejected ones.
    pub fn put_log_events(
        &self,
        group: &str,
        stream: &str,
        events: &[put_log_events::InputLogEvent],
    ) -> Result<put_log_events::PutLogEventsResponse> {
        if !self.store.group_exists(group)? {
            return Err(ServiceError::ResourceNotFound(
                "The specified log group does not exist.".into(),
            ));
        }
        if !self.store.stream_exists(group, stream)? {
            return Err(ServiceError::ResourceNotFound(
                "The specified log stream does not exist.".into(),
            ));
        }
        let now = self.clock.now_ms();
        let checked = put_log_events::validate(events, now, self.store.retention(group)?)?;
        let batch: Vec<loupe_store::Event> = events[checked.accepted.clone()]
            .iter()
            .map(|e| loupe_store::Event {
                timestamp: e.timestamp,
                ingestion_time: now,
                message: e.message.clone(),
            })
            .collect();
        if !batch.is_empty() {
            self.store.append(group, stream, &batch)?;
        }
        Ok(put_log_events::PutLogEventsResponse {
            next_sequence_token: format!("{:056}", now.max(0)),
            rejected_log_events_info: checked.rejected,
            accepted: batch.len(),
        })
    }
}
