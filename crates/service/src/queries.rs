//! The Insights query lifecycle: StartQuery, GetQueryResults, StopQuery, DescribeQueries, and
//! the synchronous [`Loupe::query`] built on the same path.
//!
//! A started query is validated at once (a malformed query or an unknown log group fails
//! StartQuery, as in AWS), then runs on the service's runtime: `Scheduled` → `Running` →
//! `Complete` | `Failed` | `Timeout`, or `Cancelled` by StopQuery. Each query runs under the
//! configured [`QueryLimits`]: a timeout (AWS: 60 minutes) and a memory limit past which sorts
//! and aggregations spill to disk.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use loupe_engine::scan::ScanCounters;
use loupe_engine::{EngineError, QueryRequest};
use loupe_lang::ast::Query;
use serde::Serialize;
use tokio::sync::watch;

use crate::query::{GetQueryResults, QueryStatistics, QueryStatus, StartQuery};
use crate::{Loupe, Result, ServiceError};

/// The most rows one GetQueryResults page holds.
pub const MAX_PAGE_ITEMS: usize = 10_000;

/// Limits every query runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryLimits {
    pub timeout: Duration,
    /// `None`: no memory limit.
    pub memory_bytes: Option<usize>,
}

impl Default for QueryLimits {
    /// AWS's 60-minute timeout, and no memory limit.
    fn default() -> Self {
        QueryLimits {
            timeout: Duration::from_secs(60 * 60),
            memory_bytes: None,
        }
    }
}

/// A query as DescribeQueries lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryInfo {
    pub query_id: String,
    pub query_string: String,
    pub status: QueryStatus,
    pub create_time: i64,
    pub log_group_names: Vec<String>,
}

#[derive(Debug)]
struct Entry {
    info: QueryInfo,
    /// Set once the query has ended.
    outcome: Option<GetQueryResults>,
    /// Why a failed query failed.
    error: Option<ServiceError>,
    abort: Option<tokio::task::AbortHandle>,
    status: watch::Sender<QueryStatus>,
    /// What the scan has read so far (the statistics of a running query).
    progress: Arc<ScanCounters>,
}

/// The queries this service has started.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    entries: Mutex<HashMap<String, Entry>>,
    next: AtomicU64,
}

fn is_terminal(s: QueryStatus) -> bool {
    !matches!(s, QueryStatus::Scheduled | QueryStatus::Running)
}

fn empty_results(status: QueryStatus) -> GetQueryResults {
    GetQueryResults {
        fields: Vec::new(),
        status,
        results: Vec::new(),
        next_token: None,
        statistics: QueryStatistics {
            records_matched: 0.0,
            records_scanned: 0.0,
            bytes_scanned: 0.0,
        },
    }
}

impl Registry {
    fn with<T>(&self, id: &str, f: impl FnOnce(&mut Entry) -> T) -> Result<T> {
        let mut entries = self.entries.lock().map_err(|_| poisoned())?;
        let entry = entries
            .get_mut(id)
            .ok_or_else(|| ServiceError::ResourceNotFound(format!("Query does not exist: {id}")))?;
        Ok(f(entry))
    }

    /// Records how a query ended, unless it already has (a stop beats a late finish).
    fn finish(
        &self,
        id: &str,
        status: QueryStatus,
        outcome: GetQueryResults,
        error: Option<ServiceError>,
    ) {
        let _ = self.with(id, |e| {
            if is_terminal(e.info.status) {
                return;
            }
            e.info.status = status;
            e.outcome = Some(outcome);
            e.error = error;
            e.abort = None;
            e.status.send_replace(status);
        });
    }
}

fn poisoned() -> ServiceError {
    ServiceError::Internal("the query registry lock is poisoned".into())
}

fn engine_error(e: EngineError, query: &str) -> ServiceError {
    if e.is_out_of_memory() {
        return ServiceError::LimitExceeded(format!(
            "the query needs more memory than its limit allows: {e}"
        ));
    }
    match e {
        EngineError::Query(diagnostic) => ServiceError::MalformedQuery {
            diagnostic,
            query: query.to_owned(),
        },
        EngineError::Store(s) => s.into(),
        EngineError::Sql(x) => ServiceError::InvalidParameter(format!("SQL: {x}")),
        EngineError::LimitExceeded(message) => ServiceError::LimitExceeded(message),
        EngineError::Execution(x) => ServiceError::Internal(x.to_string()),
    }
}

impl Loupe {
    /// Sets the limits queries run under from now on.
    pub fn set_query_limits(&mut self, limits: QueryLimits) {
        self.limits = limits;
    }

    /// Every named log group must exist (ResourceNotFoundException otherwise).
    fn check_groups(&self, groups: &[String]) -> Result<()> {
        for group in groups {
            if !self.store.group_exists(group)? {
                return Err(ServiceError::ResourceNotFound(format!(
                    "The specified log group does not exist: {group}"
                )));
            }
        }
        Ok(())
    }

