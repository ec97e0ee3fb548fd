//! `loupe repl`: an interactive Logs Insights prompt.
//!
//! Every line goes through [`eval`], which turns the REPL's state and one (possibly
//! multi-line) input into the text to show; the golden transcripts in `testdata/slt/cli/` run
//! through the same function. The line editor (rustyline) adds history, multi-line input
//! ([`is_complete`]) and completion ([`LoupeHelper`]).

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use loupe_service::{GetQueryResults, Loupe, StartQuery};
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{CompletionType, Config, Context, Editor, Helper};

use crate::output::{self, CliError, OutputFormat};
use crate::time::{TimeRange, parse_duration, parse_time};
use crate::{chart, commands, groups, run};

/// The REPL's settings and memory between lines.
#[derive(Debug)]
pub struct State {
    pub loupe: Arc<Loupe>,
    pub groups: Vec<String>,
    pub range: TimeRange,
    pub output: OutputFormat,
    /// ANSI colour in diagnostics.
    pub color: bool,
    /// Terminal width for tables; `None` keeps values on one line.
    pub width: Option<u16>,
    /// Show elapsed times (off in golden transcripts, which must not depend on the clock).
    pub timings: bool,
    /// Show a spinner for slow queries.
    pub progress: bool,
    /// The last query's results, for `\chart`.
    pub last: Option<GetQueryResults>,
    /// Discovered field names of the current groups, shared with the completer.
    pub fields: Arc<Mutex<Vec<String>>>,
    pub quit: bool,
}

impl State {
    pub fn new(loupe: Arc<Loupe>) -> State {
        State {
            loupe,
            groups: Vec::new(),
            range: TimeRange::default(),
            output: OutputFormat::Table,
            color: false,
            width: None,
            timings: false,
            progress: false,
            last: None,
            fields: Arc::default(),
            quit: false,
        }
    }

    /// Chooses groups and refreshes the discovered fields the completer offers.
    pub fn set_groups(&mut self, patterns: &[String]) -> Result<(), CliError> {
        let chosen = groups::resolve(&self.loupe, patterns)?;
        self.groups = chosen;
        self.refresh_fields();
        Ok(())
    }

    fn refresh_fields(&self) {
        let names = self
            .loupe
            .fields(&self.groups, None, None)
            .map(|f| f.into_iter().map(|f| f.name).collect())
            .unwrap_or_default();
        if let Ok(mut fields) = self.fields.lock() {
            *fields = names;
        }
    }

    fn prompt(&self) -> String {
        match self.groups.as_slice() {
            [] => "loupe> ".into(),
            [one] => format!("{one}> "),
            [first, rest @ ..] => format!("{first} +{}> ", rest.len()),
        }
    }
}

/// Meta commands, for `\help` and completion.
const META: [(&str, &str); 15] = [
    (
        "\\group",
        "\\group [NAME|GLOB ...]   show or choose the log groups (globs: 'app/*')",
    ),
    ("\\groups", "\\groups                  list every log group"),
    (
        "\\since",
        "\\since DURATION|off      query the last 15m, 2h, 7d, ... (off: all time)",
    ),
    (
        "\\start",
        "\\start TIME|off          start of the range: RFC 3339 or epoch seconds",
    ),
    ("\\end", "\\end TIME|off            end of the range"),
    (
        "\\output",
        "\\output FORMAT           table, json, csv or ndjson",
    ),
    (
        "\\fields",
        "\\fields                  discovered fields of the groups, with percentages",
    ),
    (
        "\\chart",
        "\\chart [QUERY]           bar chart of a `stats ... by bin(...)` result (the last one)",
    ),
    (
        "\\histogram",
        "\\histogram               event counts over the time range",
    ),
    (
        "\\fmt",
        "\\fmt QUERY               the query in canonical form",
    ),
    (
        "\\sql",
        "\\sql STATEMENT           run one SQL statement over table `logs`",
    ),
    (
        "\\explain",
        "\\explain QUERY           the plan: segments and blocks pruned, columns and filter pushed into the scan",
    ),
    ("\\help", "\\help                    this help"),
    ("\\quit", "\\quit                    leave (or Ctrl-D)"),
    ("\\q", ""),
];

