//! `outlier [action=remove|transform] [param=n] [uselower=true|false] [mark=true|false] f ...`
//! (spec §3.24): interquartile-range outliers, as Splunk's `outlier` (same options, same
//! defaults: `action=transform`, `param=2.5`, `uselower=false`, `mark=false`).
//!
//! For each listed field, over the rows as they are at this point of the pipeline (after any
//! earlier `filter`, `limit`, `stats`, ...):
//!
//! - Q1 and Q3 are the 25th and 75th percentiles of the field's numeric values, computed as
//!   `pct(f, 25)` and `pct(f, 75)` compute them: the exact percentile with linear
//!   interpolation between the two nearest ranks (rank `p/100 × (n − 1)` of the sorted values,
//!   as DuckDB's `quantile_cont`; see [`crate::functions::percentile`]). Splunk does not
//!   document how it interpolates; Loupe keeps one definition of a percentile.
//! - IQR = Q3 − Q1; a value above Q3 + param × IQR is an outlier, and with `uselower=true` so
//!   is a value below Q1 − param × IQR. A value equal to a bound is not an outlier.
//! - Values are read leniently, as arithmetic reads them: a number, or text that parses as one
//!   (`"200"`). A row where the field is missing, is not a number (`"n/a"`, a boolean) or is
//!   not finite (`"NaN"`, `"inf"`) is neither counted in the quartiles nor changed nor removed.
//!   A field no row has leaves every row alone. Time fields (`@timestamp`) and map or list
//!   values are refused.
//! - `action=remove` (or Splunk's `rm`) drops every row holding an outlier in any listed field.
//!   Each field's bounds are computed over the same rows, before any is removed.
//! - `action=transform` (or `tf`) replaces an outlier by the bound it crossed (clamping).
//!   A field held as numbers becomes a Float64 field (every value, clamped or not, reads the
//!   same); a field held as text (JSON with mixed types, such as a latency once written
//!   `"n/a"`) stays text: other values are kept exactly as written and a clamped value is the
//!   bound as Insights writes a number (`233.575`).
//! - `mark=true` (it applies to `transform` only, as in Splunk; `remove` ignores it) keeps
//!   Splunk's mark: a clamped value is written with `000` before its digits (`000233.575`), so
//!   the marked field is text. The mark goes after a minus sign (`-000153.125`, where a plain
//!   prefix would give `000-153.125`) so that a marked value still reads as the same number
//!   in later arithmetic, comparisons and `stats`; unmarked values of a number field are
//!   written as Insights writes numbers. (Adding a separate flag field was the alternative;
//!   the prefix keeps queries ported from Splunk working and the row's shape unchanged.)
//! - `transform` shows the listed fields it rewrites (those with a number or text value), as
//!   `accum` shows the field it overwrites; `remove` changes which rows there are, not what
//!   they show.
//! - The rows keep their order (newest first by default, or the last `sort`, or the group
//!   order after `stats`), also where clamping makes values equal that the order sorted by.
//!
//! Planned as one aggregation (`array_agg` of each field's numbers, finished by the percentile
//! UDF into the two bounds) cross-joined to the rows, then a filter (`remove`) or a `CASE` per
//! field (`transform`), and the rows put back in their order by a row number taken before.

use datafusion::common::{Column, ScalarValue};
use datafusion::functions::expr_fn::concat;
use datafusion::functions_aggregate::expr_fn::array_agg;
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{Expr, ExprFunctionExt, LogicalPlanBuilder, SortExpr, lit, when};
use loupe_lang::Diagnostic;
use loupe_lang::ast::{self, CommandOption, ExprKind, Ident, Literal};

use super::PlanState;
use crate::error::Result;
use crate::expr::Kind;
use crate::functions::percentile::percentile;
use crate::functions::string::number_text;

/// The prefix of every helper column this command adds (all are dropped before it returns).
const HELPER: &str = "__loupe_outlier_";

/// What happens to an outlier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    /// Drop the row.
    Remove,
    /// Clamp the value to the bound it crossed.
    Transform,
}

/// The command's options, defaults filled in.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Options {
    action: Action,
    param: f64,
    uselower: bool,
    mark: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            action: Action::Transform,
            param: 2.5,
            uselower: false,
            mark: false,
        }
    }
}

/// A word value: `action=remove` (a name) or `action="remove"`.
fn word(value: &ast::Expr) -> Option<&str> {
    match &value.kind {
        ExprKind::Field(f) => Some(&f.name),
        ExprKind::Literal(Literal::String(s)) => Some(s),
        _ => None,
    }
}

fn bad_value(value: &ast::Expr, message: &str, label: &str) -> crate::EngineError {
    Diagnostic::semantic(message, value.span)
        .with_label(label)
        .into()
}

