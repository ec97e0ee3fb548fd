//! The row-sequence commands of spec §3.24 and `addtotals`, `outlier`, `countFrequent`.

use crate::ast::{CommandKind, FillValue, Ident, LagRange};
use crate::diagnostic::Diagnostic;
use crate::parser::lexical::{self, trivia};
use crate::parser::{PResult, Parser};

impl<'s> Parser<'s> {
    /// `addtotals [fieldname=x] [row=bool] [col=bool] [f1, f2, ...]`
    pub(super) fn addtotals(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let (r, options) = self.options(i, &["fieldname", "row", "col"])?;
        let (r, fields) = if starts_name(trivia(r)) {
            self.names(r, "a field name")?
        } else {
            (r, Vec::new())
        };
        Ok((r, CommandKind::AddTotals { options, fields }))
    }

    /// `autoregress field [as alias] [p=N[-M]]`
    pub(super) fn autoregress(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let (r, field) = self.name(i, "a field name")?;
        let (r, alias) = self.alias(r)?;
        let t = trivia(r);
        let at_p = lexical::keyword("p")(t).is_ok_and(|(after, _)| trivia(after).starts_with('='));
        if !at_p {
            return Ok((
                r,
                CommandKind::AutoRegress {
                    field,
                    alias,
                    lags: None,
                },
            ));
        }
        let (r, _) = self.expect_keyword(t, "p")?;
        let (r, _) = self.expect_char(r, '=')?;
        let (r, (from, from_span)) = self.integer(r, "the lag")?;
        let (r, to, span) = match trivia(r).strip_prefix('-') {
            Some(after) => {
                let (r, (to, to_span)) = self.integer(after, "the last lag")?;
                (r, to, from_span.to(to_span))
            }
            None => (r, from, from_span),
        };
        if from == 0 || to < from {
            return self.fail(
                Diagnostic::syntax("invalid lag range", span)
                    .with_label("lags start at 1 and must not decrease"),
            );
        }
        let lags = Some(LagRange { from, to, span });
        Ok((r, CommandKind::AutoRegress { field, alias, lags }))
    }

    /// `accum field [as alias]`
    pub(super) fn accum(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let (r, field) = self.name(i, "a field name")?;
        let (r, alias) = self.alias(r)?;
        Ok((r, CommandKind::Accum { field, alias }))
    }

    /// `filldown [f1 f2 ...]`, names may use `*` wildcards.
    pub(super) fn filldown(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let mut names = Vec::new();
        let mut rest = i;
        loop {
            let t = trivia(rest);
            let t = if names.is_empty() {
                t
            } else {
                trivia(t.strip_prefix(',').unwrap_or(t))
            };
            if t.starts_with('`') {
                let (r, name) = self.backtick_name(t)?;
                names.push(name);
                rest = r;
                continue;
            }
            let end = t
                .find(|c: char| !(lexical::is_word_char(c) || matches!(c, '.' | '@' | '*')))
                .unwrap_or(t.len());
            if end == 0 {
                return Ok((rest, CommandKind::FillDown(names)));
            }
            let r = &t[end..];
            names.push(Ident {
                name: t[..end].to_owned(),
                span: self.span(t, r),
            });
            rest = r;
        }
    }

    /// `fillmissing [with value for field, ...]`
    pub(super) fn fillmissing(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let Ok((mut rest, _)) = lexical::keyword("with")(trivia(i)) else {
            return Ok((i, CommandKind::FillMissing(Vec::new())));
        };
        let mut values = Vec::new();
        loop {
            let (r, node) = self.postfix(rest)?;
            let value = node.expr;
            if !matches!(value.kind, crate::ast::ExprKind::Literal(_)) {
                return self.fail(
                    Diagnostic::syntax("fill values must be literals", value.span)
                        .with_label("not a literal"),
                );
            }
            let (r, _) = self.expect_keyword(r, "for")?;
            let (r, field) = self.name(r, "a field name")?;
            let span = value.span.to(field.span);
            values.push(FillValue { value, field, span });
            match trivia(r).strip_prefix(',') {
                Some(after) => rest = after,
                None => return Ok((r, CommandKind::FillMissing(values))),
            }
        }
    }

    /// `sessionize f1, f2 [maxspan duration] [as alias]`
    pub(super) fn sessionize(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let (mut r, fields) = self.names(i, "a field name")?;
        let mut maxspan = None;
        if let Ok((after, _)) = lexical::keyword("maxspan")(trivia(r)) {
            let (after, d) = self.duration(after)?;
            maxspan = Some(d);
            r = after;
        }
        let (r, alias) = self.alias(r)?;
        Ok((
            r,
            CommandKind::Sessionize {
                fields,
                maxspan,
                alias,
            },
        ))
    }

    /// `logcompare timeshift duration`
    pub(super) fn logcompare(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let (r, _) = self.expect_keyword(i, "timeshift")?;
        let (r, timeshift) = self.duration(r)?;
        Ok((r, CommandKind::LogCompare { timeshift }))
    }

    /// `outlier [action=..] [param=..] [uselower=..] [mark=..] f1 [f2 ...]`
    pub(super) fn outlier(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let (mut rest, options) = self.options(i, &["action", "param", "uselower", "mark"])?;
        let mut fields = Vec::new();
        loop {
            let t = trivia(rest);
            let t = if fields.is_empty() {
                t
            } else {
                trivia(t.strip_prefix(',').unwrap_or(t))
            };
            if !starts_name(t) {
                break;
            }
            let (r, name) = self.name(t, "a field name")?;
            fields.push(name);
            rest = r;
        }
        if fields.is_empty() {
            return self.expected(
                trivia(rest),
                "a field name",
                "`outlier` needs at least one field",
            );
        }
        Ok((rest, CommandKind::Outlier { options, fields }))
    }

    /// `countFrequent f1, f2, ...` (or `count_frequent`).
    pub(super) fn count_frequent(&self, i: &'s str, _word: &str) -> PResult<'s, CommandKind> {
        let (r, fields) = self.names(i, "a field name")?;
        Ok((r, CommandKind::CountFrequent(fields)))
    }
}

fn starts_name(t: &str) -> bool {
    t.starts_with(|c: char| c.is_alphabetic() || matches!(c, '_' | '@' | '`'))
}
