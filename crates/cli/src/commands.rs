//! The subcommands: flags in, one service call, output out.

use std::fs::File;
use std::io::{BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand};
use loupe_service::{Format, Loupe, ServiceError, StartQuery};

use crate::output::{self, CliError, OutputFormat};
use crate::time::TimeRange;
use crate::{chart, groups, run};

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The log group to ingest into (created when missing).
    #[arg(long, short)]
    pub group: String,
    /// The log stream [default: the file's name, or "stdin"].
    #[arg(long, short)]
    pub stream: Option<String>,
    /// How the input becomes events: `auto` unpacks gzip, recognises CloudTrail files, and
    /// takes each line's time from an export-style prefix or a JSON time field.
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub format: InputFormat,
    /// Files to ingest, one event per line; `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Input formats of `ingest` (see `loupe_service::Format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// Sniff the format (gzip, CloudTrail, export prefixes, JSON time fields).
    Auto,
    /// One event per line at the ingestion time.
    Lines,
    /// JSON lines; `@timestamp`, `timestamp`, `time` or `eventTime` gives the time.
    Jsonl,
    /// CloudWatch export files: `2026-11-01T00:00:00.000Z message`.
    Export,
    /// CloudTrail log files: `{"Records": [...]}`, one event per record.
    Cloudtrail,
}

impl From<InputFormat> for Format {
    fn from(f: InputFormat) -> Format {
        match f {
            InputFormat::Auto => Format::Auto,
            InputFormat::Lines => Format::Lines,
            InputFormat::Jsonl => Format::Jsonl,
            InputFormat::Export => Format::Export,
            InputFormat::Cloudtrail => Format::CloudTrail,
        }
    }
}

/// Which groups and which time range: shared by `query`, `fields` and the REPL.
#[derive(Debug, Args)]
pub struct ScopeArgs {
    /// Log group to query; repeat for several. Globs select by pattern: 'app/*', '*-prod'.
    #[arg(long = "group", short, value_name = "NAME")]
    pub groups: Vec<String>,
    /// Start of the time range (inclusive): RFC 3339 or epoch seconds.
    #[arg(long, value_name = "TIME", conflicts_with = "since")]
    pub start: Option<String>,
    /// End of the time range (inclusive): RFC 3339 or epoch seconds [default: no bound].
    #[arg(long, value_name = "TIME")]
    pub end: Option<String>,
    /// Only events from this long ago until now, e.g. 15m, 2h, 7d.
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
}

impl ScopeArgs {
    pub fn range(&self) -> Result<TimeRange, CliError> {
        TimeRange::from_flags(
            self.since.as_deref(),
            self.start.as_deref(),
            self.end.as_deref(),
        )
        .map_err(CliError::Usage)
    }
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// How to print the results.
    #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// Draw the results of a `stats ... by bin(...)` query as a bar chart (instead of a table).
    #[arg(long)]
    pub chart: bool,
    /// Show the event-count histogram over the time range above the results, as the console does.
    #[arg(long)]
    pub histogram: bool,
    /// The query; `-` or nothing reads it from standard input.
    pub query: Option<String>,
}

#[derive(Debug, Args)]
pub struct SqlArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// How to print the results.
    #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// The statement; `-` or nothing reads it from standard input.
    pub statement: Option<String>,
}

