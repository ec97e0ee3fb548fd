//! Reading events back as Arrow record batches.
//!
//! A scan takes one consistent [`Snapshot`](crate::snapshot::Snapshot) per group, turns its
//! segment blocks and unsealed WAL frames into *units* (each with a time range), drops the units
//! its predicates prove empty (time range, stream names, the `@message` token filter, field
//! statistics), and decodes the rest into batches of at most [`BATCH_ROWS`] rows. Reading
//! newest-first with a `limit` stops as soon as no unread unit can hold one of the `limit`
//! newest rows.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, RecordBatch, StringBuilder,
    TimestampMillisecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::discover::discover_typed;
use crate::error::{Result, StoreError};
use crate::event::Event;
use crate::segment::{ColumnData, FieldType, Segment, Stats, Value, format_float};
use crate::snapshot::Snapshot;
use crate::wal;

/// System columns every scan returns, in this order, before the requested discovered fields.
pub const TIMESTAMP: &str = "@timestamp";
pub const INGESTION_TIME: &str = "@ingestionTime";
pub const LOG_GROUP: &str = "@logGroup";
pub const LOG_STREAM: &str = "@logStream";
pub const MESSAGE: &str = "@message";

/// Rows per record batch handed out by a scan, at most.
pub const BATCH_ROWS: usize = 8192;

/// What to read: which groups, which time range (inclusive, epoch ms), which discovered fields.
#[derive(Debug, Clone, Default)]
pub struct ScanRequest {
    pub groups: Vec<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    /// Discovered (non-system) field names to materialise as columns, null where an event lacks
    /// the field. A field stored with one type in the whole scanned range comes back typed
    /// (`Int64`, `Float64`, `Boolean` or `Utf8`); a field seen with several types comes back as
    /// `Utf8` holding each value's original text.
    pub fields: Vec<String>,
}

/// Optional predicates and ordering for [`Store::scan_with`](crate::Store::scan_with).
///
/// `streams` filters exactly. `message_contains` and `field_equals` only *prune*: the scan skips
/// blocks they prove empty but may still return rows that do not satisfy them, so the caller
/// keeps its own filter. Batches come in roughly the requested order (unit by unit), not
/// globally sorted: the caller sorts when it needs to.
#[derive(Debug, Clone, Default)]
pub struct ScanHints {
    /// Only events of these streams (all streams when empty).
    pub streams: Vec<String>,
    /// Substrings (case-sensitive) that every wanted `@message` contains.
    pub message_contains: Vec<String>,
    /// `(field, text)`: every wanted event has this field with exactly this original text.
    pub field_equals: Vec<(String, String)>,
    /// `(field, min, max)`: every wanted event has this field with a numeric value (a number,
    /// a boolean as 1/0, or text that parses as a number) in `[min, max]`.
    pub field_ranges: Vec<(String, f64, f64)>,
    pub order: ScanOrder,
    /// The caller needs only the first `limit` rows in `order` (by `@timestamp`); the scan
    /// returns at least those and may stop reading early.
    pub limit: Option<usize>,
}

/// In which order a scan reads (and may stop early).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ScanOrder {
    /// Oldest first.
    #[default]
    Ascending,
    NewestFirst,
}

impl ScanRequest {
    pub(crate) fn overlaps(&self, min_ts: i64, max_ts: i64) -> bool {
        self.start_ms.is_none_or(|s| max_ts >= s) && self.end_ms.is_none_or(|e| min_ts <= e)
    }

    pub(crate) fn contains(&self, ts: i64) -> bool {
        self.overlaps(ts, ts)
    }

    /// The schema of a scan for this request when every field is `Utf8` (the shape of a scan
    /// over data with no typed fields; [`ScanOutput::schema`] is authoritative).
    pub fn schema(&self) -> SchemaRef {
        schema_with(&self.field_names(), &HashMap::new())
    }

    fn field_names(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        self.fields
            .iter()
            .filter(|f| !is_system_column(f) && seen.insert(f.as_str()))
            .cloned()
            .collect()
    }
}

