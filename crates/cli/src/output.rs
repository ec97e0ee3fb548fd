//! Everything the CLI prints: result tables, JSON, CSV, NDJSON, statistics and errors.
//!
//! Renderers return strings so that the REPL's `eval` and the golden transcripts share them
//! with the one-shot commands; only the `print_*` functions write.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use clap::ValueEnum;
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
    /// A command Loupe knows but cannot run yet.
    #[error("{0} is not supported yet")]
    NotSupported(String),
    /// The user interrupted the command (Ctrl-C).
    #[error("interrupted")]
    Interrupted,
    /// The error was already printed (as JSON, say).
    #[error("")]
    Silent,
}

impl CliError {
    /// 1: the request failed; 2: bad usage (as clap's own errors); 3: ingest partly rejected;
    /// 4: not supported yet; 130: interrupted (as a shell reports SIGINT).
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Rejected(_) => 3,
            CliError::NotSupported(_) => 4,
            CliError::Interrupted => 130,
            _ => 1,
        }
    }

    /// The error as text, with carets under the query for a malformed query.
    pub fn render(&self, color: bool) -> String {
        match self {
            CliError::Silent => String::new(),
            CliError::Service(ServiceError::MalformedQuery { diagnostic, query }) => {
                loupe_lang::render(diagnostic, query, color)
            }
            CliError::Service(e) => format!("error: {e} ({})", e.aws_name()),
            e => format!("error: {e}"),
        }
    }
}

/// Output formats of commands that print results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// An aligned table for people.
    Table,
    /// JSON, in the shape of the AWS API response (GetQueryResults for queries).
    Json,
    /// Comma-separated values with a header of every field.
    Csv,
    /// One JSON object per result row.
    Ndjson,
}

impl OutputFormat {
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Table => "table",
            OutputFormat::Json => "json",
            OutputFormat::Csv => "csv",
            OutputFormat::Ndjson => "ndjson",
        }
    }
}

/// Whether a stream should get colour: a terminal, and `NO_COLOR` unset or empty.
pub fn color_for(is_terminal: bool) -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && is_terminal
}

pub fn stderr_color() -> bool {
    color_for(std::io::stderr().is_terminal())
}

pub fn print_error(error: &CliError) {
    let text = error.render(stderr_color());
    if !text.is_empty() {
        eprintln!("{text}");
    }
}

fn write_err(e: std::io::Error) -> CliError {
    CliError::Input(format!("writing output: {e}"))
}

/// Writes `text` to stdout; a closed pipe (`| head`) ends quietly.
pub fn print_text(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(write_err),
    }
}

pub fn json_text(value: &impl Serialize) -> String {
    // Serialising our own plain structs cannot fail; an empty object is a safe fallback.
    let mut text = serde_json::to_string(value).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}

pub fn print_json(value: &impl Serialize) -> Result<(), CliError> {
    print_text(&json_text(value))
}

/// Table layout: `Some(width)` wraps to a terminal's width; `None` keeps values on one line.
pub fn new_table(width: Option<u16>) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED);
    match width {
        Some(w) => {
            table.set_content_arrangement(ContentArrangement::Dynamic);
            table.set_width(w);
        }
        None => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    table
}

/// The width of stdout when it is a terminal.
pub fn stdout_width() -> Option<u16> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    Some(
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .or_else(|| Table::new().width())
            .unwrap_or(100),
    )
}

/// The fields present in any row, in the query's output order (then any others in order of
/// first appearance), without the `@ptr` AWS adds to every event row unless the query asked
/// for it (the console does not show it either; `--output json` keeps it).
pub fn columns(results: &GetQueryResults) -> Vec<&str> {
    let hidden = |f: &str| f == "@ptr" && !results.fields.iter().any(|s| s == f);
    let mut columns: Vec<&str> = results
        .fields
        .iter()
        .filter(|f| {
            results
                .results
                .iter()
                .any(|row| row.iter().any(|c| &c.field == *f))
        })
        .map(String::as_str)
        .collect();
    for row in &results.results {
        for cell in row {
            if !columns.contains(&cell.field.as_str()) && !hidden(&cell.field) {
                columns.push(&cell.field);
            }
        }
    }
    columns
}

fn cell<'a>(row: &'a [loupe_service::ResultField], field: &str) -> Option<&'a str> {
    row.iter()
        .find(|c| c.field == field)
        .map(|c| c.value.as_str())
}

/// Query results in `format`; `width` as for [`new_table`].
pub fn results_text(results: &GetQueryResults, format: OutputFormat, width: Option<u16>) -> String {
    match format {
        OutputFormat::Table => results_table(results, width),
        OutputFormat::Json => json_text(results),
        OutputFormat::Csv => results_csv(results),
        OutputFormat::Ndjson => results_ndjson(results),
    }
}

/// Results as a table whose columns are the fields present in any row.
pub fn results_table(results: &GetQueryResults, width: Option<u16>) -> String {
    let columns = columns(results);
    if columns.is_empty() {
        return "No results.\n".into();
    }
    let mut table = new_table(width);
    table.set_header(columns.iter().copied());
    for row in &results.results {
        table.add_row(columns.iter().map(|c| cell(row, c).unwrap_or("")));
    }
    format!("{table}\n")
}

