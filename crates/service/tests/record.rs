//! `GetLogRecord` through the public API: the `@ptr` a query returns leads back to its event,
//! before and after the events are sealed into segments.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use loupe_service::{FixedClock, Format, Loupe, ServiceError};

const NOW_MS: i64 = 1_793_491_200_000;

fn ptrs_and_messages(loupe: &Loupe) -> Vec<(String, String)> {
    common::query(loupe, "app", "fields @ptr, @message | sort @timestamp asc")
        .results
        .iter()
        .map(|r| {
            let get = |f: &str| r.iter().find(|c| c.field == f).unwrap().value.clone();
            (get("@ptr"), get("@message"))
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn ptr_of(pairs: &[(String, String)], message_start: &str) -> String {
    pairs
        .iter()
        .find(|(_, m)| m.starts_with(message_start))
        .unwrap()
        .0
        .clone()
}

#[test]
fn a_pointer_from_a_query_fetches_every_field_of_its_event() {
    let dir = tempfile::tempdir().unwrap();
    let loupe = Loupe::with_clock(dir.path(), Arc::new(FixedClock(NOW_MS))).unwrap();
    let input = "2026-10-30T10:00:00.000Z {\"level\":\"ERROR\",\"http\":{\"status\":503},\"n\":1.50}\n\
                 2026-10-30T10:00:00.000Z plain text line\n\
                 2026-10-30T10:00:01.000Z {\"level\":\"INFO\"}\n";
    loupe
        .ingest("app", "web-1", input.as_bytes(), Format::Export)
        .unwrap();
    let before = ptrs_and_messages(&loupe);
    assert_eq!(before.len(), 3);
    // The same pointers once the events are in a segment.
    loupe.seal_all().unwrap();
    assert_eq!(ptrs_and_messages(&loupe), before);

    let record = loupe
        .get_log_record(&ptr_of(&before, r#"{"level":"ERROR""#))
        .unwrap();
    let want = [
        ("@timestamp", "1793354400000"),
        ("@ingestionTime", "1793491200000"),
        ("@log", "000000000000:app"),
        ("@logStream", "web-1"),
        (
            "@message",
            r#"{"level":"ERROR","http":{"status":503},"n":1.50}"#,
        ),
        ("level", "ERROR"),
        ("http.status", "503"),
        ("n", "1.50"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(record, want);
    // Two events at the same millisecond are told apart by their messages.
    let plain = loupe.get_log_record(&ptr_of(&before, "plain")).unwrap();
    assert_eq!(plain[4], ("@message".into(), "plain text line".into()));
    assert_eq!(plain.len(), 5);

    assert!(matches!(
        loupe.get_log_record("not-a-pointer"),
        Err(ServiceError::InvalidParameter(_))
    ));
    loupe.delete_group("app").unwrap();
    assert!(matches!(
        loupe.get_log_record(&before[0].0),
        Err(ServiceError::ResourceNotFound(_))
    ));
}
