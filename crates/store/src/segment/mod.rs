//! Segment files: immutable, columnar, zstd-compressed, read through mmap.
//!
//! A segment holds the events of one log group sealed from its write-ahead log (or merged by
//! compaction), sorted by `@timestamp` (ties keep arrival order) and cut into blocks of at most
//! [`WriteConfig::block_rows`] rows.
//!
//! ```text
//! file    := MAGIC:8 VERSION:u32le chunk* footer footer_len:u32le crc32(footer):u32le MAGIC:8
//! chunk   := zstd(column payload or bloom)      -- located, sized and checksummed by the footer
//! footer  := rows:u64 min_ts:i64 max_ts:i64 flags:u8
//!            n:uv stream_name:bytes{n}           -- the stream dictionary
//!            n:uv (name:bytes kind:u8){n}        -- columns: the 4 system columns, then fields
//!            n:uv block{n}
//! block   := rows:uv min_ts:i64 max_ts:i64 message_bytes:uv bloom:chunkref
//!            (present:u8 chunkref?){columns}   -- v1 has no message_bytes
//! chunkref:= offset:uv len:uv raw_len:uv crc32:u32le present:uv stats
//! stats   := integer: min:i64 max:i64 n:uv (value:zigzag-uv count:uv){n} | float: min:f64 max:f64
//!          | string: min:bytes has_max:u8 max:bytes? byteset:u64le{4} | otherwise nothing
//! ```
//!
//! (v1 and v2 string stats have no `byteset`: the 256-bit set of the byte values the chunk's
//! strings hold, which lets a substring search skip a column whose values lack a byte of the
//! needle without decompressing it; nor integer `n` and counts: the distinct values of a chunk
//! of at most 16 (else `n` = 0) with the rows holding each, which lets a scan count the rows a
//! predicate keeps without decompressing the chunk.)
//!
//! (`uv` is an unsigned LEB128 varint, `bytes` a `uv` length then the bytes.) Column payloads,
//! before zstd: `@timestamp` as zigzag varint deltas from the block's `min_ts` then from the
//! previous row; `@ingestionTime` as zigzag varint deltas from the previous row; the stream as
//! varint indexes into the stream dictionary. `@message` is a mode byte, then either (mode 0)
//! varint lengths and the bytes, or (mode 1): a dictionary of JSON templates (the text around
//! the leaf values, and the field name of each slot); a dictionary of text templates (the text
//! around the *variables*, words holding a digit: the CLP idea); a varint code per row (0 raw,
//! then the JSON templates, then the text templates); the raw messages' lengths and bytes; and
//! per text template and slot, a column of that slot's values (canonical integers as zigzag
//! varint deltas, zero-padded integers of one width likewise, else text; from v4, a slot whose
//! every value is one part of its row's `@timestamp` (the year, the minute, the millisecond,
//! epoch seconds...: a timestamp the message prints) stores the part's code and no values,
//! numbers that repeat are stored as they are rather than as deltas, and text that repeats as
//! a dictionary of its distinct values and an id per value). Since v4 a variable is also an
//! IPv4 address whole, and the text between double quotes when it holds a letter and a space
//! or a slash (a request line, a URL, a user agent). A JSON-templated
//! message is rendered from the block's field columns, and the writer uses a JSON template
//! only when that rendering gives the message back byte for byte; text templates partition the
//! message exactly. So `@message` is always byte-exact (see the `template` module).
//!
//! A discovered field column holds the values of one field *of one type*; a field seen as two
//! types has two columns. Its payload is a presence byte (0: every row has a value, 1: a bitmap
//! of rows follows, 2 (v4): the number of rows with a value and the gap before each, where that
//! is shorter than the bitmap) and the present values: integers as zigzag varint deltas; floats as scaled
//! decimal integers (mode 1, a scale byte, zigzag varint deltas) when every value round-trips
//! that way, else 8 raw bytes each (mode 0); booleans as a bitmap; strings plain (mode 0:
//! lengths then bytes) or, where it pays, as a dictionary (mode 1). The bloom chunk is the
//! block's trigram filter over `@message` (see `bloom`): from v4 its size in bits (`u32le`, a
//! multiple of 64) then the bits; before, `log2(bits)` then the bits.
//!
//! A discovered number is typed integer or float only when printing the value gives back the
//! text discovery produced; otherwise it is a string, so a field's text always round-trips.
//! (Discovery reads JSON with `serde_json`, which normalises `1.50` to `1.5`: such a message
//! does not re-render and is stored raw.)
//!
//! Readers check the magic, version and footer checksum, bound every count by the bytes that
//! remain, check every chunk lies inside the file and its checksum before decompressing into a
//! buffer of the recorded (bounded) size: a corrupt segment is an error naming the file.

