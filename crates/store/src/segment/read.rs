//! Decoding a segment through mmap, trusting nothing the file says until it is checked.

use std::borrow::Cow;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::Mmap;

use super::bloom::Bloom;
use super::codec::Cursor;
use super::search::{FieldColumn, LoadedColumn, column_text, field_columns};
use super::template::{SLOT_DICT, SLOT_PLAIN_INTS, SLOT_TIME_PART, TIME_PARTS, time_part};
use super::{
    BlockMeta, COL_INGESTION, COL_MESSAGE, COL_STREAM, COL_TIMESTAMP, ChunkRef, ColumnDesc,
    ColumnKind, FORMAT_V1, FORMAT_VERSION, FieldType, Footer, HEADER_LEN, MAGIC, MAX_BLOCK_ROWS,
    MAX_CHUNK_RAW_BYTES, MAX_FOOTER_RAW_BYTES, SYSTEM_COLUMNS, SegmentRow, Stats, TAIL_LEN, Value,
};
use crate::error::{Result, StoreError};
use crate::event::Event;

thread_local! {
    /// One zstd decompression context per thread, reused for every chunk (creating one per
    /// chunk was a visible share of short scans).
    static DECOMPRESSOR: std::cell::RefCell<std::io::Result<zstd::bulk::Decompressor<'static>>> =
        std::cell::RefCell::new(zstd::bulk::Decompressor::new());
}

/// An open segment file.
#[derive(Debug)]
pub struct Segment {
    path: PathBuf,
    map: Mmap,
    footer: Footer,
    /// The file's format version (what some chunks' layout depends on).
    version: u32,
}

/// The decoded values of one field column in one block, one entry per row.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Str(Vec<Option<String>>),
}

impl ColumnData {
    pub fn value(&self, row: usize) -> Option<Value> {
        match self {
            ColumnData::Int(v) => v.get(row).copied().flatten().map(Value::Int),
            ColumnData::Float(v) => v.get(row).copied().flatten().map(Value::Float),
            ColumnData::Bool(v) => v.get(row).copied().flatten().map(Value::Bool),
            ColumnData::Str(v) => v.get(row).cloned().flatten().map(Value::Str),
        }
    }
}

#[allow(unsafe_code)]
fn map_file(path: &Path, file: &File) -> Result<Mmap> {
    // SAFETY: segment files are immutable once renamed into place: the store never writes to or
    // truncates them, only deletes them (which keeps the mapping valid on Unix). Another process
    // modifying the file behind the store's back could change the bytes under us; every read
    // below is bounds-checked against the mapping's length and every chunk is checksummed, so
    // such bytes give errors, not undefined reads past the mapping.
    unsafe { Mmap::map(file) }.map_err(StoreError::io(path))
}

