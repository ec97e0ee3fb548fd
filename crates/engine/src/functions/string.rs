//! String functions (spec §5.4). Arguments are read as text; a missing argument gives a
//! missing result, except where the documentation says otherwise (`isempty`, `isblank`).

use datafusion::arrow::datatypes::DataType;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{Expr, cast, lit};

use super::Call;
use crate::error::Result;

pub(crate) const NAMES: &[&str] = &[
    "isempty",
    "isblank",
    "concat",
    "ltrim",
    "rtrim",
    "trim",
    "strlen",
    "toupper",
    "tolower",
    "substr",
    "replace",
    "regexreplace",
    "strcontains",
    "startswith",
    "endswith",
];

pub(crate) fn plan(c: &Call<'_>, name: &str) -> Result<Option<Expr>> {
    Ok(Some(match name {
        "isempty" => {
            let s = c.text(0)?;
            s.clone().is_null().or(s.eq(lit("")))
        }
        "isblank" => {
            let s = c.text(0)?;
            s.clone()
                .is_null()
                .or(f::btrim(vec![s, lit(" \t\r\n")]).eq(lit("")))
        }
        "concat" => {
            let parts = (0..c.args.len())
                .map(|i| c.text(i))
                .collect::<Result<Vec<_>>>()?;
            f::concat(parts)
        }
        // With a second argument, trim removes any of those characters (a set, not a string).
        "ltrim" | "rtrim" | "trim" => {
            let mut args = vec![c.text(0)?];
            if c.args.len() > 1 {
                args.push(c.text(1)?);
            }
            match name {
                "ltrim" => f::ltrim(args),
                "rtrim" => f::rtrim(args),
                _ => f::btrim(args),
            }
        }
        "strlen" => f::character_length(c.text(0)?),
        "toupper" => f::upper(c.text(0)?),
        "tolower" => f::lower(c.text(0)?),
        // Insights counts from 0; DataFusion's substr from 1.
        "substr" => {
            let start = cast(c.number(1)?, DataType::Int64) + lit(1i64);
            match c.args.len() {
                2 => f::substr(c.text(0)?, start),
                _ => f::substring(c.text(0)?, start, cast(c.number(2)?, DataType::Int64)),
            }
        }
        "replace" => f::replace(c.text(0)?, c.text(1)?, c.text(2)?),
        "regexreplace" => f::regexp_replace(c.text(0)?, c.text(1)?, c.text(2)?, Some(lit("g"))),
        "strcontains" => {
            let insensitive = match c.args.get(2) {
                None => false,
                Some(a) => match &a.kind {
                    loupe_lang::ast::ExprKind::Literal(loupe_lang::ast::Literal::Bool(b)) => *b,
                    _ => return Err(c.arg_error(2, "true or false")),
                },
            };
            if insensitive {
                f::contains(f::lower(c.text(0)?), f::lower(c.text(1)?))
            } else {
                f::contains(c.text(0)?, c.text(1)?)
            }
        }
        "startswith" => f::starts_with(c.text(0)?, c.text(1)?),
        "endswith" => f::ends_with(c.text(0)?, c.text(1)?),
        _ => return Ok(None),
    }))
}
