//! JSON messages stored as templates: the text around the leaf values, with the values taken
//! from the block's field columns. A JSON log line is mostly its values; keeping them once (in
//! typed columns) instead of twice is what lets a segment beat a general-purpose compressor.
//!
//! The writer uses a template only when rendering it from the stored values gives back the
//! message byte for byte; everything else is stored raw. So the scanner below may be simple:
//! a mistake costs space, never correctness.

#[cfg(test)]
use super::Value;
use crate::calendar::civil_from_days;

/// The pieces of text between the leaf value tokens of a JSON object message (one more piece
/// than slots). `None` when `message` is not a single JSON object, or a string value has an
/// escape (its stored value would not give back its text).
#[cfg(test)]
pub(crate) fn split_json(message: &str) -> Option<Vec<&str>> {
    let mut pieces = Vec::new();
    split_json_into(message, &mut pieces).then_some(pieces)
}

/// [`split_json`] into a buffer the caller reuses (cleared first); false where that is `None`.
pub(crate) fn split_json_into<'m>(message: &'m str, pieces: &mut Vec<&'m str>) -> bool {
    pieces.clear();
    split(message, pieces).is_some()
}

fn split<'m>(message: &'m str, pieces: &mut Vec<&'m str>) -> Option<()> {
    #[derive(PartialEq)]
    enum Ctx {
        Object { expect_key: bool },
        Array,
    }
    let b = message.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    if b.get(i) != Some(&b'{') {
        return None;
    }
    let mut stack: Vec<Ctx> = Vec::new();
    let mut piece_start = 0;
    fn slot<'m>(
        message: &'m str,
        start: usize,
        end: usize,
        pieces: &mut Vec<&'m str>,
        piece_start: &mut usize,
    ) {
        pieces.push(&message[*piece_start..start]);
        *piece_start = end;
    }
    loop {
        let &c = b.get(i)?;
        match c {
            b'{' => {
                stack.push(Ctx::Object { expect_key: true });
                i += 1;
            }
            b'[' => {
                stack.push(Ctx::Array);
                i += 1;
            }
            b'}' | b']' => {
                stack.pop()?;
                i += 1;
                if stack.is_empty() {
                    break;
                }
            }
            b',' => {
                if let Some(Ctx::Object { expect_key }) = stack.last_mut() {
                    *expect_key = true;
                }
                i += 1;
            }
            b':' => {
                if let Some(Ctx::Object { expect_key }) = stack.last_mut() {
                    *expect_key = false;
                }
                i += 1;
            }
            b'"' => {
                let mut j = i + 1;
                let mut escaped = false;
                while j < b.len() && b[j] != b'"' {
                    if b[j] == b'\\' {
                        escaped = true;
                        j += 1;
                    }
                    j += 1;
                }
                if j >= b.len() {
                    return None;
                }
                let is_key = matches!(stack.last(), Some(Ctx::Object { expect_key: true }));
                if !is_key {
                    if escaped {
                        return None;
                    }
                    // The quotes stay in the pieces: a slot holds the value's text.
                    slot(message, i + 1, j, pieces, &mut piece_start);
                }
                i = j + 1;
            }
            b'-' | b'0'..=b'9' => {
                let mut j = i;
                while j < b.len() && matches!(b[j], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    j += 1;
                }
                slot(message, i, j, pieces, &mut piece_start);
                i = j;
            }
            b't' | b'f' => {
                let word: &[u8] = if c == b't' { b"true" } else { b"false" };
                if !b[i..].starts_with(word) {
                    return None;
                }
                slot(message, i, i + word.len(), pieces, &mut piece_start);
                i += word.len();
            }
            b'n' => {
                if !b[i..].starts_with(b"null") {
                    return None;
                }
                i += 4;
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => return None,
        }
    }
    if !b[i..].iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    pieces.push(&message[piece_start..]);
    Some(())
}

/// A value's text inside a JSON message (string quotes belong to the template pieces).
#[cfg(test)]
pub(crate) fn push_token(out: &mut String, v: &Value) {
    match v {
        Value::Str(s) => out.push_str(s),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&super::format_float(*f)),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
    }
}