impl Segment {
    pub fn open(path: &Path) -> Result<Segment> {
        let file = File::open(path).map_err(StoreError::io(path))?;
        let len = file.metadata().map_err(StoreError::io(path))?.len();
        let corrupt = |reason: &str| StoreError::corrupt(path, format!("segment {reason}"));
        if len < (HEADER_LEN + TAIL_LEN) as u64 {
            return Err(corrupt("is too short"));
        }
        let map = map_file(path, &file)?;
        let bytes: &[u8] = &map;
        if &bytes[..8] != MAGIC || &bytes[bytes.len() - 8..] != MAGIC {
            return Err(corrupt("has a bad magic number (not a Loupe segment)"));
        }
        let mut c = Cursor::new(&bytes[8..12]);
        let version = c.u32().ok_or_else(|| corrupt("header"))?;
        if !(FORMAT_V1..=FORMAT_VERSION).contains(&version) {
            return Err(corrupt(&format!(
                "has format version {version}; this build reads versions {FORMAT_V1} to \
                 {FORMAT_VERSION}"
            )));
        }
        let tail = bytes.len() - TAIL_LEN;
        let mut c = Cursor::new(&bytes[tail..tail + 8]);
        let footer_len = c.u32().ok_or_else(|| corrupt("tail"))? as usize;
        let crc = c.u32().ok_or_else(|| corrupt("tail"))?;
        if footer_len > tail - HEADER_LEN {
            return Err(corrupt("footer length runs past the file"));
        }
        let footer_start = tail - footer_len;
        let footer_bytes = &bytes[footer_start..tail];
        if crc32fast::hash(footer_bytes) != crc {
            return Err(corrupt("footer checksum mismatch"));
        }
        let unpacked;
        let footer_bytes = if version >= 4 {
            unpacked =
                unpack_footer(footer_bytes).ok_or_else(|| corrupt("footer does not decompress"))?;
            &unpacked[..]
        } else {
            footer_bytes
        };
        let footer = decode_footer(footer_bytes, footer_start as u64, version)
            .ok_or_else(|| corrupt("footer does not decode"))?;
        Ok(Segment {
            path: path.to_owned(),
            map,
            footer,
            version,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The format version the file was written with.
    pub fn version(&self) -> u32 {
        self.version
    }

    pub fn footer(&self) -> &Footer {
        &self.footer
    }

    pub(super) fn corrupt(&self, block: usize, what: &str) -> StoreError {
        StoreError::corrupt(&self.path, format!("segment block {block}: {what}"))
    }

    pub(super) fn raw_chunk(&self, block: usize, c: &ChunkRef) -> Result<&[u8]> {
        // Offsets were checked against the footer start when the footer was decoded.
        let data = self
            .map
            .get(c.offset as usize..(c.offset + c.len) as usize)
            .ok_or_else(|| self.corrupt(block, "chunk outside the file"))?;
        if crc32fast::hash(data) != c.crc {
            return Err(self.corrupt(block, "chunk checksum mismatch"));
        }
        Ok(data)
    }

    fn chunk(&self, block: usize, col: usize) -> Result<Option<Vec<u8>>> {
        let meta = self.block(block)?;
        let Some(c) = meta.chunks.get(col).and_then(Option::as_ref) else {
            return Ok(None);
        };
        self.decompress(block, c).map(Some)
    }

    pub(super) fn decompress(&self, block: usize, c: &ChunkRef) -> Result<Vec<u8>> {
        let data = self.raw_chunk(block, c)?;
        if self.version >= 4 && c.len == c.raw_len {
            // Stored as it is (compressing did not make it smaller).
            return Ok(data.to_vec());
        }
        let raw = DECOMPRESSOR
            .with(|d| match &mut *d.borrow_mut() {
                Ok(d) => d.decompress(data, c.raw_len as usize),
                Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
            })
            .map_err(|e| self.corrupt(block, &format!("chunk does not decompress: {e}")))?;
        if raw.len() as u64 != c.raw_len {
            return Err(self.corrupt(block, "chunk has the wrong decompressed size"));
        }
        Ok(raw)
    }

    pub(super) fn block(&self, block: usize) -> Result<&BlockMeta> {
        self.footer
            .blocks
            .get(block)
            .ok_or_else(|| self.corrupt(block, "no such block"))
    }

    fn system_chunk(&self, block: usize, col: usize) -> Result<(Vec<u8>, usize)> {
        let rows = self.block(block)?.rows as usize;
        let raw = self
            .chunk(block, col)?
            .ok_or_else(|| self.corrupt(block, "system column missing"))?;
        Ok((raw, rows))
    }

    pub fn timestamps(&self, block: usize) -> Result<Vec<i64>> {
        let (raw, rows) = self.system_chunk(block, COL_TIMESTAMP)?;
        let meta = self.block(block)?;
        let mut c = Cursor::new(&raw);
        let mut out = Vec::with_capacity(rows);
        c.delta_ivarints(rows, meta.min_ts, &mut out)
            .ok_or_else(|| self.corrupt(block, "timestamps"))?;
        let ok = c.at_end()
            && out.first().is_none_or(|&t| t == meta.min_ts)
            && out.last().is_none_or(|&t| t == meta.max_ts)
            && out.windows(2).all(|w| w[0] <= w[1]);
        if !ok {
            return Err(self.corrupt(block, "timestamps disagree with the block's bounds"));
        }
        Ok(out)
    }

    pub fn ingestion_times(&self, block: usize) -> Result<Vec<i64>> {
        let (raw, rows) = self.system_chunk(block, COL_INGESTION)?;
        let mut c = Cursor::new(&raw);
        let mut out = Vec::with_capacity(rows);
        c.delta_ivarints(rows, 0, &mut out)
            .ok_or_else(|| self.corrupt(block, "ingestion times"))?;
        if !c.at_end() {
            return Err(self.corrupt(block, "ingestion times: trailing bytes"));
        }
        Ok(out)
    }

    /// Indexes into `footer().streams`, one per row.
    pub fn stream_ids(&self, block: usize) -> Result<Vec<u32>> {
        let (raw, rows) = self.system_chunk(block, COL_STREAM)?;
        let mut c = Cursor::new(&raw);
        let mut out = Vec::with_capacity(rows);
        let n = self.footer.streams.len();
        for _ in 0..rows {
            let id = c
                .len(n.saturating_sub(1))
                .filter(|_| n > 0)
                .ok_or_else(|| self.corrupt(block, "stream ids"))?;
            out.push(id as u32);
        }
        if !c.at_end() {
            return Err(self.corrupt(block, "stream ids: trailing bytes"));
        }
        Ok(out)
    }

    pub fn messages(&self, block: usize) -> Result<Vec<String>> {
        let mut out = Vec::with_capacity(self.block(block)?.rows as usize);
        self.for_each_message(block, None, |_, m| out.push(m.to_owned()))?;
        Ok(out)
    }

    /// Calls `emit(row, message)` for each row of `block` in order (only the rows `wanted`
    /// marks, when given), rendering each message into one reused buffer.
    pub fn for_each_message(
        &self,
        block: usize,
        wanted: Option<&[bool]>,
        mut emit: impl FnMut(usize, &str),
    ) -> Result<()> {
        let (raw, rows) = self.system_chunk(block, COL_MESSAGE)?;
        let bad = || self.corrupt(block, "messages");
        if wanted.is_some_and(|w| w.len() != rows) {
            return Err(bad());
        }
        let mut m = self.parse_messages(block, &raw, rows)?;
        m.decode_slots(|_, _| SlotNeed::All, || self.timestamps(block).ok())
            .ok_or_else(bad)?;
        // The field columns the JSON templates draw on, read once (strings in place).
        let mut names: Vec<&str> = Vec::new();
        for (_, slots) in &m.json {
            for name in slots {
                if !names.contains(name) {
                    names.push(name);
                }
            }
        }
        let loaded = self.load_fields(block, &names, true)?;
        let columns = field_columns(&loaded, rows).ok_or_else(bad)?;
        // Per JSON template, per slot, the columns of its field.
        let json_cols: Vec<Vec<&[FieldColumn<'_>]>> = m
            .json
            .iter()
            .map(|(_, names)| {
                names
                    .iter()
                    .map(|n| columns.get(n).map_or(&[][..], Vec::as_slice))
                    .collect()
            })
            .collect();
        // Next value per text template (its rows take the slot values in order).
        let mut text_next = vec![0usize; m.text.len()];
        let mut raws = m.raws.iter();
        let mut msg = String::new();
        for (row, &code) in m.codes.iter().enumerate() {
            let want = wanted.is_none_or(|w| w[row]);
            if code == 0 {
                let r = raws.next().ok_or_else(bad)?;
                if want {
                    emit(row, r);
                }
            } else if let Some((pieces, _)) = m.json.get(code - 1) {
                if !want {
                    continue;
                }
                msg.clear();
                let cols = &json_cols[code - 1];
                for (i, p) in pieces.iter().enumerate() {
                    msg.push_str(p);
                    if i + 1 < pieces.len() {
                        let col = cols.get(i).ok_or_else(bad)?;
                        // The first of the field's columns (one per type) with a value here.
                        col.iter()
                            .find_map(|c| column_text(c, row, |v| msg.push_str(v)))
                            .ok_or_else(bad)?;
                    }
                }
                emit(row, &msg);
            } else {
                let t = code - 1 - m.json.len();
                let k = text_next[t];
                text_next[t] += 1;
                if !want {
                    continue;
                }
                msg.clear();
                let pieces = &m.text[t];
                for (i, p) in pieces.iter().enumerate() {
                    msg.push_str(p);
                    if i + 1 < pieces.len() {
                        m.text_vars[t][i].push(&mut msg, k).ok_or_else(bad)?;
                    }
                }
                emit(row, &msg);
            }
        }
        Ok(())
    }

    /// The decompressed `@message` chunk of `block` and its row count.
    pub(super) fn message_chunk(&self, block: usize) -> Result<(Vec<u8>, usize)> {
        self.system_chunk(block, COL_MESSAGE)
    }

    /// Parses a block's `@message` chunk (`raw`, of `rows` rows): row codes, templates, raw
    /// messages and text-template slot values, checking every count and length.
    pub(super) fn parse_messages<'a>(
        &self,
        block: usize,
        raw: &'a [u8],
        rows: usize,
    ) -> Result<MessageChunk<'a>> {
        let bad = || self.corrupt(block, "messages");
        let mut c = Cursor::new(raw);
        let mode = c.u8().ok_or_else(bad)?;
        let mut json = Vec::new();
        let mut text: Vec<Vec<&str>> = Vec::new();
        let mut codes = vec![0usize; rows];
        match mode {
            0 => {}
            1 => {
                let n = c.len(c.remaining()).ok_or_else(bad)?;
                for _ in 0..n {
                    let slots = c.len(c.remaining()).ok_or_else(bad)?;
                    let mut pieces = Vec::with_capacity(slots + 1);
                    for _ in 0..=slots {
                        pieces.push(c.str().ok_or_else(bad)?);
                    }
                    let mut names = Vec::with_capacity(slots);
                    for _ in 0..slots {
                        names.push(c.str().ok_or_else(bad)?);
                    }
                    json.push((pieces, names));
                }
                let n = c.len(c.remaining()).ok_or_else(bad)?;
                for _ in 0..n {
                    let slots = c.len(c.remaining()).ok_or_else(bad)?;
                    let mut pieces = Vec::with_capacity(slots + 1);
                    for _ in 0..=slots {
                        pieces.push(c.str().ok_or_else(bad)?);
                    }
                    text.push(pieces);
                }
                for code in codes.iter_mut() {
                    *code = c.len(json.len() + text.len()).ok_or_else(bad)?;
                }
            }
            _ => return Err(bad()),
        }
        let raw_rows = codes.iter().filter(|&&k| k == 0).count();
        let mut lens = Vec::with_capacity(raw_rows);
        for _ in 0..raw_rows {
            lens.push(c.len(raw.len()).ok_or_else(bad)?);
        }
        let mut raws = Vec::with_capacity(raw_rows);
        let raw_start = c.position();
        for len in lens {
            let b = c.take(len).ok_or_else(bad)?;
            raws.push(std::str::from_utf8(b).map_err(|_| bad())?);
        }
        let mut text_rows = vec![0usize; text.len()];
        for &code in &codes {
            if code > json.len() {
                text_rows[code - 1 - json.len()] += 1;
            }
        }
        Ok(MessageChunk {
            codes,
            json,
            text,
            raws,
            raw_bytes: &raw[raw_start..c.position()],
            text_rows,
            slots: c,
            text_vars: Vec::new(),
        })
    }

    /// The chunk of string field column `col` of `block`, decompressed (`None` when no row has
    /// a value), to read with [`string_view`].
    pub(crate) fn string_chunk(&self, block: usize, col: usize) -> Result<Option<Vec<u8>>> {
        match self.footer.columns.get(col).map(|c| c.kind) {
            Some(ColumnKind::Field(FieldType::String)) => self.chunk(block, col),
            _ => Err(self.corrupt(block, "not a string field column")),
        }
    }

    /// The columns of the fields `names` in `block` (one per stored type and field): string
    /// chunks decompressed to be read in place (see [`field_columns`]), other types decoded
    /// (left out unless `others`).
    pub(super) fn load_fields<'n>(
        &self,
        block: usize,
        names: &[&'n str],
        others: bool,
    ) -> Result<Vec<(&'n str, LoadedColumn)>> {
        let mut out = Vec::new();
        for &name in names {
            for (col, ty) in self.footer.field_columns(name) {
                let loaded = match ty {
                    FieldType::String => match self.string_chunk(block, col)? {
                        Some(chunk) => LoadedColumn::Strings(chunk),
                        None => continue,
                    },
                    _ if !others => continue,
                    _ => LoadedColumn::Other(self.field(block, col)?),
                };
                out.push((name, loaded));
            }
        }
        Ok(out)
    }

    /// The rows of `block` and the decompressed chunk of field column `col` (`None`: no
    /// event of the block has a value in it), once the column is checked to be a field
    /// column of type `ty` (of any type when `None`); `not` is the error otherwise.
    fn field_chunk(
        &self,
        block: usize,
        col: usize,
        ty: Option<FieldType>,
        not: &str,
    ) -> Result<(usize, Option<Vec<u8>>)> {
        let rows = self.block(block)?.rows as usize;
        match self.footer.columns.get(col).map(|c| c.kind) {
            Some(ColumnKind::Field(t)) if ty.is_none_or(|ty| ty == t) => {}
            _ => return Err(self.corrupt(block, not)),
        }
        Ok((rows, self.chunk(block, col)?))
    }

    /// The values of string column `col` in `block` as an Arrow array, one entry per row,
    /// without a heap string per value.
    pub fn field_strings(&self, block: usize, col: usize) -> Result<arrow::array::StringArray> {
        let string = Some(FieldType::String);
        let (rows, raw) = self.field_chunk(block, col, string, "not a string field column")?;
        let Some(raw) = raw else {
            return Ok(arrow::array::StringArray::new_null(rows));
        };
        decode_strings_arrow(&raw, rows).ok_or_else(|| self.corrupt(block, "field column"))
    }

    /// A string field column of `block` as a dictionary array (`UInt32` keys into the chunk's
    /// own dictionary) when the chunk is dictionary-encoded, else as plain strings; every row,
    /// or the rows of `selection` (ascending row numbers) in that order. What a caller that
    /// groups or counts by the values wants: a code per row, each distinct text once.
    pub fn field_strings_dict(
        &self,
        block: usize,
        col: usize,
        selection: Option<&[usize]>,
    ) -> Result<arrow::array::ArrayRef> {
        let string = Some(FieldType::String);
        let (rows, raw) = self.field_chunk(block, col, string, "not a string field column")?;
        let bad = || self.corrupt(block, "field column");
        // The chunk as it is stored: dictionary codes, or its plain values (decoded from the
        // same decompressed bytes, not read again).
        let all: arrow::array::ArrayRef = match raw {
            None => Arc::new(arrow::array::StringArray::new_null(rows)),
            Some(raw) => match decode_strings_dict(&raw, rows).ok_or_else(bad)? {
                Some(dict) => Arc::new(dict),
                None => Arc::new(decode_strings_arrow(&raw, rows).ok_or_else(bad)?),
            },
        };
        let Some(picked) = selection else {
            return Ok(all);
        };
        if picked.iter().any(|&r| r >= rows) {
            return Err(bad());
        }
        let idx = arrow::array::UInt32Array::from_iter_values(picked.iter().map(|&r| r as u32));
        arrow::compute::take(&all, &idx, None).map_err(|e| self.corrupt(block, &e.to_string()))
    }

    /// Which rows of `block` have a value in field column `col`, from the chunk's presence
    /// header alone (the values are not decoded).
    pub fn field_presence(&self, block: usize, col: usize) -> Result<Vec<bool>> {
        let (rows, raw) = self.field_chunk(block, col, None, "not a field column")?;
        let Some(raw) = raw else {
            return Ok(vec![false; rows]);
        };
        let mut c = Cursor::new(&raw);
        Ok(
            match presence(&mut c, rows).ok_or_else(|| self.corrupt(block, "field column"))? {
                None => vec![true; rows],
                Some(bitmap) => (0..rows).map(|i| bit(&bitmap, i)).collect(),
            },
        )
    }

    /// A float field column of `block` straight into Arrow, every row (absent values null).
    pub fn field_floats(&self, block: usize, col: usize) -> Result<arrow::array::Float64Array> {
        let float = Some(FieldType::Float);
        let (rows, raw) = self.field_chunk(block, col, float, "not a float field column")?;
        let Some(raw) = raw else {
            return Ok(arrow::array::Float64Array::new_null(rows));
        };
        decode_floats_arrow(&raw, rows).ok_or_else(|| self.corrupt(block, "field column"))
    }

    /// An integer field column of `block` straight into Arrow: every row, or the rows of
    /// `selection` (ascending row numbers) in that order; absent values are nulls.
    pub fn field_ints(
        &self,
        block: usize,
        col: usize,
        selection: Option<&[usize]>,
    ) -> Result<arrow::array::Int64Array> {
        let integer = Some(FieldType::Integer);
        let (rows, raw) = self.field_chunk(block, col, integer, "not an integer field column")?;
        let out_rows = selection.map_or(rows, <[usize]>::len);
        let Some(raw) = raw else {
            return Ok(arrow::array::Int64Array::new_null(out_rows));
        };
        decode_ints_arrow(&raw, rows, selection).ok_or_else(|| self.corrupt(block, "field column"))
    }

    /// The total bytes of the messages of `block`, when the footer records it (format v1 does
    /// not: the caller then measures the decoded messages). Trusted as a statistic only: it
    /// is checksummed with the footer but not checked against the messages.
    pub fn message_bytes(&self, block: usize) -> Result<Option<u64>> {
        Ok(self.block(block)?.message_bytes)
    }

    /// Whether a message of `block` may contain `needle` (false proves it cannot).
    pub fn may_contain(&self, block: usize, needle: &[u8]) -> Result<bool> {
        if needle.len() < 3 {
            return Ok(true);
        }
        let meta = self.block(block)?;
        let raw = self.decompress(block, &meta.bloom)?;
        let bloom =
            Bloom::decode(&raw, self.version).ok_or_else(|| self.corrupt(block, "token filter"))?;
        Ok(bloom.may_contain(needle))
    }

    /// The values of field column `col` in `block`, one entry per row.
    pub fn field(&self, block: usize, col: usize) -> Result<ColumnData> {
        let rows = self.block(block)?.rows as usize;
        let ty = match self.footer.columns.get(col).map(|c| c.kind) {
            Some(ColumnKind::Field(t)) => t,
            _ => return Err(self.corrupt(block, "not a field column")),
        };
        let Some(raw) = self.chunk(block, col)? else {
            return Ok(match ty {
                FieldType::Integer => ColumnData::Int(vec![None; rows]),
                FieldType::Float => ColumnData::Float(vec![None; rows]),
                FieldType::Boolean => ColumnData::Bool(vec![None; rows]),
                FieldType::String => ColumnData::Str(vec![None; rows]),
            });
        };
        decode_field(&raw, rows, ty).ok_or_else(|| self.corrupt(block, "field column"))
    }

    /// Every event of the segment with its stream, in segment order.
    pub fn read_rows(&self) -> Result<Vec<SegmentRow>> {
        let mut out = Vec::with_capacity(self.footer.rows as usize);
        for b in 0..self.footer.blocks.len() {
            let ts = self.timestamps(b)?;
            let ing = self.ingestion_times(b)?;
            let streams = self.stream_ids(b)?;
            let msgs = self.messages(b)?;
            for (((timestamp, ingestion_time), s), message) in
                ts.into_iter().zip(ing).zip(streams).zip(msgs)
            {
                out.push(SegmentRow {
                    stream: self.footer.streams[s as usize].clone(),
                    event: Event {
                        timestamp,
                        ingestion_time,
                        message,
                    },
                });
            }
        }
        Ok(out)
    }
}

fn decode_field(raw: &[u8], rows: usize, ty: FieldType) -> Option<ColumnData> {
    let mut c = Cursor::new(raw);
    let present: Vec<bool> = match presence(&mut c, rows)? {
        None => vec![true; rows],
        Some(bitmap) => (0..rows).map(|i| bit(&bitmap, i)).collect(),
    };
    let n = present.iter().filter(|p| **p).count();
    fn spread<T>(present: &[bool], vals: Vec<T>) -> Vec<Option<T>> {
        let mut it = vals.into_iter();
        present
            .iter()
            .map(|&p| if p { it.next() } else { None })
            .collect()
    }
    let out = match ty {
        FieldType::Integer => {
            let mut vals = Vec::new();
            c.delta_ivarints(n, 0, &mut vals)?;
            ColumnData::Int(spread(&present, vals))
        }
        FieldType::Float => ColumnData::Float(spread(&present, float_values(&mut c, n)?)),
        FieldType::Boolean => {
            let bitmap = c.take(n.div_ceil(8))?;
            let vals = (0..n).map(|i| bit(bitmap, i)).collect();
            ColumnData::Bool(spread(&present, vals))
        }
        FieldType::String => ColumnData::Str(spread(&present, decode_strings(&mut c, n)?)),
    };
    c.at_end().then_some(out)
}

/// An integer field chunk (see `decode_field`) straight into an Arrow array, of every row or
/// of the `selection`'s rows.
fn decode_ints_arrow(
    raw: &[u8],
    rows: usize,
    selection: Option<&[usize]>,
) -> Option<arrow::array::Int64Array> {
    use arrow::buffer::NullBuffer;
    let mut c = Cursor::new(raw);
    let presence = presence(&mut c, rows)?;
    let bitmap = presence.as_deref();
    let n = bitmap.map_or(rows, |b| (0..rows).filter(|&i| bit(b, i)).count());
    let mut values = Vec::new();
    c.delta_ivarints(n, 0, &mut values)?;
    if !c.at_end() {
        return None;
    }
    let present = |i: usize| bitmap.is_none_or(|b| bit(b, i));
    let values = spread_over_rows(values, bitmap, rows)?;
    Some(match selection {
        None => {
            let nulls = nulls_of(bitmap, rows);
            arrow::array::Int64Array::new(values.into(), nulls)
        }
        Some(picked) => {
            if picked.iter().any(|&r| r >= rows) {
                return None;
            }
            let vals: Vec<i64> = picked.iter().map(|&r| values[r]).collect();
            let nulls = bitmap.map(|_| NullBuffer::from_iter(picked.iter().map(|&r| present(r))));
            arrow::array::Int64Array::new(vals.into(), nulls)
        }
    })
}

/// The `n` values of a float chunk (after its presence header): plain floats (mode 0), or
/// decimals scaled to integers and delta-coded (mode 1).
fn float_values(c: &mut Cursor<'_>, n: usize) -> Option<Vec<f64>> {
    let mut values = Vec::with_capacity(n.min(c.remaining()));
    match c.u8()? {
        0 => {
            for _ in 0..n {
                values.push(c.f64()?);
            }
        }
        1 => {
            let scale = c.u8()?;
            if u32::from(scale) > super::write::MAX_FLOAT_SCALE {
                return None;
            }
            let factor = 10f64.powi(i32::from(scale));
            let mut scaled = Vec::new();
            c.delta_ivarints(n, 0, &mut scaled)?;
            values.extend(scaled.into_iter().map(|v| v as f64 / factor));
        }
        _ => return None,
    }
    Some(values)
}

/// The values of the present rows (per `bitmap`; every row when `None`) spread over all
/// `rows`, absent rows holding the default.
fn spread_over_rows<T: Copy + Default>(
    values: Vec<T>,
    bitmap: Option<&[u8]>,
    rows: usize,
) -> Option<Vec<T>> {
    let Some(b) = bitmap else {
        return Some(values);
    };
    let mut spread = vec![T::default(); rows];
    let mut next = values.into_iter();
    for (i, slot) in spread.iter_mut().enumerate() {
        if bit(b, i) {
            *slot = next.next()?;
        }
    }
    Some(spread)
}

/// A float field chunk (see `decode_field`) straight into an Arrow array of every row.
fn decode_floats_arrow(raw: &[u8], rows: usize) -> Option<arrow::array::Float64Array> {
    let mut c = Cursor::new(raw);
    let presence = presence(&mut c, rows)?;
    let bitmap = presence.as_deref();
    let n = bitmap.map_or(rows, |b| (0..rows).filter(|&i| bit(b, i)).count());
    let values = float_values(&mut c, n)?;
    if !c.at_end() {
        return None;
    }
    let values = spread_over_rows(values, bitmap, rows)?;
    let nulls = nulls_of(bitmap, rows);
    Some(arrow::array::Float64Array::new(values.into(), nulls))
}

/// A string field chunk (see `decode_field`) straight into an Arrow array.
fn decode_strings_arrow(raw: &[u8], rows: usize) -> Option<arrow::array::StringArray> {
    let mut c = Cursor::new(raw);
    let presence = presence(&mut c, rows)?;
    let bitmap = presence.as_deref();
    let present = |i: usize| bitmap.is_none_or(|b| bit(b, i));
    let n = (0..rows).filter(|&i| present(i)).count();
    let mut out = arrow::array::StringBuilder::with_capacity(rows, raw.len());
    fn fill<'a>(
        out: &mut arrow::array::StringBuilder,
        rows: usize,
        present: impl Fn(usize) -> bool,
        mut value: impl FnMut() -> Option<&'a str>,
    ) -> Option<()> {
        for i in 0..rows {
            if present(i) {
                out.append_value(value()?);
            } else {
                out.append_null();
            }
        }
        Some(())
    }
    match c.u8()? {
        0 => {
            // The values lie back to back after their lengths: one buffer, offsets over every
            // row (an absent row's value is empty and null), validated as UTF-8 in one pass.
            use arrow::buffer::{Buffer, OffsetBuffer};
            let mut offsets = Vec::with_capacity(rows + 1);
            let mut lens = Vec::with_capacity(n.min(c.remaining()));
            for _ in 0..n {
                lens.push(c.len(c.remaining())?);
            }
            let mut lens = lens.into_iter();
            let mut at = 0usize;
            offsets.push(0i32);
            for i in 0..rows {
                if present(i) {
                    at = at.checked_add(lens.next()?)?;
                }
                offsets.push(i32::try_from(at).ok()?);
            }
            let values = c.take(at)?;
            let nulls = nulls_of(bitmap, rows);
            let array = arrow::array::StringArray::try_new(
                OffsetBuffer::new(offsets.into()),
                Buffer::from_slice_ref(values),
                nulls,
            )
            .ok()?;
            return c.at_end().then_some(array);
        }
        1 => {
            let dict_len = c.len(c.remaining())?;
            let mut dict = Vec::with_capacity(dict_len);
            for _ in 0..dict_len {
                dict.push(c.str()?);
            }
            let last = dict_len.checked_sub(1);
            fill(&mut out, rows, present, || Some(dict[c.len(last?)?]))?;
        }
        _ => return None,
    }
    c.at_end().then(|| out.finish())
}

/// A dictionary-encoded string field chunk as an Arrow dictionary array; `Some(None)` when
/// the chunk holds its values plain.
fn decode_strings_dict(
    raw: &[u8],
    rows: usize,
) -> Option<Option<arrow::array::DictionaryArray<arrow::datatypes::UInt32Type>>> {
    let mut c = Cursor::new(raw);
    let presence = presence(&mut c, rows)?;
    let bitmap = presence.as_deref();
    if c.u8()? != 1 {
        return Some(None);
    }
    let dict_len = c.len(c.remaining())?;
    let mut values = arrow::array::StringBuilder::with_capacity(dict_len, 0);
    for _ in 0..dict_len {
        values.append_value(c.str()?);
    }
    let last = dict_len.checked_sub(1);
    let mut keys = vec![0u32; rows];
    let mut fill = |i: usize| -> Option<()> {
        keys[i] = c.len(last?)? as u32;
        Some(())
    };
    match bitmap {
        None => (0..rows).try_for_each(&mut fill)?,
        Some(b) => (0..rows).filter(|&i| bit(b, i)).try_for_each(&mut fill)?,
    }
    if !c.at_end() {
        return None;
    }
    let nulls = nulls_of(bitmap, rows);
    let keys = arrow::array::UInt32Array::new(keys.into(), nulls);
    arrow::array::DictionaryArray::try_new(keys, Arc::new(values.finish()))
        .ok()
        .map(Some)
}

/// A string field column's chunk read in place: which rows have a value, and the values
/// (plain, back to back; or a dictionary and a code per value).
pub(super) struct StringView<'a> {
    /// Row `i` has a value when bit `i` is set; every row when `None`.
    pub present: Option<Cow<'a, [u8]>>,
    pub values: StringValues<'a>,
}

