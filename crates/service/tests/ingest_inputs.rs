//! Input readers through the public API: CSV downloads, timestamp detection and overrides,
//! JSON documents, and the sealed store an ingest leaves behind.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fresh, rows};

use std::path::Path;

use loupe_service::{Format, IngestOptions, TimestampRule};

fn with(format: Format, timestamp: &str) -> IngestOptions {
    IngestOptions {
        format,
        timestamp: timestamp.parse().unwrap(),
        ..Default::default()
    }
}

#[test]
fn console_csv_downloads_keep_multi_line_messages_and_streams() {
    let csv = "\u{feff}@timestamp,@logStream,@log,@message\r\n\
        2026-10-31 10:00:00.250,web-1,123:g,\"plain line\"\r\n\
        2026-10-31 10:00:01.000,web-2,123:g,\"Traceback:\n  line \"\"a\"\", 1\"\r\n\
        \r\n\
        ,,123:g,\"{\"\"time\"\":\"\"2026-10-30T00:00:00Z\"\",\"\"x\"\":1}\"";
    let (_d, loupe) = fresh();
    let report = loupe
        .ingest("g", "s", csv.as_bytes(), Format::Auto)
        .unwrap();
    assert_eq!((report.accepted, report.rejected, report.blank), (3, 0, 1));
    let got = rows(
        &loupe,
        "fields @timestamp, @logStream, @message | sort @timestamp asc",
    );
    assert_eq!(
        got,
        [
            "2026-10-30 00:00:00.000 | s | {\"time\":\"2026-10-30T00:00:00Z\",\"x\":1}",
            "2026-10-31 10:00:00.250 | web-1 | plain line",
            "2026-10-31 10:00:01.000 | web-2 | Traceback:\n  line \"a\", 1",
        ]
    );
    // The same bytes with --format csv read the same; with --format lines they are lines.
    let (_d, loupe) = fresh();
    let report = loupe.ingest("g", "s", csv.as_bytes(), Format::Csv).unwrap();
    assert_eq!(report.accepted, 3);
    let (_d, loupe) = fresh();
    let report = loupe
        .ingest("g", "s", csv.as_bytes(), Format::Lines)
        .unwrap();
    assert_eq!(report.accepted, 5);
}

#[test]
fn a_csv_record_naming_an_invalid_stream_is_rejected_alone() {
    let (_d, loupe) = fresh();
    let csv = b"@logStream,@message\nok,a\nbad:name,b\n,c\nbad:name,d\n";
    let report = loupe.ingest("g", "s", &csv[..], Format::Auto).unwrap();
    assert_eq!((report.accepted, report.rejected), (2, 2));
    assert_eq!((report.rejections[0].0, report.rejections[1].0), (3, 5));
    assert_eq!(
        rows(&loupe, "fields @logStream, @message | sort @message asc"),
        ["ok | a", "s | c"]
    );
}

#[test]
fn a_csv_without_a_message_column_is_a_clear_error() {
    let (_d, loupe) = fresh();
    let err = loupe
        .ingest("g", "s", &b"@timestamp,msg\n1,2\n"[..], Format::Csv)
        .unwrap_err();
    assert!(err.to_string().contains("@message"), "{err}");
}

