//! Encoding a segment.
//!
//! Blocks are encoded independently and in parallel (rayon): each worker discovers fields,
//! builds the token filter and compresses its chunks with field columns numbered in the order it
//! first meets them; a serial merge then numbers the columns for the whole segment in order of
//! first appearance (block by block), encodes the small stream column against the segment's
//! stream dictionary and lays the chunks out in block order. The bytes are the same as a serial
//! encoding's. When the blocks together hold more distinct field names than
//! [`WriteConfig::max_field_names`], the segment is encoded serially instead, so the cap applies
//! in row order exactly.

use std::borrow::Cow;
use std::fs::File;
use std::io::Write;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use super::QuickNum;
use super::bloom::Trigrams;
use super::codec::{FxHashMap as HashMap, FxHashSet as HashSet, put_bytes, put_uvarint, zigzag};
use super::template::{
    Stored, Var, encode_slot_values, key_pieces, split_json_into, split_text_key,
};
use super::{
    BlockMeta, COL_INGESTION, COL_MESSAGE, COL_STREAM, COL_TIMESTAMP, ChunkRef, ColumnDesc,
    ColumnKind, FORMAT_VERSION, FieldType, Footer, HEADER_LEN, MAGIC, MAX_BLOCK_ROWS,
    MAX_CHUNK_RAW_BYTES, MAX_FOOTER_RAW_BYTES, Segment, Stats, Value,
};
use crate::discover::{Leaf, discover_typed};
use crate::error::{Result, StoreError};
use crate::event::Event;
use crate::scan::{INGESTION_TIME, LOG_STREAM, MESSAGE, TIMESTAMP};

/// One event to seal, with its stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentRow {
    pub stream: String,
    pub event: Event,
}

/// One event to seal, borrowed (from a read write-ahead log, or from a [`SegmentRow`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RowRef<'a> {
    pub timestamp: i64,
    pub ingestion_time: i64,
    pub stream: &'a str,
    pub message: &'a str,
}

impl<'a> From<&'a SegmentRow> for RowRef<'a> {
    fn from(r: &'a SegmentRow) -> Self {
        RowRef {
            timestamp: r.event.timestamp,
            ingestion_time: r.event.ingestion_time,
            stream: &r.stream,
            message: &r.event.message,
        }
    }
}

/// `seg` (of the current format version) with every chunk recompressed at zstd `level` (or kept
/// as it was, where that is smaller): the same payloads and footer but for where the chunks lie
/// and their checksums. How a store
/// *settles* a segment written at a fast level (`Store::settle`), without decoding its rows.
pub fn recompress(seg: &Segment, level: i32) -> Result<Vec<u8>> {
    rebuild(seg, level, |_, _, _| None)
}

/// `seg` with each chunk's payload replaced by what `payload(block, column, raw)` makes of it
/// (`column` is `None` for the token filter; `None`: the payload stays), compressed at
/// `level`. An unchanged payload keeps its old bytes where they are smaller.
pub(crate) fn rebuild(
    seg: &Segment,
    level: i32,
    payload: impl Fn(usize, Option<usize>, &[u8]) -> Option<Vec<u8>> + Sync,
) -> Result<Vec<u8>> {
    if seg.version() != FORMAT_VERSION {
        return Err(StoreError::corrupt(
            seg.path(),
            format!(
                "segment of format version {} cannot be recompressed as it is (re-encode it)",
                seg.version()
            ),
        ));
    }
    let footer = seg.footer();
    // Per block, its chunks in file order (`None`: the token filter), recompressed in parallel.
    let blocks: Vec<Vec<(Option<usize>, Chunk)>> = (0..footer.blocks.len())
        .into_par_iter()
        .map(|b| {
            let meta = &footer.blocks[b];
            let mut refs: Vec<(Option<usize>, &ChunkRef)> = vec![(None, &meta.bloom)];
            refs.extend(
                (meta.chunks.iter().enumerate())
                    .filter_map(|(col, c)| Some((Some(col), c.as_ref()?))),
            );
            refs.sort_by_key(|(_, c)| c.offset);
            let mut zstd = compressor_at(level)?;
            refs.into_iter()
                .map(|(col, c)| {
                    let raw = seg.decompress(b, c)?;
                    if let Some(changed) = payload(b, col, &raw) {
                        return Ok((col, chunk(&mut zstd, &changed, c.present, c.stats.clone())?));
                    }
                    let mut new = chunk(&mut zstd, &raw, c.present, c.stats.clone())?;
                    // Never larger than it was (a small block's chunks may already be at a
                    // higher level than `level`).
                    if new.data.len() >= c.len as usize {
                        new.data = seg.raw_chunk(b, c)?.to_vec();
                    }
                    Ok((col, new))
                })
                .collect()
        })
        .collect::<Result<_>>()?;
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    let mut footer = footer.clone();
    for (meta, chunks) in footer.blocks.iter_mut().zip(blocks) {
        for (col, c) in chunks {
            let placed = ChunkRef {
                offset: out.len() as u64,
                len: c.data.len() as u64,
                raw_len: c.raw_len,
                crc: crc32fast::hash(&c.data),
                present: c.present,
                stats: c.stats,
            };
            out.extend_from_slice(&c.data);
            match col {
                None => meta.bloom = placed,
                Some(col) => meta.chunks[col] = Some(placed),
            }
        }
    }
    finish_file(out, &footer)
}

/// Appends `footer`, its length and checksum and the closing magic to a segment's chunks. The
/// footer is stored compressed (format 4): its raw length, then a zstd frame of it (a wide
/// segment's footer names hundreds of columns and their statistics, mostly repeats).
fn finish_file(mut out: Vec<u8>, footer: &Footer) -> Result<Vec<u8>> {
    let raw = encode_footer(footer);
    if raw.len() > MAX_FOOTER_RAW_BYTES {
        return Err(StoreError::corrupt(
            "<segment>",
            "segment footer exceeds the maximum size",
        ));
    }
    let mut bytes = Vec::with_capacity(raw.len() / 4 + 16);
    put_uvarint(&mut bytes, raw.len() as u64);
    let packed = zstd::bulk::compress(&raw, FOOTER_ZSTD_LEVEL)
        .map_err(StoreError::io(Path::new("<zstd>")))?;
    bytes.extend_from_slice(&packed);
    out.extend_from_slice(&bytes);
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&bytes).to_le_bytes());
    out.extend_from_slice(MAGIC);
    Ok(out)
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

/// zstd level of footers (small, written once per segment).
const FOOTER_ZSTD_LEVEL: i32 = 9;

