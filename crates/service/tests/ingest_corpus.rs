//! Every raw log file of the shared corpus, and the held-out files under `testdata/ingest/`,
//! ingests with `Format::Auto` into exactly as many events as the file has records.
//!
//! The expected count is computed here, independently of the readers, from the whole file:
//! a text that parses as a sequence of JSON values counts `Records` elements, `logEvents`
//! elements, array elements, or one per other value (JSON lines: one per line); a text whose
//! first line is a CSV header with `@message` counts CSV records; anything else counts its
//! non-empty lines (after a `\r` before each `\n` is dropped).
//!
//! The corpus (`../shared/corpus` beside the repository) is not part of the repository: when it
//! is absent the corpus test says so loudly and passes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use loupe_service::{FixedClock, Format, IngestReport, Loupe, StartQuery};
use serde_json::Value;

mod common;
use common::NOW_MS;

fn heldout_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ingest")
}

/// Files under `dir`, sorted, that are logs: not the folder notes, licences or loghub's
/// ground-truth tables.
fn log_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.retain(|p| {
        let name = p.file_name().unwrap().to_string_lossy();
        !(name.ends_with(".md")
            || name.starts_with('.')
            || name.ends_with(".loghub")
            || name.ends_with("_structured.csv")
            || name.ends_with("_templates.csv"))
    });
    files.sort();
    files
}

fn read_unpacked(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        bytes
    }
}

/// Non-empty lines, a `\r` before `\n` not counting as content, after the file's header
/// lines (W3C `#` directives; a VPC flow log's first line naming `srcaddr` and `dstaddr`),
/// which are not records.
fn count_lines(bytes: &[u8]) -> u64 {
    let lines: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty() && *l != b"\r")
        .collect();
    let header = |l: &[u8]| {
        let text = String::from_utf8_lossy(l);
        (text.starts_with('#')
            && text
                .split_whitespace()
                .next()
                .is_some_and(|w| w.ends_with(':')))
            || (text.starts_with("version ")
                && text.contains(" srcaddr ")
                && text.contains(" dstaddr "))
    };
    let headers = lines.iter().take_while(|l| header(l)).count();
    (lines.len() - headers) as u64
}

/// CSV records after the header: line breaks outside quotes end records; empty records skip.
fn count_csv(bytes: &[u8]) -> u64 {
    let mut records = 0;
    let mut in_quotes = false;
    let mut content = false;
    for &b in bytes {
        match b {
            b'"' => {
                in_quotes = !in_quotes;
                content = true;
            }
            b'\n' if !in_quotes => {
                records += u64::from(content);
                content = false;
            }
            b'\r' => {}
            _ => content = true,
        }
    }
    records + u64::from(content) - 1
}

/// The records of one JSON value, as the module docs count them.
fn json_records(v: &Value) -> u64 {
    if let Some(Value::Array(r)) = v.get("Records") {
        return r.len() as u64;
    }
    if let (Some(Value::Array(e)), Some(_)) = (v.get("logEvents"), v.get("messageType")) {
        return e.len() as u64;
    }
    match v {
        Value::Array(items) => items.len() as u64,
        _ => 1,
    }
}

/// How many records the file holds (see the file docs).
fn expected_records(bytes: &[u8]) -> (u64, &'static str) {
    let values: Result<Vec<Value>, _> = serde_json::Deserializer::from_slice(bytes)
        .into_iter()
        .collect();
    if let Ok(values) = values
        && !values.is_empty()
    {
        let non_empty: Vec<&[u8]> = bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.trim_ascii().is_empty())
            .collect();
        let one_per_line = non_empty.len() == values.len()
            && !values.iter().any(|v| {
                v.get("Records").is_some() || v.get("logEvents").is_some() || v.is_array()
            });
        if one_per_line {
            return (count_lines(bytes), "json lines");
        }
        return (values.iter().map(json_records).sum(), "json document");
    }
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    if String::from_utf8_lossy(first)
        .trim_end()
        .trim_start_matches('\u{feff}')
        .split(',')
        .any(|f| f.trim_matches('"') == "@message")
    {
        return (count_csv(bytes), "csv");
    }
    (count_lines(bytes), "lines")
}