    /// Parses and checks a StartQuery request: what AWS rejects at StartQuery.
    fn prepare(&self, start: &StartQuery) -> Result<(Query, QueryRequest)> {
        let query = loupe_lang::parse(&start.query_string).map_err(|diagnostic| {
            ServiceError::MalformedQuery {
                diagnostic,
                query: start.query_string.clone(),
            }
        })?;
        let has_source = loupe_engine::plan::source::source_of(&query).is_some();
        if has_source && !start.log_group_names.is_empty() {
            return Err(ServiceError::InvalidParameter(
                "the query selects its log groups with SOURCE; do not also name log groups".into(),
            ));
        }
        if !has_source && start.log_group_names.is_empty() {
            return Err(ServiceError::InvalidParameter(
                "at least one log group is required (or start the query with SOURCE)".into(),
            ));
        }
        self.check_groups(&start.log_group_names)?;
        if let (Some(s), Some(e)) = (start.start_ms, start.end_ms)
            && s > e
        {
            return Err(ServiceError::InvalidParameter(
                "the start of the time range is after its end".into(),
            ));
        }
        let mut request = start.request(self.clock.now_ms());
        request.memory_limit = self.limits.memory_bytes;
        request.lookups = Arc::new(self.lookups_for(&query)?);
        Ok((query, request))
    }

    /// Runs a Logs Insights query to completion (StartQuery, then GetQueryResults once done).
    /// A query past the timeout is an error naming the limit.
    pub fn query(&self, start: &StartQuery) -> Result<GetQueryResults> {
        let (query, request) = self.prepare(start)?;
        let run = loupe_engine::run_query(&self.store, &query, &request);
        self.run_to_end(run, &start.query_string)
    }

    /// How a Logs Insights query would run, without running it: what the store prunes before
    /// reading (segments and blocks, and why), then the physical plan with the columns and the
    /// filter pushed into the scan (the REPL's `\\explain`).
    pub fn explain(&self, start: &StartQuery) -> Result<String> {
        let (query, request) = self.prepare(start)?;
        self.runtime
            .block_on(loupe_engine::explain_query(&self.store, &query, &request))
            .map_err(|e| engine_error(e, &start.query_string))
    }

    /// Runs one read-only SQL statement over table `logs`: the events of `start`'s log groups in
    /// its time range (`start.query_string` holds the statement).
    pub fn sql(&self, start: &StartQuery) -> Result<GetQueryResults> {
        if start.log_group_names.is_empty() {
            return Err(ServiceError::InvalidParameter(
                "at least one log group is required for SQL".into(),
            ));
        }
        self.check_groups(&start.log_group_names)?;
        let mut request = start.request(self.clock.now_ms());
        request.memory_limit = self.limits.memory_bytes;
        let run = loupe_engine::run_sql(&self.store, &start.query_string, &request);
        self.run_to_end(run, &start.query_string)
    }

    /// Runs an engine future to completion under the query timeout, on the service's runtime.
    fn run_to_end(
        &self,
        run: impl std::future::Future<Output = loupe_engine::Result<loupe_engine::QueryOutput>>,
        text: &str,
    ) -> Result<GetQueryResults> {
        let timeout = self.limits.timeout;
        let output = self
            .runtime
            .block_on(async { tokio::time::timeout(timeout, run).await })
            .map_err(|_| {
                ServiceError::LimitExceeded(format!(
                    "the query timed out after {} s",
                    timeout.as_secs_f64()
                ))
            })?
            .map_err(|e| engine_error(e, text))?;
        Ok(GetQueryResults::complete(output))
    }

    /// StartQuery: validates the request and starts the query in the background; returns its id.
    pub fn start_query(&self, start: &StartQuery) -> Result<String> {
        let (query, mut request) = self.prepare(start)?;
        let progress = Arc::new(ScanCounters::default());
        request.progress = Some(Arc::clone(&progress));
        let n = self.queries.next.fetch_add(1, Ordering::Relaxed);
        let id = format!("{:016x}-{n:08x}", self.clock.now_ms());
        let (status_tx, _) = watch::channel(QueryStatus::Scheduled);
        let entry = Entry {
            info: QueryInfo {
                query_id: id.clone(),
                query_string: start.query_string.clone(),
                status: QueryStatus::Scheduled,
                create_time: self.clock.now_ms(),
                log_group_names: start.log_group_names.clone(),
            },
            outcome: None,
            error: None,
            abort: None,
            status: status_tx,
            progress,
        };
        self.queries
            .entries
            .lock()
            .map_err(|_| poisoned())?
            .insert(id.clone(), entry);

        let registry = Arc::clone(&self.queries);
        let store = self.store.clone();
        let timeout = self.limits.timeout;
        let task_id = id.clone();
        let text = start.query_string.clone();
        let handle = self.runtime.spawn(async move {
            let _ = registry.with(&task_id, |e| {
                if e.info.status == QueryStatus::Scheduled {
                    e.info.status = QueryStatus::Running;
                    e.status.send_replace(QueryStatus::Running);
                }
            });
            let run = loupe_engine::run_query(&store, &query, &request);
            match tokio::time::timeout(timeout, run).await {
                Ok(Ok(output)) => {
                    let results = GetQueryResults::complete(output);
                    registry.finish(&task_id, QueryStatus::Complete, results, None);
                }
                Ok(Err(e)) => {
                    let message = engine_error(e, &text);
                    let failed = empty_results(QueryStatus::Failed);
                    registry.finish(&task_id, QueryStatus::Failed, failed, Some(message));
                }
                Err(_) => {
                    let timed_out = empty_results(QueryStatus::Timeout);
                    registry.finish(&task_id, QueryStatus::Timeout, timed_out, None);
                }
            }
        });
        self.queries.with(&id, |e| {
            if !is_terminal(e.info.status) {
                e.abort = Some(handle.abort_handle());
            }
        })?;
        Ok(id)
    }