/// Renders pieces and slot values back into a message (the reader renders in place; this is
/// the reference the tests check the writer against).
#[cfg(test)]
pub(crate) fn render<'v, S: AsRef<str>>(
    pieces: &[S],
    mut values: impl Iterator<Item = Option<&'v Value>>,
) -> Option<String> {
    let mut out = String::new();
    for (i, p) in pieces.iter().enumerate() {
        out.push_str(p.as_ref());
        if i + 1 < pieces.len() {
            push_token(&mut out, values.next()??);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_around_values() {
        let p = split_json(r#" {"a": "x", "b":[1, -2.5e3, true], "c":null, "d":{"e":false}} "#)
            .unwrap();
        assert_eq!(
            p,
            [
                r#" {"a": ""#,
                r#"", "b":["#,
                ", ",
                ", ",
                r#"], "c":null, "d":{"e":"#,
                "}} "
            ]
        );
        assert!(split_json(r#"{"a":"q\"uote"}"#).is_none());
        assert!(split_json(r#"{"a":1} trailing"#).is_none());
        assert!(split_json("not json").is_none());
        assert!(split_json(r#"{"a":[1,2"#).is_none());
        let vals = [Value::Str("x".into()), Value::Int(7)];
        assert_eq!(
            render(&["{\"a\":\"", "\",\"b\":", "}"], vals.iter().map(Some)).as_deref(),
            Some(r#"{"a":"x","b":7}"#)
        );
    }
}

/// Bytes that end a word of a text message. Words holding an ASCII digit are *variables*; the
/// text between them is the template (the CLP idea: a log line is a format string plus values).
const fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t'
            | b'\n'
            | b'\r'
            | b'['
            | b']'
            | b'('
            | b')'
            | b'{'
            | b'}'
            | b','
            | b';'
            | b'='
            | b':'
            | b'"'
            | b'\''
            | b'/'
            | b'<'
            | b'>'
            | b'|'
            | b'-'
            | b'.'
            | b'#'
    )
}

const DELIMITER: u8 = 1;
const DIGIT: u8 = 2;
const OTHER: u8 = 4;

/// Per byte: [`DELIMITER`], [`DIGIT`] or [`OTHER`] (one table load per byte in the split loop).
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = if is_delimiter(b as u8) {
            DELIMITER
        } else if (b as u8).is_ascii_digit() {
            DIGIT
        } else {
            OTHER
        };
        b += 1;
    }
    t
};

/// Splits a text message into template pieces and variables (`pieces.len() == vars.len() + 1`);
/// concatenating them in turn gives the message back.
#[cfg(test)]
pub(crate) fn split_text(message: &str) -> (Vec<&str>, Vec<&str>) {
    let (mut pieces, mut vars) = (Vec::new(), Vec::new());
    split_text_into(message, &mut pieces, &mut vars);
    (pieces, vars)
}

/// [`split_text`] into buffers the caller reuses (cleared first): the reference for
/// [`split_text_key`].
#[cfg(test)]
pub(crate) fn split_text_into<'m>(
    message: &'m str,
    pieces: &mut Vec<&'m str>,
    vars: &mut Vec<&'m str>,
) {
    pieces.clear();
    vars.clear();
    let b = message.as_bytes();
    let (mut piece_start, mut i, mut closing) = (0, 0, false);
    while i < b.len() {
        if CLASS[usize::from(b[i])] == DELIMITER {
            let quote = b[i] == b'"';
            i += 1;
            if quote
                && !std::mem::take(&mut closing)
                && let Some(len) = quoted_variable(&b[i..])
            {
                pieces.push(&message[piece_start..i]);
                vars.push(&message[i..i + len]);
                i += len;
                piece_start = i;
                closing = true;
            }
            continue;
        }
        let start = i;
        if let Some(len) = ipv4_len(&b[i..]) {
            pieces.push(&message[piece_start..i]);
            vars.push(&message[i..i + len]);
            i += len;
            piece_start = i;
            continue;
        }
        let mut class = 0;
        while i < b.len() && CLASS[usize::from(b[i])] != DELIMITER {
            class |= CLASS[usize::from(b[i])];
            i += 1;
        }
        let digit = class & DIGIT != 0;
        // Delimiters are ASCII, so `start` and `i` are on character boundaries.
        if digit {
            pieces.push(&message[piece_start..start]);
            vars.push(&message[start..i]);
            piece_start = i;
        }
    }
    pieces.push(&message[piece_start..]);
}

/// Stands for a variable in a text template's key ([`split_text_key`]): no byte of UTF-8 text
/// is 0xFF, so a key splits back into its pieces unambiguously.
pub(crate) const VAR_MARK: u8 = 0xFF;

/// [`split_text`] as the writer uses it: writes the message's template *key* (the message with
/// each variable replaced by [`VAR_MARK`], i.e. the pieces joined by it) at the start of `key`
/// and returns its length, and the variables into `vars` (cleared first). `key` is scratch that
/// only grows: it is resized to hold the message, and what lies past the returned length is
/// left over. Rows of one template have equal keys, so a template is found by comparing or
/// hashing one byte string instead of a list of pieces.
pub(crate) fn split_text_key<'m>(
    message: &'m str,
    key: &mut Vec<u8>,
    vars: &mut Vec<Var<'m>>,
) -> usize {
    vars.clear();
    let b = message.as_bytes();
    if key.len() < b.len() {
        key.resize(b.len(), 0);
    }
    // A variable (at least one byte) becomes one mark: the key is never longer than the message.
    let key = &mut key[..b.len()];
    // Every byte is copied to the key as it comes; when a delimiter ends a word that held a
    // digit, the word is taken back out and replaced by the mark.
    let (mut k, mut word_start, mut word_k, mut class) = (0usize, 0usize, 0usize, 0u8);
    // Whether the quote at hand closes a quoted variable (and so opens none).
    let mut closing = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if i == word_start
            && c.is_ascii_digit()
            && let Some(len) = ipv4_len(&b[i..])
        {
            key[k] = VAR_MARK;
            k += 1;
            vars.push(var(message, i, i + len, OTHER));
            i += len;
            (word_start, word_k) = (i, k);
            continue;
        }
        let cl = CLASS[usize::from(c)];
        key[k] = c;
        k += 1;
        let delimiter = cl == DELIMITER;
        if delimiter && class & DIGIT != 0 {
            k = word_k;
            key[k] = VAR_MARK;
            key[k + 1] = c;
            k += 2;
            vars.push(var(message, word_start, i, class));
        }
        class = if delimiter { 0 } else { class | cl };
        word_start = if delimiter { i + 1 } else { word_start };
        word_k = if delimiter { k } else { word_k };
        i += 1;
        if c == b'"'
            && !std::mem::take(&mut closing)
            && let Some(len) = quoted_variable(&b[i..])
        {
            key[k] = VAR_MARK;
            k += 1;
            vars.push(var(message, i, i + len, OTHER));
            i += len;
            (word_start, word_k, closing) = (i, k, true);
        }
    }
    if class & DIGIT != 0 {
        k = word_k;
        key[k] = VAR_MARK;
        k += 1;
        vars.push(var(message, word_start, b.len(), class));
    }
    k
}

/// The length of the IPv4 address at the start of `text` (four groups of one to three digits
/// joined by dots, then the end or a delimiter other than a dot): one variable, not four
/// numbers. A client's address repeats whole ([`SLOT_DICT`]) where its four numbers, each a
/// column of its own, would look random.
fn ipv4_len(text: &[u8]) -> Option<usize> {
    let mut i = 0;
    for group in 0..4 {
        if group > 0 {
            if text.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let digits = text[i.min(text.len())..]
            .iter()
            .take(4)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if !(1..=3).contains(&digits) {
            return None;
        }
        i += digits;
    }
    match text.get(i) {
        None => Some(i),
        Some(&c) if c != b'.' && CLASS[usize::from(c)] == DELIMITER => Some(i),
        Some(_) => None,
    }
}

/// The length of the text a quoted variable takes at the start of `rest` (just past an opening
/// `"`): up to the next `"`, when that text holds an ASCII letter and a space or a `/`. A
/// request line, a URL, a user agent: text whose words vary in number from row to row, so that
/// split into pieces it would make a template per value (an access log's rows then share
/// none), while as one value it repeats and is stored once per block ([`SLOT_DICT`]).
fn quoted_variable(rest: &[u8]) -> Option<usize> {
    let len = memchr::memchr(b'"', rest)?;
    let text = &rest[..len];
    let ok =
        text.iter().any(u8::is_ascii_alphabetic) && text.iter().any(|&c| c == b' ' || c == b'/');
    ok.then_some(len)
}

/// The variable `message[start..end]`, a word whose bytes' classes are `class`.
#[inline]
fn var(message: &str, start: usize, end: usize, class: u8) -> Var<'_> {
    // Typed here, while its bytes are at hand: a slot column is typed later, in slot order, and
    // reading the text again then was mostly cache misses.
    let digits = if class == DIGIT && end - start <= 19 {
        message.as_bytes()[start..end]
            .iter()
            .fold(0u64, |v, &c| v * 10 + u64::from(c - b'0'))
    } else {
        NOT_DIGITS
    };
    Var {
        // Delimiters are ASCII, so `start` and `end` are on character boundaries.
        text: &message[start..end],
        digits,
    }
}

/// [`Var::digits`] of a variable that is not all digits, or has more than 19.
const NOT_DIGITS: u64 = u64::MAX;

/// A variable of a text message, with what typing its slot needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Var<'m> {
    pub text: &'m str,
    /// The value of its digits when it is 1 to 19 ASCII digits, else [`NOT_DIGITS`].
    pub digits: u64,
}

impl<'m> Var<'m> {
    #[cfg(test)]
    pub(crate) fn new(text: &'m str) -> Self {
        let all = !text.is_empty() && text.len() <= 19 && text.bytes().all(|b| b.is_ascii_digit());
        Var {
            text,
            digits: if all {
                text.bytes().fold(0, |v, c| v * 10 + u64::from(c - b'0'))
            } else {
                NOT_DIGITS
            },
        }
    }

    /// [`canonical_int`](super::canonical_int) of its text, from `digits` when it is digits.
    #[inline]
    fn canonical_int(&self) -> Option<i64> {
        const POW10: [u64; 20] = {
            let mut t = [1u64; 20];
            let mut i = 1;
            while i < 20 {
                t[i] = t[i - 1] * 10;
                i += 1;
            }
            t
        };
        let len = self.text.len();
        if self.digits == NOT_DIGITS {
            // A sign, or not a number: rare in slot values (`-` ends a word).
            return super::canonical_int(self.text.as_bytes());
        }
        // No leading zero (unless the number is 0), within i64.
        let canonical = len == 1 || self.digits >= POW10[len - 1];
        (canonical && self.digits <= i64::MAX as u64).then_some(self.digits as i64)
    }
}

/// The pieces of a template key (one more than its variables).
pub(crate) fn key_pieces(key: &[u8]) -> impl Iterator<Item = &[u8]> {
    key.split(|&b| b == VAR_MARK)
}

/// A variable as its template keeps it until the slot columns are encoded: 16 bytes and no
/// borrow (the slot columns are encoded after all the block's rows, from memory long gone
/// cold: the smaller the better). Its text is found again from its row's message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stored {
    /// What a numeric column stores for it: its canonical integer, else its digits' value.
    num: u64,
    /// Row (20 bits: blocks have at most 2^20 rows), offset in the row's message and length
    /// (17 bits each: templated messages have at most 64 KiB), and two flags.
    meta: u64,
}

const STORED_INT: u64 = 1 << 54;
const STORED_DIGITS: u64 = 1 << 55;
const MASK_17: u64 = (1 << 17) - 1;

impl Stored {
    /// `v`, a variable of `message`, the message of row `row`.
    #[inline]
    pub(crate) fn new(v: &Var<'_>, row: usize, message: &str) -> Stored {
        let start = (v.text.as_ptr() as usize).wrapping_sub(message.as_ptr() as usize);
        debug_assert!(
            row < super::MAX_BLOCK_ROWS
                && start as u64 <= MASK_17
                && v.text.len() as u64 <= MASK_17
        );
        let (num, int) = match v.canonical_int() {
            Some(i) => (i as u64, STORED_INT),
            None => (v.digits, 0),
        };
        let digits = if v.digits == NOT_DIGITS {
            0
        } else {
            STORED_DIGITS
        };
        Stored {
            num,
            meta: row as u64 | (start as u64) << 20 | (v.text.len() as u64) << 37 | int | digits,
        }
    }

    fn row(&self) -> usize {
        (self.meta & ((1 << 20) - 1)) as usize
    }

    fn len(&self) -> usize {
        ((self.meta >> 37) & MASK_17) as usize
    }

    fn text<'m>(&self, message: &'m str) -> &'m str {
        let start = ((self.meta >> 20) & MASK_17) as usize;
        message.get(start..start + self.len()).unwrap_or_default()
    }
}