fn schema_with(fields: &[String], types: &HashMap<String, FieldType>) -> SchemaRef {
    let ts = DataType::Timestamp(TimeUnit::Millisecond, None);
    let mut out = vec![
        Field::new(TIMESTAMP, ts.clone(), false),
        Field::new(INGESTION_TIME, ts, false),
        Field::new(LOG_GROUP, DataType::Utf8, false),
        Field::new(LOG_STREAM, DataType::Utf8, false),
        Field::new(MESSAGE, DataType::Utf8, false),
    ];
    for name in fields {
        let dt = match types.get(name) {
            Some(FieldType::Integer) => DataType::Int64,
            Some(FieldType::Float) => DataType::Float64,
            Some(FieldType::Boolean) => DataType::Boolean,
            Some(FieldType::String) | None => DataType::Utf8,
        };
        out.push(Field::new(name, dt, true));
    }
    Arc::new(Schema::new(out))
}

/// Whether `name` is one of the columns every scan returns.
pub fn is_system_column(name: &str) -> bool {
    [TIMESTAMP, INGESTION_TIME, LOG_GROUP, LOG_STREAM, MESSAGE].contains(&name)
}

/// The batches of a scan and what it cost.
#[derive(Debug, Clone)]
pub struct ScanOutput {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    /// Events inside the time range that the scan read.
    pub records_scanned: u64,
    /// Bytes of those events (message bytes plus the 26-byte per-event overhead AWS counts).
    pub bytes_scanned: u64,
}

/// The discovered values of `names` in `message`, by position; the last duplicate wins.
pub(crate) fn discover_values(message: &str, index: &HashMap<&str, usize>) -> Vec<Option<Value>> {
    let mut out = vec![None; index.len()];
    discover_typed(message, |name, leaf| {
        if let Some(&i) = index.get(name) {
            out[i] = Some(Value::from_leaf(leaf));
        }
    });
    out
}

/// Unsealed events of one WAL frame, already cut to the request.
struct WalUnit {
    stream: String,
    events: Vec<Event>,
    /// Per event, the requested fields' values.
    values: Vec<Vec<Option<Value>>>,
    min_ts: i64,
    max_ts: i64,
}

enum Source<'a> {
    Block { seg: &'a Segment, block: usize },
    Wal(&'a WalUnit),
}

struct Unit<'a> {
    group: &'a str,
    min_ts: i64,
    max_ts: i64,
    source: Source<'a>,
}

