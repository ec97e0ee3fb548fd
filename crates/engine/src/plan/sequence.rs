//! Row-sequence commands (spec §3.23, §3.24): `accum`, `autoregress`, `filldown`,
//! `fillmissing`, `sessionize`, `countFrequent` and `addtotals`.
//!
//! Each reads the rows in their current order (newest first by default, or the last `sort`,
//! or the group order after `stats`) through a window over that order, and leaves the order
//! as it was. Decisions where the spec is silent follow Splunk, whose commands these are:
//!
//! - `accum x` without `as` overwrites `x` with the running sum; a row without a number in `x`
//!   gets no value, and the sum carries on past it.
//! - `autoregress x p=1-3` adds `x_p1`, `x_p2`, `x_p3` (the value 1, 2, 3 rows earlier); a
//!   single lag takes `as name`; rows without such an earlier row get no value.
//! - `filldown` without names fills every field of the rows (not the system fields); names may
//!   end in `*` (a prefix).
//! - `fillmissing` after `stats ... by bin(period)` (that one group, a fixed-length period)
//!   adds a row for every empty bin between the first and the last bin that has events; the
//!   new rows have the bin and nothing else, and each `with value for field` fills that field
//!   wherever it is missing (in new rows and old).
//! - `sessionize f, g [maxspan d] [as out]` numbers the sessions of each value combination
//!   1, 2, ... in time order into `out` (default `session_id`): a new session starts when an
//!   event comes more than `maxspan` (default 30m, not capped) after the previous event of the
//!   same combination. Events missing one of the fields get no session. (The spec does not
//!   say what a session id looks like; numbers per combination group well in `stats`.)
//! - `countFrequent f, g` counts the rows of each value combination exactly, into
//!   `_approxcount`, most frequent first (ties in the order of the values).
//! - `addtotals` sums, per row, the listed fields or else every numeric field the result
//!   shows (text is not summed, even when it holds digits); a row with none of them gets no
//!   total. `col=true` appends one row with the sum of each numeric field (the total included),
//!   other fields left out.

use datafusion::common::ScalarValue;
use datafusion::functions_aggregate::sum::sum_udaf;
use datafusion::functions_window::expr_fn::{lag, last_value};
use datafusion::logical_expr::expr::{NullTreatment, WindowFunction};
use datafusion::logical_expr::{
    Expr, ExprFunctionExt, SortExpr, WindowFrame, WindowFrameBound, WindowFrameUnits,
    WindowFunctionDefinition, lit, when,
};
use loupe_lang::Diagnostic;
use loupe_lang::Span;
use loupe_lang::ast::{
    self, CommandOption, ExprKind, FillValue, Ident, LagRange, Literal, Projection,
};
use loupe_store::{INGESTION_TIME, LOG_GROUP, LOG_STREAM, MESSAGE, TIMESTAMP};

use super::{LOG, PlanState};
use crate::error::Result;

/// The field `countFrequent` counts into.
pub const APPROX_COUNT: &str = "_approxcount";

/// The rows' order, settled, for a window to read them in.
fn current_order(state: &mut PlanState) -> Result<Vec<SortExpr>> {
    state.settle_order()?;
    Ok(state.order.clone())
}

/// Every row from the first to the current one.
fn running_frame() -> WindowFrame {
    WindowFrame::new_bounds(
        WindowFrameUnits::Rows,
        WindowFrameBound::Preceding(ScalarValue::UInt64(None)),
        WindowFrameBound::CurrentRow,
    )
}

/// Computes the window function `window` into column `name` (replacing any column of that
/// name): windows are planned by a window node, then copied under their name.
fn add_window(state: &mut PlanState, name: &str, window: Expr) -> Result<()> {
    let internal = format!("__loupe_window_{}", state.computed.len());
    state.map(|b| Ok(b.window(vec![window.alias(&internal)])?))?;
    let value = state.column(&internal)?;
    state.add_column(name, value)
}

/// Puts the rows back in `order` once the window columns are computed.
fn keep_order(state: &mut PlanState, order: Vec<SortExpr>) {
    if !order.is_empty() {
        state.pending_order = Some(order);
    }
}

