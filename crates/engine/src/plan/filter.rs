//! `filter cond` / `where cond`: keeps the rows whose condition holds.

use loupe_lang::ast::Expr;

use super::PlanState;
use crate::error::Result;

pub(crate) fn plan(state: &mut PlanState, condition: &Expr) -> Result<()> {
    let predicate = state.exprs().condition(condition)?;
    state.map(|b| Ok(b.filter(predicate)?))
}