pub(super) enum StringValues<'a> {
    /// The present values back to back, and where each starts (one more at the end).
    Plain(&'a str, Vec<usize>),
    /// The dictionary, and per present value its entry.
    Dict(Vec<&'a str>, Vec<usize>),
}

impl StringView<'_> {
    /// The row of each present value, in order.
    pub fn rows(&self, rows: usize) -> Vec<usize> {
        match self.present.as_deref() {
            None => (0..rows).collect(),
            Some(b) => (0..rows).filter(|&i| bit(b, i)).collect(),
        }
    }
}

/// A field chunk's presence header: `None` when every row has a value, else the bitmap (mode
/// 1), or (mode 2, format 4) the rows with a value as a count and gaps, made into a bitmap.
fn presence<'a>(c: &mut Cursor<'a>, rows: usize) -> Option<Option<Cow<'a, [u8]>>> {
    match c.u8()? {
        0 => Some(None),
        1 => Some(Some(Cow::Borrowed(c.take(rows.div_ceil(8))?))),
        2 => {
            let n = c.len(rows)?;
            let mut bitmap = vec![0u8; rows.div_ceil(8)];
            let mut next = 0usize;
            for _ in 0..n {
                let row = next.checked_add(c.len(rows)?)?;
                *bitmap.get_mut(row / 8).filter(|_| row < rows)? |= 1 << (row % 8);
                next = row + 1;
            }
            Some(Some(Cow::Owned(bitmap)))
        }
        _ => None,
    }
}

