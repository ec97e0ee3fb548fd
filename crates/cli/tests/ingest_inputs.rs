//! `loupe ingest` over folders, CloudTrail trees, CSV downloads and its time options.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::loupe;
use std::path::Path;

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The CSV rows (header dropped) of `query` over `group`.
fn query(store: &Path, group: &str, q: &str) -> Vec<String> {
    let out = loupe(store, &["query", "--group", group, "--output", "csv", q]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .skip(1)
        .map(str::to_owned)
        .collect()
}

fn record(time: &str, name: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.09","eventTime":"{time}","eventSource":"iam.amazonaws.com","eventName":"{name}"}}"#
    )
}

/// `data` as a gzip member with one stored (uncompressed) deflate block (RFC 1951/1952), so the
/// test needs no compression library.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    assert!(data.len() <= 0xffff);
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    let len = data.len() as u16;
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255, 1];
    out.extend(len.to_le_bytes());
    out.extend((!len).to_le_bytes());
    out.extend(data);
    out.extend((!crc).to_le_bytes());
    out.extend((data.len() as u32).to_le_bytes());
    out
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_cloudtrail_tree_goes_to_one_group_with_a_stream_per_account_and_region() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let root = dir.path().join("AWSLogs/111122223333");
    let day = |region: &str| root.join(format!("CloudTrail/{region}/2026/10/31"));
    let doc = format!(
        "{{\"Records\":[{},{}]}}",
        record("2026-10-31T10:00:00Z", "CreateUser"),
        record("2026-10-31T10:00:01Z", "DeleteUser")
    );
    write(
        &day("us-east-1").join("111122223333_CloudTrail_us-east-1_20261031T1000Z_a1b2.json.gz"),
        &gzip_stored(doc.as_bytes()),
    );
    let pretty = format!(
        "{{\n  \"Records\": [\n    {}\n  ]\n}}",
        record("2026-10-31T11:00:00Z", "AttachRolePolicy")
    );
    write(
        &day("eu-west-1").join("111122223333_CloudTrail_eu-west-1_20261031T1100Z_c3d4.json"),
        pretty.as_bytes(),
    );
    // Digests are not logs; hidden files are not inputs.
    write(
        &root.join("CloudTrail-Digest/us-east-1/2026/10/31/111122223333_CloudTrail-Digest_us-east-1_x.json.gz"),
        b"not json",
    );
    write(&day("us-east-1").join(".DS_Store"), b"\0\0");

    let out = loupe(
        &store,
        &["ingest", dir.path().join("AWSLogs").to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("cloudtrail/111122223333_CloudTrail_us-east-1: 2 events accepted"),
        "{said}"
    );
    assert_eq!(
        query(
            &store,
            "cloudtrail",
            "stats count(*) as n by @logStream | sort @logStream asc"
        ),
        [
            "111122223333_CloudTrail_eu-west-1,1",
            "111122223333_CloudTrail_us-east-1,2"
        ]
    );
    assert_eq!(
        query(
            &store,
            "cloudtrail",
            "fields @timestamp, eventName | sort @timestamp asc | limit 1"
        ),
        ["2026-10-31 10:00:00.000,CreateUser"]
    );
}

#[test]
fn other_inputs_need_a_group_and_valid_time_options() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let log = dir.path().join("app.log");
    write(&log, b"hello\n");
    let out = loupe(&store, &["ingest", log.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--group"));
    let out = loupe(
        &store,
        &[
            "ingest",
            "-g",
            "app",
            "--timestamp",
            "%Q",
            log.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("strftime"));
    let out = loupe(
        &store,
        &[
            "ingest",
            "-g",
            "app",
            "--year",
            "99999",
            log.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let help = text(&loupe(&store, &["ingest", "--help"]).stdout);
    for needle in ["--timestamp", "--year", "csv", "strftime", "AWSLogs"] {
        assert!(help.contains(needle), "help lacks {needle}: {help}");
    }
}

#[test]
fn a_folder_of_logs_with_year_and_timestamp_options() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let logs = dir.path().join("logs");
    write(
        &logs.join("auth.log"),
        b"Dec 31 23:59:59 h sshd[1]: bye\r\nJan  1 00:00:00 h sshd[2]: hi\r\n\r\n",
    );
    write(
        &logs.join("sub/download.csv"),
        b"@timestamp,@message\n2020-06-01 00:00:00.000,\"two\nlines\"\n",
    );
    let out = loupe(
        &store,
        &[
            "ingest",
            "-g",
            "g",
            "--year",
            "2019",
            logs.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("g/auth.log: 2 events accepted"), "{said}");
    assert!(said.contains("1 blank lines skipped"), "{said}");
    assert!(
        said.contains("g/sub/download.csv: 1 events accepted"),
        "{said}"
    );
    assert_eq!(
        query(
            &store,
            "g",
            "fields @timestamp, @logStream | sort @timestamp asc"
        ),
        [
            "2019-12-31 23:59:59.000,auth.log",
            "2020-01-01 00:00:00.000,auth.log",
            "2020-06-01 00:00:00.000,sub/download.csv"
        ]
    );
    // --timestamp now: every event at the ingestion time, none counted as untimed.
    let out = loupe(
        &store,
        &[
            "ingest",
            "-g",
            "h",
            "--timestamp",
            "now",
            logs.join("auth.log").to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("without a recognised time"));
    assert_eq!(
        query(
            &store,
            "h",
            "filter @timestamp < 1700000000000 | stats count(*)"
        ),
        ["0"]
    );
}