#[test]
fn line_times_are_detected_and_lines_kept_whole() {
    let input = "2016-12-19 16:11:03,155 INFO log4j line\n\
        [2016-12-19 16:11:04,000] INFO kafka line\n\
        Dec 19 16:11:05 host sshd[1]: syslog line\n\
        10.0.0.1 - - [19/Dec/2016:17:11:06 +0100] \"GET / HTTP/1.1\" 200 5\n\
        1482163867 epoch seconds\n\
        1482163868000 epoch millis\n\
        {\"ts\":1482163869,\"msg\":\"json\"}\n\
        no time at all\n";
    let (_d, loupe) = fresh();
    let report = loupe
        .ingest_with(
            "g",
            "s",
            input.as_bytes(),
            &IngestOptions {
                year: Some(2016),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!((report.accepted, report.untimed), (8, 1));
    let got = rows(&loupe, "fields @timestamp, @message | sort @timestamp asc");
    let expected: Vec<String> = input
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i == 7 {
                format!("2026-11-01 00:00:00.000 | {line}")
            } else {
                format!(
                    "2016-12-19 16:11:{:02}.{} | {line}",
                    3 + i,
                    if i == 0 { "155" } else { "000" }
                )
            }
        })
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn syslog_without_a_year_takes_the_clock_year_or_the_one_before() {
    // On 2026-11-01, "Dec 31" would be in the future: it is 2025's.
    let input = b"Dec 31 23:59:59 h a\nJan  1 00:00:00 h b\nOct 31 12:00:00 h c\n";
    let (_d, loupe) = fresh();
    loupe.ingest("g", "s", &input[..], Format::Auto).unwrap();
    let got = rows(&loupe, "fields @timestamp | sort @timestamp asc");
    assert_eq!(
        got,
        [
            "2025-12-31 23:59:59.000",
            "2026-01-01 00:00:00.000",
            "2026-10-31 12:00:00.000"
        ]
    );
}

#[test]
fn timestamp_overrides() {
    let input = b"{\"at\":\"2020-01-02T03:04:05Z\",\"time\":\"2021-01-01T00:00:00Z\"}\n";
    let cases = [
        ("auto", "2021-01-01 00:00:00.000"),
        ("at", "2020-01-02 03:04:05.000"),
        ("now", "2026-11-01 00:00:00.000"),
        ("missing", "2026-11-01 00:00:00.000"),
    ];
    for (rule, want) in cases {
        let (_d, loupe) = fresh();
        loupe
            .ingest_with("g", "s", &input[..], &with(Format::Auto, rule))
            .unwrap();
        assert_eq!(rows(&loupe, "fields @timestamp"), [want], "{rule}");
    }
    let (_d, loupe) = fresh();
    let text = b"job 7 finished at 02.01.2020 03:04 ok\n";
    let report = loupe
        .ingest_with("g", "s", &text[..], &with(Format::Lines, "%d.%m.%Y %H:%M"))
        .unwrap();
    assert_eq!(report.untimed, 0);
    assert_eq!(
        rows(&loupe, "fields @timestamp, @message"),
        ["2020-01-02 03:04:00.000 | job 7 finished at 02.01.2020 03:04 ok"]
    );
    assert!("%Q".parse::<TimestampRule>().is_err());
}

#[test]
fn json_documents_by_shape() {
    let subscription = r#"{
        "messageType": "DATA_MESSAGE", "logGroup": "/aws/lambda/f", "logStream": "x",
        "logEvents": [
            {"id": "1", "timestamp": 1793404800000, "message": "START RequestId: r1\n"},
            {"id": "2", "timestamp": 1793404801000, "message": "END RequestId: r1"}
        ]
    }"#;
    let (_d, loupe) = fresh();
    let report = loupe
        .ingest("g", "s", subscription.as_bytes(), Format::Auto)
        .unwrap();
    assert_eq!(report.accepted, 2);
    assert_eq!(
        rows(
            &loupe,
            "fields @timestamp, @logStream, @message | sort @timestamp asc"
        ),
        [
            "2026-10-31 00:00:00.000 | x | START RequestId: r1\n",
            "2026-10-31 00:00:01.000 | x | END RequestId: r1"
        ]
    );
    let single = "{\n  \"detail-type\": \"Object Created\",\n  \"time\": \"2026-10-31T00:00:00Z\",\n  \"detail\": {\"size\": 100}\n}\n";
    let (_d, loupe) = fresh();
    let report = loupe
        .ingest("g", "s", single.as_bytes(), Format::Auto)
        .unwrap();
    assert_eq!(report.accepted, 1);
    assert_eq!(
        rows(&loupe, "fields @timestamp, @message, detail.size"),
        [
            "2026-10-31 00:00:00.000 | {\"detail-type\":\"Object Created\",\"time\":\"2026-10-31T00:00:00Z\",\"detail\":{\"size\":100}} | 100"
        ]
    );
    let array = "[\n {\"time\": 1793404800, \"n\": 1},\n {\"n\": 2}\n]";
    let (_d, loupe) = fresh();
    let report = loupe
        .ingest("g", "s", array.as_bytes(), Format::Auto)
        .unwrap();
    assert_eq!((report.accepted, report.untimed), (2, 1));
}

