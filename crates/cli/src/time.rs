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
    }
}
