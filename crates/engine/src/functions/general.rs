//! General and conditional functions (spec §5.3) and hashing (§5.5).

use datafusion::arrow::datatypes::DataType;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{Expr, ExprSchemable, cast, lit, try_cast, when};

use super::Call;
use crate::error::Result;
use crate::expr::Kind;

pub(crate) const NAMES: &[&str] = &[
    "ispresent",
    "coalesce",
    "if",
    "case",
    "isnumeric",
    "messagesize",
    "md5",
    "sha256",
    "unmask",
];

/// Casts the values to one type: their own when they agree, a number when all are numbers,
/// else text as Insights renders each value (`1200`, not `1200.0`).
fn unify(c: &Call<'_>, values: Vec<Expr>) -> Result<Vec<Expr>> {
    let mut types = Vec::with_capacity(values.len());
    for v in &values {
        types.push(v.get_type(c.p.schema)?);
    }
    let concrete: Vec<&DataType> = types.iter().filter(|t| **t != DataType::Null).collect();
    let same = concrete.windows(2).all(|w| w[0] == w[1]);
    let numeric = !concrete.is_empty() && concrete.iter().all(|t| t.is_numeric());
    Ok(match (same, concrete.first()) {
        (true, Some(t)) => values.into_iter().map(|v| cast(v, (*t).clone())).collect(),
        (true, None) => values,
        (false, _) if numeric => values
            .into_iter()
            .map(|v| cast(v, DataType::Float64))
            .collect(),
        (false, _) => values
            .into_iter()
            .map(|v| c.p.text(v))
            .collect::<Result<_>>()?,
    })
}

pub(crate) fn plan(c: &Call<'_>, name: &str) -> Result<Option<Expr>> {
    Ok(Some(match name {
        "ispresent" => {
            let value = c.arg(0)?;
            c.p.presence_column(&value).unwrap_or(value).is_not_null()
        }
        "coalesce" => f::coalesce(unify(c, c.all()?)?),
        "if" => {
            let cond = c.p.condition(&c.args[0])?;
            let values = unify(c, vec![c.arg(1)?, c.arg(2)?])?;
            let mut it = values.into_iter();
            let (a, b) = (it.next(), it.next());
            match (a, b) {
                (Some(a), Some(b)) => when(cond, a).otherwise(b)?,
                _ => return Err(c.error("`if` takes a condition and two values")),
            }
        }
        "case" => {
            // case(c1, v1, c2, v2, ..., [default])
            let pairs = c.args.len() / 2;
            let mut values = Vec::new();
            for i in 0..pairs {
                values.push(c.arg(2 * i + 1)?);
            }
            let has_default = c.args.len() % 2 == 1;
            if has_default {
                values.push(c.arg(c.args.len() - 1)?);
            }
            let mut values = unify(c, values)?.into_iter();
            let mut builder: Option<
                datafusion::logical_expr::conditional_expressions::CaseBuilder,
            > = None;
            for i in 0..pairs {
                let cond = c.p.condition(&c.args[2 * i])?;
                let value = values
                    .next()
                    .unwrap_or(lit(datafusion::common::ScalarValue::Null));
                builder = Some(match builder {
                    None => when(cond, value),
                    Some(mut b) => {
                        b.when(cond, value);
                        b
                    }
                });
            }
            let Some(mut builder) = builder else {
                return Err(c.error("`case` needs at least one condition and value"));
            };
            match values.next() {
                Some(default) => builder.otherwise(default)?,
                None => builder.end()?,
            }
        }
        "isnumeric" => {
            let v = c.arg(0)?;
            match c.p.kind(&v)? {
                Kind::Number => v.is_not_null(),
                _ => try_cast(v, DataType::Float64).is_not_null(),
            }
        }
        // Loupe stores no masked data: the value is already unmasked.
        "unmask" => c.arg(0)?,
        "messagesize" => f::octet_length(c.text(0)?),
        "md5" => f::md5(c.text(0)?),
        "sha256" => f::encode(f::sha256(c.text(0)?), lit("hex")),
        _ => return Ok(None),
    }))
}
