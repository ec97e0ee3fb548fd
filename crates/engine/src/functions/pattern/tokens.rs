//! Splitting a value into tokens, and the type of each token.
//!
//! A token is a run of characters between whitespace and the punctuation that separates fields
//! in logs (`[ ] ( ) { } < > , ; = | " '` and `:`); each of those punctuation characters is a
//! token of its own, so `user=alice` is `user`, `=`, `alice` and only `alice` can vary. Dots,
//! dashes, slashes and underscores stay inside a token: `10.0.0.1`, `req-42`, `/api/v1/users`
//! and `1.5` are one token each. A few compounds are recognised before splitting, because their
//! own punctuation or spaces would otherwise cut them up: timestamps (`2023-01-01 19:00:01`,
//! `2023-01-01T19:00:01.123Z`, `19:00:01`, `10/Oct/2000:13:55:36`), IPv6 addresses and URLs
//! (`https://host/path`).
//!
//! Each token gets a [`TokenType`]. The typed ones (a number, a time, an IP address, an id) are
//! what AWS calls dynamic tokens it can name (`<Time-1>`, `<ID-2>`, `IPAddress-3`); the others
//! are words and punctuation, which stay as written unless they vary.

use std::net::Ipv6Addr;

/// At most this many tokens are read from a value; the rest of it is one last token.
pub const MAX_TOKENS: usize = 200;

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenType {
    /// Anything else: a word, a path, a name.
    Word,
    /// One separating punctuation character.
    Punct,
    /// A number, optionally signed, with a fraction, exponent or unit (`12ms`, `99.9%`).
    Number,
    /// A date, a time of day, or both.
    Time,
    /// An IPv4 or IPv6 address (IPv4 optionally with a `/prefix`).
    IpAddress,
    /// A UUID, or a longer token mixing digits with letters or dashes (`3ff231242342-12345`).
    Id,
}

impl TokenType {
    /// Every type, in the order of [`TokenType::bit`].
    pub const ALL: [TokenType; 6] = [
        TokenType::Word,
        TokenType::Punct,
        TokenType::Number,
        TokenType::Time,
        TokenType::IpAddress,
        TokenType::Id,
    ];

    /// Whether the type names a kind of value (the types whose tokens are masked for grouping).
    pub fn is_typed(self) -> bool {
        !matches!(self, TokenType::Word | TokenType::Punct)
    }

    /// A one-bit mask for sets of types.
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The type with this index in [`TokenType::ALL`].
    pub fn from_index(i: u8) -> Option<TokenType> {
        Self::ALL.get(usize::from(i)).copied()
    }

    /// The name a dynamic token of this type has in a pattern (`<Number-1>`).
    pub fn name(self) -> &'static str {
        match self {
            TokenType::Word | TokenType::Punct => "Token",
            TokenType::Number => "Number",
            TokenType::Time => "Time",
            TokenType::IpAddress => "IPAddress",
            TokenType::Id => "ID",
        }
    }
}

/// One token: its byte range in the value and its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub start: u32,
    pub end: u32,
    pub kind: TokenType,
}

impl Token {
    pub fn text<'a>(&self, value: &'a str) -> &'a str {
        value
            .get(self.start as usize..self.end as usize)
            .unwrap_or("")
    }
}

/// The separating punctuation: each is a token of its own.
fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'[' | b']'
            | b'('
            | b')'
            | b'{'
            | b'}'
            | b'<'
            | b'>'
            | b','
            | b';'
            | b'='
            | b'|'
            | b'"'
            | b'\''
            | b':'
    )
}

/// Splits `value` into `out` (cleared first).
pub fn tokenize(value: &str, out: &mut Vec<Token>) {
    out.clear();
    let b = value.as_bytes();
    let mut i = 0;
    fn push(out: &mut Vec<Token>, start: usize, end: usize, kind: TokenType) {
        out.push(Token {
            start: start as u32,
            end: end as u32,
            kind,
        });
    }
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if out.len() + 1 == MAX_TOKENS {
            // The rest is one token (trailing whitespace left out).
            let end = value.trim_end().len().max(i);
            push(out, i, end, TokenType::Word);
            return;
        }
        if let Some(end) = time_at(b, i) {
            push(out, i, end, TokenType::Time);
            i = end;
            continue;
        }
        if let Some(end) = ipv6_at(value, i) {
            push(out, i, end, TokenType::IpAddress);
            i = end;
            continue;
        }
        if is_delimiter(b[i]) {
            push(out, i, i + 1, TokenType::Punct);
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            // `scheme://` keeps a URL whole.
            if b[i] == b':' && b[i + 1..].starts_with(b"//") && i > start {
                i += 3;
                continue;
            }
            if is_delimiter(b[i]) {
                break;
            }
            i += 1;
        }
        push(out, start, i, classify(&value[start..i]));
    }
}

/// The type of a token that is not a compound.
pub fn classify(word: &str) -> TokenType {
    if is_ipv4(word) {
        TokenType::IpAddress
    } else if is_number(word) {
        TokenType::Number
    } else if is_id(word) {
        TokenType::Id
    } else {
        TokenType::Word
    }
}

