//! `pattern expr` (spec §3.12): clusters the values of `expr` into patterns, one row each.
//!
//! # What AWS documents
//!
//! The command page (CWL_QuerySyntax-Pattern) and the "Pattern analysis" page
//! (CWL_AnalyzeLogData_Patterns), read 2026-11:
//!
//! - Input: `@message`, a field extracted by `parse`, or a string manipulated by string
//!   functions. It combines with `filter`, `parse` and `sort`, and `anomaly` and `diff` build
//!   on it.
//! - Output, one row per pattern: `@pattern` ("a shared text structure that recurs among your
//!   log event fields"), `@ratio` (the share of the events in the time range that match it,
//!   "`0.50`" when half do), `@sampleCount` (how many events match) and `@severityLabel` ("the
//!   log severity or level", e.g. `Error`, `Warning`, `Info`, `Debug`).
//! - Values that vary are dynamic tokens shown as `<string-number>`: the string says what the
//!   token holds when CloudWatch can infer it (the example names `<Time-1>` and `<ID-2>`; the
//!   API's `PatternToken` names `IPAddress-3`), `<Token-number>` when it cannot; the number is
//!   the token's position among the pattern's dynamic tokens. Example: three lines
//!   `2023-01-01 19:00:01 [INFO] Calling DynamoDB to store for resource id 12342342k124-12345`
//!   make `<Time-1> [INFO] Calling DynamoDB to store for resource id <ID-2>`.
//! - The API's `PatternToken` (of anomaly detectors) gives each dynamic token a
//!   `dynamicTokenPosition`, an `inferredTokenName` and `enumerations`, "the values found for a
//!   dynamic token, and the number of times each value was found".
//!
//! # What is not documented, and what Loupe does
//!
//! AWS uses "machine learning algorithms" and its exact output cannot be reproduced; Loupe's
//! is deterministic and explainable:
//!
//! - Clustering (`functions::pattern`): tokens split on whitespace and on the punctuation that
//!   separates fields; numbers, times, IP addresses and ids are typed; events group by token
//!   shape, then groups merge Drain-style (a fixed-depth prefix tree by token count and leading
//!   words, similarity threshold 0.5, a last merge pass at 0.7). The result does not depend on
//!   the order rows arrive in or on partitioning (tested), and memory is bounded by the number
//!   of shapes, not events.
//! - Dynamic token names: `Time` (dates and times of day), `IPAddress` (IPv4, IPv6),
//!   `ID` (UUIDs, and tokens of 8+ characters mixing digits with letters or dashes),
//!   `Number`, `StatusCode` (a number whose values are all 100–599, after a status word or in a
//!   pattern with an `HTTP/` token or a request method such as `GET`), and `Token` for anything
//!   else or a mix.
//! - The pattern's text keeps the static tokens as written and the spacing of its earliest
//!   event.
//! - `@ratio` is the share among the events that reached `pattern` *and had a value* (an event
//!   where `expr` is missing, empty or blank has nothing to cluster and is skipped), so the
//!   ratios sum to 1. It is a number, rendered as Insights renders numbers (`0.5`).
//! - `@severityLabel` is the most frequent severity of the pattern's events (the more severe
//!   on a tie), read from level words (`ERROR`, `[warn]`, `level=info`; see
//!   `functions::pattern::severity`): `Fatal`, `Error`, `Warning`, `Info`, `Debug`, `Trace`.
//!   A pattern whose events name no level has none (the field is missing from its row).
//! - Two more fields, not shown unless a `fields`/`display` names them: `@tokens`, the dynamic
//!   tokens as JSON in the shape of the API's `PatternToken` (`dynamicTokenPosition`,
//!   `inferredTokenName`, and `enumerations` with the counts when the token has at most 16
//!   distinct values), and `@logSamples`, the pattern's three earliest events as JSON in the
//!   shape of the API's `LogEvent` (`timestamp` in epoch ms, `message`: the clustered value).
//! - Order: most events first (AWS's own example asks for `sort @sampleCount asc` to see the
//!   rarest), then by `@pattern`; a later `sort` replaces it. At most 10,000 rows without a
//!   `limit`, as any query.
//! - A map or list value (`jsonParse`, `split`) is refused, as AWS refuses structures in
//!   `pattern` (spec §2.1).
//!
//! Planned as one aggregation (the `insights_pattern` UDAF over the value, the time and, for
//! `diff`, the window of each event) whose list of pattern structs is unnested into rows.

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{Column, ScalarValue, UnnestOptions};
use datafusion::functions::core::expr_fn::get_field;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder, SortExpr, cast, lit};
use loupe_lang::ast::{self, Command, CommandKind, ExprKind, Ident, Query};
use loupe_lang::{Diagnostic, Span};
use loupe_store::TIMESTAMP;

use super::subquery::{SubqueryNeeds, col};
use super::{Env, Finish, PlanState};
use crate::error::Result;
use crate::expr::{ExprPlanner, Kind};
use crate::functions::pattern::{self as udaf, Config, field};

