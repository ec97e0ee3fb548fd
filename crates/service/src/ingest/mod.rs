//! Ingesting log files: bytes in, events into a log group.
//!
//! # Formats
//!
//! [`Format::Auto`] (the default) unpacks gzip (also several concatenated members), skips a
//! UTF-8 byte-order mark, and then sniffs the first bytes:
//!
//! - a first line that is a CSV header with an `@message` column is the console's CSV download
//!   ([`Format::Csv`], see the `csv` module);
//! - `{` or `[` that does not complete a JSON value on its first line, or whose first value is
//!   a `{"Records": [...]}` or `{"logEvents": [...]}` wrapper, is a JSON document: one event per
//!   record, log event (in the payload's `logStream`) or array element, or one event for any
//!   other value (see the `json` module: a single EventBridge event is one event);
//! - anything else is one event per line (JSON lines included).
//!
//! # Lines
//!
//! A line ends at `\n`; a `\r` before it is dropped (CRLF files), and a last line without a
//! final newline is still an event. Empty lines are skipped and counted
//! ([`IngestReport::blank`]). Header lines before a file's first record are not records and are
//! skipped and counted too ([`IngestReport::headers`]; `--format auto` only): a VPC flow log's
//! field-name line (`version account-id interface-id srcaddr ...`, as S3 delivers flow logs)
//! and W3C directives (`#Version:`, `#Fields:`, ... in CloudFront standard logs). Bytes that are not UTF-8 are replaced by U+FFFD and the event is
//! kept and counted ([`IngestReport::replaced_utf8`]): an event store cannot hold them, and a
//! line with one bad byte is still worth finding. A line larger than an event may be (1 MiB
//! with its 26-byte overhead) is rejected with its line number, never cut.
//!
//! The message is the whole line, byte for byte, as the CloudWatch agent sends it, with one
//! exception: a CloudWatch export file's prefix (`2026-11-01T00:00:00.000Z ` exactly: `T`,
//! milliseconds, `Z`, one space) gives the time and is removed, as the export added it.
//! [`Format::Export`] removes any ISO-8601 prefix with a `T` followed by a space.
//!
//! # Time
//!
//! An event's `@timestamp` comes from, in order: the export prefix; a time at the start of the
//! line in one of the shapes the `time` module recognises (ISO 8601 with `T` or a space, with
//! `.` or `,` fractions, bracketed as Kafka writes it, syslog and logcat without a year, epoch
//! seconds or milliseconds, an ISO 8601 token within the first 64 bytes, Apache
//! `[10/Oct/2000:13:55:36 -0700]` within the first 160 bytes);
//! for a JSON line, the first of its `@timestamp`, `timestamp`, `time`, `eventTime` or `ts`
//! fields (text or a number of seconds or milliseconds) in the order written, read without
//! parsing the rest of the line; else the ingestion time, counted in
//! [`IngestReport::untimed`]. [`TimestampRule`] (`--timestamp`) replaces the detection: `now`,
//! a field name, or a strftime format. A year-less time takes [`IngestOptions::year`] or the
//! clock's year (see the `time` module). Detection checks bytes at fixed offsets before it
//! converts anything, so lines without a time cost little.
//!
//! # Storage
//!
//! File import accepts events of any age: the PutLogEvents age window (14 days back, 2 hours
//! ahead) is for live clients, and importing an old archive is the point of this path. The
//! per-event rules that still apply are those of an event itself: an empty message or one over
//! 1 MiB with its overhead is rejected with its number, and a record naming a stream AWS would
//! not accept is rejected. Accepted events go to the store as one bulk load
//! ([`loupe_store::BulkLoad`]): straight into segments, without the write-ahead log, published
//! in one manifest swap at the end (and every gigabyte or so of a long import). An ingest
//! returns once its events are durable; a failed read still publishes the events read before
//! it, as an append would have kept them. [`GroupIngest`] ingests several inputs into one group
//! as one load, so a folder of small files becomes a few segments, not one per file.

pub(crate) mod csv;
mod json;
mod time;

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::BufRead;

use loupe_store::{BulkLoad, EVENT_OVERHEAD_BYTES, Store};
use serde_json::Value;