/// RFC 4180 CSV: a header of every field, a missing field is an empty cell.
pub fn results_csv(results: &GetQueryResults) -> String {
    let columns = columns(results);
    let mut out = String::new();
    let line = |out: &mut String, values: &mut dyn Iterator<Item = &str>| {
        let quoted: Vec<String> = values.map(csv_field).collect();
        out.push_str(&quoted.join(","));
        out.push_str("\r\n");
    };
    if columns.is_empty() {
        return out;
    }
    line(&mut out, &mut columns.iter().copied());
    for row in &results.results {
        line(
            &mut out,
            &mut columns.iter().map(|c| cell(row, c).unwrap_or("")),
        );
    }
    out
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) || value.starts_with(' ') || value.ends_with(' ') {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// One JSON object per row, fields in result order; missing fields are absent.
pub fn results_ndjson(results: &GetQueryResults) -> String {
    let mut out = String::new();
    let shown = columns(results);
    for row in &results.results {
        let object: serde_json::Map<String, serde_json::Value> = row
            .iter()
            .filter(|c| shown.contains(&c.field.as_str()))
            .map(|c| (c.field.clone(), serde_json::Value::String(c.value.clone())))
            .collect();
        out.push_str(&json_text(&object));
    }
    out
}

/// The console's summary line; `elapsed` is left out when `None` (golden transcripts).
pub fn statistics_line(results: &GetQueryResults, elapsed: Option<Duration>) -> String {
    let s = &results.statistics;
    let mut line = format!(
        "{} rows · {} of {} records matched · {} scanned",
        results.results.len(),
        s.records_matched,
        s.records_scanned,
        human_bytes(s.bytes_scanned as u64),
    );
    if let Some(elapsed) = elapsed {
        line.push_str(&format!(" · {:.3}s", elapsed.as_secs_f64()));
    }
    line
}

/// The summary line on stderr, so that stdout stays pipeable.
pub fn print_statistics(results: &GetQueryResults, elapsed: Duration) {
    eprintln!("{}", statistics_line(results, Some(elapsed)));
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

pub fn groups_table(groups: &[GroupInfo], width: Option<u16>) -> String {
    if groups.is_empty() {
        return "No log groups yet. Ingest some with `loupe ingest --group NAME FILE`.\n".into();
    }
    let mut table = new_table(width);
    table.set_header([
        "log group",
        "streams",
        "events",
        "stored",
        "retention",
        "created",
    ]);
    for g in groups {
        table.add_row([
            g.name.clone(),
            g.stream_count.to_string(),
            g.event_count.to_string(),
            human_bytes(g.stored_bytes),
            g.retention_days
                .map_or_else(|| "never expire".into(), |d| format!("{d} days")),
            format_time(g.creation_time),
        ]);
    }
    format!("{table}\n")
}

pub fn print_groups_table(groups: &[GroupInfo]) {
    print!("{}", groups_table(groups, stdout_width()));
}

/// An epoch-milliseconds time as results print it (UTC).
pub fn format_time(ms: i64) -> String {
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
pub fn groups_json(groups: &[GroupInfo]) -> String {
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
    json_text(&serde_json::json!({ "logGroups": log_groups }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use loupe_service::{QueryStatistics, QueryStatus, ResultField};

    fn results() -> GetQueryResults {
        let f = |field: &str, value: &str| ResultField {
            field: field.into(),
            value: value.into(),
        };
        GetQueryResults {
            next_token: None,
            fields: Vec::new(),
            status: QueryStatus::Complete,
            results: vec![
                vec![
                    f("@timestamp", "2026-11-01 00:00:00.000"),
                    f("msg", "a, \"b\""),
                ],
                vec![f("@timestamp", "2026-11-01 00:00:01.000"), f("n", "3")],
            ],
            statistics: QueryStatistics {
                records_matched: 2.0,
                records_scanned: 10.0,
                bytes_scanned: 2048.0,
            },
        }
    }

    #[test]
    fn table_csv_ndjson_json_snapshots() {
        let r = results();
        assert_eq!(
            results_table(&r, None),
            "┌─────────────────────────┬────────┬───┐\n\
             │ @timestamp              ┆ msg    ┆ n │\n\
             ╞═════════════════════════╪════════╪═══╡\n\
             │ 2026-11-01 00:00:00.000 ┆ a, \"b\" ┆   │\n\
             │ 2026-11-01 00:00:01.000 ┆        ┆ 3 │\n\
             └─────────────────────────┴────────┴───┘\n"
        );
        assert_eq!(
            results_csv(&r),
            "@timestamp,msg,n\r\n2026-11-01 00:00:00.000,\"a, \"\"b\"\"\",\r\n\
             2026-11-01 00:00:01.000,,3\r\n"
        );
        assert_eq!(
            results_ndjson(&r),
            "{\"@timestamp\":\"2026-11-01 00:00:00.000\",\"msg\":\"a, \\\"b\\\"\"}\n\
             {\"@timestamp\":\"2026-11-01 00:00:01.000\",\"n\":\"3\"}\n"
        );
        let json: serde_json::Value = serde_json::from_str(&json_text(&r)).unwrap_or_default();
        assert_eq!(json["status"], "Complete");
        assert_eq!(json["results"][1][1]["field"], "n");
        assert_eq!(json["statistics"]["bytesScanned"], 2048.0);
        assert_eq!(
            statistics_line(&r, None),
            "2 rows · 2 of 10 records matched · 2.0 KiB scanned"
        );
    }
}