    /// GetQueryResults: the results (none until the query completes), its status, and its
    /// statistics (while it runs: what the scan has read so far).
    pub fn get_query_results(&self, id: &str) -> Result<GetQueryResults> {
        self.queries.with(id, |e| match &e.outcome {
            Some(outcome) => outcome.clone(),
            None => {
                let mut running = empty_results(e.info.status);
                running.statistics.records_scanned = e.progress.records_scanned() as f64;
                running.statistics.bytes_scanned = e.progress.bytes_scanned() as f64;
                running
            }
        })
    }

    /// GetQueryResults a page at a time (`maxItems`, `nextToken`): at most `max_items` rows
    /// (1 to 10,000) from where `next_token` (from the previous page of this query) points, and
    /// a token for the next page while rows remain. Statistics are the whole query's.
    pub fn get_query_results_page(
        &self,
        id: &str,
        max_items: usize,
        next_token: Option<&str>,
    ) -> Result<GetQueryResults> {
        if !(1..=MAX_PAGE_ITEMS).contains(&max_items) {
            return Err(ServiceError::InvalidParameter(format!(
                "maxItems must be between 1 and {MAX_PAGE_ITEMS}, not {max_items}"
            )));
        }
        let start = match next_token {
            None => 0,
            Some(token) => token
                .strip_prefix(id)
                .and_then(|rest| rest.strip_prefix('/'))
                .and_then(|offset| offset.parse::<usize>().ok())
                .ok_or_else(|| {
                    ServiceError::InvalidParameter(format!(
                        "the next token {token:?} does not belong to query {id}"
                    ))
                })?,
        };
        let mut page = self.get_query_results(id)?;
        let total = page.results.len();
        if start > total {
            return Err(ServiceError::InvalidParameter(format!(
                "the next token points past the end of query {id}'s results"
            )));
        }
        let end = start.saturating_add(max_items).min(total);
        page.results = page.results.drain(start..end).collect();
        page.next_token = (end < total).then(|| format!("{id}/{end}"));
        Ok(page)
    }

    /// Why a `Failed` query failed, if it did.
    pub fn query_error(&self, id: &str) -> Result<Option<ServiceError>> {
        self.queries.with(id, |e| e.error.clone())
    }

    /// StopQuery: cancels a running query. Returns `false` when it had already ended.
    pub fn stop_query(&self, id: &str) -> Result<bool> {
        self.queries.with(id, |e| {
            if is_terminal(e.info.status) {
                return false;
            }
            if let Some(abort) = e.abort.take() {
                abort.abort();
            }
            e.info.status = QueryStatus::Cancelled;
            e.outcome = Some(empty_results(QueryStatus::Cancelled));
            e.status.send_replace(QueryStatus::Cancelled);
            true
        })
    }

    /// DescribeQueries: every query started here, oldest first, optionally of one status.
    pub fn describe_queries(&self, status: Option<QueryStatus>) -> Result<Vec<QueryInfo>> {
        let entries = self.queries.entries.lock().map_err(|_| poisoned())?;
        let mut infos: Vec<QueryInfo> = entries
            .values()
            .map(|e| e.info.clone())
            .filter(|i| status.is_none_or(|s| i.status == s))
            .collect();
        infos.sort_by(|a, b| (a.create_time, &a.query_id).cmp(&(b.create_time, &b.query_id)));
        Ok(infos)
    }

    /// Blocks until query `id` has ended (or `wait` has passed) and returns its status.
    pub fn wait_query(&self, id: &str, wait: Duration) -> Result<QueryStatus> {
        let mut rx = self.queries.with(id, |e| e.status.subscribe())?;
        let ended = self.runtime.block_on(async {
            tokio::time::timeout(wait, rx.wait_for(|s| is_terminal(*s)))
                .await
                .map(|r| r.map(|s| *s))
        });
        match ended {
            Ok(Ok(status)) => Ok(status),
            _ => self.queries.with(id, |e| e.info.status),
        }
    }
}
