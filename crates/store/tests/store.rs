//! End-to-end tests of the store through its public API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use arrow::array::{Array, AsArray};
use arrow::datatypes::TimestampMillisecondType;
use loupe_store::{Event, ScanRequest, Store, StoreError};

fn ev(ts: i64, msg: &str) -> Event {
    Event {
        timestamp: ts,
        ingestion_time: 1_000_000,
        message: msg.into(),
    }
}

#[test]
fn events_survive_reopening_and_scan_by_time_range() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        store.create_group("app", 7).unwrap();
        store.create_stream("app", "s", 7).unwrap();
        store
            .append("app", "s", &[ev(10, "a"), ev(20, r#"{"level":"ERROR"}"#)])
            .unwrap();
        store.append("app", "s", &[ev(30, "c")]).unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let request = ScanRequest {
        groups: vec!["app".into()],
        start_ms: Some(15),
        end_ms: Some(30),
        fields: vec!["level".into()],
        numbers: Vec::new(),
    };
    let out = store.scan(&request).unwrap();
    assert_eq!(out.records_scanned, 2);
    assert_eq!(out.bytes_scanned, (17 + 26) + (1 + 26));
    // A batch per unit read (here two WAL frames), oldest first by default.
    let batch = &arrow::compute::concat_batches(&out.schema, &out.batches).unwrap();
    let ts = batch.column(0).as_primitive::<TimestampMillisecondType>();
    assert_eq!(ts.values().to_vec(), vec![20, 30]);
    let level = batch.column_by_name("level").unwrap().as_string::<i32>();
    assert_eq!(level.value(0), "ERROR");
    assert!(level.is_null(1));

    let groups = store.groups().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!((groups[0].event_count, groups[0].stream_count), (3, 1));
    assert!(groups[0].stored_bytes > 0);
}

#[test]
fn missing_groups_and_streams_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let scan = ScanRequest {
        groups: vec!["nope".into()],
        ..Default::default()
    };
    assert!(matches!(
        store.scan(&scan),
        Err(StoreError::GroupNotFound(_))
    ));
    store.create_group("g", 0).unwrap();
    assert!(matches!(
        store.create_group("g", 0),
        Err(StoreError::GroupExists(_))
    ));
    assert!(store.append("g", "no-stream", &[ev(1, "x")]).is_err());
    assert!(store.create_group("bad name", 0).is_err());
}
