//! Insights semantics end to end: events into a store, a query through the engine, and the
//! rendered rows out. Each test pins one rule of spec §4/§6.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use loupe_engine::{QueryRequest, run_query};
use loupe_store::{Event, Store};

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
}

/// A store with group `g` holding `messages`, one second apart from 2026-11-01T00:00:00Z.
fn fixture(messages: &[&str]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.create_group("g", 0).unwrap();
    store.create_stream("g", "s", 0).unwrap();
    let events: Vec<Event> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| Event {
            timestamp: 1_793_491_200_000 + i as i64 * 1000,
            ingestion_time: 1_793_491_300_000,
            message: (*m).into(),
        })
        .collect();
    store.append("g", "s", &events).unwrap();
    Fixture { _dir: dir, store }
}

fn run(f: &Fixture, query: &str) -> Vec<Vec<(String, String)>> {
    let query = loupe_lang::parse(query).unwrap();
    let request = QueryRequest {
        groups: vec!["g".into()],
        ..Default::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let out = runtime
        .block_on(run_query(&f.store, &query, &request))
        .unwrap();
    out.rows
        .into_iter()
        .map(|row| row.into_iter().map(|c| (c.field, c.value)).collect())
        .collect()
}

/// The values of one field across the result rows (rows without it are skipped).
fn column(rows: &[Vec<(String, String)>], field: &str) -> Vec<String> {
    rows.iter()
        .filter_map(|r| r.iter().find(|(f, _)| f == field).map(|(_, v)| v.clone()))
        .collect()
}

fn error(f: &Fixture, query: &str) -> String {
    let query = loupe_lang::parse(query).unwrap();
    let request = QueryRequest {
        groups: vec!["g".into()],
        ..Default::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime
        .block_on(run_query(&f.store, &query, &request))
        .unwrap_err()
        .to_string()
}

#[test]
fn default_output_is_timestamp_and_message_newest_first() {
    let f = fixture(&["first", "second", "third"]);
    let rows = run(&f, "limit 2");
    assert_eq!(
        rows,
        vec![
            vec![
                ("@timestamp".into(), "2026-11-01 00:00:02.000".into()),
                ("@message".into(), "third".into())
            ],
            vec![
                ("@timestamp".into(), "2026-11-01 00:00:01.000".into()),
                ("@message".into(), "second".into())
            ],
        ]
    );
}

#[test]
fn text_fields_compare_leniently_with_numbers() {
    let f = fixture(&[
        r#"{"status":"500"}"#,
        r#"{"status":404}"#,
        r#"{"status":"abc"}"#,
        r#"{"other":1}"#,
        r#"{"status":200}"#,
    ]);
    let got = column(
        &run(&f, "fields status | filter status >= 400 | sort status asc"),
        "status",
    );
    assert_eq!(got, ["404", "500"]);
    // `=` against a number literal is numeric, so "500" equals 500.
    assert_eq!(
        column(&run(&f, "fields status | filter status = 500"), "status"),
        ["500"]
    );
    // String comparison stays textual.
    assert_eq!(
        column(
            &run(&f, r#"fields status | filter status = "abc""#),
            "status"
        ),
        ["abc"]
    );
}

#[test]
fn comparisons_with_missing_fields_are_false_and_not_inverts_them() {
    let f = fixture(&[r#"{"x":"a"}"#, r#"{"x":"b"}"#, r#"{"y":"c"}"#]);
    let rows = run(&f, r#"fields x, y | filter x != "a" | sort @timestamp asc"#);
    assert_eq!(column(&rows, "x"), ["b"]);
    let rows = run(
        &f,
        r#"fields x, y | filter not x = "a" | sort @timestamp asc"#,
    );
    assert_eq!(
        (column(&rows, "x"), column(&rows, "y")),
        (vec!["b".into()], vec!["c".into()])
    );
}

#[test]
fn missing_fields_are_left_out_of_the_row() {
    let f = fixture(&[r#"{"a":"1","b":"2"}"#, r#"{"a":"3"}"#]);
    let rows = run(&f, "fields a, b, nowhere | sort @timestamp asc");
    assert_eq!(
        rows[0],
        vec![("a".into(), "1".into()), ("b".into(), "2".into())]
    );
    assert_eq!(rows[1], vec![("a".into(), "3".into())]);
}

#[test]
fn like_is_a_case_sensitive_substring_and_regex_search() {
    let f = fixture(&["Error: disk", "error: net", "all good", "E"]);
    let msgs = |q| column(&run(&f, q), "@message");
    assert_eq!(
        msgs(r#"filter @message like "rror:" | sort @timestamp asc"#),
        ["Error: disk", "error: net"]
    );
    assert_eq!(msgs(r#"filter @message like "Error""#), ["Error: disk"]);
    assert_eq!(
        msgs("filter @message like /(?i)^error/ | sort @timestamp asc"),
        ["Error: disk", "error: net"]
    );
    assert_eq!(
        msgs("filter @message =~ /disk|net/ | sort @timestamp asc"),
        ["Error: disk", "error: net"]
    );
    // `/E*/` matches the empty string, so every event.
    assert_eq!(msgs("filter @message like /E*/").len(), 4);
    assert_eq!(
        msgs(r#"filter @message not like "rror" | sort @timestamp asc"#),
        ["all good", "E"]
    );
}

#[test]
fn in_is_whole_value_membership_with_numeric_items() {
    let f = fixture(&[
        r#"{"code":"300"}"#,
        r#"{"code":"301"}"#,
        r#"{"code":"ok"}"#,
        r#"{"code":"500"}"#,
    ]);
    let codes = |q| column(&run(&f, q), "code");
    assert_eq!(
        codes("fields code | filter code in [300, 500] | sort @timestamp asc"),
        ["300", "500"]
    );
    assert_eq!(
        codes(r#"fields code | filter code in ["ok", 301] | sort @timestamp asc"#),
        ["301", "ok"]
    );
    assert_eq!(
        codes("fields code | filter code not in [300, 500] | sort @timestamp asc"),
        ["301", "ok"]
    );
}

#[test]
fn sort_uses_the_insights_natural_order() {
    let f = fixture(&[
        r#"{"v":"10"}"#,
        r#"{"v":"9.5"}"#,
        r#"{"v":"b2"}"#,
        r#"{"v":"b10"}"#,
        r#"{"v":"A"}"#,
        r#"{"other":true}"#,
    ]);
    let asc = column(&run(&f, "fields v | sort v asc"), "v");
    assert_eq!(asc, ["A", "b2", "b10", "9.5", "10"]);
    let rows = run(&f, "fields v | sort v desc");
    assert_eq!(column(&rows, "v"), ["10", "9.5", "b10", "b2", "A"]);
    // The row without `v` sorts last.
    assert!(rows[5].is_empty());
}

#[test]
fn fields_compute_named_columns_and_arithmetic_is_lenient() {
    let f = fixture(&[r#"{"a":"6","b":4}"#, r#"{"a":"x","b":1}"#]);
    let rows = run(
        &f,
        "fields a * b as product, a / b, a % b, 2 ^ 3 as eight | sort @timestamp asc",
    );
    assert_eq!(
        rows[0],
        vec![
            ("product".into(), "24".into()),
            ("a / b".into(), "1.5".into()),
            ("a % b".into(), "2".into()),
            ("eight".into(), "8".into()),
        ]
    );
    // "x" is not a number: the arithmetic is missing, not an error.
    assert_eq!(rows[1], vec![("eight".into(), "8".into())]);
}

#[test]
fn booleans_render_as_one_and_zero() {
    let f = fixture(&[r#"{"n":3}"#]);
    let rows = run(&f, "fields n > 2 as big, n < 2 as small");
    assert_eq!(
        rows[0],
        vec![("big".into(), "1".into()), ("small".into(), "0".into())]
    );
}

#[test]
fn display_restricts_and_the_last_display_wins() {
    let f = fixture(&[r#"{"a":"1","b":"2","c":"3"}"#]);
    let rows = run(&f, "fields a, b | display a, c | display b");
    assert_eq!(rows[0], vec![("b".into(), "2".into())]);
    let rows = run(&f, "fields a | fields c");
    assert_eq!(
        rows[0],
        vec![("a".into(), "1".into()), ("c".into(), "3".into())]
    );
}

#[test]
fn out_of_range_limits_and_unsupported_pieces_are_diagnostics() {
    let f = fixture(&["x"]);
    assert!(error(&f, "limit 100001").contains("between 1 and 100000"));
    assert!(error(&f, "fields nosuchfunction(@message)").contains("not supported yet"));
}
