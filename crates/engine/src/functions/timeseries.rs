//! Time-series `stats` functions and `offset` (spec §5.11): `countOverTime(f)`,
//! `sumOverTime(f)`, `rate(f, period)`, `histogram(f, buckets)`, and
//! `stats ... by bin(period) offset duration`.
//!
//! # What AWS says, and where Loupe chose
//!
//! The only AWS text is the "Time-series functions" page of the CloudWatch Logs user guide
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-timeseries-functions.html>,
//! read 2026-11): `rate(fieldName: NumericLogField, interval: Period)` "computes the
//! per-interval rate of change for a numeric field"; `count_over_time(fieldName: LogField)`
//! "counts log events per time bin" and `sum_over_time(fieldName: NumericLogField)` "sums
//! field values per time bin", both "use with `by bin(interval)` to set the window";
//! `histogram(fieldName: NumericLogField, buckets: number)` returns a map and "bucketizes
//! numeric field values into the specified number of equal-width ranges and returns the
//! distribution"; `offset` goes "at the end of a `stats ... by bin()` clause to shift
//! time-series bins by a specified duration", for "comparing current metrics against the same
//! period in the previous hour or day" (`stats count(*) by bin(5m) offset 1h`). The names are
//! LogQL's (Grafana Loki, <https://grafana.com/docs/loki/latest/query/metric_queries/>), where
//! `rate` over values is "the per second rate of all values in the specified interval", and
//! Prometheus/Atlas `offset` (<https://netflix.github.io/atlas-docs/asl/ref/offset/>) "shifts
//! the time frame to use when fetching the data". vorpalstacks (an AWS emulator,
//! `internal/services/aws/cloudwatchlogs/query_commands_stats_timeseries.go`) computes `rate`
//! the same way as below and draws histograms between the group's min and max.
//!
//! Where AWS is silent Loupe takes the reading a user comparing series would expect:
//!
//! - Both spellings are accepted: AWS's `count_over_time`/`sum_over_time` and the catalogue's
//!   `countOverTime`/`sumOverTime`.
//! - `countOverTime(f)` is the number of events of the group where `f` is present, exactly
//!   `count(f)`; `sumOverTime(f)` is `sum(f)`, reading `f` leniently: text that is not a number
//!   is skipped, and (as for `sum`) text the lenient reading takes for a number, such as
//!   `"NaN"` or `"inf"`, makes the sum non-finite, which has no value. The window is the
//!   group: with `by bin(...)` one bin, without it the whole query range.
//! - `rate(f, period)` is the group's sum of `f` per `period` of its window:
//!   `sum(f) * period / window`, where the window is the bin's length (after the documented
//!   caps, so `bin(300s)` is 60 s) or, without a `bin` group, the query's time range (end minus
//!   start, as `queryTimeRange()`). Without either there is no window, and that is a
//!   diagnostic rather than a guess. Every bin counts as a whole bin, even one the query range
//!   only partly covers. `period` is a fixed-length duration taken as written (the `bin` caps
//!   are for bins: `rate(x, 300s)` is per 5 minutes).
//! - `histogram(f, n)` splits `[min, max]` of the group's finite numeric values into `n`
//!   ranges of equal width, `[lo, hi)` each and the last closed, `n` at most
//!   [`MAX_BUCKETS`] (the console draws at most 100 bars). It renders as a JSON object with
//!   every range in ascending order, empty ones with 0: `{"[0.5,300.375)":10,...}`. When all
//!   values are equal there is one range `[v,v]`; a group without numbers has no value. `NaN`
//!   and infinities (which text such as `"NaN"` or `"inf"` reads as) cannot be placed in a
//!   finite range and are skipped. The map cannot be used in arithmetic.
//! - `offset d` places each event in the bin of `@timestamp + d`, so bins keep their grid (an
//!   `offset` series lines up with the plain one) and each shows the events one `d` earlier;
//!   and, as Prometheus' `offset`, the query reads its time range shifted back by `d`
//!   ([`scan_offset_ms`]), so the bins it returns cover the range asked for. Only the bin
//!   moves: `@timestamp` and aggregates over it keep the events' real times. It needs a `bin`
//!   group (AWS's syntax has one; `offset` without it is a diagnostic) and a fixed-length
//!   duration (calendar offsets are not supported yet), and it belongs to the first `stats`
//!   of a query (on a second one, whose rows are the first one's groups rather than events
//!   read from a range, it is not supported yet).

