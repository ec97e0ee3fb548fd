//! Everything the CLI prints: result tables, JSON, statistics and errors.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use comfy_table::{ContentArrangement, Table, presets};
use loupe_service::{GetQueryResults, GroupInfo, ServiceError};
use serde::Serialize;

/// Why a command failed, and so which exit code it ends with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// An input named on the command line could not be read.
    #[error("{0}")]
    Input(String),
    /// Flags that make no sense together or do not parse.
    #[error("{0}")]
    Usage(String),
    /// Ingest finished, but some lines could not become events.
    #[error("{0} lines were rejected")]
    Rejected(u64),
    /// The error was already printed (as JSON, say).
    #[error("")]
    Silent,
}

impl CliError {
    /// 1: the request failed; 2: bad usage (as clap's own errors); 3: ingest partly rejected.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Rejected(_) => 3,
            _ => 1,
        }
    }
}

/// Whether stderr should get colour: a terminal, and `NO_COLOR` unset.
fn stderr_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

pub fn print_error(error: &CliError) {
    match error {
        CliError::Silent => {}
        CliError::Service(ServiceError::MalformedQuery { diagnostic, query }) => {
            eprintln!("{}", loupe_lang::render(diagnostic, query, stderr_color()));
        }
        CliError::Service(e) => eprintln!("error: {e} ({})", e.aws_name()),
        e => eprintln!("error: {e}"),
    }
}

pub fn print_json(value: &impl Serialize) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)
        .map_err(|e| CliError::Input(format!("writing JSON: {e}")))?;
    writeln!(out).map_err(|e| CliError::Input(format!("writing JSON: {e}")))
}

fn new_table() -> Table {
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED);
    table.set_content_arrangement(ContentArrangement::Dynamic);
    if !std::io::stdout().is_terminal() {
        // Piped output keeps whole values on one line.
        table.set_content_arrangement(ContentArrangement::Disabled);
    }
    table
}

/// Prints query results as a table whose columns are the fields present in any row.
pub fn print_results_table(results: &GetQueryResults) {
    let mut columns: Vec<&str> = Vec::new();
    for row in &results.results {
        for cell in row {
            if !columns.contains(&cell.field.as_str()) {
                columns.push(&cell.field);
            }
        }
    }
    if columns.is_empty() {
        println!("No results.");
        return;
    }
    let mut table = new_table();
    table.set_header(columns.iter().copied());
    for row in &results.results {
        table.add_row(columns.iter().map(|c| {
            row.iter()
                .find(|cell| cell.field == *c)
                .map_or("", |cell| cell.value.as_str())
        }));
    }
    println!("{table}");
}

/// The console's summary line, on stderr so that stdout stays pipeable.
pub fn print_statistics(results: &GetQueryResults, elapsed: Duration) {
    let s = &results.statistics;
    eprintln!(
        "{} rows · {} of {} records matched · {} scanned · {:.3}s",
        results.results.len(),
        s.records_matched,
        s.records_scanned,
        human_bytes(s.bytes_scanned as u64),
        elapsed.as_secs_f64()
    );
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

pub fn print_groups_table(groups: &[GroupInfo]) {
    if groups.is_empty() {
        println!("No log groups yet. Ingest some with `loupe ingest --group NAME FILE`.");
        return;
    }
    let mut table = new_table();
    table.set_header(["log group", "streams", "events", "stored", "created"]);
    for g in groups {
        table.add_row([
            g.name.clone(),
            g.stream_count.to_string(),
            g.event_count.to_string(),
            human_bytes(g.stored_bytes),
            format_creation_time(g.creation_time),
        ]);
    }
    println!("{table}");
}

fn format_creation_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogGroupJson<'a> {
    log_group_name: &'a str,
    creation_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    retention_in_days: Option<u32>,
    stored_bytes: u64,
    event_count: u64,
    stream_count: usize,
}

/// Groups as JSON, in the DescribeLogGroups naming (plus event and stream counts).
pub fn print_groups_json(groups: &[GroupInfo]) -> Result<(), CliError> {
    let log_groups: Vec<_> = groups
        .iter()
        .map(|g| LogGroupJson {
            log_group_name: &g.name,
            creation_time: g.creation_time,
            retention_in_days: g.retention_days,
            stored_bytes: g.stored_bytes,
            event_count: g.event_count,
            stream_count: g.stream_count,
        })
        .collect();
    print_json(&serde_json::json!({ "logGroups": log_groups }))
}
