//! Numeric functions (spec §5.1). Every argument is read leniently as a number.

use datafusion::arrow::datatypes::DataType;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{Expr, cast, try_cast};

use super::Call;
use crate::error::Result;

pub(crate) const NAMES: &[&str] = &[
    "abs", "ceil", "floor", "greatest", "least", "log", "sqrt", "round", "tonumber", "todouble",
    "toint", "tolong",
];

pub(crate) fn plan(c: &Call<'_>, name: &str) -> Result<Option<Expr>> {
    Ok(Some(match name {
        "abs" => f::abs(c.number(0)?),
        "ceil" => f::ceil(c.number(0)?),
        "floor" => f::floor(c.number(0)?),
        "log" => f::ln(c.number(0)?),
        "sqrt" => f::sqrt(c.number(0)?),
        "round" => match c.args.len() {
            1 => f::round(vec![c.number(0)?]),
            _ => f::round(vec![c.number(0)?, cast(c.number(1)?, DataType::Int64)]),
        },
        // Missing arguments are skipped, as real queries (`greatest(@initDuration, 0)`) assume.
        "greatest" | "least" => {
            let args = (0..c.args.len())
                .map(|i| c.number(i))
                .collect::<Result<Vec<_>>>()?;
            if name == "greatest" {
                f::greatest(args)
            } else {
                f::least(args)
            }
        }
        "tonumber" | "todouble" => c.number(0)?,
        // Conversions truncate toward zero; values out of range are missing.
        "toint" => try_cast(c.number(0)?, DataType::Int32),
        "tolong" => try_cast(c.number(0)?, DataType::Int64),
        _ => return Ok(None),
    }))
}