use std::fmt::Write as _;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type};
use datafusion::common::{Result as DfResult, exec_err};
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, lit,
};
use loupe_lang::ast::{self, CommandKind, ExprKind, Literal, Query};
use loupe_lang::{Diagnostic, Span};

use super::Call;
use super::datetime::{Period, period, uncapped_millis};
use crate::error::Result;
use crate::result::format_number;

/// The time-series aggregates, lower case.
pub(crate) const NAMES: &[&str] = &[
    "countovertime",
    "count_over_time",
    "sumovertime",
    "sum_over_time",
    "rate",
    "histogram",
];

/// The most buckets `histogram` accepts.
pub const MAX_BUCKETS: u64 = 100;

/// Whether `name` is one of the time-series aggregates.
pub(crate) fn is_timeseries(name: &str) -> bool {
    NAMES.contains(&name.to_ascii_lowercase().as_str())
}

/// The span of time one row of a `stats` aggregates over, for `rate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Window {
    /// A `bin` group of this many milliseconds.
    Bin(i64),
    /// A `bin` group by months, quarters or years (bins of varying length).
    CalendarBin(Span),
    /// No `bin` group: the query's time range, when it has one.
    Range(Option<i64>),
}

impl Window {
    /// The window of a `stats` with these `by` terms, in a query over `[start, end]`.
    pub(crate) fn of(by: &[ast::Projection], start: Option<i64>, end: Option<i64>) -> Self {
        match by.iter().find_map(|t| bin_period(&t.expr)) {
            Some((Period::Millis(ms), _)) => Self::Bin(ms),
            Some((Period::Months(_), span)) => Self::CalendarBin(span),
            None => Self::Range(start.zip(end).map(|(s, e)| e - s)),
        }
    }
}

/// The period of a `bin(period)` or `bin(ts, period)` term (with the `bin` caps), and its span.
pub(crate) fn bin_period(e: &ast::Expr) -> Option<(Period, Span)> {
    let ExprKind::Call { name, args } = &e.kind else {
        return None;
    };
    if !name.name.eq_ignore_ascii_case("bin") {
        return None;
    }
    match args.last().map(|a| &a.kind) {
        Some(ExprKind::Literal(Literal::Duration { value, unit })) => {
            period(*value, unit).map(|p| (p, e.span))
        }
        _ => None,
    }
}

