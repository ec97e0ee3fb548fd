//! `diff`, `diff previousDay|previousWeek|previousMonth` (spec §3.14) and
//! `logcompare timeshift duration` (§3.24): the query's patterns compared with those of an
//! earlier time range.
//!
//! # What AWS documents
//!
//! - `diff` (CWL_QuerySyntax-Diff, CWL_AnalyzeLogData_Compare, read 2026-11) "compares the log
//!   events found in your requested time period with the log events from a previous time
//!   period of equal length", to "look for trends and find whether specific log events are
//!   new": plain `diff` against "the immediately preceding time range", `previousDay`,
//!   `previousWeek` and `previousMonth` against "the same time" a day, week or month before.
//!   "The comparison period is always of equal length to your original query period."
//!   "Comparison queries return only patterns in the results, not raw log events", and they
//!   "incur charges similar to running a single CloudWatch Logs Insights query over the
//!   combined time range". The result columns are not documented.
//! - `logcompare timeshift duration` (CWL_QuerySyntax-Logcompare) compares "the current time
//!   window against a baseline window shifted back by a specified duration", e.g.
//!   `SOURCE lg start=-1d end=now | logcompare timeshift 7d`. Its output is not documented
//!   either; the name and syntax are Sumo Logic's LogCompare, which clusters both windows into
//!   signatures and reports their change.
//!
//! # What Loupe does
//!
//! - Both are the same comparison with a different baseline. They go right after `pattern`
//!   (`pattern cause | diff`) and compare its patterns; without a `pattern` before them they
//!   cluster `@message`, as the console's comparison does. Anywhere else (after a `sort`, a
//!   second `diff`) is an error.
//! - The current window is the query's time range (the request's, or its `SOURCE start=/end=`;
//!   a query without both ends is an error: there is no "previous" range to take). With range
//!   `[start, end]` (inclusive, `n = end − start + 1` ms), the baseline is:
//!   `diff`: `[start − n, start − 1]`; `previousDay`: shifted back 24 h; `previousWeek`: 7 d;
//!   `previousMonth`: `start` one calendar month back (the day clamped to the month's length,
//!   Mar 31 → Feb 28/29) and the same length; `logcompare timeshift d`: shifted back by `d`
//!   (calendar units `mo`, `q`, `y` as for `previousMonth`). A shift shorter than the range
//!   makes the windows overlap; the events of the overlap count in both.
//! - The commands before `pattern` (or before `diff` alone) run again over the baseline range,
//!   with their own scan: the same log groups (or the same `SOURCE`), filters, `parse`s. Both
//!   windows' events are clustered together, so a pattern has the same text in both, and each
//!   pattern row tells its counts in each:
//!   - `@pattern`, `@ratio`, `@sampleCount`, `@severityLabel` (and `@tokens`, `@logSamples`) as
//!     `pattern` gives them, for the current window (`@ratio` is the share of the current
//!     window's events; enumerations and severity count both windows; samples come from the
//!     current window first);
//!   - `@previousSampleCount` and `@previousRatio`: the same for the baseline window;
//!   - `@countChange`: `@sampleCount − @previousSampleCount`;
//!   - `@changeType`: `New` (none in the baseline), `Gone` (none now), `Increased`,
//!     `Decreased` or `Unchanged`.
//!
//!   Patterns seen only in the baseline are rows too (`Gone`, `@sampleCount` 0).
//! - Order: the largest change first (by `abs(@countChange)`), then most events now, then most
//!   events before, then by `@pattern`.
//! - Statistics count both scans, as AWS bills a comparison like one query over both ranges.

use chrono::{DateTime, Months};
use loupe_lang::Diagnostic;
use loupe_lang::ast::{Command, CommandKind, DiffBaseline, ExprKind, Literal, Query};

use super::pattern::{self, Comparison, PatternSpec};
use super::{Env, PlanState};
use crate::error::Result;
use crate::functions::datetime::{Period, period, uncapped_millis};

const DAY_MS: i64 = 86_400_000;

/// How the baseline window is placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shift {
    /// The range of the same length right before.
    Preceding,
    /// The range shifted back by this many ms.
    Millis(i64),
    /// The range's start shifted back by this many calendar months, same length.
    Months(u32),
}

/// The baseline of range `[start, end]` (inclusive, epoch ms), if it is representable.
pub(crate) fn baseline(start: i64, end: i64, shift: Shift) -> Option<(i64, i64)> {
    let length = end.checked_sub(start)?;
    match shift {
        Shift::Preceding => {
            let n = length.checked_add(1)?;
            Some((start.checked_sub(n)?, start.checked_sub(1)?))
        }
        Shift::Millis(d) => Some((start.checked_sub(d)?, end.checked_sub(d)?)),
        Shift::Months(m) => {
            let from =
                DateTime::from_timestamp_millis(start)?.checked_sub_months(Months::new(m))?;
            let from = from.timestamp_millis();
            Some((from, from.checked_add(length)?))
        }
    }
}

