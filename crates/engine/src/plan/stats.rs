//! `stats agg [as alias], ... [by expr [as alias], ...]`: aggregates the row set.
//!
//! An aggregate expression may combine aggregates with arithmetic and constants
//! (`sum(bytes) / 1024`, `sum(x) / count(*) * 100`) and may use the alias of an earlier
//! aggregate of the same command. Planning splits each expression in two: the aggregate calls
//! inside it become DataFusion aggregates with internal names, and what surrounds them is
//! computed by a projection after the aggregation, one item at a time so that aliases chain.
//!
//! The time-series aggregates (`countOverTime`, `sumOverTime`, `rate`, `histogram`) and
//! `offset` are planned the same way; their semantics are in [`crate::functions::timeseries`].
//! With `offset d` a `bin` group bins `@timestamp + d`, on the same grid, so `fillmissing`
//! (which reads `state.bin_group`) fills the shifted series as it fills any other.
//!
//! Output: one row per distinct group, columns `by` terms first then aggregates (spec: observed
//! order), named by alias or by their expression text. Without a later `sort`, groups come in
//! ascending order of their `by` terms (spec leaves the order open; this keeps it stable).

use datafusion::logical_expr::{Expr, SortExpr};
use loupe_lang::ast::{self, ExprKind, Ident, Projection};
use loupe_lang::functions::{FunctionClass, lookup};
use loupe_lang::{Diagnostic, Span};

use super::PlanState;
use crate::error::Result;
use crate::functions::timeseries::{self, Window};
use crate::functions::{Call, aggregate, datetime};

/// An unqualified reference to column `name`.
fn col_expr(name: &str) -> Expr {
    Expr::Column(datafusion::common::Column::new_unqualified(name))
}

/// Prefix of the internal names of aggregate columns (never shown).
const INTERNAL: &str = "__loupe_agg_";

pub(crate) fn plan(
    state: &mut PlanState,
    aggregates: &[Projection],
    by: &[Projection],
    offset: Option<&ast::Expr>,
) -> Result<()> {
    let shift = match offset {
        // The scan reads the range shifted back for the first `stats`; a second one aggregates
        // rows of the first, which no shifted scan can place.
        Some(offset) if state.stats_seen > 0 => {
            return Err(
                Diagnostic::unsupported("`offset` in a second `stats`", offset.span).into(),
            );
        }
        Some(offset) => timeseries::offset_ms(offset, by)?,
        None => 0,
    };
    if let Some(term) = by.iter().find(|t| super::is_structure(state, &t.expr)) {
        return Err(super::structure_error(&term.expr, "stats"));
    }
    for item in aggregates {
        check_histogram(&item.expr)?;
    }
    let window = Window::of(by, state.ctx.start_ms, state.ctx.end_ms);
    let mut group_exprs = Vec::with_capacity(by.len());
    let mut group_names = Vec::with_capacity(by.len());
    let mut sort_keys = Vec::with_capacity(by.len());
    {
        let exprs = state.exprs();
        for term in by {
            let name = output_name(term);
            let planned = match &term.expr.kind {
                // `offset`: the bin of the time `shift` later (see `functions::timeseries`).
                ExprKind::Call { name, args } if shift != 0 && timeseries::is_bin(&term.expr) => {
                    let call = Call {
                        p: &exprs,
                        name,
                        args,
                        span: term.expr.span,
                    };
                    datetime::bin(&call, shift)?
                }
                _ => exprs.plan(&term.expr)?,
            };
            group_exprs.push(planned.alias(&name));
            group_names.push(name);
        }
    }
    for (term, name) in by.iter().zip(&group_names) {
        // A group term that is not a plain field is a value the query computed.
        if !matches!(term.expr.kind, ExprKind::Field(_)) {
            super::push_unique(&mut state.computed, name);
        }
    }
    let mut agg_exprs = Vec::new();
    let mut finishers: Vec<(String, Expr)> = Vec::new();
    let mut finals = Vec::with_capacity(aggregates.len());
    {
        let exprs = state.exprs();
        for item in aggregates {
            let rewritten = extract(&item.expr, &mut |name, args, span| {
                if let Some(arg) = args.iter().find(|a| super::is_structure(state, a)) {
                    return Err(super::structure_error(arg, "stats"));
                }
                let internal = format!("{INTERNAL}{}", agg_exprs.len());
                let call = Call {
                    p: &exprs,
                    name,
                    args,
                    span,
                };
                let (planned, done) = if timeseries::is_timeseries(&name.name) {
                    (
                        timeseries::plan(&call, window)?,
                        timeseries::finish(&call, window, col_expr(&internal))?,
                    )
                } else {
                    (
                        aggregate::plan(&call)?,
                        aggregate::finish(&call, col_expr(&internal))?,
                    )
                };
                agg_exprs.push(planned.alias(&internal));
                if let Some(done) = done {
                    finishers.push((internal.clone(), done));
                }
                Ok(internal)
            })?;
            finals.push((output_name(item), rewritten));
        }
    }
    state.map(|b| Ok(b.aggregate(group_exprs, agg_exprs)?))?;
    for (internal, done) in finishers {
        state.add_column(&internal, done)?;
    }
    for (name, expr) in &finals {
        let value = state.exprs().plan(expr)?;
        state.add_column(name, value)?;
    }
    // Keep only the stats output, in order.
    let output: Vec<String> = group_names
        .iter()
        .chain(finals.iter().map(|(n, _)| n))
        .cloned()
        .collect();
    let columns: Vec<Expr> = output
        .iter()
        .map(|n| state.column(n))
        .collect::<Result<_>>()?;
    state.map(|b| Ok(b.project(columns)?))?;
    if !group_names.is_empty() {
        let exprs = state.exprs();
        for name in &group_names {
            let field = ast::Expr {
                kind: ExprKind::Field(Ident {
                    name: name.clone(),
                    span: Span::default(),
                }),
                span: Span::default(),
            };
            sort_keys.push(SortExpr::new(exprs.sort_value(&field)?, true, false));
        }
        state.pending_order = Some(sort_keys);
    }
    state.bin_group = match by {
        [term] => bin_period(&term.expr).map(|ms| (group_names[0].clone(), ms)),
        _ => None,
    };
    state.fields.clear();
    state.structures.clear();
    // A histogram is a map: later commands may show it but not sort, group or dedup by it.
    for (item, (name, _)) in aggregates.iter().zip(&finals) {
        if is_call_to(&item.expr, "histogram") {
            state.structures.push(name.clone());
        }
    }
    state.display = None;
    state.default_output = output;
    state.stats_seen += 1;
    Ok(())
}