pub(crate) mod bloom;
pub(crate) mod codec;
mod read;
mod search;
mod template;
#[cfg(test)]
pub(crate) mod tests;
mod write;

pub use read::{ColumnData, Segment};
pub use search::Holds;
pub(crate) use write::{
    Assembler, BlockEncoding, RowRef, encode_block_alone, encode_rows, recycle,
    write_segment_unlinked,
};
pub use write::{SegmentRow, WriteConfig, encode_segment, recompress, write_segment};

pub(crate) const MAGIC: &[u8; 8] = b"LOUPESEG";
/// The version this build writes. Readers also accept [`FORMAT_V1`] (blocks without
/// `message_bytes`), version 2 (string chunks without the byte set of their values) and
/// version 3 (token filters of a power of two of bits; no text slot stored as a part of the
/// timestamps).
pub const FORMAT_VERSION: u32 = 4;
pub const FORMAT_V1: u32 = 1;
pub(crate) const HEADER_LEN: usize = 12;
pub(crate) const TAIL_LEN: usize = 16;
/// No column chunk decompresses to more than this; a bigger recorded size is corruption.
pub const MAX_CHUNK_RAW_BYTES: usize = 64 << 20;
/// No footer decompresses to more than this (format 4 footers are compressed).
pub const MAX_FOOTER_RAW_BYTES: usize = 64 << 20;
/// No block has more rows than this.
pub const MAX_BLOCK_ROWS: usize = 1 << 20;
/// The system columns every segment starts with, in this order.
pub(crate) const SYSTEM_COLUMNS: usize = 4;
pub(crate) const COL_TIMESTAMP: usize = 0;
pub(crate) const COL_INGESTION: usize = 1;
pub(crate) const COL_STREAM: usize = 2;
pub(crate) const COL_MESSAGE: usize = 3;

/// The type of a discovered field's values in one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldType {
    Integer,
    Float,
    Boolean,
    String,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Integer => "integer",
            FieldType::Float => "float",
            FieldType::Boolean => "boolean",
            FieldType::String => "string",
        }
    }
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnKind {
    Timestamp,
    Ingestion,
    Stream,
    Message,
    Field(FieldType),
}

impl ColumnKind {
    pub(crate) fn code(self) -> u8 {
        match self {
            ColumnKind::Timestamp => 1,
            ColumnKind::Ingestion => 2,
            ColumnKind::Stream => 3,
            ColumnKind::Message => 4,
            ColumnKind::Field(FieldType::Integer) => 10,
            ColumnKind::Field(FieldType::Float) => 11,
            ColumnKind::Field(FieldType::Boolean) => 12,
            ColumnKind::Field(FieldType::String) => 13,
        }
    }

