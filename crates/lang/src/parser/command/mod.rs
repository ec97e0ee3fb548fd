//! The pipeline (`command | command | ...`) and the commands of spec §3.
//!
//! Each command parser takes the input after its keyword and returns the [`CommandKind`]; the
//! dispatcher wraps it in `cut` so errors inside a command are final. The commands live in
//! [`basic`] (projection, filtering, ordering, aggregation), [`extract`] (`parse`, `json`,
//! `unnest`, `expand`), [`source`] (`SOURCE`, `join`, `appendcols`, lookups) and [`sequence`]
//! (the row-sequence commands of spec §3.24).

mod basic;
mod extract;
mod sequence;
mod source;

use nom::Parser as _;
use nom::combinator::cut;

use super::expr::Durations;
use super::lexical::{self, trivia};
use super::{PResult, Parser};
use crate::ast::{Command, CommandKind, Expr, ExprKind, Ident, Literal, Query};
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::suggest::did_you_mean;

/// Every command keyword, in its documented spelling.
pub(crate) const COMMANDS: &[&str] = &[
    "fields",
    "display",
    "filter",
    "where",
    "stats",
    "sort",
    "limit",
    "parse",
    "json",
    "dedup",
    "unnest",
    "expand",
    "filterIndex",
    "pattern",
    "anomaly",
    "diff",
    "unmask",
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
];

/// Documented commands whose syntax is not known well enough to parse.
const NOT_YET: &[&str] = &["relevantfields"];