pub use time::TimestampRule;

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
    /// Message bytes accepted.
    pub bytes: u64,
    /// `(line number, reason)` of the first rejected lines (for a JSON document, the record's
    /// number in the file; for CSV, the line its record starts on).
    pub rejections: Vec<(u64, String)>,
    /// Empty lines (or CSV records) skipped.
    pub blank: u64,
    /// Header lines before the first record skipped (see the module docs).
    pub headers: u64,
    /// Accepted events whose bytes were not UTF-8 and got U+FFFD in their place.
    pub replaced_utf8: u64,
    /// Accepted events that carried no recognisable time and got the ingestion time.
    pub untimed: u64,
}

impl IngestReport {
    fn reject(&mut self, line: u64, reason: impl Into<String>) {
        self.rejected += 1;
        if self.rejections.len() < REPORTED_REJECTIONS {
            self.rejections.push((line, reason.into()));
        }
    }
}

/// Splits a leading ISO-8601 timestamp with a `T`, followed by a space, off `line` (the
/// [`Format::Export`] prefix): `(epoch ms, rest of the line)`.
pub fn split_timestamp(line: &str) -> Option<(i64, &str)> {
    let (ms, len) = time::lenient_prefix(line.as_bytes())?;
    Some((ms, &line[len..]))
}

/// How input bytes become events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Sniff gzip, CSV, JSON documents and lines (see the module docs).
    #[default]
    Auto,
    /// One event per line, the line kept whole; its time detected.
    Lines,
    /// JSON lines; `@timestamp`, `timestamp`, `time`, `eventTime` or `ts` gives the time.
    Jsonl,
    /// CloudWatch export files: `2026-11-01T00:00:00.000Z message`; the prefix is removed.
    Export,
    /// CloudTrail log files: `{"Records": [...]}`, each record one event at its `eventTime`.
    CloudTrail,
    /// The console's CSV download: a header with `@message` (and usually `@timestamp`).
    Csv,
}

/// How an ingest reads its input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestOptions {
    pub format: Format,
    /// Where the events' time comes from (`--timestamp`).
    pub timestamp: TimestampRule,
    /// The year of year-less times such as syslog's (`--year`); else the clock's.
    pub year: Option<i32>,
}

impl From<Format> for IngestOptions {
    fn from(format: Format) -> Self {
        IngestOptions {
            format,
            ..Default::default()
        }
    }
}

impl crate::Loupe {
    /// Ingests `input` into `group`, stream `stream`, as `options` say.
    pub fn ingest_with(
        &self,
        group: &str,
        stream: &str,
        input: impl BufRead,
        options: &IngestOptions,
    ) -> Result<IngestReport> {
        ingest_with(
            &self.store,
            group,
            stream,
            input,
            options,
            self.clock.now_ms(),
        )
    }

    /// Starts an ingest of several inputs into `group` as one bulk load (see [`GroupIngest`]).
    pub fn start_ingest(&self, group: &str) -> Result<GroupIngest<'_>> {
        GroupIngest::start(&self.store, group, self.clock.now_ms())
    }

    /// Seals the group's write-ahead log (events of PutLogEvents) into a segment, compacting
    /// small segments when the store's policy says so.
    pub fn seal(&self, group: &str) -> Result<()> {
        self.store.seal(group)?;
        Ok(())
    }
}

/// Several inputs ingested into one log group as one bulk load: nothing is visible or durable
/// until [`GroupIngest::finish`] publishes it (dropping it publishes nothing).
#[derive(Debug)]
pub struct GroupIngest<'a> {
    store: &'a Store,
    group: String,
    now_ms: i64,
    load: BulkLoad,
    created: HashSet<String>,
}

