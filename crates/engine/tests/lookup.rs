//! `lookup` and `cidrlookup` end to end (spec §3.18, §3.19): events into a store, lookup
//! tables in the request, a query through the engine, the rendered rows out.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;

use loupe_engine::{EngineError, LookupTable, QueryRequest, run_query};

mod common;

use common::{Fixture, fixture};

/// Events `e0`..`e4` for the exact-match tests.
fn users_fixture() -> Fixture {
    fixture(&[
        r#"{"user":"u1","status":200,"team":"old"}"#,
        r#"{"user":"u2","status":404}"#,
        r#"{"user":"u9","status":500}"#,
        r#"{"status":200}"#,
        r#"{"user":"u3","team":"keep"}"#,
    ])
}

fn table(csv: &str) -> LookupTable {
    let mut lines = csv
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect());
    LookupTable {
        columns: lines.next().unwrap(),
        rows: lines.collect(),
    }
}

fn tables() -> HashMap<String, LookupTable> {
    HashMap::from([
        (
            "users".to_owned(),
            // `u1` twice: the first row wins. Bob has an empty team.
            table("id,name,team\nu1,Ann,core\nu2,Bob,\nu1,Dup,other\nu3,Cid,edge"),
        ),
        (
            "codes".to_owned(),
            table("status,text\n200,OK\n404,Not Found\n500,Server Error"),
        ),
        (
            "pairs".to_owned(),
            table("a,b,out\nu1,200,first\nu1,404,second\nu2,200,third"),
        ),
        (
            "flags".to_owned(),
            table("flag,meaning\n1,one\n0,zero\ntrue,yes\nfalse,no"),
        ),
        (
            "nets".to_owned(),
            table(
                "cidr,region,owner\n10.0.0.0/8,internal,it\n10.1.0.0/16,lab,research\n\
                 2001:db8::/32,v6net,ops\nbad,x,y\n10.1.0.0/16,shadowed,nobody",
            ),
        ),
    ])
}

