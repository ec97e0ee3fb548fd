//! Encoding a segment.

use std::borrow::Cow;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use super::bloom::Bloom;
use super::codec::{FxHashMap as HashMap, FxHashSet as HashSet, put_bytes, put_uvarint, zigzag};
use super::template::{encode_slot, split_json, split_text};
use super::{
    BlockMeta, COL_INGESTION, COL_MESSAGE, COL_STREAM, COL_TIMESTAMP, ChunkRef, ColumnDesc,
    ColumnKind, FORMAT_VERSION, FieldType, Footer, HEADER_LEN, MAGIC, MAX_BLOCK_ROWS,
    MAX_CHUNK_RAW_BYTES, Stats, Value,
};
use crate::discover::discover_typed;
use crate::error::{Result, StoreError};
use crate::event::Event;
use crate::scan::{INGESTION_TIME, LOG_STREAM, MESSAGE, TIMESTAMP};

/// One event to seal, with its stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentRow {
    pub stream: String,
    pub event: Event,
}

/// How a segment is cut and compressed.
#[derive(Debug, Clone)]
pub struct WriteConfig {
    /// Rows per block at most.
    pub block_rows: usize,
    /// A block closes once its messages reach this many bytes.
    pub block_message_bytes: usize,
    /// zstd level of the column chunks: sealing uses a fast level, compaction (off the ingest
    /// path) rewrites with [`StoreConfig::compact_zstd_level`](crate::StoreConfig).
    pub zstd_level: i32,
    /// Distinct discovered field names kept as columns; later names stay in `@message` only.
    pub max_field_names: usize,
}

impl Default for WriteConfig {
    fn default() -> Self {
        Self {
            block_rows: 8192,
            block_message_bytes: 4 << 20,
            zstd_level: 3,
            max_field_names: 1000,
        }
    }
}

/// Longest string statistic kept.
const STAT_BYTES: usize = 64;
/// Most decimal places a float column stores as a scaled integer.
pub(crate) const MAX_FLOAT_SCALE: u32 = 9;

/// Writes `bytes` to `path` durably: a temporary file, fsync, rename, fsync of the directory.
pub fn write_segment(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let mut file = File::create(&tmp).map_err(StoreError::io(&tmp))?;
    file.write_all(bytes).map_err(StoreError::io(&tmp))?;
    file.sync_all().map_err(StoreError::io(&tmp))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(StoreError::io(path))?;
    if let Some(dir) = path.parent() {
        crate::catalog::sync_dir(dir)?;
    }
    Ok(())
}

/// Sorts `rows` by timestamp (stable) and encodes them as a segment file.
pub fn encode_segment(rows: &mut [SegmentRow], config: &WriteConfig) -> Result<Vec<u8>> {
    rows.sort_by_key(|r| r.event.timestamp);
    let mut w = Writer::new(config);
    let mut start = 0;
    while start < rows.len() {
        let mut end = start;
        let mut bytes = 0;
        while end < rows.len()
            && end - start < config.block_rows.clamp(1, MAX_BLOCK_ROWS)
            && (end == start || bytes < config.block_message_bytes)
        {
            bytes += rows[end].event.message.len();
            end += 1;
        }
        w.block(&rows[start..end])?;
        start = end;
    }
    w.finish(rows)
}

struct Writer<'c> {
    config: &'c WriteConfig,
    out: Vec<u8>,
    streams: Vec<String>,
    stream_ids: HashMap<String, u64>,
    columns: Vec<ColumnDesc>,
    /// Per field name, its column for each type (in `FieldType` order).
    column_ids: HashMap<String, [Option<usize>; 4]>,
    fields_complete: bool,
    blocks: Vec<BlockMeta>,
    zstd: Option<zstd::bulk::Compressor<'static>>,
}

impl<'c> Writer<'c> {
    fn new(config: &'c WriteConfig) -> Self {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        debug_assert_eq!(out.len(), HEADER_LEN);
        let sys = |name: &str, kind| ColumnDesc {
            name: name.into(),
            kind,
        };
        Self {
            config,
            out,
            streams: Vec::new(),
            stream_ids: HashMap::default(),
            columns: vec![
                sys(TIMESTAMP, ColumnKind::Timestamp),
                sys(INGESTION_TIME, ColumnKind::Ingestion),
                sys(LOG_STREAM, ColumnKind::Stream),
                sys(MESSAGE, ColumnKind::Message),
            ],
            column_ids: HashMap::default(),
            fields_complete: true,
            blocks: Vec::new(),
            zstd: None,
        }
    }