/// Longest string statistic kept.
const STAT_BYTES: usize = 64;
/// Most decimal places a float column stores as a scaled integer.
pub(crate) const MAX_FLOAT_SCALE: u32 = 9;

/// Writes `bytes` to `path` durably: a temporary file, fsync, rename, fsync of the directory.
pub fn write_segment(path: &Path, bytes: &[u8]) -> Result<()> {
    write_segment_unlinked(path, bytes)?;
    if let Some(dir) = path.parent() {
        crate::catalog::sync_dir(dir)?;
    }
    Ok(())
}

/// [`write_segment`] without the fsync of the directory: the caller syncs it once for several
/// new files before anything names them.
pub(crate) fn write_segment_unlinked(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let mut file = File::create(&tmp).map_err(StoreError::io(&tmp))?;
    file.write_all(bytes).map_err(StoreError::io(&tmp))?;
    file.sync_all().map_err(StoreError::io(&tmp))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(StoreError::io(path))
}

/// Sorts `rows` by timestamp (stable) and encodes them as a segment file.
pub fn encode_segment(rows: &mut [SegmentRow], config: &WriteConfig) -> Result<Vec<u8>> {
    rows.sort_by_key(|r| r.event.timestamp);
    let mut refs: Vec<RowRef<'_>> = rows.iter().map(RowRef::from).collect();
    encode_rows(&mut refs, config)
}

