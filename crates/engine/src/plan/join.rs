//! `join [type=inner|left] left=A right=B where A.f = B.g ( subquery )` (spec §3.20): pairs
//! each current row with the rows of another query whose key equals its own.
//!
//! The right side is a complete query over its own scan (see `subquery`), returning at most
//! 10,000 rows unless it has its own `limit`. Keys compare as `=` compares (numbers
//! numerically when either side is a number, text exactly); a row missing its key matches
//! nothing. `inner` (the default) keeps the pairs; `left` also keeps each left row that matched
//! nothing, without right fields. A left row matching several right rows gives one row per
//! match, as an SQL join does.
//!
//! Decisions where the spec is silent or open:
//!
//! - After the join every field is addressed as `A.field` or `B.field`. The right side offers
//!   every field of its rows, not only those it shows (AWS's own example reads
//!   `lambda.duration` from a bare `SOURCE` right side). The left row's fields also keep their
//!   plain names (`@timestamp`, `status`): the row is still the left event, enriched, so the
//!   default newest-first order (by the left `@timestamp`) and `@ptr` carry on. A plain name
//!   never means a right field.
//! - The rows keep `@ptr`, the left event's pointer; the right event's is `B.@ptr`.
//! - A join starts a new row set, as `stats` does: what it shows by default is what the left
//!   side showed, as `A.x`, then what the right side shows, as `B.y`; a later
//!   `fields`/`display` picks from all joined fields.
//! - Rows come newest first by the left `@timestamp` unless the query sorted before the join
//!   (that order is kept) or sorts after it; rows of one left row come newest first by the
//!   right `@timestamp`.
//! - One `join` per query (per nested query too). The right side may hold at most 50,000
//!   distinct keys (spec §7.5): more is a `LimitExceeded` error when the query runs, never a
//!   silent cut.
//! - The `where` may name the sides in either order (`B.g = A.f`).

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{DataFusionError, Result as DfResult, ScalarValue};
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{
    Expr, JoinType, LogicalPlanBuilder, PartitionEvaluator, Signature, SortExpr, Volatility,
    WindowUDF, WindowUDFImpl,
};
use loupe_lang::ast::{self, Command, Ident, Query};
use loupe_lang::{Diagnostic, Span};

use super::subquery::{SubqueryNeeds, col, is_internal, restore_order, valid_order};
use super::{Env, PlanState, push_unique};
use crate::error::{Result, limit_exceeded};

/// The most distinct keys the right side of a join may hold (spec §7.5).
pub const MAX_JOIN_KEYS: usize = 50_000;

const LEFT_KEY: &str = "__loupe_join_left_key";
const RIGHT_KEY: &str = "__loupe_join_right_key";
const WITHIN_QUOTA: &str = "__loupe_join_within_quota";

/// A `join` command, as written.
pub(crate) struct JoinSpec<'a> {
    pub join_type: ast::JoinType,
    pub left: &'a Ident,
    pub right: &'a Ident,
    pub left_key: &'a Ident,
    pub right_key: &'a Ident,
    pub query: &'a Query,
    pub span: Span,
}

