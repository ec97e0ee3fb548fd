//! `fields expr [as alias], ...`: selects and computes fields.
//!
//! `fields` never drops a column that a later command may need: it adds computed columns and
//! records which names the result shows. With several `fields` commands (and no `display`) the
//! result shows the union of their fields.

use loupe_lang::ast::{ExprKind, Projection};

use super::{PlanState, push_unique};
use crate::error::Result;

pub(crate) fn plan(state: &mut PlanState, items: &[Projection]) -> Result<()> {
    for name in project(state, items)? {
        push_unique(&mut state.fields, &name);
    }
    Ok(())
}

/// Computes the projections (one at a time, so an item may use an earlier item's alias) and
/// returns the output names in order.
pub(crate) fn project(state: &mut PlanState, items: &[Projection]) -> Result<Vec<String>> {
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        match (&item.expr.kind, &item.alias) {
            (ExprKind::Field(field), None) if state.has_column(&field.name) => {
                names.push(field.name.clone());
            }
            // A path into a structure (`lf.level` after `parse ... logfmt as lf`) is computed
            // under its own name.
            (ExprKind::Field(field), None) => {
                let value = state.exprs().plan(&item.expr)?;
                state.add_column(&field.name, value)?;
                names.push(field.name.clone());
            }
            (_, alias) => {
                // An unaliased computed column is named by its canonical expression text.
                let name = alias
                    .as_ref()
                    .map_or_else(|| item.expr.to_string(), |a| a.name.clone());
                let value = state.exprs().plan(&item.expr)?;
                if super::is_structure(state, &item.expr) {
                    super::push_unique(&mut state.structures, &name);
                }
                state.add_column(&name, value)?;
                names.push(name);
            }
        }
    }
    Ok(names)
}