/// Query commands, for completion.
const COMMANDS: [&str; 14] = [
    "fields",
    "display",
    "filter",
    "filterIndex",
    "stats",
    "sort",
    "limit",
    "parse",
    "dedup",
    "unmask",
    "unnest",
    "pattern",
    "diff",
    "anomaly",
];

const SYSTEM_FIELDS: [&str; 6] = [
    "@timestamp",
    "@message",
    "@logStream",
    "@log",
    "@ingestionTime",
    "@ptr",
];

const KEYWORDS: [&str; 8] = ["by", "as", "asc", "desc", "and", "or", "not", "like"];

fn help() -> String {
    let mut out = String::from(
        "Type a Logs Insights query and press Enter; a line ending in `|` or with an open \
         bracket or quote continues on the next line. Tab completes commands, functions and \
         fields. Ctrl-C stops a running query, Ctrl-D leaves.\n",
    );
    for (_, line) in META.iter().filter(|(_, l)| !l.is_empty()) {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Whether `input` is a whole query: not ending in `|`, no open bracket or quote.
pub fn is_complete(input: &str) -> bool {
    let mut depth: i32 = 0;
    let mut quote: Option<char> = None;
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                if c == '\\' {
                    chars.next();
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' | '`' => quote = Some(c),
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                '#' => {
                    // A comment runs to the end of the line.
                    for c in chars.by_ref() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                _ => {}
            },
        }
    }
    quote.is_none() && depth <= 0 && !input.trim_end().ends_with('|')
}

/// Evaluates one input (a query or a meta command) and returns the text to show.
pub fn eval(state: &mut State, input: &str) -> String {
    let line = input.trim();
    if line.is_empty() {
        return String::new();
    }
    let result = if let Some(meta) = line.strip_prefix('\\') {
        let (name, rest) = meta.split_once(char::is_whitespace).unwrap_or((meta, ""));
        meta_command(state, name, rest.trim())
    } else {
        run_query(state, line).map(|(results, elapsed)| show_results(state, &results, elapsed))
    };
    let mut text = match result {
        Ok(text) => text,
        Err(CliError::Interrupted) => "query cancelled (Ctrl-C)\n".into(),
        Err(e) => e.render(state.color),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// The StartQuery request for `query` in the REPL's current groups and time range.
fn start_request(state: &State, query: &str) -> Result<StartQuery, CliError> {
    // A query that starts with SOURCE picks its own log groups, whatever `\\group` chose.
    let has_source = loupe_lang::parse_syntax(query).is_ok_and(|q| {
        matches!(
            q.commands.first().map(|c| &c.kind),
            Some(loupe_lang::ast::CommandKind::Source(_))
        )
    });
    if state.groups.is_empty() && !has_source {
        return Err(CliError::Usage(
            "no log group chosen: `\\group NAME` first (`\\groups` lists them)".into(),
        ));
    }
    let (start_ms, end_ms) = state.range.resolve(state.loupe.now_ms());
    Ok(StartQuery {
        query_string: query.into(),
        log_group_names: if has_source {
            Vec::new()
        } else {
            state.groups.clone()
        },
        start_ms,
        end_ms,
    })
}

fn run_query(
    state: &mut State,
    query: &str,
) -> Result<(GetQueryResults, std::time::Duration), CliError> {
    let request = start_request(state, query)?;
    let (results, elapsed) = run::query(&state.loupe, request, state.progress)?;
    state.last = Some(results.clone());
    Ok((results, elapsed))
}

fn show_results(state: &State, results: &GetQueryResults, elapsed: std::time::Duration) -> String {
    let mut text = output::results_text(results, state.output, state.width);
    if state.output == OutputFormat::Table {
        text.push_str(&output::statistics_line(
            results,
            state.timings.then_some(elapsed),
        ));
    }
    text
}

fn off(arg: &str) -> bool {
    matches!(arg, "off" | "none" | "clear" | "-")
}

fn meta_command(state: &mut State, name: &str, arg: &str) -> Result<String, CliError> {
    let usage = |text: &str| Err(CliError::Usage(text.into()));
    match name {
        "help" | "h" | "?" => Ok(help()),
        "quit" | "q" | "exit" => {
            state.quit = true;
            Ok(String::new())
        }
        "group" | "g" => {
            if !arg.is_empty() {
                let patterns: Vec<String> = arg.split_whitespace().map(String::from).collect();
                state.set_groups(&patterns)?;
            }
            Ok(if state.groups.is_empty() {
                "no log group chosen: `\\group NAME` (`\\groups` lists them)".into()
            } else {
                format!("groups: {}", state.groups.join(", "))
            })
        }
        "groups" => Ok(output::groups_table(&state.loupe.groups()?, state.width)),
        "since" => {
            if arg.is_empty() {
            } else if off(arg) {
                state.range = TimeRange::default();
            } else {
                state.range = TimeRange {
                    since_ms: Some(parse_duration(arg).map_err(CliError::Usage)?),
                    ..TimeRange::default()
                };
            }
            Ok(format!("time range: {}", state.range.describe()))
        }
        "start" | "end" => {
            let value = if arg.is_empty() {
                return Ok(format!("time range: {}", state.range.describe()));
            } else if off(arg) {
                None
            } else {
                Some(parse_time(arg).map_err(CliError::Usage)?)
            };
            state.range.since_ms = None;
            if name == "start" {
                state.range.start_ms = value;
            } else {
                state.range.end_ms = value;
            }
            Ok(format!("time range: {}", state.range.describe()))
        }
        "output" | "o" => {
            if !arg.is_empty() {
                state.output =
                    <OutputFormat as clap::ValueEnum>::from_str(arg, true).map_err(|_| {
                        CliError::Usage(format!(
                            "unknown output {arg:?}: table, json, csv or ndjson"
                        ))
                    })?;
            }
            Ok(format!("output: {}", state.output.name()))
        }
        "fields" => {
            if state.groups.is_empty() {
                return usage("no log group chosen: `\\group NAME` first");
            }
            state.refresh_fields();
            commands::fields_text(&state.loupe, &state.groups, &state.range, state.output)
        }
        "chart" => {
            if !arg.is_empty() {
                run_query(state, arg)?;
            }
            let Some(results) = &state.last else {
                return usage(
                    "nothing to chart yet: run a `stats count(*) by bin(5m)` query first",
                );
            };
            chart::chart(results, state.width.map_or(80, usize::from)).map_err(CliError::Usage)
        }
        "histogram" => {
            if state.groups.is_empty() {
                return usage("no log group chosen: `\\group NAME` first");
            }
            commands::histogram(
                &state.loupe,
                &state.groups,
                &state.range,
                state.progress,
                state.width,
            )
        }
        "fmt" => match loupe_lang::parse(arg) {
            Ok(query) => Ok(query.to_string()),
            Err(diagnostic) => Err(loupe_service::ServiceError::MalformedQuery {
                diagnostic,
                query: arg.into(),
            }
            .into()),
        },
        "sql" => {
            if state.groups.is_empty() {
                return usage("no log group chosen: `\\group NAME` first");
            }
            let (start_ms, end_ms) = state.range.resolve(state.loupe.now_ms());
            let request = StartQuery {
                query_string: arg.into(),
                log_group_names: state.groups.clone(),
                start_ms,
                end_ms,
            };
            let started = std::time::Instant::now();
            let results = state.loupe.sql(&request)?;
            Ok(show_results(state, &results, started.elapsed()))
        }
        "explain" => {
            let request = start_request(state, arg)?;
            let mut text = state.loupe.explain(&request)?;
            text.push('\n');
            Ok(text)
        }
        other => {
            let known: Vec<&str> = META.iter().map(|(n, _)| &n[1..]).collect();
            let close = known
                .iter()
                .find(|k| k.starts_with(other) || other.starts_with(**k))
                .map_or(String::new(), |k| format!("; did you mean \\{k}?"));
            usage(&format!(
                "unknown command \\{other}{close} (\\help lists them)"
            ))
        }
    }
}

/// Completion, multi-line validation; no hints or highlighting.
#[derive(Debug)]
pub struct LoupeHelper {
    fields: Arc<Mutex<Vec<String>>>,
    group_names: Vec<String>,
}

impl LoupeHelper {
    fn candidates(&self, line: &str, start: usize, word: &str) -> Vec<String> {
        let before = line[..start].trim_start();
        let mut out: Vec<String> = Vec::new();
        let mut offer = |c: &str| {
            if c.starts_with(word) && c != word && !out.iter().any(|o| o == c) {
                out.push(c.to_owned());
            }
        };
        if before.is_empty() && word.starts_with('\\') {
            META.iter().for_each(|(n, _)| offer(n));
        } else if before.starts_with("\\group") {
            self.group_names.iter().for_each(|g| offer(g));
        } else if before.starts_with("\\output") {
            ["table", "json", "csv", "ndjson"]
                .iter()
                .for_each(|f| offer(f));
        } else {
            let at_command =
                before.is_empty() || before.ends_with('|') || before.ends_with("\\chart");
            if at_command {
                COMMANDS.iter().for_each(|c| offer(c));
            } else {
                SYSTEM_FIELDS.iter().for_each(|f| offer(f));
                if let Ok(fields) = self.fields.lock() {
                    fields.iter().for_each(|f| offer(f));
                }
                loupe_lang::functions::all()
                    .iter()
                    .for_each(|f| offer(f.name));
                KEYWORDS.iter().for_each(|k| offer(k));
            }
        }
        out.sort();
        out
    }
}

impl Completer for LoupeHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let head = &line[..pos];
        let start = head
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_alphanumeric() || "_.@\\-/*".contains(*c)))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &head[start..];
        Ok((start, self.candidates(head, start, word)))
    }
}

impl Validator for LoupeHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(if is_complete(ctx.input()) {
            ValidationResult::Valid(None)
        } else {
            ValidationResult::Incomplete
        })
    }
}

impl Hinter for LoupeHelper {
    type Hint = String;
}

impl Highlighter for LoupeHelper {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        _default: bool,
    ) -> Cow<'b, str> {
        Cow::Borrowed(prompt)
    }
}

impl Helper for LoupeHelper {}

/// Where history lives: `$XDG_STATE_HOME/loupe/history` (`~/.local/state/loupe/history`),
/// else beside the store.
fn history_path(store: &Path) -> PathBuf {
    std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .map_or_else(
            || store.join("history"),
            |d| d.join("loupe").join("history"),
        )
}

/// Runs the interactive loop until `\quit` or Ctrl-D.
pub fn run(store: &Path, groups: &[String]) -> Result<(), CliError> {
    let loupe = commands::open(store)?;
    let mut state = State::new(loupe);
    state.color = output::stderr_color();
    state.width = output::stdout_width();
    state.timings = true;
    state.progress = run::progress_wanted();
    if !groups.is_empty() {
        state.set_groups(groups)?;
    }
    run::catch_interrupts();
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .max_history_size(10_000)
        .map_err(|e| CliError::Input(format!("line editor: {e}")))?
        .history_ignore_dups(true)
        .map_err(|e| CliError::Input(format!("line editor: {e}")))?
        .build();
    let mut editor: Editor<LoupeHelper, DefaultHistory> = Editor::with_config(config)
        .map_err(|e| CliError::Input(format!("cannot start the line editor: {e}")))?;
    let group_names = state.loupe.groups()?.into_iter().map(|g| g.name).collect();
    editor.set_helper(Some(LoupeHelper {
        fields: Arc::clone(&state.fields),
        group_names,
    }));
    let history = history_path(store);
    let _ = editor.load_history(&history);
    println!(
        "Loupe {} — Logs Insights over {}. \\help for help, Ctrl-D to leave.",
        env!("CARGO_PKG_VERSION"),
        store.display()
    );
    if state.groups.is_empty() {
        println!("Choose log groups with \\group NAME (\\groups lists them).");
    } else {
        println!("groups: {}", state.groups.join(", "));
    }
    loop {
        match editor.readline(&state.prompt()) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                let text = eval(&mut state, &line);
                print!("{text}");
                if state.quit {
                    break;
                }
            }
            // Ctrl-C at the prompt clears the line, as in a shell.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(CliError::Input(format!("reading input: {e}"))),
        }
    }
    if let Some(dir) = history.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = editor.save_history(&history);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_rules() {
        assert!(is_complete("fields @message"));
        assert!(!is_complete("fields @message |"));
        assert!(!is_complete("stats count(*) by bin(5m"));
        assert!(!is_complete("filter msg = \"a | b"));
        assert!(is_complete("filter msg = \"a | (b\""));
        assert!(is_complete("fields x # a comment with ( in it"));
        assert!(is_complete("\\help"));
    }
}
