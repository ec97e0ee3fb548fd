//! Datetime functions (spec §5.2): `bin`, `datefloor`, `dateceil`, `fromMillis`, `toMillis`,
//! `now`, `formatDate`/`strftime`, `parseDate`, `queryStartTime`, `queryEndTime`,
//! `queryTimeRange`.
//!
//! Periods: a magnitude and a unit (`5m`, `1h`, `100ms`, `1mo`). Per the documentation the
//! magnitude is capped per unit: `ms` at 1000, `s` at 60, `m` at 60, `h` at 24, so `bin(300s)`
//! bins by 60 s. Millisecond-based periods bin from the Unix epoch (weeks from Monday
//! 1970-01-05); months, quarters and years bin on the calendar.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, AsArray, Int64Array, StringArray, TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::{
    DataType, IntervalMonthDayNano, TimeUnit, TimestampMillisecondType,
};
use datafusion::common::Result as DfResult;
use datafusion::common::ScalarValue;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, cast,
    lit, try_cast,
};
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
    "parsedate",
];

const TS_MS: DataType = DataType::Timestamp(TimeUnit::Millisecond, None);
const DAY_MS: i64 = 86_400_000;

/// A bin width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Millis(i64),
    Months(u32),
}

/// Milliseconds of a duration literal without the `bin` caps (`maxspan 90m` is 90 minutes);
/// `None` for calendar units or an unknown unit.
pub fn uncapped_millis(value: u64, unit: &str) -> Option<i64> {
    // The unit's length is the period of one unit, which no cap changes.
    match period(1, unit)? {
        Period::Millis(unit_ms) => i64::try_from(value).ok()?.checked_mul(unit_ms),
        Period::Months(_) => None,
    }
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
            ScalarUDF::new_from_impl(FloorMsUdf::new(ms, origin)).call(vec![cast(ts, TS_MS)])
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

/// `bin(period)` or `bin(ts, period)` of the time `shift_ms` later (`stats ... offset`).
pub(crate) fn bin(c: &Call<'_>, shift_ms: i64) -> Result<Expr> {
    // `bin(period)` always reads @timestamp; `bin(ts, period)` is seen in real queries.
    let (ts, p) = if c.args.len() >= 2 {
        (timestamp(c, 0)?, period_arg(c, 1)?)
    } else {
        (cast(c.p.field(TIMESTAMP), TS_MS), period_arg(c, 0)?)
    };
    let ts = if shift_ms == 0 {
        ts
    } else {
        ts + interval(Period::Millis(shift_ms))
    };
    floor(ts, p, c.span)
}

pub(crate) fn plan(c: &Call<'_>, name: &str) -> Result<Option<Expr>> {
    let ctx = c.p.ctx;
    Ok(Some(match name {
        "bin" => bin(c, 0)?,
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
        "parsedate" => parse_date(c)?,
        "querystarttime" => lit(ScalarValue::Int64(ctx.start_ms)),
        "queryendtime" => lit(ScalarValue::Int64(ctx.end_ms)),
        "querytimerange" => lit(ScalarValue::Int64(
            ctx.start_ms.zip(ctx.end_ms).map(|(s, e)| e - s),
        )),
        _ => return Ok(None),
    }))
}

/// `parseDate(text, javaPattern [, zone])` → epoch ms. A literal pattern or zone Loupe cannot
/// read is a diagnostic at planning; text that does not match the pattern has no value.
fn parse_date(c: &Call<'_>) -> Result<Expr> {
    let literal = |i: usize| match c.args.get(i).map(|a| &a.kind) {
        Some(ExprKind::Literal(Literal::String(s))) => Some(s.clone()),
        _ => None,
    };
    if let Some(pattern) = literal(1)
        && java_pattern(&pattern).is_none()
    {
        return Err(Diagnostic::unsupported(
            format!("the `parseDate` pattern `{pattern}`"),
            c.args[1].span,
        )
        .with_help("supported pattern letters: y M d H h m s S a E X Z, and 'quoted text'")
        .into());
    }
    let mut args = vec![c.text(0)?, c.text(1)?];
    if c.args.len() > 2 {
        if let Some(zone) = literal(2)
            && zone_offset_secs(&zone).is_none()
        {
            return Err(Diagnostic::unsupported(
                format!("a named time zone (`{zone}`) in `parseDate`"),
                c.args[2].span,
            )
            .with_help("use UTC or an offset such as +02:00")
            .into());
        }
        args.push(c.text(2)?);
    }
    Ok(ScalarUDF::new_from_impl(ParseDateUdf::new(args.len())).call(args))
}

/// A Java `DateTimeFormatter` pattern as a chrono format string, or `None` for letters Loupe
/// does not read (zone names, week-based fields, ...).
pub fn java_pattern(pattern: &str) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut run = 1;
        while i + run < chars.len() && chars[i + run] == c {
            run += 1;
        }
        match c {
            '\'' => {
                // Quoted text; `''` is a quote.
                if run >= 2 && run % 2 == 0 {
                    out.push('\'');
                    i += 2;
                    continue;
                }
                let end = chars[i + 1..].iter().position(|&ch| ch == '\'')? + i + 1;
                for &ch in &chars[i + 1..end] {
                    if ch == '%' {
                        out.push_str("%%");
                    } else {
                        out.push(ch);
                    }
                }
                i = end + 1;
                continue;
            }
            'y' | 'u' => out.push_str(if run == 2 { "%y" } else { "%Y" }),
            'M' | 'L' => out.push_str(match run {
                1 | 2 => "%m",
                3 => "%b",
                _ => "%B",
            }),
            'd' => out.push_str("%d"),
            'H' => out.push_str("%H"),
            'h' => out.push_str("%I"),
            'm' => out.push_str("%M"),
            's' => out.push_str("%S"),
            'S' => out.push_str(match run {
                3 => "%3f",
                6 => "%6f",
                9 => "%9f",
                _ => return None,
            }),
            'a' => out.push_str("%p"),
            'E' => out.push_str(if run >= 4 { "%A" } else { "%a" }),
            'X' | 'x' => out.push_str(if run >= 3 { "%:z" } else { "%z" }),
            'Z' => out.push_str("%z"),
            '%' => out.push_str(&"%%".repeat(run)),
            c if c.is_ascii_alphabetic() => return None,
            c => (0..run).for_each(|_| out.push(c)),
        }
        i += run;
    }
    Some(out)
}

