//! Queries over several scans (`join`, `in ( subquery )`, `appendcols`): statistics that include
//! what the nested queries read, the join's right-side key quota, late columns beside a join,
//! and scan hints that stay with their own query.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::runtime;
use loupe_engine::{EngineError, QueryOutput, QueryRequest, explain_query, run_query};
use loupe_store::{EVENT_OVERHEAD_BYTES, Event, Store};

const T0: i64 = 1_793_491_200_000;

/// `orders`: `n` events `{"k":i,"amount":i*10}`; `users`: `users` events `{"k":i,"name":"u<i>"}`
/// for even `i` only, plus one without `k`.
struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    order_bytes: u64,
    user_bytes: u64,
}

fn order(i: i64) -> String {
    format!(r#"{{"k":{i},"amount":{}}}"#, i * 10)
}

fn user(i: i64) -> String {
    if i < 0 {
        r#"{"name":"nobody"}"#.to_owned()
    } else {
        format!(r#"{{"k":{i},"name":"u{i}"}}"#)
    }
}

fn add(store: &Store, group: &str, messages: &[String]) -> u64 {
    store.create_group(group, 0).unwrap();
    store.create_stream(group, "s", 0).unwrap();
    for (chunk_at, chunk) in messages.chunks(5_000).enumerate() {
        let events: Vec<Event> = chunk
            .iter()
            .enumerate()
            .map(|(i, m)| Event {
                timestamp: T0 + ((chunk_at * 5_000 + i) as i64) * 1000,
                ingestion_time: T0,
                message: m.clone(),
            })
            .collect();
        store.append(group, "s", &events).unwrap();
    }
    store.seal(group).unwrap();
    messages
        .iter()
        .map(|m| m.len() as u64 + EVENT_OVERHEAD_BYTES)
        .sum()
}

fn fixture(orders: i64, users: i64) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let order_messages: Vec<String> = (0..orders).map(order).collect();
    let mut user_messages: Vec<String> = (0..users).filter(|i| i % 2 == 0).map(user).collect();
    user_messages.push(user(-1));
    let order_bytes = add(&store, "orders", &order_messages);
    let user_bytes = add(&store, "users", &user_messages);
    Fixture {
        _dir: dir,
        store,
        order_bytes,
        user_bytes,
    }
}

fn request() -> QueryRequest {
    QueryRequest {
        groups: vec!["orders".into()],
        now_ms: T0 + 10_000_000,
        ..Default::default()
    }
}

fn try_run(f: &Fixture, query: &str) -> Result<QueryOutput, EngineError> {
    let query = loupe_lang::parse(query).unwrap();
    runtime().block_on(run_query(&f.store, &query, &request()))
}

fn run(f: &Fixture, query: &str) -> QueryOutput {
    try_run(f, query).unwrap_or_else(|e| panic!("{query}: {e}"))
}

fn values(out: &QueryOutput, field: &str) -> Vec<String> {
    out.rows
        .iter()
        .map(|r| {
            r.iter()
                .find(|c| c.field == field)
                .map_or_else(String::new, |c| c.value.clone())
        })
        .collect()
}

#[test]
fn statistics_include_what_subqueries_read() {
    let f = fixture(100, 100);
    let users = 51; // 50 even keys and one event without a key

    // `in ( subquery )`: the outer events matched are the ones its filter kept.
    let out = run(
        &f,
        "filter k in (SOURCE users | filter k < 20 | fields k) | stats count(*) as n",
    );
    assert_eq!(values(&out, "n"), ["10"]);
    assert_eq!(out.statistics.records_scanned, 100 + users);
    assert_eq!(out.statistics.bytes_scanned, f.order_bytes + f.user_bytes);
    assert_eq!(out.statistics.records_matched, 10);

    // `join`: both scans count; the right side's filter is not what the query matched.
    let out = run(
        &f,
        "filter k >= 90 | join left=o right=u where o.k = u.k (SOURCE users | filter k > 0) \
         | fields o.k, u.name | sort o.k asc",
    );
    assert_eq!(values(&out, "u.name"), ["u90", "u92", "u94", "u96", "u98"]);
    assert_eq!(out.statistics.records_scanned, 100 + users);
    assert_eq!(out.statistics.bytes_scanned, f.order_bytes + f.user_bytes);
    assert_eq!(out.statistics.records_matched, 10);

    // `appendcols`: its scan counts too; a subquery without SOURCE reads the outer groups.
    let out = run(
        &f,
        "stats count(*) as n | appendcols (SOURCE users | stats count(*) as users) \
         | appendcols (stats sum(amount) as total)",
    );
    assert_eq!(values(&out, "n"), ["100"]);
    assert_eq!(values(&out, "users"), [users.to_string()]);
    assert_eq!(
        values(&out, "total"),
        [(0..100).map(|i| i * 10).sum::<i64>().to_string()]
    );
    assert_eq!(out.statistics.records_scanned, 100 + users + 100);
    assert_eq!(out.statistics.records_matched, 100);
}

#[test]
fn the_right_side_of_a_join_holds_at_most_50000_distinct_keys() {
    let f = fixture(10, 100_002);
    // 50,001 distinct keys on the right: a quota error, not a silently cut right side.
    let q = "join left=o right=u where o.k = u.k (SOURCE users | limit 60000)";
    match try_run(&f, q) {
        Err(EngineError::LimitExceeded(message)) => {
            assert!(message.contains("50000 distinct key"), "{message}");
            assert!(message.contains("right=u"), "{message}");
        }
        other => panic!(
            "expected LimitExceeded, got {:?}",
            other.map(|o| o.rows.len())
        ),
    }
    // Exactly 50,000 keys (and rows without a key, which count for nothing) are allowed.
    let out = run(
        &f,
        "join left=o right=u where o.k = u.k \
         (SOURCE users | filter k < 100000 or not ispresent(k) | limit 60000) \
         | stats count(*) as n",
    );
    // Keys 0, 2, 4, 6, 8 of the 10 orders match.
    assert_eq!(values(&out, "n"), ["5"]);
}

#[test]
fn late_columns_of_the_left_side_survive_a_join() {
    let f = fixture(20, 20);
    let q = "join left=o right=u where o.k = u.k (SOURCE users) | fields @message, u.name, @ptr \
             | sort o.k desc | limit 2";
    let plan = {
        let query = loupe_lang::parse(q).unwrap();
        runtime()
            .block_on(explain_query(&f.store, &query, &request()))
            .unwrap()
    };
    assert!(plan.contains("__loupe_fetch_message"), "{plan}");
    let out = run(&f, q);
    assert_eq!(values(&out, "@message"), [order(18), order(16)]);
    assert_eq!(values(&out, "u.name"), ["u18", "u16"]);
    // The same pointers as without the join.
    let direct = run(&f, "filter k = 18 or k = 16 | fields @ptr | sort k desc");
    assert_eq!(values(&out, "@ptr"), values(&direct, "@ptr"));
}

#[test]
fn hints_stay_with_their_own_query() {
    let f = fixture(100, 100);
    // The subquery's filter (`k < 4`) must not prune the outer scan, whose own filter is
    // `amount >= 0`: every order whose key is 0 or 2 comes back.
    let out = run(
        &f,
        "filter amount >= 0 and k in (SOURCE users | filter k < 4 | fields k) | sort k asc",
    );
    assert_eq!(out.rows.len(), 2);
    // And the outer filter (`k >= 96`) must not prune the subquery's scan.
    let out = run(
        &f,
        "filter k >= 96 | appendcols (SOURCE users | stats count(*) as users)",
    );
    assert_eq!(values(&out, "users"), ["51", "", "", ""]);
}