impl<'s> Parser<'s> {
    /// `query := pipeline` followed by the end of the input.
    pub(crate) fn query(&self, i: &'s str) -> PResult<'s, Query> {
        if trivia(i).is_empty() {
            let span = Span::new(0, self.pos(""));
            return self.fail(
                Diagnostic::syntax("empty query", span)
                    .with_label("no command here")
                    .with_help("start with a command such as `fields @timestamp, @message`"),
            );
        }
        let (rest, query) = self.pipeline(i, None)?;
        Ok((rest, query))
    }

    /// `subquery := "(" pipeline ")"`; `i` starts at `(`.
    pub(crate) fn subquery(&self, i: &'s str) -> PResult<'s, Query> {
        let inner = &i[1..];
        if trivia(inner).starts_with(')') {
            return self.expected(trivia(inner), "a command", "the subquery is empty");
        }
        let (rest, query) = self.pipeline(inner, Some(')'))?;
        match trivia(rest).strip_prefix(')') {
            Some(r) => Ok((r, query)),
            None => self.expected(trivia(rest), "`)`", "expected `)`"),
        }
    }

    /// `pipeline := command ("|" command)*`, ending at the end of the input or before `close`.
    fn pipeline(&self, i: &'s str, close: Option<char>) -> PResult<'s, Query> {
        let mut rest = trivia(i);
        let mut commands: Vec<Command> = Vec::new();
        loop {
            let (r, command) = cut(|i| self.command(i)).parse(rest)?;
            let t = trivia(r);
            let list_like = takes_list(&command.kind);
            let is_filter = matches!(command.kind, CommandKind::Filter { .. });
            commands.push(command);
            if let Some(after_pipe) = t.strip_prefix('|') {
                let next = trivia(after_pipe);
                if next.is_empty() || close.is_some_and(|c| next.starts_with(c)) {
                    return self.fail(
                        Diagnostic::syntax(
                            "expected a command after `|`",
                            self.span(t, after_pipe),
                        )
                        .with_label("nothing follows this `|`")
                        .with_help("remove the trailing `|`"),
                    );
                }
                rest = next;
                continue;
            }
            if t.is_empty() && close.is_none() || close.is_some_and(|c| t.starts_with(c)) {
                let span = match (commands.first(), commands.last()) {
                    (Some(first), Some(last)) => first.span.to(last.span),
                    _ => Span::default(),
                };
                return Ok((r, Query { commands, span }));
            }
            let end = if close.is_some() {
                "`)`"
            } else {
                "the end of the query"
            };
            let what = if list_like {
                format!("`,`, `|` or {end}")
            } else {
                format!("`|` or {end}")
            };
            let help = if is_filter {
                "join conditions with `and` or `or`"
            } else if list_like {
                "separate items with `,` and commands with `|`"
            } else {
                "separate commands with `|`"
            };
            let (span, found) = self.next_token(t);
            return self.fail(
                Diagnostic::syntax(format!("expected {what}, found {found}"), span)
                    .with_label("unexpected here")
                    .with_help(help),
            );
        }
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
        let lower = word.to_ascii_lowercase();
        let Some(name) = COMMANDS.iter().find(|c| c.eq_ignore_ascii_case(&lower)) else {
            return self.unknown_command(word, keyword);
        };
        let (rest, kind) = cut(|r| self.command_body(name, word, r)).parse(rest)?;
        Ok((
            rest,
            Command {
                kind,
                span: self.span(i, rest),
            },
        ))
    }

    fn command_body(&self, name: &str, word: &str, i: &'s str) -> PResult<'s, CommandKind> {
        match name {
            "fields" => self.fields(i),
            "display" => self.display(i),
            "filter" | "where" => self.filter(i, name),
            "stats" => self.stats(i),
            "sort" => self.sort(i),
            "limit" => self.limit(i),
            "parse" => self.parse_command(i),
            "json" => self.json(i),
            "dedup" => self.dedup(i),
            "unnest" => self.unnest(i),
            "expand" => self.expand(i),
            "filterIndex" => self.filter_index(i),
            "pattern" => self.pattern_command(i),
            "anomaly" => Ok((i, CommandKind::Anomaly)),
            "diff" => self.diff(i),
            "unmask" => self.unmask(i),
            "SOURCE" => self.source(i),
            "lookup" => self.lookup(i),
            "cidrlookup" => self.cidrlookup(i),
            "join" => self.join(i),
            "appendcols" => self.appendcols(i),
            "addtotals" => self.addtotals(i),
            "autoregress" => self.autoregress(i),
            "accum" => self.accum(i),
            "filldown" => self.filldown(i),
            "fillmissing" => self.fillmissing(i),
            "sessionize" => self.sessionize(i),
            "logcompare" => self.logcompare(i),
            "outlier" => self.outlier(i),
            _ => self.count_frequent(i, word),
        }
    }

    fn unknown_command<T>(&self, word: &str, keyword: Span) -> PResult<'s, T> {
        if let Some(name) = NOT_YET.iter().find(|n| n.eq_ignore_ascii_case(word)) {
            return self.fail(
                Diagnostic::unsupported(format!("command `{name}`"), keyword)
                    .with_label("not implemented in Loupe yet"),
            );
        }
        let mut diag = Diagnostic::syntax(format!("unknown command `{word}`"), keyword)
            .with_label("not a command");
        if let Some(name) = did_you_mean(word, COMMANDS.iter().copied()) {
            diag = diag.with_help(format!("did you mean `{name}`?"));
        } else {
            diag = diag.with_help("commands are separated by `|`; each starts with a command name");
        }
        self.fail(diag)
    }

    // Shared helpers for the command parsers.

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

    /// `name ("," name)*`
    pub(crate) fn names(&self, i: &'s str, what: &str) -> PResult<'s, Vec<Ident>> {
        let mut names = Vec::new();
        let mut rest = i;
        loop {
            let (r, name) = self.name(rest, what)?;
            names.push(name);
            match trivia(r).strip_prefix(',') {
                Some(after) => rest = after,
                None => return Ok((r, names)),
            }
        }
    }

    /// The keyword `kw` (after trivia), or an error naming it.
    pub(crate) fn expect_keyword(&self, i: &'s str, kw: &'static str) -> PResult<'s, Span> {
        let t = trivia(i);
        match lexical::keyword(kw)(t) {
            Ok((r, _)) => Ok((r, self.span(t, r))),
            Err(_) => self.expected(t, &format!("`{kw}`"), &format!("expected `{kw}`")),
        }
    }

    /// The punctuation `c` (after trivia), or an error naming it.
    pub(crate) fn expect_char(&self, i: &'s str, c: char) -> PResult<'s, Span> {
        let t = trivia(i);
        match t.strip_prefix(c) {
            Some(r) => Ok((r, self.span(t, r))),
            None => self.expected(t, &format!("`{c}`"), &format!("expected `{c}`")),
        }
    }

    /// A duration literal such as `5m` (as an expression node).
    pub(crate) fn duration(&self, i: &'s str) -> PResult<'s, Expr> {
        let t = trivia(i);
        if !t.starts_with(|c: char| c.is_ascii_digit()) {
            return self.expected(t, "a duration such as `5m`", "expected a duration");
        }
        let (r, node) = self.number(t, Durations::Allowed)?;
        if !matches!(node.expr.kind, ExprKind::Literal(Literal::Duration { .. })) {
            return self.fail(
                Diagnostic::syntax("expected a duration", node.expr.span)
                    .with_label("a number without a unit")
                    .with_help("add a unit, as in `5m`, `1h` or `100ms`"),
            );
        }
        Ok((r, node.expr))
    }

    /// A whole number (after trivia) and its span.
    pub(crate) fn integer(&self, i: &'s str, what: &str) -> PResult<'s, (u64, Span)> {
        let t = trivia(i);
        let Ok((r, text)) = lexical::number_text(t) else {
            return self.expected(t, what, "expected a positive integer");
        };
        let end = r
            .find(|c: char| !(lexical::is_word_char(c) || c == '.'))
            .unwrap_or(r.len());
        let span = self.span(t, &r[end..]);
        if text.contains('.') || end > 0 {
            return self.fail(
                Diagnostic::syntax(format!("{what} must be a whole number"), span)
                    .with_label("not an integer"),
            );
        }
        match text.parse::<u64>() {
            Ok(n) => Ok((r, (n, span))),
            Err(_) => self.fail(
                Diagnostic::syntax(format!("{what} is too large"), span).with_label("too large"),
            ),
        }
    }

    /// A whole word that must be one of `choices` (case-insensitive); returns the canonical
    /// spelling.
    pub(crate) fn choice(
        &self,
        i: &'s str,
        choices: &[&'static str],
        what: &str,
    ) -> PResult<'s, (&'static str, Span)> {
        let t = trivia(i);
        if let Ok((r, w)) = lexical::word(t) {
            if let Some(c) = choices.iter().find(|c| c.eq_ignore_ascii_case(w)) {
                return Ok((r, (c, self.span(t, r))));
            }
            let span = self.span(t, r);
            let mut diag = Diagnostic::syntax(format!("expected {what}, found `{w}`"), span)
                .with_label(format!("expected {what}"));
            if let Some(c) = did_you_mean(w, choices.iter().copied()) {
                diag = diag.with_help(format!("did you mean `{c}`?"));
            }
            return self.fail(diag);
        }
        self.expected(t, what, &format!("expected {what}"))
    }
}

/// Commands whose arguments are a comma-separated list (for "expected `,`" messages).
fn takes_list(kind: &CommandKind) -> bool {
    matches!(
        kind,
        CommandKind::Fields(_)
            | CommandKind::Display(_)
            | CommandKind::Sort(_)
            | CommandKind::Stats { .. }
            | CommandKind::Dedup(_)
            | CommandKind::Parse { .. }
            | CommandKind::CountFrequent(_)
            | CommandKind::Lookup { .. }
            | CommandKind::CidrLookup { .. }
            | CommandKind::AddTotals { .. }
            | CommandKind::FillMissing(_)
            | CommandKind::Sessionize { .. }
    )
}

/// Whether `t` starts something that can begin an expression.
pub(crate) fn starts_operand(t: &str) -> bool {
    match t.chars().next() {
        None | Some(',' | '|' | ')' | ']') => false,
        Some(_) => !lexical::at_keyword(t, "asc") && !lexical::at_keyword(t, "desc"),
    }
}