/// A column of one template slot's values: integers when every value is a canonical integer,
/// zero-padded integers of one width, else text.
#[cfg(test)]
pub(crate) fn encode_slot(out: &mut Vec<u8>, values: &[&str], times: &[i64]) {
    let stored: Vec<Stored> = values
        .iter()
        .enumerate()
        .map(|(row, v)| Stored::new(&Var::new(v), row, v))
        .collect();
    encode_slot_values(
        out,
        stored.iter().copied(),
        |row| values[row],
        |row| times[row],
    );
}

/// [`encode_slot`] of the variables `values` yields (walked several times), whose messages
/// `message(row)` gives.
pub(crate) fn encode_slot_values<'m>(
    out: &mut Vec<u8>,
    values: impl Iterator<Item = Stored> + Clone,
    message: impl Fn(usize) -> &'m str,
    timestamp: impl Fn(usize) -> i64,
) {
    use super::codec::{put_uvarint, zigzag};
    // Canonical integers (exactly what prints back as the value's text: width 0), or
    // zero-padded integers of one width (at most 18 digits: within i64).
    let width = if values.clone().all(|v| v.meta & STORED_INT != 0) {
        Some(0)
    } else {
        let width = values.clone().next().map_or(0, |v| v.len());
        ((1..=18).contains(&width)
            && values
                .clone()
                .all(|v| v.meta & STORED_DIGITS != 0 && v.len() == width))
        .then_some(width as u8)
    };
    if let Some(width) = width {
        if let Some(part) = repeated_time_part(values.clone(), &timestamp) {
            // Format 4: the values are a part of each row's timestamp (one printed in the
            // message), computed back from the `@timestamp` column.
            out.extend_from_slice(&[SLOT_TIME_PART, part, width]);
            return;
        }
        // Values that repeat (sizes, codes, ports) compress best as they are; the others
        // (counters, ids, times) as deltas.
        let plain = repeats(values.clone());
        if plain {
            out.extend_from_slice(&[SLOT_PLAIN_INTS, width]);
        } else if width == 0 {
            out.push(0);
        } else {
            out.extend_from_slice(&[1, width]);
        }
        let mut prev = 0i64;
        for v in values {
            let i = v.num as i64;
            put_uvarint(out, zigzag(i.wrapping_sub(prev)));
            if !plain {
                prev = i;
            }
        }
        return;
    }
    if let Some((distinct, ids)) = dictionary(values.clone(), &message) {
        // Format 4: the distinct values (as a plain slot lays out its values), then an id
        // per value.
        out.push(SLOT_DICT);
        put_uvarint(out, distinct.len() as u64);
        for v in &distinct {
            put_uvarint(out, v.len() as u64);
        }
        for v in &distinct {
            out.extend_from_slice(v.as_bytes());
        }
        for id in ids {
            put_uvarint(out, u64::from(id));
        }
        return;
    }
    out.push(2);
    for v in values.clone() {
        put_uvarint(out, v.len() as u64);
    }
    for v in values {
        out.extend_from_slice(v.text(message(v.row())).as_bytes());
    }
}