/// Shows a new field beside the others: after the listed `fields`, or after the default
/// output when there are none (a `display` already fixed the columns).
pub(super) fn show(state: &mut PlanState, name: &str) {
    if state.display.is_some() {
        return;
    }
    if state.fields.is_empty() {
        super::push_unique(&mut state.default_output, name);
    } else {
        super::push_unique(&mut state.fields, name);
    }
}

/// `accum field [as out]`.
pub(crate) fn accum(state: &mut PlanState, field: &Ident, alias: Option<&Ident>) -> Result<()> {
    let order = current_order(state)?;
    let value = {
        let exprs = state.exprs();
        exprs.number(exprs.field(&field.name))?
    };
    let running = Expr::WindowFunction(Box::new(WindowFunction::new(
        WindowFunctionDefinition::AggregateUDF(sum_udaf()),
        vec![value.clone()],
    )))
    .order_by(order.clone())
    .window_frame(running_frame())
    .build()?;
    let name = alias.map_or(field.name.as_str(), |a| a.name.as_str());
    let sum = format!("__loupe_accum_{}", state.computed.len());
    add_window(state, &sum, running)?;
    let shown =
        when(value.is_null(), lit(ScalarValue::Float64(None))).otherwise(state.column(&sum)?)?;
    state.add_column(name, shown)?;
    show(state, name);
    keep_order(state, order);
    Ok(())
}

/// `autoregress field [as alias] [p=N[-M]]`.
pub(crate) fn autoregress(
    state: &mut PlanState,
    field: &Ident,
    alias: Option<&Ident>,
    lags: Option<&LagRange>,
) -> Result<()> {
    let (from, to) = lags.map_or((1, 1), |l| (l.from, l.to));
    if from == 0 || to < from {
        let span = lags.map_or(field.span, |l| l.span);
        return Err(Diagnostic::semantic("lags run from 1 up, as in p=1-4", span).into());
    }
    if alias.is_some() && to != from {
        let span = alias.map_or(field.span, |a| a.span);
        return Err(Diagnostic::semantic(
            "`as` names a single lag; with a range the fields are named field_p1, field_p2, ...",
            span,
        )
        .into());
    }
    let order = current_order(state)?;
    let value = state.exprs().field(&field.name);
    for p in from..=to {
        let shifted = lag(value.clone(), i64::try_from(p).ok(), None)
            .order_by(order.clone())
            .build()?;
        let name = match alias {
            Some(a) => a.name.clone(),
            None => format!("{}_p{p}", field.name),
        };
        add_window(state, &name, shifted)?;
        show(state, &name);
    }
    keep_order(state, order);
    Ok(())
}

/// Whether `name` is one of the fields every event has (never filled down).
fn is_system(name: &str) -> bool {
    [
        TIMESTAMP,
        INGESTION_TIME,
        LOG_GROUP,
        LOG_STREAM,
        MESSAGE,
        LOG,
    ]
    .contains(&name)
        || name.starts_with("__loupe_")
}

/// `filldown [f1 f2 ...]`.
pub(crate) fn filldown(state: &mut PlanState, names: &[Ident]) -> Result<()> {
    let columns: Vec<String> = state
        .builder
        .schema()
        .columns()
        .into_iter()
        .map(|c| c.name)
        .filter(|n| !is_system(n))
        .collect();
    let chosen: Vec<String> = if names.is_empty() {
        columns
    } else {
        let mut chosen = Vec::new();
        for ident in names {
            let matched: Vec<&String> = match ident.name.strip_suffix('*') {
                Some(prefix) => columns.iter().filter(|c| c.starts_with(prefix)).collect(),
                None => columns.iter().filter(|c| **c == ident.name).collect(),
            };
            for name in matched {
                super::push_unique(&mut chosen, name);
            }
        }
        chosen
    };
    let order = current_order(state)?;
    for name in &chosen {
        let column = state.column(name)?;
        let filled = last_value(column)
            .order_by(order.clone())
            .window_frame(running_frame())
            .null_treatment(NullTreatment::IgnoreNulls)
            .build()?;
        add_window(state, name, filled)?;
    }
    keep_order(state, order);
    Ok(())
}