/// Seconds east of UTC for `UTC`, `Z`, `GMT` or an offset `+02:00` / `-0530`.
pub fn zone_offset_secs(zone: &str) -> Option<i32> {
    let zone = zone.trim();
    if matches!(zone, "UTC" | "Z" | "GMT" | "utc") {
        return Some(0);
    }
    let (sign, rest) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    (hours <= 18 && minutes < 60).then_some(sign * (hours * 3600 + minutes * 60))
}

/// Epoch ms of `text` read with the chrono `format`; a text without an offset is in
/// `zone_secs` east of UTC; a date without a time is its midnight.
pub fn parse_with(text: &str, format: &str, zone_secs: i32) -> Option<i64> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    if format.contains("%z") || format.contains("%:z") {
        return DateTime::parse_from_str(text, format)
            .ok()
            .map(|t| t.timestamp_millis());
    }
    let naive = NaiveDateTime::parse_from_str(text, format)
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, format)
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    Some(naive.and_utc().timestamp_millis() - i64::from(zone_secs) * 1000)
}

/// A timestamp rounded down to a multiple of `period` milliseconds from `origin` (what
/// `date_bin` computes for a fixed interval, on the milliseconds themselves: no conversion to
/// nanoseconds and back per row). Null where the arithmetic would overflow.
#[derive(Debug, PartialEq, Eq, Hash)]
struct FloorMsUdf {
    signature: Signature,
    period: i64,
    origin: i64,
}

impl FloorMsUdf {
    fn new(period: i64, origin: i64) -> FloorMsUdf {
        FloorMsUdf {
            signature: Signature::exact(vec![TS_MS], Volatility::Immutable),
            period,
            origin,
        }
    }

    fn floor(&self, ts: i64) -> Option<i64> {
        let since = ts.checked_sub(self.origin)?;
        since
            .div_euclid(self.period)
            .checked_mul(self.period)?
            .checked_add(self.origin)
    }
}

