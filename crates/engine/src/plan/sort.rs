//! `sort key [asc|desc], ...`.
//!
//! A key without a direction sorts descending (spec §3.5 leaves it open; moto and the console's
//! newest-first habit agree on descending). Rows missing the key sort last either way.
//! Text sorts in Insights' natural order through the `insights_sort_key` function.
//!
//! Ties keep the order the rows were in when that order is known: newest first for events
//! (while they have their `@timestamp`), the group order after `stats`. So equal keys never
//! come back in an order that depends on partitioning; a stable sort would give the same rows.

use datafusion::common::Column;
use datafusion::logical_expr::{Expr, SortExpr};
use loupe_lang::ast::{ExprKind, SortKey, SortOrder};
use loupe_store::{ROWID, TIMESTAMP};

use super::PlanState;
use crate::error::Result;

/// Sorts by `keys`; `previous` is the pending order the rows were to be in (it breaks ties).
pub(crate) fn plan(
    state: &mut PlanState,
    keys: &[SortKey],
    previous: Option<Vec<SortExpr>>,
) -> Result<()> {
    if let Some(key) = keys.iter().find(|k| super::is_structure(state, &k.expr)) {
        return Err(super::structure_error(&key.expr, "sort"));
    }
    let exprs = state.exprs();
    let sorts = keys
        .iter()
        .map(|key| {
            let asc = key.order == Some(SortOrder::Asc);
            Ok(SortExpr::new(exprs.sort_value(&key.expr)?, asc, false))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut sorts = sorts;
    let by_time = keys
        .iter()
        .any(|k| matches!(&k.expr.kind, ExprKind::Field(f) if f.name == TIMESTAMP));
    // Events with the same `@timestamp` keep their order of arrival (`@rowid`), reversed
    // when the time sorts descending, so `sort @timestamp asc` is the exact reverse of the
    // newest-first default (spec §3.5) and never depends on partitioning.
    if let Some(time_key) = keys
        .iter()
        .find(|k| matches!(&k.expr.kind, ExprKind::Field(f) if f.name == TIMESTAMP))
        && state.has_column(ROWID)
    {
        let asc = time_key.order == Some(SortOrder::Asc);
        sorts.push(SortExpr::new(
            Expr::Column(Column::new_unqualified(ROWID)),
            asc,
            false,
        ));
    }
    match previous {
        Some(ties) => sorts.extend(ties),
        None if !by_time && state.has_column(TIMESTAMP) => sorts.push(SortExpr::new(
            Expr::Column(Column::new_unqualified(TIMESTAMP)),
            false,
            false,
        )),
        None => {}
    }
    state.order = sorts.clone();
    state.map(|b| Ok(b.sort(sorts)?))
}