impl<'a> GroupIngest<'a> {
    /// Creates `group` when missing and starts its load; `now_ms` is every event's
    /// `@ingestionTime` (and the time of events without one).
    pub fn start(store: &'a Store, group: &str, now_ms: i64) -> Result<GroupIngest<'a>> {
        if !store.group_exists(group)? {
            store.create_group(group, now_ms)?;
        }
        Ok(GroupIngest {
            store,
            group: group.to_owned(),
            now_ms,
            load: store.bulk_load(group)?,
            created: HashSet::new(),
        })
    }

    /// Reads `input` into `stream` (created when missing) as `options` say. After an error the
    /// events read before it are still in the load.
    pub fn ingest(
        &mut self,
        stream: &str,
        mut input: impl BufRead,
        options: &IngestOptions,
    ) -> Result<IngestReport> {
        if let Some(year) = options.year
            && !time::Years::RANGE.contains(&year)
        {
            return Err(ServiceError::InvalidParameter(format!(
                "--year {year}: expected a year from 1 to 9999"
            )));
        }
        if !self.created.contains(stream) {
            self.store.create_stream(&self.group, stream, self.now_ms)?;
            self.created.insert(stream.to_owned());
        }
        let mut sink = Sink {
            store: self.store,
            group: &self.group,
            stream,
            now_ms: self.now_ms,
            load: &mut self.load,
            created: &mut self.created,
            count_untimed: options.timestamp != TimestampRule::Now,
            report: IngestReport::default(),
        };
        let mut stamper = Stamper {
            rule: options.timestamp.clone(),
            years: time::Years::new(self.now_ms, options.year),
        };
        let head = input.fill_buf().map_err(read_error)?;
        if head.starts_with(&[0x1f, 0x8b]) {
            let mut unpacked = std::io::BufReader::with_capacity(
                1 << 20,
                flate2::bufread::MultiGzDecoder::new(input),
            );
            read_events(&mut unpacked, options.format, &mut sink, &mut stamper)?;
        } else {
            read_events(&mut input, options.format, &mut sink, &mut stamper)?;
        }
        Ok(sink.report)
    }

    /// Publishes the load (the durability point); returns how many events it published.
    pub fn finish(self) -> Result<u64> {
        Ok(self.load.finish()?)
    }
}

/// Reads `input` line by line into `group`/`stream`, creating both when missing
/// ([`Format::Export`]: an export-style prefix gives the time and is removed).
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
pub fn ingest(
    store: &Store,
    group: &str,
    stream: &str,
    input: impl BufRead,
    format: Format,
    now_ms: i64,
) -> Result<IngestReport> {
    ingest_with(store, group, stream, input, &format.into(), now_ms)
}

/// Reads `input` into `group`/`stream` as `options` say, creating both when missing; returns
/// once the events are durable. A failed read still publishes the events read before it.
pub fn ingest_with(
    store: &Store,
    group: &str,
    stream: &str,
    input: impl BufRead,
    options: &IngestOptions,
    now_ms: i64,
) -> Result<IngestReport> {
    let mut ingest = GroupIngest::start(store, group, now_ms)?;
    let report = ingest.ingest(stream, input, options);
    let published = ingest.finish();
    let report = report?;
    published?;
    Ok(report)
}

fn read_error(e: std::io::Error) -> ServiceError {
    ServiceError::Input(format!("reading the input: {e}"))
}

/// What the sniffing decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Lines,
    Documents { records_only: bool },
    Csv,
}

/// The shape of an input that starts with `head` (see the module docs).
fn sniff(head: &[u8]) -> Shape {
    let trimmed = head.trim_ascii_start();
    match trimmed.first() {
        Some(b'{') => {
            let line = match trimmed.iter().position(|&b| b == b'\n') {
                Some(end) => &trimmed[..end],
                None => trimmed,
            };
            match serde_json::from_slice::<Value>(line.trim_ascii_end()) {
                Ok(v) if !json::is_wrapper(&v) => Shape::Lines,
                _ => Shape::Documents {
                    records_only: false,
                },
            }
        }
        Some(b'[') => match trimmed[1..].trim_ascii_start().first() {
            None | Some(b'{' | b'[' | b']' | b'"') => Shape::Documents {
                records_only: false,
            },
            _ => Shape::Lines,
        },
        _ => {
            let first_line = head.split(|&b| b == b'\n').next().unwrap_or(head);
            if csv::is_header(first_line) {
                Shape::Csv
            } else {
                Shape::Lines
            }
        }
    }
}