fn output(f: &Fixture, query: &str) -> Result<Vec<Vec<(String, String)>>, EngineError> {
    let query = loupe_lang::parse(query).unwrap_or_else(|d| panic!("{query}: {d}"));
    let request = QueryRequest {
        groups: vec!["g".into()],
        now_ms: 1_793_494_800_000,
        lookups: Arc::new(tables()),
        ..Default::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let out = runtime.block_on(run_query(&f.store, &query, &request))?;
    Ok(out
        .rows
        .into_iter()
        .map(|row| {
            row.into_iter()
                // The `@ptr` every event row ends with (tested in tests/scan.rs).
                .filter(|c| c.field != "@ptr")
                .map(|c| (c.field, c.value))
                .collect()
        })
        .collect())
}

fn run(f: &Fixture, query: &str) -> Vec<Vec<(String, String)>> {
    output(f, query).unwrap_or_else(|e| panic!("{query}: {e}"))
}

fn row(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(f, v)| ((*f).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn output_sets_the_fields_and_keeps_unmatched_events_without_them() {
    let f = users_fixture();
    let rows = run(
        &f,
        "fields user | lookup users id as user OUTPUT name, team | sort @timestamp asc",
    );
    assert_eq!(
        rows,
        vec![
            // The first of the two `u1` rows.
            row(&[("user", "u1"), ("name", "Ann"), ("team", "core")]),
            // An empty cell gives no value.
            row(&[("user", "u2"), ("name", "Bob")]),
            // No such key: kept, without the fields.
            row(&[("user", "u9")]),
            // No key at all: kept.
            row(&[]),
            // OUTPUT overwrites the event's own `team`.
            row(&[("user", "u3"), ("name", "Cid"), ("team", "edge")]),
        ]
    );
}

#[test]
fn output_new_fills_only_missing_fields() {
    let f = users_fixture();
    let rows = run(
        &f,
        "fields user, team | lookup users id as user OUTPUTNEW team, name as who \
         | sort @timestamp asc",
    );
    assert_eq!(
        rows,
        vec![
            row(&[("user", "u1"), ("team", "old"), ("who", "Ann")]),
            row(&[("user", "u2"), ("who", "Bob")]),
            row(&[("user", "u9")]),
            row(&[]),
            row(&[("user", "u3"), ("team", "keep"), ("who", "Cid")]),
        ]
    );
}

#[test]
fn output_on_an_unmatched_event_removes_its_field() {
    let f = users_fixture();
    // OUTPUT replaces the events' own `team` (`old` becomes `core`)...
    let rows = run(
        &f,
        "filter ispresent(team) | lookup users id as user OUTPUT team | fields user, team \
         | sort @timestamp asc",
    );
    assert_eq!(
        rows,
        vec![
            row(&[("user", "u1"), ("team", "core")]),
            row(&[("user", "u3"), ("team", "edge")]),
        ]
    );
    // ...and takes it away where the event matches no row (spec: no match gives null).
    let f = fixture(&[r#"{"user":"u9","team":"mine"}"#]);
    let rows = run(
        &f,
        "lookup users id as user OUTPUT team | fields user, team",
    );
    assert_eq!(rows, vec![row(&[("user", "u9")])]);
}

#[test]
fn numbers_match_as_their_text_and_the_fields_are_usable_downstream() {
    let f = users_fixture();
    let rows = run(
        &f,
        "lookup codes status OUTPUT text | filter ispresent(text) \
         | stats count(*) as n by text | sort n desc, text asc",
    );
    assert_eq!(
        rows,
        vec![
            row(&[("text", "OK"), ("n", "2")]),
            row(&[("text", "Not Found"), ("n", "1")]),
            row(&[("text", "Server Error"), ("n", "1")]),
        ]
    );
}

#[test]
fn json_booleans_match_as_written() {
    // A boolean column (no other type): `true` is not the `1` a computed boolean shows.
    let f = fixture(&[r#"{"flag":true}"#, r#"{"flag":false}"#]);
    let rows = run(
        &f,
        "lookup flags flag OUTPUT meaning | fields flag, meaning | sort @timestamp asc",
    );
    assert_eq!(
        rows,
        vec![
            row(&[("flag", "true"), ("meaning", "yes")]),
            row(&[("flag", "false"), ("meaning", "no")]),
        ]
    );
    // OUTPUTNEW keeps an event's own boolean as written.
    let rows = run(
        &f,
        "lookup flags meaning as flag OUTPUTNEW flag | fields flag | sort @timestamp asc",
    );
    assert_eq!(
        rows,
        vec![row(&[("flag", "true")]), row(&[("flag", "false")])]
    );
}

#[test]
fn several_match_columns_must_all_match() {
    let f = users_fixture();
    let rows = run(
        &f,
        "lookup pairs a as user, b as status OUTPUT out | fields user, status, out \
         | sort @timestamp asc",
    );
    assert_eq!(
        rows,
        vec![
            row(&[("user", "u1"), ("status", "200"), ("out", "first")]),
            row(&[("user", "u2"), ("status", "404")]),
            row(&[("user", "u9"), ("status", "500")]),
            row(&[("status", "200")]),
            row(&[("user", "u3")]),
        ]
    );
}

#[test]
fn rows_keep_their_count_and_order_and_the_outputs_join_the_default_fields() {
    let f = users_fixture();
    let rows = run(&f, "lookup users id as user OUTPUT name | limit 2");
    assert_eq!(
        rows,
        vec![
            row(&[
                ("@timestamp", "2026-11-01 00:00:04.000"),
                ("@message", r#"{"user":"u3","team":"keep"}"#),
                ("name", "Cid"),
            ]),
            row(&[
                ("@timestamp", "2026-11-01 00:00:03.000"),
                ("@message", r#"{"status":200}"#),
            ]),
        ]
    );
    let rows = run(
        &f,
        "lookup users id as user OUTPUT name | stats count(*) as n",
    );
    assert_eq!(rows, vec![row(&[("n", "5")])]);
}

#[test]
fn unknown_tables_and_columns_point_at_the_name() {
    let f = users_fixture();
    let query = "fields user | lookup nope id as user OUTPUT name";
    match output(&f, query) {
        Err(EngineError::Query(d)) => {
            assert!(d.message.contains("no lookup table named `nope`"), "{d}");
            let (s, e) = (d.span.start as usize, d.span.end as usize);
            assert_eq!(&query[s..e], "nope");
        }
        other => panic!("{other:?}"),
    }
    let query = "lookup users id as user OUTPUT nmae";
    match output(&f, query) {
        Err(EngineError::Query(d)) => {
            assert!(d.message.contains("has no column `nmae`"), "{d}");
            assert_eq!(d.help.as_deref(), Some("its columns: id, name, team"));
            let (s, e) = (d.span.start as usize, d.span.end as usize);
            assert_eq!(&query[s..e], "nmae");
        }
        other => panic!("{other:?}"),
    }
    let query = "cidrlookup nets ip AS range OUTPUT region";
    match output(&f, query) {
        Err(EngineError::Query(d)) => assert!(d.message.contains("no column `range`"), "{d}"),
        other => panic!("{other:?}"),
    }
}

fn ip_fixture() -> Fixture {
    fixture(&[
        r#"{"ip":"10.1.2.3"}"#,
        r#"{"ip":"10.9.9.9"}"#,
        r#"{"ip":"192.0.2.1"}"#,
        r#"{"ip":"2001:db8::5"}"#,
        r#"{"ip":"not-an-ip"}"#,
        r#"{"other":1}"#,
        r#"{"ip":"::ffff:10.1.0.1","region":"set"}"#,
    ])
}

#[test]
fn cidrlookup_takes_the_longest_prefix() {
    let f = ip_fixture();
    let rows = run(
        &f,
        "fields ip | cidrlookup nets ip AS cidr OUTPUT region, owner as team \
         | sort @timestamp asc",
    );
    assert_eq!(
        rows,
        vec![
            row(&[("ip", "10.1.2.3"), ("region", "lab"), ("team", "research")]),
            row(&[("ip", "10.9.9.9"), ("region", "internal"), ("team", "it")]),
            row(&[("ip", "192.0.2.1")]),
            row(&[("ip", "2001:db8::5"), ("region", "v6net"), ("team", "ops")]),
            row(&[("ip", "not-an-ip")]),
            row(&[]),
            row(&[
                ("ip", "::ffff:10.1.0.1"),
                ("region", "lab"),
                ("team", "research")
            ]),
        ]
    );
}

#[test]
fn cidrlookup_defaults_to_the_first_column_and_honours_outputnew() {
    let f = ip_fixture();
    let rows = run(
        &f,
        "fields ip | cidrlookup nets ip OUTPUTNEW region | filter ispresent(region) \
         | sort @timestamp asc",
    );
    assert_eq!(
        rows,
        vec![
            row(&[("ip", "10.1.2.3"), ("region", "lab")]),
            row(&[("ip", "10.9.9.9"), ("region", "internal")]),
            row(&[("ip", "2001:db8::5"), ("region", "v6net")]),
            row(&[("ip", "::ffff:10.1.0.1"), ("region", "set")]),
        ]
    );
}