/// The shift of a `diff` or `logcompare` command.
fn shift(command: &Command) -> Result<Shift> {
    match &command.kind {
        CommandKind::Diff { baseline } => Ok(match baseline {
            None => Shift::Preceding,
            Some(DiffBaseline::PreviousDay) => Shift::Millis(DAY_MS),
            Some(DiffBaseline::PreviousWeek) => Shift::Millis(7 * DAY_MS),
            Some(DiffBaseline::PreviousMonth) => Shift::Months(1),
        }),
        CommandKind::LogCompare { timeshift } => {
            let bad = || {
                Diagnostic::semantic(
                    "`timeshift` takes a duration, such as `7d` or `1h`",
                    timeshift.span,
                )
                .with_label("not a duration")
            };
            let ExprKind::Literal(Literal::Duration { value, unit }) = &timeshift.kind else {
                return Err(bad().into());
            };
            if let Some(ms) = uncapped_millis(*value, unit).filter(|ms| *ms > 0) {
                return Ok(Shift::Millis(ms));
            }
            match period(*value, unit) {
                Some(Period::Months(m)) => Ok(Shift::Months(m)),
                _ => Err(bad().into()),
            }
        }
        _ => Err(Diagnostic::semantic("not a comparison", command.span).into()),
    }
}

/// The comparison `command` asks for, over the query's time range.
pub(crate) fn comparison(state: &PlanState, command: &Command) -> Result<Comparison> {
    let shift = shift(command)?;
    let name = command.kind.name();
    let (Some(start), Some(end)) = (state.ctx.start_ms, state.ctx.end_ms) else {
        return Err(Diagnostic::semantic(
            format!("`{name}` compares the query's time range with an earlier one, and this query has none"),
            command.span,
        )
        .with_label("needs a start and an end time")
        .with_help("give the query a time range (a start and an end), or `SOURCE name start=-1d end=now`")
        .into());
    };
    let baseline = baseline(start, end, shift).ok_or_else(|| {
        crate::EngineError::from(
            Diagnostic::semantic(
                format!("the baseline range of `{name}` is out of range"),
                command.span,
            )
            .with_label("shifts too far back"),
        )
    })?;
    Ok(Comparison { baseline })
}

/// Plans `diff`/`logcompare` at `index` of `query`: nothing more right after a `pattern`
/// (which planned the comparison), `pattern @message` with the comparison when no `pattern`
/// came before, an error otherwise.
pub(crate) fn plan(state: &mut PlanState, query: &Query, index: usize, env: Env<'_>) -> Result<()> {
    let command = &query.commands[index];
    let before = &query.commands[..index];
    if matches!(
        before.last().map(|c| &c.kind),
        Some(CommandKind::Pattern(_))
    ) {
        return Ok(());
    }
    let patterned = before.iter().any(|c| {
        matches!(
            c.kind,
            CommandKind::Pattern(_) | CommandKind::Diff { .. } | CommandKind::LogCompare { .. }
        )
    });
    if patterned {
        return Err(pattern::not_after_pattern(command));
    }
    let comparison = comparison(state, command)?;
    let message = pattern::message(command.span);
    let spec = PatternSpec {
        expr: &message,
        prefix: before,
        comparison: Some(comparison),
        anomaly: pattern::anomaly_follows(query, index),
        span: command.span,
    };
    pattern::plan(state, &spec, env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(t: &str) -> i64 {
        DateTime::parse_from_rfc3339(t).unwrap().timestamp_millis()
    }

    #[test]
    fn baselines() {
        let (s, e) = (ms("2026-11-01T00:00:00Z"), ms("2026-11-01T23:59:59.999Z"));
        assert_eq!(
            baseline(s, e, Shift::Preceding),
            Some((ms("2026-10-31T00:00:00Z"), ms("2026-10-31T23:59:59.999Z")))
        );
        // An inclusive range of n ms: the baseline is the n ms before it.
        assert_eq!(baseline(100, 109, Shift::Preceding), Some((90, 99)));
        assert_eq!(
            baseline(s, e, Shift::Millis(7 * DAY_MS)),
            Some((ms("2026-10-25T00:00:00Z"), ms("2026-10-25T23:59:59.999Z")))
        );
        assert_eq!(
            baseline(s, e, Shift::Months(1)),
            Some((ms("2026-10-01T00:00:00Z"), ms("2026-10-01T23:59:59.999Z")))
        );
        // The day is clamped to the shorter month; the length is kept.
        let (s, e) = (ms("2026-03-31T12:00:00Z"), ms("2026-04-01T12:00:00Z"));
        assert_eq!(
            baseline(s, e, Shift::Months(1)),
            Some((ms("2026-02-28T12:00:00Z"), ms("2026-03-01T12:00:00Z")))
        );
        assert_eq!(baseline(i64::MIN + 5, 10, Shift::Preceding), None);
    }
}
