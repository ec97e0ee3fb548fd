//! Helpers shared by the CLI's integration tests: running the real `loupe` binary.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `loupe --store STORE ARGS...` without colour and without standard input.
pub fn loupe(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loupe"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run loupe")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// Standard error, which must never hold a panic.
pub fn stderr(o: &Output) -> String {
    let err = String::from_utf8(o.stderr.clone()).unwrap();
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// Standard output of a run that must succeed.
pub fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}\n{}", stdout(o), stderr(o));
    stdout(o)
}
