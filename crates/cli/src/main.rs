//! `loupe`: the command-line interface to Loupe.
//!
//! Each subcommand is a thin shell over `loupe-service`: it turns flags into a service call and
//! the answer into a table, JSON or a rendered diagnostic. No engine logic lives here.

mod commands;
mod demo;
mod output;
mod time;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Loupe: ask questions of CloudWatch-style logs locally, with the Logs Insights language.
#[derive(Debug, Parser)]
#[command(name = "loupe", version, about, long_about = None)]
#[command(
    after_help = "Start with `loupe demo`, then `loupe ingest --group app app.log` and \
`loupe query --group app 'filter @message like /ERROR/ | limit 20'`."
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
    /// Ingest log files (one event per line) into a log group.
    #[command(after_help = "Examples:\n  loupe ingest --group app app.log\n  \
        journalctl -o cat | loupe ingest --group system -\n\n\
        A line starting with an ISO-8601 timestamp and a space (2026-11-01T00:00:00.000Z msg) \
        takes its @timestamp from it; other lines get the ingestion time.")]
    Ingest(commands::IngestArgs),
    /// Run a Logs Insights query.
    #[command(
        after_help = "Examples:\n  loupe query --group app 'filter @message like /ERROR/ | limit 5'\n  \
        loupe query --group app --since 1h --output json 'fields @timestamp, @message'"
    )]
    Query(commands::QueryArgs),
    /// List log groups with their event counts and stored bytes.
    Groups(commands::GroupsArgs),
    /// Print a query in canonical form, or the diagnostic for what is wrong with it.
    #[command(after_help = "Example:\n  loupe fmt 'FIELDS @message|FILTER x>1'")]
    Fmt(commands::FmtArgs),
    /// Ingest bundled sample logs into a temporary store and run a few queries on them.
    Demo,
}

/// Output formats of commands that print results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// An aligned table for people.
    Table,
    /// JSON, in the shape of the AWS API response.
    Json,
}

fn default_store() -> PathBuf {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    data.join("loupe")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let store = cli.store.clone().unwrap_or_else(default_store);
    let result = match cli.command {
        Command::Ingest(args) => commands::ingest(&store, args),
        Command::Query(args) => commands::query(&store, args),
        Command::Groups(args) => commands::groups(&store, args),
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