fn ingest_all(files: &[PathBuf], root: &Path) -> Vec<(String, &'static str, u64, IngestReport)> {
    let store = tempfile::tempdir().unwrap();
    let loupe = Loupe::with_clock(store.path(), Arc::new(FixedClock(NOW_MS))).unwrap();
    let mut out = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let name = path.strip_prefix(root).unwrap().display().to_string();
        let (expected, kind) = expected_records(&read_unpacked(path));
        let group = format!("f{i}");
        let input = std::io::BufReader::new(std::fs::File::open(path).unwrap());
        let report = loupe
            .ingest(&group, "s", input, Format::Auto)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let stored = loupe
            .query(&StartQuery {
                query_string: "stats count(*)".into(),
                log_group_names: vec![group],
                ..Default::default()
            })
            .unwrap();
        let stored: u64 = stored.results[0][0].value.parse().unwrap();
        assert_eq!(stored, report.accepted, "{name}: stored vs accepted");
        out.push((name, kind, expected, report));
    }
    let mut failures = Vec::new();
    println!(
        "{:<70} {:>14} {:>8} {:>8} {:>6} {:>8}",
        "file", "read as", "records", "events", "blank", "untimed"
    );
    for (name, kind, expected, report) in &out {
        println!(
            "{name:<70} {kind:>14} {expected:>8} {:>8} {:>6} {:>8}",
            report.accepted, report.blank, report.untimed
        );
        if report.accepted != *expected || report.rejected != 0 {
            failures.push(format!(
                "{name}: {expected} records, {} events, {} rejected {:?}",
                report.accepted, report.rejected, report.rejections
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    out
}

#[test]
fn every_corpus_log_file_ingests_one_event_per_record() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let files = log_files(&dir);
    assert!(files.len() >= 30, "only {} corpus files found", files.len());
    let results = ingest_all(&files, &dir);
    // Files whose every record carries a time the readers know must not fall back to now.
    let timed = [
        "Android_2k.log",
        "Apache_2k.log",
        "Hadoop_2k.log",
        "Linux_2k.log",
        "OpenSSH_2k.log",
        "Zookeeper_2k.log",
        "OpenStack_2k.log",
        "Spark_2k.log",
        "albaccesslog.log.gz",
        "nlbaccesslog.log.gz",
        "s3accesslog.log",
        "apache_logs",
        "kafka0-controller.log.2016-12-19-16",
        "kafka0-state-change.log",
        "nginxplus_json_logs",
        "cloudwatch_logs.json",
        "111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz",
        "aws.defense-evasion.cloudtrail-delete.json",
        "waflog.log.gz",
        "eventbridge-s3-event.json",
    ];
    for name in timed {
        let (_, _, _, report) = results
            .iter()
            .find(|(n, ..)| n.ends_with(name))
            .unwrap_or_else(|| panic!("{name} not in the corpus"));
        assert_eq!(report.untimed, 0, "{name}: events without a time");
    }
}

#[test]
fn held_out_files_ingest_one_event_per_record() {
    let dir = heldout_dir();
    let files = log_files(&dir);
    assert!(
        files.len() >= 4,
        "held-out files missing in {}",
        dir.display()
    );
    let results = ingest_all(&files, &dir);
    for (name, _, _, report) in &results {
        // The stack-trace lines of the log4j file carry no time of their own.
        let untimed = if name == "log4j_app.log" { 4 } else { 0 };
        assert_eq!(report.untimed, untimed, "{name}: events without a time");
        assert_eq!(
            report.replaced_utf8,
            u64::from(name == "latin1_bytes.log") * 2
        );
    }
    // The syslog file crosses New Year: read on 2026-11-01, December is 2025's.
    let store = tempfile::tempdir().unwrap();
    let loupe = Loupe::with_clock(store.path(), Arc::new(FixedClock(NOW_MS))).unwrap();
    let input = std::fs::read(dir.join("syslog_new_year.log")).unwrap();
    loupe.ingest("g", "s", &input[..], Format::Auto).unwrap();
    let got = loupe
        .query(&StartQuery {
            query_string: "stats min(@timestamp) as a, max(@timestamp) as b".into(),
            log_group_names: vec!["g".into()],
            ..Default::default()
        })
        .unwrap();
    let got: Vec<&str> = got.results[0].iter().map(|c| c.value.as_str()).collect();
    assert_eq!(got, ["2025-12-31 23:58:01.000", "2026-01-01 00:01:02.000"]);
}