    fn chunk(&mut self, raw: &[u8], present: u64, stats: Stats) -> Result<ChunkRef> {
        if raw.len() > MAX_CHUNK_RAW_BYTES {
            return Err(StoreError::corrupt(
                "<segment>",
                "column chunk exceeds the maximum size",
            ));
        }
        let zstd_err = StoreError::io(Path::new("<zstd>"));
        // One compression context for all the segment's chunks.
        let compressor = match &mut self.zstd {
            Some(c) => c,
            None => self
                .zstd
                .insert(zstd::bulk::Compressor::new(self.config.zstd_level).map_err(zstd_err)?),
        };
        let data = compressor
            .compress(raw)
            .map_err(StoreError::io(Path::new("<zstd>")))?;
        Ok(self.raw_chunk(&data, raw.len() as u64, present, stats))
    }

    fn raw_chunk(&mut self, data: &[u8], raw_len: u64, present: u64, stats: Stats) -> ChunkRef {
        let r = ChunkRef {
            offset: self.out.len() as u64,
            len: data.len() as u64,
            raw_len,
            crc: crc32fast::hash(data),
            present,
            stats,
        };
        self.out.extend_from_slice(data);
        r
    }

    fn block(&mut self, rows: &[SegmentRow]) -> Result<()> {
        let n = rows.len() as u64;
        let min_ts = rows.first().map_or(0, |r| r.event.timestamp);
        let max_ts = rows.last().map_or(0, |r| r.event.timestamp);

        let mut raw = Vec::new();
        let mut prev = min_ts;
        for r in rows {
            put_uvarint(&mut raw, zigzag(r.event.timestamp.wrapping_sub(prev)));
            prev = r.event.timestamp;
        }
        let mut chunks = vec![None; self.columns.len()];
        chunks[COL_TIMESTAMP] = Some(self.chunk(&raw, n, Stats::None)?);

        raw.clear();
        let mut prev = 0i64;
        for r in rows {
            put_uvarint(&mut raw, zigzag(r.event.ingestion_time.wrapping_sub(prev)));
            prev = r.event.ingestion_time;
        }
        chunks[COL_INGESTION] = Some(self.chunk(&raw, n, Stats::None)?);

        raw.clear();
        // Rows of a block mostly come in runs of one stream: look up only when it changes.
        let mut last: Option<(&str, u64)> = None;
        for r in rows {
            let id = match last {
                Some((stream, id)) if stream == r.stream => id,
                _ => {
                    let id = match self.stream_ids.get(r.stream.as_str()) {
                        Some(&id) => id,
                        None => {
                            let id = self.stream_ids.len() as u64;
                            self.stream_ids.insert(r.stream.clone(), id);
                            self.streams.push(r.stream.clone());
                            id
                        }
                    };
                    last = Some((&r.stream, id));
                    id
                }
            };
            put_uvarint(&mut raw, id);
        }
        chunks[COL_STREAM] = Some(self.chunk(&raw, n, Stats::None)?);

        let (analyzed, bloom) = analyze(rows);
        raw.clear();
        bloom.encode(&mut raw);
        let bloom = self.chunk(&raw, n, Stats::None)?;

        // Discovered fields, sparse: per column (dense by column id), (row, value).
        let mut values: Vec<Vec<(usize, Val<'_>)>> = vec![Vec::new(); self.columns.len()];
        // Per row, the template that renders its message from the stored values, if any.
        let mut row_templates: Vec<Template<'_>> = Vec::with_capacity(rows.len());
        // Per template shape (by address; the `Arc` kept alive with it), column ids per leaf.
        let mut shape_cols = ShapeColumns::default();
        for (row, a) in analyzed.into_iter().enumerate() {
            let Analyzed {
                names,
                values: leaf_values,
                superseded,
                pieces,
                text,
            } = a;
            let mut all_stored = true;
            // Rows of one template shape have the same names: their columns are looked up once
            // per shape and type, not per leaf.
            let mut cached = match &names {
                Names::Shape(shape) => Some(
                    shape_cols
                        .entry(Arc::as_ptr(shape) as usize)
                        .or_insert_with(|| (shape.clone(), vec![[None; 4]; shape.names.len()])),
                ),
                Names::Own(_) => None,
            };
            for (i, value) in leaf_values.into_iter().enumerate().rev() {
                if superseded.get(i).copied().unwrap_or(false) {
                    continue;
                }
                let ty = value.field_type();
                let known = cached
                    .as_ref()
                    .and_then(|(_, cols)| cols.get(i).and_then(|ids| ids[ty as usize]));
                let col = match known {
                    Some(c) => c,
                    None => match self.column_for(&names[i], ty) {
                        Some(c) => {
                            if let Some((_, cols)) = cached.as_mut()
                                && let Some(ids) = cols.get_mut(i)
                            {
                                ids[ty as usize] = Some(c);
                            }
                            c
                        }
                        None => {
                            self.fields_complete = false;
                            all_stored = false;
                            continue;
                        }
                    },
                };
                if col >= values.len() {
                    values.resize_with(col + 1, Vec::new);
                    chunks.resize(col + 1, None);
                }
                values[col].push((row, value));
            }
            row_templates.push(match pieces {
                Some(pieces) if all_stored => Template::Json(pieces, names),
                _ => match text {
                    Some(text) => Template::Text(text),
                    None => Template::None,
                },
            });
        }
        raw.clear();
        encode_messages(&mut raw, rows, &row_templates);
        chunks[COL_MESSAGE] = Some(self.chunk(&raw, n, Stats::None)?);

        for (col, vals) in values.iter().enumerate() {
            if vals.is_empty() {
                continue;
            }
            // Rows were visited in order, one value per column and row: `vals` is sorted.
            let (raw, stats) = encode_field(rows.len(), vals);
            chunks[col] = Some(self.chunk(&raw, vals.len() as u64, stats)?);
        }
        self.blocks.push(BlockMeta {
            rows: rows.len() as u32,
            min_ts,
            max_ts,
            message_bytes: Some(rows.iter().map(|r| r.event.message.len() as u64).sum()),
            bloom,
            chunks,
        });
        Ok(())
    }

    /// The column of field `name` with type `ty`, created on first sight; `None` once the
    /// segment holds [`WriteConfig::max_field_names`] names and `name` is not one of them.
    fn column_for(&mut self, name: &str, ty: FieldType) -> Option<usize> {
        let slot = ty as usize;
        // `column_ids` holds exactly the names kept as columns.
        let full = self.column_ids.len() >= self.config.max_field_names;
        let ids = match self.column_ids.get_mut(name) {
            Some(ids) => ids,
            None if full => return None,
            None => self.column_ids.entry(name.to_owned()).or_default(),
        };
        if let Some(c) = ids[slot] {
            return Some(c);
        }
        let c = self.columns.len();
        self.columns.push(ColumnDesc {
            name: name.to_owned(),
            kind: ColumnKind::Field(ty),
        });
        ids[slot] = Some(c);
        Some(c)
    }

    fn finish(mut self, rows: &[SegmentRow]) -> Result<Vec<u8>> {
        let columns = self.columns.len();
        for b in &mut self.blocks {
            b.chunks.resize(columns, None);
        }
        let footer = Footer {
            rows: rows.len() as u64,
            min_ts: rows.first().map_or(0, |r| r.event.timestamp),
            max_ts: rows.last().map_or(0, |r| r.event.timestamp),
            fields_complete: self.fields_complete,
            streams: self.streams,
            columns: self.columns,
            blocks: self.blocks,
        };
        let bytes = encode_footer(&footer);
        let mut out = self.out;
        out.extend_from_slice(&bytes);
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&bytes).to_le_bytes());
        out.extend_from_slice(MAGIC);
        Ok(out)
    }
}