fn digits(b: &[u8], i: usize, n: usize) -> bool {
    b.len() >= i + n && b[i..i + n].iter().all(u8::is_ascii_digit)
}

/// Whether a token may end at `i` (no letter or digit runs on).
fn boundary(b: &[u8], i: usize) -> bool {
    b.get(i).is_none_or(|c| !c.is_ascii_alphanumeric())
}

/// The end of a timestamp starting at `i`, if one does.
fn time_at(b: &[u8], i: usize) -> Option<usize> {
    if !b[i].is_ascii_digit() {
        return None;
    }
    // yyyy-mm-dd or yyyy/mm/dd, optionally followed by a time of day.
    if digits(b, i, 4)
        && matches!(b.get(i + 4), Some(b'-' | b'/'))
        && digits(b, i + 5, 2)
        && b.get(i + 7) == b.get(i + 4)
        && digits(b, i + 8, 2)
    {
        let date_end = i + 10;
        if matches!(b.get(date_end), Some(b'T' | b' ' | b'_'))
            && let Some(end) = clock_at(b, date_end + 1)
            && boundary(b, zone_at(b, end))
        {
            return Some(zone_at(b, end));
        }
        return boundary(b, date_end).then_some(date_end);
    }
    // dd/Mon/yyyy[:hh:mm:ss] (the common log format).
    if digits(b, i, 2)
        && b.get(i + 2) == Some(&b'/')
        && b.len() >= i + 6
        && b[i + 3..i + 6].iter().all(u8::is_ascii_alphabetic)
        && b.get(i + 6) == Some(&b'/')
        && digits(b, i + 7, 4)
    {
        let date_end = i + 11;
        if b.get(date_end) == Some(&b':')
            && let Some(end) = clock_at(b, date_end + 1)
            && boundary(b, end)
        {
            return Some(end);
        }
        return boundary(b, date_end).then_some(date_end);
    }
    clock_at(b, i)
        .map(|end| zone_at(b, end))
        .filter(|&end| boundary(b, end))
}

/// The end of `hh:mm[:ss[.fff]]` at `i` (the caller checks what follows).
fn clock_at(b: &[u8], i: usize) -> Option<usize> {
    if !(digits(b, i, 2) && b.get(i + 2) == Some(&b':') && digits(b, i + 3, 2)) {
        return None;
    }
    let mut end = i + 5;
    if b.get(end) == Some(&b':') && digits(b, end + 1, 2) {
        end += 3;
        if matches!(b.get(end), Some(b'.' | b',')) && digits(b, end + 1, 1) {
            end += 1;
            while b.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
        }
    }
    Some(end)
}

/// `end` extended over a time zone: `Z`, `+hh:mm`, `+hhmm` or `-hh`.
fn zone_at(b: &[u8], end: usize) -> usize {
    match b.get(end) {
        Some(b'Z') if boundary(b, end + 1) => end + 1,
        Some(b'+' | b'-') if digits(b, end + 1, 2) => {
            let mut z = end + 3;
            if b.get(z) == Some(&b':') && digits(b, z + 1, 2) {
                z += 3;
            } else if digits(b, z, 2) {
                z += 2;
            }
            if boundary(b, z) { z } else { end }
        }
        _ => end,
    }
}

/// The end of an IPv6 address starting at `i`, if one does.
fn ipv6_at(value: &str, i: usize) -> Option<usize> {
    let b = value.as_bytes();
    if !(b[i].is_ascii_hexdigit() || b[i] == b':') {
        return None;
    }
    let mut end = i;
    let mut colons = 0;
    while let Some(&c) = b.get(end) {
        if c == b':' {
            colons += 1;
        } else if !(c.is_ascii_hexdigit() || c == b'.') {
            break;
        }
        end += 1;
    }
    if colons < 2 || !boundary(b, end) {
        return None;
    }
    // A trailing `:` belongs to the text after the address.
    let mut candidate = &value[i..end];
    while candidate.len() > 2 && candidate.ends_with(':') && !candidate.ends_with("::") {
        candidate = &candidate[..candidate.len() - 1];
    }
    candidate
        .parse::<Ipv6Addr>()
        .ok()
        .map(|_| i + candidate.len())
}

/// A dotted quad, each part 0–255, optionally with a `/prefix` of at most 32.
fn is_ipv4(word: &str) -> bool {
    let (address, prefix) = match word.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (word, None),
    };
    let parts: Vec<&str> = address.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|c| c.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|v| v <= 255)
        })
        && prefix
            .is_none_or(|p| !p.is_empty() && p.len() <= 2 && p.parse::<u8>().is_ok_and(|v| v <= 32))
}

/// Units a number may carry (`12ms`, `4KB`, `99%`), compared ignoring case.
const UNITS: &[&str] = &[
    "ns", "us", "µs", "ms", "s", "sec", "m", "min", "h", "d", "b", "k", "kb", "mb", "gb", "tb",
    "kib", "mib", "gib", "%", "x",
];

