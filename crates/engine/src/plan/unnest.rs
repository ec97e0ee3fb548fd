//! `unnest expr into name` and `expand field`: one row per element of a list.
//!
//! Lists are JSON array text (see `functions::json`); a UDF turns each value into an Arrow
//! `List<Utf8>` of its elements and DataFusion's unnest emits a row per element, every other
//! field copied. A value that is not an array (a map, a string, a number) is a one-element
//! list; an empty list or a missing value drops the row (spec §3.10 leaves this open).
//!
//! A field that is no column (the store discovers an array's leaves, `items.0`, not the array)
//! is read from the JSON of `@message` where the event has no such field, so `expand items`
//! works on JSON events. Not for fields a command computed, and not for events whose JSON is
//! embedded after a prefix (Lambda lines): those arrays are not found.

use datafusion::common::{Column, UnnestOptions};
use datafusion::functions::expr_fn::coalesce;
use loupe_lang::Diagnostic;
use loupe_lang::ast::{self, ExprKind};
use loupe_store::MESSAGE;

use super::PlanState;
use crate::error::Result;
use crate::functions::json::{self, JsonFn, JsonUdf};

/// `unnest expr into name`.
pub(crate) fn plan_unnest(state: &mut PlanState, expr: &ast::Expr, into: &str) -> Result<()> {
    let list = {
        let exprs = state.exprs();
        let mut value = exprs.text(exprs.plan(expr)?)?;
        // The store discovers an array's leaves (`items.0`), never the array itself: where an
        // event field is missing, it is read from the JSON of `@message`.
        if let ExprKind::Field(ident) = &expr.kind
            && !ident.name.starts_with('@')
            && !state.computed.iter().any(|c| c == &ident.name)
        {
            let from_message = json::path(exprs.field(MESSAGE), ident.name.split('.'));
            value = coalesce(vec![value, from_message]);
        }
        JsonUdf::call(JsonFn::Elements, vec![value])
    };
    state.add_column(into, list)?;
    let options = UnnestOptions::new().with_preserve_nulls(false);
    state.map(|b| Ok(b.unnest_column_with_options(Column::new_unqualified(into), options)?))
}

/// `expand field`: `unnest field into field`.
pub(crate) fn plan_expand(state: &mut PlanState, expr: &ast::Expr) -> Result<()> {
    match &expr.kind {
        ExprKind::Field(ident) => plan_unnest(state, expr, &ident.name),
        _ => Err(
            Diagnostic::semantic("`expand` takes a field name", expr.span)
                .with_label("not a field")
                .into(),
        ),
    }
}