pub const PATTERN: &str = "@pattern";
pub const RATIO: &str = "@ratio";
pub const SAMPLE_COUNT: &str = "@sampleCount";
pub const SEVERITY_LABEL: &str = "@severityLabel";
pub const TOKENS: &str = "@tokens";
pub const LOG_SAMPLES: &str = "@logSamples";
pub const PREVIOUS_SAMPLE_COUNT: &str = "@previousSampleCount";
pub const PREVIOUS_RATIO: &str = "@previousRatio";
pub const COUNT_CHANGE: &str = "@countChange";
pub const CHANGE_TYPE: &str = "@changeType";

/// The fields of every pattern row.
pub const FIELDS: &[&str] = &[
    PATTERN,
    RATIO,
    SAMPLE_COUNT,
    SEVERITY_LABEL,
    TOKENS,
    LOG_SAMPLES,
];
/// The fields `diff` and `logcompare` add.
pub const COMPARE_FIELDS: &[&str] = &[
    PREVIOUS_SAMPLE_COUNT,
    PREVIOUS_RATIO,
    COUNT_CHANGE,
    CHANGE_TYPE,
];
/// The fields shown unless `fields`/`display` choose.
const SHOWN: &[&str] = &[PATTERN, RATIO, SAMPLE_COUNT, SEVERITY_LABEL];

/// The columns holding the anomaly results until `anomaly` shows them (see `plan::anomaly`).
pub(crate) mod hidden {
    pub const ANOMALY_TYPE: &str = "__loupe_pattern_anomaly_type";
    pub const PRIORITY: &str = "__loupe_pattern_priority";
    pub const DESCRIPTION: &str = "__loupe_pattern_description";
    pub const TIME: &str = "__loupe_pattern_anomaly_time";
    pub const HISTOGRAM: &str = "__loupe_pattern_histogram";
}

const TEXT: &str = "__loupe_pattern_text";
const TIME: &str = "__loupe_pattern_ts";
const WINDOW: &str = "__loupe_pattern_window";
const LIST: &str = "__loupe_patterns";

/// A comparison with a baseline window (`diff`, `logcompare`): the baseline's time range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Comparison {
    pub baseline: (i64, i64),
}

/// What to plan: the value to cluster, the commands before `pattern` (what the baseline
/// window runs again), and what later commands need.
pub(crate) struct PatternSpec<'a> {
    pub expr: &'a ast::Expr,
    pub prefix: &'a [Command],
    pub comparison: Option<Comparison>,
    /// Whether an `anomaly` follows (the aggregate then keeps histograms).
    pub anomaly: bool,
    pub span: Span,
}

/// Whether an `anomaly` comes after command `index`.
pub(crate) fn anomaly_follows(query: &Query, index: usize) -> bool {
    query.commands[index + 1..]
        .iter()
        .any(|c| matches!(c.kind, CommandKind::Anomaly))
}

/// `@message` as an expression, what `diff` clusters without a `pattern`.
pub(crate) fn message(span: Span) -> ast::Expr {
    ast::Expr {
        kind: ExprKind::Field(Ident {
            name: loupe_store::MESSAGE.to_owned(),
            span,
        }),
        span,
    }
}

/// The clustered value as text, the time in epoch ms and the window of each row.
fn inputs(exprs: &ExprPlanner<'_>, e: &ast::Expr, window: i64) -> Result<Vec<Expr>> {
    let value = exprs.text(exprs.plan(e)?)?;
    let time = exprs.field(TIMESTAMP);
    let time = match exprs.kind(&time)? {
        Kind::Time => cast(
            cast(time, DataType::Timestamp(TimeUnit::Millisecond, None)),
            DataType::Int64,
        ),
        _ => lit(ScalarValue::Int64(None)),
    };
    Ok(vec![
        cast(value, DataType::Utf8).alias(TEXT),
        time.alias(TIME),
        lit(window).alias(WINDOW),
    ])
}