pub(crate) fn scan(
    groups: &[(String, std::path::PathBuf)],
    request: &ScanRequest,
    hints: &ScanHints,
) -> Result<ScanOutput> {
    let names = request.field_names();
    let index: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let streams: HashSet<&str> = hints.streams.iter().map(String::as_str).collect();

    let mut snapshots = Vec::with_capacity(groups.len());
    for (name, dir) in groups {
        snapshots.push((
            name.as_str(),
            Snapshot::load(dir, request.start_ms, request.end_ms)?,
        ));
    }

    // Unsealed events, decoded up front: their field types decide the output schema too.
    let mut wal_units: Vec<(&str, WalUnit)> = Vec::new();
    for (group, snap) in &snapshots {
        let sealed = snap.manifest.wal_sealed;
        let path = &snap.wal_path;
        wal::read_frames_in(path, &snap.wal, |frame| {
            if frame.offset < sealed || !request.overlaps(frame.min_timestamp, frame.max_timestamp)
            {
                return Ok(());
            }
            let batch = frame.decode(path)?;
            if !streams.is_empty() && !streams.contains(batch.stream.as_str()) {
                return Ok(());
            }
            let events: Vec<Event> = batch
                .events
                .into_iter()
                .filter(|e| request.contains(e.timestamp))
                .collect();
            if events.is_empty() {
                return Ok(());
            }
            let values = events
                .iter()
                .map(|e| {
                    if index.is_empty() {
                        Vec::new()
                    } else {
                        discover_values(&e.message, &index)
                    }
                })
                .collect();
            let min_ts = events.iter().map(|e| e.timestamp).min().unwrap_or(0);
            let max_ts = events.iter().map(|e| e.timestamp).max().unwrap_or(0);
            wal_units.push((
                group,
                WalUnit {
                    stream: batch.stream,
                    events,
                    values,
                    min_ts,
                    max_ts,
                },
            ));
            Ok(())
        })?;
    }

    // Output types: one stored type in the whole range keeps it; anything else is text.
    let mut kinds: Vec<HashSet<FieldType>> = vec![HashSet::new(); names.len()];
    let mut text_only = vec![false; names.len()];
    for (_, snap) in &snapshots {
        for seg in &snap.segments {
            let footer = seg.footer();
            for (i, name) in names.iter().enumerate() {
                let mut any = false;
                for (_, t) in footer.field_columns(name) {
                    kinds[i].insert(t);
                    any = true;
                }
                if !any && !footer.fields_complete {
                    text_only[i] = true;
                }
            }
        }
    }
    for (_, unit) in &wal_units {
        for row in &unit.values {
            for (i, v) in row.iter().enumerate() {
                if let Some(v) = v {
                    kinds[i].insert(v.field_type());
                }
            }
        }
    }
    let mut types = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        if !text_only[i] && kinds[i].len() == 1 {
            types.extend(kinds[i].iter().map(|t| (name.clone(), *t)));
        }
    }
    let schema = schema_with(&names, &types);

    // Units that may hold wanted rows.
    let mut units = Vec::new();
    for (group, snap) in &snapshots {
        for seg in &snap.segments {
            let footer = seg.footer();
            if !streams.is_empty() && !footer.streams.iter().any(|s| streams.contains(s.as_str())) {
                continue;
            }
            for (b, meta) in footer.blocks.iter().enumerate() {
                if !request.overlaps(meta.min_ts, meta.max_ts)
                    || !fields_may_match(seg, b, &hints.field_equals)
                    || !ranges_may_match(seg, b, &hints.field_ranges)
                {
                    continue;
                }
                let mut keep = true;
                for needle in &hints.message_contains {
                    if !seg.may_contain(b, needle.as_bytes())? {
                        keep = false;
                        break;
                    }
                }
                if keep {
                    units.push(Unit {
                        group,
                        min_ts: meta.min_ts,
                        max_ts: meta.max_ts,
                        source: Source::Block { seg, block: b },
                    });
                }
            }
        }
    }
    for (group, unit) in &wal_units {
        units.push(Unit {
            group,
            min_ts: unit.min_ts,
            max_ts: unit.max_ts,
            source: Source::Wal(unit),
        });
    }
    match hints.order {
        ScanOrder::Ascending => units.sort_by_key(|u| (u.min_ts, u.max_ts)),
        ScanOrder::NewestFirst => units.sort_by_key(|u| Reverse((u.max_ts, u.min_ts))),
    }

    let mut out = OutBuilder::new(schema.clone(), &types);
    // The `limit` best timestamps so far, worst on top (sign-flipped for newest-first).
    let mut best: BinaryHeap<i64> = BinaryHeap::new();
    let key = |ts: i64| match hints.order {
        ScanOrder::Ascending => ts,
        ScanOrder::NewestFirst => -ts,
    };
    for unit in &units {
        if let Some(limit) = hints.limit
            && best.len() >= limit
        {
            let unit_best = match hints.order {
                ScanOrder::Ascending => unit.min_ts,
                ScanOrder::NewestFirst => unit.max_ts,
            };
            if best.peek().is_some_and(|&worst| key(unit_best) > worst) {
                break;
            }
        }
        let mut track = |ts: i64| {
            if let Some(limit) = hints.limit {
                best.push(key(ts));
                if best.len() > limit {
                    best.pop();
                }
            }
        };
        match &unit.source {
            Source::Wal(w) => {
                for (e, values) in w.events.iter().zip(&w.values) {
                    track(e.timestamp);
                    out.push_row(unit.group, &w.stream, e, values.iter().map(Option::as_ref))?;
                }
            }
            Source::Block { seg, block } => {
                read_block(
                    seg, *block, unit.group, request, &streams, &names, &mut out, &mut track,
                )?;
            }
        }
    }
    out.flush()?;
    Ok(ScanOutput {
        schema,
        batches: out.batches,
        records_scanned: out.records,
        bytes_scanned: out.bytes,
    })
}