    pub(crate) fn from_code(c: u8) -> Option<ColumnKind> {
        Some(match c {
            1 => ColumnKind::Timestamp,
            2 => ColumnKind::Ingestion,
            3 => ColumnKind::Stream,
            4 => ColumnKind::Message,
            10 => ColumnKind::Field(FieldType::Integer),
            11 => ColumnKind::Field(FieldType::Float),
            12 => ColumnKind::Field(FieldType::Boolean),
            13 => ColumnKind::Field(FieldType::String),
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDesc {
    pub name: String,
    pub kind: ColumnKind,
}

/// Per-chunk statistics, used to skip blocks for field predicates.
#[derive(Debug, Clone, PartialEq)]
pub enum Stats {
    None,
    /// `counts`: for a chunk of at most [`INT_COUNTS_MAX`] distinct values (format 3 on),
    /// each value with the number of rows holding it, ascending by value: a count of rows
    /// passing a predicate on the column needs no decoding.
    Int {
        min: i64,
        max: i64,
        counts: Option<Vec<(i64, u64)>>,
    },
    Float {
        min: f64,
        max: f64,
    },
    /// `min` is a prefix of the true minimum (so a lower bound); `max` is absent when the true
    /// maximum was too long to keep. `bytes`: every byte value the chunk's strings hold
    /// (format 3 on), so a search for text with another byte skips the chunk undecoded.
    Str {
        min: Vec<u8>,
        max: Option<Vec<u8>>,
        bytes: Option<ByteSet>,
    },
}

/// The most distinct values an integer chunk lists with their counts.
pub const INT_COUNTS_MAX: usize = 16;

/// A set of byte values (256 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ByteSet(pub [u64; 4]);

impl ByteSet {
    /// The bytes of all of `texts`.
    pub fn of<'a>(texts: impl IntoIterator<Item = &'a [u8]>) -> ByteSet {
        // Byte counts first (no branch per byte), then the set.
        let mut seen = [false; 256];
        for text in texts {
            for &b in text {
                seen[usize::from(b)] = true;
            }
        }
        let mut set = ByteSet::default();
        for (b, _) in seen.iter().enumerate().filter(|(_, s)| **s) {
            set.0[b / 64] |= 1 << (b % 64);
        }
        set
    }

    pub fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b / 64)] & (1 << (b % 64)) != 0
    }

    /// Whether every byte of `text` is in the set (a string of the chunk can hold `text` only
    /// then).
    pub fn holds_all(&self, text: &[u8]) -> bool {
        text.iter().all(|&b| self.contains(b))
    }
}

/// Where a chunk lives and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkRef {
    pub offset: u64,
    pub len: u64,
    pub raw_len: u64,
    pub crc: u32,
    /// Rows of the block with a value in this column.
    pub present: u64,
    pub stats: Stats,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BlockMeta {
    pub rows: u32,
    pub min_ts: i64,
    pub max_ts: i64,
    /// Total bytes of the block's messages (what a scan counts as `bytesScanned` without
    /// decoding them); `None` in version 1 files.
    pub message_bytes: Option<u64>,
    pub bloom: ChunkRef,
    /// One entry per column of the segment; `None` where no row of the block has a value.
    pub chunks: Vec<Option<ChunkRef>>,
}

/// A segment's footer: everything needed to plan a read without touching the data.
#[derive(Debug, Clone, PartialEq)]
pub struct Footer {
    pub rows: u64,
    pub min_ts: i64,
    pub max_ts: i64,
    /// False when the writer hit its cap on distinct field names: a field missing from
    /// `columns` may then still be in some messages, and readers must discover it themselves.
    pub fields_complete: bool,
    pub streams: Vec<String>,
    pub columns: Vec<ColumnDesc>,
    pub blocks: Vec<BlockMeta>,
}

impl Footer {
    /// The one column holding field `name`, with its type; `None` when the field has no
    /// column or columns of several types.
    pub fn sole_field_column(&self, name: &str) -> Option<(usize, FieldType)> {
        let mut columns = self.field_columns(name);
        let first = columns.next()?;
        columns.next().is_none().then_some(first)
    }

    /// Column indexes holding field `name`, with their types.
    pub fn field_columns<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (usize, FieldType)> + 'a {
        self.columns
            .iter()
            .enumerate()
            .skip(SYSTEM_COLUMNS)
            .filter_map(move |(i, c)| match c.kind {
                ColumnKind::Field(t) if c.name == name => Some((i, t)),
                _ => None,
            })
    }
}

/// A discovered value after typing: what a field column stores.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
}

impl Value {
    pub fn field_type(&self) -> FieldType {
        match self {
            Value::Int(_) => FieldType::Integer,
            Value::Float(_) => FieldType::Float,
            Value::Bool(_) => FieldType::Boolean,
            Value::Str(_) => FieldType::String,
        }
    }

    /// Types a discovered leaf; numbers keep a numeric type only when it reproduces their text.
    pub fn from_leaf(leaf: crate::discover::Leaf<'_>) -> Value {
        use crate::discover::Leaf;
        match leaf {
            Leaf::Bool(b) => Value::Bool(b),
            Leaf::Str(s) => Value::Str(s.to_owned()),
            Leaf::Num(s) => {
                match quick_number(s) {
                    Some(QuickNum::Int(i)) => return Value::Int(i),
                    Some(QuickNum::Float { value, .. }) => return Value::Float(value),
                    None => {}
                }
                if let Ok(i) = s.parse::<i64>()
                    && displays_as(&i, s)
                {
                    return Value::Int(i);
                }
                if let Ok(f) = s.parse::<f64>()
                    && f.is_finite()
                    && displays_as(&f, s)
                {
                    return Value::Float(f);
                }
                Value::Str(s.to_owned())
            }
        }
    }

