//! `display expr [as alias], ...`: exactly these fields are shown; the last `display` wins.

use loupe_lang::ast::Projection;

use super::PlanState;
use crate::error::Result;

pub(crate) fn plan(state: &mut PlanState, items: &[Projection]) -> Result<()> {
    let names = super::fields::project(state, items)?;
    state.display = Some(names);
    Ok(())
}
