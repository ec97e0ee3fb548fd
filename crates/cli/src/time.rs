//! Time range flags: `--since 15m`, `--start`/`--end` as RFC 3339 or epoch seconds/milliseconds.

use chrono::DateTime;

/// Parses a duration such as `90s`, `15m`, `2h`, `7d` or `2w` into milliseconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let err = || {
        format!(
            "invalid duration {text:?}: expected a number and a unit (s, m, h, d, w), as in 15m"
        )
    };
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?;
    let (digits, unit) = text.split_at(split);
    let n: i64 = digits.parse().map_err(|_| err())?;
    let unit_ms = match unit {
        "ms" => 1,
        "s" | "sec" | "secs" => 1_000,
        "m" | "min" | "mins" => 60_000,
        "h" | "hr" | "hrs" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        "w" | "week" | "weeks" => 7 * 86_400_000,
        _ => return Err(err()),
    };
    n.checked_mul(unit_ms).ok_or_else(err)
}

/// Parses a point in time: RFC 3339 (`2026-11-01T00:00:00Z`), or epoch seconds, or epoch
/// milliseconds (a number of 13 digits or more).
pub fn parse_time(text: &str) -> Result<i64, String> {
    if let Ok(n) = text.parse::<i64>() {
        return Ok(if text.trim_start_matches('-').len() >= 13 {
            n
        } else {
            n.saturating_mul(1000)
        });
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|e| {
            format!(
                "invalid time {text:?}: {e}; use RFC 3339 (2026-11-01T00:00:00Z) or epoch seconds"
            )
        })
}

/// A query's time range as the user gave it; resolved against the clock at each query, so a
/// REPL's `\since 15m` keeps meaning "the last 15 minutes".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// `--since`, in milliseconds.
    pub since_ms: Option<i64>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
}

impl TimeRange {
    pub fn from_flags(
        since: Option<&str>,
        start: Option<&str>,
        end: Option<&str>,
    ) -> Result<TimeRange, String> {
        Ok(TimeRange {
            since_ms: since.map(parse_duration).transpose()?,
            start_ms: start.map(parse_time).transpose()?,
            end_ms: end.map(parse_time).transpose()?,
        })
    }

    /// Inclusive `(start, end)` in epoch milliseconds at `now_ms`; `None` is unbounded.
    pub fn resolve(&self, now_ms: i64) -> (Option<i64>, Option<i64>) {
        match self.since_ms {
            Some(since) => (Some(now_ms - since), self.end_ms.or(Some(now_ms))),
            None => (self.start_ms, self.end_ms),
        }
    }

    /// How the range reads in the REPL's `\since` and the prompt.
    pub fn describe(&self) -> String {
        let time = |ms: i64| {
            DateTime::from_timestamp_millis(ms).map_or_else(
                || ms.to_string(),
                |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            )
        };
        match (self.since_ms, self.start_ms, self.end_ms) {
            (Some(s), _, _) => format!("the last {}", format_duration(s)),
            (None, None, None) => "all time".into(),
            (None, Some(s), None) => format!("from {}", time(s)),
            (None, None, Some(e)) => format!("until {}", time(e)),
            (None, Some(s), Some(e)) => format!("{} to {}", time(s), time(e)),
        }
    }
}

/// The shortest exact spelling of a duration: `15m`, `2h`, `90s`.
pub fn format_duration(ms: i64) -> String {
    for (unit, size) in [
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if ms != 0 && ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times() {
        assert_eq!(parse_duration("15m"), Ok(900_000));
        assert_eq!(parse_duration("2h"), Ok(7_200_000));
        assert_eq!(parse_duration("7d"), Ok(604_800_000));
        assert!(parse_duration("15").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("3parsecs").is_err());
        assert_eq!(parse_time("2026-11-01T00:00:00Z"), Ok(1_793_491_200_000));
        assert_eq!(parse_time("1793491200"), Ok(1_793_491_200_000));
        assert_eq!(parse_time("1793491200123"), Ok(1_793_491_200_123));
        assert!(parse_time("yesterday").is_err());
        assert_eq!(format_duration(900_000), "15m");
        assert_eq!(format_duration(5_400_000), "90m");
        let range = TimeRange::from_flags(Some("1h"), None, None).unwrap_or_default();
        assert_eq!(
            range.resolve(10_000_000),
            (Some(6_400_000), Some(10_000_000))
        );
        assert_eq!(range.describe(), "the last 1h");
    }
}
