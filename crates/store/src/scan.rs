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
    Array, ArrayRef, BooleanArray, BooleanBuilder, Float64Array, Float64Builder, Int64Array,
    Int64Builder, RecordBatch, RecordBatchOptions, StringArray, StringBuilder,
    TimestampMillisecondArray, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::discover::discover_typed;
use crate::error::{Result, StoreError};
use crate::event::Event;
use crate::segment::{ColumnData, FieldType, Holds, Segment, Stats, Value, format_float};
use crate::snapshot::Snapshot;
use crate::wal;

/// System columns every scan returns, in this order, before the requested discovered fields.
pub const TIMESTAMP: &str = "@timestamp";
pub const INGESTION_TIME: &str = "@ingestionTime";
pub const LOG_GROUP: &str = "@logGroup";
pub const LOG_STREAM: &str = "@logStream";
pub const MESSAGE: &str = "@message";
/// A pointer to the event for `GetLogRecord` (see [`crate::ptr`]); computed when read.
pub const PTR: &str = "@ptr";
/// Where a row lies in its scan plan (unit << 32 | row), for [`ScanPlan::messages`]: what lets a
/// query carry a number through sorts and limits and decode `@message` and `@ptr` only for the
/// rows it returns. Meaningful only within one plan.
pub const ROWID: &str = "@rowid";

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
    /// Fields of `fields` also wanted as numbers and as presence: each one the scan returns as
    /// `Utf8` gets a `Float64` companion column named [`number_column`]`(field)`, holding what
    /// Insights' lenient typing reads from the value (see [`lenient_number`]), computed from
    /// the stored values without rendering them as text and parsing that back, and a `Boolean`
    /// one named [`presence_column`]`(field)`, true where the event has the field and null
    /// where not, read from the stored columns' presence alone.
    pub numbers: Vec<String>,
}

/// The name of the numeric companion column of `field` (see [`ScanRequest::numbers`]): a name
/// no discovered field has (it starts with a control character).
pub fn number_column(field: &str) -> String {
    format!("{NUMBER_PREFIX}{field}")
}

/// The name of the presence companion column of `field` (see [`ScanRequest::numbers`]).
pub fn presence_column(field: &str) -> String {
    format!("{PRESENCE_PREFIX}{field}")
}

const NUMBER_PREFIX: &str = "\u{1}number:";
const PRESENCE_PREFIX: &str = "\u{1}present:";

/// Whether `name` names a companion column (see [`number_column`] and [`presence_column`]).
pub fn is_companion_column(name: &str) -> bool {
    name.starts_with(NUMBER_PREFIX) || name.starts_with(PRESENCE_PREFIX)
}

/// What a field schema column of a scan holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Companion {
    /// The field's values.
    No,
    /// Its numeric companion.
    Number,
    /// Its presence companion.
    Presence,
}

/// The number Insights reads from a value: numbers as they are, booleans (and the text
/// `true`/`false`) as 1/0, other text parsed as Arrow's cast from text to `Float64` parses it
/// (`None` when it does not parse). The same as a `try_cast` of the value's text, without the
/// text.
pub fn lenient_number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Str(s) => text_number(s),
    }
}

fn text_number(s: &str) -> Option<f64> {
    use arrow::compute::kernels::cast_utils::Parser;
    match s {
        "true" => Some(1.0),
        "false" => Some(0.0),
        _ => arrow::datatypes::Float64Type::parse(s),
    }
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
        schema_with(&self.field_names(), &HashMap::new(), &self.number_names())
    }

    /// The fields that get a numeric companion when every field is `Utf8`.
    fn number_names(&self) -> Vec<String> {
        let names = self.field_names();
        let mut seen = HashSet::new();
        self.numbers
            .iter()
            .filter(|n| names.contains(n) && seen.insert(n.as_str()))
            .cloned()
            .collect()
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

fn schema_with(
    fields: &[String],
    types: &HashMap<String, FieldType>,
    numbers: &[String],
) -> SchemaRef {
    let ts = DataType::Timestamp(TimeUnit::Millisecond, None);
    let mut out = vec![
        Field::new(TIMESTAMP, ts.clone(), false),
        Field::new(INGESTION_TIME, ts, false),
        Field::new(LOG_GROUP, DataType::Utf8, false),
        Field::new(LOG_STREAM, DataType::Utf8, false),
        Field::new(MESSAGE, DataType::Utf8, false),
        Field::new(PTR, DataType::Utf8, false),
        Field::new(ROWID, DataType::UInt64, false),
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
    for name in numbers {
        out.push(Field::new(number_column(name), DataType::Float64, true));
    }
    for name in numbers {
        out.push(Field::new(presence_column(name), DataType::Boolean, true));
    }
    Arc::new(Schema::new(out))
}

/// Whether `name` is one of the columns every scan returns.
pub fn is_system_column(name: &str) -> bool {
    [
        TIMESTAMP,
        INGESTION_TIME,
        LOG_GROUP,
        LOG_STREAM,
        MESSAGE,
        PTR,
        ROWID,
    ]
    .contains(&name)
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
#[derive(Debug)]
struct WalUnit {
    stream: String,
    events: Vec<Event>,
    /// Per event, the requested fields' values.
    values: Vec<Vec<Option<Value>>>,
}

#[derive(Debug)]
enum Source {
    Block {
        seg: Arc<Segment>,
        block: usize,
        /// Per stream id of the segment: a deleted stream whose rows the segment still holds.
        hidden: Arc<Vec<bool>>,
    },
    Wal(WalUnit),
}

/// A piece of a scan read as a whole: one segment block or one unsealed WAL frame.
#[derive(Debug)]
struct Unit {
    group: usize,
    min_ts: i64,
    max_ts: i64,
    source: Source,
    /// A block pruning proved holds no wanted row: it is only counted (the statistics cover
    /// every event in the range, as Insights reports them, whatever the scan skipped).
    count_only: bool,
}

/// A planned scan: the snapshots it reads, fixed at planning time, its output schema, and the
/// units (segment blocks and unsealed WAL frames) that may hold wanted rows, in scan order.
///
/// Planning reads only manifests, footers and the unsealed WAL; the data of the blocks is
/// decoded by [`ScanPlan::reader`]s, which may run in parallel, each over a share of the units
/// and each decoding only the columns it is asked for.
#[derive(Debug)]
pub struct ScanPlan {
    schema: SchemaRef,
    request: ScanRequest,
    /// Discovered field names, in schema order (schema columns `SYSTEM_COLUMNS..`).
    names: Vec<String>,
    /// Per numeric companion column (the schema columns after the fields'), its field's
    /// index in `names`; the presence companions follow, for the same fields.
    numbers: Vec<usize>,
    groups: Vec<String>,
    streams: HashSet<String>,
    order: ScanOrder,
    limit: Option<usize>,
    /// Substrings every wanted message holds (of three bytes or more): rows of a block that
    /// provably lack one are dropped before the row filter decodes anything else.
    needles: Vec<String>,
    /// `(field, text)` every wanted event has: rows that provably do not are dropped likewise.
    field_equals: Vec<(String, String)>,
    units: Vec<Unit>,
    summary: ScanSummary,
}

/// What a scan plan kept and pruned, before reading any block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanSummary {
    /// Live segments of the scanned groups, and those overlapping the time range.
    pub segments: usize,
    pub segments_in_range: usize,
    /// Blocks of the segments in range, and why blocks were skipped.
    pub blocks: usize,
    pub pruned_by_time: usize,
    pub pruned_by_stream: usize,
    pub pruned_by_stats: usize,
    pub pruned_by_tokens: usize,
    pub blocks_to_read: usize,
    /// Unsealed write-ahead-log frames in range (read whole).
    pub wal_frames: usize,
}

impl std::fmt::Display for ScanSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "segments: {} in the time range of {} live",
            self.segments_in_range, self.segments
        )?;
        writeln!(
            f,
            "blocks: {} to read of {}; pruned {} by time range, {} by stream, {} by field \
             statistics, {} by the @message token filter",
            self.blocks_to_read,
            self.blocks,
            self.pruned_by_time,
            self.pruned_by_stream,
            self.pruned_by_stats,
            self.pruned_by_tokens
        )?;
        write!(f, "unsealed WAL frames: {}", self.wal_frames)
    }
}

/// Columns every scan schema starts with.
const SYSTEM_COLUMNS: usize = 7;
const COL_TS: usize = 0;
const COL_INGEST: usize = 1;
const COL_GROUP: usize = 2;
const COL_STREAM: usize = 3;
const COL_MSG: usize = 4;
const COL_PTR: usize = 5;
const COL_ROWID: usize = 6;

