//! The subcommands: flags in, one service call, output out.

use std::fs::File;
use std::io::{BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand};
use loupe_service::{Format, IngestOptions, Loupe, ServiceError, StartQuery, TimestampRule};

use crate::output::{self, CliError, OutputFormat};
use crate::time::TimeRange;
use crate::{chart, groups, run};

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The log group to ingest into (created when missing) [default: "cloudtrail" when every
    /// input is a CloudTrail file or a folder of them; required otherwise].
    #[arg(long, short)]
    pub group: Option<String>,
    /// The log stream [default: the file's name (its path under a folder given); a CloudTrail
    /// file goes to "<account>_CloudTrail_<region>" as CloudTrail's own delivery names it;
    /// "stdin" for standard input]. A CSV `@logStream` column, or a subscription payload's
    /// `logStream`, overrides it per event.
    #[arg(long, short)]
    pub stream: Option<String>,
    /// How the input becomes events: `auto` unpacks gzip and recognises CSV downloads, JSON
    /// documents (CloudTrail `Records`, subscription `logEvents`, arrays) and lines.
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub format: InputFormat,
    /// Where each event's time comes from: `auto` (detect it), `now` (the ingestion time), a
    /// JSON field or CSV column name (dotted paths work: `detail.time`), or a strftime format
    /// (anything with a `%`, matched at the start of each line or after a `[` or space within
    /// its first 64 bytes; no zone means UTC).
    #[arg(long, value_name = "auto|now|FIELD|FORMAT", default_value = "auto")]
    pub timestamp: String,
    /// The year of times written without one (syslog `Nov 27 09:12:01`); it advances when the
    /// months wrap at New Year [default: this year, or last year for dates that would be in
    /// the future].
    #[arg(long, value_name = "YYYY", value_parser = clap::value_parser!(i32).range(1..=9999))]
    pub year: Option<i32>,
    /// Files or folders to ingest (folders are walked, in name order; hidden files and
    /// CloudTrail digest files are skipped); `-` or nothing reads standard input.
    #[arg(value_name = "PATH")]
    pub files: Vec<PathBuf>,
}

/// Input formats of `ingest` (see `loupe_service::Format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// Sniff the format (gzip, CSV download, JSON documents, lines).
    Auto,
    /// One event per line, kept whole; the time detected in it.
    Lines,
    /// JSON lines; `@timestamp`, `timestamp`, `time`, `eventTime` or `ts` gives the time.
    Jsonl,
    /// CloudWatch export files: `2026-11-01T00:00:00.000Z message` (the prefix is removed).
    Export,
    /// CloudTrail log files: `{"Records": [...]}`, one event per record.
    Cloudtrail,
    /// The console's CSV download: `@timestamp,@message,...` with quoted multi-line messages.
    Csv,
}

