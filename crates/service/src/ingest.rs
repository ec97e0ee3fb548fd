//! Ingesting line-oriented log files: each line one event.
//!
//! A line that starts with an ISO-8601 timestamp followed by a space (as in CloudWatch export
//! files: `2026-11-01T00:00:00.000Z message`) takes its `@timestamp` from it, and the prefix is
//! removed from `@message`; any other line (plain text or JSON) gets the ingestion time.
//!
//! File import accepts events of any age: the PutLogEvents age window (14 days back, 2 hours
//! ahead) is for live clients, and importing an old archive is the point of this path. Lines
//! that can never be events (empty, not UTF-8, over the 1 MiB event size) are rejected and
//! counted; the first few are reported with their line numbers.

use std::io::BufRead;

use chrono::{DateTime, NaiveDateTime};
use loupe_store::{EVENT_OVERHEAD_BYTES, Event, Store};

use crate::error::{Result, ServiceError};

/// The largest event AWS accepts, counting the 26-byte overhead.
pub const MAX_EVENT_BYTES: usize = 1_048_576;
/// PutLogEvents batch limits.
pub const MAX_BATCH_EVENTS: usize = 10_000;
pub const MAX_BATCH_BYTES: usize = 1_048_576;
/// How many rejected lines an [`IngestReport`] describes one by one.
pub const REPORTED_REJECTIONS: usize = 10;

/// What an ingest did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    pub accepted: u64,
    pub rejected: u64,
    pub bytes: u64,
    /// `(line number, reason)` of the first rejected lines.
    pub rejections: Vec<(u64, String)>,
}

impl IngestReport {
    fn reject(&mut self, line: u64, reason: impl Into<String>) {
        self.rejected += 1;
        if self.rejections.len() < REPORTED_REJECTIONS {
            self.rejections.push((line, reason.into()));
        }
    }
}

/// Splits a leading ISO-8601 timestamp off `line`: `(epoch ms, rest of the line)`.
pub fn split_timestamp(line: &str) -> Option<(i64, &str)> {
    let (head, rest) = line.split_once(' ')?;
    // Cheap pre-check before asking chrono: `YYYY-MM-DDT...`.
    let b = head.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let ms = match DateTime::parse_from_rfc3339(head) {
        Ok(t) => t.timestamp_millis(),
        Err(_) => NaiveDateTime::parse_from_str(head, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()?
            .and_utc()
            .timestamp_millis(),
    };
    Some((ms, rest))
}

/// How input bytes become events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Sniff: gzip is unpacked; a `{"Records": [...]}` document is CloudTrail; otherwise lines,
    /// each taking its time from an export-style prefix or from a JSON timestamp field.
    #[default]
    Auto,
    /// One event per line, stamped with the ingestion time.
    Lines,
    /// JSON lines; `@timestamp`, `timestamp`, `time` or `eventTime` (RFC 3339 text or epoch
    /// seconds/milliseconds) gives the time when present.
    Jsonl,
    /// CloudWatch export files: `2026-11-01T00:00:00.000Z message`; the prefix is removed.
    Export,
    /// A CloudTrail log file: `{"Records": [...]}`, each record one event at its `eventTime`.
    CloudTrail,
}

/// JSON fields that carry an event's time, in order of preference.
const TIME_FIELDS: [&str; 4] = ["@timestamp", "timestamp", "time", "eventTime"];

/// Epoch ms from a JSON time value: RFC 3339 text, or a number of seconds or milliseconds.
fn json_time(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp_millis()),
        serde_json::Value::Number(n) => {
            let v = n.as_f64()?;
            // Below 1e11 it is seconds (until the year 5138), above it milliseconds.
            Some(if v.abs() < 1e11 {
                (v * 1000.0) as i64
            } else {
                v as i64
            })
        }
        _ => None,
    }
}

/// The time a JSON object line names, if it is one and names one.
fn jsonl_time(line: &str) -> Option<i64> {
    let trimmed = line.trim_start();
    if !trimmed.starts_with('{') {
        return None;
    }
    let serde_json::Value::Object(map) = serde_json::from_str(trimmed).ok()? else {
        return None;
    };
    TIME_FIELDS
        .iter()
        .find_map(|f| map.get(*f).and_then(json_time))
}

/// Collects events into PutLogEvents-sized batches and appends them.
struct Sink<'a> {
    store: &'a Store,
    group: &'a str,
    stream: &'a str,
    now_ms: i64,
    batch: Vec<Event>,
    batch_bytes: usize,
    report: IngestReport,
}

impl Sink<'_> {
    fn push(&mut self, record: u64, timestamp: i64, message: &str) -> Result<()> {
        if message.is_empty() {
            self.report.reject(record, "empty message");
            return Ok(());
        }
        let size = message.len() + EVENT_OVERHEAD_BYTES as usize;
        if size > MAX_EVENT_BYTES {
            self.report.reject(
                record,
                format!("event of {size} bytes exceeds {MAX_EVENT_BYTES}"),
            );
            return Ok(());
        }
        if self.batch.len() == MAX_BATCH_EVENTS || self.batch_bytes + size > MAX_BATCH_BYTES {
            self.flush()?;
        }
        self.batch_bytes += size;
        self.report.accepted += 1;
        self.report.bytes += message.len() as u64;
        self.batch.push(Event {
            timestamp,
            ingestion_time: self.now_ms,
            message: message.to_owned(),
        });
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if !self.batch.is_empty() {
            self.store.append(self.group, self.stream, &self.batch)?;
            self.batch.clear();
            self.batch_bytes = 0;
        }
        Ok(())
    }
}