impl ScanPlan {
    pub(crate) fn new(
        groups: &[(String, std::path::PathBuf)],
        request: &ScanRequest,
        hints: &ScanHints,
        cache: &crate::snapshot::SegmentCache,
    ) -> Result<ScanPlan> {
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
                Snapshot::load(dir, request.start_ms, request.end_ms, cache)?,
            ));
        }

        // Unsealed events, decoded up front: their field types decide the output schema too.
        let mut units = Vec::new();
        for (g, (_, snap)) in snapshots.iter().enumerate() {
            let sealed = snap.manifest.wal_sealed;
            let path = &snap.wal_path;
            wal::read_frames_in(path, &snap.wal, |frame| {
                if frame.offset < sealed
                    || !request.overlaps(frame.min_timestamp, frame.max_timestamp)
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
                units.push(Unit {
                    group: g,
                    min_ts,
                    max_ts,
                    source: Source::Wal(WalUnit {
                        stream: batch.stream,
                        events,
                        values,
                    }),
                    count_only: false,
                });
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
        for unit in &units {
            if let Source::Wal(w) = &unit.source {
                for row in &w.values {
                    for (i, v) in row.iter().enumerate() {
                        if let Some(v) = v {
                            kinds[i].insert(v.field_type());
                        }
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
        // Numeric companions for the fields that come back as text.
        let numbers: Vec<usize> = request
            .number_names()
            .iter()
            .filter_map(|n| names.iter().position(|m| m == n))
            .filter(|&i| !types.contains_key(&names[i]) || types[&names[i]] == FieldType::String)
            .collect();
        let number_names: Vec<String> = numbers.iter().map(|&i| names[i].clone()).collect();
        let schema = schema_with(&names, &types, &number_names);

        // Segment blocks that may hold wanted rows.
        let mut summary = ScanSummary {
            wal_frames: units.len(),
            ..ScanSummary::default()
        };
        for (g, (_, snap)) in snapshots.iter().enumerate() {
            summary.segments += snap.manifest.segments.len();
            summary.segments_in_range += snap.segments.len();
            for seg in &snap.segments {
                let footer = seg.footer();
                summary.blocks += footer.blocks.len();
                let hidden_names = snap.hidden_streams(seg);
                let hidden: Arc<Vec<bool>> = Arc::new(
                    footer
                        .streams
                        .iter()
                        .map(|s| hidden_names.contains(s))
                        .collect(),
                );
                if !streams.is_empty()
                    && !footer.streams.iter().any(|s| streams.contains(s.as_str()))
                {
                    summary.pruned_by_stream += footer.blocks.len();
                    continue;
                }
                for (b, meta) in footer.blocks.iter().enumerate() {
                    if !request.overlaps(meta.min_ts, meta.max_ts) {
                        summary.pruned_by_time += 1;
                        continue;
                    }
                    let mut keep = true;
                    if !fields_may_match(seg, b, &hints.field_equals)
                        || !ranges_may_match(seg, b, &hints.field_ranges)
                    {
                        summary.pruned_by_stats += 1;
                        keep = false;
                    }
                    if keep {
                        for needle in &hints.message_contains {
                            if !seg.may_contain(b, needle.as_bytes())? {
                                summary.pruned_by_tokens += 1;
                                keep = false;
                                break;
                            }
                        }
                    }
                    if keep {
                        summary.blocks_to_read += 1;
                    }
                    units.push(Unit {
                        group: g,
                        min_ts: meta.min_ts,
                        max_ts: meta.max_ts,
                        source: Source::Block {
                            seg: Arc::clone(seg),
                            block: b,
                            hidden: Arc::clone(&hidden),
                        },
                        count_only: !keep,
                    });
                }
            }
        }
        match hints.order {
            ScanOrder::Ascending => units.sort_by_key(|u| (u.min_ts, u.max_ts)),
            ScanOrder::NewestFirst => units.sort_by_key(|u| Reverse((u.max_ts, u.min_ts))),
        }
        Ok(ScanPlan {
            schema,
            request: request.clone(),
            names,
            numbers,
            groups: snapshots.iter().map(|(n, _)| (*n).to_owned()).collect(),
            streams: hints.streams.iter().cloned().collect(),
            order: hints.order,
            limit: hints.limit,
            needles: hints
                .message_contains
                .iter()
                .filter(|n| n.len() >= 3)
                .cloned()
                .collect(),
            field_equals: hints.field_equals.clone(),
            units,
            summary,
        })
    }

    /// The field schema column `c` reads: its index in `names`, and which of its columns it
    /// is.
    fn field_of(&self, c: usize) -> (usize, Companion) {
        let i = c - SYSTEM_COLUMNS;
        match i.checked_sub(self.names.len()) {
            None => (i, Companion::No),
            Some(n) => match n.checked_sub(self.numbers.len()) {
                None => (self.numbers[n], Companion::Number),
                Some(p) => (self.numbers[p], Companion::Presence),
            },
        }
    }

    /// What planning pruned and what is left to read.
    pub fn summary(&self) -> &ScanSummary {
        &self.summary
    }

    /// The schema of every batch the scan hands out (before projection): the system columns,
    /// then the requested discovered fields.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// How many units (blocks and WAL frames) the scan may read: an upper bound on useful
    /// parallelism.
    /// The early stop the hints asked for: only the first `limit` rows in scan order.
    pub fn limit(&self) -> Option<usize> {
        self.limit
    }

    pub fn unit_count(&self) -> usize {
        self.units.iter().filter(|u| !u.count_only).count()
    }

    /// A reader over partition `partition` of `partitions`: units are dealt out round-robin in
    /// scan order, so every partition reads newest (or oldest) data first. `projection` picks
    /// schema columns by index (all when `None`); only those are decoded.
    ///
    /// With a `filter`, each unit decodes the filter's columns first and the other projected
    /// columns only for the rows the filter keeps (late materialisation): a search that keeps
    /// one row in a thousand renders one `@message` in a thousand.
    pub fn reader(
        self: &Arc<Self>,
        partition: usize,
        partitions: usize,
        projection: Option<Vec<usize>>,
        filter: Option<RowFilter>,
    ) -> ScanReader {
        let partitions = partitions.max(1);
        let units = (partition..self.units.len()).step_by(partitions).collect();
        let projection = projection.unwrap_or_else(|| (0..self.schema.fields().len()).collect());
        let schema = Arc::new(
            self.schema
                .project(&projection)
                .unwrap_or_else(|_| Schema::empty()),
        );
        ScanReader {
            plan: Arc::clone(self),
            units,
            next: 0,
            projection,
            schema,
            filter,
            exact_needles: Vec::new(),
            dictionaries: Vec::new(),
            limit: self.limit,
            mode: Mode::Rows,
            best: BinaryHeap::new(),
            records: 0,
            bytes: 0,
            matched_past_stop: 0,
        }
    }
}

/// The error a [`RowFilter`] reports, passed through the scan as [`StoreError::Filter`].
pub type FilterError = Box<dyn std::error::Error + Send + Sync>;

/// A predicate a scan evaluates on the rows of each unit before decoding the other columns.
#[derive(Clone)]
pub struct RowFilter {
    /// The schema columns (indices into [`ScanPlan::schema`]) the predicate reads.
    pub columns: Vec<usize>,
    /// Given a batch of exactly those columns (in that order), one boolean per row: true keeps
    /// the row; false and null drop it.
    #[allow(clippy::type_complexity)]
    pub eval:
        Arc<dyn Fn(&RecordBatch) -> std::result::Result<BooleanArray, FilterError> + Send + Sync>,
}

impl std::fmt::Debug for RowFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowFilter")
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

/// Reads one partition of a [`ScanPlan`], a record batch per unit with rows in it.
#[derive(Debug)]
pub struct ScanReader {
    plan: Arc<ScanPlan>,
    units: Vec<usize>,
    next: usize,
    projection: Vec<usize>,
    schema: SchemaRef,
    filter: Option<RowFilter>,
    /// Substrings every returned row's `@message` holds, decided by the scan itself (the
    /// caller need not check them again).
    exact_needles: Vec<String>,
    /// Text field columns returned as dictionary arrays where the block stores them so.
    dictionaries: Vec<usize>,
    /// The early stop: only the first `limit` rows in scan order are wanted.
    limit: Option<usize>,
    /// What reading a unit does (past the early stop: counting, not returning rows).
    mode: Mode,
    /// The `limit` best timestamps so far, worst on top (sign-flipped for newest-first).
    best: BinaryHeap<i64>,
    records: u64,
    bytes: u64,
    /// Rows the filter and needles keep that the early stop leaves out (counted, not
    /// returned): past the stop, or behind `limit` better ones in a block read before it.
    matched_past_stop: u64,
}

/// What reading a unit yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The rows the filter and needles keep, as a batch.
    Rows,
    /// Past the early stop, with a filter: how many rows the filter and needles keep (for
    /// the query's `recordsMatched`); only the filter's columns are decoded.
    Matches,
    /// Past the early stop without a filter, or a unit pruned before the scan: what it
    /// scanned, from block metadata where it suffices.
    Scanned,
}

impl ScanReader {
    /// The projected schema of this reader's batches.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Returns only rows whose `@message` holds every one of `needles` (case-sensitive
    /// substrings), deciding it exactly: from the stored templates and values where they
    /// tell, by rendering the message where they do not.
    pub fn with_exact_needles(mut self, needles: Vec<String>) -> Self {
        self.exact_needles = needles;
        self
    }

    /// Returns the text field columns `columns` (schema indices) as `UInt32`-keyed dictionary
    /// arrays for the blocks that store them dictionary-encoded, and as plain strings
    /// elsewhere: batches then carry their own schema, whose type for such a column varies
    /// from batch to batch (for a caller that groups or counts by the values).
    pub fn with_dictionaries(mut self, columns: Vec<usize>) -> Self {
        self.dictionaries = columns;
        self
    }

    /// Whether `message` holds every needle the scan answers exactly.
    fn holds_needles(&self, message: &str) -> bool {
        self.exact_needles
            .iter()
            .all(|n| message.contains(n.as_str()))
    }

    /// Reads every unit in full: no early stop, whatever the plan's `limit` (for a caller
    /// that filters the rows again after the scan, so that the first `limit` rows the scan
    /// returns need not be the first `limit` rows it keeps).
    pub fn without_early_stop(mut self) -> Self {
        self.limit = None;
        self
    }

    /// Rows the scan's filter and needles keep that the early stop leaves out: counted, not
    /// returned. With the rows returned, every row of the range the scan keeps.
    pub fn matched_past_stop(&self) -> u64 {
        self.matched_past_stop
    }

    /// Events inside the time range this reader has read so far.
    pub fn records_scanned(&self) -> u64 {
        self.records
    }

    /// Bytes of those events (message bytes plus the 26-byte per-event overhead AWS counts).
    pub fn bytes_scanned(&self) -> u64 {
        self.bytes
    }

    fn key(&self, ts: i64) -> i64 {
        match self.plan.order {
            ScanOrder::Ascending => ts,
            ScanOrder::NewestFirst => -ts,
        }
    }

    /// Whether unit `u` cannot hold one of the `limit` best rows seen so far.
    fn done_before(&self, u: &Unit) -> bool {
        let Some(limit) = self.limit else {
            return false;
        };
        if self.best.len() < limit {
            return false;
        }
        let unit_best = match self.plan.order {
            ScanOrder::Ascending => u.min_ts,
            ScanOrder::NewestFirst => u.max_ts,
        };
        self.best
            .peek()
            .is_some_and(|&worst| self.key(unit_best) > worst)
    }

    fn track(&mut self, timestamps: impl Iterator<Item = i64>) {
        let Some(limit) = self.limit else {
            return;
        };
        for ts in timestamps {
            let k = self.key(ts);
            if self.best.len() < limit {
                self.best.push(k);
            } else if self.best.peek().is_some_and(|&worst| k < worst) {
                self.best.pop();
                self.best.push(k);
            }
        }
    }

    /// The columns a unit decodes: none once only counting.
    fn projection(&self) -> &[usize] {
        if self.mode == Mode::Rows {
            &self.projection
        } else {
            &[]
        }
    }

    /// Whether the rows returned feed an early stop (their timestamps are tracked).
    fn tracks(&self) -> bool {
        self.mode == Mode::Rows && self.limit.is_some()
    }

    fn read_unit(&mut self, u: usize) -> Result<Option<RecordBatch>> {
        if self.plan.units[u].count_only && self.mode != Mode::Scanned {
            // Pruned: no row of it can match.
            let mode = std::mem::replace(&mut self.mode, Mode::Scanned);
            let counted = self.read_unit(u);
            self.mode = mode;
            return counted.map(|_| None);
        }
        let plan = Arc::clone(&self.plan);
        let unit = &plan.units[u];
        let group = plan.groups[unit.group].as_str();
        let decoded = match &unit.source {
            Source::Wal(w) => self.read_wal(u, group, w)?,
            Source::Block { seg, block, hidden } => {
                self.read_block(u, group, seg, *block, hidden)?
            }
        };
        let Some(decoded) = decoded else {
            return Ok(None);
        };
        self.records += decoded.scanned;
        self.bytes += decoded.bytes;
        self.matched_past_stop += decoded.held_back;
        match self.mode {
            Mode::Rows => {}
            Mode::Matches => {
                self.matched_past_stop += decoded.rows as u64;
                return Ok(None);
            }
            Mode::Scanned => return Ok(None),
        }
        self.track(decoded.timestamps.iter().copied());
        let rows = decoded.rows;
        if rows == 0 {
            return Ok(None);
        }
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        // Dictionary columns change the batch's types from the reader's schema.
        let schema = if decoded
            .columns
            .iter()
            .zip(self.schema.fields())
            .all(|(c, f)| c.data_type() == f.data_type())
        {
            Arc::clone(&self.schema)
        } else {
            let fields: Vec<Field> = decoded
                .columns
                .iter()
                .zip(self.schema.fields())
                .map(|(c, f)| f.as_ref().clone().with_data_type(c.data_type().clone()))
                .collect();
            Arc::new(Schema::new(fields))
        };
        RecordBatch::try_new_with_options(schema, decoded.columns, &options)
            .map(Some)
            .map_err(|e| StoreError::corrupt(Path::new("<scan>"), e.to_string()))
    }

    /// Applies the row filter to a batch of the filter's columns: the kept rows' positions.
    fn keep(
        &self,
        columns: Vec<ArrayRef>,
        rows: usize,
    ) -> Result<Option<(Vec<usize>, BooleanArray)>> {
        let Some(filter) = &self.filter else {
            return Ok(None);
        };
        let schema = Arc::new(
            self.plan
                .schema
                .project(&filter.columns)
                .map_err(|e| StoreError::Filter(Box::new(e)))?,
        );
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        let batch = RecordBatch::try_new_with_options(schema, columns, &options)
            .map_err(|e| StoreError::Filter(Box::new(e)))?;
        let mask = (filter.eval)(&batch).map_err(StoreError::Filter)?;
        if mask.len() != rows {
            return Err(StoreError::Filter(
                format!("the row filter gave {} values for {rows} rows", mask.len()).into(),
            ));
        }
        // True and not null.
        let kept = match mask.nulls() {
            None => mask.values().set_indices().collect(),
            Some(nulls) => (mask.values() & nulls.inner()).set_indices().collect(),
        };
        Ok(Some((kept, mask)))
    }

    fn read_wal(&self, unit: usize, group: &str, w: &WalUnit) -> Result<Option<Decoded>> {
        let rows = w.events.len();
        let bytes = w
            .events
            .iter()
            .map(|e| e.message.len() as u64 + crate::EVENT_OVERHEAD_BYTES)
            .sum();
        let column = |c: usize| -> ArrayRef {
            match c {
                COL_TS => Arc::new(TimestampMillisecondArray::from_iter_values(
                    w.events.iter().map(|e| e.timestamp),
                )),
                COL_INGEST => Arc::new(TimestampMillisecondArray::from_iter_values(
                    w.events.iter().map(|e| e.ingestion_time),
                )),
                COL_GROUP => repeated(group, rows),
                COL_STREAM => repeated(&w.stream, rows),
                COL_MSG => Arc::new(StringArray::from_iter_values(
                    w.events.iter().map(|e| e.message.as_str()),
                )),
                COL_ROWID => Arc::new(UInt64Array::from_iter_values(
                    (0..rows).map(|r| rowid(unit, r)),
                )),
                COL_PTR => Arc::new(StringArray::from_iter_values(w.events.iter().map(|e| {
                    event_ptr(group, &w.stream, e.timestamp, e.ingestion_time, &e.message)
                }))),
                c => {
                    let (i, companion) = self.plan.field_of(c);
                    fn value(v: &[Option<Value>], i: usize) -> Option<&Value> {
                        v.get(i).and_then(Option::as_ref)
                    }
                    match companion {
                        Companion::Number => {
                            return Arc::new(Float64Array::from_iter(
                                w.values
                                    .iter()
                                    .map(|v| value(v, i).and_then(lenient_number)),
                            ));
                        }
                        Companion::Presence => {
                            return Arc::new(BooleanArray::from_iter(
                                w.values.iter().map(|v| value(v, i).map(|_| true)),
                            ));
                        }
                        Companion::No => {}
                    }
                    let mut b = ColBuilder::for_type(self.plan.schema.field(c).data_type(), rows);
                    for values in &w.values {
                        b.push(values.get(i).and_then(Option::as_ref));
                    }
                    b.finish()
                }
            }
        };
        let filter_columns = self
            .filter
            .as_ref()
            .map(|f| f.columns.iter().map(|&c| column(c)));
        let kept = match filter_columns {
            Some(cols) => self.keep(cols.collect(), rows)?,
            None => None,
        };
        // The needles the scan answers exactly, on the plain messages.
        let kept = if self.exact_needles.is_empty() {
            kept
        } else {
            let holds = BooleanArray::from_iter(
                w.events
                    .iter()
                    .map(|e| Some(self.holds_needles(&e.message))),
            );
            let mask = match kept {
                None => holds,
                Some((_, mask)) => arrow::compute::and(&mask, &holds)
                    .map_err(|e| StoreError::Filter(Box::new(e)))?,
            };
            let rows = (0..rows)
                .filter(|&i| mask.is_valid(i) && mask.value(i))
                .collect();
            Some((rows, mask))
        };
        let mut columns = Vec::with_capacity(self.projection().len());
        for &c in self.projection() {
            let array = column(c);
            columns.push(match &kept {
                None => array,
                Some((_, mask)) => arrow::compute::filter(&array, mask)
                    .map_err(|e| StoreError::Filter(Box::new(e)))?,
            });
        }
        let timestamps: Vec<i64> = match &kept {
            None => w.events.iter().map(|e| e.timestamp).collect(),
            Some((kept, _)) => kept.iter().map(|&i| w.events[i].timestamp).collect(),
        };
        let returned = timestamps.len();
        Ok(Some(Decoded {
            columns,
            rows: returned,
            timestamps,
            scanned: rows as u64,
            bytes,
            held_back: 0,
        }))
    }

    fn read_block(
        &self,
        unit: usize,
        group: &str,
        seg: &Segment,
        block: usize,
        hidden: &[bool],
    ) -> Result<Option<Decoded>> {
        let plan = &*self.plan;
        let footer = seg.footer();
        if self.mode == Mode::Scanned
            && let Some(counted) = count_from_metadata(plan, footer, block, hidden)
        {
            return Ok(Some(counted));
        }
        let meta = footer
            .blocks
            .get(block)
            .ok_or_else(|| StoreError::corrupt(seg.path(), "scan: no such block"))?;
        let rows = meta.rows as usize;
        let wants = |c: usize| self.projection().contains(&c);
        let filter_cols: &[usize] = self.filter.as_ref().map_or(&[], |f| &f.columns);
        // Timestamps only when something needs them: rows to cut at the range's ends, a
        // column that shows or builds from them, or an early stop to track.
        let all_times = plan.request.contains(meta.min_ts) && plan.request.contains(meta.max_ts);
        let ts = if !all_times
            || self.tracks()
            || [COL_TS, COL_PTR]
                .iter()
                .any(|c| wants(*c) || filter_cols.contains(c))
        {
            let ts = seg.timestamps(block)?;
            if ts.len() != rows {
                return Err(StoreError::corrupt(seg.path(), "scan: timestamps"));
            }
            ts
        } else {
            Vec::new()
        };
        let any_hidden = hidden.iter().any(|&h| h);
        let stream_ids = if !plan.streams.is_empty()
            || any_hidden
            || [COL_STREAM, COL_PTR]
                .iter()
                .any(|c| wants(*c) || filter_cols.contains(c))
        {
            Some(seg.stream_ids(block)?)
        } else {
            None
        };
        // The rows in the time range and the wanted streams, when not all of them are.
        let base: Option<Vec<usize>> = {
            let wanted_streams: Vec<bool> = footer
                .streams
                .iter()
                .zip(hidden.iter().chain(std::iter::repeat(&false)))
                .map(|(s, &h)| !h && (plan.streams.is_empty() || plan.streams.contains(s)))
                .collect();
            let all_streams = wanted_streams.iter().all(|&w| w);
            if all_streams && all_times {
                None
            } else {
                let ids = stream_ids.as_deref().unwrap_or(&[]);
                Some(
                    (0..rows)
                        .filter(|&r| {
                            (all_times || plan.request.contains(ts[r]))
                                && (all_streams
                                    || ids.get(r).is_some_and(|&id| wanted_streams[id as usize]))
                        })
                        .collect(),
                )
            }
        };
        let scanned = base.as_ref().map_or(rows, Vec::len);
        if scanned == 0 {
            return Ok(None);
        }
        let block = BlockRead {
            unit,
            seg,
            block,
            group,
            rows,
            ts: &ts,
            stream_ids: stream_ids.as_deref(),
            plan,
        };
        // What the scan read: every base row's message bytes, from the footer when it knows.
        let mut bytes = if base.is_none() {
            seg.message_bytes(block.block)?
        } else {
            None
        };

        // Past the early stop, a filter on one integer field whose chunk lists its distinct
        // values counts from those, with nothing decoded.
        let counted = match self.mode {
            Mode::Scanned => Some(0),
            Mode::Matches
                if base.is_none()
                    && self.exact_needles.is_empty()
                    && plan.needles.is_empty()
                    && plan.field_equals.is_empty() =>
            {
                self.count_from_int_counts(seg, block.block)?
            }
            _ => None,
        };
        if let Some(matched) = counted {
            let bytes = match bytes {
                Some(b) => b,
                None => block.message_bytes(base.as_deref())?,
            } + scanned as u64 * crate::EVENT_OVERHEAD_BYTES;
            return Ok(Some(Decoded {
                columns: Vec::new(),
                rows: matched,
                timestamps: Vec::new(),
                scanned: scanned as u64,
                bytes,
                held_back: 0,
            }));
        }
        // Rows whose message provably lacks a needle the query's filter requires are out
        // before anything is decoded (worked out from the stored templates and values); the
        // needles the scan answers exactly are settled here, rendering only the messages the
        // stored pieces cannot decide.
        let mut selection = base.clone();
        let mut narrowed = false;
        let mut needles: Vec<&str> = plan.needles.iter().map(String::as_str).collect();
        for n in &self.exact_needles {
            if !needles.contains(&n.as_str()) {
                needles.push(n);
            }
        }
        if !needles.is_empty() {
            let holds = seg.message_holds(block.block, &needles)?;
            let exact: Vec<&[Holds]> = needles
                .iter()
                .zip(&holds)
                .filter(|(n, _)| self.exact_needles.iter().any(|e| e == *n))
                .map(|(_, h)| h.as_slice())
                .collect();
            let at = |h: &[Holds], r: usize| h.get(r).copied().unwrap_or(Holds::Maybe);
            narrowed |= narrow(&mut selection, rows, |r| {
                holds.iter().all(|h| at(h, r) != Holds::No)
            });
            // Rows an exact needle may or may not be in: render and look.
            let mut wanted = vec![false; rows];
            let mut unsure = false;
            let mut mark = |r: usize| {
                if exact.iter().any(|h| at(h, r) == Holds::Maybe) {
                    wanted[r] = true;
                    unsure = true;
                }
            };
            match &selection {
                Some(s) => s.iter().for_each(|&r| mark(r)),
                None => (0..rows).for_each(mark),
            }
            if unsure {
                let mut fails = vec![false; rows];
                seg.for_each_message(block.block, Some(&wanted), |r, m| {
                    fails[r] = !self.holds_needles(m);
                })?;
                narrowed |= narrow(&mut selection, rows, |r| !fails[r]);
            }
        }
        for (name, text) in &plan.field_equals {
            if let Some(keep) = seg.field_equals_rows(block.block, name, text)? {
                narrowed |= narrow(&mut selection, rows, |r| {
                    keep.get(r).copied().unwrap_or(true)
                });
            }
        }
        // Late materialisation: the filter's columns first, then the rest for the kept rows.
        let mut filtered: Option<(Vec<ArrayRef>, BooleanArray)> = None;
        if let Some(filter) = &self.filter
            && selection.as_ref().is_none_or(|s| !s.is_empty())
        {
            let n = selection.as_ref().map_or(rows, Vec::len);
            let (columns, message_bytes) =
                block.decode(&filter.columns, selection.as_deref(), &[])?;
            if !narrowed {
                bytes = bytes.or(message_bytes);
            }
            if let Some((kept, mask)) = self.keep(columns.clone(), n)? {
                selection = Some(match &selection {
                    None => kept,
                    Some(base) => kept.into_iter().map(|i| base[i]).collect(),
                });
                filtered = Some((columns, mask));
            }
        }
        // With an early stop, kept rows that cannot be among this partition's `limit` first
        // (at least `limit` rows returned before or kept here come first) are out before the
        // other columns are decoded: the sort above sees about `limit` rows per block, not all of them.
        let mut trimmed: Option<arrow::array::UInt32Array> = None;
        let mut held_back = 0u64;
        if let (true, Some(limit)) = (self.tracks(), self.limit) {
            let n = selection.as_ref().map_or(rows, Vec::len);
            let at = |i: usize| selection.as_ref().map_or(i, |s| s[i]);
            if limit > 0 && n > limit {
                let mut keys: Vec<i64> = self
                    .best
                    .iter()
                    .copied()
                    .chain((0..n).map(|i| self.key(ts[at(i)])))
                    .collect();
                let (_, &mut worst, _) = keys.select_nth_unstable(limit - 1);
                let keep: Vec<u32> = (0..n)
                    .filter(|&i| self.key(ts[at(i)]) <= worst)
                    .map(|i| i as u32)
                    .collect();
                if keep.len() < n {
                    held_back = (n - keep.len()) as u64;
                    selection = Some(keep.iter().map(|&i| at(i as usize)).collect());
                    narrowed = true;
                    trimmed = Some(keep.into());
                }
            }
        }
        let kept_rows = selection.as_ref().map_or(rows, Vec::len);
        let mut columns: Vec<Option<ArrayRef>> = vec![None; self.projection().len()];
        if let (Some((arrays, mask)), Some(filter)) = (&filtered, &self.filter) {
            for (slot, c) in columns.iter_mut().zip(self.projection()) {
                if let Some(i) = filter.columns.iter().position(|f| f == c) {
                    let mut kept = arrow::compute::filter(&arrays[i], mask)
                        .map_err(|e| StoreError::Filter(Box::new(e)))?;
                    if let Some(positions) = &trimmed {
                        kept = arrow::compute::take(&kept, positions, None)
                            .map_err(|e| StoreError::Filter(Box::new(e)))?;
                    }
                    *slot = Some(kept);
                }
            }
        }
        let rest: Vec<usize> = self
            .projection()
            .iter()
            .zip(&columns)
            .filter(|(_, a)| a.is_none())
            .map(|(&c, _)| c)
            .collect();
        if kept_rows > 0 && !rest.is_empty() {
            let (arrays, message_bytes) =
                block.decode(&rest, selection.as_deref(), &self.dictionaries)?;
            if filtered.is_none() && !narrowed {
                bytes = bytes.or(message_bytes);
            }
            let mut arrays = arrays.into_iter();
            for slot in columns.iter_mut().filter(|a| a.is_none()) {
                *slot = arrays.next();
            }
        }
        let bytes = match bytes {
            Some(b) => b,
            // Count the base rows' messages without keeping them.
            None => block.message_bytes(base.as_deref())?,
        } + scanned as u64 * crate::EVENT_OVERHEAD_BYTES;
        let timestamps: Vec<i64> = match (&selection, self.tracks()) {
            (_, false) => Vec::new(),
            (None, true) => ts.clone(),
            (Some(s), true) => s.iter().map(|&r| ts[r]).collect(),
        };
        let columns = columns
            .into_iter()
            .zip(self.projection())
            .map(|(a, &c)| a.unwrap_or_else(|| arrow::array::new_empty_array(self.schema_type(c))))
            .collect();
        Ok(Some(Decoded {
            columns,
            rows: kept_rows,
            timestamps,
            scanned: scanned as u64,
            bytes,
            held_back,
        }))
    }

    /// The rows of `block` the filter keeps, when the filter reads one integer field and the
    /// block's chunk of it lists its distinct values with their counts (format 3): the filter
    /// is evaluated once per distinct value (and once for a missing value) and weighed by the
    /// rows holding it. `None` when the block does not allow that.
    fn count_from_int_counts(&self, seg: &Segment, block: usize) -> Result<Option<usize>> {
        let Some(filter) = &self.filter else {
            return Ok(None);
        };
        let &[c] = filter.columns.as_slice() else {
            return Ok(None);
        };
        if c < SYSTEM_COLUMNS || self.schema_type(c) != &DataType::Int64 {
            return Ok(None);
        }
        let footer = seg.footer();
        let Some(meta) = footer.blocks.get(block) else {
            return Ok(None);
        };
        let stored = footer.sole_field_column(&self.plan.names[self.plan.field_of(c).0]);
        let (counts, present): (&[(i64, u64)], u64) = match stored {
            Some((col, FieldType::Integer)) => match meta.chunks.get(col) {
                Some(None) => (&[], 0),
                Some(Some(chunk)) => match &chunk.stats {
                    Stats::Int {
                        counts: Some(counts),
                        ..
                    } => (counts, chunk.present),
                    _ => return Ok(None),
                },
                None => return Ok(None),
            },
            _ => return Ok(None),
        };
        let rows = u64::from(meta.rows);
        if counts.iter().map(|(_, n)| n).sum::<u64>() != present || present > rows {
            return Ok(None);
        }
        let values = Int64Array::from_iter(
            counts
                .iter()
                .map(|&(v, _)| Some(v))
                .chain(std::iter::once(None)),
        );
        let weights: Vec<u64> = counts
            .iter()
            .map(|&(_, n)| n)
            .chain(std::iter::once(rows - present))
            .collect();
        let kept = match self.keep(vec![Arc::new(values)], weights.len())? {
            Some((kept, _)) => kept,
            None => return Ok(None),
        };
        Ok(Some(kept.iter().map(|&i| weights[i]).sum::<u64>() as usize))
    }

    fn schema_type(&self, c: usize) -> &DataType {
        self.plan.schema.field(c).data_type()
    }
}

/// Keeps, of the rows `selection` holds (all `rows` when `None`), those `keep` accepts; true
/// when it dropped any (a selection of every row stays `None`).
fn narrow(
    selection: &mut Option<Vec<usize>>,
    rows: usize,
    mut keep: impl FnMut(usize) -> bool,
) -> bool {
    let before = selection.as_ref().map_or(rows, Vec::len);
    let kept: Vec<usize> = match selection.take() {
        Some(s) => s.into_iter().filter(|&r| keep(r)).collect(),
        None => (0..rows).filter(|&r| keep(r)).collect(),
    };
    let dropped = kept.len() != before;
    if dropped || before != rows {
        *selection = Some(kept);
    }
    dropped
}

/// What a block adds to the statistics of a scan past its early stop, from the footer alone:
/// possible when every row of the block is wanted (inside the time range, no stream left out,
/// none hidden) and the footer records the block's message bytes (format v2).
fn count_from_metadata(
    plan: &ScanPlan,
    footer: &crate::segment::Footer,
    block: usize,
    hidden: &[bool],
) -> Option<Decoded> {
    let meta = footer.blocks.get(block)?;
    let every_stream = hidden.iter().all(|&h| !h)
        && (plan.streams.is_empty() || footer.streams.iter().all(|s| plan.streams.contains(s)));
    if !every_stream || !plan.request.contains(meta.min_ts) || !plan.request.contains(meta.max_ts) {
        return None;
    }
    let rows = u64::from(meta.rows);
    Some(Decoded {
        columns: Vec::new(),
        rows: 0,
        timestamps: Vec::new(),
        scanned: rows,
        bytes: meta.message_bytes? + rows * crate::EVENT_OVERHEAD_BYTES,
        held_back: 0,
    })
}

/// One unit's output: its projected columns (for the kept rows), their timestamps, and what
/// the unit cost.
struct Decoded {
    columns: Vec<ArrayRef>,
    /// The rows returned.
    rows: usize,
    /// Their timestamps, when the scan tracks an early stop (else empty).
    timestamps: Vec<i64>,
    scanned: u64,
    bytes: u64,
    /// Rows the filter kept that an early stop leaves out (they count as matched).
    held_back: u64,
}

/// Decoding columns of one block for a selection of its rows.
struct BlockRead<'a> {
    unit: usize,
    seg: &'a Segment,
    block: usize,
    group: &'a str,
    rows: usize,
    /// The block's timestamps, when the scan needed them (else empty).
    ts: &'a [i64],
    stream_ids: Option<&'a [u32]>,
    plan: &'a ScanPlan,
}

impl BlockRead<'_> {
    /// The schema columns `cols` for the rows `selection` picks (all when `None`), and the
    /// selected rows' message bytes when the messages had to be decoded.
    fn decode(
        &self,
        cols: &[usize],
        selection: Option<&[usize]>,
        dictionaries: &[usize],
    ) -> Result<(Vec<ArrayRef>, Option<u64>)> {
        let (seg, block, plan) = (self.seg, self.block, self.plan);
        let footer = seg.footer();
        let rows = selection.map_or(self.rows, <[usize]>::len);
        let pick = |r: usize| selection.map_or(r, |s| s[r]);

        // Per requested field: the columns holding it, or discovery from the message when this
        // segment did not keep the field.
        let mut field_cols: Vec<FieldColumns> = Vec::new();
        let mut rediscover: HashMap<&str, usize> = HashMap::new();
        for &c in cols {
            if c < SYSTEM_COLUMNS {
                continue;
            }
            let (i, companion) = plan.field_of(c);
            let name = &plan.names[i];
            let stored: Vec<(usize, FieldType)> = footer.field_columns(name).collect();
            if stored.is_empty() && !footer.fields_complete && !rediscover.contains_key(&**name) {
                let n = rediscover.len();
                rediscover.insert(name.as_str(), n);
            }
            field_cols.push(match stored.as_slice() {
                [(col, FieldType::String)]
                    if dictionaries.contains(&c)
                        && plan.schema.field(c).data_type() == &DataType::Utf8 =>
                {
                    FieldColumns::Array(seg.field_strings_dict(block, *col, selection)?)
                }
                _ if companion == Companion::Presence => FieldColumns::Presence(
                    stored
                        .iter()
                        .map(|&(col, _)| seg.field_presence(block, col))
                        .collect::<Result<Vec<_>>>()?,
                ),
                _ if companion == Companion::Number => FieldColumns::Numbers(
                    stored
                        .iter()
                        .map(|&(col, t)| match t {
                            FieldType::Float => {
                                seg.field_floats(block, col).map(NumberSource::Floats)
                            }
                            FieldType::String => {
                                seg.field_strings(block, col).map(NumberSource::Texts)
                            }
                            _ => seg.field(block, col).map(NumberSource::Values),
                        })
                        .collect::<Result<Vec<_>>>()?,
                ),
                // Text kept as text: straight into Arrow (only the picked rows' values).
                [(col, FieldType::String)]
                    if plan.schema.field(c).data_type() == &DataType::Utf8 =>
                {
                    match selection {
                        None => FieldColumns::Strings(seg.field_strings(block, *col)?),
                        Some(rows) => {
                            FieldColumns::Picked(seg.field_strings_at(block, *col, rows)?)
                        }
                    }
                }
                // Integers kept as integers: straight into Arrow too.
                [(col, FieldType::Integer)]
                    if plan.schema.field(c).data_type() == &DataType::Int64 =>
                {
                    FieldColumns::Array(Arc::new(seg.field_ints(block, *col, selection)?))
                }
                _ => FieldColumns::Decoded(
                    stored
                        .iter()
                        .map(|&(col, _)| seg.field(block, col))
                        .collect::<Result<Vec<_>>>()?,
                ),
            });
        }

        // Messages: rendered straight into the Arrow column (when asked for), counting bytes
        // and rediscovering fields on the way.
        let want_messages = cols.contains(&COL_MSG);
        let want_ptr = cols.contains(&COL_PTR);
        let mut hashes = Vec::new();
        let mut message_col = want_messages.then(|| {
            let hint = seg
                .message_bytes(block)
                .ok()
                .flatten()
                .unwrap_or(rows as u64 * 64);
            StringBuilder::with_capacity(rows, hint as usize)
        });
        let mut found: Vec<Vec<Option<Value>>> = Vec::new();
        let mut message_bytes = None;
        if want_messages || want_ptr || !rediscover.is_empty() {
            let mut bytes = 0u64;
            let wanted = selection.map(|s| mask_of(s, self.rows));
            seg.for_each_message(block, wanted.as_deref(), |_, m| {
                bytes += m.len() as u64;
                if let Some(b) = message_col.as_mut() {
                    b.append_value(m);
                }
                if want_ptr {
                    hashes.push(crate::ptr::message_hash(m));
                }
                if !rediscover.is_empty() {
                    found.push(discover_values(m, &rediscover));
                }
            })?;
            message_bytes = Some(bytes);
        }

        let mut out = Vec::with_capacity(cols.len());
        let mut fields = field_cols.into_iter();
        for &c in cols {
            let array: ArrayRef = match c {
                COL_TS => Arc::new(TimestampMillisecondArray::from_iter_values(
                    (0..rows).map(|r| self.ts[pick(r)]),
                )),
                COL_INGEST => {
                    let ing = seg.ingestion_times(block)?;
                    Arc::new(TimestampMillisecondArray::from_iter_values(
                        (0..rows).map(|r| ing[pick(r)]),
                    ))
                }
                COL_GROUP => repeated(self.group, rows),
                COL_STREAM => {
                    if footer.streams.len() == 1 {
                        repeated(&footer.streams[0], rows)
                    } else {
                        let ids = self.stream_ids.unwrap_or(&[]);
                        Arc::new(StringArray::from_iter_values(
                            (0..rows).map(|r| stream_name(&footer.streams, ids, pick(r))),
                        ))
                    }
                }
                COL_ROWID => Arc::new(UInt64Array::from_iter_values(
                    (0..rows).map(|r| rowid(self.unit, pick(r))),
                )),
                COL_PTR => {
                    let ing = seg.ingestion_times(block)?;
                    let ids = self.stream_ids.unwrap_or(&[]);
                    Arc::new(StringArray::from_iter_values((0..rows).map(|r| {
                        let row = pick(r);
                        crate::ptr::encode(
                            self.group,
                            stream_name(&footer.streams, ids, row),
                            self.ts[row],
                            ing[row],
                            hashes.get(r).copied().unwrap_or(0),
                        )
                    })))
                }
                COL_MSG => match message_col.as_mut() {
                    Some(b) => Arc::new(b.finish()),
                    None => return Err(StoreError::corrupt(seg.path(), "scan projection")),
                },
                c => {
                    let Some(cols) = fields.next() else {
                        return Err(StoreError::corrupt(seg.path(), "scan projection"));
                    };
                    let (i, companion) = plan.field_of(c);
                    let name = plan.names[i].as_str();
                    let dt = plan.schema.field(c).data_type();
                    match (rediscover.get(name), cols) {
                        (Some(&i), _) if companion == Companion::Number => {
                            Arc::new(Float64Array::from_iter(
                                found
                                    .iter()
                                    .map(|row| row[i].as_ref().and_then(lenient_number)),
                            ))
                        }
                        (Some(&i), _) if companion == Companion::Presence => {
                            Arc::new(BooleanArray::from_iter(
                                found.iter().map(|row| row[i].as_ref().map(|_| true)),
                            ))
                        }
                        (None, FieldColumns::Presence(sources)) => {
                            Arc::new(BooleanArray::from_iter((0..rows).map(|r| {
                                let row = pick(r);
                                sources
                                    .iter()
                                    .any(|p| p.get(row).copied().unwrap_or(false))
                                    .then_some(true)
                            })))
                        }
                        (None, FieldColumns::Numbers(sources)) => {
                            match (sources.as_slice(), selection) {
                                ([NumberSource::Floats(f)], None) => Arc::new(f.clone()),
                                _ => number_array(&sources, rows, &pick),
                            }
                        }
                        (Some(&i), _) => {
                            let mut b = ColBuilder::for_type(dt, rows);
                            for row in &found {
                                b.push(row[i].as_ref());
                            }
                            b.finish()
                        }
                        (None, FieldColumns::Decoded(cols)) => field_array(&cols, dt, rows, &pick),
                        (None, FieldColumns::Picked(a)) => Arc::new(a),
                        (None, FieldColumns::Array(a)) => a,
                        (None, FieldColumns::Strings(a)) => match selection {
                            None => Arc::new(a),
                            Some(sel) => {
                                let idx = arrow::array::UInt32Array::from_iter_values(
                                    sel.iter().map(|&r| r as u32),
                                );
                                arrow::compute::take(&a, &idx, None)
                                    .map_err(|e| StoreError::corrupt(seg.path(), e.to_string()))?
                            }
                        },
                    }
                }
            };
            out.push(array);
        }
        Ok((out, message_bytes))
    }

    /// The total message bytes of the selected rows, decoding the messages.
    fn message_bytes(&self, selection: Option<&[usize]>) -> Result<u64> {
        let wanted = selection.map(|s| mask_of(s, self.rows));
        let mut bytes = 0;
        self.seg
            .for_each_message(self.block, wanted.as_deref(), |_, m| {
                bytes += m.len() as u64
            })?;
        Ok(bytes)
    }
}

/// The `@rowid` of row `row` of unit `unit`.
fn rowid(unit: usize, row: usize) -> u64 {
    ((unit as u64) << 32) | row as u64
}

impl ScanPlan {
    /// The rows `rowids` (from this plan's `@rowid` column) name, by unit: `(position in
    /// rowids, row in the unit)`.
    fn rows_by_unit(&self, rowids: &[u64]) -> Result<Vec<(&Unit, Vec<RowAt>)>> {
        let mut by_unit: HashMap<usize, Vec<RowAt>> = HashMap::new();
        for (i, &id) in rowids.iter().enumerate() {
            by_unit
                .entry((id >> 32) as usize)
                .or_default()
                .push((i, (id & 0xffff_ffff) as usize));
        }
        by_unit
            .into_iter()
            .map(|(u, rows)| Ok((self.units.get(u).ok_or_else(bad_rowid)?, rows)))
            .collect()
    }

    /// `@message` of the rows `rowids` name, in their order: decodes only the blocks holding
    /// them, and in those only their messages.
    pub fn messages(&self, rowids: &[u64]) -> Result<Vec<String>> {
        let mut out = vec![String::new(); rowids.len()];
        for (unit, wanted) in self.rows_by_unit(rowids)? {
            match &unit.source {
                Source::Wal(w) => {
                    for (i, row) in wanted {
                        out[i] = w.events.get(row).ok_or_else(bad_rowid)?.message.clone();
                    }
                }
                Source::Block { seg, block, .. } => {
                    let rows = seg.footer().blocks.get(*block).ok_or_else(bad_rowid)?.rows;
                    let mut mask = vec![false; rows as usize];
                    for &(_, row) in &wanted {
                        *mask.get_mut(row).ok_or_else(bad_rowid)? = true;
                    }
                    let mut messages: HashMap<usize, String> = HashMap::new();
                    seg.for_each_message(*block, Some(&mask), |row, m| {
                        messages.insert(row, m.to_owned());
                    })?;
                    for (i, row) in wanted {
                        out[i] = messages.get(&row).ok_or_else(bad_rowid)?.clone();
                    }
                }
            }
        }
        Ok(out)
    }

    /// `@ptr` of the rows `rowids` name, given their messages (so only timestamps, ingestion
    /// times and stream ids are decoded here).
    pub fn pointers(&self, rowids: &[u64], messages: &[&str]) -> Result<Vec<String>> {
        if messages.len() != rowids.len() {
            return Err(bad_rowid());
        }
        let mut out = vec![String::new(); rowids.len()];
        for (unit, wanted) in self.rows_by_unit(rowids)? {
            let group = self.groups[unit.group].as_str();
            match &unit.source {
                Source::Wal(w) => {
                    for (i, row) in wanted {
                        let e = w.events.get(row).ok_or_else(bad_rowid)?;
                        out[i] =
                            event_ptr(group, &w.stream, e.timestamp, e.ingestion_time, messages[i]);
                    }
                }
                Source::Block { seg, block, .. } => {
                    let ts = seg.timestamps(*block)?;
                    let ing = seg.ingestion_times(*block)?;
                    let ids = seg.stream_ids(*block)?;
                    let streams = &seg.footer().streams;
                    for (i, row) in wanted {
                        let (&t, &g) = ts.get(row).zip(ing.get(row)).ok_or_else(bad_rowid)?;
                        out[i] =
                            event_ptr(group, stream_name(streams, &ids, row), t, g, messages[i]);
                    }
                }
            }
        }
        Ok(out)
    }
}

/// A wanted row: its position in the caller's list, and its row in its unit.
type RowAt = (usize, usize);

fn bad_rowid() -> StoreError {
    StoreError::corrupt(Path::new("<scan>"), "a row id outside the scan")
}

/// The `@ptr` of an event.
fn event_ptr(group: &str, stream: &str, timestamp: i64, ingestion: i64, message: &str) -> String {
    crate::ptr::encode(
        group,
        stream,
        timestamp,
        ingestion,
        crate::ptr::message_hash(message),
    )
}

/// The stream of row `row` of a block, by its stream ids and the segment's stream names.
fn stream_name<'s>(streams: &'s [String], ids: &[u32], row: usize) -> &'s str {
    ids.get(row)
        .and_then(|&id| streams.get(id as usize))
        .map_or("", String::as_str)
}