/// Reads and checks the options.
fn options(given: &[CommandOption]) -> Result<Options> {
    let mut options = Options::default();
    let mut seen: Vec<String> = Vec::new();
    for option in given {
        let name = option.name.name.to_ascii_lowercase();
        if seen.contains(&name) {
            return Err(Diagnostic::semantic(
                format!("`{name}` is given more than once"),
                option.span,
            )
            .with_label("given again")
            .into());
        }
        seen.push(name.clone());
        let value = &option.value;
        match name.as_str() {
            "action" => {
                options.action = match word(value).map(str::to_ascii_lowercase).as_deref() {
                    Some("remove" | "rm") => Action::Remove,
                    Some("transform" | "tf") => Action::Transform,
                    _ => {
                        return Err(bad_value(
                            value,
                            "`action` is remove or transform",
                            "not an action",
                        ));
                    }
                };
            }
            "param" => match &value.kind {
                ExprKind::Literal(Literal::Number { value: n, .. })
                    if *n > 0.0 && n.is_finite() =>
                {
                    options.param = *n;
                }
                _ => {
                    return Err(bad_value(
                        value,
                        "`param` is a positive number, as in param=1.5",
                        "not a positive number",
                    ));
                }
            },
            "uselower" | "mark" => match &value.kind {
                ExprKind::Literal(Literal::Bool(b)) => {
                    if name == "mark" {
                        options.mark = *b;
                    } else {
                        options.uselower = *b;
                    }
                }
                _ => {
                    return Err(bad_value(
                        value,
                        &format!("`{name}` is true or false"),
                        "not true or false",
                    ));
                }
            },
            _ => {
                return Err(Diagnostic::semantic(
                    "`outlier` takes action=, param=, uselower= and mark=",
                    option.name.span,
                )
                .with_label("unknown option")
                .into());
            }
        }
    }
    Ok(options)
}

/// A listed field that has numbers to look at.
struct Target {
    name: String,
    /// The field's value as the rows hold it.
    value: Expr,
    /// Its finite numeric value as Float64, or null.
    number: Expr,
    kind: Kind,
}

/// The fields to work on: each listed field once, those no row has left out.
fn targets(state: &PlanState, fields: &[Ident]) -> Result<Vec<Target>> {
    let mut targets: Vec<Target> = Vec::new();
    for field in fields {
        if targets.iter().any(|t| t.name == field.name) {
            continue;
        }
        if state.structures.contains(&field.name) {
            let e = ast::Expr {
                kind: ExprKind::Field(field.clone()),
                span: field.span,
            };
            return Err(super::structure_error(&e, "outlier"));
        }
        let exprs = state.exprs();
        let value = exprs.field(&field.name);
        let kind = exprs.kind(&value)?;
        match kind {
            // No row has the field, or no value of it is a number: nothing to do.
            Kind::Null | Kind::Bool => continue,
            Kind::Time => {
                return Err(Diagnostic::semantic(
                    format!("`outlier` looks at numbers; `{}` holds times", field.name),
                    field.span,
                )
                .with_label("a time field")
                .into());
            }
            Kind::Number | Kind::Text => {}
        }
        let number = exprs.number(value.clone())?;
        let finite = number
            .clone()
            .gt(lit(f64::NEG_INFINITY))
            .and(number.clone().lt(lit(f64::INFINITY)));
        let number = when(finite, number).otherwise(lit(ScalarValue::Float64(None)))?;
        targets.push(Target {
            name: field.name.clone(),
            value,
            number,
            kind,
        });
    }
    Ok(targets)
}

fn helper(name: String) -> Expr {
    Expr::Column(Column::new_unqualified(name))
}

/// `bound` as a marked value: `000` before the digits, after any minus sign.
fn marked(bound: Expr) -> Result<Expr> {
    let negative = bound.clone().lt(lit(0.0));
    Ok(when(
        negative,
        concat(vec![lit("-000"), number_text(-bound.clone())]),
    )
    .otherwise(concat(vec![lit("000"), number_text(bound)]))?)
}