#[test]
fn invalid_utf8_is_replaced_and_counted() {
    let (_d, loupe) = fresh();
    let report = loupe
        .ingest("g", "s", &b"caf\xe9 ok\r\nfine"[..], Format::Lines)
        .unwrap();
    assert_eq!((report.accepted, report.replaced_utf8), (2, 1));
    assert_eq!(
        rows(&loupe, "fields @message | sort @message asc"),
        ["caf\u{fffd} ok", "fine"]
    );
}

/// `(bytes of write-ahead log frames, segment files, other entries)` under `store`'s groups
/// (each WAL file starts with an 8-byte magic; a group holds its manifest besides).
fn group_files(store: &Path) -> (u64, usize, Vec<String>) {
    let mut out = (0, 0, Vec::new());
    for group in std::fs::read_dir(store.join("groups")).unwrap() {
        for entry in std::fs::read_dir(group.unwrap().path()).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".log") {
                out.0 += std::fs::metadata(&path).unwrap().len().saturating_sub(8);
            } else if name.ends_with(".lseg") {
                out.1 += 1;
            } else if name != "manifest.json" {
                out.2.push(name);
            }
        }
    }
    out
}

#[test]
fn an_ingest_goes_straight_to_segments_and_several_inputs_publish_once() {
    let (dir, loupe) = fresh();
    for i in 0..3 {
        let input = format!("2026-10-31T00:00:0{i}.000Z event {i}\n");
        loupe
            .ingest("g", "s", input.as_bytes(), Format::Auto)
            .unwrap();
        assert_eq!(group_files(dir.path()), (0, i + 1, vec![]));
    }
    // Several inputs, one load: nothing visible before `finish`, then one more segment.
    let mut load = loupe.start_ingest("g").unwrap();
    for (stream, input) in [("s", "one more\n"), ("t", "and\nanother\n")] {
        let options = IngestOptions::default();
        let report = load.ingest(stream, input.as_bytes(), &options).unwrap();
        assert_eq!(report.rejected, 0);
    }
    assert_eq!(rows(&loupe, "stats count(*)"), ["3"]);
    assert_eq!(load.finish().unwrap(), 3);
    assert_eq!(rows(&loupe, "stats count(*)"), ["6"]);
    assert_eq!(group_files(dir.path()), (0, 4, vec![]));
    // A load dropped unfinished publishes nothing and leaves nothing behind.
    let mut load = loupe.start_ingest("g").unwrap();
    load.ingest("s", &b"lost\n"[..], &IngestOptions::default())
        .unwrap();
    drop(load);
    assert_eq!(rows(&loupe, "stats count(*)"), ["6"]);
    assert_eq!(group_files(dir.path()), (0, 4, vec![]));
}

/// A read that fails half-way keeps the events read before it, as appends did.
#[test]
fn a_failed_read_still_publishes_what_came_before() {
    struct Failing<'a>(&'a [u8]);
    impl std::io::Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Err(std::io::Error::other("disk gone"));
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let (_dir, loupe) = fresh();
    let input = std::io::BufReader::new(Failing(b"first\nsecond\n"));
    let err = loupe.ingest("g", "s", input, Format::Lines).unwrap_err();
    assert!(err.to_string().contains("disk gone"), "{err}");
    assert_eq!(rows(&loupe, "stats count(*)"), ["2"]);
}
