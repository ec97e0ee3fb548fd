//! Nested queries, and `filter f in ( subquery )` / `filter f not in ( subquery )` (spec §1.6,
//! §3.21).
//!
//! `join`, `appendcols` and `in ( ... )` each run a complete query over its own scan. The
//! planner does not know the store: it asks a [`Subqueries`] (built by the engine's `prepare`)
//! to plan the nested query, which resolves the nested query's `SOURCE`, reads the fields it
//! needs with its own scan hints (a filter inside a subquery never prunes the outer scan, nor
//! the reverse), counts what it reads into the outer query's statistics, and plans its
//! pipeline like any query, default order and `limit` included.
//!
//! Decisions where the spec is silent or open:
//!
//! - A subquery without `SOURCE` reads the outer query's log groups; one with `SOURCE` reads the
//!   groups it names (`SOURCE 'name'`, `SOURCE name`, `logGroups(...)`). Either way it runs
//!   over the outer query's time range unless its `SOURCE` sets `start=`/`end=`.
//! - A subquery returns at most 10,000 rows unless it has its own `limit`, as any query does
//!   (newest first unless it sorts).
//! - `in ( subquery )` compares with the subquery's first output column (what vorpalstacks
//!   does): the first field its `fields`/`display` lists, or its first `stats` column, or
//!   `@timestamp` when it shows the default fields. A field the subquery names but no row has
//!   gives no values.
//! - Values compare as `=` compares (numbers numerically when either side is a number, text
//!   exactly), like `in [..]` lists. A subquery row without the field adds no value: unlike
//!   SQL's `NOT IN`, a missing value never makes `not in` false for every row. As with
//!   `not in [..]`, a row missing the tested field matches neither `in` nor `not in`.
//! - `in ( subquery )` is planned inside `filter`/`where` conditions (anywhere in them: under
//!   `and`, `or`, `not`); elsewhere (`fields x in (...)`) it is "not supported yet".
//!
//! Each test is a left mark join of the rows with the subquery's distinct values: every row
//! stays, with a boolean column saying whether its value is among them, which the condition
//! reads. The join may reorder rows, so an order already settled is applied again.

use datafusion::common::Column;
use datafusion::logical_expr::{Expr, JoinType, LogicalPlan, LogicalPlanBuilder, SortExpr};
use loupe_lang::ast::{Expr as AstExpr, ExprKind, Query};
use loupe_lang::{Diagnostic, Span};

use super::{Env, PlanState};
use crate::QueryContext;
use crate::error::Result;
use crate::expr::ExprPlanner;

/// Plans nested queries over their own scans (see the module docs).
pub trait Subqueries {
    /// Plans `query` (a subquery, the right side of a `join`, an `appendcols` query).
    fn plan(&self, query: &Query, needs: &SubqueryNeeds) -> Result<SubqueryPlan>;
}

/// What the outer query needs from a nested query beyond what the nested query reads itself.
#[derive(Debug, Clone, Default)]
pub struct SubqueryNeeds {
    /// Event fields the scan must read too (the right side's fields a later command names).
    pub fields: Vec<String>,
    /// How its rows end: the default order and `limit` of a query, or neither (see
    /// [`super::Finish`]).
    pub finish: super::Finish,
    /// The time range its scan reads instead of the outer query's (the baseline window of
    /// `diff`, epoch ms, inclusive); a `SOURCE start=/end=` of its own does not change it.
    pub range: Option<(i64, i64)>,
}

/// A nested query planned down to its rows (ordered and limited, before the output projection).
#[derive(Debug, Clone)]
pub struct SubqueryPlan {
    pub plan: LogicalPlan,
    /// Every field of its rows (not only the shown ones), internal columns left out.
    pub columns: Vec<String>,
    /// The fields it lists to show, whether or not any row has them (`fields nosuch`).
    pub wanted: Vec<String>,
    /// The fields it shows that its rows have.
    pub shown: Vec<String>,
    /// Columns it computed (see [`PlanState::computed`]) and columns holding structures.
    pub computed: Vec<String>,
    pub structures: Vec<String>,
    /// The order its rows are in (empty when none is known).
    pub order: Vec<SortExpr>,
}

impl SubqueryPlan {
    /// Expressions over its rows, as the nested query computed them (none of the outer
    /// query's `in` tests apply inside it).
    pub(crate) fn exprs<'a>(&'a self, ctx: &'a QueryContext) -> ExprPlanner<'a> {
        ExprPlanner {
            schema: self.plan.schema(),
            ctx,
            marks: &[],
            computed: &self.computed,
        }
    }

    /// The plan of a pipeline whose rows are final (see [`super::plan_rows`]).
    pub(crate) fn from_state(state: PlanState) -> Result<SubqueryPlan> {
        let wanted = match (&state.display, state.fields.is_empty()) {
            (Some(display), _) => display.clone(),
            (None, false) => state.fields.clone(),
            (None, true) => state.default_output.clone(),
        };
        let shown = wanted
            .iter()
            .filter(|n| state.has_column(n))
            .cloned()
            .collect();
        let columns = state
            .builder
            .schema()
            .columns()
            .into_iter()
            .map(|c| c.name)
            .filter(|n| !is_internal(n))
            .collect();
        let order = valid_order(&state);
        Ok(SubqueryPlan {
            plan: state.builder.build()?,
            columns,
            wanted,
            shown,
            computed: state.computed,
            structures: state.structures,
            order,
        })
    }
}