/// The events of (unpacked) `input` in `format`, into `sink`.
fn read_events(
    input: &mut dyn BufRead,
    format: Format,
    sink: &mut Sink<'_>,
    stamper: &mut Stamper,
) -> Result<()> {
    if input
        .fill_buf()
        .map_err(read_error)?
        .starts_with(b"\xEF\xBB\xBF")
    {
        input.consume(3);
    }
    let head = input.fill_buf().map_err(read_error)?;
    let shape = match format {
        Format::Auto => sniff(head),
        Format::CloudTrail => Shape::Documents { records_only: true },
        Format::Csv => Shape::Csv,
        Format::Lines | Format::Jsonl | Format::Export => Shape::Lines,
    };
    match shape {
        Shape::Lines => read_lines(input, format, sink, stamper),
        Shape::Documents { records_only } => read_documents(input, records_only, sink, stamper),
        Shape::Csv => read_csv(input, sink, stamper),
    }
}

/// Text from bytes: as is when UTF-8, else with U+FFFD for what is not (and counted).
fn text<'r>(raw: &'r [u8], report: &mut IngestReport) -> Cow<'r, str> {
    match std::str::from_utf8(raw) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            report.replaced_utf8 += 1;
            String::from_utf8_lossy(raw)
        }
    }
}

fn read_lines(
    input: &mut dyn BufRead,
    format: Format,
    sink: &mut Sink<'_>,
    stamper: &mut Stamper,
) -> Result<()> {
    let mut buf = Vec::with_capacity(4096);
    let mut line_no = 0u64;
    let mut records = 0u64;
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', &mut buf)
            .map_err(|e| ServiceError::Input(format!("reading line {}: {e}", line_no + 1)))?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        let raw = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.is_empty() {
            sink.report.blank += 1;
            continue;
        }
        if records == 0 && format == Format::Auto && is_header(raw) {
            sink.report.headers += 1;
            continue;
        }
        records += 1;
        let prefix = match format {
            Format::Auto => time::export_prefix(raw),
            Format::Export => time::lenient_prefix(raw),
            _ => None,
        };
        let (prefix_time, body) = match prefix {
            Some((ms, len)) => (Some(ms), &raw[len..]),
            None => (None, raw),
        };
        let message = text(body, &mut sink.report);
        let timestamp = match (prefix_time, &stamper.rule) {
            (Some(ms), TimestampRule::Auto) => Some(ms),
            _ => stamper.line(body, &message, format == Format::Jsonl),
        };
        sink.push(line_no, timestamp, &message, None)?;
    }
}

/// A file-header line of an AWS text format: a W3C directive, or a VPC flow log's line of
/// field names (every word a flow-log field, `srcaddr` among them).
fn is_header(line: &[u8]) -> bool {
    const W3C: [&[u8]; 5] = [
        b"#Version:",
        b"#Fields:",
        b"#Software:",
        b"#Date:",
        b"#Remark:",
    ];
    const VPC: [&str; 29] = [
        "version",
        "account-id",
        "interface-id",
        "srcaddr",
        "dstaddr",
        "srcport",
        "dstport",
        "protocol",
        "packets",
        "bytes",
        "start",
        "end",
        "action",
        "log-status",
        "vpc-id",
        "subnet-id",
        "instance-id",
        "tcp-flags",
        "type",
        "pkt-srcaddr",
        "pkt-dstaddr",
        "region",
        "az-id",
        "sublocation-type",
        "sublocation-id",
        "pkt-src-aws-service",
        "pkt-dst-aws-service",
        "flow-direction",
        "traffic-path",
    ];
    if W3C.iter().any(|d| line.starts_with(d)) {
        return true;
    }
    let Ok(text) = std::str::from_utf8(line) else {
        return false;
    };
    let words: Vec<&str> = text.split_ascii_whitespace().collect();
    words.len() >= 3
        && words.contains(&"srcaddr")
        && words
            .iter()
            .all(|w| VPC.contains(w) || w.starts_with("ecs-") || w.starts_with("reject-"))
}

fn read_documents(
    input: &mut dyn BufRead,
    records_only: bool,
    sink: &mut Sink<'_>,
    stamper: &mut Stamper,
) -> Result<()> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes).map_err(read_error)?;
    let mut record = 0u64;
    json::documents(&bytes, records_only, |r| {
        record += 1;
        let (timestamp, message) = match r {
            json::Record::LogEvent(v, stream) => {
                let message = match v.get("message") {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None => v.to_string(),
                };
                let timestamp = stamper.json(v, Some("timestamp"));
                return sink.push(
                    record,
                    timestamp,
                    &message,
                    stream.filter(|s| !s.is_empty()),
                );
            }
            json::Record::Json(v) => {
                let message = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (stamper.json(v, Some("eventTime")), message)
            }
        };
        sink.push(record, timestamp, &message, None)
    })
}