/// Sorts `rows` by timestamp (stable) and encodes them as a segment file.
pub(crate) fn encode_rows(rows: &mut [RowRef<'_>], config: &WriteConfig) -> Result<Vec<u8>> {
    rows.sort_by_key(|r| r.timestamp);
    let rows = &*rows;
    let ranges = block_ranges(rows, config);
    // Fewer blocks than threads: each block's discovery is split across the pool too.
    let split = ranges.len() < rayon::current_num_threads();
    let parallel: Vec<Result<BlockEncoding>> = ranges
        .par_iter()
        .map(|range| encode_block_alone(&rows[range.clone()], config, split))
        .collect();
    assemble(rows, &ranges, parallel, config)
}

/// One block encoded on its own (with its own column numbering), waiting for [`assemble`].
pub(crate) struct BlockEncoding {
    block: EncodedBlock,
    columns: Columns,
}

/// Encodes the rows of one block (already in timestamp order) on its own, as
/// [`encode_rows`] does for each block in parallel. `split`: discovery runs in parallel tasks
/// (worth it only when other blocks do not keep the pool busy).
pub(crate) fn encode_block_alone(
    rows: &[RowRef<'_>],
    config: &WriteConfig,
    split: bool,
) -> Result<BlockEncoding> {
    // A compressor per thread and level, taken out while in use: a fresh one per block
    // allocated (and faulted in) its tables every block. Taken rather than borrowed because
    // rayon may run another block on this thread while this one waits in discovery.
    thread_local! {
        static ZSTD: std::cell::Cell<Option<(i32, zstd::bulk::Compressor<'static>)>> =
            const { std::cell::Cell::new(None) };
    }
    let level = block_level(rows, config);
    let mut zstd = match ZSTD.take() {
        Some((l, zstd)) if l == level => zstd,
        _ => compressor_at(level)?,
    };
    let mut columns = Columns::new(config.max_field_names);
    let block = encode_block(rows, &mut columns, &mut zstd, split);
    ZSTD.set(Some((level, zstd)));
    Ok(BlockEncoding {
        block: block?,
        columns,
    })
}

/// Lays out a segment from its blocks encoded one by one: `rows` in timestamp order, cut into
/// `ranges` (what [`block_ranges`] gives for them), `encoded` one per range. The bytes are those
/// of a serial encoding of `rows`.
pub(crate) fn assemble(
    rows: &[RowRef<'_>],
    ranges: &[Range<usize>],
    encoded: Vec<Result<BlockEncoding>>,
    config: &WriteConfig,
) -> Result<Vec<u8>> {
    let mut w = Writer::new(config)?;
    let mut merged = true;
    for (range, block) in ranges.iter().zip(encoded) {
        let BlockEncoding { block, columns } = block?;
        if !w.add_block(&rows[range.clone()], block, Some(&columns))? {
            merged = false;
            break;
        }
    }
    if !merged {
        // More distinct names than the cap: which ones are kept depends on row order.
        w = Writer::new(config)?;
        for range in ranges {
            let mut zstd = compressor_at(block_level(&rows[range.clone()], config))?;
            let mut columns = std::mem::replace(&mut w.columns, Columns::new(0));
            let block = encode_block(&rows[range.clone()], &mut columns, &mut zstd, true);
            w.columns = columns;
            w.add_block(&rows[range.clone()], block?, None)?;
        }
    }
    w.finish()
}

/// [`assemble`] one block at a time, for a caller that has the rows of one block at a time:
/// `add` each block's rows (in order, cut as [`block_ranges`] cuts them) with its encoding.
pub(crate) struct Assembler {
    w: Writer,
}

impl Assembler {
    pub(crate) fn new(config: &WriteConfig) -> Result<Self> {
        Ok(Assembler {
            w: Writer::new(config)?,
        })
    }

    /// Appends the next block. False (and the assembler is spent) when the segment's blocks
    /// hold more distinct field names than the cap: the segment must then be encoded from all
    /// its rows with [`encode_rows`].
    pub(crate) fn add(&mut self, rows: &[RowRef<'_>], block: BlockEncoding) -> Result<bool> {
        let BlockEncoding { block, columns } = block;
        self.w.add_block(rows, block, Some(&columns))
    }

    pub(crate) fn finish(self) -> Result<Vec<u8>> {
        self.w.finish()
    }
}

/// The rows of each block: at most `block_rows`, closed once the messages reach
/// `block_message_bytes`.
fn block_ranges(rows: &[RowRef<'_>], config: &WriteConfig) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let mut end = start;
        let mut bytes = 0;
        while end < rows.len()
            && end - start < config.block_rows.clamp(1, MAX_BLOCK_ROWS)
            && (end == start || bytes < config.block_message_bytes)
        {
            bytes += rows[end].message.len();
            end += 1;
        }
        out.push(start..end);
        start = end;
    }
    out
}

fn compressor(config: &WriteConfig) -> Result<zstd::bulk::Compressor<'static>> {
    compressor_at(config.zstd_level)
}

fn compressor_at(level: i32) -> Result<zstd::bulk::Compressor<'static>> {
    zstd::bulk::Compressor::new(level).map_err(StoreError::io(Path::new("<zstd>")))
}

/// zstd level of a small block's chunks (see [`block_level`]).
const SMALL_BLOCK_ZSTD_LEVEL: i32 = 19;

/// The zstd level of a block's chunks: the configured one, but [`SMALL_BLOCK_ZSTD_LEVEL`] for a
/// block under a quarter of the block size in rows and in message bytes. Such a block is a
/// segment's tail (one per segment, so the extra CPU is bounded by the segment's other blocks)
/// or a whole small input (a file of a few thousand lines, where the cost is milliseconds): the
/// blocks that compress worst at a fast level, having the least data to learn from.
fn block_level(rows: &[RowRef<'_>], config: &WriteConfig) -> i32 {
    let message_bytes: usize = rows.iter().map(|r| r.message.len()).sum();
    if rows.len().saturating_mul(4) <= config.block_rows
        && message_bytes.saturating_mul(4) <= config.block_message_bytes
    {
        config.zstd_level.max(SMALL_BLOCK_ZSTD_LEVEL)
    } else {
        config.zstd_level
    }
}

/// A compressed column chunk, not yet placed in the file.
struct Chunk {
    data: Vec<u8>,
    raw_len: u64,
    present: u64,
    stats: Stats,
}

fn chunk(
    zstd: &mut zstd::bulk::Compressor<'static>,
    raw: &[u8],
    present: u64,
    stats: Stats,
) -> Result<Chunk> {
    if raw.len() > MAX_CHUNK_RAW_BYTES {
        return Err(StoreError::corrupt(
            "<segment>",
            "column chunk exceeds the maximum size",
        ));
    }
    let mut data = zstd
        .compress(raw)
        .map_err(StoreError::io(Path::new("<zstd>")))?;
    if data.len() >= raw.len() {
        // Not worth a zstd frame (a chunk of a few values): stored as it is, which a reader
        // tells by its length equal to the raw length (format 4).
        data.clear();
        data.extend_from_slice(raw);
    }
    Ok(Chunk {
        data,
        raw_len: raw.len() as u64,
        present,
        stats,
    })
}

/// The field columns of a segment (or, while blocks are encoded in parallel, of one block).
struct Columns {
    /// The system columns, then field columns in order of first appearance.
    list: Vec<ColumnDesc>,
    /// Per field name, its column for each type (in `FieldType` order).
    ids: HashMap<String, [Option<usize>; 4]>,
    /// Distinct field names kept at most.
    cap: usize,
    /// False once a name was refused for the cap.
    complete: bool,
}

impl Columns {
    fn new(cap: usize) -> Self {
        let sys = |name: &str, kind| ColumnDesc {
            name: name.into(),
            kind,
        };
        Columns {
            list: vec![
                sys(TIMESTAMP, ColumnKind::Timestamp),
                sys(INGESTION_TIME, ColumnKind::Ingestion),
                sys(LOG_STREAM, ColumnKind::Stream),
                sys(MESSAGE, ColumnKind::Message),
            ],
            ids: HashMap::default(),
            cap,
            complete: true,
        }
    }

    /// The column of field `name` with type `ty`, created on first sight; `None` once the
    /// segment holds `cap` names and `name` is not one of them.
    fn column_for(&mut self, name: &str, ty: FieldType) -> Option<usize> {
        let slot = ty as usize;
        // `ids` holds exactly the names kept as columns.
        let full = self.ids.len() >= self.cap;
        let ids = match self.ids.get_mut(name) {
            Some(ids) => ids,
            None if full => {
                self.complete = false;
                return None;
            }
            None => self.ids.entry(name.to_owned()).or_default(),
        };
        if let Some(c) = ids[slot] {
            return Some(c);
        }
        let c = self.list.len();
        self.list.push(ColumnDesc {
            name: name.to_owned(),
            kind: ColumnKind::Field(ty),
        });
        ids[slot] = Some(c);
        Some(c)
    }
}

/// One block's chunks, compressed, with field chunks keyed by the column ids of the
/// [`Columns`] it was encoded with.
struct EncodedBlock {
    min_ts: i64,
    max_ts: i64,
    timestamp: Chunk,
    ingestion: Chunk,
    bloom: Chunk,
    message: Chunk,
    /// In ascending column id.
    fields: Vec<(usize, Chunk)>,
}

/// Buffers that encoding a block reuses from the previous block encoded on its thread: growing
/// them afresh every block (several MB for a block of text) cost reallocation copies and page
/// faults. Taken out of the thread while in use (a block nested on this thread by rayon gets
/// fresh ones).
#[derive(Default)]
struct Scratch {
    /// Each chunk's raw bytes before compression.
    raw: Vec<u8>,
    /// A text row's template key and variables.
    key: Vec<u8>,
    vars: Vec<Var<'static>>,
    /// Emptied vectors for the variables of text templates.
    values: Vec<Vec<Stored>>,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Scratch> = const {
        std::cell::Cell::new(Scratch {
            raw: Vec::new(),
            key: Vec::new(),
            vars: Vec::new(),
            values: Vec::new(),
        })
    };
}

/// Buffers larger than this are not kept for the next block (one odd block should not pin its
/// memory for the life of the thread).
const SCRATCH_KEEP_BYTES: usize = 16 << 20;
/// Emptied template vectors kept at most.
const SCRATCH_KEEP_VECS: usize = 4096;

/// An empty vector of `U` in the allocation of `v`, when their layouts agree (the standard
/// library collects a mapped `IntoIter` in place): for keeping a vector of borrowed values
/// across blocks whose borrows differ.
pub(crate) fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter()
        .map(|_| unreachable!("the vector is empty"))
        .collect()
}

/// Encodes a block's chunks except the stream column (which needs the segment's dictionary).
fn encode_block(
    rows: &[RowRef<'_>],
    columns: &mut Columns,
    zstd: &mut zstd::bulk::Compressor<'static>,
    split: bool,
) -> Result<EncodedBlock> {
    let n = rows.len() as u64;
    let min_ts = rows.first().map_or(0, |r| r.timestamp);
    let max_ts = rows.last().map_or(0, |r| r.timestamp);

    let mut scratch = SCRATCH.take();
    let mut raw = std::mem::take(&mut scratch.raw);
    raw.clear();
    let mut prev = min_ts;
    for r in rows {
        put_uvarint(&mut raw, zigzag(r.timestamp.wrapping_sub(prev)));
        prev = r.timestamp;
    }
    let timestamp = chunk(zstd, &raw, n, Stats::None)?;

    raw.clear();
    let mut prev = 0i64;
    for r in rows {
        put_uvarint(&mut raw, zigzag(r.ingestion_time.wrapping_sub(prev)));
        prev = r.ingestion_time;
    }
    let ingestion = chunk(zstd, &raw, n, Stats::None)?;

    let analyzed = discover_rows(rows, split);

    // Discovered fields, sparse: per column (dense by column id), (row, value).
    let mut values: Vec<Vec<(usize, Val<'_>)>> = Vec::new();
    // Per row, the template that renders its message from the stored values, if any.
    let mut row_templates: Vec<Template<'_>> = Vec::with_capacity(rows.len());
    // Per template shape (by address; the `Arc` kept alive with it), column ids per leaf.
    let mut shape_cols = ShapeColumns::default();
    for (row, a) in analyzed.into_iter().enumerate() {
        let Analyzed {
            names,
            values: leaf_values,
            superseded,
            json,
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
                None => match columns.column_for(&names[i], ty) {
                    Some(c) => {
                        if let Some((_, cols)) = cached.as_mut()
                            && let Some(ids) = cols.get_mut(i)
                        {
                            ids[ty as usize] = Some(c);
                        }
                        c
                    }
                    None => {
                        all_stored = false;
                        continue;
                    }
                },
            };
            if col >= values.len() {
                values.resize_with(col + 1, Vec::new);
            }
            values[col].push((row, value));
        }
        row_templates.push(match names {
            Names::Shape(shape) if json && all_stored => Template::Json(shape),
            _ => Template::None,
        });
    }
    // The token filter is built with the messages: a text row's trigrams come from its
    // template (once) and around its variables.
    let mut trigrams = Trigrams::new();
    raw.clear();
    encode_messages(&mut raw, rows, &row_templates, &mut trigrams, &mut scratch);
    let message = chunk(zstd, &raw, n, Stats::None)?;

    let mut fields = Vec::new();
    for (col, vals) in values.iter().enumerate() {
        if vals.is_empty() {
            continue;
        }
        // Rows were visited in order, one value per column and row: `vals` is sorted.
        let (raw, stats) = encode_field(rows.len(), vals);
        fields.push((col, chunk(zstd, &raw, vals.len() as u64, stats)?));
    }
    // The filter may cost at most a sixteenth of the block's other chunks.
    let block_bytes = [&timestamp, &ingestion, &message]
        .into_iter()
        .chain(fields.iter().map(|(_, c)| c))
        .map(|c| c.data.len())
        .sum::<usize>();
    raw.clear();
    trigrams.finish(block_bytes).encode(&mut raw);
    let bloom = chunk(zstd, &raw, n, Stats::None)?;
    if raw.capacity() <= SCRATCH_KEEP_BYTES {
        scratch.raw = raw;
    }
    SCRATCH.set(scratch);
    Ok(EncodedBlock {
        min_ts,
        max_ts,
        timestamp,
        ingestion,
        bloom,
        message,
        fields,
    })
}

/// Lays encoded blocks out in the file and collects the footer.
struct Writer {
    out: Vec<u8>,
    streams: Vec<String>,
    stream_ids: HashMap<String, u64>,
    columns: Columns,
    blocks: Vec<BlockMeta>,
    zstd: zstd::bulk::Compressor<'static>,
}

impl Writer {
    fn new(config: &WriteConfig) -> Result<Self> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        debug_assert_eq!(out.len(), HEADER_LEN);
        Ok(Self {
            out,
            streams: Vec::new(),
            stream_ids: HashMap::default(),
            columns: Columns::new(config.max_field_names),
            blocks: Vec::new(),
            zstd: compressor(config)?,
        })
    }

    fn place(&mut self, c: Chunk) -> ChunkRef {
        let r = ChunkRef {
            offset: self.out.len() as u64,
            len: c.data.len() as u64,
            raw_len: c.raw_len,
            crc: crc32fast::hash(&c.data),
            present: c.present,
            stats: c.stats,
        };
        self.out.extend_from_slice(&c.data);
        r
    }

    /// Appends a block. `local` is the column numbering the block was encoded with when it is
    /// not the writer's own; returns false (and adds nothing) when its names do not fit under
    /// the cap.
    fn add_block(
        &mut self,
        rows: &[RowRef<'_>],
        block: EncodedBlock,
        local: Option<&Columns>,
    ) -> Result<bool> {
        let mut fields = Vec::with_capacity(block.fields.len());
        for (col, c) in block.fields {
            let global = match local {
                None => col,
                Some(local) => {
                    let Some(desc) = local.list.get(col) else {
                        return Ok(false);
                    };
                    let ColumnKind::Field(ty) = desc.kind else {
                        return Ok(false);
                    };
                    match self.columns.column_for(&desc.name, ty) {
                        Some(g) => g,
                        None => return Ok(false),
                    }
                }
            };
            fields.push((global, c));
        }
        if local.is_some_and(|l| !l.complete) {
            return Ok(false);
        }
        fields.sort_by_key(|(col, _)| *col);

        let mut raw = Vec::new();
        // Rows of a block mostly come in runs of one stream: look up only when it changes.
        let mut last: Option<(&str, u64)> = None;
        for r in rows {
            let id = match last {
                Some((stream, id)) if stream == r.stream => id,
                _ => {
                    let id = match self.stream_ids.get(r.stream) {
                        Some(&id) => id,
                        None => {
                            let id = self.stream_ids.len() as u64;
                            self.stream_ids.insert(r.stream.to_owned(), id);
                            self.streams.push(r.stream.to_owned());
                            id
                        }
                    };
                    last = Some((r.stream, id));
                    id
                }
            };
            put_uvarint(&mut raw, id);
        }
        let n = rows.len() as u64;
        let stream = chunk(&mut self.zstd, &raw, n, Stats::None)?;

        let mut chunks = vec![None; self.columns.list.len()];
        chunks[COL_TIMESTAMP] = Some(self.place(block.timestamp));
        chunks[COL_INGESTION] = Some(self.place(block.ingestion));
        chunks[COL_STREAM] = Some(self.place(stream));
        let bloom = self.place(block.bloom);
        chunks[COL_MESSAGE] = Some(self.place(block.message));
        for (col, c) in fields {
            chunks[col] = Some(self.place(c));
        }
        self.blocks.push(BlockMeta {
            rows: rows.len() as u32,
            min_ts: block.min_ts,
            max_ts: block.max_ts,
            message_bytes: Some(rows.iter().map(|r| r.message.len() as u64).sum()),
            bloom,
            chunks,
        });
        Ok(true)
    }

    fn finish(mut self) -> Result<Vec<u8>> {
        let columns = self.columns.list.len();
        for b in &mut self.blocks {
            b.chunks.resize(columns, None);
        }
        // Blocks are in timestamp order: the first row's time starts the first block, the
        // last row's ends the last.
        let footer = Footer {
            rows: self.blocks.iter().map(|b| u64::from(b.rows)).sum(),
            min_ts: self.blocks.first().map_or(0, |b| b.min_ts),
            max_ts: self.blocks.last().map_or(0, |b| b.max_ts),
            fields_complete: self.columns.complete,
            streams: self.streams,
            columns: self.columns.list,
            blocks: self.blocks,
        };
        finish_file(self.out, &footer)
    }
}

/// What discovery makes of one message; computed for a block's rows in parallel.
struct Analyzed<'m> {
    /// Leaf names, in document order.
    names: Names<'m>,
    /// Leaf values, one per name.
    values: Vec<Val<'m>>,
    /// Which leaves a later leaf of the same name overrides (empty: none).
    superseded: Vec<bool>,
    /// Whether the message re-renders exactly from its (distinct) leaves with the pieces of
    /// its shape (then `names` is that shape).
    json: bool,
}

/// Leaf names: a row's own, or those of a template shape seen before (shared, not copied).
#[derive(Clone)]
enum Names<'m> {
    Own(Vec<String>),
    Shape(Arc<Shape<'m>>),
}

impl std::ops::Deref for Names<'_> {
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
struct Shape<'m> {
    /// The text around the leaf values (those of the first message with this shape).
    pieces: Vec<&'m str>,
    names: Vec<String>,
    string_slot: Vec<bool>,
}

/// Per template shape (by address, the `Arc` kept with it), column ids per leaf and type.
type ShapeColumns<'m> = HashMap<usize, (Arc<Shape<'m>>, Vec<[Option<usize>; 4]>)>;

/// Per discovery task: the shapes seen, by pieces. Consecutive messages mostly share a shape,
/// so the last one found is compared first (no hashing of the pieces).
#[derive(Default)]
struct Shapes<'m> {
    by_pieces: HashMap<Vec<&'m str>, Arc<Shape<'m>>>,
    last: Option<Arc<Shape<'m>>>,
    /// Reused for each message's pieces.
    scratch: Vec<&'m str>,
}