/// Plans `spec`; `later` are the commands after it (which right fields they read).
pub(crate) fn plan(
    state: &mut PlanState,
    spec: &JoinSpec<'_>,
    later: &[Command],
    env: Env<'_>,
) -> Result<()> {
    if state.joined {
        return Err(
            Diagnostic::semantic("a query can have only one `join`", spec.span)
                .with_label("a second `join`")
                .into(),
        );
    }
    let (a, b) = (spec.left.name.as_str(), spec.right.name.as_str());
    if a == b {
        return Err(Diagnostic::semantic(
            "the two sides of a `join` need different aliases",
            spec.right.span,
        )
        .with_label(format!("`{a}` names the left side already"))
        .into());
    }
    let (left_field, right_field) = keys(spec)?;

    // The right side reads its key and every `B.y` a later command names.
    let mut needs = SubqueryNeeds::default();
    needs.fields.push(right_field.clone());
    let rest = Query {
        commands: later.to_vec(),
        span: spec.span,
    };
    let prefix = format!("{b}.");
    for name in crate::referenced::referenced_fields(&rest) {
        if let Some(field) = name.strip_prefix(&prefix) {
            push_unique(&mut needs.fields, field);
        }
    }
    let sub = env.subqueries.plan(spec.query, &needs)?;

    let (left_key, right_key) = {
        let outer = state.exprs();
        let inner = sub.exprs(&state.ctx);
        outer.equality_keys(outer.field(&left_field), &inner, inner.field(&right_field))?
    };
    let qualified = |alias: &str, name: &str| format!("{alias}.{name}");

    // Right: its fields as `B.y`, its key, and the key quota checked over all of its rows.
    let right_names: Vec<String> = sub.columns.iter().map(|c| qualified(b, c)).collect();
    let mut right_columns: Vec<Expr> = sub
        .columns
        .iter()
        .zip(&right_names)
        .map(|(c, q)| col(c).alias(q))
        .collect();
    right_columns.push(right_key.alias(RIGHT_KEY));
    let quota = WindowUDF::new_from_impl(KeyQuota::new(MAX_JOIN_KEYS, &spec.right.name))
        .call(vec![col(RIGHT_KEY)])
        .alias(WITHIN_QUOTA);
    let mut without_quota: Vec<Expr> = right_names.iter().map(|n| col(n)).collect();
    without_quota.push(col(RIGHT_KEY));
    let right = LogicalPlanBuilder::from(sub.plan)
        .project(right_columns)?
        .window(vec![quota])?
        .filter(col(WITHIN_QUOTA))?
        .project(without_quota)?
        .build()?;

    // Left: its columns (one named like a right field gives way) and its key.
    let left_columns: Vec<String> = state
        .builder
        .schema()
        .columns()
        .into_iter()
        .map(|c| c.name)
        .filter(|n| !right_names.contains(n))
        .collect();
    let mut with_key: Vec<Expr> = left_columns.iter().map(|c| col(c)).collect();
    with_key.push(left_key.alias(LEFT_KEY));
    state.map(|builder| Ok(builder.project(with_key)?))?;
    let join_type = match spec.join_type {
        ast::JoinType::Inner => JoinType::Inner,
        ast::JoinType::Left => JoinType::Left,
    };
    state.map(|builder| {
        Ok(builder.join(right, join_type, (vec![LEFT_KEY], vec![RIGHT_KEY]), None)?)
    })?;

    // Joined: `A.x` for every left field, `B.y` for every right one, and the left's plain names.
    let mut names: Vec<String> = Vec::new();
    let mut columns: Vec<Expr> = Vec::new();
    for c in left_columns.iter().filter(|c| !is_internal(c)) {
        let name = qualified(a, c);
        if !names.contains(&name) && !right_names.contains(&name) {
            columns.push(col(c).alias(&name));
            names.push(name);
        }
    }
    for name in &right_names {
        columns.push(col(name));
        names.push(name.clone());
    }
    for c in &left_columns {
        if !names.contains(c) {
            columns.push(col(c));
            names.push(c.clone());
        }
    }
    state.map(|builder| Ok(builder.project(columns)?))?;

    for c in state.computed.clone() {
        push_unique(&mut state.computed, &qualified(a, &c));
    }
    for c in &sub.computed {
        push_unique(&mut state.computed, &qualified(b, c));
    }
    for c in state.structures.clone() {
        push_unique(&mut state.structures, &qualified(a, &c));
    }
    for c in &sub.structures {
        push_unique(&mut state.structures, &qualified(b, c));
    }
    let mut shown: Vec<String> = super::sequence::shown(state)
        .iter()
        .map(|c| qualified(a, c))
        .collect();
    shown.extend(sub.shown.iter().map(|c| qualified(b, c)));
    state.fields.clear();
    state.display = None;
    state.default_output = shown.into_iter().filter(|n| state.has_column(n)).collect();

    // The order: the pending one (newest first) or the one settled before, then the right's.
    let right_time = qualified(b, loupe_store::TIMESTAMP);
    let ties: Vec<SortExpr> = if state.has_column(&right_time) {
        vec![SortExpr::new(col(&right_time), false, false)]
    } else {
        Vec::new()
    };
    match state.pending_order.as_mut() {
        Some(order) => order.extend(ties),
        None => {
            let mut order = valid_order(state);
            if !order.is_empty() {
                order.extend(ties);
                state.order = order;
                restore_order(state)?;
            }
        }
    }
    state.joined = true;
    Ok(())
}

