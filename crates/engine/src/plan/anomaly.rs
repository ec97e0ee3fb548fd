//! `anomaly` (spec §3.13): pattern rows with the anomalies found among them.
//!
//! # What AWS documents
//!
//! CWL_QuerySyntax-Anomaly (read 2026-11): `anomaly` "extends the existing `pattern`
//! functionality" and is "typically used after the `pattern` command"; it takes no arguments,
//! combines with `filter` and `sort`, and "keeps all fields from the input data and adds
//! anomaly detection results". It identifies five kinds: *pattern frequency* anomalies
//! ("unusual frequencies of specific log patterns"), *new pattern* anomalies ("previously unseen
//! log patterns"), *token variation*, *numeric token* and *HTTP error code* anomalies. Examples:
//! `fields @timestamp, @message | pattern @message | anomaly`, and
//! `... | pattern @message | anomaly | sort @timestamp desc`. The added fields are not named.
//! The API's `Anomaly` structure (of the separate anomaly detectors) has a `priority`, a
//! human-readable `description`, `firstSeen`/`lastSeen` and a `histogram` of occurrences.
//!
//! # What Loupe does
//!
//! - `anomaly` needs the pattern rows of a `pattern` (or `diff`/`logcompare`) earlier in the
//!   query, with nothing in between that replaced them (`stats`); otherwise it is an error.
//! - Every pattern row is kept. An anomalous one gets (names chosen after the API's
//!   `Anomaly`): `@anomalyType` (`NewPattern` or `PatternFrequency`), `@priority` (`HIGH`,
//!   `MEDIUM`, `LOW`), `@description` (what was found, with the numbers), and `@timestamp`,
//!   when it happened (the new pattern's first event, or the start of the busiest time bin),
//!   which is what `sort @timestamp desc` in AWS's example orders by. Rows without an anomaly
//!   have none of these fields. `@histogram` (not shown unless named) is the pattern's events
//!   per time bin as JSON, for every row.
//! - The rules (`functions::pattern::anomaly`): a pattern is new when its first event is in
//!   the last quarter of the time range and at least 10 events came before that; its frequency is
//!   anomalous when its busiest bin (of at most 100 over the range) holds at least 5 events and
//!   more than its median bin count plus three robust standard deviations. Loupe reports only
//!   these two kinds; the other three need a model of token values over time AWS does not
//!   describe.
//! - Order: anomalies first, `HIGH` to `LOW`, then the order the rows had (most events first
//!   after `pattern`); a later `sort` replaces it.

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::logical_expr::{Expr, SortExpr, cast, lit, when};
use loupe_lang::{Diagnostic, Span};
use loupe_store::TIMESTAMP;

use super::PlanState;
use super::pattern::hidden;
use super::subquery::{col, valid_order};
use crate::error::Result;

pub const ANOMALY_TYPE: &str = "@anomalyType";
pub const PRIORITY: &str = "@priority";
pub const DESCRIPTION: &str = "@description";
pub const HISTOGRAM: &str = "@histogram";

/// The fields `anomaly` adds.
pub const FIELDS: &[&str] = &[ANOMALY_TYPE, PRIORITY, DESCRIPTION, TIMESTAMP, HISTOGRAM];

pub(crate) fn plan(state: &mut PlanState, span: Span) -> Result<()> {
    if !state.has_column(hidden::ANOMALY_TYPE) {
        return Err(Diagnostic::semantic(
            "`anomaly` looks for anomalies among the rows of `pattern`, and there are none here",
            span,
        )
        .with_label("no pattern rows to look at")
        .with_help(
            "put it after `pattern` with no `stats` in between: `pattern @message | anomaly`",
        )
        .into());
    }
    let previous = match state.pending_order.take() {
        Some(order) => order,
        None => valid_order(state),
    };
    let time = cast(
        col(hidden::TIME),
        DataType::Timestamp(TimeUnit::Millisecond, None),
    );
    for (name, value) in [
        (ANOMALY_TYPE, col(hidden::ANOMALY_TYPE)),
        (PRIORITY, col(hidden::PRIORITY)),
        (DESCRIPTION, col(hidden::DESCRIPTION)),
        (TIMESTAMP, time),
        (HISTOGRAM, col(hidden::HISTOGRAM)),
    ] {
        state.add_column(name, value)?;
    }
    for name in [ANOMALY_TYPE, PRIORITY, DESCRIPTION, TIMESTAMP] {
        super::push_unique(&mut state.default_output, name);
    }
    let rank: Expr = when(col(PRIORITY).eq(lit("HIGH")), lit(0))
        .when(col(PRIORITY).eq(lit("MEDIUM")), lit(1))
        .when(col(PRIORITY).eq(lit("LOW")), lit(2))
        .otherwise(lit(3))?;
    let mut order = vec![SortExpr::new(rank, true, false)];
    order.extend(previous);
    state.pending_order = Some(order);
    Ok(())
}