fn read_csv(input: &mut dyn BufRead, sink: &mut Sink<'_>, stamper: &mut Stamper) -> Result<()> {
    let mut records = csv::Records::new(input);
    let mut fields = Vec::new();
    let csv_error = |e: std::io::Error| ServiceError::Input(format!("reading the CSV: {e}"));
    if records.next(&mut fields).map_err(csv_error)?.is_none() {
        return Ok(());
    }
    let column = |name: &str| fields.iter().position(|f| f == name.as_bytes());
    let Some(message_col) = column("@message") else {
        return Err(ServiceError::Input(
            "the CSV header has no @message column".into(),
        ));
    };
    let time_col = match &stamper.rule {
        TimestampRule::Field(name) => column(name),
        _ => column("@timestamp"),
    };
    let stream_col = column("@logStream");
    while let Some(line) = records.next(&mut fields).map_err(csv_error)? {
        if fields.len() == 1 && fields[0].is_empty() {
            sink.report.blank += 1;
            continue;
        }
        let cell = |i: Option<usize>| i.and_then(|i| fields.get(i)).map(Vec::as_slice);
        let message = text(
            cell(Some(message_col)).unwrap_or_default(),
            &mut sink.report,
        );
        let time_cell = cell(time_col).and_then(|c| std::str::from_utf8(c).ok());
        let timestamp = match (&stamper.rule, time_cell) {
            (TimestampRule::Now, _) => None,
            (TimestampRule::Format(f), Some(c)) => {
                time::with_format(c, f, &mut stamper.years).or_else(|| time::text_time(c))
            }
            (_, Some(c)) if !c.is_empty() => time::text_time(c),
            _ => stamper.line(message.as_bytes(), &message, false),
        };
        let stream = cell(stream_col)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned());
        sink.push(line, timestamp, &message, stream.as_deref())?;
    }
    Ok(())
}

/// Finds event times as [`TimestampRule`] says.
struct Stamper {
    rule: TimestampRule,
    years: time::Years,
}

impl Stamper {
    /// The time of a text line (`raw` is `message` as bytes, before any U+FFFD replacement).
    fn line(&mut self, raw: &[u8], message: &str, json_only: bool) -> Option<i64> {
        match &self.rule {
            TimestampRule::Auto => {
                if raw.first() == Some(&b'{')
                    && let Some(ms) = json::line_time(raw)
                {
                    return Some(ms);
                }
                if json_only {
                    return None;
                }
                match time::detect(raw)? {
                    time::Found::At(ms) => Some(ms),
                    time::Found::YearLess(y) => self.years.resolve(y),
                }
            }
            TimestampRule::Now => None,
            TimestampRule::Field(name) => {
                let v: Value = serde_json::from_slice(raw).ok()?;
                json::field(&v, name).and_then(json::value_time)
            }
            TimestampRule::Format(format) => time::with_format(message, format, &mut self.years),
        }
    }

    /// The time of a JSON record; `preferred` is the field its wrapper defines for it.
    fn json(&mut self, v: &Value, preferred: Option<&str>) -> Option<i64> {
        match &self.rule {
            TimestampRule::Auto => preferred
                .and_then(|f| v.get(f))
                .and_then(json::value_time)
                .or_else(|| json::object_time(v)),
            TimestampRule::Now => None,
            TimestampRule::Field(name) => json::field(v, name).and_then(json::value_time),
            TimestampRule::Format(format) => json::TIME_FIELDS.iter().find_map(|f| {
                let s = v.get(*f)?.as_str()?;
                time::with_format(s, format, &mut self.years)
            }),
        }
    }
}

/// Checks events and hands them to the load.
struct Sink<'a> {
    store: &'a Store,
    group: &'a str,
    /// The ingest's own stream; records may name others (CSV `@logStream`, a subscription
    /// payload's `logStream`).
    stream: &'a str,
    now_ms: i64,
    load: &'a mut BulkLoad,
    created: &'a mut HashSet<String>,
    count_untimed: bool,
    report: IngestReport,
}

