//! `loupe lookup add|list|remove` and a query using the table, through the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{loupe, ok, stderr};

fn ndjson(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn add_query_list_remove() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let log = dir.path().join("app.log");
    std::fs::write(
        &log,
        "{\"timestamp\":\"2026-11-01T00:00:00Z\",\"user\":\"u1\",\"ip\":\"10.1.2.3\"}\n\
         {\"timestamp\":\"2026-11-01T00:00:01Z\",\"user\":\"u2\",\"ip\":\"192.0.2.1\"}\n\
         {\"timestamp\":\"2026-11-01T00:00:02Z\",\"user\":\"u7\",\"ip\":\"10.200.0.1\"}\n",
    )
    .unwrap();
    ok(&loupe(
        &store,
        &["ingest", "--group", "app", log.to_str().unwrap()],
    ));

    let users = dir.path().join("users.csv");
    std::fs::write(&users, "id,name,team\nu1,Ann,core\nu2,\"Bob, Jr.\",edge\n").unwrap();
    let nets = dir.path().join("nets.csv");
    std::fs::write(&nets, "cidr,site\n10.0.0.0/8,dc1\n10.1.0.0/16,lab\n").unwrap();
    let out = ok(&loupe(
        &store,
        &["lookup", "add", "users", users.to_str().unwrap()],
    ));
    assert_eq!(
        out,
        "added lookup table users: 2 rows, columns id, name, team\n"
    );
    ok(&loupe(
        &store,
        &["lookup", "add", "nets", nets.to_str().unwrap()],
    ));

    let query = "fields user, ip | lookup users id as user OUTPUT name | \
                 cidrlookup nets ip OUTPUT site | sort @timestamp asc";
    let out = ok(&loupe(
        &store,
        &["query", "--group", "app", "--output", "ndjson", query],
    ));
    assert_eq!(
        ndjson(&out),
        [
            serde_json::json!({"user": "u1", "ip": "10.1.2.3", "name": "Ann", "site": "lab"}),
            serde_json::json!({"user": "u2", "ip": "192.0.2.1", "name": "Bob, Jr."}),
            serde_json::json!({"user": "u7", "ip": "10.200.0.1", "site": "dc1"}),
        ]
    );

    let out = ok(&loupe(&store, &["lookup", "list", "--output", "json"]));
    let listed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        listed,
        serde_json::json!({"lookupTables": [
            {"lookupTableName": "nets", "columns": ["cidr", "site"], "rows": 2, "sizeBytes": 41},
            {"lookupTableName": "users", "columns": ["id", "name", "team"], "rows": 2,
             "sizeBytes": 44},
        ]})
    );
    let table = ok(&loupe(&store, &["lookup", "list"]));
    assert!(
        table.contains("users") && table.contains("id, name, team"),
        "{table}"
    );

    // A second table under the same name, and a malformed CSV, are refused.
    let again = loupe(&store, &["lookup", "add", "users", users.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "a,b,a\n1,2,3\n").unwrap();
    let refused = loupe(&store, &["lookup", "add", "bad", bad.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("twice"), "{}", stderr(&refused));

    assert_eq!(
        ok(&loupe(&store, &["lookup", "remove", "users"])),
        "removed lookup table users\n"
    );
    let gone = loupe(&store, &["query", "--group", "app", query]);
    assert_eq!(gone.status.code(), Some(1));
    let err = stderr(&gone);
    assert!(err.contains("no lookup table named `users`"), "{err}");
    let again = loupe(&store, &["lookup", "remove", "users"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("no lookup table named users"));
    let out = ok(&loupe(&store, &["lookup", "list", "--output", "csv"]));
    assert_eq!(out.lines().count(), 2, "{out}");
}