/// The tag of a numeric slot whose values are stored as they are rather than as deltas (format
/// 4 on): the zero-padded width (0: not padded), then a zigzag varint per value.
pub(crate) const SLOT_PLAIN_INTS: u8 = 5;

/// Whether the numbers `values` repeat: at least [`DICT_MIN_VALUES`] of them, each distinct
/// one [`DICT_REPEATS`] times on average.
fn repeats(values: impl Iterator<Item = Stored> + Clone) -> bool {
    let n = values.clone().count();
    if n < DICT_MIN_VALUES {
        return false;
    }
    let mut seen: super::codec::FxHashSet<u64> = Default::default();
    for (i, v) in values.enumerate() {
        seen.insert(v.num);
        if too_varied(seen.len(), i + 1, n) {
            return false;
        }
    }
    true
}

/// Whether `distinct` values among the first `read` of `n` rule out their repeating
/// [`DICT_REPEATS`] times on average: too many over all, or (to stop early on ids and random
/// numbers, the common case) three quarters of the first [`VARIED_PREFIX`] or more distinct.
#[inline]
fn too_varied(distinct: usize, read: usize, n: usize) -> bool {
    distinct * DICT_REPEATS > n || (read == VARIED_PREFIX && distinct * 4 >= read * 3)
}

/// See [`too_varied`].
const VARIED_PREFIX: usize = 256;

