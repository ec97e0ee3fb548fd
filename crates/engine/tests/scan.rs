//! The streaming store scan under the engine: projection and filters pushed into it, late
//! materialisation, parallel partitions, pruning, and statistics that do not depend on any of
//! those. The data spans sealed segments (several blocks) and an unsealed WAL tail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Fixture, runtime};
use loupe_engine::{QueryOutput, QueryRequest, explain_query, run_query};
use loupe_store::{EVENT_OVERHEAD_BYTES, Event};

const EVENTS: i64 = 20_000;
const T0: i64 = 1_793_491_200_000;

fn message(i: i64) -> String {
    let level = if i % 97 == 0 { "ERROR" } else { "INFO" };
    let needle = if i == 12_345 { " qx7needle" } else { "" };
    format!(
        r#"{{"k":{},"level":"{level}","n":{i},"svc":"s{}","text":"request {i} done{needle}"}}"#,
        i % 7,
        i % 5
    )
}

fn fixture() -> Fixture {
    let events: Vec<Event> = (0..EVENTS)
        .map(|i| Event {
            timestamp: T0 + i * 1000,
            ingestion_time: T0 + EVENTS * 1000,
            message: message(i),
        })
        .collect();
    common::sealed_and_tail(1000, events, 16)
}

fn request() -> QueryRequest {
    QueryRequest {
        groups: vec!["g".into()],
        now_ms: T0 + EVENTS * 1000,
        ..Default::default()
    }
}

fn run(f: &Fixture, query: &str) -> QueryOutput {
    let query = loupe_lang::parse(query).unwrap();
    runtime()
        .block_on(run_query(&f.store, &query, &request()))
        .unwrap()
}

fn explain(f: &Fixture, query: &str) -> String {
    let query = loupe_lang::parse(query).unwrap();
    runtime()
        .block_on(explain_query(&f.store, &query, &request()))
        .unwrap()
}

fn all_bytes() -> u64 {
    (0..EVENTS)
        .map(|i| message(i).len() as u64 + EVENT_OVERHEAD_BYTES)
        .sum()
}

fn values(out: &QueryOutput, field: &str) -> Vec<String> {
    out.rows
        .iter()
        .filter_map(|r| r.iter().find(|c| c.field == field).map(|c| c.value.clone()))
        .collect()
}

#[test]
fn a_filtered_count_reads_only_the_filter_column_and_counts_everything() {
    let f = fixture();
    let q = r#"filter level = "ERROR" | stats count(*) as errors"#;
    let plan = explain(&f, q);
    let scan = plan
        .lines()
        .find(|l| l.contains("StoreScanExec"))
        .unwrap_or_else(|| panic!("no store scan in:\n{plan}"));
    // The scan evaluates the filter on `level` and returns no column at all: `count(*)`
    // needs only the rows.
    assert!(scan.contains("projection=[]"), "{scan}");
    assert!(scan.contains("filter=level@0 = ERROR"), "{scan}");
    assert!(!plan.contains("FilterExec"), "{plan}");

    let out = run(&f, q);
    let errors = (0..EVENTS).filter(|i| i % 97 == 0).count();
    assert_eq!(values(&out, "errors"), [errors.to_string()]);
    assert_eq!(out.statistics.records_scanned, EVENTS as u64);
    assert_eq!(out.statistics.bytes_scanned, all_bytes());
    assert_eq!(out.statistics.records_matched, errors as u64);
}