/// An optionally signed decimal number, optionally with an exponent and a unit.
fn is_number(word: &str) -> bool {
    let b = word.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == start {
        return false;
    }
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            i = j;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
    }
    let unit = &word[i..];
    unit.is_empty() || UNITS.iter().any(|u| unit.eq_ignore_ascii_case(u))
}

/// A UUID; or a token of at least 8 characters holding a digit and a letter or a dash, made of
/// letters, digits, `-`, `_`, `.` and `#` only (no `/`: paths stay words).
fn is_id(word: &str) -> bool {
    if is_uuid(word) {
        return true;
    }
    let b = word.as_bytes();
    b.len() >= 8
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'#'))
        && b.iter().any(u8::is_ascii_digit)
        && b.iter().any(|c| c.is_ascii_alphabetic() || *c == b'-')
        // A version such as 1.2.3-4 is not an id; neither is a dotted name.
        && !b.contains(&b'.')
}

fn is_uuid(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(value: &str) -> Vec<(&str, TokenType)> {
        let mut tokens = Vec::new();
        tokenize(value, &mut tokens);
        tokens.iter().map(|t| (t.text(value), t.kind)).collect()
    }

    use TokenType::*;

    #[test]
    fn splits_on_whitespace_and_separating_punctuation() {
        assert_eq!(
            split("user=alice [INFO] {a: 1}"),
            [
                ("user", Word),
                ("=", Punct),
                ("alice", Word),
                ("[", Punct),
                ("INFO", Word),
                ("]", Punct),
                ("{", Punct),
                ("a", Word),
                (":", Punct),
                ("1", Number),
                ("}", Punct),
            ]
        );
        assert_eq!(
            split("GET /api/v1/users/42 HTTP/1.1 done."),
            [
                ("GET", Word),
                ("/api/v1/users/42", Word),
                ("HTTP/1.1", Word),
                ("done.", Word),
            ]
        );
        assert!(split("   ").is_empty());
    }

    #[test]
    fn the_aws_example_has_a_time_and_an_id() {
        let line = "2023-01-01 19:00:01 [INFO] Calling DynamoDB to store for resource id 12342342k124-12345";
        let tokens = split(line);
        assert_eq!(tokens[0], ("2023-01-01 19:00:01", Time));
        assert_eq!(tokens.last(), Some(&("12342342k124-12345", Id)));
        assert_eq!(split("324892398123-12345"), [("324892398123-12345", Id)]);
        assert_eq!(split("3ff231242342-12345"), [("3ff231242342-12345", Id)]);
    }

    #[test]
    fn timestamps_are_one_token() {
        for t in [
            "2023-01-01T19:00:01.123Z",
            "2023-01-01T19:00:01+02:00",
            "2023-01-01 19:00",
            "2023/01/01",
            "19:00:01",
            "19:00:01,474",
            "10/Oct/2000:13:55:36",
            "2026-11-01T09:00:00.000Z",
        ] {
            assert_eq!(split(t), [(t, Time)], "{t}");
        }
        // A ratio is not a time; a date glued to letters is not one either.
        assert_eq!(split("1:2"), [("1", Number), (":", Punct), ("2", Number)]);
        assert_eq!(split("2023-01-01x")[0].1, Id);
    }

    #[test]
    fn addresses_numbers_and_ids() {
        assert_eq!(split("10.0.0.1"), [("10.0.0.1", IpAddress)]);
        assert_eq!(split("10.0.0.0/8"), [("10.0.0.0/8", IpAddress)]);
        assert_eq!(
            split("10.0.0.1:443"),
            [("10.0.0.1", IpAddress), (":", Punct), ("443", Number)]
        );
        assert_eq!(split("2001:db8::1"), [("2001:db8::1", IpAddress)]);
        assert_eq!(split("::1"), [("::1", IpAddress)]);
        assert_eq!(split("256.1.1.1"), [("256.1.1.1", Word)]);
        for n in ["42", "-3", "+1.5", "1e-9", "12ms", "4KB", "99.9%"] {
            assert_eq!(split(n), [(n, Number)], "{n}");
        }
        for id in [
            "550e8400-e29b-41d4-a716-446655440000",
            "i-0abcd1234ef",
            "a1b2c3d4e5",
        ] {
            assert_eq!(split(id), [(id, Id)], "{id}");
        }
        for word in ["user123", "ec2", "v1.2.3", "deadbeef", "alice", "5xx"] {
            assert_eq!(split(word), [(word, Word)], "{word}");
        }
        assert_eq!(
            split("see https://example.com/a?b"),
            [("see", Word), ("https://example.com/a?b", Word)]
        );
    }

    #[test]
    fn long_values_end_in_one_token() {
        let value = (0..300)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let mut tokens = Vec::new();
        tokenize(&value, &mut tokens);
        assert_eq!(tokens.len(), MAX_TOKENS);
        let last = tokens[MAX_TOKENS - 1].text(&value);
        assert!(
            last.starts_with("w199 w200") && last.ends_with("w299"),
            "{last}"
        );
    }
}
