//! Aggregations read through the scan's fast paths give exactly what the general plan gives:
//! numeric companions of fields stored with several types (the numbers `avg`, `pct`, `sum`
//! and comparisons read without rendering values as text), and grouping in the scan (by
//! dictionary codes, bins, integers and booleans) against DataFusion's own aggregation, over
//! sealed segments of several blocks and an unsealed WAL tail, with values of every stored type
//! and text that does and does not parse.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Fixture, Rng, runtime};
use loupe_engine::{QueryOutput, QueryRequest, explain_query, run_query};
use loupe_store::Event;

const EVENTS: i64 = 6_000;
const T0: i64 = 1_793_491_200_000;

/// `x` holds a float, an integer, a number as text, a boolean, `"true"`, text that does not
/// parse, a number with spaces around it, or nothing; `svc` is one of a few names, `user` one
/// of many (or missing), `code` an integer, `ok` a boolean.
fn message(rng: &mut Rng, i: i64) -> String {
    let user = match rng.below(10) {
        0 => String::new(),
        _ => format!(r#","user":"u{}""#, rng.below(900)),
    };
    let code = [200, 200, 200, 404, 500][rng.below(5) as usize];
    let ok = rng.below(3) == 0;
    let base = base_message(rng, i);
    format!(
        r#"{}{user},"code":{code},"ok":{ok}}}"#,
        base.strip_suffix('}').unwrap()
    )
}

fn base_message(rng: &mut Rng, i: i64) -> String {
    let x = match rng.below(9) {
        0 | 1 => format!("{}.{}", rng.below(1000), rng.below(100)),
        2 => format!("{}", rng.below(5000)),
        3 => format!("\"{}.{}\"", rng.below(1000), rng.below(10)),
        4 => (if rng.below(2) == 0 { "true" } else { "false" }).to_owned(),
        5 => "\"true\"".to_owned(),
        6 => "\"n/a\"".to_owned(),
        7 => format!("\" {} \"", rng.below(300)),
        _ => return format!(r#"{{"svc":"s{}","n":{i}}}"#, rng.below(4)),
    };
    format!(r#"{{"svc":"s{}","n":{i},"x":{x}}}"#, rng.below(4))
}

fn fixture() -> Fixture {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let events: Vec<Event> = (0..EVENTS)
        .map(|i| Event {
            timestamp: T0 + i * 997,
            ingestion_time: T0 + EVENTS * 1000,
            message: message(&mut rng, i),
        })
        .collect();
    common::sealed_and_tail(700, events, 5)
}

fn request() -> QueryRequest {
    QueryRequest {
        groups: vec!["g".into()],
        now_ms: T0 + EVENTS * 1000,
        ..Default::default()
    }
}

fn run(f: &Fixture, query: &str) -> QueryOutput {
    run_with(f, query, &request())
}

fn run_with(f: &Fixture, query: &str, request: &QueryRequest) -> QueryOutput {
    let query = loupe_lang::parse(query).unwrap();
    runtime()
        .block_on(run_query(&f.store, &query, request))
        .unwrap()
}

fn explain(f: &Fixture, query: &str) -> String {
    let query = loupe_lang::parse(query).unwrap();
    runtime()
        .block_on(explain_query(&f.store, &query, &request()))
        .unwrap()
}

fn rows(out: &QueryOutput) -> Vec<Vec<(String, String)>> {
    out.rows
        .iter()
        .map(|r| {
            r.iter()
                .filter(|f| f.field != "@ptr")
                .map(|f| (f.field.clone(), f.value.clone()))
                .collect()
        })
        .collect()
}

/// `query` over the field `x` as stored, and over `x` copied into a computed text column
/// (which reads numbers by parsing the text), give the same rows.
fn agrees(f: &Fixture, query: &str) {
    let direct = run(f, query);
    let through_text = run(f, &format!("fields substr(x, 0) as x | {query}"));
    assert!(!direct.rows.is_empty(), "{query}: no rows");
    assert_eq!(rows(&direct), rows(&through_text), "{query}");
}

#[test]
fn numeric_companions_read_what_the_text_reads() {
    let f = fixture();
    // The stored field is text (several types), so numbers come from the companion column.
    let plan = explain(&f, "stats avg(x)");
    assert!(plan.contains("number:x"), "{plan}");
    let plan = explain(&f, "fields substr(x, 0) as x | stats avg(x)");
    assert!(!plan.contains("number:x"), "{plan}");
    // `count(x)` reads only whether events have `x`.
    let plan = explain(&f, "stats count(x)");
    assert!(
        plan.contains("present:x") && !plan.contains("number:x"),
        "{plan}"
    );
    for query in [
        "stats sum(x) as s, avg(x) as a, count(x) as c",
        "stats avg(x) as a, pct(x, 50) as p50, pct(x, 99) as p99 by svc | sort svc",
        "stats min(x * 1) as lo, max(x + 0) as hi, stddev(x) as sd by svc | sort svc",
        "filter x > 100 | stats count(*) as n by svc | sort svc",
        "filter x = 1 | stats count(*) as n",
        "stats sum(x) as s by bin(10m) as t | sort t",
        "fields x, n | filter x >= 500 and x < 600 | sort n | limit 30",
        "stats count(x) as c by svc | sort svc",
        "filter ispresent(x) | stats count(*) as n, count(x) as c",
        "filter not ispresent(x) | stats count(*) as n",
    ] {
        agrees(&f, query);
    }
}

#[test]
fn a_field_a_command_replaces_loses_its_companion() {
    let f = fixture();
    // `x` is replaced by text of its own: numbers must come from the new values.
    let out = run(
        &f,
        "fields concat(\"1\", x) as x | filter ispresent(x) | stats count(*) as n, sum(x) as s",
    );
    let text = run(
        &f,
        "fields concat(\"1\", x) as y | filter ispresent(y) | stats count(*) as n, sum(y) as s",
    );
    assert_eq!(rows(&out), rows(&text));
}

/// Queries the scan groups, and one it leaves to DataFusion (`earliest` orders its values).
const GROUPED: &[&str] = &[
    "stats count(*) as n by svc | sort svc",
    "stats count(*) as n, sum(x) as s, avg(x) as a, pct(x, 90) as p by svc | sort svc",
    "stats count(*) as n by user | sort n desc, user | limit 50",
    "stats count(*) as n, max(n) as m by svc, user | sort svc, user | limit 200",
    "stats count(*) as n by bin(5m) as t | sort t",
    "stats count(*) as n, min(x) as lo by svc, bin(10m) as t | sort svc, t",
    "stats count(*) as n by code, ok | sort code, ok",
    "stats count(*) as n by ok, svc, code, bin(30m) as t | sort t, ok, svc, code",
    "filter code >= 404 | stats count(*) as n, count_distinct(user) as u by svc | sort svc",
    "filter svc = \"s1\" | stats count(user) as n by user | sort n desc, user | limit 20",
    "stats count(*) as n by concat(svc, \"-\", code) as k | sort k",
    "stats count(*) as c, sum(x) as s, pct(x, 50) as p by n, svc | sort n desc | limit 10",
    "stats count(*) as n, earliest(n) as first by svc | sort svc",
];

#[test]
fn grouping_in_the_scan_gives_what_datafusion_gives() {
    let f = fixture();
    let plain = QueryRequest {
        plain_aggregation: true,
        ..request()
    };
    // Little memory: the scan's grouping emits what it has early, again and again.
    let tight = QueryRequest {
        memory_limit: Some(1024 * 1024),
        ..request()
    };
    for query in GROUPED {
        let want = run_with(&f, query, &plain);
        assert!(!want.rows.is_empty(), "{query}: no rows");
        let got = run(&f, query);
        assert_eq!(rows(&got), rows(&want), "{query}");
        assert_eq!(got.statistics, want.statistics, "{query}");
        let tight = run_with(&f, query, &tight);
        assert_eq!(rows(&tight), rows(&want), "{query} (little memory)");
    }
}

#[test]
fn the_scan_groups_by_dictionary_codes_where_it_can() {
    let f = fixture();
    let plan = explain(&f, "stats count(*) by svc");
    assert!(plan.contains("StoreAggregateExec"), "{plan}");
    assert!(plan.contains("by dictionary codes: [svc]"), "{plan}");
    // `svc` is also an aggregate's argument: read as text, still grouped in the scan.
    let plan = explain(&f, "stats count_distinct(svc) by svc");
    assert!(plan.contains("StoreAggregateExec"), "{plan}");
    assert!(!plan.contains("by dictionary codes"), "{plan}");
    // An ordered aggregate stays with DataFusion.
    let plan = explain(&f, "stats earliest(n) by svc");
    assert!(!plan.contains("StoreAggregateExec"), "{plan}");
}

#[test]
fn count_distinct_of_text_counts_each_present_value_once() {
    let f = fixture();
    for (query, reference) in [
        (
            "stats count_distinct(user) as u",
            "filter ispresent(user) | stats count(*) by user | stats count(*) as u",
        ),
        (
            "stats count_distinct(user) as u by svc | sort svc",
            "filter ispresent(user) | stats count(*) by svc, user | stats count(*) as u by svc \
             | sort svc",
        ),
        // Values over 15 bytes take the other path.
        (
            "filter ispresent(user) | fields concat(user, \"-0123456789abcdef\") as long \
             | stats count_distinct(long) as u",
            "filter ispresent(user) | stats count(*) by user | stats count(*) as u",
        ),
    ] {
        let got = run(&f, query);
        let want = run(&f, reference);
        assert_eq!(rows(&got), rows(&want), "{query}");
    }
}