/// The period in ms of a `bin(period)` group term (fixed-length periods only).
fn bin_period(e: &ast::Expr) -> Option<i64> {
    let ExprKind::Call { name, args } = &e.kind else {
        return None;
    };
    if !name.name.eq_ignore_ascii_case("bin") {
        return None;
    }
    match args.as_slice() {
        [
            ast::Expr {
                kind: ExprKind::Literal(ast::Literal::Duration { value, unit }),
                ..
            },
        ] => match crate::functions::datetime::period(*value, unit)? {
            crate::functions::datetime::Period::Millis(ms) => Some(ms),
            crate::functions::datetime::Period::Months(_) => None,
        },
        _ => None,
    }
}

/// Whether `e` is a call to the function `name`.
fn is_call_to(e: &ast::Expr, name: &str) -> bool {
    matches!(&e.kind, ExprKind::Call { name: n, .. } if n.name.eq_ignore_ascii_case(name))
}

/// `histogram(...)` returns a map, so it must be a whole `stats` item, not part of arithmetic.
fn check_histogram(item: &ast::Expr) -> Result<()> {
    fn inner(e: &ast::Expr, top: bool) -> Result<()> {
        if !top && is_call_to(e, "histogram") {
            return Err(Diagnostic::semantic(
                "`histogram` returns a map, which cannot be used in an expression",
                e.span,
            )
            .with_label("a map value")
            .with_help("give `histogram(...)` its own item: `stats histogram(f, 10) as h`")
            .into());
        }
        let children: Vec<&ast::Expr> = match &e.kind {
            ExprKind::Call { args, .. } => args.iter().collect(),
            ExprKind::Unary { operand, .. } => vec![operand],
            ExprKind::Binary { left, right, .. } => vec![left, right],
            _ => Vec::new(),
        };
        children.into_iter().try_for_each(|c| inner(c, false))
    }
    inner(item, true)
}

/// The column a projection produces: its alias, else a plain field's own name (a backticked
/// `` `detail-type` `` is the field `detail-type`, as in `fields` and `display`), else the
/// expression's text.
fn output_name(p: &Projection) -> String {
    match (&p.alias, &p.expr.kind) {
        (Some(alias), _) => alias.name.clone(),
        (None, ExprKind::Field(field)) => field.name.clone(),
        (None, _) => loupe_lang::expr_text(&p.expr),
    }
}

/// Called for each aggregate call (name, arguments, span); returns the column that stands for it.
type OnAggregate<'a> = dyn FnMut(&Ident, &[ast::Expr], Span) -> Result<String> + 'a;

/// Replaces every aggregate call in `expr` by a reference to the column `on_aggregate` names.
fn extract(expr: &ast::Expr, on_aggregate: &mut OnAggregate<'_>) -> Result<ast::Expr> {
    let kind = match &expr.kind {
        ExprKind::Call { name, args }
            if lookup(&name.name).is_some_and(|f| f.class == FunctionClass::Aggregate) =>
        {
            let column = on_aggregate(name, args, expr.span)?;
            ExprKind::Field(Ident {
                name: column,
                span: expr.span,
            })
        }
        ExprKind::Call { name, args } => ExprKind::Call {
            name: name.clone(),
            args: args
                .iter()
                .map(|a| extract(a, on_aggregate))
                .collect::<Result<_>>()?,
        },
        ExprKind::Unary { op, operand } => ExprKind::Unary {
            op: *op,
            operand: Box::new(extract(operand, on_aggregate)?),
        },
        ExprKind::Binary { op, left, right } => ExprKind::Binary {
            op: *op,
            left: Box::new(extract(left, on_aggregate)?),
            right: Box::new(extract(right, on_aggregate)?),
        },
        other => other.clone(),
    };
    Ok(ast::Expr {
        kind,
        span: expr.span,
    })
}