/// `outlier [option=value ...] f1 [f2 ...]`.
pub(crate) fn plan(
    state: &mut PlanState,
    options: &[CommandOption],
    fields: &[Ident],
) -> Result<()> {
    let options = self::options(options)?;
    let targets = targets(state, fields)?;
    if targets.is_empty() {
        return Ok(());
    }
    state.settle_order()?;
    let order = state.order.clone();
    let row = format!("{HELPER}row");
    if !order.is_empty() {
        let numbered = row_number().order_by(order).build()?.alias(&row);
        state.map(|b| Ok(b.window(vec![numbered])?))?;
    }

    // One row holding each field's bounds.
    let values = |i: usize| format!("{HELPER}values_{i}");
    let (q1, q3) = (|i| format!("{HELPER}q1_{i}"), |i| format!("{HELPER}q3_{i}"));
    let (lo, hi) = (|i| format!("{HELPER}lo_{i}"), |i| format!("{HELPER}hi_{i}"));
    let rows = state.builder.clone().build()?;
    let collected: Vec<Expr> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| array_agg(t.number.clone()).alias(values(i)))
        .collect();
    let mut quartiles = Vec::new();
    let mut bounds = Vec::new();
    for i in 0..targets.len() {
        quartiles.push(
            percentile()
                .call(vec![helper(values(i)), lit(25.0)])
                .alias(q1(i)),
        );
        quartiles.push(
            percentile()
                .call(vec![helper(values(i)), lit(75.0)])
                .alias(q3(i)),
        );
        let iqr = helper(q3(i)) - helper(q1(i));
        let reach = lit(options.param) * iqr;
        bounds.push((helper(q1(i)) - reach.clone()).alias(lo(i)));
        bounds.push((helper(q3(i)) + reach).alias(hi(i)));
    }
    let bounds = LogicalPlanBuilder::from(rows)
        .aggregate(Vec::<Expr>::new(), collected)?
        .project(quartiles)?
        .project(bounds)?
        .build()?;
    state.map(|b| Ok(b.cross_join(bounds)?))?;

    let above = |i: usize, t: &Target| t.number.clone().gt(helper(hi(i)));
    let below = |i: usize, t: &Target| t.number.clone().lt(helper(lo(i)));
    match options.action {
        Action::Remove => {
            let outlying = targets
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let test = if options.uselower {
                        above(i, t).or(below(i, t))
                    } else {
                        above(i, t)
                    };
                    datafusion::functions::expr_fn::coalesce(vec![test, lit(false)])
                })
                .reduce(Expr::or)
                .unwrap_or(lit(false));
            state.map(|b| Ok(b.filter(Expr::Not(Box::new(outlying)))?))?;
        }
        Action::Transform => {
            for (i, t) in targets.iter().enumerate() {
                // What a clamped value becomes, and what every other value stays as.
                let shape = |bound: Expr| -> Result<Expr> {
                    Ok(match (options.mark, t.kind) {
                        (true, _) => marked(bound)?,
                        (false, Kind::Number) => bound,
                        (false, _) => number_text(bound),
                    })
                };
                let kept = match (options.mark, t.kind) {
                    (false, Kind::Number) => t.number.clone(),
                    (true, Kind::Number) => state.exprs().text(t.value.clone())?,
                    _ => t.value.clone(),
                };
                let mut case = when(above(i, t), shape(helper(hi(i)))?);
                if options.uselower {
                    case.when(below(i, t), shape(helper(lo(i)))?);
                }
                let value = case.otherwise(kept)?;
                state.add_column(&t.name, value)?;
                super::sequence::show(state, &t.name);
            }
        }
    }

    if state.has_column(&row) {
        let by_row = vec![SortExpr::new(helper(row), true, false)];
        state.map(|b| Ok(b.sort(by_row)?))?;
    }
    let kept: Vec<Expr> = state
        .builder
        .schema()
        .columns()
        .into_iter()
        .filter(|c| !c.name.starts_with(HELPER))
        .map(Expr::Column)
        .collect();
    state.map(|b| Ok(b.project(kept)?))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use loupe_lang::Span;

    fn option(name: &str, kind: ExprKind) -> CommandOption {
        let span = Span::default();
        CommandOption {
            name: Ident {
                name: name.into(),
                span,
            },
            value: ast::Expr { kind, span },
            span,
        }
    }

    fn word_value(w: &str) -> ExprKind {
        ExprKind::Field(Ident {
            name: w.into(),
            span: Span::default(),
        })
    }

    fn number(n: f64) -> ExprKind {
        ExprKind::Literal(Literal::Number {
            value: n,
            text: n.to_string(),
        })
    }

    #[test]
    fn defaults_are_splunks() {
        assert_eq!(
            options(&[]).unwrap(),
            Options {
                action: Action::Transform,
                param: 2.5,
                uselower: false,
                mark: false,
            }
        );
    }

    #[test]
    fn reads_every_option() {
        let given = [
            option("action", word_value("RM")),
            option("param", number(1.5)),
            option("uselower", ExprKind::Literal(Literal::Bool(true))),
            option("mark", ExprKind::Literal(Literal::Bool(true))),
        ];
        assert_eq!(
            options(&given).unwrap(),
            Options {
                action: Action::Remove,
                param: 1.5,
                uselower: true,
                mark: true,
            }
        );
        let tf = [option(
            "action",
            ExprKind::Literal(Literal::String("transform".into())),
        )];
        assert_eq!(options(&tf).unwrap().action, Action::Transform);
    }

    #[test]
    fn refuses_bad_values() {
        for bad in [
            option("action", word_value("drop")),
            option("param", number(0.0)),
            option("param", number(f64::INFINITY)),
            option("param", word_value("big")),
            option("uselower", number(1.0)),
            option("mark", word_value("yes")),
        ] {
            assert!(options(std::slice::from_ref(&bad)).is_err(), "{bad:?}");
        }
        let twice = [option("param", number(1.0)), option("param", number(2.0))];
        assert!(options(&twice).is_err());
    }
}