/// The Arrow nulls of a presence bitmap over `rows` rows (`None`: every row has a value).
fn nulls_of(bitmap: Option<&[u8]>, rows: usize) -> Option<arrow::buffer::NullBuffer> {
    use arrow::buffer::{BooleanBuffer, NullBuffer};
    bitmap.map(|b| NullBuffer::new(BooleanBuffer::new(b.to_vec().into(), 0, rows)))
}

/// Bit `i` of a little-endian bitmap.
fn bit(bitmap: &[u8], i: usize) -> bool {
    bitmap[i / 8] & (1 << (i % 8)) != 0
}

/// Reads a string column chunk without copying its values (see [`StringView`]).
pub(super) fn string_view(raw: &[u8], rows: usize) -> Option<StringView<'_>> {
    let mut c = Cursor::new(raw);
    let present = presence(&mut c, rows)?;
    let n = present
        .as_deref()
        .map_or(rows, |b| (0..rows).filter(|&i| bit(b, i)).count());
    let values = match c.u8()? {
        0 => {
            let (text, offsets) = packed_strs(&mut c, n)?;
            StringValues::Plain(text, offsets)
        }
        1 => {
            let dict_len = c.len(c.remaining())?;
            let mut dict = Vec::with_capacity(dict_len.min(c.remaining()));
            for _ in 0..dict_len {
                dict.push(c.str()?);
            }
            let last = dict_len.checked_sub(1);
            let mut codes = Vec::with_capacity(n.min(c.remaining()));
            for _ in 0..n {
                codes.push(c.len(last?)?);
            }
            StringValues::Dict(dict, codes)
        }
        _ => return None,
    };
    c.at_end().then_some(StringView { present, values })
}