#[allow(clippy::too_many_arguments)]
fn read_block(
    seg: &Segment,
    block: usize,
    group: &str,
    request: &ScanRequest,
    streams: &HashSet<&str>,
    names: &[String],
    out: &mut OutBuilder,
    track: &mut impl FnMut(i64),
) -> Result<()> {
    let footer = seg.footer();
    let ts = seg.timestamps(block)?;
    let stream_ids = seg.stream_ids(block)?;
    let wanted_streams: Vec<bool> = footer
        .streams
        .iter()
        .map(|s| streams.is_empty() || streams.contains(s.as_str()))
        .collect();
    let rows: Vec<usize> = (0..ts.len())
        .filter(|&r| request.contains(ts[r]) && wanted_streams[stream_ids[r] as usize])
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let ingestion = seg.ingestion_times(block)?;
    let messages = seg.messages(block)?;
    // Per requested field: the columns holding it, or discovery from the message when this
    // segment did not keep the field.
    let mut columns: Vec<Vec<ColumnData>> = Vec::with_capacity(names.len());
    let mut rediscover = HashMap::new();
    let mut rediscover_at = Vec::new();
    for name in names {
        let cols = footer
            .field_columns(name)
            .map(|(c, _)| seg.field(block, c))
            .collect::<Result<Vec<_>>>()?;
        if cols.is_empty() && !footer.fields_complete {
            rediscover.insert(name.as_str(), rediscover_at.len());
            rediscover_at.push(columns.len());
        }
        columns.push(cols);
    }
    let mut values: Vec<Option<Value>> = vec![None; names.len()];
    for r in rows {
        for (i, cols) in columns.iter().enumerate() {
            values[i] = cols.iter().find_map(|c| c.value(r));
        }
        if !rediscover.is_empty() {
            let found = discover_values(&messages[r], &rediscover);
            for (v, &i) in found.into_iter().zip(&rediscover_at) {
                values[i] = v;
            }
        }
        let event = Event {
            timestamp: ts[r],
            ingestion_time: ingestion[r],
            message: String::new(),
        };
        track(ts[r]);
        out.push_parts(
            group,
            &footer.streams[stream_ids[r] as usize],
            &event,
            &messages[r],
            values.iter().map(Option::as_ref),
        )?;
    }
    Ok(())
}

/// False when the block's statistics prove no row has one of the `(field, text)` pairs.
fn fields_may_match(seg: &Segment, block: usize, equals: &[(String, String)]) -> bool {
    let footer = seg.footer();
    let Some(meta) = footer.blocks.get(block) else {
        return true;
    };
    equals.iter().all(|(name, text)| {
        let cols: Vec<_> = footer.field_columns(name).collect();
        if cols.is_empty() {
            return !footer.fields_complete;
        }
        cols.iter().any(|&(c, t)| {
            let Some(Some(chunk)) = meta.chunks.get(c) else {
                return false;
            };
            match (&chunk.stats, t) {
                (Stats::Int { min, max }, _) => text
                    .parse::<i64>()
                    .is_ok_and(|v| v.to_string() == *text && *min <= v && v <= *max),
                (Stats::Float { min, max }, _) => text
                    .parse::<f64>()
                    .is_ok_and(|v| format_float(v) == *text && *min <= v && v <= *max),
                (_, FieldType::Boolean) => text == "true" || text == "false",
                (Stats::Str { min, max }, _) => {
                    let t = text.as_bytes();
                    t >= min.as_slice() && max.as_ref().is_none_or(|m| t <= m.as_slice())
                }
                _ => true,
            }
        })
    })
}

/// False when the block's statistics prove no row has a field value in one of the ranges.
fn ranges_may_match(seg: &Segment, block: usize, ranges: &[(String, f64, f64)]) -> bool {
    let footer = seg.footer();
    let Some(meta) = footer.blocks.get(block) else {
        return true;
    };
    ranges.iter().all(|(name, lo, hi)| {
        let cols: Vec<_> = footer.field_columns(name).collect();
        if cols.is_empty() {
            return !footer.fields_complete;
        }
        cols.iter().any(|&(c, t)| {
            let Some(Some(chunk)) = meta.chunks.get(c) else {
                return false;
            };
            match (&chunk.stats, t) {
                (Stats::Int { min, max }, _) => (*max as f64) >= *lo && (*min as f64) <= *hi,
                (Stats::Float { min, max }, _) => *max >= *lo && *min <= *hi,
                (_, FieldType::Boolean) => (*lo <= 1.0 && *hi >= 1.0) || (*lo <= 0.0 && *hi >= 0.0),
                // Text may hold any number.
                _ => true,
            }
        })
    })
}

