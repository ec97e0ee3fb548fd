//! Which rows of a block may hold a substring in `@message`, decided from the stored pieces of
//! the messages instead of rendering them (the CLP idea applied to search).
//!
//! A templated message is `p0 v1 p1 v2 ... vk pk`: constant pieces `p` around slot values `v`
//! (text-template variables, or JSON leaf values taken from the field columns). An occurrence
//! of a needle `n` in it either lies inside one piece or one value, or crosses at least one
//! border between a piece and a value. Take the first border it crosses:
//!
//! - the border *before* `vj`: the occurrence starts inside `p(j-1)`, so `n[..s]` ends
//!   `p(j-1)` for some split `1 <= s < |n|`, and `vj` must agree with `n[s..]` from its start;
//! - the border *after* `vj`: it starts inside `vj`, so `vj` ends with `n[..s]`, and `pj` must
//!   agree with `n[s..]` from its start.
//!
//! The splits that fit the pieces depend only on the template, so they are worked out once
//! per template; each row then needs a few comparisons on its short slot values. A template
//! whose pieces hold the needle matches on every row. The test is exact as a *necessary*
//! condition and assumes nothing about how the writer split messages (it holds for any
//! pieces and values): rows it rules out cannot contain the needle, rows it keeps may. Raw
//! messages are searched directly.
//!
//! Most of the work is one substring search over the bytes of a block's string values back
//! to back (raw messages, string slots, string field columns), as `grep` would do it, then a
//! few rows checked; number values are only looked at when the needle could meet one.

use memchr::memmem::Finder;

use super::read::{Slot, SlotNeed, StringValues, StringView, string_view};
use super::{ColumnData, FieldType, Segment, Stats};
use crate::error::Result;
use std::collections::HashMap;

/// Whether a message holds a needle, as far as its stored pieces tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Holds {
    No,
    /// Only rendering the message tells.
    Maybe,
    Yes,
}

/// Raises `h` to `to` (never lowers it).
fn raise(h: &mut Holds, to: Holds) {
    *h = (*h).max(to);
}

/// How a needle can occur in the messages of one template.
enum TemplateMatch {
    /// A piece holds the needle: every row of the template does.
    Every,
    /// Only through slot values: per slot, what its value must satisfy.
    Slots(Vec<SlotCheck>),
}

/// The ways an occurrence can involve one slot's value `v` besides lying inside it.
struct SlotCheck {
    /// Splits `s` where `n[..s]` ends the piece before the slot: `v` must agree with `n[s..]`.
    before: Vec<usize>,
    /// Splits `s` where the piece after the slot agrees with `n[s..]`: `v` must end with
    /// `n[..s]`.
    after: Vec<usize>,
}

impl SlotCheck {
    fn has_splits(&self) -> bool {
        !self.before.is_empty() || !self.after.is_empty()
    }
}

/// Bytes a number's text can hold (integers; floats as Rust prints them: no exponent, `NaN`,
/// `inf`); booleans are checked one by one.
fn numeric_byte(b: u8) -> bool {
    matches!(
        b,
        b'0'..=b'9' | b'-' | b'.' | b'N' | b'a' | b'i' | b'n' | b'f'
    )
}

/// One needle, prepared.
struct Needle<'n> {
    bytes: &'n [u8],
    finder: Finder<'n>,
}

