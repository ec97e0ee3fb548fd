//! Drives the real `loupe` binary: ingest, query (table and JSON), restart, and the errors a
//! user meets first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{loupe, stderr, stdout};
use std::path::Path;

/// A deterministic log of `n` lines; every 7th is an ERROR.
fn write_log(path: &Path, n: usize) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    let mut text = String::new();
    let mut seed = 42u64;
    for i in 0..n {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let ts = format!(
            "2026-11-01T{:02}:{:02}:{:02}.{:03}Z",
            i / 3600 % 24,
            i / 60 % 60,
            i % 60,
            seed >> 54
        );
        let level = if i % 7 == 3 { "ERROR" } else { "INFO" };
        let msg = format!("{level} worker={} job {i} done", seed % 13);
        text.push_str(&format!("{ts} {msg}\n"));
        lines.push((ts, msg));
    }
    std::fs::write(path, text).unwrap();
    lines
}

#[test]
fn ingest_then_query_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let log = dir.path().join("app.log");
    let lines = write_log(&log, 3000);

    let out = loupe(&store, &["ingest", "--group", "app", log.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("3000 events accepted"),
        "{}",
        stdout(&out)
    );

    // The expected five rows, computed independently of Loupe.
    let mut errors: Vec<&(String, String)> =
        lines.iter().filter(|(_, m)| m.contains("ERROR")).collect();
    errors.sort_by(|a, b| b.0.cmp(&a.0));
    let want: Vec<(String, String)> = errors[..5]
        .iter()
        .map(|(ts, m)| {
            (
                ts.replace('T', " ").trim_end_matches('Z').to_owned(),
                m.clone(),
            )
        })
        .collect();

    let query = "fields @timestamp, @message | filter @message like /ERROR/ | sort @timestamp desc | limit 5";
    let json_once = {
        let out = loupe(
            &store,
            &["query", "--group", "app", "--output", "json", query],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let parsed: serde_json::Value = serde_json::from_str(&json_once).unwrap();
    assert_eq!(parsed["status"], "Complete");
    let rows = parsed["results"].as_array().unwrap();
    let got: Vec<(String, String)> = rows
        .iter()
        .map(|row| {
            assert_eq!(row[0]["field"], "@timestamp");
            assert_eq!(row[1]["field"], "@message");
            (
                row[0]["value"].as_str().unwrap().into(),
                row[1]["value"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(got, want);
    let matched = lines.iter().filter(|(_, m)| m.contains("ERROR")).count() as f64;
    assert_eq!(
        parsed["statistics"]["recordsMatched"].as_f64(),
        Some(matched)
    );
    assert_eq!(
        parsed["statistics"]["recordsScanned"].as_f64(),
        Some(3000.0)
    );

    // The table shows the same rows.
    let out = loupe(&store, &["query", "--group", "app", query]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = stdout(&out);
    for (ts, msg) in &want {
        assert!(table.contains(ts) && table.contains(msg), "{table}");
    }

    // A new process over the same store gives the same answer.
    let out = loupe(
        &store,
        &["query", "--group", "app", "--output", "json", query],
    );
    assert_eq!(stdout(&out), json_once);

    let out = loupe(&store, &["groups", "--output", "json"]);
    let groups: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(groups["logGroups"][0]["logGroupName"], "app");
    assert_eq!(groups["logGroups"][0]["eventCount"], 3000);
}

#[test]
fn mistakes_give_one_clear_error_and_a_nonzero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let log = dir.path().join("a.log");
    write_log(&log, 10);
    assert!(
        loupe(&store, &["ingest", "--group", "app", log.to_str().unwrap()])
            .status
            .success()
    );

    let out = loupe(&store, &["query", "--group", "app", "filter @message like"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("error: ") && err.contains('^'), "{err}");
    assert!(stdout(&out).is_empty());

    let out = loupe(&store, &["query", "--group", "missing", "limit 1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("ResourceNotFoundException"),
        "{}",
        stderr(&out)
    );

    let missing = dir.path().join("does-not-exist.log");
    let out = loupe(
        &store,
        &[
            "ingest",
            "--group",
            "app",
            log.to_str().unwrap(),
            missing.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("does-not-exist.log"),
        "{}",
        stderr(&out)
    );
    // Nothing was ingested from the readable file either.
    let groups = stdout(&loupe(&store, &["groups", "--output", "json"]));
    assert!(groups.contains("\"eventCount\":10"), "{groups}");

    let out = loupe(
        &store,
        &["query", "--group", "app", "--since", "forever", "limit 1"],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn fmt_prints_canonical_text_or_the_error_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let out = loupe(dir.path(), &["fmt", "FIELDS @message|FILTER x>1"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out).trim(), "fields @message | filter x > 1");

    let out = loupe(dir.path(), &["fmt", "--output", "json", "filter x >"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["error"]["startCharOffset"], 10);
}

#[test]
fn demo_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let out = loupe(dir.path(), &["demo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("ingested 400 events"), "{text}");
    assert!(
        text.contains("Timeout") && text.contains("Failed password for root"),
        "{text}"
    );
}

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/sample")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn groups_streams_fields_retention_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    for (group, file) in [("demo/app", "app.jsonl"), ("demo/auth", "auth.log")] {
        let out = loupe(&store, &["ingest", "--group", group, &sample(file)]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let out = loupe(&store, &["groups", "create", "empty"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = loupe(&store, &["groups", "create", "empty"]);
    assert!(stderr(&out).contains("ResourceAlreadyExistsException"));

    // A glob selects both demo groups; a glob matching nothing is a usage error.
    let out = loupe(
        &store,
        &[
            "query",
            "--group",
            "demo/*",
            "-o",
            "csv",
            "stats count(*) as n by @logStream | sort n desc",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "@logStream,n\r\napp.jsonl,400\r\nauth.log,300\r\n"
    );
    let out = loupe(&store, &["query", "--group", "nope/*", "limit 1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no log group matches"),
        "{}",
        stderr(&out)
    );

    let out = loupe(
        &store,
        &[
            "query",
            "-g",
            "demo/app",
            "-o",
            "ndjson",
            "fields service | limit 2",
        ],
    );
    assert_eq!(stdout(&out).lines().count(), 2);
    assert!(
        stdout(&out).starts_with("{\"service\":"),
        "{}",
        stdout(&out)
    );

    let out = loupe(&store, &["fields", "--group", "demo/app", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["logGroupFields"][0]["percent"], 100);

    let out = loupe(&store, &["streams", "--group", "demo/auth", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["logStreams"][0]["logStreamName"], "auth.log");
    assert_eq!(v["logStreams"][0]["eventCount"], 300);

    let out = loupe(
        &store,
        &[
            "query",
            "-g",
            "demo/app",
            "--chart",
            "stats count(*) by bin(1h)",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("2026-11-01 01:00 │"),
        "{}",
        stdout(&out)
    );

    assert!(
        loupe(&store, &["retention", "set", "-g", "demo/app", "30"])
            .status
            .success()
    );
    let out = loupe(&store, &["retention", "set", "-g", "demo/app", "31"]);
    assert!(
        stderr(&out).contains("InvalidParameterException"),
        "{}",
        stderr(&out)
    );
    let groups = stdout(&loupe(&store, &["groups", "-o", "json"]));
    assert!(groups.contains("\"retentionInDays\":30"), "{groups}");

    // `compact` recompresses both groups once; queries answer the same afterwards.
    let all = [
        "query",
        "-g",
        "demo/*",
        "-o",
        "json",
        "fields @timestamp, @message, @logStream",
    ];
    let before = stdout(&loupe(&store, &all));
    let out = loupe(&store, &["compact", "-g", "demo/*"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("demo/app: 1 segment recompressed") && text.contains("demo/auth: "),
        "{text}"
    );
    assert_eq!(stdout(&loupe(&store, &all)), before);
    let again = stdout(&loupe(&store, &["compact", "-g", "demo/app"]));
    assert!(again.contains("nothing to recompress"), "{again}");

    let out = loupe(&store, &["groups", "delete", "demo/auth"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        loupe(&store, &["groups", "delete", "demo/auth", "--yes"])
            .status
            .success()
    );
    assert!(!stdout(&loupe(&store, &["groups"])).contains("demo/auth"));

    let out = loupe(&store, &["record", "abc"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not a log record pointer"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn record_fetches_the_event_a_query_pointer_names() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let log = dir.path().join("app.log");
    std::fs::write(
        &log,
        "2026-11-01T00:00:00.000Z {\"level\":\"INFO\",\"n\":1}\n\
         2026-11-01T00:00:01.000Z {\"level\":\"ERROR\",\"n\":2}\n",
    )
    .unwrap();
    let ingest = loupe(
        &store,
        &[
            "ingest",
            "--group",
            "app",
            "--format",
            "export",
            log.to_str().unwrap(),
        ],
    );
    assert!(ingest.status.success(), "{}", stderr(&ingest));
    let out = loupe(
        &store,
        &[
            "query",
            "--group",
            "app",
            "--output",
            "csv",
            "filter level = \"ERROR\" | fields @ptr",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let ptr = text.lines().nth(1).unwrap().trim();
    let out = loupe(&store, &["record", ptr, "--output", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["logRecord"]["level"], "ERROR");
    assert_eq!(json["logRecord"]["n"], "2");
    assert_eq!(json["logRecord"]["@logStream"], "app.log");
    assert_eq!(
        json["logRecord"]["@message"],
        "{\"level\":\"ERROR\",\"n\":2}"
    );
}

#[test]
fn source_queries_need_no_group_and_columns_keep_the_query_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let log = dir.path().join("auth.log");
    std::fs::write(
        &log,
        "2026-11-01T00:00:00.000Z Connection closed by 10.0.0.9 port 1\n\
         2026-11-01T00:00:01.000Z Failed password for root from 10.0.0.1 port 22 ssh2\n",
    )
    .unwrap();
    assert!(
        loupe(
            &store,
            &["ingest", "--group", "auth", log.to_str().unwrap()]
        )
        .status
        .success()
    );
    let out = loupe(
        &store,
        &[
            "query",
            "--output",
            "csv",
            "SOURCE logGroups() | stats count(*) by @logGroup",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).replace("\r\n", "\n"),
        "@logGroup,count(*)\nauth,2\n"
    );
    // The first row lacks `ip`; the header still follows the query's order.
    let q = r#"parse @message "from * port" as ip | stats count(*) by ip | sort count(*) desc"#;
    let out = loupe(&store, &["query", "--group", "auth", "--output", "csv", q]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("ip,count(*)"), "{}", stdout(&out));
}

/// `query --repeat N` runs the query N more times in the process, timing each run on standard
/// error, and prints the results once.
#[test]
fn repeat_times_each_run_and_prints_the_results_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let log = dir.path().join("app.log");
    let lines = write_log(&log, 200);
    let out = loupe(&store, &["ingest", "--group", "app", log.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let errors = lines.iter().filter(|(_, m)| m.contains("ERROR")).count();
    let q = r#"filter @message like "ERROR" | stats count(*) as n"#;
    let args = [
        "query", "--group", "app", "--output", "csv", "--repeat", "2", q,
    ];
    let out = loupe(&store, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("n\r\n{errors}\r\n"));
    let runs: Vec<String> = stderr(&out)
        .lines()
        .filter(|l| l.starts_with("loupe: run ") && l.ends_with(" ms"))
        .map(|l| l.split(" took ").next().unwrap().to_owned())
        .collect();
    assert_eq!(runs, ["loupe: run 1", "loupe: run 2", "loupe: run 3"]);
}
