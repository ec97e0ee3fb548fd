//! `json field=f "a.b" as alias`: member `a.b` of the structure (or JSON text) in field `f`.
//!
//! Structures are JSON text (see `functions::json`), so this is member access along the dotted
//! path; a numeric segment indexes an array (`items.0`). A row where the path leads nowhere
//! keeps flowing without `alias`. When the event's own JSON has `f` as an object, the store
//! discovered its leaves, so the discovered field `f.a.b` answers too.

use loupe_lang::ast::Ident;

use super::PlanState;
use crate::error::Result;
use crate::functions::json;

pub(crate) fn plan(state: &mut PlanState, field: &Ident, path: &str, alias: &Ident) -> Result<()> {
    let exprs = state.exprs();
    let base = exprs.text(exprs.field(&field.name))?;
    let value = json::path(base, path.split('.').filter(|k| !k.is_empty()));
    // An object in the event itself was discovered as its leaves (`payload.user.name`).
    let value = exprs.or_column(value, &format!("{}.{path}", field.name));
    state.add_column(&alias.name, value)
}
