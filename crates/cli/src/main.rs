//! `loupe`: the command-line interface to Loupe.
//!
//! Each subcommand is a thin shell over `loupe-service`: it turns flags into a service call and
//! the answer into a table, CSV, JSON, a chart or a rendered diagnostic. No engine logic lives
//! here. `loupe repl` is the interactive prompt; its line handling is `repl::eval`, which the
//! golden transcripts in `testdata/slt/cli/` also run through.

mod chart;
mod commands;
mod demo;
mod groups;
mod output;
mod repl;
mod run;
mod time;

#[cfg(test)]
mod slt;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Loupe: ask questions of CloudWatch-style logs locally, with the Logs Insights language.
#[derive(Debug, Parser)]
#[command(name = "loupe", version, about, long_about = None)]
#[command(
    after_help = "Start with `loupe demo`, then `loupe ingest --group app app.log` and \
`loupe repl --group app`.\n\n\
Exit codes: 0 success, 1 the request failed, 2 bad usage, 3 ingest rejected some lines, \
4 not supported yet, 130 interrupted."
)]
pub struct Cli {
    /// The store directory [default: $XDG_DATA_HOME/loupe, i.e. ~/.local/share/loupe].
    #[arg(long, global = true, env = "LOUPE_STORE", value_name = "DIR")]
    store: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ingest log files (lines, JSON, CloudTrail, CSV downloads; gzip or not) into a log group.
    #[command(after_help = "Examples:\n  loupe ingest --group app app.log\n  \
        loupe ingest --group app logs/*.log\n  \
        loupe ingest AWSLogs/          (CloudTrail: group \"cloudtrail\", a stream per account and region)\n  \
        loupe ingest --group app --format csv logs-insights-results.csv\n  \
        loupe ingest --group auth --year 2025 /var/log/auth.log\n  \
        loupe ingest --group app --timestamp eventTime events.jsonl\n  \
        loupe ingest --group app --timestamp '%d/%m/%Y %H:%M:%S' legacy.log\n  \
        journalctl -o cat | loupe ingest --group system --timestamp now\n\n\
        Each line is one event, kept byte for byte (a CRLF's CR dropped; empty lines skipped; \
        bytes that are not UTF-8 replaced by U+FFFD and counted). Its @timestamp is detected: \
        ISO 8601 (2016-12-19 16:11:03,155, 2026-11-01T00:00:00Z), [bracketed] as Kafka writes \
        it, syslog's Nov 27 09:12:01 (see --year), epoch seconds or milliseconds first, Apache's \
        [10/Oct/2000:13:55:36 -0700], or a JSON line's @timestamp, timestamp, time, eventTime or \
        ts field; else the ingestion time. A CloudWatch export prefix \
        (2026-11-01T00:00:00.000Z message) gives the time and is removed. \
        All inputs go straight into the columnar store and become visible, durably, at once \
        when the ingest ends.")]
    Ingest(commands::IngestArgs),
    /// Run a Logs Insights query.
    #[command(
        after_help = "Examples:\n  loupe query --group app 'filter @message like /ERROR/ | limit 5'\n  \
        loupe query --group 'app/*' --since 1h --output csv 'fields @timestamp, @message' > out.csv\n  \
        loupe query --group app --chart 'stats count(*) by bin(5m)'\n  \
        loupe query --group app --histogram 'filter level = \"ERROR\"'\n  \
        echo 'stats count(*) by service' | loupe query --group app"
    )]
    Query(commands::QueryArgs),
    /// The interactive prompt: queries with history, completion, multi-line input and charts.
    #[command(
        after_help = "Examples:\n  loupe repl --group app\n  loupe repl --group 'demo/*'\n\n\
        Inside, \\help lists the meta commands (\\group, \\since, \\output, \\fields, \\chart, ...)."
    )]
    Repl(ReplArgs),
    /// List, create or delete log groups (`loupe groups` lists them).
    #[command(
        after_help = "Examples:\n  loupe groups\n  loupe groups create /aws/lambda/orders\n  \
        loupe groups delete old-app --yes\n  loupe groups --output json"
    )]
    Groups(commands::GroupsArgs),
    /// List a log group's streams with their event counts and time spans, or delete one.
    #[command(after_help = "Examples:\n  loupe streams --group app\n  \
        loupe streams delete app web-1 --yes")]
    Streams(commands::StreamsArgs),
    /// The fields discovered in log groups, with the share of events that carry each.
    #[command(after_help = "Examples:\n  loupe fields --group app\n  \
        loupe fields --group 'app/*' --since 1d --output json")]
    Fields(commands::FieldsArgs),
    /// Set or clear a log group's retention.
    #[command(subcommand)]
    Retention(commands::RetentionAction),
    /// Merge small segments and recompress segments written at ingest's fast zstd level at a
    /// high one (19): a smaller store, read as fast, for CPU spent once.
    #[command(after_help = "Examples:
  loupe compact --group app
  loupe compact --group '*'")]
    Compact(commands::CompactArgs),
    /// Fetch every field of one log event by its @ptr (GetLogRecord).
    #[command(
        after_help = "Examples:\n  loupe query --group app 'filter level = \"ERROR\" | fields @ptr | limit 1'\n  \
        loupe record AQMAYXBw...\n  loupe record --output json AQMAYXBw..."
    )]
    Record(commands::RecordArgs),
    /// Add, list or remove the lookup tables of the `lookup` and `cidrlookup` query commands.
    #[command(subcommand)]
    Lookup(commands::LookupAction),
    /// Run one read-only SQL statement over table `logs` (the selected groups' events).
    #[command(
        after_help = "Examples:\n  loupe sql --group app 'SELECT service, count(*) AS n FROM logs GROUP BY service ORDER BY n DESC'\n  \
        loupe sql --group app 'SELECT \"http.status\", count(*) FROM logs GROUP BY 1'\n\n\
        Columns: @timestamp, @ingestionTime, @logGroup, @logStream, @message, @ptr and every discovered field \
        (quote dotted names)."
    )]
    Sql(commands::SqlArgs),
    /// Print a query in canonical form, or the diagnostic for what is wrong with it.
    #[command(after_help = "Example:\n  loupe fmt 'FIELDS @message|FILTER x>1'")]
    Fmt(commands::FmtArgs),
    /// Ingest bundled sample logs into a temporary store and run a few queries on them.
    Demo,
}

#[derive(Debug, clap::Args)]
pub struct ReplArgs {
    /// Log groups to start with; repeat for several, globs work ('app/*').
    #[arg(long = "group", short, value_name = "NAME")]
    groups: Vec<String>,
}

fn default_store() -> PathBuf {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    data.join("loupe")
}

/// Reading a block allocates and frees buffers of a few hundred kilobytes to a few megabytes
/// (decompressed chunks, Arrow arrays). glibc's allocator maps allocations that large afresh
/// and returns freed memory at the top of its heaps to the kernel, so every block paid page
/// faults and zeroing for memory the previous block had just given back (a rare-needle search
/// spent ~30% of its time there). Serving allocations up to 32 MiB from the heaps and keeping
/// up to 256 MiB of freed memory for reuse ends that; the memory stays with the process until
/// it exits.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn keep_freed_memory() {
    // `M_TRIM_THRESHOLD` and `M_MMAP_THRESHOLD` of glibc's <malloc.h>.
    const M_TRIM_THRESHOLD: i32 = -1;
    const M_MMAP_THRESHOLD: i32 = -3;
    unsafe extern "C" {
        fn mallopt(param: i32, value: i32) -> i32;
    }
    // SAFETY: `mallopt` only sets allocator parameters; it is called before any thread starts.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, 256 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory() {}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    let store = cli.store.clone().unwrap_or_else(default_store);
    let result = match cli.command {
        Command::Ingest(args) => commands::ingest(&store, args),
        Command::Query(args) => commands::query(&store, args),
        Command::Repl(args) => repl::run(&store, &args.groups),
        Command::Groups(args) => commands::groups(&store, args),
        Command::Streams(args) => commands::streams(&store, args),
        Command::Fields(args) => commands::fields(&store, args),
        Command::Retention(action) => commands::retention(&store, action),
        Command::Compact(args) => commands::compact(&store, args),
        Command::Record(args) => commands::record(&store, args),
        Command::Lookup(action) => commands::lookup(&store, action),
        Command::Sql(args) => commands::sql(&store, args),
        Command::Fmt(args) => commands::fmt(args),
        Command::Demo => demo::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::print_error(&e);
            ExitCode::from(e.exit_code())
        }
    }
}
