//! Datetime functions (spec §5.2): `bin`, `datefloor`, `dateceil`, `fromMillis`, `toMillis`,
//! `now`, `formatDate`/`strftime`, `queryStartTime`, `queryEndTime`, `queryTimeRange`.
//!
//! Periods: a magnitude and a unit (`5m`, `1h`, `100ms`, `1mo`). Per the documentation the
//! magnitude is capped per unit: `ms` at 1000, `s` at 60, `m` at 60, `h` at 24, so `bin(300s)`
//! bins by 60 s. Millisecond-based periods bin from the Unix epoch (weeks from Monday
//! 1970-01-05); months, quarters and years bin on the calendar.

use datafusion::arrow::datatypes::{DataType, IntervalMonthDayNano, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{Expr, cast, lit, try_cast};
use loupe_lang::ast::{ExprKind, Literal};
use loupe_lang::{Diagnostic, Span};
use loupe_store::TIMESTAMP;

use super::Call;
use crate::error::Result;
use crate::expr::Kind;

pub(crate) const NAMES: &[&str] = &[
    "bin",
    "datefloor",
    "dateceil",
    "frommillis",
    "tomillis",
    "now",
    "formatdate",
    "strftime",
    "querystarttime",
    "queryendtime",
    "querytimerange",
];

const TS_MS: DataType = DataType::Timestamp(TimeUnit::Millisecond, None);
const DAY_MS: i64 = 86_400_000;

/// A bin width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Millis(i64),
    Months(u32),
}

/// The period a duration literal denotes, with the documented caps applied.
pub fn period(value: u64, unit: &str) -> Option<Period> {
    let unit = unit.to_ascii_lowercase();
    let plural = |u: &str, names: &[&str]| names.iter().any(|n| u == *n || u == format!("{n}s"));
    let millis = |cap: Option<u64>, unit_ms: i64| {
        let v = cap.map_or(value, |c| value.min(c));
        i64::try_from(v)
            .ok()
            .and_then(|v| v.checked_mul(unit_ms))
            .map(Period::Millis)
    };
    let u = unit.as_str();
    match u {
        "ms" => millis(Some(1000), 1),
        _ if plural(u, &["msec", "millisecond"]) => millis(Some(1000), 1),
        "s" => millis(Some(60), 1000),
        _ if plural(u, &["sec", "second"]) => millis(Some(60), 1000),
        "m" => millis(Some(60), 60_000),
        _ if plural(u, &["min", "minute"]) => millis(Some(60), 60_000),
        "h" => millis(Some(24), 3_600_000),
        _ if plural(u, &["hr", "hour"]) => millis(Some(24), 3_600_000),
        "d" => millis(None, DAY_MS),
        _ if plural(u, &["day"]) => millis(None, DAY_MS),
        "w" => millis(None, 7 * DAY_MS),
        _ if plural(u, &["week"]) => millis(None, 7 * DAY_MS),
        "mo" => u32::try_from(value).ok().map(Period::Months),
        _ if plural(u, &["mon", "month"]) => u32::try_from(value).ok().map(Period::Months),
        "q" => u32::try_from(value)
            .ok()
            .and_then(|v| v.checked_mul(3))
            .map(Period::Months),
        _ if plural(u, &["qtr", "quarter"]) => u32::try_from(value)
            .ok()
            .and_then(|v| v.checked_mul(3))
            .map(Period::Months),
        "y" => u32::try_from(value)
            .ok()
            .and_then(|v| v.checked_mul(12))
            .map(Period::Months),
        _ if plural(u, &["yr", "year"]) => u32::try_from(value)
            .ok()
            .and_then(|v| v.checked_mul(12))
            .map(Period::Months),
        _ => None,
    }
    .filter(|p| !matches!(p, Period::Millis(0) | Period::Months(0)))
}

fn interval(p: Period) -> Expr {
    let (months, nanos) = match p {
        Period::Millis(ms) => (0, ms.saturating_mul(1_000_000)),
        Period::Months(m) => (m as i32, 0),
    };
    lit(ScalarValue::IntervalMonthDayNano(Some(
        IntervalMonthDayNano::new(months, 0, nanos),
    )))
}

/// `ts` rounded down to a multiple of `p`.
pub fn floor(ts: Expr, p: Period, span: Span) -> Result<Expr> {
    Ok(match p {
        Period::Millis(ms) => {
            // Weeks start on Monday; everything else on the epoch.
            let origin = if ms % (7 * DAY_MS) == 0 {
                4 * DAY_MS
            } else {
                0
            };
            let origin = lit(ScalarValue::TimestampMillisecond(Some(origin), None));
            cast(f::date_bin(interval(p), ts, origin), TS_MS)
        }
        Period::Months(1) => cast(f::date_trunc(lit("month"), ts), TS_MS),
        Period::Months(3) => cast(f::date_trunc(lit("quarter"), ts), TS_MS),
        Period::Months(12) => cast(f::date_trunc(lit("year"), ts), TS_MS),
        Period::Months(_) => {
            return Err(Diagnostic::unsupported(
                "a bin of several months other than a quarter or a year",
                span,
            )
            .into());
        }
    })
}