impl ScalarUDFImpl for FloorMsUdf {
    fn name(&self) -> &str {
        "insights_floor_ms"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(TS_MS)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let [ts] = args.args.as_slice() else {
            return datafusion::common::exec_err!("insights_floor_ms takes one timestamp");
        };
        Ok(match ts {
            ColumnarValue::Scalar(ScalarValue::TimestampMillisecond(v, tz)) => {
                ColumnarValue::Scalar(ScalarValue::TimestampMillisecond(
                    v.and_then(|v| self.floor(v)),
                    tz.clone(),
                ))
            }
            other => {
                let array = other.to_array(args.number_rows)?;
                let array = array.as_primitive::<TimestampMillisecondType>();
                let out: TimestampMillisecondArray = array.unary_opt(|v| self.floor(v));
                ColumnarValue::Array(Arc::new(out))
            }
        })
    }
}

/// `parseDate` as a UDF over (text, pattern[, zone]).
#[derive(Debug, PartialEq, Eq, Hash)]
struct ParseDateUdf {
    signature: Signature,
}

impl ParseDateUdf {
    fn new(arity: usize) -> ParseDateUdf {
        ParseDateUdf {
            signature: Signature::exact(vec![DataType::Utf8; arity], Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for ParseDateUdf {
    fn name(&self) -> &str {
        "parseDate"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let n = args.number_rows;
        let arrays = args
            .args
            .iter()
            .map(|a| a.to_array(n))
            .collect::<DfResult<Vec<_>>>()?;
        let strings: Vec<&StringArray> = arrays.iter().map(|a| a.as_string::<i32>()).collect();
        let value = |col: usize, row: usize| {
            strings
                .get(col)
                .and_then(|a| (!a.is_null(row)).then(|| a.value(row)))
        };
        let out: Int64Array = (0..n)
            .map(|row| {
                let text = value(0, row)?;
                let format = java_pattern(value(1, row)?)?;
                let zone = match strings.len() {
                    3 => zone_offset_secs(value(2, row)?)?,
                    _ => 0,
                };
                parse_with(text.trim(), &format, zone)
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floors_to_the_period_from_its_origin() {
        let hour = FloorMsUdf::new(3_600_000, 0);
        assert_eq!(hour.floor(7_199_999), Some(3_600_000));
        assert_eq!(hour.floor(7_200_000), Some(7_200_000));
        assert_eq!(hour.floor(-1), Some(-3_600_000));
        assert_eq!(hour.floor(i64::MIN), None);
        // Weeks from Monday 1970-01-05: Sunday 1970-01-11 23:59 is in that week.
        let week = FloorMsUdf::new(7 * DAY_MS, 4 * DAY_MS);
        assert_eq!(week.floor(11 * DAY_MS - 1), Some(4 * DAY_MS));
        assert_eq!(week.floor(11 * DAY_MS), Some(11 * DAY_MS));
        assert_eq!(week.floor(0), Some(-3 * DAY_MS));
    }

    #[test]
    fn parse_date_reads_java_patterns() {
        let f = java_pattern("yyyy-MM-dd HH:mm:ss").unwrap();
        assert_eq!(
            parse_with("2026-11-01 10:01:00", &f, 0),
            Some(1_793_527_260_000)
        );
        let f = java_pattern("dd/MMM/yyyy:HH:mm:ss Z").unwrap();
        assert_eq!(
            parse_with("01/Nov/2026:12:01:00 +0200", &f, 0),
            Some(1_793_527_260_000)
        );
        let f = java_pattern("yyyy-MM-dd'T'HH:mm:ss.SSS").unwrap();
        assert_eq!(
            parse_with("2026-11-01T10:01:00.123", &f, 0),
            Some(1_793_527_260_123)
        );
        let f = java_pattern("yyyy-MM-dd").unwrap();
        assert_eq!(parse_with("2026-11-01", &f, 3600), Some(1_793_487_600_000));
        assert_eq!(parse_with("not a date", &f, 0), None);
        assert!(java_pattern("yyyy-MM-dd VV").is_none());
        assert_eq!(zone_offset_secs("-05:30"), Some(-19_800));
        assert_eq!(zone_offset_secs("Europe/Paris"), None);
    }

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
        assert_eq!(uncapped_millis(90, "m"), Some(5_400_000));
        assert_eq!(uncapped_millis(1, "mo"), None);
    }
}