/// `countFrequent f1, f2, ...`: `stats count(*) as _approxcount by f1, f2 | sort _approxcount desc`.
pub(crate) fn count_frequent(state: &mut PlanState, fields: &[Ident]) -> Result<()> {
    let expr = |kind: ExprKind, span| ast::Expr { kind, span };
    let span = fields.first().map_or_else(Default::default, |f| f.span);
    let count = Projection {
        expr: expr(
            ExprKind::Call {
                name: Ident {
                    name: "count".into(),
                    span,
                },
                args: vec![expr(ExprKind::Star, span)],
            },
            span,
        ),
        alias: Some(Ident {
            name: APPROX_COUNT.into(),
            span,
        }),
        span,
    };
    let by: Vec<Projection> = fields
        .iter()
        .map(|f| Projection {
            expr: expr(ExprKind::Field(f.clone()), f.span),
            alias: None,
            span: f.span,
        })
        .collect();
    super::stats::plan(state, &[count], &by, None)?;
    let groups = state.pending_order.take().unwrap_or_default();
    let mut order = vec![SortExpr::new(state.column(APPROX_COUNT)?, false, false)];
    order.extend(groups);
    state.pending_order = Some(order);
    Ok(())
}

/// The columns the result shows at this point of the pipeline.
pub(super) fn shown(state: &PlanState) -> Vec<String> {
    let names = match (&state.display, state.fields.is_empty()) {
        (Some(display), _) => display.clone(),
        (None, false) => state.fields.clone(),
        (None, true) => state.default_output.clone(),
    };
    names.into_iter().filter(|n| state.has_column(n)).collect()
}

/// Whether column `name` holds numbers.
fn numeric(state: &PlanState, name: &str) -> bool {
    state
        .builder
        .schema()
        .field_with_unqualified_name(name)
        .is_ok_and(|f| f.data_type().is_numeric())
}

/// `addtotals [fieldname=Name] [row=bool] [col=bool] [f1, f2, ...]`.
pub(crate) fn addtotals(
    state: &mut PlanState,
    options: &[CommandOption],
    fields: &[Ident],
) -> Result<()> {
    let mut total_name = "Total".to_owned();
    let (mut row, mut col) = (true, false);
    for option in options {
        let value = &option.value.kind;
        match (option.name.name.to_ascii_lowercase().as_str(), value) {
            ("fieldname", ExprKind::Field(f)) => total_name = f.name.clone(),
            ("fieldname", ExprKind::Literal(Literal::String(s))) => total_name = s.clone(),
            ("row", ExprKind::Literal(Literal::Bool(b))) => row = *b,
            ("col", ExprKind::Literal(Literal::Bool(b))) => col = *b,
            _ => {
                return Err(Diagnostic::semantic(
                    "`addtotals` takes fieldname=NAME, row=true|false and col=true|false",
                    option.span,
                )
                .into());
            }
        }
    }
    let summed: Vec<String> = if fields.is_empty() {
        shown(state)
            .into_iter()
            .filter(|n| *n != total_name && numeric(state, n))
            .collect()
    } else {
        fields
            .iter()
            .map(|f| f.name.clone())
            .filter(|n| state.has_column(n))
            .collect()
    };
    if row {
        let values = {
            let exprs = state.exprs();
            summed
                .iter()
                .map(|n| exprs.number(exprs.field(n)))
                .collect::<Result<Vec<_>>>()?
        };
        let total = match values.split_first() {
            None => lit(ScalarValue::Float64(None)),
            Some((first, rest)) => {
                let none = rest.iter().fold(first.clone().is_null(), |acc, v| {
                    acc.and(v.clone().is_null())
                });
                let sum = rest.iter().fold(
                    datafusion::functions::expr_fn::coalesce(vec![first.clone(), lit(0.0)]),
                    |acc, v| {
                        acc + datafusion::functions::expr_fn::coalesce(vec![v.clone(), lit(0.0)])
                    },
                );
                when(none, lit(ScalarValue::Float64(None))).otherwise(sum)?
            }
        };
        state.add_column(&total_name, total)?;
        show(state, &total_name);
    }
    if col {
        let mut summed = summed;
        if row {
            summed.push(total_name);
        }
        column_totals(state, &summed)?;
    }
    Ok(())
}

