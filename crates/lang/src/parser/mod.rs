//! The nom parser: query text → [`Query`] with spans, or the first [`Diagnostic`].
//!
//! Layout: [`lexical`] holds the token-level rules, [`expr`] the expression grammar (precedence
//! climbing per spec §1.6) and [`command`] the pipeline and its commands. Once a command keyword
//! matched, its arguments are parsed under `cut`, so an error points at the real problem rather
//! than at the keyword.

mod command;
mod expr;
mod lexical;

use std::cell::Cell;

use nom::error::{ErrorKind, ParseError};

use crate::ast::Query;
use crate::diagnostic::Diagnostic;
use crate::span::Span;

pub(crate) use lexical::{BACKTICK_ESCAPES, STRING_ESCAPES, is_bare_name, is_word_char};

/// Deepest nesting of parentheses, calls, lists and prefix operators.
pub(crate) const MAX_NESTING: u32 = 100;
/// Deepest expression tree (long `and`/`or` chains nest one level per operator).
pub(crate) const MAX_TREE_DEPTH: u32 = 500;

/// Parses a whole query and runs the compile-time checks of [`crate::check()`].
///
/// ```
/// let q = loupe_lang::parse("filter status >= 500 | limit 10").unwrap();
/// assert_eq!(q.commands.len(), 2);
/// assert!(loupe_lang::parse("limt 10").is_err());
/// assert!(loupe_lang::parse("fields count(*)").is_err()); // aggregate outside `stats`
/// ```
pub fn parse(src: &str) -> Result<Query, Diagnostic> {
    let query = parse_syntax(src)?;
    crate::check::check(&query)?;
    Ok(query)
}

/// Parses a whole query without the compile-time checks: only the grammar is enforced.
///
/// ```
/// assert!(loupe_lang::parse_syntax("fields nosuchfunction(1)").is_ok());
/// ```
pub fn parse_syntax(src: &str) -> Result<Query, Diagnostic> {
    if u32::try_from(src.len()).is_err() {
        return Err(Diagnostic::syntax("the query is too long", Span::new(0, 0))
            .with_label("queries are limited to 4 GiB"));
    }
    let p = Parser::new(src);
    match p.query(src) {
        Ok((_, q)) => Ok(q),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(p.to_diagnostic(e)),
        Err(nom::Err::Incomplete(_)) => {
            Err(Diagnostic::syntax("unexpected end of query", p.span_at(""))
                .with_label("the query ends here"))
        }
    }
}

/// The parser's error: either a finished diagnostic or a bare position (nom's own errors).
#[derive(Debug, PartialEq)]
pub(crate) struct PError {
    /// Length of the input remaining where the error happened.
    rest_len: usize,
    diag: Option<Box<Diagnostic>>,
}

impl PError {
    pub(crate) fn at(i: &str) -> Self {
        Self {
            rest_len: i.len(),
            diag: None,
        }
    }
}

impl PError {
    /// A non-backtracking error carrying `diag`.
    pub(crate) fn failure(diag: Diagnostic) -> nom::Err<Self> {
        nom::Err::Failure(Self {
            rest_len: 0,
            diag: Some(Box::new(diag)),
        })
    }
}

impl ParseError<&str> for PError {
    fn from_error_kind(input: &str, _kind: ErrorKind) -> Self {
        Self::at(input)
    }

    fn append(_input: &str, _kind: ErrorKind, other: Self) -> Self {
        other
    }

    fn or(self, other: Self) -> Self {
        // Prefer a real diagnostic, then the error that got furthest.
        match (&self.diag, &other.diag) {
            (Some(_), None) => self,
            (None, Some(_)) => other,
            _ if other.rest_len <= self.rest_len => other,
            _ => self,
        }
    }
}

pub(crate) type PResult<'a, T> = nom::IResult<&'a str, T, PError>;

/// Parser state: the source (to turn remaining input into offsets) and the nesting depth.
pub(crate) struct Parser<'s> {
    src: &'s str,
    depth: Cell<u32>,
}

