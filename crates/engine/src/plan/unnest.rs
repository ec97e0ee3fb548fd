//! `unnest expr into name` and `expand field`: one row per element of a list.
//!
//! Lists are JSON array text (see `functions::json`); a UDF turns each value into an Arrow
//! `List<Utf8>` of its elements and DataFusion's unnest emits a row per element, every other
//! field copied. A value that is not an array (a map, a string, a number) is a one-element
//! list; an empty list or a missing value drops the row (spec §3.10 leaves this open).
//!
//! The order rows were in (newest first by default) is re-applied afterwards, elements of one
//! event in their list order.
//!
//! A field that is no column (the store discovers an array's leaves, `items.0`, not the array)
//! is read from the JSON of `@message` where the event has no such field, so `expand items`
//! works on JSON events. Not for fields a command computed, and not for events whose JSON is
//! embedded after a prefix (Lambda lines): those arrays are not found.

use datafusion::common::{Column, UnnestOptions};
use datafusion::functions::expr_fn::coalesce;
use datafusion::logical_expr::{Expr, SortExpr};
use loupe_lang::Diagnostic;
use loupe_lang::ast::{self, ExprKind};
use loupe_store::MESSAGE;

use super::PlanState;
use crate::error::Result;
use crate::functions::json::{self, JsonFn, JsonUdf};

/// `unnest expr into name`.
pub(crate) fn plan_unnest(state: &mut PlanState, expr: &ast::Expr, into: &str) -> Result<()> {
    let value = {
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
        value
    };
    // The rows' order, re-applied after unnesting with each element's position as the last
    // key: the elements of one event share its sort keys, and unnest itself keeps no order.
    let order = match state.pending_order.take() {
        Some(order) => order,
        None => state.order.clone(),
    };
    let ordinal = format!("__loupe_ordinal_{}", state.computed.len());
    // The ordinals first: `value` may read the column `into` replaces.
    state.add_column(
        &ordinal,
        JsonUdf::call(JsonFn::Ordinals, vec![value.clone()]),
    )?;
    state.add_column(into, JsonUdf::call(JsonFn::Elements, vec![value]))?;
    let options = UnnestOptions::new().with_preserve_nulls(false);
    let columns = vec![
        Column::new_unqualified(into),
        Column::new_unqualified(&ordinal),
    ];
    state.map(|b| Ok(b.unnest_columns_with_options(columns, options)?))?;
    if !order.is_empty() {
        let mut order = order;
        order.push(SortExpr::new(
            Expr::Column(Column::new_unqualified(&ordinal)),
            true,
            false,
        ));
        state.pending_order = Some(order);
    }
    Ok(())
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
