//! `fields`, `display`, `filter`/`where`, `stats`, `sort`, `limit`, `dedup`, `filterIndex`,
//! `pattern`, `diff`, `unmask`.

use super::starts_operand;
use crate::ast::{
    BinaryOp, CommandKind, DiffBaseline, Expr, ExprKind, FilterKeyword, Projection, SortKey,
    SortOrder,
};
use crate::diagnostic::Diagnostic;
use crate::parser::lexical::{self, trivia};
use crate::parser::{PResult, Parser};

impl<'s> Parser<'s> {
    pub(super) fn fields(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let (r, items) = self.projections(i)?;
        Ok((r, CommandKind::Fields(items)))
    }

    pub(super) fn display(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let (r, items) = self.projections(i)?;
        Ok((r, CommandKind::Display(items)))
    }

    pub(super) fn filter(&self, i: &'s str, name: &str) -> PResult<'s, CommandKind> {
        let keyword = if name == "where" {
            FilterKeyword::Where
        } else {
            FilterKeyword::Filter
        };
        let (r, condition) = self.expr(i)?;
        Ok((r, CommandKind::Filter { keyword, condition }))
    }

    /// `proj ("," proj)*` with `proj := expr ["as" name]`.
    pub(crate) fn projections(&self, i: &'s str) -> PResult<'s, Vec<Projection>> {
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

    /// `stats proj, ... ["by" proj, ...] ["offset" duration]`
    pub(super) fn stats(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let (mut r, aggregates) = self.projections(i)?;
        let mut by = Vec::new();
        if let Ok((after, _)) = lexical::keyword("by")(trivia(r)) {
            let (after, groups) = self.projections(after)?;
            by = groups;
            r = after;
        }
        let mut offset = None;
        if let Ok((after, _)) = lexical::keyword("offset")(trivia(r)) {
            let (after, duration) = self.duration(after)?;
            offset = Some(duration);
            r = after;
        }
        Ok((
            r,
            CommandKind::Stats {
                aggregates,
                by,
                offset,
            },
        ))
    }

    /// `["by"] key ("," key)*` with `key := expr ["asc" | "desc"]`.
    pub(super) fn sort(&self, i: &'s str) -> PResult<'s, CommandKind> {
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
                None => return Ok((r, CommandKind::Sort(keys))),
            }
        }
    }

    /// `["any"] integer`
    pub(super) fn limit(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let t = trivia(i);
        let (t, any) = match lexical::keyword("any")(t) {
            Ok((r, _)) => (r, true),
            Err(_) => (t, false),
        };
        let (r, (count, count_span)) = self.integer(t, "the row count")?;
        Ok((
            r,
            CommandKind::Limit {
                count,
                count_span,
                any,
            },
        ))
    }

    /// `dedup expr ("," expr)*`
    pub(super) fn dedup(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let mut items = Vec::new();
        let mut rest = i;
        loop {
            let (r, expr) = self.expr(rest)?;
            items.push(expr);
            match trivia(r).strip_prefix(',') {
                Some(after) => rest = after,
                None => return Ok((r, CommandKind::Dedup(items))),
            }
        }
    }

    /// `filterIndex name = value` or `filterIndex name in [...]`.
    pub(super) fn filter_index(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let (r, condition) = self.expr(i)?;
        let field_left = |e: &Expr| matches!(e.kind, ExprKind::Field(_));
        let ok = match &condition.kind {
            ExprKind::Binary {
                op: BinaryOp::Eq,
                left,
                right,
            } => field_left(left) && matches!(right.kind, ExprKind::Literal(_)),
            ExprKind::In {
                expr,
                list,
                negated: false,
            } => field_left(expr) && matches!(list.kind, ExprKind::List(_)),
            _ => false,
        };
        if !ok {
            return self.fail(
                Diagnostic::syntax(
                    "`filterIndex` takes one indexed field condition",
                    condition.span,
                )
                .with_label("not `field = value` or `field in [...]`")
                .with_help("use `filter` for other conditions"),
            );
        }
        Ok((r, CommandKind::FilterIndex { condition }))
    }

    /// `pattern expr`
    pub(super) fn pattern_command(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let (r, expr) = self.expr(i)?;
        Ok((r, CommandKind::Pattern(expr)))
    }

    /// `diff [previousDay | previousWeek | previousMonth]`
    pub(super) fn diff(&self, i: &'s str) -> PResult<'s, CommandKind> {
        let t = trivia(i);
        if !t.starts_with(lexical::is_word_char) {
            return Ok((i, CommandKind::Diff { baseline: None }));
        }
        let choices = ["previousDay", "previousWeek", "previousMonth"];
        let (r, (word, _)) = self.choice(
            t,
            &choices,
            "`previousDay`, `previousWeek` or `previousMonth`",
        )?;
        let baseline = match word {
            "previousDay" => DiffBaseline::PreviousDay,
            "previousWeek" => DiffBaseline::PreviousWeek,
            _ => DiffBaseline::PreviousMonth,
        };
        Ok((
            r,
            CommandKind::Diff {
                baseline: Some(baseline),
            },
        ))
    }

    /// `unmask [expr]`
    pub(super) fn unmask(&self, i: &'s str) -> PResult<'s, CommandKind> {
        if !starts_operand(trivia(i)) {
            return Ok((i, CommandKind::Unmask(None)));
        }
        let (r, expr) = self.expr(i)?;
        Ok((r, CommandKind::Unmask(Some(expr))))
    }
}
