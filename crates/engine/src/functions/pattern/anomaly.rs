//! Anomaly detection over the patterns of one query: what `anomaly` adds to pattern rows.
//!
//! AWS names five kinds of anomaly and documents neither how they are found nor the fields
//! they add (`plan::anomaly` says what is documented). Loupe flags two of them, each with a rule
//! a reader can check by hand against the events:
//!
//! - **`NewPattern`**: the pattern's first event lies in the last quarter of the time range
//!   (the query's range, or from the first to the last event clustered when the query has
//!   none), and at least [`MIN_HISTORY`] events of the range came before that quarter (in the
//!   time bins wholly before it) for it to be new against. With `diff`/`logcompare` it must
//!   also be absent from the baseline window. Priority: `HIGH` when its severity is `Fatal` or
//!   `Error`, `MEDIUM` for `Warning`, `LOW` otherwise.
//! - **`PatternFrequency`**: the range is cut into bins ([`bins`]: the finest of the widths
//!   1 ms, 10 ms, 100 ms, 1 s, 2 s, 10 s, 30 s, 1 m, 5 m, 15 m, 30 m, 1 h, 2 h, 6 h, 12 h, 1 d,
//!   7 d (then doubling) that needs at most 100 bins, aligned on multiples of the width since
//!   the epoch); a pattern is anomalous when its busiest bin holds at least [`MIN_SPIKE`]
//!   events and more than `median + 3 × spread`, where the median is over every bin of the
//!   range (empty ones too) and the spread is the larger of 1.4826 × the median absolute
//!   deviation (a robust standard deviation) and √max(median, 1) (the noise of counts). At
//!   least 8 bins are needed. Priority by how far the busiest bin is above the usual:
//!   `HIGH` at 10 times max(median, 1) or more, `MEDIUM` at 4 times, `LOW` below.
//!
//! A pattern that is both is reported as `NewPattern`. Token-variation, numeric-token and
//! HTTP-error-code anomalies need a model of each token's values over time that AWS does not
//! describe; Loupe does not report them rather than invent one.

use super::groups::{Config, Histogram, width};
use super::output::Built;
use super::severity::Severity;
use crate::result::{format_number, format_timestamp};

/// Events the busiest bin needs before a frequency can be anomalous.
pub const MIN_SPIKE: u64 = 5;
/// Events the time range needs before its last quarter for a pattern to be new against them.
pub const MIN_HISTORY: u64 = 10;
/// Bins the range is cut into at most.
pub const MAX_BINS: i64 = 100;
/// Bins needed for a frequency anomaly.
pub const MIN_BINS: usize = 8;

/// The anomaly found for one pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct Anomaly {
    /// `NewPattern` or `PatternFrequency`.
    pub kind: &'static str,
    /// `HIGH`, `MEDIUM` or `LOW`.
    pub priority: &'static str,
    pub description: String,
    /// When it happened: the first event of a new pattern, the start of the busiest bin.
    pub time: i64,
}

/// What `anomaly` adds to one pattern row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Finding {
    pub anomaly: Option<Anomaly>,
    /// The pattern's events per bin, as a JSON object from bin start to count.
    pub histogram: Option<String>,
}

/// The bins of a range: the ladder step of their width and the first and last bin index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bins {
    pub step: u8,
    pub first: i64,
    pub last: i64,
}

impl Bins {
    pub fn width(&self) -> i64 {
        width(self.step)
    }

    pub fn len(&self) -> usize {
        usize::try_from(self.last - self.first + 1).unwrap_or(0)
    }

    /// `histogram`'s counts in each bin, empty bins included.
    pub fn counts(&self, histogram: &Histogram) -> Vec<u64> {
        let mut h = histogram.clone();
        h.coarsen_to(self.step);
        let mut out = vec![0; self.len()];
        for (b, n) in h.buckets {
            if let Some(slot) = usize::try_from(b - self.first)
                .ok()
                .and_then(|i| out.get_mut(i))
            {
                *slot += n;
            }
        }
        out
    }
}

/// The bins of `[start, end]`: the finest width with at most [`MAX_BINS`] bins, and no finer
/// than `step` (the coarsest histogram's).
pub fn bins(start: i64, end: i64, step: u8) -> Bins {
    let mut step = step;
    loop {
        let w = width(step);
        let (first, last) = (start.div_euclid(w), end.div_euclid(w));
        if last - first < MAX_BINS || step == u8::MAX {
            return Bins { step, first, last };
        }
        step += 1;
    }
}

/// The findings for `rows`, in their order.
pub fn detect(rows: &[Built], config: &Config) -> Vec<Finding> {
    let current = || rows.iter().filter(|r| r.counts[0] > 0);
    let window = match (config.start, config.end) {
        (Some(s), Some(e)) => Some((s, e)),
        _ => current()
            .filter_map(|r| r.first)
            .min()
            .zip(current().filter_map(|r| r.last).max()),
    };
    let Some((start, end)) = window.filter(|(s, e)| s <= e) else {
        return vec![Finding::default(); rows.len()];
    };
    let step = rows
        .iter()
        .filter_map(|r| r.histogram.as_ref().map(|h| h.step))
        .max()
        .unwrap_or(0);
    let bins = bins(start, end, step);
    let cutoff = start + (i128::from(end - start) * 3 / 4) as i64;
    // Events in the bins wholly before the cutoff: what a new pattern is new against.
    let before = usize::try_from(cutoff.div_euclid(bins.width()) - bins.first).unwrap_or(0);
    let history: u64 = rows
        .iter()
        .filter_map(|r| r.histogram.as_ref())
        .map(|h| bins.counts(h).iter().take(before).sum::<u64>())
        .sum();
    rows.iter()
        .map(|row| {
            let counts = row
                .histogram
                .as_ref()
                .map(|h| bins.counts(h))
                .unwrap_or_default();
            let new = row.counts[0] > 0
                && history >= MIN_HISTORY
                && end > start
                && row.first.is_some_and(|f| f >= cutoff)
                && (!config.compare() || row.counts[1] == 0);
            let anomaly = if new {
                Some(new_pattern(row))
            } else {
                frequency(&counts, &bins)
            };
            Finding {
                anomaly,
                histogram: row
                    .histogram
                    .as_ref()
                    .map(|_| histogram_json(&counts, &bins)),
            }
        })
        .collect()
}