/// Reads `input` line by line into `group`/`stream`, creating both when missing
/// ([`Format::Export`]: an export-style prefix gives the time, else the ingestion time).
pub fn ingest_lines(
    store: &Store,
    group: &str,
    stream: &str,
    input: impl BufRead,
    now_ms: i64,
) -> Result<IngestReport> {
    ingest(store, group, stream, input, Format::Export, now_ms)
}

/// Reads `input` in `format` into `group`/`stream`, creating both when missing.
///
/// Lines end at `\n`; a `\r` before it is dropped and a missing final newline is fine. A line
/// that is not UTF-8, is empty, or is larger than an event may be is rejected and counted (the
/// first few with their line numbers); nothing is altered to make it fit.
pub fn ingest(
    store: &Store,
    group: &str,
    stream: &str,
    mut input: impl BufRead,
    format: Format,
    now_ms: i64,
) -> Result<IngestReport> {
    if !store.group_exists(group)? {
        store.create_group(group, now_ms)?;
    }
    store.create_stream(group, stream, now_ms)?;
    let read_error = |e: std::io::Error| ServiceError::Input(format!("reading the input: {e}"));
    let head = input.fill_buf().map_err(read_error)?;
    let sink = Sink {
        store,
        group,
        stream,
        now_ms,
        batch: Vec::new(),
        batch_bytes: 0,
        report: IngestReport::default(),
    };
    if head.starts_with(&[0x1f, 0x8b]) {
        let mut unpacked = std::io::BufReader::new(flate2::bufread::MultiGzDecoder::new(input));
        read_events(&mut unpacked, format, sink)
    } else {
        read_events(&mut input, format, sink)
    }
}

/// The events of (unpacked) `input` in `format`, into `sink`.
fn read_events(
    input: &mut dyn BufRead,
    format: Format,
    mut sink: Sink<'_>,
) -> Result<IngestReport> {
    let now_ms = sink.now_ms;
    let read_error = |e: std::io::Error| ServiceError::Input(format!("reading the input: {e}"));
    let head = input.fill_buf().map_err(read_error)?;
    let looks_like_cloudtrail = {
        let text = String::from_utf8_lossy(&head[..head.len().min(256)]);
        let t = text.trim_start();
        t.starts_with('{') && t.contains("\"Records\"")
    };
    if format == Format::CloudTrail || (format == Format::Auto && looks_like_cloudtrail) {
        cloudtrail(input, &mut sink)?;
        sink.flush()?;
        return Ok(sink.report);
    }
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', &mut buf)
            .map_err(|e| ServiceError::Input(format!("reading line {}: {e}", line_no + 1)))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let raw = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(line) = std::str::from_utf8(raw) else {
            sink.report.reject(line_no, "not valid UTF-8");
            continue;
        };
        let (timestamp, message) = match format {
            Format::Lines => (now_ms, line),
            Format::Export => split_timestamp(line).unwrap_or((now_ms, line)),
            Format::Jsonl => (jsonl_time(line).unwrap_or(now_ms), line),
            Format::Auto | Format::CloudTrail => {
                split_timestamp(line).unwrap_or_else(|| (jsonl_time(line).unwrap_or(now_ms), line))
            }
        };
        sink.push(line_no, timestamp, message)?;
    }
    sink.flush()?;
    Ok(sink.report)
}

/// A CloudTrail log file: every element of `Records` becomes one compact-JSON event.
fn cloudtrail(input: &mut dyn BufRead, sink: &mut Sink<'_>) -> Result<()> {
    let mut text = String::new();
    input
        .read_to_string(&mut text)
        .map_err(|e| ServiceError::Input(format!("reading the CloudTrail file: {e}")))?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| ServiceError::Input(format!("not a CloudTrail log file: {e}")))?;
    let Some(records) = doc.get("Records").and_then(|r| r.as_array()) else {
        return Err(ServiceError::Input(
            "not a CloudTrail log file: no \"Records\" array".into(),
        ));
    };
    for (i, record) in records.iter().enumerate() {
        let timestamp = record
            .get("eventTime")
            .and_then(json_time)
            .unwrap_or(sink.now_ms);
        let message = serde_json::to_string(record)
            .map_err(|e| ServiceError::Internal(format!("re-encoding a record: {e}")))?;
        sink.push(i as u64 + 1, timestamp, &message)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_export_style_timestamps() {
        assert_eq!(
            split_timestamp("2026-11-01T00:00:00.000Z hello world"),
            Some((1_793_491_200_000, "hello world"))
        );
        assert_eq!(
            split_timestamp("2026-11-01T01:00:00+01:00 x"),
            Some((1_793_491_200_000, "x"))
        );
        assert_eq!(
            split_timestamp("2026-11-01T00:00:00.5 naive"),
            Some((1_793_491_200_500, "naive"))
        );
        assert_eq!(split_timestamp("{\"a\":1}"), None);
        assert_eq!(split_timestamp("2026-11-01 00:00:00 not iso-t"), None);
        assert_eq!(split_timestamp("2026-13-01T00:00:00Z bad month"), None);
    }

    #[test]
    fn ingests_lines_and_rejects_what_cannot_be_an_event() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let input: &[u8] = b"2026-11-01T00:00:00.000Z first\n\nplain\r\n\xff\xfe\n{\"a\":1}";
        let report = ingest_lines(&store, "g", "s", input, 42).unwrap();
        assert_eq!((report.accepted, report.rejected), (3, 2));
        assert_eq!(report.rejections[0], (2, "empty message".to_owned()));
        assert_eq!(report.rejections[1], (4, "not valid UTF-8".to_owned()));
        assert_eq!(store.groups().unwrap()[0].event_count, 3);
    }
}