/// `n` strings stored as their varint lengths then their bytes: the bytes as one checked
/// UTF-8 text, and where each value starts (one more offset at the end).
fn packed_strs<'a>(c: &mut Cursor<'a>, n: usize) -> Option<(&'a str, Vec<usize>)> {
    let offsets = c.offsets(n, c.remaining())?;
    let text = std::str::from_utf8(c.take(*offsets.last()?)?).ok()?;
    offsets
        .iter()
        .all(|&o| text.is_char_boundary(o))
        .then_some((text, offsets))
}

fn decode_strings(c: &mut Cursor<'_>, n: usize) -> Option<Vec<String>> {
    let mut out = Vec::with_capacity(n);
    match c.u8()? {
        0 => {
            let mut lens = Vec::with_capacity(n);
            for _ in 0..n {
                lens.push(c.len(c.remaining())?);
            }
            for len in lens {
                out.push(std::str::from_utf8(c.take(len)?).ok()?.to_owned());
            }
        }
        1 => {
            let dict_len = c.len(c.remaining())?;
            let mut dict = Vec::with_capacity(dict_len);
            for _ in 0..dict_len {
                dict.push(c.str()?);
            }
            for _ in 0..n {
                let id = c.len(dict_len.checked_sub(1)?)?;
                out.push(dict[id].to_owned());
            }
        }
        _ => return None,
    }
    Some(out)
}