/// `ts` rounded up to a multiple of `p` (unchanged when already on a boundary).
pub fn ceil(ts: Expr, p: Period, span: Span) -> Result<Expr> {
    // Timestamps are whole milliseconds, so ceil(t) = floor(t + p - 1ms).
    let one_ms = interval(Period::Millis(1));
    floor(ts + interval(p) - one_ms, p, span)
}

/// The period of argument `i`, which must be a duration literal.
fn period_arg(c: &Call<'_>, i: usize) -> Result<Period> {
    let Some(arg) = c.args.get(i) else {
        return Err(c.arg_error(i, "a period such as 5m"));
    };
    match &arg.kind {
        ExprKind::Literal(Literal::Duration { value, unit }) => {
            period(*value, unit).ok_or_else(|| {
                Diagnostic::semantic(format!("`{value}{unit}` is not a valid period"), arg.span)
                    .with_help("units: ms, s, m, h, d, w, mo, q, y (and their long spellings)")
                    .into()
            })
        }
        _ => Err(c.arg_error(i, "a period such as 5m")),
    }
}

/// Argument `i` as a timestamp (text is parsed; numbers are epoch milliseconds).
fn timestamp(c: &Call<'_>, i: usize) -> Result<Expr> {
    let e = c.arg(i)?;
    Ok(match c.p.kind(&e)? {
        Kind::Time => cast(e, TS_MS),
        Kind::Number | Kind::Bool => try_cast(cast(c.p.number(e)?, DataType::Int64), TS_MS),
        Kind::Text | Kind::Null => try_cast(e, TS_MS),
    })
}

pub(crate) fn plan(c: &Call<'_>, name: &str) -> Result<Option<Expr>> {
    let ctx = c.p.ctx;
    Ok(Some(match name {
        "bin" => {
            // `bin(period)` always reads @timestamp; `bin(ts, period)` is seen in real queries.
            let (ts, p) = if c.args.len() >= 2 {
                (timestamp(c, 0)?, period_arg(c, 1)?)
            } else {
                (cast(c.p.field(TIMESTAMP), TS_MS), period_arg(c, 0)?)
            };
            floor(ts, p, c.span)?
        }
        "datefloor" => floor(timestamp(c, 0)?, period_arg(c, 1)?, c.span)?,
        "dateceil" => ceil(timestamp(c, 0)?, period_arg(c, 1)?, c.span)?,
        "frommillis" => try_cast(cast(c.number(0)?, DataType::Int64), TS_MS),
        "tomillis" => cast(timestamp(c, 0)?, DataType::Int64),
        // Seconds, not milliseconds: the documentation multiplies `now()` by 1000.
        "now" => lit(ctx.now_ms.div_euclid(1000)),
        "formatdate" | "strftime" => {
            if c.args.len() > 2 {
                return Err(crate::EngineError::Query(Diagnostic::unsupported(
                    "the time zone argument of `formatDate`",
                    c.args[2].span,
                )));
            }
            f::to_char(timestamp(c, 0)?, c.text(1)?)
        }
        "querystarttime" => lit(ScalarValue::Int64(ctx.start_ms)),
        "queryendtime" => lit(ScalarValue::Int64(ctx.end_ms)),
        "querytimerange" => lit(ScalarValue::Int64(
            ctx.start_ms.zip(ctx.end_ms).map(|(s, e)| e - s),
        )),
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_follow_the_documented_units_and_caps() {
        assert_eq!(period(5, "m"), Some(Period::Millis(300_000)));
        assert_eq!(period(300, "s"), Some(Period::Millis(60_000)));
        assert_eq!(period(2000, "ms"), Some(Period::Millis(1000)));
        assert_eq!(period(30, "h"), Some(Period::Millis(24 * 3_600_000)));
        assert_eq!(period(1, "mins"), Some(Period::Millis(60_000)));
        assert_eq!(period(2, "hrs"), Some(Period::Millis(7_200_000)));
        assert_eq!(period(1, "msecs"), Some(Period::Millis(1)));
        assert_eq!(period(1, "qtr"), Some(Period::Months(3)));
        assert_eq!(period(1, "years"), Some(Period::Months(12)));
        assert_eq!(period(1, "fortnight"), None);
        assert_eq!(period(0, "m"), None);
    }
}