/// What discovery makes of one message; computed for a block's rows in parallel.
struct Analyzed<'m> {
    /// Leaf names, in document order.
    names: Names,
    /// Leaf values, one per name.
    values: Vec<Val<'m>>,
    /// Which leaves a later leaf of the same name overrides (empty: none).
    superseded: Vec<bool>,
    /// Template pieces when the message re-renders exactly from its (distinct) leaves.
    pieces: Option<Vec<&'m str>>,
    /// Otherwise, the message split as text (pieces, variables), when short enough to template.
    text: Option<TextSplit<'m>>,
}

type TextSplit<'m> = (Vec<&'m str>, Vec<&'m str>);

/// Leaf names: a row's own, or those of a template shape seen before (shared, not copied).
#[derive(Clone)]
enum Names {
    Own(Vec<String>),
    Shape(Arc<Shape>),
}

impl std::ops::Deref for Names {
    type Target = [String];
    fn deref(&self) -> &[String] {
        match self {
            Names::Own(v) => v,
            Names::Shape(s) => &s.names,
        }
    }
}

/// What a JSON template determines about every message with the same pieces: leaf names and
/// which slots hold strings. Found by full discovery once, then reused.
struct Shape {
    names: Vec<String>,
    string_slot: Vec<bool>,
}

/// Per template shape (by address, the `Arc` kept with it), column ids per leaf and type.
type ShapeColumns = HashMap<usize, (Arc<Shape>, Vec<[Option<usize>; 4]>)>;