fn get_chunkref(
    c: &mut Cursor<'_>,
    kind: Option<ColumnKind>,
    data_end: u64,
    version: u32,
) -> Option<ChunkRef> {
    let offset = c.uvarint()?;
    let len = c.uvarint()?;
    let raw_len = c.uvarint()?;
    let crc = c.u32()?;
    let present = c.uvarint()?;
    if offset < HEADER_LEN as u64
        || offset.checked_add(len)? > data_end
        || raw_len > MAX_CHUNK_RAW_BYTES as u64
    {
        return None;
    }
    let stats = match kind {
        Some(ColumnKind::Field(FieldType::Integer)) => {
            let (min, max) = (c.i64()?, c.i64()?);
            let counts = if version >= 3 {
                let n = c.len(super::INT_COUNTS_MAX)?;
                let mut counts = Vec::with_capacity(n);
                for _ in 0..n {
                    counts.push((c.ivarint()?, c.uvarint()?));
                }
                (n > 0).then_some(counts)
            } else {
                None
            };
            Stats::Int { min, max, counts }
        }
        Some(ColumnKind::Field(FieldType::Float)) => Stats::Float {
            min: c.f64()?,
            max: c.f64()?,
        },
        Some(ColumnKind::Field(FieldType::String)) => {
            let min = c.bytes()?.to_vec();
            let max = match c.u8()? {
                0 => None,
                1 => Some(c.bytes()?.to_vec()),
                _ => return None,
            };
            let bytes = if version >= 3 {
                let mut set = super::ByteSet::default();
                for word in &mut set.0 {
                    *word = c.u64()?;
                }
                Some(set)
            } else {
                None
            };
            Stats::Str { min, max, bytes }
        }
        _ => Stats::None,
    };
    Some(ChunkRef {
        offset,
        len,
        raw_len,
        crc,
        present,
        stats,
    })
}