/// The tag of a text slot stored as a dictionary (format 4 on): the number of distinct values,
/// their lengths and bytes, then per value its id (its index among the distinct ones, in order
/// of first appearance).
pub(crate) const SLOT_DICT: u8 = 4;
/// A text slot of at least this many values is stored as a dictionary when each distinct value
/// comes [`DICT_REPEATS`] times on average: the ids then cost a byte or two where the values
/// would each be matched again (user agents, request lines, referrers of an access log).
const DICT_MIN_VALUES: usize = 16;
const DICT_REPEATS: usize = 4;

/// The distinct values of a text slot and the id of each value, if it pays (see
/// [`DICT_MIN_VALUES`]).
fn dictionary<'m>(
    values: impl Iterator<Item = Stored> + Clone,
    message: impl Fn(usize) -> &'m str,
) -> Option<(Vec<&'m str>, Vec<u32>)> {
    let n = values.clone().count();
    if n < DICT_MIN_VALUES {
        return None;
    }
    let mut index: super::codec::FxHashMap<&'m str, u32> = Default::default();
    let mut distinct = Vec::new();
    let mut ids = Vec::with_capacity(n);
    for v in values {
        let text = v.text(message(v.row()));
        let next = distinct.len() as u32;
        let id = *index.entry(text).or_insert_with(|| {
            distinct.push(text);
            next
        });
        ids.push(id);
        // Distinct values only grow: once too many, a dictionary cannot pay.
        if too_varied(distinct.len(), ids.len(), n) {
            return None;
        }
    }
    Some((distinct, ids))
}