impl<'m> Shapes<'m> {
    fn find(&mut self, pieces: &[&str]) -> Option<Arc<Shape<'m>>> {
        if let Some(last) = &self.last
            && last.pieces == pieces
        {
            return Some(last.clone());
        }
        let found = self.by_pieces.get(pieces)?.clone();
        self.last = Some(found.clone());
        Some(found)
    }
}

fn analyze_one<'m>(message: &'m str, shapes: &mut Shapes<'m>) -> Analyzed<'m> {
    let mut pieces = std::mem::take(&mut shapes.scratch);
    let is_json = split_json_into(message, &mut pieces);
    if is_json
        && let Some(shape) = shapes.find(&pieces)
        && let Some(values) = shape_values(message, &pieces, &shape)
    {
        shapes.scratch = pieces;
        return Analyzed {
            names: Names::Shape(shape),
            values,
            superseded: Vec::new(),
            json: true,
        };
    }
    // The template renders the message back exactly when each leaf's text is the text between
    // its two pieces (pieces are slices of `message`, so offsets locate the slots): checked
    // as leaves arrive instead of rendering a copy.
    let mut exact = is_json;
    let mut names = Vec::new();
    let mut values = Vec::new();
    discover_typed(message, |name, leaf| {
        if exact {
            exact = slot_text(message, &pieces, names.len()) == Some(leaf.text());
        }
        names.push(name.to_owned());
        values.push(match leaf {
            Leaf::Num(text) => number(text).into_owned(),
            _ => Val::from(Value::from_leaf(leaf)),
        });
    });
    let superseded = superseded(&names);
    if exact && pieces.len() == names.len() + 1 && !superseded.iter().any(|s| *s) {
        // In valid JSON a slot holds a string exactly when its piece ends with the opening
        // quote.
        let shape = Arc::new(Shape {
            string_slot: pieces[..names.len()]
                .iter()
                .map(|p| p.ends_with('"'))
                .collect(),
            pieces: pieces.clone(),
            names,
        });
        shapes.by_pieces.insert(pieces.clone(), shape.clone());
        shapes.last = Some(shape.clone());
        shapes.scratch = pieces;
        return Analyzed {
            names: Names::Shape(shape),
            values,
            superseded: Vec::new(),
            json: true,
        };
    }
    shapes.scratch = pieces;
    Analyzed {
        names: Names::Own(names),
        values,
        superseded,
        json: false,
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
fn shape_values<'m>(message: &'m str, pieces: &[&str], shape: &Shape<'_>) -> Option<Vec<Val<'m>>> {
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
    /// The value and its digits after the point as it prints.
    Float(f64, u32),
    Bool(bool),
    Str(Cow<'m, str>),
}

impl Val<'_> {
    fn field_type(&self) -> FieldType {
        match self {
            Val::Int(_) => FieldType::Integer,
            Val::Float(..) => FieldType::Float,
            Val::Bool(_) => FieldType::Boolean,
            Val::Str(_) => FieldType::String,
        }
    }
}

impl Val<'_> {
    fn into_owned(self) -> Val<'static> {
        match self {
            Val::Int(i) => Val::Int(i),
            Val::Float(f, p) => Val::Float(f, p),
            Val::Bool(b) => Val::Bool(b),
            Val::Str(s) => Val::Str(Cow::Owned(s.into_owned())),
        }
    }
}

