//! Drives the real `loupe repl` through a pseudo-terminal: completion, multi-line input,
//! Ctrl-C at the prompt, Ctrl-D to leave, and the history file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use rexpect::session::spawn_command;

/// Generous: the pty test checks behaviour, never speed.
const TIMEOUT_MS: Option<u64> = Some(60_000);

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/sample")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn repl_completes_continues_lines_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let state = dir.path().join("state");
    let ingest = Command::new(env!("CARGO_BIN_EXE_loupe"))
        .arg("--store")
        .arg(&store)
        .args(["ingest", "--group", "app", &sample("app.jsonl")])
        .output()
        .unwrap();
    assert!(ingest.status.success());

    let mut command = Command::new(env!("CARGO_BIN_EXE_loupe"));
    command
        .arg("--store")
        .arg(&store)
        .args(["repl", "--group", "app"])
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "120")
        .env("XDG_STATE_HOME", &state);
    let mut repl = spawn_command(command, TIMEOUT_MS).unwrap();
    repl.exp_string("app> ").unwrap();

    // A discovered field completes from its unique prefix.
    repl.send("fields @timestamp, http.st\t").unwrap();
    repl.flush().unwrap();
    repl.exp_string("http.status").unwrap();
    // A line ending in `|` continues; the query runs once it is complete.
    repl.send(" |\r").unwrap();
    repl.send("sort @timestamp asc | limit 2\r").unwrap();
    repl.flush().unwrap();
    // (rexpect reads bytes as Latin-1: needles stay ASCII.)
    repl.exp_string("400 of 400 records matched").unwrap();
    repl.exp_string("app> ").unwrap();

    // Meta commands complete too; Ctrl-C drops the line being typed and keeps the REPL.
    repl.send("\\hel\t").unwrap();
    repl.flush().unwrap();
    repl.exp_string("\\help").unwrap();
    repl.send_control('c').unwrap();
    // Wait for the fresh prompt: input typed while the editor is between lines is discarded.
    repl.exp_string("app> ").unwrap();
    repl.send("\\fields\r").unwrap();
    repl.flush().unwrap();
    repl.exp_string("error.type").unwrap();
    repl.exp_string("app> ").unwrap();

    // Errors show carets under the query.
    repl.send("limt 3\r").unwrap();
    repl.flush().unwrap();
    repl.exp_string("^^^^").unwrap();
    repl.exp_string("app> ").unwrap();

    // Ctrl-D leaves with success and saves the history.
    repl.send_control('d').unwrap();
    repl.exp_eof().unwrap();
    let status = repl.process_mut().wait().unwrap();
    assert!(
        format!("{status:?}").starts_with("Exited(") && format!("{status:?}").ends_with(", 0)"),
        "{status:?}"
    );
    let history = std::fs::read_to_string(state.join("loupe/history")).unwrap();
    assert!(history.contains("limit 2"), "{history}");
    assert!(history.contains("limt 3"), "{history}");
}