/// Plans one time-series aggregate call over the rows of a group.
pub(crate) fn plan(c: &Call<'_>, window: Window) -> Result<Expr> {
    let name = c.name.name.to_ascii_lowercase();
    Ok(match name.as_str() {
        "countovertime" | "count_over_time" => agg::count(c.arg(0)?),
        "sumovertime" | "sum_over_time" => agg::sum(c.number(0)?),
        "rate" => {
            rate_factor(c, window)?;
            agg::sum(c.number(0)?)
        }
        "histogram" => {
            buckets(c)?;
            // Finished by `insights_histogram` after the aggregation (see `finish`).
            agg::array_agg(c.number(0)?)
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

/// What turns the aggregate's column into its value after the aggregation, if anything.
pub(crate) fn finish(c: &Call<'_>, window: Window, column: Expr) -> Result<Option<Expr>> {
    Ok(match c.name.name.to_ascii_lowercase().as_str() {
        "rate" => {
            let (period_ms, window_ms) = rate_factor(c, window)?;
            // Multiply first: `273.75 * 60000 / 300000` is exact where `* 0.2` is not.
            Some(column * lit(period_ms as f64) / lit(window_ms as f64))
        }
        "histogram" => {
            let n = buckets(c)?;
            Some(histogram().call(vec![column, lit(n as i64)]))
        }
        _ => None,
    })
}

/// `rate`'s period and window in ms, or the diagnostic saying why there is none.
fn rate_factor(c: &Call<'_>, window: Window) -> Result<(i64, i64)> {
    let period_ms = match c.args.get(1).map(|a| &a.kind) {
        Some(ExprKind::Literal(Literal::Duration { value, unit })) => {
            uncapped_millis(*value, unit).filter(|ms| *ms > 0)
        }
        _ => None,
    };
    let Some(period_ms) = period_ms else {
        return Err(c.arg_error(1, "a duration of fixed length such as 1m or 1h"));
    };
    match window {
        Window::Bin(ms) => Ok((period_ms, ms)),
        Window::Range(Some(ms)) if ms > 0 => Ok((period_ms, ms)),
        Window::Range(_) => Err(Diagnostic::semantic(
            "`rate` needs a window: a `bin(...)` group or a query time range",
            c.span,
        )
        .with_label("no window to take the rate over")
        .with_help("group by time (`by bin(5m)`) or give the query a start and an end")
        .into()),
        Window::CalendarBin(span) => Err(Diagnostic::unsupported(
            "`rate` over bins of months, quarters or years",
            span,
        )
        .into()),
    }
}

/// `histogram`'s bucket count: a whole number literal from 1 to [`MAX_BUCKETS`].
fn buckets(c: &Call<'_>) -> Result<u64> {
    let wanted = "a whole number from 1 to 100";
    let n = c.literal_number(1).map_err(|_| c.arg_error(1, wanted))?;
    if !(1.0..=MAX_BUCKETS as f64).contains(&n) || n.fract() != 0.0 {
        return Err(c.arg_error(1, wanted));
    }
    Ok(n as u64)
}

/// The milliseconds of `offset d`, or the diagnostic for one Loupe cannot apply.
pub(crate) fn offset_ms(offset: &ast::Expr, by: &[ast::Projection]) -> Result<i64> {
    let ms = match &offset.kind {
        ExprKind::Literal(Literal::Duration { value, unit }) => match uncapped_millis(*value, unit)
        {
            Some(ms) => ms,
            None if period(1, unit).is_some() => {
                return Err(Diagnostic::unsupported(
                    "`offset` by months, quarters or years",
                    offset.span,
                )
                .with_help("use a fixed-length duration such as 30d")
                .into());
            }
            None => {
                return Err(Diagnostic::semantic(
                    format!("`{value}{unit}` is not a valid offset"),
                    offset.span,
                )
                .with_help("units: ms, s, m, h, d, w")
                .into());
            }
        },
        _ => {
            return Err(
                Diagnostic::semantic("`offset` takes a duration", offset.span)
                    .with_label("not a duration")
                    .into(),
            );
        }
    };
    if !by.iter().any(|t| is_bin(&t.expr)) {
        return Err(Diagnostic::semantic(
            "`offset` needs a `bin(...)` group in the same `stats`",
            offset.span,
        )
        .with_label("no `bin` in `by`")
        .with_help("write `stats ... by bin(5m) offset 1h`")
        .into());
    }
    Ok(ms)
}

/// Whether `e` is a `bin(...)` call.
pub(crate) fn is_bin(e: &ast::Expr) -> bool {
    matches!(&e.kind, ExprKind::Call { name, .. } if name.name.eq_ignore_ascii_case("bin"))
}

/// How far back the scan of `query` moves its time range: the `offset` of its `stats ... by
/// bin(...) offset d`, so that the shifted bins cover the range asked for. `None` when there is
/// none (or one the planner will reject).
pub fn scan_offset_ms(query: &Query) -> Option<i64> {
    // Only the first `stats` may have one (the planner rejects it on the second).
    let first = query
        .commands
        .iter()
        .find(|c| matches!(c.kind, CommandKind::Stats { .. }))?;
    match &first.kind {
        CommandKind::Stats {
            by,
            offset: Some(offset),
            ..
        } => offset_ms(offset, by).ok().filter(|ms| *ms != 0),
        _ => None,
    }
}

/// One equal-width range of a histogram: its bounds and how many values fell in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub lo: f64,
    pub hi: f64,
    pub count: u64,
}

/// `n` equal-width ranges over `[min, max]` of the finite `values` and their counts; one range
/// `[v, v]` when every value is `v`; none when there are no finite values.
pub fn buckets_of(values: &[f64], n: usize) -> Vec<Bucket> {
    let finite = || values.iter().copied().filter(|v| v.is_finite());
    let Some(min) = finite().reduce(f64::min) else {
        return Vec::new();
    };
    let max = finite().fold(min, f64::max);
    if n == 0 {
        return Vec::new();
    }
    let width = (max - min) / n as f64;
    // Equal values (or a range too narrow to split) make one range.
    if width <= 0.0 || !width.is_finite() || min + width == min {
        return vec![Bucket {
            lo: min,
            hi: max,
            count: finite().count() as u64,
        }];
    }
    let mut out: Vec<Bucket> = (0..n)
        .map(|i| Bucket {
            lo: min + width * i as f64,
            hi: if i + 1 == n {
                max
            } else {
                min + width * (i + 1) as f64
            },
            count: 0,
        })
        .collect();
    for v in finite() {
        let i = place(&out, min, width, v);
        out[i].count += 1;
    }
    out
}

/// The range of `buckets` (from [`buckets_of`], at least one) that holds `v`: the index from
/// the width, corrected by the bounds themselves so that a value on a rounded boundary lands
/// where the rendered ranges say it does.
fn place(buckets: &[Bucket], min: f64, width: f64, v: f64) -> usize {
    let n = buckets.len();
    let mut i = (((v - min) / width) as usize).min(n - 1);
    while i > 0 && v < buckets[i].lo {
        i -= 1;
    }
    while i + 1 < n && v >= buckets[i + 1].lo {
        i += 1;
    }
    i
}

/// The JSON text of a histogram: an object from `"[lo,hi)"` (the last `"[lo,hi]"`) to counts.
pub fn render(buckets: &[Bucket]) -> String {
    let mut out = String::from("{");
    for (i, b) in buckets.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let close = if i + 1 == buckets.len() { ']' } else { ')' };
        let key = format!("[{},{}{close}", format_number(b.lo), format_number(b.hi));
        let _ = write!(out, "{}:{}", serde_json::Value::from(key), b.count);
    }
    out.push('}');
    out
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct InsightsHistogram {
    signature: Signature,
}

/// The UDF: `histogram().call(vec![list_of_f64, lit(n)])`, the histogram's JSON text.
pub fn histogram() -> ScalarUDF {
    let list = DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true)));
    ScalarUDF::new_from_impl(InsightsHistogram {
        signature: Signature::exact(vec![list, DataType::Int64], Volatility::Immutable),
    })
}