/// Decodes a footer; `data_end` is where chunk data must end (the footer's own offset).
/// A format 4 footer's bytes: its raw length (at most [`MAX_FOOTER_RAW_BYTES`]), then a zstd
/// frame of exactly that many bytes.
fn unpack_footer(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut c = Cursor::new(bytes);
    let raw_len = c.len(MAX_FOOTER_RAW_BYTES)?;
    let packed = bytes.get(c.position()..)?;
    let raw = DECOMPRESSOR.with(|d| match &mut *d.borrow_mut() {
        Ok(d) => d.decompress(packed, raw_len).ok(),
        Err(_) => None,
    })?;
    (raw.len() == raw_len).then_some(raw)
}

pub(crate) fn decode_footer(bytes: &[u8], data_end: u64, version: u32) -> Option<Footer> {
    let mut c = Cursor::new(bytes);
    let rows = c.u64()?;
    let min_ts = c.i64()?;
    let max_ts = c.i64()?;
    let fields_complete = match c.u8()? {
        0 => false,
        1 => true,
        _ => return None,
    };
    let n = c.len(c.remaining())?;
    let mut streams = Vec::with_capacity(n);
    for _ in 0..n {
        streams.push(c.str()?.to_owned());
    }
    let n = c.len(c.remaining())?;
    let mut columns = Vec::with_capacity(n);
    for _ in 0..n {
        let name = c.str()?.to_owned();
        let kind = ColumnKind::from_code(c.u8()?)?;
        columns.push(ColumnDesc { name, kind });
    }
    let system = [
        (COL_TIMESTAMP, ColumnKind::Timestamp),
        (COL_INGESTION, ColumnKind::Ingestion),
        (COL_STREAM, ColumnKind::Stream),
        (COL_MESSAGE, ColumnKind::Message),
    ];
    if columns.len() < SYSTEM_COLUMNS
        || system.iter().any(|&(i, k)| columns[i].kind != k)
        || columns[SYSTEM_COLUMNS..]
            .iter()
            .any(|c| !matches!(c.kind, ColumnKind::Field(_)))
    {
        return None;
    }
    // Each block takes at least 18 bytes plus one per column: that bounds the allocation.
    let n = c.len(c.remaining() / (18 + columns.len()))?;
    let mut blocks = Vec::with_capacity(n);
    let mut total = 0u64;
    for _ in 0..n {
        let block_rows = u32::try_from(c.uvarint()?).ok()?;
        let bmin = c.i64()?;
        let bmax = c.i64()?;
        let message_bytes = if version >= 2 {
            Some(c.uvarint()?)
        } else {
            None
        };
        let bloom = get_chunkref(&mut c, None, data_end, version)?;
        let mut chunks = Vec::with_capacity(columns.len());
        for col in &columns {
            chunks.push(match c.u8()? {
                0 => None,
                1 => Some(get_chunkref(&mut c, Some(col.kind), data_end, version)?),
                _ => return None,
            });
        }
        if bmin > bmax
            || block_rows == 0
            || block_rows as usize > MAX_BLOCK_ROWS
            || chunks[..SYSTEM_COLUMNS].iter().any(Option::is_none)
            || chunks
                .iter()
                .flatten()
                .any(|ch| ch.present > u64::from(block_rows))
        {
            return None;
        }
        total += u64::from(block_rows);
        blocks.push(BlockMeta {
            rows: block_rows,
            min_ts: bmin,
            max_ts: bmax,
            message_bytes,
            bloom,
            chunks,
        });
    }
    if !c.at_end() || total != rows {
        return None;
    }
    Some(Footer {
        rows,
        min_ts,
        max_ts,
        fields_complete,
        streams,
        columns,
        blocks,
    })
}

/// A block's `@message` chunk, parsed (see [`Segment::parse_messages`]).
pub(super) struct MessageChunk<'a> {
    /// Per row: 0 for a raw message, `1..=json.len()` for a JSON template, then the text
    /// templates.
    pub codes: Vec<usize>,
    /// JSON templates: the pieces around the slots, and each slot's field name.
    pub json: Vec<(Vec<&'a str>, Vec<&'a str>)>,
    /// Text templates: the pieces around the slots.
    pub text: Vec<Vec<&'a str>>,
    /// The raw messages, in row order.
    pub raws: Vec<&'a str>,
    /// The raw messages back to back (each of `raws` is a slice of it).
    pub raw_bytes: &'a [u8],
    /// Per text template: how many rows use it.
    pub text_rows: Vec<usize>,
    /// The encoded slot values, until [`MessageChunk::decode_slots`].
    slots: Cursor<'a>,
    /// Per text template, per slot: the values of the template's rows in row order (after
    /// [`MessageChunk::decode_slots`]).
    pub text_vars: Vec<Vec<Slot<'a>>>,
}

impl<'a> MessageChunk<'a> {
    /// Decodes the text templates' slot values, as much of each as `need(template, slot)`
    /// asks (the rest is skipped over). `None` when the bytes are corrupt.
    /// `times` gives the block's timestamps, asked for once if a slot needed is a part of
    /// them (format 4).
    pub fn decode_slots(
        &mut self,
        need: impl Fn(usize, usize) -> SlotNeed,
        times: impl FnOnce() -> Option<Vec<i64>>,
    ) -> Option<()> {
        let mut times = Some(times);
        // Per text template, the timestamps of its rows.
        let mut template_times: Vec<Vec<i64>> = Vec::new();
        let mut text_vars = Vec::with_capacity(self.text.len());
        for (t, pieces) in self.text.iter().enumerate() {
            let mut slots = Vec::with_capacity(pieces.len() - 1);
            for j in 1..pieces.len() {
                let n = self.text_rows[t];
                let need = need(t, j - 1);
                let is_time = self.slots.buf.get(self.slots.pos) == Some(&SLOT_TIME_PART);
                if is_time && need == SlotNeed::All && template_times.is_empty() {
                    let all = (times.take()?)()?;
                    if all.len() != self.codes.len() {
                        return None;
                    }
                    template_times = vec![Vec::new(); self.text.len()];
                    let first_text = 1 + self.json.len();
                    for (&code, &time) in self.codes.iter().zip(&all) {
                        if let Some(k) = code.checked_sub(first_text) {
                            template_times[k].push(time);
                        }
                    }
                }
                let times = template_times.get(t).map_or(&[][..], Vec::as_slice);
                slots.push(Slot::decode(&mut self.slots, n, need, times)?);
            }
            text_vars.push(slots);
        }
        self.text_vars = text_vars;
        self.slots.at_end().then_some(())
    }
}