/// Per worker: shapes by template pieces.
type Shapes<'m> = HashMap<Vec<&'m str>, Arc<Shape>>;

fn analyze_one<'m>(message: &'m str, shapes: &mut Shapes<'m>) -> Analyzed<'m> {
    let pieces = split_json(message);
    if let Some(p) = &pieces
        && let Some(shape) = shapes.get(p.as_slice())
        && let Some(values) = shape_values(message, p, shape)
    {
        return Analyzed {
            names: Names::Shape(shape.clone()),
            values,
            superseded: Vec::new(),
            pieces,
            text: None,
        };
    }
    // The template renders the message back exactly when each leaf's text is the text between
    // its two pieces (pieces are slices of `message`, so offsets locate the slots): checked
    // as leaves arrive instead of rendering a copy.
    let mut exact = pieces.is_some();
    let mut names = Vec::new();
    let mut values = Vec::new();
    discover_typed(message, |name, leaf| {
        if exact && let Some(p) = &pieces {
            exact = slot_text(message, p, names.len()) == Some(leaf.text());
        }
        names.push(name.to_owned());
        values.push(Val::from(Value::from_leaf(leaf)));
    });
    let superseded = superseded(&names);
    let pieces = pieces.filter(|pieces| {
        exact && pieces.len() == names.len() + 1 && !superseded.iter().any(|s| *s)
    });
    if let Some(p) = &pieces {
        // In valid JSON a slot holds a string exactly when its piece ends with the opening
        // quote.
        let shape = Shape {
            string_slot: p[..names.len()].iter().map(|p| p.ends_with('"')).collect(),
            names,
        };
        let shape = Arc::new(shape);
        shapes.insert(p.clone(), shape.clone());
        return Analyzed {
            names: Names::Shape(shape),
            values,
            superseded: Vec::new(),
            pieces,
            text: None,
        };
    }
    Analyzed {
        names: Names::Own(names),
        values,
        superseded,
        pieces,
        text: (message.len() <= MAX_TEMPLATED_MESSAGE).then(|| split_text(message)),
    }
}

/// The text of slot `k` (between pieces `k` and `k + 1`, which are slices of `message`).
fn slot_text<'m>(message: &'m str, pieces: &[&str], k: usize) -> Option<&'m str> {
    let base = message.as_ptr() as usize;
    let a = pieces.get(k)?;
    let b = pieces.get(k + 1)?;
    let start = (a.as_ptr() as usize).checked_sub(base)? + a.len();
    let end = (b.as_ptr() as usize).checked_sub(base)?;
    message.get(start..end)
}