    /// The value's original text.
    pub fn to_text(&self) -> String {
        match self {
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format_float(*f),
            Value::Bool(b) => b.to_string(),
            Value::Str(s) => s.clone(),
        }
    }
}

/// A number typed from its text alone (see [`quick_number`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum QuickNum {
    Int(i64),
    /// `places`: digits after the point, as the value prints.
    Float {
        value: f64,
        places: u32,
    },
}

/// Types number text without printing the value back, where the answer is certain: a canonical
/// integer (`-?(0|[1-9][0-9]*)`, not `-0`, within `i64`: [`canonical_int`]) is an integer; a decimal
/// `-?(0|[1-9][0-9]*)\.[0-9]*[1-9]` of at most 15 digits is a float that prints as its text
/// (decimals of at most 15 significant digits are distinct as `f64`s, so the shortest form
/// that reads back as the value is the text itself). `None`: decide by printing
/// ([`displays_as`]). This runs for every numeric value at ingest.
pub(crate) fn quick_number(text: &str) -> Option<QuickNum> {
    let b = text.as_bytes();
    if let Some(i) = canonical_int(b) {
        return Some(QuickNum::Int(i));
    }
    let neg = b.first() == Some(&b'-');
    let digits = &b[usize::from(neg)..];
    let int_len = digits
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let int = &digits[..int_len];
    if int.is_empty() || (int.len() > 1 && int[0] == b'0') {
        return None;
    }
    if int_len == digits.len() {
        // Not canonical (checked above): prints differently, or does not fit.
        return None;
    }
    if digits[int_len] != b'.' {
        return None;
    }
    let frac = &digits[int_len + 1..];
    if frac.is_empty()
        || frac.last() == Some(&b'0')
        || !frac.iter().all(u8::is_ascii_digit)
        || int.len() + frac.len() > 15
    {
        return None;
    }
    let value = text.parse::<f64>().ok()?;
    Some(QuickNum::Float {
        value,
        places: frac.len() as u32,
    })
}

/// The integer whose printed form is exactly `text` (`-?(0|[1-9][0-9]*)`, not `-0`, within
/// `i64`): what `text.parse::<i64>()` followed by [`displays_as`] accepts, without printing.
/// Runs for every text template slot value and JSON number at ingest.
#[inline]
pub(crate) fn canonical_int(text: &[u8]) -> Option<i64> {
    let (neg, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    match digits {
        [] => return None,
        [_] => {}
        [b'0', ..] => return None,
        _ if digits.len() > 19 => return None,
        _ => {}
    }
    // At most 19 digits: below 10^19 < 2^64, no overflow.
    let mut v = 0u64;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u64::from(d);
    }
    if neg {
        // `-0` prints as `0`; `i64::MIN` is the one magnitude above `i64::MAX`.
        match v {
            0 => None,
            v if v <= i64::MAX as u64 => Some(-(v as i64)),
            v if v == i64::MAX as u64 + 1 => Some(i64::MIN),
            _ => None,
        }
    } else {
        i64::try_from(v).ok()
    }
}

/// Whether `v` prints exactly as `text`, compared as it prints: no allocation (this runs for
/// every numeric leaf at ingest).
pub(crate) fn displays_as(v: &impl std::fmt::Display, text: &str) -> bool {
    struct Cmp<'a> {
        rest: &'a [u8],
    }
    impl std::fmt::Write for Cmp<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            match self.rest.strip_prefix(s.as_bytes()) {
                Some(rest) => {
                    self.rest = rest;
                    Ok(())
                }
                None => Err(std::fmt::Error),
            }
        }
    }
    let mut cmp = Cmp {
        rest: text.as_bytes(),
    };
    std::fmt::write(&mut cmp, format_args!("{v}")).is_ok() && cmp.rest.is_empty()
}

/// Floats print as Rust's shortest round-trip form (`0.1`, `2.5`, `-3.75`).
pub fn format_float(f: f64) -> String {
    format!("{f}")
}
