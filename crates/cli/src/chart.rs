//! Terminal charts: horizontal bars for `stats ... by bin(...)` results, and the console's
//! event-count histogram over a time range.
//!
//! Hand-drawn with Unicode eighth blocks: a bar per time bin, its label on the left and its
//! value on the right, so the chart reads top to bottom in time and survives copy and paste.

use std::collections::BTreeMap;

use loupe_service::GetQueryResults;

use crate::output::columns;

/// The most series one chart draws; more are summarised in a line.
const MAX_SERIES: usize = 8;
/// Gaps between bins are filled with zeros up to this many bins.
const MAX_FILLED_BINS: i64 = 400;

/// Parses a timestamp as results print it (`2026-11-01 00:05:00.000`, UTC).
pub fn parse_result_time(text: &str) -> Option<i64> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc().timestamp_millis())
}

/// Draws the series of a `stats ... by bin(...)` result, at most `width` columns wide.
pub fn chart(results: &GetQueryResults, width: usize) -> Result<String, String> {
    if results.results.is_empty() {
        return Ok("No results to chart.\n".into());
    }
    let columns = columns(results);
    fn present<'a>(results: &'a GetQueryResults, c: &'a str) -> impl Iterator<Item = &'a str> {
        results
            .results
            .iter()
            .filter_map(move |row| row.iter().find(|f| f.field == c).map(|f| f.value.as_str()))
    }
    let present = |c| present(results, c);
    let time_column = columns
        .iter()
        .copied()
        .find(|c| present(c).next().is_some() && present(c).all(|v| parse_result_time(v).is_some()))
        .ok_or("nothing to chart: the results have no time column; chart a `stats ... by bin(5m)` query")?;
    let numeric: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| *c != time_column && present(c).all(|v| v.parse::<f64>().is_ok()))
        .collect();
    if numeric.is_empty() {
        return Err("nothing to chart: the results have no numeric column".into());
    }
    let labels: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| *c != time_column && !numeric.contains(c))
        .collect();
    // (group label, value column's position) -> time -> value; columns keep the query's order.
    let mut series: BTreeMap<(String, usize), BTreeMap<i64, f64>> = BTreeMap::new();
    for row in &results.results {
        let get = |c: &str| row.iter().find(|f| f.field == c).map(|f| f.value.as_str());
        let Some(time) = get(time_column).and_then(parse_result_time) else {
            continue;
        };
        let label: Vec<&str> = labels.iter().map(|c| get(c).unwrap_or("-")).collect();
        for (index, column) in numeric.iter().enumerate() {
            if let Some(value) = get(column).and_then(|v| v.parse::<f64>().ok()) {
                series
                    .entry((label.join(" / "), index))
                    .or_default()
                    .insert(time, value);
            }
        }
    }
    let mut out = String::new();
    let total = series.len();
    for ((label, index), points) in series.into_iter().take(MAX_SERIES) {
        let column = numeric[index];
        let title = if label.is_empty() {
            column.to_owned()
        } else {
            format!("{column} · {label}")
        };
        out.push_str(&bars(&title, &fill_gaps(points), width));
    }
    if total > MAX_SERIES {
        out.push_str(&format!("… and {} more series\n", total - MAX_SERIES));
    }
    Ok(out)
}

/// Adds zero bins where the step between bins shows some are missing (a bin without events is
/// absent from `stats` results).
fn fill_gaps(points: BTreeMap<i64, f64>) -> Vec<(i64, f64)> {
    let times: Vec<i64> = points.keys().copied().collect();
    let step = times
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d > 0)
        .min();
    match (step, times.first(), times.last()) {
        (Some(step), Some(&first), Some(&last))
            if (last - first) / step < MAX_FILLED_BINS
                && times.iter().all(|t| (t - first) % step == 0) =>
        {
            (0..=(last - first) / step)
                .map(|i| {
                    let t = first + i * step;
                    (t, points.get(&t).copied().unwrap_or(0.0))
                })
                .collect()
        }
        _ => points.into_iter().collect(),
    }
}

fn format_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.2}")
    }
}