/// The leaf values of a message whose pieces equal those of `shape`'s first message, typed as
/// discovery would; `None` when a slot is not a valid JSON token of the kind the shape
/// expects (then the message is not valid JSON of that shape and gets full discovery).
fn shape_values<'m>(message: &'m str, pieces: &[&str], shape: &Shape) -> Option<Vec<Val<'m>>> {
    let mut values = Vec::with_capacity(shape.names.len());
    for (k, &string) in shape.string_slot.iter().enumerate() {
        let text = slot_text(message, pieces, k)?;
        values.push(if string {
            // split_json refuses escapes; JSON refuses raw control characters.
            if text.bytes().any(|b| b < 0x20) {
                return None;
            }
            Val::Str(Cow::Borrowed(text))
        } else {
            match text {
                "true" => Val::Bool(true),
                "false" => Val::Bool(false),
                _ if is_json_number(text.as_bytes()) => number(text),
                _ => return None,
            }
        });
    }
    Some(values)
}

/// A discovered value as sealing holds it: strings borrowed from the message where they can be.
#[derive(Debug, Clone)]
enum Val<'m> {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(Cow<'m, str>),
}

impl Val<'_> {
    fn field_type(&self) -> FieldType {
        match self {
            Val::Int(_) => FieldType::Integer,
            Val::Float(_) => FieldType::Float,
            Val::Bool(_) => FieldType::Boolean,
            Val::Str(_) => FieldType::String,
        }
    }
}

impl From<Value> for Val<'_> {
    fn from(v: Value) -> Self {
        match v {
            Value::Int(i) => Val::Int(i),
            Value::Float(f) => Val::Float(f),
            Value::Bool(b) => Val::Bool(b),
            Value::Str(s) => Val::Str(Cow::Owned(s)),
        }
    }
}

/// A JSON number token typed as [`Value::from_leaf`] types it, text kept borrowed.
fn number(text: &str) -> Val<'_> {
    if let Ok(i) = text.parse::<i64>()
        && super::displays_as(&i, text)
    {
        return Val::Int(i);
    }
    if let Ok(f) = text.parse::<f64>()
        && f.is_finite()
        && super::displays_as(&f, text)
    {
        return Val::Float(f);
    }
    Val::Str(Cow::Borrowed(text))
}

/// JSON's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn is_json_number(s: &[u8]) -> bool {
    let digits = |i: &mut usize| {
        let start = *i;
        while s.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    let mut i = usize::from(s.first() == Some(&b'-'));
    match s.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if s.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == s.len()
}

/// Discovery and the token filter: the costly parts of sealing a block, independent per row
/// (discovery) or of everything else (the filter), so they run on the cores side by side.
fn analyze(rows: &[SegmentRow]) -> (Vec<Analyzed<'_>>, Bloom) {
    let bloom = || Bloom::build(rows.iter().map(|r| r.event.message.as_bytes()));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads < 2 || rows.len() < 256 {
        return (discover_rows(rows, 1), bloom());
    }
    std::thread::scope(|scope| {
        let filter = scope.spawn(bloom);
        let analyzed = discover_rows(rows, threads);
        // A panicking filter build is a bug; build it again here rather than fail the seal.
        (analyzed, filter.join().unwrap_or_else(|_| bloom()))
    })
}

/// Discovery over `rows`, split over `threads` threads.
fn discover_rows(rows: &[SegmentRow], threads: usize) -> Vec<Analyzed<'_>> {
    fn run(part: &[SegmentRow]) -> Vec<Analyzed<'_>> {
        let mut shapes = Shapes::default();
        part.iter()
            .map(|r| analyze_one(&r.event.message, &mut shapes))
            .collect()
    }
    if threads < 2 {
        return run(rows);
    }
    let per = rows.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = rows
            .chunks(per)
            .map(|part| scope.spawn(move || run(part)))
            .collect();
        let mut out = Vec::with_capacity(rows.len());
        for (h, part) in handles.into_iter().zip(rows.chunks(per)) {
            match h.join() {
                Ok(v) => out.extend(v),
                // A panicking worker is a bug; redo its part here rather than lose rows.
                Err(_) => out.extend(run(part)),
            }
        }
        out
    })
}

