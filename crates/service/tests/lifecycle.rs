//! The query lifecycle through the public service API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use loupe_service::{FixedClock, Loupe, QueryLimits, QueryStatus, ServiceError, StartQuery};

/// 2026-11-01T00:00:00Z
const NOW_MS: i64 = 1_793_491_200_000;

fn loupe_with(lines: usize) -> (tempfile::TempDir, Loupe) {
    let dir = tempfile::tempdir().unwrap();
    let loupe = Loupe::with_clock(dir.path(), Arc::new(FixedClock(NOW_MS))).unwrap();
    let mut text = String::new();
    for i in 0..lines {
        text.push_str(&format!(
            "2026-10-31T{:02}:{:02}:{:02}.000Z {{\"n\":{i},\"key\":\"k{:05}\"}}\n",
            i / 3600 % 24,
            i / 60 % 60,
            i % 60,
            (i * 7919) % lines
        ));
    }
    loupe.ingest_lines("g", "s", text.as_bytes()).unwrap();
    (dir, loupe)
}

fn start(query: &str) -> StartQuery {
    StartQuery {
        query_string: query.into(),
        log_group_names: vec!["g".into()],
        ..Default::default()
    }
}

#[test]
fn started_queries_complete_with_the_same_answer_as_query() {
    let (_dir, loupe) = loupe_with(500);
    let request = start("stats count(*) as n, max(n) as top");
    let id = loupe.start_query(&request).unwrap();
    assert_eq!(
        loupe.wait_query(&id, Duration::from_secs(60)).unwrap(),
        QueryStatus::Complete
    );
    let results = loupe.get_query_results(&id).unwrap();
    assert_eq!(results.status, QueryStatus::Complete);
    let direct = loupe.query(&request).unwrap();
    assert_eq!(results.results, direct.results);
    assert_eq!(results.statistics, direct.statistics);

    let described = loupe.describe_queries(None).unwrap();
    assert_eq!(described.len(), 1);
    assert_eq!(
        (described[0].query_id.as_str(), described[0].status),
        (id.as_str(), QueryStatus::Complete)
    );
    // Stopping a query that has ended changes nothing.
    assert!(!loupe.stop_query(&id).unwrap());
    assert_eq!(
        loupe.get_query_results(&id).unwrap().status,
        QueryStatus::Complete
    );
}

#[test]
fn bad_requests_fail_at_start() {
    let (_dir, loupe) = loupe_with(10);
    assert!(matches!(
        loupe.start_query(&start("filter (")),
        Err(ServiceError::MalformedQuery { .. })
    ));
    let mut missing = start("limit 1");
    missing.log_group_names = vec!["nope".into()];
    assert!(matches!(
        loupe.start_query(&missing),
        Err(ServiceError::ResourceNotFound(_))
    ));
    assert!(matches!(
        loupe.get_query_results("no-such-id"),
        Err(ServiceError::ResourceNotFound(_))
    ));
    assert!(matches!(
        loupe.stop_query("no-such-id"),
        Err(ServiceError::ResourceNotFound(_))
    ));
    let mut both = start("SOURCE logGroups() | limit 1");
    both.log_group_names = vec!["g".into()];
    assert!(matches!(
        loupe.start_query(&both),
        Err(ServiceError::InvalidParameter(_))
    ));
}

#[test]
fn memory_limits_bound_queries_with_a_clear_error() {
    let (_dir, mut loupe) = loupe_with(20_000);
    let query = start("stats count(*) as c, max(n) as m by key | sort key asc | limit 3");
    let unlimited = loupe.query(&query).unwrap();
    let keys: Vec<&str> = unlimited
        .results
        .iter()
        .map(|r| r[0].value.as_str())
        .collect();
    assert_eq!(keys, ["k00000", "k00001", "k00002"]);
    // A limit the query fits in changes nothing.
    loupe.set_query_limits(QueryLimits {
        memory_bytes: Some(16 << 20),
        ..QueryLimits::default()
    });
    assert_eq!(loupe.query(&query).unwrap().results, unlimited.results);
    // One it cannot fit in fails cleanly, naming the limit.
    loupe.set_query_limits(QueryLimits {
        memory_bytes: Some(256 << 10),
        ..QueryLimits::default()
    });
    match loupe.query(&query) {
        Err(e @ ServiceError::LimitExceeded(_)) => assert!(e.to_string().contains("memory"), "{e}"),
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
}

#[test]
fn results_come_a_page_at_a_time() {
    let (_dir, loupe) = loupe_with(25);
    let id = loupe
        .start_query(&start("fields @message | sort @timestamp asc"))
        .unwrap();
    assert_eq!(
        loupe.wait_query(&id, Duration::from_secs(60)).unwrap(),
        QueryStatus::Complete
    );
    let all = loupe.get_query_results(&id).unwrap();
    assert_eq!(all.results.len(), 25);
    assert_eq!(all.next_token, None);
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = loupe
            .get_query_results_page(&id, 10, token.as_deref())
            .unwrap();
        assert_eq!(page.statistics, all.statistics);
        pages.push(page.results.len());
        token = page.next_token.clone();
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, [10, 10, 5]);
    let second = loupe
        .get_query_results_page(&id, 10, Some(&format!("{id}/10")))
        .unwrap();
    assert_eq!(second.results, all.results[10..20]);
    for (max, token) in [
        (0, None),
        (10_001, None),
        (10, Some("other/5")),
        (10, Some("x")),
    ] {
        assert!(
            matches!(
                loupe.get_query_results_page(&id, max, token),
                Err(ServiceError::InvalidParameter(_))
            ),
            "{max} {token:?}"
        );
    }
}
