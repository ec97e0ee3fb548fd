//! Golden REPL transcripts: `testdata/slt/cli/*.slt`, run through [`crate::repl::eval`].
//!
//! A file is a series of records: optional `#` comment lines, one or more input lines starting
//! with `> ` (joined as the REPL joins continued lines), then the expected output up to the
//! next input or a blank line followed by a comment. Each file starts a fresh REPL over a
//! store holding `testdata/sample/` (groups `app` and `auth`) at a fixed clock.
//! `LOUPE_UPDATE=1 cargo test -p loupe slt` rewrites the expected outputs.
//!
//! `testdata/slt/insights/*.slt` is the Insights golden suite in the same format, over a store
//! holding the fixtures of `testdata/slt/insights/data/` (see its README).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use loupe_service::{FixedClock, Format, Loupe};

use crate::repl::{State, eval, is_complete};

#[derive(Debug, Default)]
struct Record {
    comments: Vec<String>,
    input: Vec<String>,
    output: String,
}

fn parse(text: &str) -> Vec<Record> {
    let lines: Vec<&str> = text.lines().collect();
    let mut records = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let mut record = Record::default();
        while i < lines.len() && !lines[i].starts_with('>') {
            if lines[i].starts_with('#') {
                record.comments.push(lines[i].to_owned());
            }
            i += 1;
        }
        while i < lines.len() && lines[i].starts_with('>') {
            record.input.push(
                lines[i]
                    .strip_prefix("> ")
                    .unwrap_or(&lines[i][1..])
                    .to_owned(),
            );
            i += 1;
        }
        let mut output = Vec::new();
        while i < lines.len() && !lines[i].starts_with('>') {
            if lines[i].trim().is_empty() {
                let next = lines[i..].iter().find(|l| !l.trim().is_empty());
                if next.is_none_or(|l| l.starts_with('#') || l.starts_with('>')) {
                    break;
                }
            }
            output.push(lines[i]);
            i += 1;
        }
        record.output = normalize(&output.join("\n"));
        if !record.input.is_empty() {
            records.push(record);
        } else {
            assert!(
                record.comments.is_empty() || i >= lines.len(),
                "comments without input"
            );
        }
    }
    records
}

fn normalize(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_end().to_owned()
}

fn print(records: &[Record]) -> String {
    let mut out = String::new();
    for r in records {
        for c in &r.comments {
            out.push_str(c);
            out.push('\n');
        }
        for l in &r.input {
            out.push_str(format!("> {l}").trim_end());
            out.push('\n');
        }
        if !r.output.is_empty() {
            out.push_str(&r.output);
            out.push('\n');
        }
        out.push('\n');
    }
    out.trim_end().to_owned() + "\n"
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// 2026-11-02T00:00:00Z: a day after the samples begin.
const NOW_MS: i64 = 1_793_577_600_000;

fn sample_store(dir: &Path) -> Arc<Loupe> {
    let loupe = Loupe::with_clock(dir, Arc::new(FixedClock(NOW_MS))).unwrap();
    for (group, file) in [("app", "app.jsonl"), ("auth", "auth.log")] {
        let text = std::fs::read(testdata().join("sample").join(file)).unwrap();
        loupe.ingest_lines(group, file, &text[..]).unwrap();
    }
    Arc::new(loupe)
}

/// Runs every `*.slt` file of `dir` through a fresh REPL over `loupe`; with `LOUPE_UPDATE=1`
/// rewrites their expected outputs instead of failing.
fn run_transcripts(dir: &Path, loupe: &Arc<Loupe>) {
    let update = std::env::var_os("LOUPE_UPDATE").is_some_and(|v| v == "1");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no transcripts in {}", dir.display());
    let mut failures = Vec::new();
    let mut cases = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let mut records = parse(&text);
        let mut state = State::new(Arc::clone(loupe));
        for record in &mut records {
            let input = record.input.join("\n");
            assert!(
                is_complete(&input),
                "{}: input is not a complete query: {input}",
                file.display()
            );
            cases += 1;
            let got = normalize(&eval(&mut state, &input));
            if got != record.output {
                failures.push(format!(
                    "{}\n> {input}\n--- expected\n{}\n--- got\n{got}\n",
                    file.display(),
                    record.output
                ));
                record.output = got;
            }
        }
        if update {
            std::fs::write(file, print(&records)).unwrap();
        }
    }
    eprintln!(
        "{}: {cases} records in {} files",
        dir.display(),
        files.len()
    );
    if !update {
        assert!(
            failures.is_empty(),
            "{} mismatches (LOUPE_UPDATE=1 rewrites them):\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

#[test]
fn golden_transcripts() {
    let dir = tempfile::tempdir().unwrap();
    let loupe = sample_store(dir.path());
    run_transcripts(&testdata().join("slt/cli"), &loupe);
}

/// A store holding every fixture of `testdata/slt/insights/data/`, each file in the group named
/// by its stem (`app.jsonl` → `app`), read as `loupe ingest --format auto` reads it, at a fixed
/// clock, and the lookup tables of `testdata/slt/insights/lookups/`. Fixtures stamp their own
/// events, so results do not depend on the clock.
fn insights_store(dir: &Path) -> Arc<Loupe> {
    let loupe = Loupe::with_clock(dir, Arc::new(FixedClock(NOW_MS))).unwrap();
    let data = testdata().join("slt/insights/data");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        let stem = file.file_stem().unwrap().to_str().unwrap().to_owned();
        let name = file.file_name().unwrap().to_str().unwrap().to_owned();
        let text = std::fs::read(&file).unwrap();
        let report = loupe.ingest(&stem, &name, &text[..], Format::Auto).unwrap();
        assert_eq!(report.rejected, 0, "{name}: {:?}", report.rejections);
    }
    // Lookup tables: each CSV of `lookups/` under its stem (`users.csv` → `users`).
    for entry in std::fs::read_dir(testdata().join("slt/insights/lookups")).unwrap() {
        let file = entry.unwrap().path();
        let stem = file.file_stem().unwrap().to_str().unwrap().to_owned();
        loupe
            .add_lookup(&stem, &std::fs::read(&file).unwrap())
            .unwrap();
    }
    Arc::new(loupe)
}

/// The Insights golden suite (`testdata/slt/insights/README.md`).
#[test]
fn insights_transcripts() {
    let dir = tempfile::tempdir().unwrap();
    let loupe = insights_store(dir.path());
    run_transcripts(&testdata().join("slt/insights"), &loupe);
}

#[test]
fn transcript_format_round_trips() {
    let text = "# c\n> \\help\nline 1\n\n  indented\n\n# next\n> fields a |\n> limit 1\nout\n";
    let records = parse(text);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].output, "line 1\n\n  indented");
    assert_eq!(records[1].input, ["fields a |", "limit 1"]);
    assert_eq!(print(&records), text);
}