impl From<Value> for Val<'_> {
    fn from(v: Value) -> Self {
        match v {
            Value::Int(i) => Val::Int(i),
            Value::Float(f) => Val::Float(f, decimal_places(f)),
            Value::Bool(b) => Val::Bool(b),
            Value::Str(s) => Val::Str(Cow::Owned(s)),
        }
    }
}

/// A JSON number token typed as [`Value::from_leaf`] types it, text kept borrowed.
fn number(text: &str) -> Val<'_> {
    match super::quick_number(text) {
        Some(QuickNum::Int(i)) => return Val::Int(i),
        Some(QuickNum::Float { value, places }) => return Val::Float(value, places),
        None => {}
    }
    if let Ok(i) = text.parse::<i64>()
        && super::displays_as(&i, text)
    {
        return Val::Int(i);
    }
    if let Ok(f) = text.parse::<f64>()
        && f.is_finite()
        && super::displays_as(&f, text)
    {
        return Val::Float(f, decimal_places(f));
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

/// Rows per discovery task: each task learns its template shapes afresh.
const DISCOVERY_TASK_ROWS: usize = 2048;

/// Discovery over `rows`; with `split`, in parallel tasks of [`DISCOVERY_TASK_ROWS`].
fn discover_rows<'m>(rows: &[RowRef<'m>], split: bool) -> Vec<Analyzed<'m>> {
    fn run<'m>(part: &[RowRef<'m>]) -> Vec<Analyzed<'m>> {
        let mut shapes = Shapes::default();
        part.iter()
            .map(|r| analyze_one(r.message, &mut shapes))
            .collect()
    }
    if !split || rows.len() <= DISCOVERY_TASK_ROWS {
        return run(rows);
    }
    let parts: Vec<Vec<Analyzed<'m>>> = rows.par_chunks(DISCOVERY_TASK_ROWS).map(run).collect();
    let mut out = Vec::with_capacity(rows.len());
    for p in parts {
        out.extend(p);
    }
    out
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
    /// Rendered from its fields' columns with the pieces of this shape.
    Json(Arc<Shape<'m>>),
    /// Split as text here, or stored raw when long. (Splitting here rather than during the
    /// parallel discovery saves an allocation per row; blocks are encoded in parallel anyway.)
    None,
}

