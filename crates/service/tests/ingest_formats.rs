//! Input formats through the public API: each file shape becomes the events a user expects.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fresh, rows};

use std::io::Write;

use loupe_service::Format;

#[test]
fn jsonl_takes_its_time_from_a_json_field() {
    let (_d, loupe) = fresh();
    let input = b"{\"timestamp\":\"2026-10-30T10:00:00Z\",\"m\":1}\n{\"time\":1793300000,\"m\":2}\n{\"m\":3}";
    let report = loupe.ingest("g", "s", &input[..], Format::Auto).unwrap();
    assert_eq!((report.accepted, report.rejected), (3, 0));
    let got = rows(&loupe, "fields @timestamp, m | sort @timestamp asc");
    assert_eq!(
        got,
        [
            "2026-10-29 18:53:20.000 | 2",
            "2026-10-30 10:00:00.000 | 1",
            "2026-11-01 00:00:00.000 | 3",
        ]
    );
}

#[test]
fn cloudtrail_files_plain_or_gzipped_become_one_event_per_record() {
    let doc = r#"{"Records":[
        {"eventTime":"2026-10-31T12:00:00Z","eventName":"RunInstances","userIdentity":{"type":"Root"}},
        {"eventTime":"2026-10-31T12:00:05Z","eventName":"StopInstances","userIdentity":{"type":"IAMUser"}}
    ]}"#;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(doc.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    for input in [doc.as_bytes().to_vec(), gz] {
        let (_d, loupe) = fresh();
        let report = loupe.ingest("g", "s", &input[..], Format::Auto).unwrap();
        assert_eq!(report.accepted, 2);
        let got = rows(
            &loupe,
            "fields @timestamp, eventName, userIdentity.type | sort @timestamp asc",
        );
        assert_eq!(
            got,
            [
                "2026-10-31 12:00:00.000 | RunInstances | Root",
                "2026-10-31 12:00:05.000 | StopInstances | IAMUser",
            ]
        );
    }
}

#[test]
fn lines_keep_prefixes_and_export_strips_them() {
    let input = b"2026-10-31T00:00:00.000Z hello\r\nplain\n";
    let (_d, loupe) = fresh();
    loupe.ingest("g", "s", &input[..], Format::Lines).unwrap();
    let got = rows(&loupe, "fields @timestamp, @message | sort @message asc");
    assert_eq!(
        got,
        [
            "2026-10-31 00:00:00.000 | 2026-10-31T00:00:00.000Z hello",
            "2026-11-01 00:00:00.000 | plain"
        ]
    );
    let (_d, loupe) = fresh();
    loupe.ingest("g", "s", &input[..], Format::Export).unwrap();
    let got = rows(&loupe, "fields @timestamp, @message | sort @message asc");
    assert_eq!(
        got,
        [
            "2026-10-31 00:00:00.000 | hello",
            "2026-11-01 00:00:00.000 | plain"
        ]
    );
}

#[test]
fn a_broken_cloudtrail_file_is_a_clear_error() {
    let (_d, loupe) = fresh();
    let err = loupe
        .ingest("g", "s", &b"{\"Records\": [ {"[..], Format::CloudTrail)
        .unwrap_err();
    assert!(
        err.to_string().contains("not a CloudTrail log file"),
        "{err}"
    );
}