fn new_pattern(row: &Built) -> Anomaly {
    let first = row.first.unwrap_or_default();
    let priority = match row.severity() {
        Some(Severity::Fatal | Severity::Error) => "HIGH",
        Some(Severity::Warning) => "MEDIUM",
        _ => "LOW",
    };
    let n = row.counts[0];
    Anomaly {
        kind: "NewPattern",
        priority,
        description: format!(
            "New pattern: first seen {}, in the last quarter of the time range ({n} {})",
            format_timestamp(first),
            if n == 1 { "event" } else { "events" }
        ),
        time: first,
    }
}

fn median(sorted: &[u64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        sorted[n / 2] as f64
    } else {
        (sorted[n / 2 - 1] as f64 + sorted[n / 2] as f64) / 2.0
    }
}

/// A frequency anomaly in `counts` (one per bin), if any (see the module docs).
pub fn frequency(counts: &[u64], bins: &Bins) -> Option<Anomaly> {
    if counts.len() < MIN_BINS {
        return None;
    }
    let mut sorted = counts.to_vec();
    sorted.sort_unstable();
    let m = median(&sorted);
    // The median absolute deviation (exact: a half-integer median gives fractions).
    let mad = {
        let mut d: Vec<f64> = counts.iter().map(|&c| (c as f64 - m).abs()).collect();
        d.sort_by(f64::total_cmp);
        let n = d.len();
        if n % 2 == 1 {
            d[n / 2]
        } else {
            (d[n / 2 - 1] + d[n / 2]) / 2.0
        }
    };
    let spread = (1.4826 * mad).max(m.max(1.0).sqrt());
    let threshold = m + 3.0 * spread;
    let (at, &peak) = counts
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))?;
    if peak < MIN_SPIKE || (peak as f64) <= threshold {
        return None;
    }
    let usual = m.max(1.0);
    let times = peak as f64 / usual;
    let priority = if times >= 10.0 {
        "HIGH"
    } else if times >= 4.0 {
        "MEDIUM"
    } else {
        "LOW"
    };
    let w = bins.width();
    let time = (bins.first + at as i64) * w;
    let span = duration_text(w);
    let description = if m == 0.0 {
        format!(
            "{peak} events in the {span} from {}, where the median {span} has none",
            format_timestamp(time)
        )
    } else {
        format!(
            "{peak} events in the {span} from {}, {} times the median of {} per {span}",
            format_timestamp(time),
            format_number((times * 10.0).round() / 10.0),
            format_number(m)
        )
    };
    Some(Anomaly {
        kind: "PatternFrequency",
        priority,
        description,
        time,
    })
}

/// `5m`, `1h`, `100ms`: a bin width as Insights writes durations.
pub fn duration_text(ms: i64) -> String {
    const UNITS: [(i64, &str); 4] = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
    ];
    UNITS.iter().find(|(u, _)| ms % u == 0).map_or_else(
        || format!("{ms}ms"),
        |(u, name)| format!("{}{name}", ms / u),
    )
}

fn histogram_json(counts: &[u64], bins: &Bins) -> String {
    let mut map = serde_json::Map::new();
    for (i, n) in counts.iter().enumerate() {
        let start = (bins.first + i as i64) * bins.width();
        map.insert(format_timestamp(start), serde_json::Value::from(*n));
    }
    serde_json::Value::Object(map).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_use_the_finest_width_with_at_most_a_hundred() {
        let hour = 3_600_000;
        let b = bins(0, hour, 0);
        assert_eq!((b.width(), b.len()), (60_000, 61));
        let b = bins(0, 24 * hour - 1, 0);
        assert_eq!((b.width(), b.len()), (900_000, 96));
        // Never finer than the histograms.
        assert_eq!(bins(0, hour, 9).width(), 900_000);
        assert_eq!(duration_text(900_000), "15m");
        assert_eq!(duration_text(100), "100ms");
        assert_eq!(duration_text(86_400_000), "1d");
    }

    #[test]
    fn a_spike_is_a_frequency_anomaly_and_steady_counts_are_not() {
        let b = Bins {
            step: 7,
            first: 0,
            last: 11,
        };
        let steady = [5, 6, 5, 4, 6, 5, 5, 7, 5, 6, 5, 4];
        assert_eq!(frequency(&steady, &b), None);
        let mut spike = steady;
        spike[9] = 40;
        let a = frequency(&spike, &b).unwrap();
        assert_eq!(a.kind, "PatternFrequency");
        assert_eq!(a.priority, "MEDIUM");
        assert_eq!(a.time, 9 * 60_000);
        assert_eq!(
            a.description,
            "40 events in the 1m from 1970-01-01 00:09:00.000, 8 times the median of 5 per 1m"
        );
        // Too few events to matter, or too few bins to judge.
        assert_eq!(frequency(&[0, 0, 0, 0, 0, 0, 0, 4], &b), None);
        assert_eq!(frequency(&[0, 0, 0, 50], &b), None);
        let burst = frequency(&[0, 0, 0, 0, 20, 0, 0, 0, 0, 0], &b).unwrap();
        assert_eq!(burst.priority, "HIGH");
        assert!(burst.description.ends_with("where the median 1m has none"));
    }
}