/// How much of a text-template slot a reader needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SlotNeed {
    /// Nothing: skip it.
    Nothing,
    /// Its values if they are text; numbers skipped.
    Text,
    /// Its values, whatever they are.
    All,
}

/// The values of one text-template slot, decoded without a string per value.
pub(super) enum Slot<'a> {
    Ints(Vec<i64>),
    /// Zero-padded to a width.
    Padded(usize, Vec<i64>),
    /// The values' bytes back to back, and where each starts (one more offset at the end).
    Strs(&'a str, Vec<usize>),
    /// The distinct values as [`Slot::Strs`] holds values, then each value's index among them.
    Dict(&'a str, Vec<usize>, Vec<u32>),
    /// Numbers a reader chose not to decode (see [`MessageChunk::decode_slots`]).
    Skipped,
    /// Text values still packed: `n` varint lengths, then the bytes (searched as a whole;
    /// see [`Slot::offsets`]).
    Packed {
        n: usize,
        lens: &'a [u8],
        bytes: &'a [u8],
    },
}

impl<'a> Slot<'a> {
    /// The inverse of `template::encode_slot` for `n` values; numbers only when `numbers`
    /// (else they are skipped over, which is much cheaper).
    fn decode(c: &mut Cursor<'a>, n: usize, need: SlotNeed, times: &[i64]) -> Option<Slot<'a>> {
        let cap = n.min(c.remaining());
        Some(match c.u8()? {
            SLOT_TIME_PART => {
                let (part, width) = (c.u8()?, usize::from(c.u8()?));
                if part >= TIME_PARTS || width > 18 {
                    return None;
                }
                if need != SlotNeed::All {
                    return Some(Slot::Skipped);
                }
                let times = times.get(..n).filter(|t| t.len() == n)?;
                Slot::numbers(width, n, times.iter().map(|&t| time_part(part, t)))?
            }
            mode @ (0 | 1 | SLOT_PLAIN_INTS) => {
                let width = if mode != 0 {
                    let width = usize::from(c.u8()?);
                    if width > 18 || (mode == 1 && width == 0) {
                        return None;
                    }
                    width
                } else {
                    0
                };
                if need != SlotNeed::All {
                    c.skip_varints(n)?;
                    return Some(Slot::Skipped);
                }
                let mut prev = 0i64;
                let delta = i64::from(mode != SLOT_PLAIN_INTS);
                let values = (0..n).map(|_| {
                    // Plain values: each added to 0.
                    prev = (prev & -delta).wrapping_add(c.ivarint()?);
                    Some(prev)
                });
                Slot::numbers(width, cap, values)?
            }
            2 if need != SlotNeed::All => {
                let start = c.position();
                let total = usize::try_from(c.sum_varints(n)?).ok()?;
                let lens = c.buf.get(start..c.position())?;
                let bytes = c.take(total)?;
                if need == SlotNeed::Nothing {
                    Slot::Skipped
                } else {
                    Slot::Packed { n, lens, bytes }
                }
            }
            2 => {
                let (text, offsets) = packed_strs(c, n)?;
                Slot::Strs(text, offsets)
            }
            SLOT_DICT => {
                let distinct = c.len(n)?;
                let (text, offsets) = packed_strs(c, distinct)?;
                let mut ids = Vec::with_capacity(cap);
                let last = distinct.checked_sub(1);
                for _ in 0..n {
                    ids.push(c.len(last?)? as u32);
                }
                if need == SlotNeed::Nothing {
                    return Some(Slot::Skipped);
                }
                Slot::Dict(text, offsets, ids)
            }
            _ => return None,
        })
    }

    /// A numeric slot of `values` (`None` where one does not decode), zero-padded to `width`
    /// digits unless 0; `None` if a value does not decode or does not fit the width.
    fn numbers(
        width: usize,
        cap: usize,
        values: impl Iterator<Item = Option<i64>>,
    ) -> Option<Slot<'a>> {
        let bound = 10i64.pow(width as u32);
        let mut out = Vec::with_capacity(cap);
        for v in values {
            let v = v?;
            if width > 0 && !(0..bound).contains(&v) {
                return None;
            }
            out.push(v);
        }
        Some(if width > 0 {
            Slot::Padded(width, out)
        } else {
            Slot::Ints(out)
        })
    }

    /// Where each of `n` packed values starts in their bytes (one more offset at the end).
    pub(super) fn offsets(n: usize, lens: &[u8]) -> Option<Vec<usize>> {
        Cursor::new(lens).offsets(n, usize::MAX)
    }

    /// The `k`-th value of a string slot.
    pub(super) fn str_at(bytes: &'a str, offsets: &[usize], k: usize) -> Option<&'a str> {
        bytes.get(*offsets.get(k)?..*offsets.get(k + 1)?)
    }

    /// Calls `f` with the text of the slot's `k`-th value as the message renders it; `None`
    /// for a slot left undecoded.
    pub(super) fn with_text<R>(&self, k: usize, f: impl FnOnce(&str) -> R) -> Option<R> {
        match self {
            Slot::Ints(v) => Some(f(itoa::Buffer::new().format(*v.get(k)?))),
            Slot::Padded(width, v) => {
                // Decoding checked `0 <= value < 10^width` (width <= 18): pad with zeros.
                let mut b = itoa::Buffer::new();
                let digits = b.format(*v.get(k)?).as_bytes();
                let mut padded = [b'0'; 24];
                let width = (*width).clamp(digits.len(), padded.len());
                padded[width - digits.len()..width].copy_from_slice(digits);
                std::str::from_utf8(&padded[..width]).ok().map(f)
            }
            Slot::Strs(bytes, offsets) => Some(f(Slot::str_at(bytes, offsets, k)?)),
            Slot::Dict(bytes, offsets, ids) => {
                Some(f(Slot::str_at(bytes, offsets, *ids.get(k)? as usize)?))
            }
            Slot::Skipped | Slot::Packed { .. } => None,
        }
    }

    pub(super) fn push(&self, out: &mut String, k: usize) -> Option<()> {
        self.with_text(k, |v| out.push_str(v))
    }
}
