//! `sort key [asc|desc], ...`.
//!
//! A key without a direction sorts descending (spec §3.5 leaves it open; moto and the console's
//! newest-first habit agree on descending). Rows missing the key sort last either way.
//! Text sorts in Insights' natural order through the `insights_sort_key` function.

use datafusion::logical_expr::SortExpr;
use loupe_lang::ast::{SortKey, SortOrder};

use super::PlanState;
use crate::error::Result;

pub(crate) fn plan(state: &mut PlanState, keys: &[SortKey]) -> Result<()> {
    let exprs = state.exprs();
    let sorts = keys
        .iter()
        .map(|key| {
            let asc = key.order == Some(SortOrder::Asc);
            Ok(SortExpr::new(exprs.sort_value(&key.expr)?, asc, false))
        })
        .collect::<Result<Vec<_>>>()?;
    state.order = sorts.clone();
    state.map(|b| Ok(b.sort(sorts)?))
}