/// Messages longer than this are stored raw: templates pay on repetition, not on one-offs.
const MAX_TEMPLATED_MESSAGE: usize = 64 << 10;
// A template's variables are kept packed (`Stored`): 20 bits of row, 17 of offset and length.
const _: () = assert!(MAX_TEMPLATED_MESSAGE < 1 << 17 && MAX_BLOCK_ROWS <= 1 << 20);

/// A text template of a block: its key (see [`split_text_key`]) and the variables of its rows.
struct TextTemplate {
    key: Vec<u8>,
    slots: usize,
    /// The rows' variables, row after row (`slots` per row).
    values: Vec<Stored>,
    /// The next template whose key has the same hash.
    next: Option<usize>,
}

/// The text templates of a block, in order of first appearance, found by their keys.
#[derive(Default)]
struct TextTemplates {
    list: Vec<TextTemplate>,
    /// The first template of each key hash (the others chained through `next`).
    by_hash: HashMap<u64, usize>,
    /// The template of the previous text row: consecutive rows often share one.
    last: Option<usize>,
}

impl TextTemplates {
    /// The id of the template with `key`, and whether it is new (then it was added, with
    /// `slots` variables per row).
    fn find_or_add(
        &mut self,
        key: &[u8],
        slots: usize,
        spare: &mut Vec<Vec<Stored>>,
    ) -> (usize, bool) {
        if let Some(id) = self.last
            && self.list[id].key == key
        {
            return (id, false);
        }
        let hash = {
            use std::hash::Hasher;
            let mut h = super::codec::FxHasher::default();
            h.write(key);
            h.finish()
        };
        let mut at = self.by_hash.get(&hash).copied();
        while let Some(id) = at {
            if self.list[id].key == key {
                self.last = Some(id);
                return (id, false);
            }
            at = self.list[id].next;
        }
        let id = self.list.len();
        self.list.push(TextTemplate {
            key: key.to_vec(),
            slots,
            values: spare.pop().unwrap_or_default(),
            next: self.by_hash.insert(hash, id),
        });
        self.last = Some(id);
        (id, true)
    }
}