/// The tag of a slot whose values are a part of their rows' timestamps ([`time_part`]; format 4
/// on): the part's code and the values' zero-padded width (0: not padded) follow, no values.
pub(crate) const SLOT_TIME_PART: u8 = 3;

/// How many parts of a timestamp [`time_part`] knows.
pub(crate) const TIME_PARTS: u8 = 12;

/// Part `part` of the UTC timestamp `ms` (milliseconds since the epoch): 0 seconds and 1
/// milliseconds since the epoch, 2 the millisecond, 3 second, 4 minute, 5 hour, 6 day, 7 month
/// and 8 year; run together as one number, 9 `yymmdd`, 10 `hhmmss` and 11 `yyyymmdd` (as
/// HDFS prints `081109 203615`). A text message's timestamp splits into such numbers, each a slot whose values
/// the `@timestamp` column already holds (format 4 stores the part's code instead of them).
pub(crate) fn time_part(part: u8, ms: i64) -> Option<i64> {
    let secs = ms.div_euclid(1000);
    Some(match part {
        0 => secs,
        1 => ms,
        2 => ms.rem_euclid(1000),
        3 => secs.rem_euclid(60),
        4 => secs.div_euclid(60).rem_euclid(60),
        5 => secs.div_euclid(3600).rem_euclid(24),
        6..=8 | 9 | 11 => {
            let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
            let (month, day) = (i64::from(month), i64::from(day));
            match part {
                6 => day,
                7 => month,
                8 => year,
                9 => year.rem_euclid(100) * 10_000 + month * 100 + day,
                _ => year * 10_000 + month * 100 + day,
            }
        }
        10 => {
            let s = secs.rem_euclid(86_400);
            s / 3600 * 10_000 + s / 60 % 60 * 100 + s % 60
        }
        _ => return None,
    })
}

/// The timestamp part every one of `values` (numeric: canonical integers, or zero-padded ones
/// of one width) equals, as its row's timestamp gives it; `None` if none does (or no value).
fn repeated_time_part(
    values: impl Iterator<Item = Stored> + Clone,
    timestamp: impl Fn(usize) -> i64,
) -> Option<u8> {
    let first = values.clone().next()?;
    let t = timestamp(first.row());
    (0..TIME_PARTS).find(|&part| {
        time_part(part, t) == Some(first.num as i64)
            && values
                .clone()
                .all(|v| time_part(part, timestamp(v.row())) == Some(v.num as i64))
    })
}

/// The reference decoder of a slot (the reader has its own that does not allocate per value).
#[cfg(test)]
pub(crate) fn decode_slot(
    c: &mut super::codec::Cursor<'_>,
    n: usize,
    times: &[i64],
) -> Option<Vec<std::borrow::Cow<'static, str>>> {
    use std::borrow::Cow;
    let mut out = Vec::with_capacity(n.min(c.remaining()));
    match c.u8()? {
        SLOT_TIME_PART => {
            let (part, width) = (c.u8()?, usize::from(c.u8()?));
            for &t in times.get(..n)? {
                let v = time_part(part, t)?;
                if width > 18 || (width > 0 && !(0..10i64.pow(width as u32)).contains(&v)) {
                    return None;
                }
                out.push(Cow::Owned(format!("{v:0width$}")));
            }
        }
        0 => {
            let mut prev = 0i64;
            for _ in 0..n {
                prev = prev.wrapping_add(c.ivarint()?);
                out.push(Cow::Owned(prev.to_string()));
            }
        }
        1 => {
            let width = usize::from(c.u8()?);
            if !(1..=18).contains(&width) {
                return None;
            }
            let mut prev = 0i64;
            for _ in 0..n {
                prev = prev.wrapping_add(c.ivarint()?);
                if !(0..10i64.pow(width as u32)).contains(&prev) {
                    return None;
                }
                out.push(Cow::Owned(format!("{prev:0width$}")));
            }
        }
        SLOT_PLAIN_INTS => {
            let width = usize::from(c.u8()?);
            for _ in 0..n {
                let v = c.ivarint()?;
                if width > 18 || (width > 0 && !(0..10i64.pow(width as u32)).contains(&v)) {
                    return None;
                }
                out.push(Cow::Owned(format!("{v:0width$}")));
            }
        }
        2 => {
            let mut lens = Vec::with_capacity(n.min(c.remaining()));
            for _ in 0..n {
                lens.push(c.len(c.remaining())?);
            }
            for len in lens {
                out.push(Cow::Owned(
                    std::str::from_utf8(c.take(len)?).ok()?.to_owned(),
                ));
            }
        }
        SLOT_DICT => {
            let distinct = c.len(n)?;
            let mut lens = Vec::with_capacity(distinct);
            for _ in 0..distinct {
                lens.push(c.len(c.remaining())?);
            }
            let mut values = Vec::with_capacity(distinct);
            for len in lens {
                values.push(std::str::from_utf8(c.take(len)?).ok()?.to_owned());
            }
            for _ in 0..n {
                out.push(Cow::Owned(values.get(c.len(distinct)?)?.clone()));
            }
        }
        _ => return None,
    }
    Some(out)
}

