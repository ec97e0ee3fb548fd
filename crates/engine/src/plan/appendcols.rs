//! `appendcols [override=true|false] [max=n] ( subquery )` (spec §3.22): appends the fields a
//! nested query shows to the current rows, row by row in order: its first row's values go to
//! the first current row, and so on.
//!
//! The current order is settled first; both sides are numbered in their order
//! (`row_number()`) and joined on that number, and the rows are put back in their order.
//! `max` (1–100,000, default 10,000) caps the subquery's rows: it is the subquery's default
//! `limit`, and a larger `limit` of its own is cut to it.
//!
//! Decisions where the spec is silent or open:
//!
//! - The subquery's columns are the fields it shows (its `fields`/`display` list, its `stats`
//!   output, or `@timestamp` and `@message` by default), not every field of its rows.
//! - Fewer subquery rows than current rows: the rows past its last row get no appended values
//!   (the fields are missing there). More subquery rows: the extra ones are dropped, since
//!   `appendcols` adds columns to the current rows and never adds rows (which would be rows
//!   with none of the query's own fields).
//! - A field both sides have is decided per value, as Splunk's `appendcols` (where the command
//!   comes from) decides it: `override=false` keeps the current row's value and only fills it
//!   where the row has none; `override=true` takes the subquery's value where its row has one,
//!   and keeps the current value elsewhere.
//! - The appended fields join the result's columns (after the `fields` listed, or after the
//!   default output), unless a `display` fixed them.

use datafusion::functions::expr_fn::coalesce;
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{
    Expr, ExprFunctionExt, ExprSchemable, JoinType, LogicalPlanBuilder,
};
use loupe_lang::Diagnostic;
use loupe_lang::ast::{CommandOption, ExprKind, Literal, Query};

use super::subquery::{SubqueryNeeds, col, valid_order};
use super::{DEFAULT_LIMIT, Env, MAX_LIMIT, PlanState, push_unique};
use crate::error::Result;

const ROW: &str = "__loupe_append_row";
const POSITION: &str = "__loupe_append_position";

/// The internal name of the subquery's `i`-th column while it is joined.
fn appended(i: usize) -> String {
    format!("__loupe_append_{i}")
}

/// `row_number()` in `order` (in the order rows come when none is known).
fn numbered(order: Vec<datafusion::logical_expr::SortExpr>) -> Result<Expr> {
    Ok(if order.is_empty() {
        row_number()
    } else {
        row_number().order_by(order).build()?
    })
}

pub(crate) fn plan(
    state: &mut PlanState,
    options: &[CommandOption],
    query: &Query,
    env: Env<'_>,
) -> Result<()> {
    let mut replace = false;
    let mut max = DEFAULT_LIMIT;
    for option in options {
        match (
            option.name.name.to_ascii_lowercase().as_str(),
            &option.value.kind,
        ) {
            ("override", ExprKind::Literal(Literal::Bool(b))) => replace = *b,
            ("max", ExprKind::Literal(Literal::Number { value, .. }))
                if value.fract() == 0.0 && *value >= 1.0 && *value <= MAX_LIMIT as f64 =>
            {
                max = *value as usize
            }
            ("max", _) => {
                return Err(Diagnostic::semantic(
                    format!("`max` must be a whole number from 1 to {MAX_LIMIT}"),
                    option.value.span,
                )
                .with_label("out of range")
                .into());
            }
            _ => {
                return Err(Diagnostic::semantic(
                    "`appendcols` takes override=true|false and max=N",
                    option.span,
                )
                .into());
            }
        }
    }
    state.settle_order()?;
    let needs = SubqueryNeeds {
        finish: super::Finish {
            default_limit: Some(max),
            ordered: true,
        },
        ..SubqueryNeeds::default()
    };
    let sub = env.subqueries.plan(query, &needs)?;

    // The subquery's rows, at most `max`, numbered in their order.
    let position = numbered(sub.order.clone())?.alias(POSITION);
    let mut right_columns = vec![col(POSITION)];
    right_columns.extend(
        sub.shown
            .iter()
            .enumerate()
            .map(|(i, c)| col(c).alias(appended(i))),
    );
    let right = LogicalPlanBuilder::from(sub.plan)
        .limit(0, Some(max))?
        .window(vec![position])?
        .project(right_columns)?
        .build()?;

    // The current rows, numbered in their order.
    let order = valid_order(state);
    let row = numbered(order)?.alias(ROW);
    state.map(|b| Ok(b.window(vec![row])?))?;
    state.map(|b| Ok(b.join(right, JoinType::Left, (vec![ROW], vec![POSITION]), None)?))?;

    let before: Vec<String> = state
        .builder
        .schema()
        .columns()
        .into_iter()
        .map(|c| c.name)
        .collect();
    // Current columns (those the subquery also has decided per value), then the new ones.
    let mut columns: Vec<Expr> = Vec::new();
    let schema = state.builder.schema().clone();
    let exprs = state.exprs();
    for c in schema.columns() {
        if c.name == POSITION || c.name.starts_with("__loupe_append_") && c.name != ROW {
            continue;
        }
        match sub.shown.iter().position(|s| *s == c.name) {
            Some(i) => {
                let (current, new) = (Expr::Column(c.clone()), col(&appended(i)));
                let (current, new) = if current.get_type(&schema)? == new.get_type(&schema)? {
                    (current, new)
                } else {
                    (exprs.text(current)?, exprs.text(new)?)
                };
                let value = if replace {
                    coalesce(vec![new, current])
                } else {
                    coalesce(vec![current, new])
                };
                columns.push(value.alias(&c.name));
            }
            None => columns.push(Expr::Column(c)),
        }
    }
    for (i, name) in sub.shown.iter().enumerate() {
        if !state.has_column(name) {
            columns.push(col(&appended(i)).alias(name));
        }
    }
    state.map(|b| Ok(b.project(columns)?))?;
    for name in &sub.shown {
        // A replaced `@message`/`@ptr` is no longer the event's own, which the late columns
        // would fetch by row id.
        let replaced_event_field = replace
            && (name == loupe_store::MESSAGE || name == loupe_store::PTR)
            && before.contains(name);
        if sub.computed.contains(name) || replaced_event_field {
            push_unique(&mut state.computed, name);
        }
        if sub.structures.contains(name) {
            push_unique(&mut state.structures, name);
        }
        super::sequence::show(state, name);
    }

    // Back in order; the row numbers served their purpose.
    let keep: Vec<Expr> = state
        .builder
        .schema()
        .columns()
        .into_iter()
        .filter(|c| c.name != ROW)
        .map(Expr::Column)
        .collect();
    state.map(|b| Ok(b.sort(vec![col(ROW).sort(true, false)])?.project(keep)?))
}