/// Columns a query never shows: the scan's row ids and the planner's own columns.
pub(crate) fn is_internal(name: &str) -> bool {
    name == loupe_store::ROWID || name.starts_with("__loupe")
}

/// The settled order of the rows when every column it reads still exists (a `stats` since
/// replaces the columns it sorted by), else none.
pub(crate) fn valid_order(state: &PlanState) -> Vec<SortExpr> {
    if state.pending_order.is_some() {
        return Vec::new();
    }
    let schema = state.builder.schema();
    let valid = state
        .order
        .iter()
        .all(|s| s.expr.column_refs().iter().all(|c| schema.has_column(c)));
    if valid {
        state.order.clone()
    } else {
        Vec::new()
    }
}

/// Sorts the rows again into their settled order after a join that may have shuffled them.
pub(crate) fn restore_order(state: &mut PlanState) -> Result<()> {
    let order = valid_order(state);
    if !order.is_empty() {
        state.map(|b| Ok(b.sort(order)?))?;
    }
    Ok(())
}

/// An unqualified reference to column `name`.
pub(crate) fn col(name: &str) -> Expr {
    Expr::Column(Column::new_unqualified(name))
}

/// `filter cond` where `cond` may hold `in ( subquery )` tests.
pub(crate) fn plan_filter(state: &mut PlanState, condition: &AstExpr, env: Env<'_>) -> Result<()> {
    let mut tests = Vec::new();
    collect(condition, &mut tests);
    if tests.is_empty() {
        return super::filter::plan(state, condition);
    }
    for (value, span, query) in tests {
        mark(state, value, span, query, env)?;
    }
    super::filter::plan(state, condition)?;
    // The answers served their filter: drop them.
    let marks: Vec<String> = state.marks.drain(..).map(|(_, name)| name).collect();
    let keep: Vec<Expr> = state
        .builder
        .schema()
        .columns()
        .into_iter()
        .filter(|c| !marks.contains(&c.name))
        .map(Expr::Column)
        .collect();
    state.map(|b| Ok(b.project(keep)?))?;
    restore_order(state)
}

/// The `in ( subquery )` tests of a condition: tested value, subquery span, subquery. Nested
/// queries are not searched (their own filters are planned with them).
fn collect<'a>(e: &'a AstExpr, out: &mut Vec<(&'a AstExpr, Span, &'a Query)>) {
    match &e.kind {
        ExprKind::In { expr, list, .. } => {
            if let ExprKind::Subquery(query) = &list.kind {
                out.push((expr, list.span, query));
            }
            collect(expr, out);
        }
        ExprKind::Unary { operand, .. } => collect(operand, out),
        ExprKind::Binary { left, right, .. } => {
            collect(left, out);
            collect(right, out);
        }
        ExprKind::Like { expr, .. } => collect(expr, out),
        ExprKind::Call { args, .. } => args.iter().for_each(|a| collect(a, out)),
        ExprKind::Member { base, .. } => collect(base, out),
        ExprKind::Index { base, index } => {
            collect(base, out);
            collect(index, out);
        }
        _ => {}
    }
}

/// Joins in the answer of one `value in ( query )` test as a boolean column.
fn mark(
    state: &mut PlanState,
    value: &AstExpr,
    span: Span,
    query: &Query,
    env: Env<'_>,
) -> Result<()> {
    let sub = env.subqueries.plan(query, &SubqueryNeeds::default())?;
    let Some(first) = sub.wanted.first() else {
        return Err(Diagnostic::semantic("the subquery shows no field", span)
            .with_label("no output column")
            .into());
    };
    let n = state.marks.len();
    let left_key = format!("__loupe_in_key_{n}");
    let right_key = "__loupe_in_value";
    let alias = format!("__loupe_in_sub_{n}");
    let name = format!("__loupe_in_{n}");
    let (l, r) = {
        let outer = state.exprs();
        let inner = sub.exprs(&state.ctx);
        let l = outer.plan(value)?;
        let r = inner.field(first);
        outer.equality_keys(l, &inner, r)?
    };
    let right = LogicalPlanBuilder::from(sub.plan)
        .project(vec![r.alias(right_key)])?
        .distinct()?
        .alias(alias.as_str())?
        .build()?;
    let mut with_key: Vec<Expr> = state
        .builder
        .schema()
        .columns()
        .into_iter()
        .map(Expr::Column)
        .collect();
    with_key.push(l.alias(&left_key));
    state.map(|b| Ok(b.project(with_key)?))?;
    state.map(|b| {
        Ok(b.join(
            right,
            JoinType::LeftMark,
            (
                vec![Column::new_unqualified(&left_key)],
                vec![Column::new(Some(alias.as_str()), right_key)],
            ),
            None,
        )?)
    })?;
    let mut keep: Vec<Expr> = state
        .builder
        .schema()
        .columns()
        .into_iter()
        .filter(|c| c.relation.is_none() && c.name != left_key)
        .map(Expr::Column)
        .collect();
    keep.push(Expr::Column(Column::new(Some(alias.as_str()), "mark")).alias(&name));
    state.map(|b| Ok(b.project(keep)?))?;
    state.marks.push((span, name));
    Ok(())
}