impl Needle<'_> {
    fn within(&self, hay: &[u8]) -> bool {
        hay.len() >= self.bytes.len() && self.finder.find(hay).is_some()
    }

    fn plan(&self, pieces: &[&str]) -> TemplateMatch {
        if pieces.iter().any(|p| self.within(p.as_bytes())) {
            return TemplateMatch::Every;
        }
        let n = self.bytes;
        let last = pieces.len().saturating_sub(2);
        let checks = pieces
            .windows(2)
            .enumerate()
            .map(|(j, w)| {
                let (prev, next) = (w[0].as_bytes(), w[1].as_bytes());
                SlotCheck {
                    // (The one-byte tests first: most splits fail on them, cheaply.)
                    before: (1..n.len())
                        .filter(|&s| prev.last() == Some(&n[s - 1]) && prev.ends_with(&n[..s]))
                        .collect(),
                    // Nothing follows the last piece: it must hold the rest of the needle.
                    after: (1..n.len())
                        .filter(|&s| {
                            if next.first().is_some_and(|b| *b != n[s]) {
                                return false;
                            }
                            if j == last {
                                next.starts_with(&n[s..])
                            } else {
                                agree(next, &n[s..])
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        TemplateMatch::Slots(checks)
    }

    /// Whether a number's text could take part in an occurrence this way.
    fn number_may_match(&self, check: &SlotCheck) -> bool {
        let n = self.bytes;
        n.iter().all(|&b| numeric_byte(b))
            || check.before.iter().any(|&s| numeric_byte(n[s]))
            || check.after.iter().any(|&s| numeric_byte(n[s - 1]))
    }

    /// Whether value `v` may take part in an occurrence through the check's splits.
    fn splits_may_match(&self, check: &SlotCheck, v: &[u8]) -> bool {
        check.before.iter().any(|&s| agree(v, &self.bytes[s..]))
            || check.after.iter().any(|&s| v.ends_with(&self.bytes[..s]))
    }

    /// The values holding the needle, among `count` values lying back to back in `hay`, the
    /// `k`-th from `bound(k)` to `bound(k + 1)`: one search over the bytes, not one per value.
    fn values_holding(
        &self,
        hay: &[u8],
        count: usize,
        bound: impl Fn(usize) -> usize,
        mut hit: impl FnMut(usize),
    ) {
        let mut pos = bound(0);
        let end = bound(count).min(hay.len());
        while pos < end {
            let Some(at) = self.finder.find(&hay[pos..end]).map(|i| pos + i) else {
                return;
            };
            // The value the match starts in: the last whose start is at or before it.
            let (mut lo, mut hi) = (0, count);
            while lo + 1 < hi {
                let mid = (lo + hi) / 2;
                if bound(mid) <= at { lo = mid } else { hi = mid }
            }
            let value_end = bound(lo + 1);
            if at + self.bytes.len() <= value_end {
                hit(lo);
            }
            // One hit per value is enough; a match across two values is none, but a real
            // one may start later inside the first: go on from the next value either way,
            // after checking the rest of this one.
            if at + self.bytes.len() > value_end && self.within(&hay[at + 1..value_end]) {
                hit(lo);
            }
            pos = value_end.max(at + 1);
        }
    }
}

/// Whether `a` and `b` agree on their common length (one starts with the other).
fn agree(a: &[u8], b: &[u8]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// A field column of one block as [`Segment::load_fields`] loads it.
pub(super) enum LoadedColumn {
    /// A string column's decompressed chunk, read in place through [`string_view`].
    Strings(Vec<u8>),
    Other(ColumnData),
}

/// Per field name, its columns (one per stored type) ready to read values from: string
/// columns in place in their chunks. `None` when a string chunk is corrupt.
pub(super) fn field_columns<'a, 'n>(
    loaded: &'a [(&'n str, LoadedColumn)],
    rows: usize,
) -> Option<HashMap<&'n str, Vec<FieldColumn<'a>>>> {
    let mut out: HashMap<&'n str, Vec<FieldColumn<'a>>> = HashMap::new();
    for (name, col) in loaded {
        let col = match col {
            LoadedColumn::Strings(chunk) => FieldColumn::strings(string_view(chunk, rows)?, rows),
            LoadedColumn::Other(data) => FieldColumn::Other(data),
        };
        out.entry(name).or_default().push(col);
    }
    Some(out)
}

/// One column of a field in one block: a string column read in place, other types decoded.
pub(super) enum FieldColumn<'a> {
    Strs {
        view: StringView<'a>,
        /// The row of each value, and each row's value (`usize::MAX`: none).
        value_rows: Vec<usize>,
        value_of_row: Vec<usize>,
    },
    Other(&'a ColumnData),
}

impl<'a> FieldColumn<'a> {
    fn strings(view: StringView<'a>, rows: usize) -> Self {
        let value_rows = view.rows(rows);
        let mut value_of_row = vec![usize::MAX; rows];
        for (k, &r) in value_rows.iter().enumerate() {
            value_of_row[r] = k;
        }
        FieldColumn::Strs {
            view,
            value_rows,
            value_of_row,
        }
    }
}

/// Calls `f` with the text a JSON template renders for the value at `row` of `col`, if the
/// column has one there.
pub(super) fn column_text<R>(
    col: &FieldColumn<'_>,
    row: usize,
    f: impl FnOnce(&str) -> R,
) -> Option<R> {
    let col = match col {
        FieldColumn::Strs {
            view, value_of_row, ..
        } => {
            let k = *value_of_row.get(row)?;
            let v: &str = match &view.values {
                StringValues::Plain(text, offsets) => {
                    text.get(*offsets.get(k)?..*offsets.get(k + 1)?)?
                }
                StringValues::Dict(dict, codes) => dict.get(*codes.get(k)?)?,
            };
            return Some(f(v));
        }
        FieldColumn::Other(c) => c,
    };
    match col {
        ColumnData::Str(v) => v.get(row)?.as_ref().map(|s| f(s)),
        ColumnData::Int(v) => {
            let i = (*v.get(row)?)?;
            Some(f(itoa::Buffer::new().format(i)))
        }
        ColumnData::Float(v) => {
            let x = (*v.get(row)?)?;
            let mut text = StackText::default();
            // Renders as the message does (`push_value`), on the stack (any float fits).
            match std::fmt::Write::write_fmt(&mut text, format_args!("{x}")) {
                Ok(()) => Some(f(text.as_str())),
                Err(_) => Some(f(&x.to_string())),
            }
        }
        ColumnData::Bool(v) => {
            let b = (*v.get(row)?)?;
            Some(f(if b { "true" } else { "false" }))
        }
    }
}

/// A small text buffer on the stack, for formatting one number without allocating.
struct StackText {
    buf: [u8; 352],
    len: usize,
}

impl Default for StackText {
    fn default() -> Self {
        StackText {
            buf: [0; 352],
            len: 0,
        }
    }
}

impl StackText {
    fn as_str(&self) -> &str {
        // Only `write_str` fills the buffer, a whole `str` at a time.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let room = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        room.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl Segment {
    /// Per needle (case-sensitive substrings), per row of `block`: whether the message holds
    /// it, worked out from templates and values without rendering messages. `Yes` and `No`
    /// are certain; `Maybe` rows need their message rendered to tell.
    pub fn message_holds(&self, block: usize, needles: &[&str]) -> Result<Vec<Vec<Holds>>> {
        if needles.is_empty() {
            return Ok(Vec::new());
        }
        let needles: Vec<Needle<'_>> = needles
            .iter()
            .map(|n| Needle {
                bytes: n.as_bytes(),
                finder: Finder::new(n.as_bytes()),
            })
            .collect();
        let bad = || self.corrupt(block, "messages");
        let (raw, rows) = self.message_chunk(block)?;
        let mut m = self.parse_messages(block, &raw, rows)?;
        let json_templates = m.json.len();
        // Per needle, per template (JSON ones first, as the row codes number them).
        let plans: Vec<Vec<TemplateMatch>> = needles
            .iter()
            .map(|n| {
                let json = m.json.iter().map(|(pieces, _)| n.plan(pieces));
                let text = m.text.iter().map(|pieces| n.plan(pieces));
                json.chain(text).collect()
            })
            .collect();
        m.decode_slots(
            |t, j| {
                let mut need = SlotNeed::Nothing;
                for (n, p) in needles.iter().zip(&plans) {
                    if let TemplateMatch::Slots(checks) = &p[json_templates + t] {
                        if n.number_may_match(&checks[j]) {
                            return SlotNeed::All;
                        }
                        need = SlotNeed::Text;
                    }
                }
                need
            },
            || self.timestamps(block).ok(),
        )
        .ok_or_else(bad)?;
        // The rows of each code (0: raw messages, then the templates), in order.
        let mut rows_of: Vec<Vec<usize>> = vec![Vec::new(); 1 + json_templates + m.text.len()];
        for (row, &code) in m.codes.iter().enumerate() {
            rows_of[code].push(row);
        }
        // The field columns of the JSON templates some needle must look into: string chunks
        // decompressed here, read in place below.
        let mut wanted: Vec<&str> = Vec::new();
        for (t, (_, names)) in m.json.iter().enumerate() {
            if !rows_of[1 + t].is_empty()
                && plans
                    .iter()
                    .any(|p| matches!(p[t], TemplateMatch::Slots(_)))
            {
                for name in names {
                    if !wanted.contains(name) {
                        wanted.push(name);
                    }
                }
            }
        }
        // A string column no needle can touch stays compressed: its chunk's byte set lacks a
        // byte of every needle (so no value holds one), and no needle meets its values at a
        // template piece (no split test reads them). Only for a field stored as strings alone
        // (with columns of several types, which one renders is decided row by row below).
        let meta = self.block(block)?;
        let untouched = |name: &str| -> bool {
            let Some((col, FieldType::String)) = self.footer().sole_field_column(name) else {
                return false;
            };
            let Some(Some(chunk)) = meta.chunks.get(col) else {
                return false;
            };
            let Stats::Str {
                bytes: Some(set), ..
            } = &chunk.stats
            else {
                return false;
            };
            needles.iter().zip(&plans).all(|(n, p)| {
                !set.holds_all(n.bytes)
                    && m.json.iter().enumerate().all(|(t, (_, names))| {
                        rows_of[1 + t].is_empty()
                            || match &p[t] {
                                TemplateMatch::Every => true,
                                TemplateMatch::Slots(checks) => checks
                                    .iter()
                                    .zip(names)
                                    .all(|(c, slot)| *slot != name || !c.has_splits()),
                            }
                    })
            })
        };
        wanted.retain(|name| !untouched(name));
        // Numbers and booleans only when a needle could lie in one, or a split test may read
        // one.
        let others = needles.iter().zip(&plans).any(|(n, p)| {
            n.bytes.iter().all(|&b| numeric_byte(b))
                || n.within(b"true")
                || n.within(b"false")
                || p[..json_templates].iter().any(|t| match t {
                    TemplateMatch::Every => false,
                    TemplateMatch::Slots(checks) => checks.iter().any(SlotCheck::has_splits),
                })
        });
        let loaded = self.load_fields(block, &wanted, others)?;
        let columns = field_columns(&loaded, rows).ok_or_else(bad)?;

        let mut out = Vec::with_capacity(needles.len());
        for (n, plan) in needles.iter().zip(&plans) {
            if n.bytes.is_empty() {
                out.push(vec![Holds::Yes; rows]);
                continue;
            }
            let mut mask = vec![Holds::No; rows];
            // Raw messages: one search over their bytes.
            let base = m.raw_bytes.as_ptr() as usize;
            let starts: Vec<usize> = m
                .raws
                .iter()
                .map(|r| r.as_ptr() as usize - base)
                .chain([m.raw_bytes.len()])
                .collect();
            n.values_holding(
                m.raw_bytes,
                m.raws.len(),
                |k| starts[k],
                |k| mask[rows_of[0][k]] = Holds::Yes,
            );
            // Rows whose value of a field holds the needle, per field (one search per string
            // column), for the JSON templates.
            let mut field_hits: std::collections::HashMap<&str, Vec<usize>> = Default::default();
            for (name, cols) in &columns {
                let mut hits = Vec::new();
                for col in cols {
                    match col {
                        FieldColumn::Strs {
                            view, value_rows, ..
                        } => match &view.values {
                            StringValues::Plain(text, offsets) => n.values_holding(
                                text.as_bytes(),
                                offsets.len() - 1,
                                |k| offsets[k],
                                |k| hits.extend(value_rows.get(k)),
                            ),
                            StringValues::Dict(dict, codes) => {
                                let holding: Vec<bool> =
                                    dict.iter().map(|d| n.within(d.as_bytes())).collect();
                                for (k, &code) in codes.iter().enumerate() {
                                    if holding.get(code) == Some(&true) {
                                        hits.extend(value_rows.get(k));
                                    }
                                }
                            }
                        },
                        other => {
                            // A number's or boolean's text holds only these bytes.
                            let possible = n.bytes.iter().all(|&b| numeric_byte(b))
                                || n.within(b"true")
                                || n.within(b"false");
                            if !possible {
                                continue;
                            }
                            for row in 0..rows {
                                if column_text(other, row, |v| n.within(v.as_bytes())) == Some(true)
                                {
                                    hits.push(row);
                                }
                            }
                        }
                    }
                }
                field_hits.insert(name, hits);
            }
            for (t, (_, names)) in m.json.iter().enumerate() {
                let template_rows = &rows_of[1 + t];
                let checks = match &plan[t] {
                    TemplateMatch::Every => {
                        template_rows.iter().for_each(|&r| mask[r] = Holds::Yes);
                        continue;
                    }
                    TemplateMatch::Slots(checks) => checks,
                };
                for (check, name) in checks.iter().zip(names) {
                    // The template renders the value verbatim: a hit is certain, unless the
                    // field has columns of several types (the first with a value renders).
                    let cols = columns.get(name).map_or(&[][..], Vec::as_slice);
                    let hit = if cols.len() == 1 {
                        Holds::Yes
                    } else {
                        Holds::Maybe
                    };
                    for &r in field_hits.get(name).map_or(&[][..], Vec::as_slice) {
                        if m.codes.get(r) == Some(&(1 + t)) {
                            raise(&mut mask[r], hit);
                        }
                    }
                    if !check.has_splits() {
                        continue;
                    }
                    for &r in template_rows {
                        let text = cols.iter().find_map(|c| {
                            column_text(c, r, |v| n.splits_may_match(check, v.as_bytes()))
                        });
                        // A value the row lacks cannot be rendered: keep the row, and let
                        // rendering report the damage.
                        if text.unwrap_or(true) {
                            raise(&mut mask[r], Holds::Maybe);
                        }
                    }
                }
            }
            for (t, slots) in m.text_vars.iter().enumerate() {
                let template_rows = &rows_of[1 + json_templates + t];
                let checks = match &plan[json_templates + t] {
                    TemplateMatch::Every => {
                        template_rows.iter().for_each(|&r| mask[r] = Holds::Yes);
                        continue;
                    }
                    TemplateMatch::Slots(checks) => checks,
                };
                for (check, slot) in checks.iter().zip(slots) {
                    let packed;
                    let (bytes, offsets): (&[u8], &[usize]) = match slot {
                        Slot::Strs(text, offsets) => (text.as_bytes(), offsets),
                        // Most slots hold no match and need no split tests: one search over
                        // the packed bytes settles them without reading a length.
                        Slot::Packed {
                            n: count,
                            lens,
                            bytes,
                        } => {
                            if !check.has_splits() && !n.within(bytes) {
                                continue;
                            }
                            packed = Slot::offsets(*count, lens).ok_or_else(bad)?;
                            (bytes, &packed)
                        }
                        _ => (&[][..], &[][..]),
                    };
                    if let Slot::Strs(..) | Slot::Packed { .. } = slot {
                        n.values_holding(
                            bytes,
                            template_rows.len(),
                            |k| offsets[k],
                            |k| mask[template_rows[k]] = Holds::Yes,
                        );
                        if check.has_splits() {
                            for (k, &r) in template_rows.iter().enumerate() {
                                let v = offsets
                                    .get(k)
                                    .zip(offsets.get(k + 1))
                                    .and_then(|(&a, &b)| bytes.get(a..b))
                                    .unwrap_or(&[]);
                                if n.splits_may_match(check, v) {
                                    raise(&mut mask[r], Holds::Maybe);
                                }
                            }
                        }
                        continue;
                    }
                    // Whether one value, as the message renders it, holds the needle.
                    let value_holds = |v: &str| {
                        if n.within(v.as_bytes()) {
                            Holds::Yes
                        } else if n.splits_may_match(check, v.as_bytes()) {
                            Holds::Maybe
                        } else {
                            Holds::No
                        }
                    };
                    match slot {
                        Slot::Strs(..) | Slot::Packed { .. } => {}
                        // Decoded only where the needle could meet a number.
                        Slot::Skipped => {}
                        // Each distinct value tested once.
                        Slot::Dict(text, offsets, ids) => {
                            let holds: Vec<Holds> = (0..offsets.len().saturating_sub(1))
                                .map(|d| value_holds(Slot::str_at(text, offsets, d).unwrap_or("")))
                                .collect();
                            for (k, &r) in template_rows.iter().enumerate() {
                                let h = ids.get(k).and_then(|&d| holds.get(d as usize));
                                raise(&mut mask[r], h.copied().unwrap_or(Holds::Maybe));
                            }
                        }
                        number => {
                            for (k, &r) in template_rows.iter().enumerate() {
                                let holds = number.with_text(k, value_holds);
                                raise(&mut mask[r], holds.unwrap_or(Holds::Maybe));
                            }
                        }
                    }
                }
            }
            out.push(mask);
        }
        Ok(out)
    }

    /// Per row of `block`: `false` where the message provably does not contain every one of
    /// `needles`; `None` when no row could be ruled out (see [`Segment::message_holds`]; the
    /// tests' view of it, the scan reads the three-way answer).
    #[cfg(test)]
    pub(crate) fn message_candidates(
        &self,
        block: usize,
        needles: &[&str],
    ) -> Result<Option<Vec<bool>>> {
        let holds = self.message_holds(block, needles)?;
        let Some(rows) = holds.first().map(Vec::len) else {
            return Ok(None);
        };
        let mask: Vec<bool> = (0..rows)
            .map(|r| holds.iter().all(|h| h[r] != Holds::No))
            .collect();
        Ok((!mask.iter().all(|&k| k)).then_some(mask))
    }
}

impl Segment {
    /// Per row of `block`: `false` where field `name` provably does not hold exactly `text`
    /// (its string column holds other text, or no column holds a value); rows whose value is
    /// of another type are kept. Read from the string column in place (a dictionary column
    /// compares each distinct value once). `None` when nothing can be ruled out (the field
    /// may hide in messages the segment did not discover it in).
    pub fn field_equals_rows(
        &self,
        block: usize,
        name: &str,
        text: &str,
    ) -> Result<Option<Vec<bool>>> {
        let bad = || self.corrupt(block, "field column");
        let rows = self.block(block)?.rows as usize;
        let columns: Vec<(usize, super::FieldType)> = self.footer().field_columns(name).collect();
        if columns.is_empty() && !self.footer().fields_complete {
            return Ok(None);
        }
        let mut keep = vec![false; rows];
        for (col, ty) in columns {
            if ty != super::FieldType::String {
                // Another type's value: the filter's lenient comparison decides.
                let data = self.field(block, col)?;
                for (r, k) in keep.iter_mut().enumerate() {
                    *k |= data.value(r).is_some();
                }
                continue;
            }
            let Some(chunk) = self.string_chunk(block, col)? else {
                continue;
            };
            let view = string_view(&chunk, rows).ok_or_else(bad)?;
            let value_rows = view.rows(rows);
            match &view.values {
                StringValues::Plain(values, offsets) => {
                    for (k, &r) in value_rows.iter().enumerate() {
                        if offsets
                            .get(k)
                            .zip(offsets.get(k + 1))
                            .is_some_and(|(&a, &b)| {
                                values.as_bytes().get(a..b) == Some(text.as_bytes())
                            })
                        {
                            keep[r] = true;
                        }
                    }
                }
                StringValues::Dict(dict, codes) => {
                    let wanted: Vec<bool> = dict.iter().map(|d| *d == text).collect();
                    if !wanted.contains(&true) {
                        continue;
                    }
                    for (k, &r) in value_rows.iter().enumerate() {
                        if codes.get(k).is_some_and(|&c| wanted.get(c) == Some(&true)) {
                            keep[r] = true;
                        }
                    }
                }
            }
        }
        Ok((!keep.iter().all(|&k| k)).then_some(keep))
    }

    /// The values of string column `col` of `block` at the rows `selection` picks, as an
    /// Arrow array, read in place (only the picked values are copied).
    pub fn field_strings_at(
        &self,
        block: usize,
        col: usize,
        selection: &[usize],
    ) -> Result<arrow::array::StringArray> {
        let bad = || self.corrupt(block, "field column");
        let rows = self.block(block)?.rows as usize;
        let Some(chunk) = self.string_chunk(block, col)? else {
            return Ok(arrow::array::StringArray::new_null(selection.len()));
        };
        let column = FieldColumn::strings(string_view(&chunk, rows).ok_or_else(bad)?, rows);
        let mut out = arrow::array::StringBuilder::with_capacity(selection.len(), 0);
        for &r in selection {
            if r >= rows {
                return Err(bad());
            }
            if column_text(&column, r, |v| out.append_value(v)).is_none() {
                out.append_null();
            }
        }
        Ok(out.finish())
    }
}
