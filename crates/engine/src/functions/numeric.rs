//! Numeric functions (spec §5.1). Every argument is read leniently as a number.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{Expr, cast, lit, try_cast, when};

use super::Call;
use crate::error::Result;
use crate::expr::Kind;

/// `toInt`/`toLong`: argument 0 as an integer of type `t`.
fn integer(c: &Call<'_>, t: DataType) -> Result<Expr> {
    let arg = c.arg(0)?;
    let via_number = try_cast(c.p.number(arg.clone())?, t.clone());
    Ok(match c.p.kind(&arg)? {
        Kind::Text => f::coalesce(vec![try_cast(arg, t), via_number]),
        _ => via_number,
    })
}

pub(crate) const NAMES: &[&str] = &[
    "abs",
    "ceil",
    "floor",
    "greatest",
    "least",
    "log",
    "sqrt",
    "round",
    "tonumber",
    "todouble",
    "toint",
    "tolong",
    "haversine",
];

/// The mean Earth radius in km, for `haversine`.
const EARTH_RADIUS_KM: f64 = 6371.0;

pub(crate) fn plan(c: &Call<'_>, name: &str) -> Result<Option<Expr>> {
    Ok(Some(match name {
        "abs" => f::abs(c.number(0)?),
        "ceil" => f::ceil(c.number(0)?),
        "floor" => f::floor(c.number(0)?),
        "log" => f::ln(c.number(0)?),
        // DataFusion raises an error for a negative square root; Insights has no value.
        "sqrt" => {
            let x = c.number(0)?;
            when(x.clone().lt(lit(0.0)), lit(ScalarValue::Float64(None))).otherwise(f::sqrt(x))?
        }
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
        // Conversions truncate toward zero; values out of range are missing. Integer text is
        // read exactly (a 64-bit id survives `toLong`), anything else through its number.
        "toint" => integer(c, DataType::Int32)?,
        "tolong" => integer(c, DataType::Int64)?,
        "haversine" => {
            // Great-circle distance in km between two (latitude, longitude) points in degrees.
            let [lat1, lon1, lat2, lon2] = [0, 1, 2, 3].map(|i| c.number(i).map(f::radians));
            let (lat1, lon1, lat2, lon2) = (lat1?, lon1?, lat2?, lon2?);
            let half_sin_sq = |a: Expr, b: Expr| {
                let s = f::sin((b - a) / lit(2.0));
                s.clone() * s
            };
            let h = half_sin_sq(lat1.clone(), lat2.clone())
                + f::cos(lat1) * f::cos(lat2) * half_sin_sq(lon1, lon2);
            lit(2.0 * EARTH_RADIUS_KM) * f::asin(f::sqrt(h))
        }
        _ => return Ok(None),
    }))
}
