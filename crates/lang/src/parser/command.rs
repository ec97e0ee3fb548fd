//! The pipeline (`command | command | ...`) and the commands of spec §3.

use nom::Parser as _;
use nom::combinator::cut;

use super::lexical::{self, trivia};
use super::{PResult, Parser};
use crate::ast::{
    Command, CommandKind, FilterKeyword, Ident, Projection, Query, SortKey, SortOrder,
};
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::suggest::did_you_mean;

/// Commands the parser understands.
const IMPLEMENTED: &[&str] = &["fields", "display", "filter", "where", "sort", "limit"];

/// Commands of the language that are not implemented yet, in their documented spelling.
const NOT_YET: &[&str] = &[
    "stats",
    "parse",
    "json",
    "dedup",
    "unnest",
    "expand",
    "pattern",
    "anomaly",
    "diff",
    "unmask",
    "filterIndex",
    "SOURCE",
    "lookup",
    "cidrlookup",
    "join",
    "appendcols",
    "addtotals",
    "autoregress",
    "accum",
    "filldown",
    "fillmissing",
    "sessionize",
    "logcompare",
    "outlier",
    "countFrequent",
    "count_frequent",
    "relevantfields",
];

impl<'s> Parser<'s> {
    /// `query := command ("|" command)*`
    pub(crate) fn query(&self, i: &'s str) -> PResult<'s, Query> {
        let mut rest = trivia(i);
        if rest.is_empty() {
            let span = Span::new(0, self.pos(""));
            return self.fail(
                Diagnostic::syntax("empty query", span)
                    .with_label("no command here")
                    .with_help("start with a command such as `fields @timestamp, @message`"),
            );
        }
        let mut commands: Vec<Command> = Vec::new();
        loop {
            let (r, command) = cut(|i| self.command(i)).parse(rest)?;
            let r = trivia(r);
            let is_list = matches!(
                command.kind,
                CommandKind::Fields(_) | CommandKind::Display(_) | CommandKind::Sort(_)
            );
            let is_filter = matches!(command.kind, CommandKind::Filter { .. });
            commands.push(command);
            if r.is_empty() {
                break;
            }
            if let Some(after_pipe) = r.strip_prefix('|') {
                let next = trivia(after_pipe);
                if next.is_empty() {
                    return self.fail(
                        Diagnostic::syntax(
                            "expected a command after `|`",
                            self.span(r, after_pipe),
                        )
                        .with_label("nothing follows this `|`")
                        .with_help("remove the trailing `|`"),
                    );
                }
                rest = next;
                continue;
            }
            let (span, found) = self.next_token(r);
            let (what, help) = if is_list {
                (
                    "`,`, `|` or the end of the query",
                    "separate items with `,` and commands with `|`",
                )
            } else if is_filter {
                (
                    "`|` or the end of the query",
                    "join conditions with `and` or `or`",
                )
            } else {
                ("`|` or the end of the query", "separate commands with `|`")
            };
            return self.fail(
                Diagnostic::syntax(format!("expected {what}, found {found}"), span)
                    .with_label("unexpected here")
                    .with_help(help),
            );
        }
        let span = match (commands.first(), commands.last()) {
            (Some(first), Some(last)) => first.span.to(last.span),
            _ => Span::default(),
        };
        Ok(("", Query { commands, span }))
    }

    fn command(&self, i: &'s str) -> PResult<'s, Command> {
        let Ok((rest, word)) = lexical::word(i) else {
            return self.expected(
                i,
                "a command",
                "expected a command such as `fields` or `filter`",
            );
        };
        let keyword = self.span(i, rest);
        let (rest, kind) = match word.to_ascii_lowercase().as_str() {
            "fields" => {
                let (r, p) = cut(|i| self.projections(i)).parse(rest)?;
                (r, CommandKind::Fields(p))
            }
            "display" => {
                let (r, p) = cut(|i| self.projections(i)).parse(rest)?;
                (r, CommandKind::Display(p))
            }
            lower @ ("filter" | "where") => {
                let keyword = if lower == "filter" {
                    FilterKeyword::Filter
                } else {
                    FilterKeyword::Where
                };
                let (r, condition) = cut(|i| self.expr(i)).parse(rest)?;
                (r, CommandKind::Filter { keyword, condition })
            }
            "sort" => {
                let (r, keys) = cut(|i| self.sort_keys(i)).parse(rest)?;
                (r, CommandKind::Sort(keys))
            }
            "limit" => cut(|i| self.limit(i)).parse(rest)?,
            lower => return self.unknown_command(word, lower, keyword),
        };
        Ok((
            rest,
            Command {
                kind,
                span: self.span(i, rest),
            },
        ))
    }

    fn unknown_command<T>(&self, word: &str, lower: &str, keyword: Span) -> PResult<'s, T> {
        if let Some(name) = NOT_YET.iter().find(|n| n.eq_ignore_ascii_case(lower)) {
            return self.fail(
                Diagnostic::unsupported(format!("command `{name}`"), keyword)
                    .with_label("not implemented in Loupe yet"),
            );
        }
        let mut diag = Diagnostic::syntax(format!("unknown command `{word}`"), keyword)
            .with_label("not a command");
        if let Some(name) = did_you_mean(word, IMPLEMENTED.iter().chain(NOT_YET).copied()) {
            diag = diag.with_help(format!("did you mean `{name}`?"));
        }
        self.fail(diag)
    }

    /// `proj ("," proj)*` with `proj := expr ["as" name]`.
    fn projections(&self, i: &'s str) -> PResult<'s, Vec<Projection>> {
        let mut items = Vec::new();
        let mut rest = i;
        loop {
            let (r, expr) = self.expr(rest)?;
            let (r, alias) = self.alias(r)?;
            let end = alias.as_ref().map_or(expr.span, |a| a.span);
            let span = expr.span.to(end);
            items.push(Projection { expr, alias, span });
            match trivia(r).strip_prefix(',') {
                Some(after) => rest = after,
                None => return Ok((r, items)),
            }
        }
    }

    /// An optional `as name`.
    pub(crate) fn alias(&self, i: &'s str) -> PResult<'s, Option<Ident>> {
        let t = trivia(i);
        let Ok((r, _)) = lexical::keyword("as")(t) else {
            return Ok((i, None));
        };
        let (r, name) = self.name(r, "an alias after `as`")?;
        Ok((r, Some(name)))
    }

    /// A field name or alias: bare or backticked.
    pub(crate) fn name(&self, i: &'s str, what: &str) -> PResult<'s, Ident> {
        let i = trivia(i);
        if i.starts_with('`') {
            return self.backtick_name(i);
        }
        match lexical::bare_name(i) {
            Ok((r, name)) => Ok((
                r,
                Ident {
                    name: name.to_owned(),
                    span: self.span(i, r),
                },
            )),
            Err(_) => self.expected(i, what, "expected a name"),
        }
    }

    /// `["by"] key ("," key)*` with `key := expr ["asc" | "desc"]`.
    fn sort_keys(&self, i: &'s str) -> PResult<'s, Vec<SortKey>> {
        let t = trivia(i);
        // `sort by x` is accepted; a field called `by` is still `sort by` alone.
        let mut rest = match lexical::keyword("by")(t) {
            Ok((r, _)) if starts_operand(trivia(r)) => r,
            _ => i,
        };
        let mut keys = Vec::new();
        loop {
            let (r, expr) = self.expr(rest)?;
            let t = trivia(r);
            let (r, order, span) = if let Ok((r2, _)) = lexical::keyword("asc")(t) {
                (r2, Some(SortOrder::Asc), expr.span.to(self.span(t, r2)))
            } else if let Ok((r2, _)) = lexical::keyword("desc")(t) {
                (r2, Some(SortOrder::Desc), expr.span.to(self.span(t, r2)))
            } else {
                (r, None, expr.span)
            };
            keys.push(SortKey { expr, order, span });
            match trivia(r).strip_prefix(',') {
                Some(after) => rest = after,
                None => return Ok((r, keys)),
            }
        }
    }

    /// `["any"] integer`
    fn limit(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let t = trivia(i);
        let (t, any) = match lexical::keyword("any")(t) {
            Ok((r, _)) => (trivia(r), true),
            Err(_) => (t, false),
        };
        let Ok((r, text)) = lexical::number_text(t) else {
            return self.expected(t, "a number of rows", "expected a positive integer");
        };
        let end = r
            .find(|c: char| !(lexical::is_word_char(c) || c == '.'))
            .unwrap_or(r.len());
        let count_span = self.span(t, &r[end..]);
        if text.contains('.') || end > 0 {
            return self.fail(
                Diagnostic::syntax("the row count must be a whole number", count_span)
                    .with_label("not an integer"),
            );
        }
        let Ok(count) = text.parse::<u64>() else {
            return self.fail(
                Diagnostic::syntax("the row count is too large", count_span)
                    .with_label("too large"),
            );
        };
        Ok((
            r,
            CommandKind::Limit {
                count,
                count_span,
                any,
            },
        ))
    }
}

/// Whether `t` starts something that can begin an expression (used to tell `sort by x` from a
/// field named `by`).
fn starts_operand(t: &str) -> bool {
    match t.chars().next() {
        None | Some(',' | '|' | ')' | ']') => false,
        Some(_) => !lexical::at_keyword(t, "asc") && !lexical::at_keyword(t, "desc"),
    }
}