/// Marks data rows 0 and the totals row 1, so the totals row sorts last.
const TOTALS_ROW: &str = "__loupe_totals_row";

/// Appends one row holding the sum of each of `summed` (numeric fields only).
fn column_totals(state: &mut PlanState, summed: &[String]) -> Result<()> {
    let order = current_order(state)?;
    state.add_column(TOTALS_ROW, lit(0i64))?;
    let schema = state.builder.schema().clone();
    let plan = state.builder.clone().build()?;
    let sums: Vec<Expr> = summed
        .iter()
        .filter(|n| numeric(state, n))
        .map(|n| {
            Ok(
                datafusion::functions_aggregate::expr_fn::sum(state.column(n)?)
                    .alias(format!("__loupe_sum_{n}")),
            )
        })
        .collect::<Result<_>>()?;
    let totals = datafusion::logical_expr::LogicalPlanBuilder::from(plan)
        .aggregate(Vec::<Expr>::new(), sums)?;
    let mut columns = Vec::new();
    for field in schema.fields() {
        let name = field.name();
        let value = if name == TOTALS_ROW {
            lit(1i64)
        } else if summed.contains(name) && field.data_type().is_numeric() {
            datafusion::logical_expr::cast(
                Expr::Column(datafusion::common::Column::new_unqualified(format!(
                    "__loupe_sum_{name}"
                ))),
                field.data_type().clone(),
            )
        } else {
            lit(ScalarValue::try_from(field.data_type())?)
        };
        columns.push(value.alias(name));
    }
    let totals = totals.project(columns)?.build()?;
    state.map(|b| Ok(b.union(totals)?))?;
    let mut order = order;
    order.insert(0, SortExpr::new(state.column(TOTALS_ROW)?, true, false));
    state.pending_order = Some(order);
    Ok(())
}

/// `fillmissing [with value for field, ...]`.
pub(crate) fn fillmissing(state: &mut PlanState, values: &[FillValue], span: Span) -> Result<()> {
    use datafusion::arrow::datatypes::{DataType, TimeUnit};
    use datafusion::common::{Column, JoinType, UnnestOptions};
    use datafusion::functions_aggregate::expr_fn::{max, min};
    use datafusion::functions_nested::expr_fn::range;
    use datafusion::logical_expr::{LogicalPlanBuilder, cast};

    let Some((bin, step)) = state.bin_group.clone() else {
        return Err(Diagnostic::semantic(
            "`fillmissing` follows a `stats ... by bin(period)` with that one group",
            span,
        )
        .with_help("a period of fixed length: ms, s, m, h, d or w")
        .into());
    };
    const SERIES: &str = "__loupe_fill_series";
    const BIN: &str = "__loupe_fill_bin";
    let bin_ms = cast(state.column(&bin)?, DataType::Int64);
    let plan = state.builder.clone().build()?;
    let series = LogicalPlanBuilder::from(plan)
        .aggregate(
            Vec::<Expr>::new(),
            vec![min(bin_ms.clone()).alias("lo"), max(bin_ms).alias("hi")],
        )?
        .project(vec![
            range(
                Expr::Column(Column::new_unqualified("lo")),
                Expr::Column(Column::new_unqualified("hi")) + lit(step),
                lit(step),
            )
            .alias(SERIES),
        ])?
        .unnest_column_with_options(
            Column::new_unqualified(SERIES),
            UnnestOptions::new().with_preserve_nulls(false),
        )?
        .project(vec![
            cast(
                Expr::Column(Column::new_unqualified(SERIES)),
                DataType::Timestamp(TimeUnit::Millisecond, None),
            )
            .alias(BIN),
        ])?;
    let current =
        std::mem::replace(&mut state.builder, LogicalPlanBuilder::empty(false)).build()?;
    let names: Vec<String> = current
        .schema()
        .columns()
        .into_iter()
        .map(|c| c.name)
        .collect();
    let joined = series.join(
        current,
        JoinType::Left,
        (
            vec![Column::new_unqualified(BIN)],
            vec![Column::new_unqualified(&bin)],
        ),
        None,
    )?;
    state.builder = joined;
    let mut fills = Vec::with_capacity(values.len());
    for fill in values {
        if !names.contains(&fill.field.name) {
            return Err(Diagnostic::semantic(
                format!("`{}` is not a field of the stats output", fill.field.name),
                fill.field.span,
            )
            .into());
        }
        fills.push((fill.field.name.clone(), state.exprs().plan(&fill.value)?));
    }
    let mut columns = Vec::with_capacity(names.len());
    for name in &names {
        let column = state.column(name)?;
        let value = if *name == bin {
            Expr::Column(Column::new_unqualified(BIN))
        } else if let Some((_, fill)) = fills.iter().find(|(n, _)| n == name) {
            datafusion::functions::expr_fn::coalesce(vec![column, fill.clone()])
        } else {
            column
        };
        columns.push(value.alias(name));
    }
    state.map(|b| Ok(b.project(columns)?))?;
    let key = state.column(&bin)?;
    state.pending_order = Some(vec![SortExpr::new(key, true, false)]);
    Ok(())
}