/// Which leaves a later leaf of the same name overrides.
fn superseded(names: &[String]) -> Vec<bool> {
    if names.len() <= 32 {
        return (0..names.len())
            .map(|i| names[i + 1..].contains(&names[i]))
            .collect();
    }
    let mut seen = HashSet::default();
    let mut out = vec![false; names.len()];
    for (i, name) in names.iter().enumerate().rev() {
        out[i] = !seen.insert(name.as_str());
    }
    out
}

/// How a row's `@message` is stored (see [`encode_messages`]).
enum Template<'m> {
    /// Rendered from its fields' columns with these pieces.
    Json(Vec<&'m str>, Names),
    /// A text template, split ahead of time (in parallel).
    Text(TextSplit<'m>),
    /// Split as text here, or stored raw when long.
    None,
}

/// Messages longer than this are stored raw: templates pay on repetition, not on one-offs.
const MAX_TEMPLATED_MESSAGE: usize = 64 << 10;

/// The `@message` chunk (mode 1; see the module docs): JSON templates rendered from field
/// columns, text templates with their variables in per-slot columns, raw messages.
fn encode_messages(raw: &mut Vec<u8>, rows: &[SegmentRow], templates: &[Template<'_>]) {
    enum Code {
        Raw,
        Json(u64),
        Text(u64),
    }
    let mut json_ids: HashMap<(&[&str], &[String]), u64> = HashMap::default();
    let mut json_dict: Vec<(&[&str], &[String])> = Vec::new();
    // Template ids by shape address (the shapes outlive this call in `json`).
    let mut shape_ids: HashMap<usize, u64> = HashMap::default();
    let mut text_ids: HashMap<Vec<&str>, u64> = HashMap::default();
    let mut text_dict: Vec<Vec<&str>> = Vec::new();
    let mut text_vars: Vec<Vec<Vec<&str>>> = Vec::new();
    let mut codes = Vec::with_capacity(rows.len());
    for (r, t) in rows.iter().zip(templates) {
        codes.push(match t {
            Template::Json(pieces, names) => {
                let shape = match names {
                    Names::Shape(s) => Some(Arc::as_ptr(s) as usize),
                    Names::Own(_) => None,
                };
                match shape.and_then(|s| shape_ids.get(&s)) {
                    Some(&id) => Code::Json(id),
                    None => {
                        let key = (pieces.as_slice(), &names[..]);
                        let next = json_dict.len() as u64;
                        let id = *json_ids.entry(key).or_insert_with(|| {
                            json_dict.push(key);
                            next
                        });
                        if let Some(s) = shape {
                            shape_ids.insert(s, id);
                        }
                        Code::Json(id)
                    }
                }
            }
            Template::None if r.event.message.len() > MAX_TEMPLATED_MESSAGE => Code::Raw,
            Template::Text(_) | Template::None => {
                let local;
                let (pieces, vars): (&[&str], &[&str]) = match t {
                    Template::Text((pieces, vars)) => (pieces, vars),
                    _ => {
                        local = split_text(&r.event.message);
                        (&local.0, &local.1)
                    }
                };
                let id = match text_ids.get(pieces) {
                    Some(&id) => id,
                    None => {
                        let id = text_dict.len() as u64;
                        text_ids.insert(pieces.to_vec(), id);
                        text_vars.push(vec![Vec::new(); vars.len()]);
                        text_dict.push(pieces.to_vec());
                        id
                    }
                };
                for (slot, v) in text_vars[id as usize].iter_mut().zip(vars) {
                    slot.push(*v);
                }
                Code::Text(id)
            }
        });
    }
    raw.push(1);
    put_uvarint(raw, json_dict.len() as u64);
    for (pieces, names) in &json_dict {
        put_uvarint(raw, names.len() as u64);
        for p in pieces.iter() {
            put_bytes(raw, p.as_bytes());
        }
        for n in names.iter() {
            put_bytes(raw, n.as_bytes());
        }
    }
    put_uvarint(raw, text_dict.len() as u64);
    for pieces in &text_dict {
        put_uvarint(raw, pieces.len() as u64 - 1);
        for p in pieces {
            put_bytes(raw, p.as_bytes());
        }
    }
    let j = json_dict.len() as u64;
    for c in &codes {
        put_uvarint(
            raw,
            match c {
                Code::Raw => 0,
                Code::Json(id) => 1 + id,
                Code::Text(id) => 1 + j + id,
            },
        );
    }
    let raw_rows: Vec<&SegmentRow> = rows
        .iter()
        .zip(&codes)
        .filter(|(_, c)| matches!(c, Code::Raw))
        .map(|(r, _)| r)
        .collect();
    for r in &raw_rows {
        put_uvarint(raw, r.event.message.len() as u64);
    }
    for r in &raw_rows {
        raw.extend_from_slice(r.event.message.as_bytes());
    }
    for slots in &text_vars {
        for values in slots {
            encode_slot(raw, values);
        }
    }
}

fn encode_field(rows: usize, vals: &[(usize, Val<'_>)]) -> (Vec<u8>, Stats) {
    let mut raw = Vec::new();
    if vals.len() == rows {
        raw.push(0);
    } else {
        raw.push(1);
        let mut bitmap = vec![0u8; rows.div_ceil(8)];
        for (row, _) in vals {
            bitmap[row / 8] |= 1 << (row % 8);
        }
        raw.extend_from_slice(&bitmap);
    }
    let stats = match vals.first().map(|(_, v)| v.field_type()) {
        Some(FieldType::Integer) => {
            let ints: Vec<i64> = vals
                .iter()
                .filter_map(|(_, v)| match v {
                    Val::Int(i) => Some(*i),
                    _ => None,
                })
                .collect();
            let mut prev = 0i64;
            for &i in &ints {
                put_uvarint(&mut raw, zigzag(i.wrapping_sub(prev)));
                prev = i;
            }
            Stats::Int {
                min: ints.iter().copied().min().unwrap_or(0),
                max: ints.iter().copied().max().unwrap_or(0),
            }
        }
        Some(FieldType::Float) => {
            let floats: Vec<f64> = vals
                .iter()
                .filter_map(|(_, v)| match v {
                    Val::Float(f) => Some(*f),
                    _ => None,
                })
                .collect();
            encode_floats(&mut raw, &floats);
            let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
            for f in &floats {
                min = min.min(*f);
                max = max.max(*f);
            }
            Stats::Float { min, max }
        }
        Some(FieldType::Boolean) => {
            let mut bitmap = vec![0u8; vals.len().div_ceil(8)];
            for (i, (_, v)) in vals.iter().enumerate() {
                if matches!(v, Val::Bool(true)) {
                    bitmap[i / 8] |= 1 << (i % 8);
                }
            }
            raw.extend_from_slice(&bitmap);
            Stats::None
        }
        Some(FieldType::String) => {
            let strs: Vec<&str> = vals
                .iter()
                .filter_map(|(_, v)| match v {
                    Val::Str(s) => Some(s.as_ref()),
                    _ => None,
                })
                .collect();
            encode_strings(&mut raw, &strs);
            let min = strs.iter().min().copied().unwrap_or("").as_bytes();
            let max = strs.iter().max().copied().unwrap_or("").as_bytes();
            Stats::Str {
                min: min[..min.len().min(STAT_BYTES)].to_vec(),
                max: (max.len() <= STAT_BYTES).then(|| max.to_vec()),
            }
        }
        None => Stats::None,
    };
    (raw, stats)
}

/// Floats as scaled decimal integers (`12.34` → 1234 at scale 2, zigzag varint deltas) when
/// every value round-trips that way, else as raw 8-byte values.
fn encode_floats(raw: &mut Vec<u8>, floats: &[f64]) {
    let scale = floats.iter().map(|f| decimal_places(*f)).max().unwrap_or(0);
    if scale <= MAX_FLOAT_SCALE {
        let factor = 10f64.powi(scale as i32);
        let scaled: Option<Vec<i64>> = floats
            .iter()
            .map(|&f| {
                let m = (f * factor).round();
                // Checked as the reader computes it, from the integer: `-0` must not become 0.
                let ok = m.abs() < 9.0e15 && ((m as i64) as f64 / factor).to_bits() == f.to_bits();
                ok.then_some(m as i64)
            })
            .collect();
        if let Some(scaled) = scaled {
            raw.push(1);
            raw.push(scale as u8);
            let mut prev = 0i64;
            for m in scaled {
                put_uvarint(raw, zigzag(m.wrapping_sub(prev)));
                prev = m;
            }
            return;
        }
    }
    raw.push(0);
    for f in floats {
        raw.extend_from_slice(&f.to_bits().to_le_bytes());
    }
}

/// Digits after the point in a float's printed form (`u32::MAX` for exponent notation),
/// counted as it prints rather than from an allocated string.
fn decimal_places(f: f64) -> u32 {
    struct Count {
        point: bool,
        places: u32,
        exponent: bool,
    }
    impl std::fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            for b in s.bytes() {
                match b {
                    b'e' | b'E' => self.exponent = true,
                    b'.' => self.point = true,
                    _ if self.point => self.places += 1,
                    _ => {}
                }
            }
            Ok(())
        }
    }
    let mut c = Count {
        point: false,
        places: 0,
        exponent: false,
    };
    let _ = std::fmt::write(&mut c, format_args!("{f}"));
    if c.exponent { u32::MAX } else { c.places }
}

/// Strings as a dictionary when there are few distinct values, else plain.
fn encode_strings(raw: &mut Vec<u8>, strs: &[&str]) {
    let mut ids: HashMap<&str, u64> = HashMap::default();
    let mut dict: Vec<&str> = Vec::new();
    let mut codes: Vec<u64> = Vec::with_capacity(strs.len());
    for s in strs {
        let next = dict.len() as u64;
        codes.push(*ids.entry(s).or_insert_with(|| {
            dict.push(s);
            next
        }));
    }
    if dict.len() * 2 <= strs.len() {
        raw.push(1);
        put_uvarint(raw, dict.len() as u64);
        for s in &dict {
            put_bytes(raw, s.as_bytes());
        }
        for c in codes {
            put_uvarint(raw, c);
        }
    } else {
        raw.push(0);
        for s in strs {
            put_uvarint(raw, s.len() as u64);
        }
        for s in strs {
            raw.extend_from_slice(s.as_bytes());
        }
    }
}

fn put_chunkref(out: &mut Vec<u8>, c: &ChunkRef) {
    put_uvarint(out, c.offset);
    put_uvarint(out, c.len);
    put_uvarint(out, c.raw_len);
    out.extend_from_slice(&c.crc.to_le_bytes());
    put_uvarint(out, c.present);
    match &c.stats {
        Stats::None => {}
        Stats::Int { min, max } => {
            out.extend_from_slice(&min.to_le_bytes());
            out.extend_from_slice(&max.to_le_bytes());
        }
        Stats::Float { min, max } => {
            out.extend_from_slice(&min.to_bits().to_le_bytes());
            out.extend_from_slice(&max.to_bits().to_le_bytes());
        }
        Stats::Str { min, max } => {
            put_bytes(out, min);
            match max {
                Some(m) => {
                    out.push(1);
                    put_bytes(out, m);
                }
                None => out.push(0),
            }
        }
    }
}

pub(crate) fn encode_footer(f: &Footer) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&f.rows.to_le_bytes());
    out.extend_from_slice(&f.min_ts.to_le_bytes());
    out.extend_from_slice(&f.max_ts.to_le_bytes());
    out.push(u8::from(f.fields_complete));
    put_uvarint(&mut out, f.streams.len() as u64);
    for s in &f.streams {
        put_bytes(&mut out, s.as_bytes());
    }
    put_uvarint(&mut out, f.columns.len() as u64);
    for c in &f.columns {
        put_bytes(&mut out, c.name.as_bytes());
        out.push(c.kind.code());
    }
    put_uvarint(&mut out, f.blocks.len() as u64);
    for b in &f.blocks {
        put_uvarint(&mut out, u64::from(b.rows));
        out.extend_from_slice(&b.min_ts.to_le_bytes());
        out.extend_from_slice(&b.max_ts.to_le_bytes());
        put_uvarint(&mut out, b.message_bytes.unwrap_or(0));
        put_chunkref(&mut out, &b.bloom);
        for c in &b.chunks {
            match c {
                Some(c) => {
                    out.push(1);
                    put_chunkref(&mut out, c);
                }
                None => out.push(0),
            }
        }
    }
    out
}
