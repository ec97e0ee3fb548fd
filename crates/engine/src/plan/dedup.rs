//! `dedup f1, f2, ...`: keeps the first row, in the current order, of each distinct value tuple.
//! Rows where any listed field is missing are never duplicates: all of them are kept.
//!
//! Planned as `row_number() over (partition by keys order by <current order>)`, keeping row 1
//! (or any row with a missing key), then restoring the current order.

use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{Expr, ExprFunctionExt, lit};
use loupe_lang::ast;

use super::PlanState;
use crate::error::Result;

const ROW: &str = "__loupe_dedup_row";

pub(crate) fn plan(state: &mut PlanState, keys: &[ast::Expr]) -> Result<()> {
    if let Some(key) = keys.iter().find(|k| super::is_structure(state, k)) {
        return Err(super::structure_error(key, "dedup"));
    }
    let keys = {
        let exprs = state.exprs();
        keys.iter()
            .map(|k| exprs.plan(k))
            .collect::<Result<Vec<_>>>()?
    };
    let order = state.order.clone();
    let numbered = row_number()
        .partition_by(keys.clone())
        .order_by(order.clone())
        .build()?
        .alias(ROW);
    state.map(|b| Ok(b.window(vec![numbered])?))?;
    let any_missing = keys
        .into_iter()
        .map(Expr::is_null)
        .reduce(Expr::or)
        .unwrap_or(lit(false));
    let keep = state.column(ROW)?.eq(lit(1u64)).or(any_missing);
    state.map(|b| Ok(b.filter(keep)?))?;
    if !order.is_empty() {
        state.map(|b| Ok(b.sort(order)?))?;
    }
    Ok(())
}