/// The `@message` chunk (mode 1; see the module docs): JSON templates rendered from field
/// columns, text templates with their variables in per-slot columns, raw messages. Also adds
/// every message's trigrams to `trigrams`: a text message's from its template's pieces (once
/// per template) and around its variables.
fn encode_messages<'m>(
    raw: &mut Vec<u8>,
    rows: &[RowRef<'m>],
    templates: &[Template<'_>],
    trigrams: &mut Trigrams,
    scratch: &mut Scratch,
) {
    enum Code {
        Raw,
        Json(u64),
        Text(u64),
    }
    let mut json_ids: HashMap<(&[&str], &[String]), u64> = HashMap::default();
    let mut json_dict: Vec<(&[&str], &[String])> = Vec::new();
    // Template ids by shape address (the shapes outlive this call in `json`).
    let mut shape_ids: HashMap<usize, u64> = HashMap::default();
    let mut text = TextTemplates::default();
    // Reused for each row's key and variables.
    let mut key = std::mem::take(&mut scratch.key);
    let mut vars: Vec<Var<'m>> = recycle(std::mem::take(&mut scratch.vars));
    let mut codes = Vec::with_capacity(rows.len());
    for (row, (r, t)) in rows.iter().zip(templates).enumerate() {
        codes.push(match t {
            Template::Json(shape) => {
                trigrams.add(r.message.as_bytes());
                let addr = Arc::as_ptr(shape) as usize;
                match shape_ids.get(&addr) {
                    Some(&id) => Code::Json(id),
                    None => {
                        let key = (shape.pieces.as_slice(), shape.names.as_slice());
                        let next = json_dict.len() as u64;
                        let id = *json_ids.entry(key).or_insert_with(|| {
                            json_dict.push(key);
                            next
                        });
                        shape_ids.insert(addr, id);
                        Code::Json(id)
                    }
                }
            }
            Template::None if r.message.len() > MAX_TEMPLATED_MESSAGE => {
                trigrams.add(r.message.as_bytes());
                Code::Raw
            }
            Template::None => {
                let n = split_text_key(r.message, &mut key, &mut vars);
                let (id, new) = text.find_or_add(&key[..n], vars.len(), &mut scratch.values);
                if new {
                    // The trigrams inside the pieces, the same in every row of the template.
                    for piece in key_pieces(&key[..n]) {
                        trigrams.add(piece);
                    }
                }
                add_variable_trigrams(trigrams, r.message, &vars);
                text.list[id]
                    .values
                    .extend(vars.iter().map(|v| Stored::new(v, row, r.message)));
                Code::Text(id as u64)
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
    put_uvarint(raw, text.list.len() as u64);
    for t in &text.list {
        put_uvarint(raw, t.slots as u64);
        for p in key_pieces(&t.key) {
            put_bytes(raw, p);
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
    let raw_rows: Vec<&RowRef<'_>> = rows
        .iter()
        .zip(&codes)
        .filter(|(_, c)| matches!(c, Code::Raw))
        .map(|(r, _)| r)
        .collect();
    for r in &raw_rows {
        put_uvarint(raw, r.message.len() as u64);
    }
    for r in &raw_rows {
        raw.extend_from_slice(r.message.as_bytes());
    }
    for t in &text.list {
        for slot in 0..t.slots {
            let values = t.values[slot..].iter().step_by(t.slots).copied();
            encode_slot_values(
                raw,
                values,
                |row| rows.get(row).map_or("", |r| r.message),
                |row| rows.get(row).map_or(0, |r| r.timestamp),
            );
        }
    }
    // The buffers go back for the next block.
    for t in text.list {
        if scratch.values.len() < SCRATCH_KEEP_VECS
            && t.values.capacity() * std::mem::size_of::<Stored>() <= SCRATCH_KEEP_BYTES
        {
            let mut values = t.values;
            values.clear();
            scratch.values.push(values);
        }
    }
    if key.capacity() <= SCRATCH_KEEP_BYTES {
        scratch.key = key;
    }
    scratch.vars = recycle(vars);
}

/// Adds the trigrams of `message` that hold a byte of one of its variables (`vars`, slices of
/// `message` in order): with those of its template's pieces, every trigram of the message.
fn add_variable_trigrams(trigrams: &mut Trigrams, message: &str, vars: &[Var<'_>]) {
    let b = message.as_bytes();
    let base = message.as_ptr() as usize;
    // Trigrams starting before this were added with the previous variable's.
    let mut from = 0;
    for v in vars {
        let start = (v.text.as_ptr() as usize).wrapping_sub(base);
        let end = start + v.text.len();
        // A trigram holds a byte of [start, end) when it starts in [start - 2, end - 1].
        let lo = start.saturating_sub(2).max(from);
        let hi = (end + 2).min(b.len());
        if let Some(window) = b.get(lo..hi)
            && window.len() >= 3
        {
            trigrams.add(window);
            from = hi - 2;
        }
    }
}

fn encode_field(rows: usize, vals: &[(usize, Val<'_>)]) -> (Vec<u8>, Stats) {
    let mut raw = Vec::new();
    if vals.len() == rows {
        raw.push(0);
    } else {
        // The rows with a value: a bitmap, or (format 4) their count and the gaps between
        // them where that is shorter (a sparse field: a value in one row of eight or fewer).
        let mut gaps = Vec::with_capacity(vals.len() + 1);
        put_uvarint(&mut gaps, vals.len() as u64);
        let mut next = 0;
        for (row, _) in vals {
            put_uvarint(&mut gaps, (row - next) as u64);
            next = row + 1;
        }
        if gaps.len() < rows.div_ceil(8) {
            raw.push(2);
            raw.extend_from_slice(&gaps);
        } else {
            raw.push(1);
            let mut bitmap = vec![0u8; rows.div_ceil(8)];
            for (row, _) in vals {
                bitmap[row / 8] |= 1 << (row % 8);
            }
            raw.extend_from_slice(&bitmap);
        }
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
                counts: int_counts(&ints),
            }
        }
        Some(FieldType::Float) => {
            let floats: Vec<(f64, u32)> = vals
                .iter()
                .filter_map(|(_, v)| match v {
                    Val::Float(f, places) => Some((*f, *places)),
                    _ => None,
                })
                .collect();
            encode_floats(&mut raw, &floats);
            let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
            for (f, _) in &floats {
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
            // With a dictionary, the bounds are those of its (fewer) distinct values.
            let distinct = encode_strings(&mut raw, &strs);
            let set = distinct.as_deref().unwrap_or(&strs);
            let min = set.iter().min().copied().unwrap_or("").as_bytes();
            let max = set.iter().max().copied().unwrap_or("").as_bytes();
            Stats::Str {
                min: min[..min.len().min(STAT_BYTES)].to_vec(),
                max: (max.len() <= STAT_BYTES).then(|| max.to_vec()),
                bytes: Some(super::ByteSet::of(set.iter().map(|s| s.as_bytes()))),
            }
        }
        None => Stats::None,
    };
    (raw, stats)
}

/// The distinct values of `ints` with how many times each occurs, ascending; `None` past
/// [`super::INT_COUNTS_MAX`] distinct values.
fn int_counts(ints: &[i64]) -> Option<Vec<(i64, u64)>> {
    let mut counts: Vec<(i64, u64)> = Vec::new();
    for &i in ints {
        if let Some((_, n)) = counts.iter_mut().find(|(v, _)| *v == i) {
            *n += 1;
        } else if counts.len() < super::INT_COUNTS_MAX {
            counts.push((i, 1));
        } else {
            return None;
        }
    }
    counts.sort_unstable();
    Some(counts)
}

/// Floats as scaled decimal integers (`12.34` → 1234 at scale 2, zigzag varint deltas) when
/// every value round-trips that way, else as raw 8-byte values.
fn encode_floats(raw: &mut Vec<u8>, floats: &[(f64, u32)]) {
    let scale = floats.iter().map(|(_, p)| *p).max().unwrap_or(0);
    if scale <= MAX_FLOAT_SCALE {
        let factor = 10f64.powi(scale as i32);
        let scaled: Option<Vec<i64>> = floats
            .iter()
            .map(|&(f, _)| {
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
    for (f, _) in floats {
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

/// Strings as a dictionary when there are few distinct values (returned), else plain.
fn encode_strings<'s>(raw: &mut Vec<u8>, strs: &[&'s str]) -> Option<Vec<&'s str>> {
    let mut ids: HashMap<&str, u64> = HashMap::default();
    let mut dict: Vec<&'s str> = Vec::new();
    let mut codes: Vec<u64> = Vec::with_capacity(strs.len());
    // Nearly every value distinct after this many (ids, times): the dictionary is given up
    // (proving it cannot pay took hashing half the column, ~5% of a JSON ingest).
    let probe = if strs.len() >= 1024 {
        (strs.len() / 4).min(4096)
    } else {
        usize::MAX
    };
    let mut pays = true;
    // Runs of one value (a constant field) are common: compare with the previous value before
    // hashing.
    let mut last: Option<(&str, u64)> = None;
    for s in strs {
        if let Some((prev, code)) = last
            && prev == *s
        {
            codes.push(code);
            continue;
        }
        let next = dict.len() as u64;
        let code = *ids.entry(s).or_insert_with(|| {
            dict.push(s);
            next
        });
        codes.push(code);
        last = Some((s, code));
        // The dictionary only grows: once it holds more than half the values it never pays.
        if dict.len() * 2 > strs.len() || (codes.len() == probe && dict.len() * 8 > probe * 7) {
            pays = false;
            break;
        }
    }
    if pays {
        raw.push(1);
        put_uvarint(raw, dict.len() as u64);
        for s in &dict {
            put_bytes(raw, s.as_bytes());
        }
        for c in codes {
            put_uvarint(raw, c);
        }
        Some(dict)
    } else {
        raw.push(0);
        for s in strs {
            put_uvarint(raw, s.len() as u64);
        }
        for s in strs {
            raw.extend_from_slice(s.as_bytes());
        }
        None
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
        Stats::Int { min, max, counts } => {
            out.extend_from_slice(&min.to_le_bytes());
            out.extend_from_slice(&max.to_le_bytes());
            // Format 3: the distinct values with their counts (0: not listed).
            let counts = counts.as_deref().unwrap_or(&[]);
            put_uvarint(out, counts.len() as u64);
            for &(v, n) in counts {
                put_uvarint(out, zigzag(v));
                put_uvarint(out, n);
            }
        }
        Stats::Float { min, max } => {
            out.extend_from_slice(&min.to_bits().to_le_bytes());
            out.extend_from_slice(&max.to_bits().to_le_bytes());
        }
        Stats::Str { min, max, bytes } => {
            put_bytes(out, min);
            match max {
                Some(m) => {
                    out.push(1);
                    put_bytes(out, m);
                }
                None => out.push(0),
            }
            // Format 3: the byte set (a chunk written without one claims every byte).
            let set = bytes.unwrap_or(super::ByteSet([u64::MAX; 4]));
            for word in set.0 {
                out.extend_from_slice(&word.to_le_bytes());
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

#[cfg(test)]
mod phase_bench {
    use super::*;

    fn lines() -> Vec<String> {
        let path = std::env::var("LOUPE_BULK_FILE").unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        text.lines()
            .map(|l| match l.split_once(' ') {
                Some((t, rest)) if t.len() == 24 && t.ends_with('Z') => rest.to_owned(),
                _ => l.to_owned(),
            })
            .collect()
    }

    #[test]
    #[ignore]
    fn phases() {
        let lines = lines();
        let rows: Vec<RowRef<'_>> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| RowRef {
                timestamp: i as i64,
                ingestion_time: 0,
                stream: "s",
                message: l,
            })
            .collect();
        let blocks: Vec<&[RowRef<'_>]> = rows.chunks(16384).collect();
        let only = std::env::var("PHASE").ok();
        let t = |name: &str, f: &mut dyn FnMut()| {
            if only.as_deref().is_some_and(|o| o != name) {
                return;
            }
            let mut best = f64::MAX;
            for _ in 0..5 {
                let s = std::time::Instant::now();
                f();
                best = best.min(s.elapsed().as_secs_f64());
            }
            println!("{name:>20}: {:.1} ms", best * 1e3);
        };
        let (mut key, mut vars) = (Vec::new(), Vec::new());
        t("split", &mut || {
            for r in &rows {
                let n = split_text_key(r.message, &mut key, &mut vars);
                std::hint::black_box((n, &vars));
            }
        });
        t("bloom", &mut || {
            for b in &blocks {
                std::hint::black_box(super::super::bloom::Bloom::build(
                    b.iter().map(|r| r.message.as_bytes()),
                    usize::MAX,
                ));
            }
        });
        t("discover", &mut || {
            for b in &blocks {
                std::hint::black_box(discover_rows(b, false));
            }
        });
        t("split+lookup", &mut || {
            for b in &blocks {
                let mut text = TextTemplates::default();
                let mut codes = Vec::new();
                for r in b.iter() {
                    let n = split_text_key(r.message, &mut key, &mut vars);
                    let (id, _) = text.find_or_add(&key[..n], vars.len(), &mut Vec::new());
                    codes.push(id);
                }
                std::hint::black_box(codes);
            }
        });
        // A block's `@message` chunk before zstd, with its token filter.
        let encode = |b: &[RowRef<'_>]| {
            let templates: Vec<Template<'_>> = b.iter().map(|_| Template::None).collect();
            let mut raw = Vec::new();
            let mut tg = Trigrams::new();
            let mut scratch = SCRATCH.take();
            encode_messages(&mut raw, b, &templates, &mut tg, &mut scratch);
            SCRATCH.set(scratch);
            (raw, tg)
        };
        t("messages", &mut || {
            for b in &blocks {
                let (raw, tg) = encode(b);
                std::hint::black_box(tg.finish(usize::MAX));
                std::hint::black_box(raw);
            }
        });
        let raws: Vec<Vec<u8>> = blocks.iter().map(|b| encode(b).0).collect();
        let mut z = zstd::bulk::Compressor::new(3).unwrap();
        t("zstd messages", &mut || {
            for r in &raws {
                std::hint::black_box(z.compress(r).unwrap());
            }
        });
        let config = WriteConfig {
            block_rows: 16384,
            ..WriteConfig::default()
        };
        t("encode_block_alone", &mut || {
            for b in &blocks {
                std::hint::black_box(encode_block_alone(b, &config, false).unwrap());
            }
        });
        let total: usize = raws.iter().map(|r| r.len()).sum();
        println!("message raw bytes {total}");
    }
}

#[cfg(test)]
mod scratch_tests {
    use super::*;

    #[test]
    fn small_blocks_compress_harder() {
        let message = "GET /index.html 200 1234 from 10.0.0.1".to_string();
        let rows = |n: usize| -> Vec<RowRef<'_>> {
            (0..n)
                .map(|i| RowRef {
                    timestamp: i as i64,
                    ingestion_time: 0,
                    stream: "s",
                    message: &message,
                })
                .collect()
        };
        let config = WriteConfig::default();
        assert_eq!(block_level(&rows(100), &config), SMALL_BLOCK_ZSTD_LEVEL);
        assert_eq!(block_level(&rows(2048), &config), SMALL_BLOCK_ZSTD_LEVEL);
        assert_eq!(block_level(&rows(2049), &config), config.zstd_level);
        // Few rows, but a quarter of the block's message bytes.
        let long = "x".repeat((1 << 20) + 1);
        let big = [RowRef {
            timestamp: 0,
            ingestion_time: 0,
            stream: "s",
            message: &long,
        }];
        assert_eq!(block_level(&big, &config), config.zstd_level);
    }

    #[test]
    fn recycling_keeps_the_allocation() {
        let text = String::from("abc");
        let mut v: Vec<&str> = Vec::with_capacity(100);
        v.push(&text);
        let ptr = v.as_ptr() as usize;
        let w: Vec<&'static str> = super::recycle(v);
        assert!(w.is_empty());
        assert_eq!((w.as_ptr() as usize, w.capacity()), (ptr, 100));
    }
}