#[derive(Debug, Args)]
pub struct GroupsArgs {
    #[command(subcommand)]
    pub action: Option<GroupsAction>,
    #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

#[derive(Debug, Subcommand)]
pub enum GroupsAction {
    /// List log groups (the default).
    List,
    /// Create an empty log group.
    #[command(after_help = "Example:\n  loupe groups create /aws/lambda/orders")]
    Create { name: String },
    /// Delete a log group and all its events.
    #[command(after_help = "Example:\n  loupe groups delete old-app --yes")]
    Delete {
        name: String,
        /// Confirm: the events are gone for good.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Args)]
pub struct StreamsArgs {
    /// The log group.
    #[arg(long, short)]
    pub group: String,
    #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct FieldsArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// The event's @ptr, as a query returns it (`fields @ptr`).
    pub ptr: String,
    #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

#[derive(Debug, Subcommand)]
pub enum RetentionAction {
    /// Expire events older than DAYS (one of the values CloudWatch allows: 1, 3, 5, 7, 14, 30, ...).
    #[command(after_help = "Example:\n  loupe retention set --group app 30")]
    Set {
        #[arg(long, short)]
        group: String,
        days: u32,
    },
    /// Keep events forever.
    #[command(after_help = "Example:\n  loupe retention clear --group app")]
    Clear {
        #[arg(long, short)]
        group: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum LookupAction {
    /// Add a lookup table from a CSV file.
    Add { name: String, file: PathBuf },
    /// List lookup tables.
    List,
    /// Remove a lookup table.
    Remove { name: String },
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// The query; `-` or nothing reads it from standard input.
    pub query: Option<String>,
}

pub fn open(store: &Path) -> Result<Arc<Loupe>, CliError> {
    Ok(Arc::new(Loupe::open(store)?))
}

pub fn ingest(store: &Path, mut args: IngestArgs) -> Result<(), CliError> {
    if args.files.is_empty() {
        if std::io::stdin().is_terminal() {
            return Err(CliError::Usage(
                "no input: name files to ingest, or pipe lines into `loupe ingest --group NAME -`"
                    .into(),
            ));
        }
        args.files.push(PathBuf::from("-"));
    }
    // Open every input first: an unreadable file fails the command before anything is ingested.
    let mut inputs: Vec<(String, Option<u64>, Box<dyn Read>)> = Vec::new();
    for path in &args.files {
        if path.as_os_str() == "-" {
            inputs.push(("stdin".into(), None, Box::new(std::io::stdin())));
            continue;
        }
        let file =
            File::open(path).map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
        let meta = file.metadata().ok();
        if meta.as_ref().is_some_and(|m| m.is_dir()) {
            return Err(CliError::Input(format!(
                "{}: is a directory (ingest its files: {}/*)",
                path.display(),
                path.display()
            )));
        }
        let name = path
            .file_name()
            .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
        inputs.push((name, meta.map(|m| m.len()), Box::new(file)));
    }
    let loupe = open(store)?;
    let mut rejected = 0;
    for (name, size, reader) in inputs {
        let stream = args.stream.clone().unwrap_or(name);
        let bar = run::ingest_bar(&format!("{}/{stream}", args.group), size);
        let counting = run::Counting {
            inner: reader,
            bar: bar.clone(),
        };
        let input = BufReader::with_capacity(1 << 20, counting);
        let report = loupe
            .ingest(&args.group, &stream, input, args.format.into())
            .map_err(|e| match e {
                ServiceError::Input(msg) => CliError::Input(format!("{stream}: {msg}")),
                other => other.into(),
            });
        bar.finish_and_clear();
        let report = report?;
        println!(
            "{}/{}: {} events accepted ({} bytes), {} rejected",
            args.group, stream, report.accepted, report.bytes, report.rejected
        );
        for (line, reason) in &report.rejections {
            eprintln!("  rejected line {line}: {reason}");
        }
        if report.rejected as usize > report.rejections.len() {
            eprintln!(
                "  ... and {} more",
                report.rejected as usize - report.rejections.len()
            );
        }
        rejected += report.rejected;
    }
    if rejected > 0 {
        Err(CliError::Rejected(rejected))
    } else {
        Ok(())
    }
}

pub fn query_text(arg: Option<String>) -> Result<String, CliError> {
    match arg.as_deref() {
        Some("-") | None => {
            if std::io::stdin().is_terminal() {
                return Err(CliError::Usage(
                    "no query given: pass it as an argument or on stdin".into(),
                ));
            }
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| CliError::Input(format!("reading the query from stdin: {e}")))?;
            if text.trim().is_empty() {
                return Err(CliError::Usage("the query on stdin is empty".into()));
            }
            Ok(text)
        }
        Some(text) => Ok(text.to_owned()),
    }
}

pub fn query(store: &Path, args: QueryArgs) -> Result<(), CliError> {
    let text = query_text(args.query)?;
    let range = args.scope.range()?;
    let loupe = open(store)?;
    // A query that starts with SOURCE picks its own log groups.
    let has_source = loupe_lang::parse_syntax(&text).is_ok_and(|q| {
        matches!(
            q.commands.first().map(|c| &c.kind),
            Some(loupe_lang::ast::CommandKind::Source(_))
        )
    });
    let groups = if has_source && args.scope.groups.is_empty() {
        Vec::new()
    } else {
        groups::resolve(&loupe, &args.scope.groups)?
    };
    let progress = run::progress_wanted();
    let width = output::stdout_width();
    if args.histogram {
        let text = histogram(&loupe, &groups, &range, progress, width)?;
        output::print_text(&text)?;
    }
    let (start_ms, end_ms) = range.resolve(loupe.now_ms());
    let request = StartQuery {
        query_string: text,
        log_group_names: groups,
        start_ms,
        end_ms,
    };
    let (results, elapsed) = run::query(&loupe, request, progress)?;
    if args.chart {
        let text =
            chart::chart(&results, width.map_or(80, usize::from)).map_err(CliError::Usage)?;
        output::print_text(&text)?;
    } else {
        output::print_text(&output::results_text(&results, args.output, width))?;
    }
    if args.output == OutputFormat::Table || args.chart {
        output::print_statistics(&results, elapsed);
    }
    Ok(())
}

pub fn sql(store: &Path, args: SqlArgs) -> Result<(), CliError> {
    let text = query_text(args.statement)?;
    let range = args.scope.range()?;
    let loupe = open(store)?;
    let groups = groups::resolve(&loupe, &args.scope.groups)?;
    let (start_ms, end_ms) = range.resolve(loupe.now_ms());
    let request = StartQuery {
        query_string: text,
        log_group_names: groups,
        start_ms,
        end_ms,
    };
    let started = std::time::Instant::now();
    let results = loupe.sql(&request)?;
    let width = output::stdout_width();
    output::print_text(&output::results_text(&results, args.output, width))?;
    if args.output == OutputFormat::Table {
        output::print_statistics(&results, started.elapsed());
    }
    Ok(())
}

/// The console's histogram: events per bin over the range (or over all the groups' events).
pub fn histogram(
    loupe: &Arc<Loupe>,
    groups: &[String],
    range: &TimeRange,
    progress: bool,
    width: Option<u16>,
) -> Result<String, CliError> {
    let (mut start_ms, mut end_ms) = range.resolve(loupe.now_ms());
    if start_ms.is_none() || end_ms.is_none() {
        let request = StartQuery {
            query_string: "stats min(@timestamp) as first, max(@timestamp) as last".into(),
            log_group_names: groups.to_vec(),
            start_ms,
            end_ms,
        };
        let (bounds, _) = run::query(loupe, request, progress)?;
        let get = |name: &str| {
            bounds.results.first().and_then(|row| {
                row.iter()
                    .find(|c| c.field == name)
                    .and_then(|c| chart::parse_result_time(&c.value))
            })
        };
        start_ms = start_ms.or(get("first"));
        end_ms = end_ms.or(get("last"));
    }
    let (Some(start), Some(end)) = (start_ms, end_ms) else {
        return Ok("No events in the time range.\n".into());
    };
    let bin = chart::histogram_bin(end - start);
    let request = StartQuery {
        query_string: format!("stats count(*) as events by bin({bin})"),
        log_group_names: groups.to_vec(),
        start_ms,
        end_ms,
    };
    let (counts, _) = run::query(loupe, request, progress)?;
    if counts.results.is_empty() {
        return Ok("No events in the time range.\n".into());
    }
    chart::chart(&counts, width.map_or(80, usize::from))
        .map(|c| c.replacen("events", &format!("events per {bin}"), 1))
        .map_err(CliError::Usage)
}

pub fn groups(store: &Path, args: GroupsArgs) -> Result<(), CliError> {
    let loupe = open(store)?;
    match args.action.unwrap_or(GroupsAction::List) {
        GroupsAction::List => {
            let groups = loupe.groups()?;
            let text = match args.output {
                OutputFormat::Json => output::groups_json(&groups),
                OutputFormat::Table => output::groups_table(&groups, output::stdout_width()),
                other => listing(
                    other,
                    &[
                        "logGroupName",
                        "streams",
                        "events",
                        "storedBytes",
                        "retentionInDays",
                    ],
                    groups
                        .iter()
                        .map(|g| {
                            vec![
                                g.name.clone(),
                                g.stream_count.to_string(),
                                g.event_count.to_string(),
                                g.stored_bytes.to_string(),
                                g.retention_days.map_or(String::new(), |d| d.to_string()),
                            ]
                        })
                        .collect(),
                ),
            };
            output::print_text(&text)
        }
        GroupsAction::Create { name } => {
            loupe.create_group(&name)?;
            println!("created log group {name}");
            Ok(())
        }
        GroupsAction::Delete { name, yes } => {
            let info = loupe.groups()?.into_iter().find(|g| g.name == name);
            let Some(info) = info else {
                return Err(ServiceError::ResourceNotFound(format!(
                    "The specified log group does not exist: {name}"
                ))
                .into());
            };
            if !yes {
                return Err(CliError::Usage(format!(
                    "deleting {name} removes its {} events for good; add --yes to confirm",
                    info.event_count
                )));
            }
            loupe.delete_group(&name)?;
            println!("deleted log group {name} ({} events)", info.event_count);
            Ok(())
        }
    }
}

/// Rows with a header as csv or ndjson (tables and json have their own shapes).
fn listing(format: OutputFormat, header: &[&str], rows: Vec<Vec<String>>) -> String {
    use loupe_service::{GetQueryResults, QueryStatistics, QueryStatus, ResultField};
    let results = GetQueryResults {
        fields: header.iter().map(|h| (*h).to_owned()).collect(),
        status: QueryStatus::Complete,
        results: rows
            .into_iter()
            .map(|row| {
                header
                    .iter()
                    .zip(row)
                    .map(|(h, v)| ResultField {
                        field: (*h).into(),
                        value: v,
                    })
                    .collect()
            })
            .collect(),
        statistics: QueryStatistics {
            records_matched: 0.0,
            records_scanned: 0.0,
            bytes_scanned: 0.0,
        },
    };
    output::results_text(&results, format, output::stdout_width())
}

pub fn streams(store: &Path, args: StreamsArgs) -> Result<(), CliError> {
    let loupe = open(store)?;
    let streams = loupe.streams(&args.group)?;
    let text = match args.output {
        OutputFormat::Json => output::json_text(&serde_json::json!({
            "logStreams": streams.iter().map(|s| serde_json::json!({
                "logStreamName": s.name,
                "firstEventTimestamp": s.first_event_ms,
                "lastEventTimestamp": s.last_event_ms,
                "eventCount": s.event_count,
            })).collect::<Vec<_>>()
        })),
        _ if streams.is_empty() => format!("No log streams with events in {}.\n", args.group),
        format => {
            let rows = streams
                .iter()
                .map(|s| {
                    let t = |ms: Option<i64>| ms.map_or(String::new(), output::format_time);
                    vec![
                        s.name.clone(),
                        s.event_count.to_string(),
                        t(s.first_event_ms),
                        t(s.last_event_ms),
                    ]
                })
                .collect();
            listing(
                format,
                &["log stream", "events", "first event", "last event"],
                rows,
            )
        }
    };
    output::print_text(&text)
}

pub fn fields(store: &Path, args: FieldsArgs) -> Result<(), CliError> {
    let range = args.scope.range()?;
    let loupe = open(store)?;
    let groups = groups::resolve(&loupe, &args.scope.groups)?;
    output::print_text(&fields_text(&loupe, &groups, &range, args.output)?)
}

pub fn record(store: &Path, args: RecordArgs) -> Result<(), CliError> {
    let loupe = open(store)?;
    let record = loupe.get_log_record(&args.ptr)?;
    output::print_text(&match args.output {
        OutputFormat::Json => {
            let map: serde_json::Map<String, serde_json::Value> = record
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect();
            output::json_text(&serde_json::json!({ "logRecord": map }))
        }
        format => listing(
            format,
            &["field", "value"],
            record.into_iter().map(|(k, v)| vec![k, v]).collect(),
        ),
    })
}

/// Discovered fields with the share of events carrying each (`GetLogGroupFields`).
pub fn fields_text(
    loupe: &Loupe,
    groups: &[String],
    range: &TimeRange,
    format: OutputFormat,
) -> Result<String, CliError> {
    let (start, end) = range.resolve(loupe.now_ms());
    let fields = loupe.fields(groups, start, end)?;
    Ok(match format {
        OutputFormat::Json => output::json_text(&serde_json::json!({
            "logGroupFields": fields.iter().map(|f| serde_json::json!({
                "name": f.name, "percent": f.percent, "types": f.types,
            })).collect::<Vec<_>>()
        })),
        _ if fields.is_empty() => "No discovered fields (plain-text events carry only @message; \
             JSON events have theirs discovered).\n"
            .into(),
        format => listing(
            format,
            &["field", "percent", "types"],
            fields
                .iter()
                .map(|f| {
                    vec![
                        f.name.clone(),
                        format!("{}%", f.percent),
                        f.types.join(", "),
                    ]
                })
                .collect(),
        ),
    })
}

pub fn retention(store: &Path, action: RetentionAction) -> Result<(), CliError> {
    let loupe = open(store)?;
    match action {
        RetentionAction::Set { group, days } => {
            loupe.set_retention(&group, Some(days))?;
            println!("{group}: events older than {days} days expire");
        }
        RetentionAction::Clear { group } => {
            loupe.set_retention(&group, None)?;
            println!("{group}: events never expire");
        }
    }
    Ok(())
}

pub fn fmt(args: FmtArgs) -> Result<(), CliError> {
    let text = query_text(args.query)?;
    match (loupe_lang::parse(&text), args.output) {
        (Ok(query), OutputFormat::Json | OutputFormat::Ndjson) => {
            output::print_json(&serde_json::json!({ "query": query.to_string() }))?
        }
        (Ok(query), _) => println!("{query}"),
        (Err(diagnostic), OutputFormat::Json | OutputFormat::Ndjson) => {
            let (start, end) = diagnostic.char_offsets(&text);
            output::print_json(&serde_json::json!({ "error": {
                "message": diagnostic.message,
                "startCharOffset": start,
                "endCharOffset": end,
            }}))?;
            return Err(CliError::Silent);
        }
        (Err(diagnostic), _) => {
            return Err(ServiceError::MalformedQuery {
                diagnostic,
                query: text,
            }
            .into());
        }
    }
    Ok(())
}