impl<'s> Parser<'s> {
    pub(crate) fn new(src: &'s str) -> Self {
        Self {
            src,
            depth: Cell::new(0),
        }
    }

    /// Byte offset of the remaining input `rest`.
    pub(crate) fn pos(&self, rest: &str) -> u32 {
        // Lengths fit in u32: `parse` rejects longer sources.
        (self.src.len().saturating_sub(rest.len())) as u32
    }

    /// The span from the start of `before` to the start of `after`.
    pub(crate) fn span(&self, before: &str, after: &str) -> Span {
        Span::new(self.pos(before), self.pos(after))
    }

    /// An empty span at the start of `rest`.
    pub(crate) fn span_at(&self, rest: &str) -> Span {
        let p = self.pos(rest);
        Span::new(p, p)
    }

    /// The span and a description of the next token, for "found ..." messages.
    pub(crate) fn next_token(&self, i: &str) -> (Span, String) {
        let start = self.pos(i);
        let Some(c) = i.chars().next() else {
            return (Span::new(start, start), "end of query".to_owned());
        };
        let len = if lexical::is_word_char(c) || c == '@' {
            i.find(|c: char| !(lexical::is_word_char(c) || c == '@' || c == '.'))
                .unwrap_or(i.len())
        } else if ["==", "!=", "<=", ">=", "=~"]
            .iter()
            .any(|op| i.starts_with(op))
        {
            2
        } else if matches!(c, '"' | '\'' | '`') {
            // A whole quoted token, when it is closed and short.
            match lexical::delimited_body(&i[1..], c, &[c, '\\']) {
                lexical::Delimited::Closed(_, rest) if i.len() - rest.len() <= 40 => {
                    i.len() - rest.len()
                }
                _ => 1,
            }
        } else {
            c.len_utf8()
        };
        let text = &i[..len.max(c.len_utf8())];
        let shown = if text.contains('`') {
            text.to_owned()
        } else {
            format!("`{text}`")
        };
        (Span::new(start, start + text.len() as u32), shown)
    }

    /// A failure (no backtracking) carrying `diag`.
    pub(crate) fn fail<T>(&self, diag: Diagnostic) -> PResult<'s, T> {
        Err(nom::Err::Failure(PError {
            rest_len: 0,
            diag: Some(Box::new(diag)),
        }))
    }

    /// "expected X, found Y" at the next token of `i`.
    pub(crate) fn expected<T>(&self, i: &'s str, what: &str, label: &str) -> PResult<'s, T> {
        let (span, found) = self.next_token(i);
        self.fail(
            Diagnostic::syntax(format!("expected {what}, found {found}"), span).with_label(label),
        )
    }

    /// Runs `f` one nesting level deeper, failing past [`MAX_NESTING`].
    pub(crate) fn nested<T>(
        &self,
        i: &'s str,
        f: impl FnOnce(&'s str) -> PResult<'s, T>,
    ) -> PResult<'s, T> {
        let depth = self.depth.get() + 1;
        if depth > MAX_NESTING {
            let (span, _) = self.next_token(i);
            return self.fail(
                Diagnostic::syntax("expression is nested too deeply", span)
                    .with_label(format!("more than {MAX_NESTING} levels of nesting"))
                    .with_help("split the expression or remove redundant parentheses"),
            );
        }
        self.depth.set(depth);
        let result = f(i);
        self.depth.set(depth - 1);
        result
    }

    pub(crate) fn to_diagnostic(&self, e: PError) -> Diagnostic {
        match e.diag {
            Some(d) => *d,
            None => {
                let rest = self
                    .src
                    .get(self.src.len().saturating_sub(e.rest_len)..)
                    .unwrap_or("");
                let (span, found) = self.next_token(rest);
                Diagnostic::syntax(format!("unexpected {found}"), span)
                    .with_label("not expected here")
            }
        }
    }
}
