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

/// Reads `input` line by line into `group`/`stream`, creating both when missing.
pub fn ingest_lines(
    store: &Store,
    group: &str,
    stream: &str,
    mut input: impl BufRead,
    now_ms: i64,
) -> Result<IngestReport> {
    if !store.group_exists(group)? {
        store.create_group(group, now_ms)?;
    }
    store.create_stream(group, stream, now_ms)?;
    let mut report = IngestReport::default();
    let mut batch: Vec<Event> = Vec::new();
    let mut batch_bytes = 0usize;
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
            report.reject(line_no, "not valid UTF-8");
            continue;
        };
        let (timestamp, message) = split_timestamp(line).unwrap_or((now_ms, line));
        if message.is_empty() {
            report.reject(line_no, "empty message");
            continue;
        }
        let size = message.len() + EVENT_OVERHEAD_BYTES as usize;
        if size > MAX_EVENT_BYTES {
            report.reject(
                line_no,
                format!("event of {size} bytes exceeds {MAX_EVENT_BYTES}"),
            );
            continue;
        }
        if batch.len() == MAX_BATCH_EVENTS || batch_bytes + size > MAX_BATCH_BYTES {
            store.append(group, stream, &batch)?;
            batch.clear();
            batch_bytes = 0;
        }
        batch_bytes += size;
        report.accepted += 1;
        report.bytes += message.len() as u64;
        batch.push(Event {
            timestamp,
            ingestion_time: now_ms,
            message: message.to_owned(),
        });
    }
    if !batch.is_empty() {
        store.append(group, stream, &batch)?;
    }
    Ok(report)
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
