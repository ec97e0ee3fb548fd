//! Running a query in the background through the service's query lifecycle: a spinner on a
//! terminal once it takes more than a moment, and Ctrl-C stopping the query (StopQuery).

use std::io::{IsTerminal, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use loupe_service::{GetQueryResults, Loupe, QueryStatus, ServiceError, StartQuery};

use crate::output::CliError;

/// How long a query runs before the spinner shows.
const SPINNER_AFTER: Duration = Duration::from_secs(1);

/// Set by the SIGINT handler while a query runs; see [`catch_interrupts`].
static INTERRUPTED: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// Routes Ctrl-C to a flag instead of ending the process (the REPL's behaviour). Idempotent.
pub fn catch_interrupts() {
    let flag = INTERRUPTED.get_or_init(|| Arc::new(AtomicBool::new(false)));
    let handler_flag = Arc::clone(flag);
    // A second installation fails harmlessly (the first handler stays).
    let _ = ctrlc::set_handler(move || handler_flag.store(true, Ordering::SeqCst));
}

fn take_interrupt() -> bool {
    INTERRUPTED
        .get()
        .is_some_and(|f| f.swap(false, Ordering::SeqCst))
}

/// Whether progress should be drawn: stderr is a terminal.
pub fn progress_wanted() -> bool {
    std::io::stderr().is_terminal()
}

/// Runs `request`, with a spinner after a moment when `progress`; Ctrl-C (once
/// [`catch_interrupts`] ran) stops the query and returns [`CliError::Interrupted`].
pub fn query(
    loupe: &Arc<Loupe>,
    request: StartQuery,
    progress: bool,
) -> Result<(GetQueryResults, Duration), CliError> {
    let started = Instant::now();
    take_interrupt();
    let id = loupe.start_query(&request)?;
    let mut spinner: Option<ProgressBar> = None;
    let outcome = loop {
        let status = loupe.wait_query(&id, Duration::from_millis(50))?;
        match status {
            QueryStatus::Complete => break Ok(loupe.get_query_results(&id)?),
            QueryStatus::Failed => {
                let why = loupe.query_error(&id)?;
                let why = why.unwrap_or_else(|| ServiceError::Internal("the query failed".into()));
                break Err(CliError::Service(why));
            }
            QueryStatus::Timeout => {
                break Err(CliError::Service(ServiceError::LimitExceeded(
                    "the query timed out".into(),
                )));
            }
            QueryStatus::Cancelled => break Err(CliError::Interrupted),
            QueryStatus::Scheduled | QueryStatus::Running => {}
        }
        if take_interrupt() {
            loupe.stop_query(&id)?;
            break Err(CliError::Interrupted);
        }
        if progress && spinner.is_none() && started.elapsed() >= SPINNER_AFTER {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} running query… {elapsed} · {msg} (Ctrl-C to stop)",
                )
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(100));
            spinner = Some(bar);
        }
        if let Some(bar) = &spinner {
            let s = loupe.get_query_results(&id)?.statistics;
            bar.set_message(format!(
                "{} records, {} scanned",
                s.records_scanned as u64,
                crate::output::human_bytes(s.bytes_scanned as u64)
            ));
        }
    };
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    outcome.map(|r| (r, started.elapsed()))
}

/// A progress bar over bytes read, on a terminal stderr only.
pub fn ingest_bar(label: &str, total: Option<u64>) -> ProgressBar {
    if !progress_wanted() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    let template = if total.is_some() {
        "{prefix} {wide_bar} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}"
    } else {
        "{spinner} {prefix} {binary_bytes} {binary_bytes_per_sec}"
    };
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix(label.to_owned());
    bar
}

/// A reader that advances a progress bar by what it reads.
#[derive(Debug)]
pub struct Counting<R> {
    pub inner: R,
    pub bar: ProgressBar,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}