#[test]
fn late_materialised_messages_are_the_right_ones() {
    let f = fixture();
    // The scan reads `n` and row ids; messages and pointers are fetched after the sort and
    // limit, for the rows returned.
    let plan = explain(&f, "filter n >= 19990 or n < 3");
    let scan = plan.lines().find(|l| l.contains("StoreScanExec")).unwrap();
    assert!(!scan.contains("@message"), "{plan}");
    assert!(plan.contains("__loupe_fetch_message"), "{plan}");
    assert!(plan.contains("__loupe_fetch_ptr"), "{plan}");
    // A query that filters on @message reads it in the scan.
    let plan = explain(&f, r#"filter @message like "done" | limit 1"#);
    assert!(!plan.contains("__loupe_fetch_message"), "{plan}");
    let out = run(&f, "filter n >= 19990 or n < 3");
    let want: Vec<String> = (19_990..EVENTS)
        .rev()
        .chain((0..3).rev())
        .map(message)
        .collect();
    assert_eq!(values(&out, "@message"), want);
    // The pointers fetched late are the ones the scan computes.
    let eager = run(
        &f,
        "filter n >= 19990 or n < 3 | fields @ptr, @message | filter @message like \"request\"",
    );
    assert_eq!(values(&out, "@ptr"), values(&eager, "@ptr"));
    assert_eq!(out.statistics.records_scanned, EVENTS as u64);
    assert_eq!(out.statistics.bytes_scanned, all_bytes());
    assert_eq!(out.statistics.records_matched, 13);
}

#[test]
fn a_rare_needle_skips_blocks_by_the_token_filter() {
    let f = fixture();
    let q = r#"filter @message like "qx7needle" | fields n"#;
    let plan = explain(&f, q);
    // 16 blocks of 1,000 sealed events; the needle is in one of them.
    assert!(
        plan.contains("blocks: 1 to read of 16; pruned 0 by time range, 0 by stream, 0 by field statistics, 15 by the @message token filter"),
        "{plan}"
    );
    let out = run(&f, q);
    assert_eq!(values(&out, "n"), ["12345"]);
}

#[test]
fn grouped_answers_do_not_depend_on_partitioning() {
    let f = fixture();
    let out = run(&f, "stats count(*) as c, sum(n) as s by svc | sort svc asc");
    let mut want = Vec::new();
    for k in 0..5 {
        let rows: Vec<i64> = (0..EVENTS).filter(|i| i % 5 == k).collect();
        want.push(vec![
            format!("s{k}"),
            rows.len().to_string(),
            rows.iter().sum::<i64>().to_string(),
        ]);
    }
    let got: Vec<Vec<String>> = out
        .rows
        .iter()
        .map(|r| r.iter().map(|c| c.value.clone()).collect())
        .collect();
    assert_eq!(got, want);
    assert_eq!(out.statistics.records_scanned, EVENTS as u64);
}

#[test]
fn an_early_stop_still_reports_the_whole_range() {
    let f = fixture();
    let out = run(&f, "fields n | limit 3");
    assert_eq!(values(&out, "n"), ["19999", "19998", "19997"]);
    assert_eq!(out.statistics.records_scanned, EVENTS as u64);
    assert_eq!(out.statistics.bytes_scanned, all_bytes());
    assert_eq!(out.statistics.records_matched, EVENTS as u64);
}

#[test]
fn progress_counters_end_equal_to_the_statistics() {
    let f = fixture();
    let progress = std::sync::Arc::new(loupe_engine::scan::ScanCounters::default());
    let request = QueryRequest {
        progress: Some(std::sync::Arc::clone(&progress)),
        ..request()
    };
    let query = loupe_lang::parse("filter n > 100 | stats count(*)").unwrap();
    let out = runtime()
        .block_on(run_query(&f.store, &query, &request))
        .unwrap();
    assert_eq!(progress.records_scanned(), out.statistics.records_scanned);
    assert_eq!(progress.bytes_scanned(), out.statistics.bytes_scanned);
    assert_eq!(progress.records_scanned(), EVENTS as u64);
}

/// `@message like "text"` is answered by the scan itself (no filter above it), and gives the
/// same rows, order and statistics as a filter the scan only pre-screens.
#[test]
fn message_substrings_are_answered_by_the_scan_exactly() {
    let f = fixture();
    let plan = explain(&f, r#"filter @message like "done" | stats count(*)"#);
    assert!(plan.contains(r#"@message holds ["done"]"#), "{plan}");
    assert!(!plan.contains("FilterExec"), "{plan}");
    for needle in [
        "qx7needle",
        "request 12",
        "1\",\"svc",
        "\"n\":19",
        "s3\",\"text\":\"request 1",
        "done\"}",
        "absent",
    ] {
        let want = (0..EVENTS).filter(|&i| message(i).contains(needle)).count();
        // `or` with a filter that holds for nothing keeps the scan from taking it over.
        let screened = format!(r#"filter @message like '{needle}' or n < -1"#);
        for (exact, twin) in [
            (
                format!(r#"filter @message like '{needle}' | stats count(*) as c"#),
                format!("{screened} | stats count(*) as c"),
            ),
            (
                format!(r#"filter @message like '{needle}' | fields n | limit 5"#),
                format!("{screened} | fields n | limit 5"),
            ),
            (
                format!(r#"filter @message like '{needle}' and n % 2 = 0 | sort n | fields n"#),
                format!("{screened} | filter n % 2 = 0 | sort n | fields n"),
            ),
        ] {
            let (a, b) = (run(&f, &exact), run(&f, &twin));
            assert_eq!(a.rows, b.rows, "{exact}");
            assert_eq!(a.statistics, b.statistics, "{exact}");
        }
        let out = run(
            &f,
            &format!(r#"filter @message like '{needle}' | stats count(*) as c"#),
        );
        assert_eq!(values(&out, "c"), [want.to_string()], "{needle}");
        assert_eq!(out.statistics.records_matched, want as u64, "{needle}");
    }
}

/// A filtered query that needs only its newest (or oldest) rows stops reading once it has
/// them, and still reports every matching event: the same rows, order and statistics as a
/// twin that reads everything (a second sort key keeps the scan from stopping early).
#[test]
fn filtered_early_stops_keep_rows_and_statistics() {
    let f = fixture();
    let plan = explain(&f, "filter n % 97 = 0 | sort @timestamp desc | limit 7");
    assert!(!plan.contains("FilterExec"), "{plan}");
    for (filter, matching) in [
        (
            r#"level = "ERROR""#,
            (0..EVENTS).filter(|i| i % 97 == 0).count(),
        ),
        ("n > 15000", (0..EVENTS).filter(|&i| i > 15_000).count()),
        ("n < 300", 300),
        ("n % 1000 = 999", 20),
        (
            r#"@message like "done" and n % 3 = 0"#,
            (0..EVENTS).filter(|i| i % 3 == 0).count(),
        ),
        (r#"@message like "qx7needle""#, 1),
        ("absent = 1", 0),
        // A field of few values: past the stop, counted from each block's value counts.
        ("k >= 5", (0..EVENTS).filter(|i| i % 7 >= 5).count()),
        (
            "k = 3 or k < 1",
            (0..EVENTS).filter(|i| i % 7 == 3 || i % 7 < 1).count(),
        ),
        (
            "ispresent(k) and k != 2",
            (0..EVENTS).filter(|i| i % 7 != 2).count(),
        ),
        ("not ispresent(k)", 0),
    ] {
        for (order, twin_order) in [
            ("sort @timestamp desc | ", "sort @timestamp desc, n desc | "),
            ("sort @timestamp asc | ", "sort @timestamp asc, n asc | "),
            ("", "sort @timestamp desc, n desc | "),
        ] {
            let query = format!("filter {filter} | {order}limit 7 | fields n");
            let twin = format!("filter {filter} | {twin_order}limit 7 | fields n");
            let (a, b) = (run(&f, &query), run(&f, &twin));
            assert_eq!(a.rows, b.rows, "{query}");
            assert_eq!(a.statistics, b.statistics, "{query}");
            assert_eq!(a.statistics.records_matched, matching as u64, "{query}");
            assert_eq!(a.rows.len(), matching.min(7), "{query}");
        }
    }
    // A scan stops early only where nothing above it but the limit drops rows: here the
    // subquery's scan does, the outer one (under the `in` join) reads everything.
    let query = "filter n in (filter n % 1000 = 0 | fields n | limit 5) | sort @timestamp desc | limit 3 | fields n";
    let plan = explain(&f, query);
    let stops: Vec<&str> = plan
        .lines()
        .filter(|l| l.contains("StoreScanExec"))
        .map(|l| {
            if l.contains("stops after 5 rows") {
                "inner"
            } else {
                "outer"
            }
        })
        .collect();
    assert_eq!(stops.len(), 2, "{plan}");
    assert!(
        stops.contains(&"inner") && stops.contains(&"outer"),
        "{plan}"
    );
    assert!(!plan.contains("stops after 3 rows"), "{plan}");
    assert_eq!(values(&run(&f, query), "n"), ["19000", "18000", "17000"]);
    // A filter on a field `parse` defines is evaluated in the scan too.
    let parsed = r#"parse @message '"n":*,' as m | filter m > 19990"#;
    let a = run(
        &f,
        &format!("{parsed} | sort @timestamp desc | limit 3 | fields m"),
    );
    let b = run(
        &f,
        &format!("{parsed} | sort @timestamp desc, n desc | limit 3 | fields m"),
    );
    assert_eq!(a.rows, b.rows);
    assert_eq!(a.statistics, b.statistics);
    assert_eq!(values(&a, "m"), ["19999", "19998", "19997"]);
    assert_eq!(a.statistics.records_matched, 9);
}