/// Row positions as a per-row mask.
fn mask_of(selection: &[usize], rows: usize) -> Vec<bool> {
    let mut mask = vec![false; rows];
    for &r in selection {
        if let Some(m) = mask.get_mut(r) {
            *m = true;
        }
    }
    mask
}

impl Iterator for ScanReader {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Result<RecordBatch>> {
        while self.next < self.units.len() {
            let u = self.units[self.next];
            if self.mode == Mode::Rows && self.done_before(&self.plan.units[u]) {
                // The rows wanted are all out; the rest is only counted (what the query's
                // statistics report): the rows the filter keeps when there is one, else
                // what was scanned, from block metadata where it suffices.
                self.mode = if self.filter.is_some() || !self.exact_needles.is_empty() {
                    Mode::Matches
                } else {
                    Mode::Scanned
                };
            }
            self.next += 1;
            match self.read_unit(u) {
                Ok(Some(batch)) => return Some(Ok(batch)),
                Ok(None) => continue,
                Err(e) => {
                    self.next = self.units.len();
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

/// A field's data in one block: decoded values, or a string column already in Arrow form
/// (every row, or only the selected ones).
enum FieldColumns {
    Decoded(Vec<ColumnData>),
    /// The stored columns of a field read for its numeric companion.
    Numbers(Vec<NumberSource>),
    /// Per stored column of a field, which rows of the block have a value in it.
    Presence(Vec<Vec<bool>>),
    Strings(arrow::array::StringArray),
    Picked(arrow::array::StringArray),
    /// Already the array the scan returns (of the picked rows when there is a selection).
    Array(ArrayRef),
}

/// One stored column of a field, read for its numeric companion.
enum NumberSource {
    /// A float column, every row of the block.
    Floats(Float64Array),
    /// A text column, every row of the block (one buffer, parsed in place).
    Texts(StringArray),
    /// An integer or boolean column, every row of the block.
    Values(ColumnData),
}

/// The numeric companion of a field from its stored columns: per row, the lenient number of
/// the first column that has a value (as [`lenient_number`]), one column at a time.
fn number_array(sources: &[NumberSource], rows: usize, pick: &dyn Fn(usize) -> usize) -> ArrayRef {
    let mut values = vec![0f64; rows];
    let mut valid = vec![false; rows];
    let mut fill = |number: &dyn Fn(usize) -> Option<f64>| {
        for (r, (value, ok)) in values.iter_mut().zip(valid.iter_mut()).enumerate() {
            if !*ok && let Some(v) = number(pick(r)) {
                *value = v;
                *ok = true;
            }
        }
    };
    for source in sources {
        match source {
            NumberSource::Floats(f) => {
                fill(&|row| (row < f.len() && f.is_valid(row)).then(|| f.value(row)));
            }
            NumberSource::Texts(t) => fill(&|row| {
                (row < t.len() && t.is_valid(row))
                    .then(|| text_number(t.value(row)))
                    .flatten()
            }),
            NumberSource::Values(v) => fill(&|row| v.value(row).as_ref().and_then(lenient_number)),
        }
    }
    let nulls = valid
        .iter()
        .any(|ok| !ok)
        .then(|| arrow::buffer::NullBuffer::from(valid));
    Arc::new(Float64Array::new(values.into(), nulls))
}

/// A column of `rows` copies of `text`.
fn repeated(text: &str, rows: usize) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
        text, rows,
    )))
}

/// The Arrow array of one field in one block: typed straight from its column when the field
/// has one stored type and the output keeps it, else value by value (text of each value).
fn field_array(
    cols: &[ColumnData],
    dt: &DataType,
    rows: usize,
    pick: &dyn Fn(usize) -> usize,
) -> ArrayRef {
    match (cols, dt) {
        ([], _) => arrow::array::new_null_array(dt, rows),
        ([ColumnData::Int(v)], DataType::Int64) => {
            Arc::new(Int64Array::from_iter((0..rows).map(|r| v[pick(r)])))
        }
        ([ColumnData::Float(v)], DataType::Float64) => {
            Arc::new(Float64Array::from_iter((0..rows).map(|r| v[pick(r)])))
        }
        ([ColumnData::Bool(v)], DataType::Boolean) => {
            Arc::new(BooleanArray::from_iter((0..rows).map(|r| v[pick(r)])))
        }
        ([ColumnData::Str(v)], DataType::Utf8) => Arc::new(StringArray::from_iter(
            (0..rows).map(|r| v[pick(r)].as_deref()),
        )),
        _ => {
            let mut b = ColBuilder::for_type(dt, rows);
            for r in 0..rows {
                let row = pick(r);
                b.push(cols.iter().find_map(|c| c.value(row)).as_ref());
            }
            b.finish()
        }
    }
}

/// Reads every unit of a scan in one partition (the whole-scan API).
pub(crate) fn scan(
    groups: &[(String, std::path::PathBuf)],
    request: &ScanRequest,
    hints: &ScanHints,
    cache: &crate::snapshot::SegmentCache,
) -> Result<ScanOutput> {
    let plan = Arc::new(ScanPlan::new(groups, request, hints, cache)?);
    let mut reader = plan.reader(0, 1, None, None);
    let batches = reader.by_ref().collect::<Result<Vec<_>>>()?;
    Ok(ScanOutput {
        schema: Arc::clone(plan.schema()),
        batches,
        records_scanned: reader.records_scanned(),
        bytes_scanned: reader.bytes_scanned(),
    })
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
                (Stats::Int { min, max, .. }, _) => text
                    .parse::<i64>()
                    .is_ok_and(|v| v.to_string() == *text && *min <= v && v <= *max),
                (Stats::Float { min, max }, _) => text
                    .parse::<f64>()
                    .is_ok_and(|v| format_float(v) == *text && *min <= v && v <= *max),
                (_, FieldType::Boolean) => text == "true" || text == "false",
                (Stats::Str { min, max, .. }, _) => {
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
                (Stats::Int { min, max, .. }, _) => (*max as f64) >= *lo && (*min as f64) <= *hi,
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
    fn for_type(dt: &DataType, rows: usize) -> ColBuilder {
        match dt {
            DataType::Int64 => ColBuilder::Int(Int64Builder::with_capacity(rows)),
            DataType::Float64 => ColBuilder::Float(Float64Builder::with_capacity(rows)),
            DataType::Boolean => ColBuilder::Bool(BooleanBuilder::with_capacity(rows)),
            _ => ColBuilder::Str(StringBuilder::with_capacity(rows, rows * 8)),
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;
    use arrow::array::AsArray;
    use arrow::datatypes::TimestampMillisecondType;

    fn event(ts: i64, message: String) -> Event {
        Event {
            timestamp: ts,
            ingestion_time: 5,
            message,
        }
    }

    /// Statistics do not depend on which columns a scan decodes, or on how it is partitioned;
    /// the rows are the same in every partitioning.
    #[test]
    fn projection_and_partitions_do_not_change_what_is_counted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.create_group("g", 0).unwrap();
        store.create_stream("g", "a", 0).unwrap();
        store.create_stream("g", "b", 0).unwrap();
        let batch = |stream: &str, from: i64| {
            let events: Vec<Event> = (from..from + 3000)
                .map(|i| event(i, format!(r#"{{"n":{i},"s":"v{}","t":"x y {i}"}}"#, i % 7)))
                .collect();
            store.append("g", stream, &events).unwrap();
        };
        batch("a", 0);
        batch("b", 1000);
        store.seal("g").unwrap();
        batch("a", 10_000); // stays in the WAL
        let request = |start, end| ScanRequest {
            groups: vec!["g".into()],
            start_ms: start,
            end_ms: end,
            fields: vec!["n".into(), "s".into()],
            numbers: Vec::new(),
        };
        for (start, end, streams) in [
            (None, None, vec![]),
            (Some(500), Some(12_000), vec![]),
            (Some(500), None, vec!["b".to_owned()]),
        ] {
            let hints = ScanHints {
                streams,
                ..ScanHints::default()
            };
            let plan = Arc::new(
                ScanPlan::new(
                    &store.group_dirs(&["g".to_owned()]).unwrap(),
                    &request(start, end),
                    &hints,
                    &crate::snapshot::SegmentCache::default(),
                )
                .unwrap(),
            );
            let read_filtered = |partitions: usize,
                                 projection: Option<Vec<usize>>,
                                 filter: Option<RowFilter>| {
                let mut rows = Vec::new();
                let (mut records, mut bytes) = (0, 0);
                for p in 0..partitions {
                    let mut reader = plan.reader(p, partitions, projection.clone(), filter.clone());
                    for batch in reader.by_ref() {
                        let batch = batch.unwrap();
                        let ts = batch
                            .column(0)
                            .as_any()
                            .downcast_ref::<TimestampMillisecondArray>()
                            .unwrap()
                            .clone();
                        rows.extend(ts.values().iter().copied());
                    }
                    records += reader.records_scanned();
                    bytes += reader.bytes_scanned();
                }
                rows.sort_unstable();
                (rows, records, bytes)
            };
            let read = |partitions, projection| read_filtered(partitions, projection, None);
            // Each row's message and pointer, back by its row id.
            let mut reader = plan.reader(0, 1, Some(vec![COL_MSG, COL_PTR, COL_ROWID]), None);
            for batch in reader.by_ref() {
                let batch = batch.unwrap();
                let text = |c: usize| -> Vec<String> {
                    let a = batch
                        .column(c)
                        .as_any()
                        .downcast_ref::<StringArray>()
                        .unwrap();
                    a.iter().map(|v| v.unwrap().to_owned()).collect()
                };
                let ids = batch
                    .column(2)
                    .as_any()
                    .downcast_ref::<UInt64Array>()
                    .unwrap();
                let mut ids: Vec<u64> = ids.values().to_vec();
                let (mut messages, mut ptrs) = (text(0), text(1));
                // In another order than read, as a sort would leave them.
                ids.reverse();
                messages.reverse();
                ptrs.reverse();
                assert_eq!(plan.messages(&ids).unwrap(), messages);
                let texts: Vec<&str> = messages.iter().map(String::as_str).collect();
                assert_eq!(plan.pointers(&ids, &texts).unwrap(), ptrs);
            }
            assert!(plan.messages(&[u64::MAX]).is_err());
            assert!(plan.pointers(&[u64::MAX], &["x"]).is_err());
            let all = read(1, None);
            assert!(!all.0.is_empty());
            assert_eq!(all.1, all.0.len() as u64);
            for partitions in [1, 2, 3] {
                assert_eq!(read(partitions, Some(vec![COL_TS])), all);
                assert_eq!(
                    read(partitions, Some(vec![COL_TS, SYSTEM_COLUMNS + 1])),
                    all
                );
                assert_eq!(read(partitions, Some(vec![COL_TS, COL_PTR])), all);
                assert_eq!(read(partitions, Some(vec![COL_TS, COL_ROWID])), all);
            }
            // A row filter on `n` (even values; the timestamps equal `n` here) keeps those
            // rows and counts the same scanned records and bytes, whatever it decodes.
            let even = RowFilter {
                columns: vec![SYSTEM_COLUMNS],
                eval: Arc::new(|batch: &RecordBatch| {
                    let n = batch
                        .column(0)
                        .as_any()
                        .downcast_ref::<Int64Array>()
                        .ok_or("n is not an integer column")?;
                    Ok(n.iter().map(|v| v.map(|v| v % 2 == 0)).collect())
                }),
            };
            let want: Vec<i64> = all.0.iter().copied().filter(|t| t % 2 == 0).collect();
            for partitions in [1, 2] {
                for projection in [None, Some(vec![COL_TS]), Some(vec![COL_TS, COL_MSG])] {
                    let got = read_filtered(partitions, projection, Some(even.clone()));
                    assert_eq!(got, (want.clone(), all.1, all.2));
                }
            }
            // Needles the scan answers exactly: the rows whose message holds them (in a
            // value, in the text around values, across both, or nowhere), whatever is read.
            let mut messages: Vec<(i64, String)> = Vec::new();
            let mut reader = plan.reader(0, 1, Some(vec![COL_TS, COL_MSG]), None);
            for batch in reader.by_ref() {
                let batch = batch.unwrap();
                let ts = batch.column(0).as_primitive::<TimestampMillisecondType>();
                let msg = batch.column(1).as_string::<i32>();
                for i in 0..batch.num_rows() {
                    messages.push((ts.value(i), msg.value(i).to_owned()));
                }
            }
            for needles in [
                vec!["v3"],
                vec!["x y 12"],
                vec!["\"n\":1"],
                vec!["3,\"s"],
                vec!["\"}"],
                vec!["v3", "y 1"],
                vec!["absent"],
                vec![""],
            ] {
                let mut want: Vec<i64> = messages
                    .iter()
                    .filter(|(_, m)| needles.iter().all(|n| m.contains(n)))
                    .map(|(t, _)| *t)
                    .collect();
                want.sort_unstable();
                for partitions in [1, 2] {
                    let (mut rows, mut records) = (Vec::new(), 0);
                    for p in 0..partitions {
                        let needles = needles.iter().map(|n| n.to_string()).collect();
                        let mut reader = plan
                            .reader(p, partitions, Some(vec![COL_TS]), None)
                            .with_exact_needles(needles);
                        for batch in reader.by_ref() {
                            let batch = batch.unwrap();
                            let ts = batch.column(0).as_primitive::<TimestampMillisecondType>();
                            rows.extend(ts.values().iter().copied());
                        }
                        records += reader.records_scanned();
                    }
                    rows.sort_unstable();
                    assert_eq!(rows, want, "needles {needles:?}");
                    assert_eq!(records, all.1, "needles {needles:?}");
                }
            }
        }
    }
}