/// Plans `pattern` (and, with a comparison, `diff`/`logcompare` after it).
pub(crate) fn plan(state: &mut PlanState, spec: &PatternSpec<'_>, env: Env<'_>) -> Result<()> {
    if super::is_structure(state, spec.expr) {
        return Err(super::structure_error(spec.expr, "pattern"));
    }
    // Nothing after this depends on the order of the events.
    state.pending_order = None;
    let current = inputs(&state.exprs(), spec.expr, 0)?;
    state.map(|b| Ok(b.project(current)?))?;
    if let Some(comparison) = spec.comparison {
        let baseline = baseline_rows(state, spec, comparison, env)?;
        state.map(|b| Ok(b.union(baseline)?))?;
    }
    let mut flags = 0;
    if spec.anomaly {
        flags |= Config::ANOMALY;
    }
    if spec.comparison.is_some() {
        flags |= Config::COMPARE;
    }
    let args = vec![
        col(TEXT),
        col(TIME),
        col(WINDOW),
        lit(ScalarValue::Int64(state.ctx.start_ms)),
        lit(ScalarValue::Int64(state.ctx.end_ms)),
        lit(i64::from(flags)),
    ];
    let aggregate = udaf::pattern().call(args).alias(LIST);
    state.map(|b| Ok(b.aggregate(Vec::<Expr>::new(), vec![aggregate])?))?;
    let options = UnnestOptions::new().with_preserve_nulls(false);
    state.map(|b| Ok(b.unnest_column_with_options(Column::new_unqualified(LIST), options)?))?;

    let mut columns: Vec<(&str, &str)> = vec![
        (PATTERN, field::PATTERN),
        (RATIO, field::RATIO),
        (SAMPLE_COUNT, field::COUNT),
        (SEVERITY_LABEL, field::SEVERITY),
        (TOKENS, field::TOKENS),
        (LOG_SAMPLES, field::SAMPLES),
    ];
    if spec.comparison.is_some() {
        columns.extend([
            (PREVIOUS_SAMPLE_COUNT, field::PREVIOUS_COUNT),
            (PREVIOUS_RATIO, field::PREVIOUS_RATIO),
            (COUNT_CHANGE, field::COUNT_CHANGE),
            (CHANGE_TYPE, field::CHANGE_TYPE),
        ]);
    }
    if spec.anomaly {
        columns.extend([
            (hidden::ANOMALY_TYPE, field::ANOMALY_TYPE),
            (hidden::PRIORITY, field::PRIORITY),
            (hidden::DESCRIPTION, field::DESCRIPTION),
            (hidden::TIME, field::ANOMALY_TIME),
            (hidden::HISTOGRAM, field::HISTOGRAM),
        ]);
    }
    let projection: Vec<Expr> = columns
        .iter()
        .map(|(name, f)| get_field(col(LIST), *f).alias(*name))
        .collect();
    state.map(|b| Ok(b.project(projection)?))?;

    let mut shown: Vec<String> = SHOWN.iter().map(|s| (*s).to_owned()).collect();
    if spec.comparison.is_some() {
        shown.extend(COMPARE_FIELDS.iter().map(|s| (*s).to_owned()));
    }
    state.computed = columns.iter().map(|(n, _)| (*n).to_owned()).collect();
    state.fields.clear();
    state.display = None;
    state.structures.clear();
    state.bin_group = None;
    state.order = Vec::new();
    state.default_output = shown;
    state.pending_order = Some(default_order(state, spec.comparison.is_some())?);
    Ok(())
}

/// Most events first, then the pattern's text; after a comparison, the largest change first.
fn default_order(state: &PlanState, compare: bool) -> Result<Vec<SortExpr>> {
    let pattern = ast::Expr {
        kind: ExprKind::Field(Ident {
            name: PATTERN.to_owned(),
            span: Span::default(),
        }),
        span: Span::default(),
    };
    let mut order = Vec::new();
    if compare {
        let change = datafusion::functions::math::expr_fn::abs(col(COUNT_CHANGE));
        order.push(SortExpr::new(change, false, false));
    }
    order.push(SortExpr::new(col(SAMPLE_COUNT), false, false));
    if compare {
        order.push(SortExpr::new(col(PREVIOUS_SAMPLE_COUNT), false, false));
    }
    // As `sort @pattern asc` orders text.
    order.push(SortExpr::new(
        state.exprs().sort_value(&pattern)?,
        true,
        false,
    ));
    Ok(order)
}

/// The baseline window's rows: the commands before `pattern` run again over the baseline's
/// time range, reduced to the same three columns.
fn baseline_rows(
    state: &PlanState,
    spec: &PatternSpec<'_>,
    comparison: Comparison,
    env: Env<'_>,
) -> Result<datafusion::logical_expr::LogicalPlan> {
    let mut commands = spec.prefix.to_vec();
    let reads = Command {
        kind: CommandKind::Pattern(spec.expr.clone()),
        span: spec.span,
    };
    commands.push(reads);
    let fields = crate::referenced::referenced_fields(&Query {
        commands,
        span: spec.span,
    });
    let needs = SubqueryNeeds {
        fields,
        finish: Finish {
            default_limit: None,
            ordered: false,
        },
        range: Some(comparison.baseline),
    };
    let prefix = Query {
        commands: spec.prefix.to_vec(),
        span: spec.span,
    };
    let sub = env.subqueries.plan(&prefix, &needs)?;
    let exprs = sub.exprs(&state.ctx);
    if sub.structures.iter().any(|s| is_field(spec.expr, s)) {
        return Err(super::structure_error(spec.expr, "pattern"));
    }
    let columns = inputs(&exprs, spec.expr, 1)?;
    Ok(LogicalPlanBuilder::from(sub.plan)
        .project(columns)?
        .build()?)
}

fn is_field(e: &ast::Expr, name: &str) -> bool {
    matches!(&e.kind, ExprKind::Field(f) if f.name == name)
}

/// The error for `diff`/`logcompare` placed after something other than `pattern`.
pub(crate) fn not_after_pattern(command: &Command) -> crate::EngineError {
    let name = command.kind.name();
    Diagnostic::semantic(
        format!("`{name}` compares the patterns of two time ranges: it goes right after `pattern`"),
        command.span,
    )
    .with_label("not right after `pattern`")
    .with_help(format!(
        "write `pattern @message | {name}`, or `{name}` alone to cluster @message"
    ))
    .into()
}
