//! The corpus conformance sweep: real Logs Insights queries (AWS documentation samples,
//! runbooks) over real logs of the shared corpus, run through the `loupe` binary, each
//! compared with an answer computed independently by `testdata/conformance/reference.py` in
//! plain Python from the raw files (never from Loupe's output) and kept in
//! `testdata/conformance/expected.jsonl`.
//!
//! Rows must match exactly, values and column order, except that two fractional numbers
//! (both with a `.` or an exponent) agree within a relative 1e-9: their last digits depend on
//! the order of floating-point operations. Where a case's order is not part of its answer
//! (`"ordered": false`) rows are compared as a multiset. `@ptr` is left out (it is opaque).
//!
//! The corpus (`../shared/corpus` beside the repository) is not part of the repository: when it
//! is absent the test says so loudly and passes. After changing the reference script,
//! regenerate with `python3 testdata/conformance/reference.py > testdata/conformance/expected.jsonl`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::loupe;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// GetQueryResults rows as objects of strings, `@ptr` left out, fields in result order.
fn rows(json: &Value) -> Vec<Row> {
    json["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .filter(|f| f["field"] != "@ptr")
                .map(|f| {
                    (
                        f["field"].as_str().unwrap().to_owned(),
                        f["value"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .collect()
}

fn expected_rows(rows: &Value) -> Vec<Row> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let r: &Map<String, Value> = r.as_object().unwrap();
            r.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect()
        })
        .collect()
}

type Row = Vec<(String, String)>;

fn same_value(a: &str, b: &str) -> bool {
    let fractional = |s: &str| s.contains(['.', 'e', 'E']);
    if a == b {
        return true;
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) if fractional(a) && fractional(b) => {
            (x - y).abs() <= 1e-9 * x.abs().max(y.abs())
        }
        _ => false,
    }
}

fn same_rows(got: &[Row], want: &[Row]) -> bool {
    got.len() == want.len()
        && got.iter().zip(want).all(|(g, w)| {
            g.len() == w.len()
                && g.iter()
                    .zip(w)
                    .all(|((gk, gv), (wk, wv))| gk == wk && same_value(gv, wv))
        })
}

#[test]
fn corpus_queries_match_independent_answers() {
    let corpus = repo().join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!(
            "\n*** SKIPPED: the shared corpus is not at {}; the conformance sweep did not run ***\n",
            corpus.display()
        );
        return;
    }
    let expected =
        std::fs::read_to_string(repo().join("testdata/conformance/expected.jsonl")).unwrap();
    let lines: Vec<Value> = expected
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    for group in lines.iter().filter(|l| l.get("file").is_some()) {
        let name = group["group"].as_str().unwrap();
        let file = corpus.join(group["file"].as_str().unwrap());
        let mut args = vec!["ingest", "--group", name, "--format", "auto"];
        args.extend(
            group["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap()),
        );
        let file = file.to_str().unwrap().to_owned();
        args.push(&file);
        let out = loupe(&store, &args);
        assert!(
            out.status.success(),
            "ingest {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut failures = Vec::new();
    let mut cases = 0;
    for case in lines.iter().filter(|l| l.get("query").is_some()) {
        cases += 1;
        let group = case["group"].as_str().unwrap();
        let query = case["query"].as_str().unwrap();
        let out = loupe(
            &store,
            &["query", "--group", group, "--output", "json", query],
        );
        if !out.status.success() {
            failures.push(format!(
                "[{group}] {query}\n  error: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut got = rows(&json);
        let mut want = expected_rows(&case["rows"]);
        if case["ordered"] == false {
            got.sort();
            want.sort();
        }
        if !same_rows(&got, &want) {
            failures.push(format!(
                "[{group}] {query}\n  loupe:    {got:?}\n  expected: {want:?}"
            ));
        }
    }
    assert!(cases >= 50, "only {cases} cases in expected.jsonl");
    assert!(
        failures.is_empty(),
        "{} of {cases} conformance cases differ:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