#[cfg(test)]
mod text_tests {
    use super::*;

    #[test]
    fn text_splits_and_slots_round_trip() {
        for msg in [
            "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
            "081109 203615 148 INFO dfs.DataNode$PacketResponder: Received block blk_-1608999687919862906 of size 91178 from /10.250.10.6",
            "ünïcode 12ms x=-5 y=0.50 id=f08bb4c8-d6b2",
            "",
            "no variables here",
            r#"83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /a/b.png HTTP/1.1" 200 203023 "-" "Mozilla/5.0 (Macintosh)""#,
            r#""/index" "" "a b" "x"y z"1 2"" tag="View Lock" "unclosed / quote"#,
            r#"""""/ a"#,
            "from 10.0.0.1:22 to 1.2.3.4. and 1.2.3.4.5 or 1.2.3.4x 1234.1.1.1 v1.2.3.4 9.9.9.9",
        ] {
            let (pieces, vars) = split_text(msg);
            assert_eq!(pieces.len(), vars.len() + 1);
            if msg.starts_with("from") {
                assert_eq!(vars[..2], ["10.0.0.1", "22"], "{vars:?}");
                assert_eq!(vars.last(), Some(&"9.9.9.9"));
                assert!(!vars.contains(&"1.2.3.4"));
            }
            if msg.starts_with("83.") {
                assert_eq!(vars[0], "83.149.9.216");
                // The request line and the user agent are one variable each; "-" is text.
                assert!(vars.contains(&"GET /a/b.png HTTP/1.1"), "{vars:?}");
                assert!(vars.contains(&"Mozilla/5.0 (Macintosh)"), "{vars:?}");
                assert!(pieces.contains(&r#" "-" ""#), "{pieces:?}");
            }
            let (mut key, mut key_vars) = (vec![7u8; 3], Vec::new());
            let n = split_text_key(msg, &mut key, &mut key_vars);
            let want: Vec<Var<'_>> = vars.iter().map(|v| Var::new(v)).collect();
            assert_eq!(key_vars, want);
            let key_pieces: Vec<&[u8]> = key_pieces(&key[..n]).collect();
            let want: Vec<&[u8]> = pieces.iter().map(|p| p.as_bytes()).collect();
            assert_eq!(key_pieces, want);
            let mut back = String::new();
            for (i, p) in pieces.iter().enumerate() {
                back.push_str(p);
                if let Some(v) = vars.get(i) {
                    back.push_str(v);
                }
            }
            assert_eq!(back, msg);
        }
        for values in [
            vec!["1", "-20", "300"],
            vec!["04", "47", "09"],
            vec!["04", "470", "x"],
            vec!["007", "7"],
            vec!["0", "9223372036854775807", "9223372036854775808"],
            vec!["0", "9223372036854775807", "18446744073709551615"],
            vec!["1", "-0", "x"],
            vec!["12", "-9223372036854775808"],
            vec!["0009223372036854775807", "7"],
            vec![],
        ] {
            // Timestamps none of whose parts all the values repeat.
            let times = vec![1_700_000_000_123; values.len()];
            let mut buf = Vec::new();
            encode_slot(&mut buf, &values, &times);
            assert!(buf.first() != Some(&3));
            let mut c = super::super::codec::Cursor::new(&buf);
            let got = decode_slot(&mut c, values.len(), &times).unwrap();
            assert!(c.at_end());
            assert_eq!(got, values);
        }
    }

    #[test]
    fn repeated_text_slots_are_dictionaries() {
        let agents = ["curl/7.29.0", "Mozilla/5.0 (X11)", "-"];
        let values: Vec<&str> = (0..40).map(|i| agents[i * 7 % 3]).collect();
        let times = vec![0; values.len()];
        let mut buf = Vec::new();
        encode_slot(&mut buf, &values, &times);
        assert_eq!(buf[0], SLOT_DICT);
        let mut c = super::super::codec::Cursor::new(&buf);
        assert_eq!(decode_slot(&mut c, values.len(), &times).unwrap(), values);
        assert!(c.at_end());
        // Too varied (or too few values) for a dictionary: plain.
        let varied: Vec<String> = (0..40).map(|i| format!("u{}", i % 11)).collect();
        let varied: Vec<&str> = varied.iter().map(String::as_str).collect();
        for values in [&varied[..], &values[..15]] {
            let mut buf = Vec::new();
            encode_slot(&mut buf, values, &times);
            assert_ne!(buf[0], SLOT_DICT);
        }
    }

    #[test]
    fn timestamp_parts_are_computed_back() {
        // 2026-03-07 04:05:09.042 UTC, then a day, an hour and a few milliseconds on; and two
        // instants before 1970 and around a leap day.
        let t0 = 1_772_856_309_042i64;
        let times = [t0, t0 + 86_400_000 + 3_600_000 + 7, t0 + 999];
        let parts = |part: u8| times.map(|t| time_part(part, t).unwrap());
        assert_eq!(parts(8), [2026; 3]);
        assert_eq!(parts(7), [3; 3]);
        assert_eq!(parts(6), [7, 8, 7]);
        assert_eq!(parts(5), [4, 5, 4]);
        assert_eq!(parts(4), [5; 3]);
        assert_eq!(parts(3), [9, 9, 10]);
        assert_eq!(parts(2), [42, 49, 41]);
        assert_eq!(parts(0)[0], 1_772_856_309);
        assert_eq!(parts(9), [260_307, 260_308, 260_307]);
        assert_eq!(parts(10), [40_509, 50_509, 40_510]);
        assert_eq!(parts(11), [20_260_307, 20_260_308, 20_260_307]);
        assert_eq!(time_part(TIME_PARTS, t0), None);
        // 1969-12-31 23:59:59.999 and 2024-02-29 12:00.
        assert_eq!(time_part(8, -1), Some(1969));
        assert_eq!(time_part(6, -1), Some(31));
        assert_eq!(time_part(2, -1), Some(999));
        assert_eq!(
            time_part(11, 19_782 * 86_400_000 + 43_200_000),
            Some(20_240_229)
        );
        // A slot of zero-padded hours and one of canonical days: stored as the part's code,
        // read back from the times; a value off by one keeps the slot's own values.
        for (values, part) in [(["04", "05", "04"], 5u8), (["7", "8", "7"], 6)] {
            let mut buf = Vec::new();
            encode_slot(&mut buf, &values, &times);
            assert_eq!(&buf[..2], &[3, part], "{values:?}");
            assert_eq!(buf.len(), 3);
            let mut c = super::super::codec::Cursor::new(&buf);
            assert_eq!(decode_slot(&mut c, 3, &times).unwrap(), values);
        }
        let mut buf = Vec::new();
        encode_slot(&mut buf, &["7", "9", "7"], &times);
        assert_eq!(buf[0], 0);
    }

    #[test]
    fn repeating_numbers_are_stored_as_they_are() {
        let sizes = ["203023", "171717", "0", "203023", "26185", "171717"];
        let values: Vec<&str> = (0..24).map(|i| sizes[i * 5 % 6]).collect();
        let padded: Vec<&str> = (0..24).map(|i| ["007", "042", "007"][i % 3]).collect();
        let counter: Vec<String> = (0..24).map(|i| (1000 + i * 3).to_string()).collect();
        let counter: Vec<&str> = counter.iter().map(String::as_str).collect();
        let times = vec![1_700_000_000_123; 24];
        for (values, tag) in [
            (&values, SLOT_PLAIN_INTS),
            (&padded, SLOT_PLAIN_INTS),
            (&counter, 0),
        ] {
            let mut buf = Vec::new();
            encode_slot(&mut buf, values, &times);
            assert_eq!(buf[0], tag, "{values:?}");
            let mut c = super::super::codec::Cursor::new(&buf);
            assert_eq!(&decode_slot(&mut c, values.len(), &times).unwrap(), values);
            assert!(c.at_end());
        }
    }
}