impl From<InputFormat> for Format {
    fn from(f: InputFormat) -> Format {
        match f {
            InputFormat::Auto => Format::Auto,
            InputFormat::Lines => Format::Lines,
            InputFormat::Jsonl => Format::Jsonl,
            InputFormat::Export => Format::Export,
            InputFormat::Cloudtrail => Format::CloudTrail,
            InputFormat::Csv => Format::Csv,
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
    /// Run the query this many more times in the same process after the first, printing each
    /// run's time to standard error (what benchmarks compare with in-process engines).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub repeat: usize,
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
    #[command(subcommand)]
    pub action: Option<StreamsAction>,
    /// The log group whose streams to list.
    #[arg(long, short)]
    pub group: Option<String>,
    #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

#[derive(Debug, Subcommand)]
pub enum StreamsAction {
    /// Delete a log stream and all its events (`DeleteLogStream`).
    #[command(after_help = "Example:\n  loupe streams delete app web-1 --yes")]
    Delete {
        group: String,
        stream: String,
        /// Confirm: the events are gone for good.
        #[arg(long)]
        yes: bool,
    },
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

#[derive(Debug, clap::Args)]
pub struct CompactArgs {
    /// Log group to compact; repeat for several. Globs select by pattern: 'app/*', '*'.
    #[arg(long = "group", short, value_name = "NAME")]
    pub groups: Vec<String>,
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
    /// Add a lookup table from a CSV file: a header row of distinct column names, then rows
    /// (UTF-8, at most 10 MB; at most 100 tables).
    #[command(after_help = "Examples:\n  loupe lookup add users users.csv\n  \
        loupe query --group app 'lookup users id as userId OUTPUT name, team'\n  \
        loupe lookup add nets networks.csv\n  \
        loupe query --group vpc 'cidrlookup nets srcAddr AS cidr OUTPUT region'")]
    Add {
        /// The table's name: letters, digits and underscores, at most 256.
        name: String,
        /// The CSV file.
        file: PathBuf,
    },
    /// List lookup tables with their columns, rows and size.
    #[command(after_help = "Examples:\n  loupe lookup list\n  loupe lookup list --output json")]
    List {
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Remove a lookup table.
    #[command(after_help = "Example:\n  loupe lookup remove users")]
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

/// One input of `ingest`: a path (or stdin) and its stream.
struct IngestInput {
    path: Option<PathBuf>,
    stream: String,
    size: Option<u64>,
}

/// The stream CloudTrail's own CloudWatch Logs delivery uses for one of its files
/// (`<account>_CloudTrail_<region>_<time>_<id>.json.gz` goes to `<account>_CloudTrail_<region>`).
fn cloudtrail_stream(file_name: &str) -> Option<String> {
    let (account, rest) = file_name.split_once("_CloudTrail_")?;
    let region = rest.split('_').next()?;
    let ok = !account.is_empty()
        && account.bytes().all(|b| b.is_ascii_digit())
        && !region.is_empty()
        && rest.len() > region.len();
    ok.then(|| format!("{account}_CloudTrail_{region}"))
}

/// The files under `dir`, in name order, skipping hidden entries and CloudTrail digests.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CliError> {
    let read = |e: std::io::Error| CliError::Input(format!("{}: {e}", dir.display()));
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(read)?;
    entries.sort();
    for path in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        if name.starts_with('.') || name == "CloudTrail-Digest" {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// The inputs `args.files` name, each checked readable, folders walked.
fn ingest_inputs(args: &IngestArgs) -> Result<Vec<IngestInput>, CliError> {
    let mut inputs = Vec::new();
    for path in &args.files {
        if path.as_os_str() == "-" {
            inputs.push(IngestInput {
                path: None,
                stream: "stdin".into(),
                size: None,
            });
            continue;
        }
        let meta = std::fs::metadata(path)
            .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
        let (files, base) = if meta.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files)?;
            if files.is_empty() {
                return Err(CliError::Input(format!(
                    "{}: no files in this folder",
                    path.display()
                )));
            }
            (files, Some(path))
        } else {
            (vec![path.clone()], None)
        };
        for file in files {
            // An unreadable file fails the command before anything is ingested.
            let opened = File::open(&file)
                .map_err(|e| CliError::Input(format!("{}: {e}", file.display())))?;
            let size = opened.metadata().ok().map(|m| m.len());
            let name = file
                .file_name()
                .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
            let stream = cloudtrail_stream(&name).unwrap_or_else(|| match base {
                Some(base) => file
                    .strip_prefix(base)
                    .map_or(name.clone(), |p| p.to_string_lossy().into_owned()),
                None => name,
            });
            inputs.push(IngestInput {
                path: Some(file),
                stream,
                size,
            });
        }
    }
    Ok(inputs)
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
    let timestamp: TimestampRule = args
        .timestamp
        .parse()
        .map_err(|e: ServiceError| CliError::Usage(e.to_string()))?;
    let inputs = ingest_inputs(&args)?;
    let group = match args.group.clone() {
        Some(group) => group,
        None if inputs.iter().all(|i| {
            i.path
                .as_ref()
                .and_then(|p| p.file_name())
                .is_some_and(|n| cloudtrail_stream(&n.to_string_lossy()).is_some())
        }) =>
        {
            "cloudtrail".to_owned()
        }
        None => {
            return Err(CliError::Usage(
                "--group is required (only CloudTrail files may leave it out: they go to the \
                 group \"cloudtrail\")"
                    .into(),
            ));
        }
    };
    let options = IngestOptions {
        format: args.format.into(),
        timestamp,
        year: args.year,
    };
    let loupe = open(store)?;
    // One bulk load for every input: published (made durable and visible) once, at the end.
    let mut load = loupe.start_ingest(&group)?;
    let mut rejected = 0;
    let mut outcome = Ok(());
    for input in inputs {
        let stream = args.stream.clone().unwrap_or(input.stream);
        let reader: Box<dyn Read> = match &input.path {
            None => Box::new(std::io::stdin()),
            Some(path) => Box::new(
                File::open(path)
                    .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?,
            ),
        };
        let label = input
            .path
            .as_ref()
            .map_or_else(|| stream.clone(), |p| p.display().to_string());
        let bar = run::ingest_bar(&format!("{group}/{stream}"), input.size);
        let counting = run::Counting {
            inner: reader,
            bar: bar.clone(),
        };
        let reader = BufReader::with_capacity(1 << 20, counting);
        let report = load.ingest(&stream, reader, &options);
        bar.finish_and_clear();
        let report = match report {
            Ok(report) => report,
            Err(ServiceError::Input(msg)) => {
                outcome = Err(CliError::Input(format!("{label}: {msg}")));
                break;
            }
            Err(other) => {
                outcome = Err(other.into());
                break;
            }
        };
        let mut notes = Vec::new();
        if report.blank > 0 {
            notes.push(format!("{} blank lines skipped", report.blank));
        }
        if report.headers > 0 {
            notes.push(format!("{} header lines skipped", report.headers));
        }
        if report.replaced_utf8 > 0 {
            notes.push(format!(
                "{} with invalid UTF-8 replaced by U+FFFD",
                report.replaced_utf8
            ));
        }
        if report.untimed > 0 {
            notes.push(format!(
                "{} without a recognised time, at the ingestion time",
                report.untimed
            ));
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("; {}", notes.join("; "))
        };
        println!(
            "{group}/{stream}: {} events accepted ({} bytes), {} rejected{notes}",
            report.accepted, report.bytes, report.rejected
        );
        for (line, reason) in &report.rejections {
            eprintln!("  {label}: rejected line {line}: {reason}");
        }
        if report.rejected as usize > report.rejections.len() {
            eprintln!(
                "  ... and {} more",
                report.rejected as usize - report.rejections.len()
            );
        }
        rejected += report.rejected;
    }
    // Publish what was read even when an input failed, as appends would have kept it.
    let published = load.finish();
    outcome?;
    published?;
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
    let repeat = args.repeat.min(1000);
    let again = (repeat > 0).then(|| request.clone());
    let (results, elapsed) = run::query(&loupe, request, progress)?;
    if let Some(request) = again {
        eprintln!("loupe: run 1 took {:.3} ms", elapsed.as_secs_f64() * 1e3);
        for run in 2..=repeat + 1 {
            let (_, elapsed) = run::query(&loupe, request.clone(), progress)?;
            eprintln!(
                "loupe: run {run} took {:.3} ms",
                elapsed.as_secs_f64() * 1e3
            );
        }
    }
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
        next_token: None,
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
    if let Some(StreamsAction::Delete { group, stream, yes }) = args.action {
        return crate::groups::delete_stream(&loupe, &group, &stream, yes);
    }
    let Some(group) = args.group else {
        return Err(CliError::Usage(
            "no log group given: pass --group NAME".into(),
        ));
    };
    let streams = loupe.streams(&group)?;
    let text = match args.output {
        OutputFormat::Json => output::json_text(&serde_json::json!({
            "logStreams": streams.iter().map(|s| serde_json::json!({
                "logStreamName": s.name,
                "firstEventTimestamp": s.first_event_ms,
                "lastEventTimestamp": s.last_event_ms,
                "eventCount": s.event_count,
            })).collect::<Vec<_>>()
        })),
        _ if streams.is_empty() => format!("No log streams with events in {group}.\n"),
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

pub fn lookup(store: &Path, action: LookupAction) -> Result<(), CliError> {
    let loupe = open(store)?;
    match action {
        LookupAction::Add { name, file } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| CliError::Input(format!("{}: {e}", file.display())))?;
            let info = loupe.add_lookup(&name, &bytes)?;
            let plural = if info.rows == 1 { "" } else { "s" };
            println!(
                "added lookup table {name}: {} row{plural}, columns {}",
                info.rows,
                info.columns.join(", ")
            );
        }
        LookupAction::List { output } => {
            let tables = loupe.list_lookups()?;
            let text = match output {
                OutputFormat::Json => output::json_text(&serde_json::json!({
                    "lookupTables": tables.iter().map(|t| serde_json::json!({
                        "lookupTableName": t.name,
                        "columns": t.columns,
                        "rows": t.rows,
                        "sizeBytes": t.size_bytes,
                    })).collect::<Vec<_>>()
                })),
                _ if tables.is_empty() => {
                    "No lookup tables yet. Add one with `loupe lookup add NAME FILE.csv`.\n".into()
                }
                format => listing(
                    format,
                    &["lookup table", "columns", "rows", "size"],
                    tables
                        .iter()
                        .map(|t| {
                            vec![
                                t.name.clone(),
                                t.columns.join(", "),
                                t.rows.to_string(),
                                output::human_bytes(t.size_bytes),
                            ]
                        })
                        .collect(),
                ),
            };
            output::print_text(&text)?;
        }
        LookupAction::Remove { name } => {
            loupe.remove_lookup(&name)?;
            println!("removed lookup table {name}");
        }
    }
    Ok(())
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

pub fn compact(store: &Path, args: CompactArgs) -> Result<(), CliError> {
    let loupe = open(store)?;
    for group in groups::resolve(&loupe, &args.groups)? {
        let started = std::time::Instant::now();
        let r = loupe.settle(&group)?;
        let merged = match r.merged {
            0 => String::new(),
            n => format!("{n} small segments merged; "),
        };
        let recompressed = match r.recompressed {
            0 => "nothing to recompress".to_owned(),
            n => format!(
                "{n} segment{} recompressed, {} -> {}",
                if n == 1 { "" } else { "s" },
                output::human_bytes(r.bytes_before),
                output::human_bytes(r.bytes_after)
            ),
        };
        println!(
            "{group}: {merged}{recompressed} ({:.1}s)",
            started.elapsed().as_secs_f64()
        );
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