/// The left and right key fields of the `where`, whichever order it names them in.
fn keys(spec: &JoinSpec<'_>) -> Result<(String, String)> {
    let (a, b) = (spec.left.name.as_str(), spec.right.name.as_str());
    let side = |key: &Ident| -> Result<(bool, String)> {
        for (is_left, alias) in [(true, a), (false, b)] {
            if let Some(field) = key
                .name
                .strip_prefix(alias)
                .and_then(|rest| rest.strip_prefix('.'))
                .filter(|f| !f.is_empty())
            {
                return Ok((is_left, field.to_owned()));
            }
        }
        Err(Diagnostic::semantic(
            format!("`{}` names neither side of the join", key.name),
            key.span,
        )
        .with_label(format!("not `{a}.field` or `{b}.field`"))
        .with_help(format!(
            "the join's sides are `left={a}` and `right={b}`: write `where {a}.field = {b}.field`"
        ))
        .into())
    };
    let (first_left, first) = side(spec.left_key)?;
    let (second_left, second) = side(spec.right_key)?;
    match (first_left, second_left) {
        (true, false) => Ok((first, second)),
        (false, true) => Ok((second, first)),
        (same, _) => {
            let alias = if same { a } else { b };
            Err(Diagnostic::semantic(
                format!("both join keys name the `{alias}` side"),
                spec.right_key.span,
            )
            .with_label(format!("the other key names `{alias}` too"))
            .with_help(format!("compare a field of `{a}` with a field of `{b}`"))
            .into())
        }
    }
}

/// A window function over all of the right side's rows: true for each row, or an error when
/// the rows hold more distinct (present) keys than the quota allows.
#[derive(Debug, PartialEq, Eq, Hash)]
struct KeyQuota {
    signature: Signature,
    limit: usize,
    alias: String,
}

impl KeyQuota {
    fn new(limit: usize, alias: &str) -> Self {
        KeyQuota {
            signature: Signature::any(1, Volatility::Immutable),
            limit,
            alias: alias.to_owned(),
        }
    }
}

impl WindowUDFImpl for KeyQuota {
    fn name(&self) -> &str {
        "__loupe_join_key_quota"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn partition_evaluator(
        &self,
        _args: PartitionEvaluatorArgs<'_>,
    ) -> DfResult<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(KeyQuotaEvaluator {
            limit: self.limit,
            alias: self.alias.clone(),
        }))
    }

    fn field(&self, field_args: WindowUDFFieldArgs<'_>) -> DfResult<FieldRef> {
        Ok(Arc::new(Field::new(
            field_args.name(),
            DataType::Boolean,
            false,
        )))
    }
}

#[derive(Debug)]
struct KeyQuotaEvaluator {
    limit: usize,
    alias: String,
}

impl PartitionEvaluator for KeyQuotaEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> DfResult<ArrayRef> {
        let keys = values
            .first()
            .ok_or_else(|| DataFusionError::Internal("join key quota: no keys".to_owned()))?;
        let mut seen: HashSet<ScalarValue> = HashSet::new();
        for row in 0..keys.len() {
            if keys.is_null(row) {
                continue;
            }
            seen.insert(ScalarValue::try_from_array(keys, row)?);
            if seen.len() > self.limit {
                return Err(limit_exceeded(format!(
                    "the right side of the join (`right={}`) has more than {} distinct key values; \
                     narrow it with a filter or a smaller limit",
                    self.alias, self.limit
                )));
            }
        }
        Ok(Arc::new(BooleanArray::from(vec![true; num_rows])))
    }
}
