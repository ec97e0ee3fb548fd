//! The subcommands: flags in, one service call, output out.

use std::fs::File;
use std::io::{BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};

use clap::Args;
use loupe_service::{Loupe, ServiceError, StartQuery};

use crate::OutputFormat;
use crate::output::{self, CliError};
use crate::time::{parse_duration, parse_time};

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The log group to ingest into (created when missing).
    #[arg(long, short)]
    pub group: String,
    /// The log stream [default: the file's name, or "stdin"].
    #[arg(long, short)]
    pub stream: Option<String>,
    /// Files to ingest, one event per line; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Log group to query; repeat for several.
    #[arg(long = "group", short, required = true, value_name = "NAME")]
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
    /// How to print the results.
    #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// The query; `-` or nothing reads it from standard input.
    pub query: Option<String>,
}

#[derive(Debug, Args)]
pub struct GroupsArgs {
    #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// The query; `-` or nothing reads it from standard input.
    pub query: Option<String>,
}

pub fn open(store: &Path) -> Result<Loupe, CliError> {
    Ok(Loupe::open(store)?)
}

pub fn ingest(store: &Path, args: IngestArgs) -> Result<(), CliError> {
    // Open every input first: an unreadable file fails the command before anything is ingested.
    let mut inputs: Vec<(String, Box<dyn Read>)> = Vec::new();
    for path in &args.files {
        if path.as_os_str() == "-" {
            inputs.push(("stdin".into(), Box::new(std::io::stdin())));
            continue;
        }
        let file =
            File::open(path).map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(CliError::Input(format!(
                "{}: is a directory",
                path.display()
            )));
        }
        let name = path
            .file_name()
            .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
        inputs.push((name, Box::new(file)));
    }
    let loupe = open(store)?;
    let mut rejected = 0;
    for (name, reader) in inputs {
        let stream = args.stream.clone().unwrap_or(name);
        let report = loupe
            .ingest_lines(
                &args.group,
                &stream,
                BufReader::with_capacity(1 << 20, reader),
            )
            .map_err(|e| match e {
                ServiceError::Input(msg) => CliError::Input(format!("{stream}: {msg}")),
                other => other.into(),
            })?;
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

fn query_text(arg: Option<String>) -> Result<String, CliError> {
    match arg.as_deref() {
        Some("-") | None => {
            if arg.is_none() && std::io::stdin().is_terminal() {
                return Err(CliError::Usage(
                    "no query given: pass it as an argument or on stdin".into(),
                ));
            }
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| CliError::Input(format!("reading the query from stdin: {e}")))?;
            Ok(text)
        }
        Some(text) => Ok(text.to_owned()),
    }
}

pub fn query(store: &Path, args: QueryArgs) -> Result<(), CliError> {
    let text = query_text(args.query)?;
    let loupe = open(store)?;
    let (mut start_ms, mut end_ms) = (None, None);
    if let Some(since) = &args.since {
        let now = loupe.now_ms();
        start_ms = Some(now - parse_duration(since).map_err(CliError::Usage)?);
        end_ms = Some(now);
    }
    if let Some(start) = &args.start {
        start_ms = Some(parse_time(start).map_err(CliError::Usage)?);
    }
    if let Some(end) = &args.end {
        end_ms = Some(parse_time(end).map_err(CliError::Usage)?);
    }
    let request = StartQuery {
        query_string: text,
        log_group_names: args.groups,
        start_ms,
        end_ms,
    };
    let started = std::time::Instant::now();
    let results = loupe.query(&request)?;
    match args.output {
        OutputFormat::Json => output::print_json(&results)?,
        OutputFormat::Table => {
            output::print_results_table(&results);
            output::print_statistics(&results, started.elapsed());
        }
    }
    Ok(())
}

pub fn groups(store: &Path, args: GroupsArgs) -> Result<(), CliError> {
    let loupe = open(store)?;
    let groups = loupe.groups()?;
    match args.output {
        OutputFormat::Json => output::print_groups_json(&groups)?,
        OutputFormat::Table => output::print_groups_table(&groups),
    }
    Ok(())
}

pub fn fmt(args: FmtArgs) -> Result<(), CliError> {
    let text = query_text(args.query)?;
    match (loupe_lang::parse(&text), args.output) {
        (Ok(query), OutputFormat::Table) => println!("{query}"),
        (Ok(query), OutputFormat::Json) => {
            output::print_json(&serde_json::json!({ "query": query.to_string() }))?
        }
        (Err(diagnostic), OutputFormat::Table) => {
            return Err(ServiceError::MalformedQuery {
                diagnostic,
                query: text,
            }
            .into());
        }
        (Err(diagnostic), OutputFormat::Json) => {
            let (start, end) = diagnostic.char_offsets(&text);
            output::print_json(&serde_json::json!({ "error": {
                "message": diagnostic.message,
                "startCharOffset": start,
                "endCharOffset": end,
            }}))?;
            return Err(CliError::Silent);
        }
    }
    Ok(())
}