enum ColBuilder {
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Str(StringBuilder),
}

impl ColBuilder {
    fn push(&mut self, v: Option<&Value>) {
        match (self, v) {
            (ColBuilder::Int(b), Some(Value::Int(i))) => b.append_value(*i),
            (ColBuilder::Float(b), Some(Value::Float(f))) => b.append_value(*f),
            (ColBuilder::Bool(b), Some(Value::Bool(x))) => b.append_value(*x),
            (ColBuilder::Str(b), Some(Value::Str(s))) => b.append_value(s),
            (ColBuilder::Str(b), Some(v)) => b.append_value(v.to_text()),
            (ColBuilder::Int(b), _) => b.append_null(),
            (ColBuilder::Float(b), _) => b.append_null(),
            (ColBuilder::Bool(b), _) => b.append_null(),
            (ColBuilder::Str(b), None) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColBuilder::Int(b) => Arc::new(b.finish()),
            ColBuilder::Float(b) => Arc::new(b.finish()),
            ColBuilder::Bool(b) => Arc::new(b.finish()),
            ColBuilder::Str(b) => Arc::new(b.finish()),
        }
    }
}

/// Builds record batches of at most [`BATCH_ROWS`] rows.
struct OutBuilder {
    schema: SchemaRef,
    timestamps: TimestampMillisecondBuilder,
    ingestion: TimestampMillisecondBuilder,
    groups: StringBuilder,
    streams: StringBuilder,
    messages: StringBuilder,
    fields: Vec<ColBuilder>,
    rows: usize,
    records: u64,
    bytes: u64,
    batches: Vec<RecordBatch>,
}

impl OutBuilder {
    fn new(schema: SchemaRef, _types: &HashMap<String, FieldType>) -> Self {
        let fields = schema
            .fields()
            .iter()
            .skip(5)
            .map(|f| match f.data_type() {
                DataType::Int64 => ColBuilder::Int(Int64Builder::new()),
                DataType::Float64 => ColBuilder::Float(Float64Builder::new()),
                DataType::Boolean => ColBuilder::Bool(BooleanBuilder::new()),
                _ => ColBuilder::Str(StringBuilder::new()),
            })
            .collect();
        Self {
            schema,
            timestamps: TimestampMillisecondBuilder::new(),
            ingestion: TimestampMillisecondBuilder::new(),
            groups: StringBuilder::new(),
            streams: StringBuilder::new(),
            messages: StringBuilder::new(),
            fields,
            rows: 0,
            records: 0,
            bytes: 0,
            batches: Vec::new(),
        }
    }

    fn push_row<'v>(
        &mut self,
        group: &str,
        stream: &str,
        event: &Event,
        values: impl Iterator<Item = Option<&'v Value>>,
    ) -> Result<()> {
        self.push_parts(group, stream, event, &event.message, values)
    }

    fn push_parts<'v>(
        &mut self,
        group: &str,
        stream: &str,
        event: &Event,
        message: &str,
        values: impl Iterator<Item = Option<&'v Value>>,
    ) -> Result<()> {
        self.timestamps.append_value(event.timestamp);
        self.ingestion.append_value(event.ingestion_time);
        self.groups.append_value(group);
        self.streams.append_value(stream);
        self.messages.append_value(message);
        for (b, v) in self.fields.iter_mut().zip(values) {
            b.push(v);
        }
        self.rows += 1;
        self.records += 1;
        self.bytes += message.len() as u64 + crate::EVENT_OVERHEAD_BYTES;
        if self.rows == BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(self.timestamps.finish()),
            Arc::new(self.ingestion.finish()),
            Arc::new(self.groups.finish()),
            Arc::new(self.streams.finish()),
            Arc::new(self.messages.finish()),
        ];
        columns.extend(self.fields.iter_mut().map(ColBuilder::finish));
        let batch = RecordBatch::try_new(self.schema.clone(), columns)
            .map_err(|e| StoreError::corrupt(Path::new("<scan>"), e.to_string()))?;
        self.batches.push(batch);
        self.rows = 0;
        Ok(())
    }
}