impl ScalarUDFImpl for InsightsHistogram {
    fn name(&self) -> &str {
        "insights_histogram"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let [lists, n] = args.args.as_slice() else {
            return exec_err!("insights_histogram takes a list and a bucket count");
        };
        let rows = args.number_rows;
        let lists = lists.to_array(rows)?;
        let lists = lists.as_list::<i32>();
        let n = n.to_array(rows)?;
        let n = n.as_primitive::<Int64Type>();
        let mut out = StringBuilder::with_capacity(rows, 0);
        let mut values = Vec::new();
        for row in 0..rows {
            if lists.is_null(row) || n.is_null(row) {
                out.append_null();
                continue;
            }
            let list = lists.value(row);
            values.clear();
            values.extend(list.as_primitive::<Float64Type>().iter().flatten());
            let buckets = buckets_of(&values, usize::try_from(n.value(row)).unwrap_or(0));
            if buckets.is_empty() {
                out.append_null();
            } else {
                out.append_value(render(&buckets));
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(b: &[Bucket]) -> Vec<u64> {
        b.iter().map(|b| b.count).collect()
    }

    #[test]
    fn equal_width_ranges_between_min_and_max() {
        let b = buckets_of(&[0.0, 1.0, 2.5, 5.0, 7.5, 9.99, 10.0], 4);
        assert_eq!(
            b.iter().map(|b| (b.lo, b.hi)).collect::<Vec<_>>(),
            [(0.0, 2.5), (2.5, 5.0), (5.0, 7.5), (7.5, 10.0)]
        );
        // Lower bounds are inclusive, and the maximum belongs to the last range.
        assert_eq!(counts(&b), [2, 1, 1, 3]);
        assert_eq!(
            render(&b),
            r#"{"[0,2.5)":2,"[2.5,5)":1,"[5,7.5)":1,"[7.5,10]":3}"#
        );
    }

    #[test]
    fn empty_ranges_are_kept() {
        let b = buckets_of(&[1.0, 100.0], 3);
        assert_eq!(counts(&b), [1, 0, 1]);
        assert_eq!(render(&b), r#"{"[1,34)":1,"[34,67)":0,"[67,100]":1}"#);
    }

    #[test]
    fn all_equal_values_make_one_range() {
        let b = buckets_of(&[4.0, 4.0, 4.0], 5);
        assert_eq!(
            b,
            [Bucket {
                lo: 4.0,
                hi: 4.0,
                count: 3
            }]
        );
        assert_eq!(render(&b), r#"{"[4,4]":3}"#);
    }

    #[test]
    fn one_value() {
        assert_eq!(render(&buckets_of(&[-2.5], 10)), r#"{"[-2.5,-2.5]":1}"#);
        assert_eq!(render(&buckets_of(&[7.0], 1)), r#"{"[7,7]":1}"#);
    }

    #[test]
    fn negative_numbers() {
        let b = buckets_of(&[-10.0, -5.0, -1.0, 0.0, 10.0], 2);
        assert_eq!(counts(&b), [3, 2]);
        assert_eq!(render(&b), r#"{"[-10,0)":3,"[0,10]":2}"#);
    }

    #[test]
    fn non_finite_values_are_skipped() {
        // What lenient reading makes of "NaN", "inf" and "-infinity".
        let values = [f64::NAN, 1.0, f64::INFINITY, 3.0, f64::NEG_INFINITY];
        let b = buckets_of(&values, 2);
        assert_eq!(counts(&b), [1, 1]);
        assert_eq!(render(&b), r#"{"[1,2)":1,"[2,3]":1}"#);
        assert!(buckets_of(&[f64::NAN, f64::INFINITY], 3).is_empty());
        assert!(buckets_of(&[], 3).is_empty());
    }

    #[test]
    fn values_land_in_the_range_that_shows_them() {
        // Bounds such as 0.1 * 3 = 0.30000000000000004 are not where a naive index puts them.
        let values: Vec<f64> = (0..=1000).map(|i| f64::from(i) / 1000.0).collect();
        for n in [3, 7, 10, 30] {
            let b = buckets_of(&values, n);
            let width = 1.0 / n as f64;
            for &v in &values {
                let i = place(&b, 0.0, width, v);
                let last = i + 1 == b.len();
                assert!(v >= b[i].lo, "{v} below {:?}", b[i]);
                assert!(
                    v < b[i].hi || (last && v <= b[i].hi),
                    "{v} above {:?}",
                    b[i]
                );
            }
            assert_eq!(counts(&b).iter().sum::<u64>(), 1001);
        }
    }

    #[test]
    fn huge_spreads_stay_finite() {
        let b = buckets_of(&[-f64::MAX, f64::MAX], 2);
        // max - min overflows to infinity: one range rather than nonsense bounds.
        assert_eq!(counts(&b), [2]);
    }
}
