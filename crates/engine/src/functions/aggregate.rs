//! `stats` aggregate functions (spec §5.10).
//!
//! - `count(*)`/`count()` count rows; `count(f)` rows where `f` is present; `count_distinct(f)`
//!   the distinct present values, exactly (text through [`super::distinct`]).
//! - `sum`, `avg`, `stddev`, `variance` read their argument leniently as a number (text that is
//!   not a number is skipped); `sum` and `avg` add exactly and round once
//!   ([`super::exact_sum`]), so they do not depend on the order rows arrive in; `stddev` and `variance` are the population forms (spec [?]; the
//!   one other implementation that documents it agrees).
//! - `min`/`max` keep the value's type (timestamps stay timestamps); text compares in the
//!   Insights sort order, as do `sortsFirst`/`sortsLast`.
//! - `earliest`/`latest` take the value of the event with the smallest/largest `@timestamp`
//!   among events that have it.
//! - `pct(f, p)` is the exact percentile with linear interpolation (spec [?]), see
//!   [`super::percentile`].
//! - `topk(k, f)` is the list of the `k` most frequent values (1 ≤ k ≤ 10000), exact, most
//!   frequent first and equally frequent values in the sort order, rendered as a JSON array.
//!
//! The time-series aggregates of spec §5.11 are in [`super::timeseries`].

use datafusion::arrow::datatypes::DataType;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::{Expr, ExprFunctionExt, SortExpr, cast, lit};
use loupe_lang::Diagnostic;
use loupe_lang::ast::ExprKind;
use loupe_store::TIMESTAMP;

use super::Call;
use crate::error::Result;
use crate::expr::Kind;

/// First non-missing value of `value` in the order `by` (ascending or descending).
fn first_by(value: Expr, by: Expr, asc: bool) -> Result<Expr> {
    Ok(
        datafusion::functions_aggregate::first_last::first_value_udaf()
            .call(vec![value])
            .order_by(vec![SortExpr::new(by, asc, false)])
            .null_treatment(datafusion::logical_expr::expr::NullTreatment::IgnoreNulls)
            .build()?,
    )
}

/// Plans one aggregate call.
pub(crate) fn plan(c: &Call<'_>) -> Result<Expr> {
    let name = c.name.name.to_ascii_lowercase();
    Ok(match name.as_str() {
        "count" => match c.args.first().map(|a| &a.kind) {
            None | Some(ExprKind::Star) => agg::count(lit(1i64)),
            Some(_) => {
                // Presence is all `count(f)` reads: from the scan's companion where it has
                // one, the values are never rendered.
                let value = c.arg(0)?;
                agg::count(c.p.presence_column(&value).unwrap_or(value))
            }
        },
        "count_distinct" => {
            let value = c.arg(0)?;
            match c.p.kind(&value)? {
                Kind::Text => {
                    super::distinct::count_distinct_text().call(vec![cast(value, DataType::Utf8)])
                }
                _ => agg::count_distinct(value),
            }
        }
        "sum" => super::exact_sum::sum().call(vec![c.number(0)?]),
        "avg" => super::exact_sum::avg().call(vec![c.number(0)?]),
        "stddev" => agg::stddev_pop(c.number(0)?),
        "variance" => agg::var_pop(c.number(0)?),
        "min" | "max" | "sortsfirst" | "sortslast" => {
            let value = c.arg(0)?;
            let first = matches!(name.as_str(), "min" | "sortsfirst");
            match c.p.kind(&value)? {
                Kind::Number | Kind::Time | Kind::Bool if first => agg::min(value),
                Kind::Number | Kind::Time | Kind::Bool => agg::max(value),
                Kind::Text | Kind::Null => {
                    let text = cast(value, DataType::Utf8);
                    let key = super::sort_key::sort_key().call(vec![text.clone()]);
                    first_by(text, key, first)?
                }
            }
        }
        "earliest" | "latest" => {
            let ts = c.p.field(TIMESTAMP);
            first_by(c.arg(0)?, ts, name == "earliest")?
        }
        "pct" => {
            let p = c.literal_number(1)?;
            if !(0.0..=100.0).contains(&p) {
                return Err(c.arg_error(1, "a percentile between 0 and 100"));
            }
            super::percentile::pct().call(vec![c.number(0)?, lit(p)])
        }
        "topk" => {
            let k = c.literal_number(0)?;
            if !(1.0..=super::topk::MAX_K).contains(&k) || k.fract() != 0.0 {
                return Err(c.arg_error(0, "a whole number from 1 to 10000"));
            }
            // Finished by `insights_topk` after the aggregation (see `finish`).
            agg::array_agg(c.text(1)?)
        }
        _ => {
            return Err(Diagnostic::unsupported(
                format!("aggregate function `{}`", c.name.name),
                c.name.span,
            )
            .into());
        }
    })
}

/// What turns an aggregate's column into its value after the aggregation, if anything: `topk`
/// aggregates a list of values and finishes with the most frequent ones.
pub(crate) fn finish(c: &Call<'_>, column: Expr) -> Result<Option<Expr>> {
    if c.name.name.eq_ignore_ascii_case("topk") {
        let k = c.literal_number(0)? as i64;
        return Ok(Some(super::topk::topk().call(vec![column, lit(k)])));
    }
    Ok(None)
}