/// The default `maxspan` of `sessionize`.
const SESSION_GAP_MS: i64 = 30 * 60_000;

/// `sessionize f1, f2 [maxspan d] [as out]`.
pub(crate) fn sessionize(
    state: &mut PlanState,
    fields: &[Ident],
    maxspan: Option<&ast::Expr>,
    alias: Option<&Ident>,
) -> Result<()> {
    use datafusion::arrow::datatypes::DataType;
    use datafusion::logical_expr::cast;

    let gap = match maxspan.map(|e| &e.kind) {
        None => SESSION_GAP_MS,
        Some(ExprKind::Literal(Literal::Duration { value, unit })) => {
            match crate::functions::datetime::uncapped_millis(*value, unit) {
                Some(ms) => ms,
                None => {
                    let span = maxspan.map_or_else(Span::default, |e| e.span);
                    return Err(Diagnostic::semantic(
                        "`maxspan` takes a duration such as 30m, 2h or 1d",
                        span,
                    )
                    .into());
                }
            }
        }
        Some(_) => {
            let span = maxspan.map_or_else(Span::default, |e| e.span);
            return Err(
                Diagnostic::semantic("`maxspan` takes a duration such as 30m", span).into(),
            );
        }
    };
    if !state.has_column(TIMESTAMP) {
        let span = fields.first().map_or_else(Span::default, |f| f.span);
        return Err(Diagnostic::semantic(
            "`sessionize` needs the events' @timestamp (use it before `stats`)",
            span,
        )
        .into());
    }
    let order = current_order(state)?;
    let keys: Vec<Expr> = {
        let exprs = state.exprs();
        fields.iter().map(|f| exprs.field(&f.name)).collect()
    };
    let ts = cast(state.column(TIMESTAMP)?, DataType::Int64);
    let by_time = vec![SortExpr::new(ts.clone(), true, false)];
    let previous = lag(ts.clone(), Some(1), None)
        .partition_by(keys.clone())
        .order_by(by_time.clone())
        .build()?;
    let starts = format!("__loupe_session_start_{}", state.computed.len());
    add_window(state, &starts, previous)?;
    // 1 where a session starts: the first event of a combination, or after a long gap.
    let previous = state.column(&starts)?;
    let start = when(previous.clone().is_null(), lit(1i64))
        .when((ts - previous).gt(lit(gap)), lit(1i64))
        .otherwise(lit(0i64))?;
    let numbered = Expr::WindowFunction(Box::new(WindowFunction::new(
        WindowFunctionDefinition::AggregateUDF(sum_udaf()),
        vec![start],
    )))
    .partition_by(keys.clone())
    .order_by(by_time)
    .window_frame(running_frame())
    .build()?;
    let number = format!("__loupe_session_{}", state.computed.len());
    add_window(state, &number, numbered)?;
    let missing = keys
        .into_iter()
        .map(Expr::is_null)
        .reduce(Expr::or)
        .unwrap_or(lit(false));
    let name = alias.map_or("session_id", |a| a.name.as_str());
    let value = when(missing, lit(ScalarValue::Int64(None))).otherwise(state.column(&number)?)?;
    state.add_column(name, value)?;
    show(state, name);
    keep_order(state, order);
    Ok(())
}