impl Sink<'_> {
    fn push(
        &mut self,
        record: u64,
        timestamp: Option<i64>,
        message: &str,
        stream: Option<&str>,
    ) -> Result<()> {
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
        let stream = match stream {
            None => self.stream,
            Some(name) => {
                if !self.created.contains(name) {
                    match self.store.create_stream(self.group, name, self.now_ms) {
                        Ok(()) => {}
                        Err(e) => match ServiceError::from(e) {
                            // A record naming a stream AWS would not accept is that record's
                            // problem.
                            ServiceError::InvalidParameter(why) => {
                                self.report.reject(record, why);
                                return Ok(());
                            }
                            other => return Err(other),
                        },
                    }
                    self.created.insert(name.to_owned());
                }
                name
            }
        };
        let timestamp = timestamp.unwrap_or_else(|| {
            if self.count_untimed {
                self.report.untimed += 1;
            }
            self.now_ms
        });
        self.load.push(stream, timestamp, self.now_ms, message)?;
        self.report.accepted += 1;
        self.report.bytes += message.len() as u64;
        Ok(())
    }
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
    fn sniffs_shapes() {
        let docs = Shape::Documents {
            records_only: false,
        };
        assert_eq!(sniff(b"{\"a\":1}\n{\"a\":2}\n"), Shape::Lines);
        assert_eq!(sniff(b"{\"a\":1}"), Shape::Lines);
        assert_eq!(sniff(b"{\n  \"a\": 1\n}\n"), docs);
        assert_eq!(sniff(b"{\"Records\":[{\"a\":1}]}\n"), docs);
        assert_eq!(sniff(b"  [\n {\"a\":1}]"), docs);
        assert_eq!(sniff(b"[2016-12-19 16:31:47,437] INFO x\n"), Shape::Lines);
        assert_eq!(sniff(b"@timestamp,@message\n1,2\n"), Shape::Csv);
        assert_eq!(sniff(b"plain text\n"), Shape::Lines);
        assert_eq!(sniff(b""), Shape::Lines);
    }

    #[test]
    fn ingests_lines_counting_blank_and_replaced_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let input: &[u8] = b"2026-11-01T00:00:00.000Z first\n\nplain\r\n\xff\xfe\n{\"a\":1}";
        let report = ingest_lines(&store, "g", "s", input, 42).unwrap();
        assert_eq!((report.accepted, report.rejected), (4, 0));
        assert_eq!(
            (report.blank, report.replaced_utf8, report.untimed),
            (1, 1, 3)
        );
        assert_eq!(store.groups().unwrap()[0].event_count, 4);
    }

    #[test]
    fn header_lines_before_the_first_record_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let vpc: &[u8] = b"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n\
            2 123456789012 eni-0a1b 10.0.0.1 10.0.0.2 443 60220 6 4 120 1669842701 1669842702 ACCEPT OK\n\
            version account-id interface-id srcaddr dstaddr\n";
        let report = ingest(&store, "vpc", "s", vpc, Format::Auto, 42).unwrap();
        // The header after a record is kept: only a file's leading lines are headers.
        assert_eq!((report.accepted, report.headers, report.untimed), (2, 1, 1));
        let w3c: &[u8] =
            b"#Version: 1.0\n#Fields: date time x-edge-location\n2026-11-01\t00:00:00\tIAD\n";
        let report = ingest(&store, "cf", "s", w3c, Format::Auto, 42).unwrap();
        assert_eq!((report.accepted, report.headers, report.untimed), (1, 2, 0));
        // A format the caller names reads every line.
        let report = ingest(&store, "cf2", "s", w3c, Format::Lines, 42).unwrap();
        assert_eq!((report.accepted, report.headers), (3, 0));
    }

    #[test]
    fn oversized_lines_are_rejected_with_their_number() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut input = b"small\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_EVENT_BYTES));
        input.extend(b"\nlast");
        let report = ingest(&store, "g", "s", &input[..], Format::Lines, 42).unwrap();
        assert_eq!((report.accepted, report.rejected), (2, 1));
        assert_eq!(report.rejections[0].0, 2);
    }
}