fn bars(title: &str, points: &[(i64, f64)], width: usize) -> String {
    const EIGHTHS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
    let whole_seconds = points.iter().all(|(t, _)| t % 60_000 == 0);
    let label = |t: i64| {
        chrono::DateTime::from_timestamp_millis(t).map_or_else(
            || t.to_string(),
            |d| {
                d.format(if whole_seconds {
                    "%Y-%m-%d %H:%M"
                } else {
                    "%Y-%m-%d %H:%M:%S"
                })
                .to_string()
            },
        )
    };
    let max = points.iter().map(|p| p.1).fold(0.0_f64, f64::max);
    let value_width = points
        .iter()
        .map(|p| format_value(p.1).len())
        .max()
        .unwrap_or(1);
    let label_width = points.first().map_or(16, |p| label(p.0).len());
    let bar_width = width
        .saturating_sub(label_width + value_width + 4)
        .clamp(10, 60);
    let mut out = format!("{title}  (max {})\n", format_value(max));
    for &(t, v) in points {
        // Negative values draw no bar; their number still shows.
        let eighths = if max > 0.0 && v > 0.0 {
            ((v / max) * (bar_width * 8) as f64).round() as usize
        } else {
            0
        };
        let mut bar: String = "█".repeat(eighths / 8);
        if eighths % 8 > 0 {
            bar.push(EIGHTHS[eighths % 8 - 1]);
        }
        let pad = bar_width + 1 - bar.chars().count();
        out.push_str(&format!(
            "{} │{bar}{:pad$}{:>value_width$}\n",
            label(t),
            "",
            format_value(v)
        ));
    }
    out
}

/// A bin size giving at most 40 bars over `span_ms`, from the units people read easily.
pub fn histogram_bin(span_ms: i64) -> &'static str {
    const BINS: [(&str, i64); 16] = [
        ("1s", 1_000),
        ("5s", 5_000),
        ("10s", 10_000),
        ("30s", 30_000),
        ("1m", 60_000),
        ("5m", 300_000),
        ("10m", 600_000),
        ("15m", 900_000),
        ("30m", 1_800_000),
        ("1h", 3_600_000),
        ("3h", 10_800_000),
        ("6h", 21_600_000),
        ("12h", 43_200_000),
        ("1d", 86_400_000),
        ("7d", 604_800_000),
        ("30d", 2_592_000_000),
    ];
    BINS.iter()
        .find(|(_, ms)| span_ms / ms < 40)
        .map_or("30d", |(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use loupe_service::{QueryStatistics, QueryStatus, ResultField};

    fn results(rows: &[(&str, &str)]) -> GetQueryResults {
        GetQueryResults {
            next_token: None,
            fields: Vec::new(),
            status: QueryStatus::Complete,
            results: rows
                .iter()
                .map(|(t, n)| {
                    vec![
                        ResultField {
                            field: "bin(5m)".into(),
                            value: (*t).into(),
                        },
                        ResultField {
                            field: "count(*)".into(),
                            value: (*n).into(),
                        },
                    ]
                })
                .collect(),
            statistics: QueryStatistics {
                records_matched: 0.0,
                records_scanned: 0.0,
                bytes_scanned: 0.0,
            },
        }
    }

    #[test]
    fn bar_chart_snapshot_fills_gaps() {
        let r = results(&[
            ("2026-11-01 00:10:00.000", "3"),
            ("2026-11-01 00:00:00.000", "8"),
            ("2026-11-01 00:15:00.000", "1"),
        ]);
        assert_eq!(
            chart(&r, 40).unwrap_or_default(),
            "count(*)  (max 8)\n\
             2026-11-01 00:00 │███████████████████ 8\n\
             2026-11-01 00:05 │                    0\n\
             2026-11-01 00:10 │███████▏            3\n\
             2026-11-01 00:15 │██▍                 1\n"
        );
    }

    #[test]
    fn charting_needs_a_time_column() {
        let mut r = results(&[("2026-11-01 00:10:00.000", "3")]);
        r.results[0][0].value = "web".into();
        assert!(chart(&r, 40).is_err_and(|e| e.contains("no time column")));
    }

    #[test]
    fn histogram_bins() {
        assert_eq!(histogram_bin(30 * 60_000), "1m");
        assert_eq!(histogram_bin(2 * 3_600_000), "5m");
        assert_eq!(histogram_bin(7 * 86_400_000), "6h");
    }
}
