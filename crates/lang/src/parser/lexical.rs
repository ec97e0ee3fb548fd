//! Lexical rules (spec §1.3–§1.5): whitespace and comments, words, names, quoted strings,
//! backtick names, regex literals, numbers and durations.
//!
//! Every function here takes the remaining input *after* leading trivia was skipped by the
//! caller and returns the rest; none of them skips trailing trivia.

use nom::bytes::complete::{take_while, take_while1};
use nom::character::complete::{char, digit1, satisfy};
use nom::combinator::{opt, recognize};
use nom::sequence::pair;
use nom::{IResult, Parser as _};

use super::PError;

pub(crate) type LResult<'a, T> = IResult<&'a str, T, PError>;

/// Skips whitespace and `#` comments (a comment runs to the end of its line).
pub(crate) fn trivia(mut i: &str) -> &str {
    loop {
        let trimmed = i.trim_start();
        if let Some(comment) = trimmed.strip_prefix('#') {
            i = comment.find('\n').map_or("", |n| &comment[n..]);
        } else {
            return trimmed;
        }
    }
}

/// Characters that may continue a bare name or a keyword.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A run of letters, digits and `_` (command words, keywords, function names).
pub(crate) fn word(i: &str) -> LResult<'_, &str> {
    take_while1(is_word_char).parse(i)
}

/// `kw` as a whole word, case-insensitively.
pub(crate) fn keyword<'a>(kw: &'static str) -> impl Fn(&'a str) -> LResult<'a, &'a str> {
    move |i: &'a str| {
        let (rest, w) = word(i)?;
        if w.eq_ignore_ascii_case(kw) {
            Ok((rest, w))
        } else {
            Err(nom::Err::Error(PError::at(i)))
        }
    }
}

/// Whether `i` starts with the keyword `kw` (case-insensitive, whole word).
pub(crate) fn at_keyword(i: &str, kw: &'static str) -> bool {
    keyword(kw)(i).is_ok()
}

/// A bare field name: leading `@`s, then a letter, digit or `_`, then letters, digits, `_` and
/// `.` (spec §1.4). Does not accept a leading digit, which starts a number.
pub(crate) fn bare_name(i: &str) -> LResult<'_, &str> {
    recognize((
        take_while(|c| c == '@'),
        satisfy(|c| c.is_alphabetic() || c == '_'),
        take_while(|c: char| is_word_char(c) || c == '.'),
    ))
    .parse(i)
}

/// Whether `name` can be printed without backticks and read back as the same field.
pub(crate) fn is_bare_name(name: &str) -> bool {
    const RESERVED: &[&str] = &[
        "and", "or", "not", "like", "in", "true", "false", "as", "by", "asc", "desc",
    ];
    matches!(bare_name(name), Ok(("", _))) && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name))
}

/// Outcome of scanning a delimited literal.
pub(crate) enum Delimited<'a> {
    /// The unescaped content and the rest after the closing delimiter.
    Closed(String, &'a str),
    /// No closing delimiter before the end of the input.
    Unterminated,
}

/// Scans text delimited by `close` after the opening delimiter was consumed. A backslash
/// escapes any character in `escapes` (the backslash is dropped) and is kept verbatim before
/// anything else.
pub(crate) fn delimited_body<'a>(i: &'a str, close: char, escapes: &[char]) -> Delimited<'a> {
    let mut out = String::new();
    let mut chars = i.char_indices();
    while let Some((at, c)) = chars.next() {
        if c == close {
            return Delimited::Closed(out, &i[at + c.len_utf8()..]);
        }
        if c == '\\' {
            match chars.next() {
                Some((_, e)) if escapes.contains(&e) => out.push(e),
                Some((_, e)) => {
                    out.push('\\');
                    out.push(e);
                }
                None => return Delimited::Unterminated,
            }
        } else {
            out.push(c);
        }
    }
    Delimited::Unterminated
}

/// Escapes for quoted strings: both quote characters and the backslash.
pub(crate) const STRING_ESCAPES: &[char] = &['"', '\'', '\\'];
/// Escapes for backtick names.
pub(crate) const BACKTICK_ESCAPES: &[char] = &['`', '\\'];
/// Escapes for regex literals: only the delimiter; other sequences (`\d`, `\\`) are regex syntax.
pub(crate) const REGEX_ESCAPES: &[char] = &['/'];

/// The digits of a number literal: `123` or `1.25`.
pub(crate) fn number_text(i: &str) -> LResult<'_, &str> {
    recognize(pair(digit1, opt(pair(char('.'), digit1)))).parse(i)
}

/// Duration units accepted by `bin` and friends (spec §1.5), as canonical spellings.
const DURATION_UNITS: &[&str] = &[
    "millisecond",
    "ms",
    "msec",
    "second",
    "s",
    "sec",
    "minute",
    "m",
    "min",
    "hour",
    "h",
    "hr",
    "day",
    "d",
    "week",
    "w",
    "month",
    "mo",
    "mon",
    "quarter",
    "q",
    "qtr",
    "year",
    "y",
    "yr",
];

/// Whether `unit` is a duration unit (case-insensitive; multi-letter spellings other than `ms`
/// also take a plural `s`).
pub(crate) fn is_duration_unit(unit: &str) -> bool {
    let lower = unit.to_ascii_lowercase();
    if DURATION_UNITS.contains(&lower.as_str()) {
        return true;
    }
    lower.strip_suffix('s').is_some_and(|singular| {
        singular.len() > 1 && singular != "ms" && DURATION_UNITS.contains(&singular)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trivia_skips_comments_and_space() {
        assert_eq!(trivia("  # c\n  # d\nfields"), "fields");
        assert_eq!(trivia("# only"), "");
        assert_eq!(trivia("x # y"), "x # y");
    }

    #[test]
    fn bare_names() {
        assert_eq!(bare_name("@timestamp, x").map(|r| r.1), Ok("@timestamp"));
        assert_eq!(
            bare_name("@@example.com|").map(|r| r.1),
            Ok("@@example.com")
        );
        assert_eq!(bare_name("a.b.0.c=1").map(|r| r.1), Ok("a.b.0.c"));
        assert!(bare_name("1abc").is_err());
        assert!(bare_name("@ x").is_err());
        assert!(is_bare_name("json_message"));
        assert!(!is_bare_name("detail-type"));
        assert!(!is_bare_name("AND"));
        assert!(!is_bare_name("@1x"));
        assert!(!is_bare_name(""));
    }

    #[test]
    fn units() {
        for u in [
            "ms", "m", "MIN", "mins", "hrs", "msecs", "mo", "mons", "days", "qtr",
        ] {
            assert!(is_duration_unit(u), "{u}");
        }
        for u in ["mss", "x", "e", "ss", "hh"] {
            assert!(!is_duration_unit(u), "{u}");
        }
    }

    #[test]
    fn delimited() {
        match delimited_body(r#"a\"b\nc" rest"#, '"', STRING_ESCAPES) {
            Delimited::Closed(s, rest) => {
                assert_eq!(s, "a\"b\\nc");
                assert_eq!(rest, " rest");
            }
            Delimited::Unterminated => panic!("unterminated"),
        }
        assert!(matches!(
            delimited_body(r"abc\/", '/', REGEX_ESCAPES),
            Delimited::Unterminated
        ));
    }
}
