//! Insights AST → DataFusion `LogicalPlan`, one module per command.
//!
//! The planner walks the pipeline left to right over a [`PlanState`]: the DataFusion plan built
//! so far plus what Insights tracks beside it (which fields the result shows, whether the query
//! set its own order or limit). Each command's semantics live in its own module.

pub(crate) mod anomaly;
mod appendcols;
mod dedup;
mod diff;
mod display;
mod fields;
mod filter;
mod join;
mod json;
mod limit;
mod lookup;
mod outlier;
mod parse;
pub(crate) mod pattern;
mod sequence;
mod sort;
pub mod source;
mod stats;
pub mod subquery;
mod unnest;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Column;
use datafusion::error::DataFusionError;
use datafusion::functions::expr_fn::concat;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, SortExpr, cast, lit};
use loupe_lang::Diagnostic;
use loupe_lang::ast::{self, Command, CommandKind, Query};
use loupe_store::{LOG_GROUP, MESSAGE, TIMESTAMP};

use crate::error::Result;
use crate::expr::{ExprPlanner, QueryContext};

/// The account id in `@log` values: a local store is one account.
pub const LOCAL_ACCOUNT_ID: &str = "000000000000";
/// The generated field naming an event's account and log group.
pub const LOG: &str = "@log";

pub use lookup::{LookupTable, LookupTables};
pub use sequence::APPROX_COUNT;
pub use subquery::{Subqueries, SubqueryNeeds, SubqueryPlan};

/// Rows a query returns when it has no `limit` of its own.
pub const DEFAULT_LIMIT: usize = 10_000;
/// The largest `limit` AWS accepts.
pub const MAX_LIMIT: u64 = 100_000;

/// A planned query: the logical plan and the names of the fields its rows show, in order.
#[derive(Debug, Clone)]
pub struct PlannedQuery {
    pub plan: LogicalPlan,
    /// The columns of the plan's result, in order: the shown fields, then `@ptr` for queries
    /// whose rows are events (AWS appends it to every such row; stats rows have none).
    pub output: Vec<String>,
    /// The fields the query shows (`output` without an `@ptr` it did not ask for).
    pub shown: Vec<String>,
}

pub(crate) struct PlanState {
    pub builder: LogicalPlanBuilder,
    /// Fields named by `fields` commands, in first-seen order (their union is shown).
    pub fields: Vec<String>,
    /// The last `display`, which wins over `fields`.
    pub display: Option<Vec<String>>,
    pub limited: bool,
    /// What the result shows when no `fields`/`display` follows: `@timestamp` and `@message`,
    /// or the output of the last `stats`.
    pub default_output: Vec<String>,
    /// An order to apply unless a `sort` comes next (the group order after `stats`).
    pub pending_order: Option<Vec<SortExpr>>,
    /// The order rows are in once the pending order is settled (what `dedup` keeps the first of).
    pub order: Vec<SortExpr>,
    pub stats_seen: usize,
    pub ctx: QueryContext,
    /// Columns a command computed (rather than the scan read from events).
    pub computed: Vec<String>,
    /// Columns holding a map or list (`jsonParse`, `split`, `parse ... logfmt`).
    pub structures: Vec<String>,
    /// After a `stats ... by bin(period)` with that single group: its column and period in ms
    /// (what `fillmissing` fills).
    pub bin_group: Option<(String, i64)>,
    /// `in ( subquery )` tests already joined in: the subquery's span and the boolean column
    /// holding each row's answer (see `subquery`).
    pub marks: Vec<(loupe_lang::Span, String)>,
    /// Whether the pipeline has had its `join` (one per query).
    pub joined: bool,
}

impl PlanState {
    pub fn exprs(&self) -> ExprPlanner<'_> {
        ExprPlanner {
            schema: self.builder.schema(),
            ctx: &self.ctx,
            marks: &self.marks,
            computed: &self.computed,
        }
    }

    /// Adds (or replaces) a computed column named `name`, keeping every other column.
    pub fn add_column(&mut self, name: &str, value: Expr) -> Result<()> {
        push_unique(&mut self.computed, name);
        // The scan's companions of a replaced field go with it.
        let companions = [
            loupe_store::number_column(name),
            loupe_store::presence_column(name),
        ];
        let keep: Vec<Expr> = self
            .builder
            .schema()
            .columns()
            .into_iter()
            .filter(|c| c.name != name && !companions.contains(&c.name))
            .map(Expr::Column)
            .collect();
        self.map(|b| Ok(b.project(keep.into_iter().chain([value.alias(name)]))?))
    }

    fn map(
        &mut self,
        f: impl FnOnce(LogicalPlanBuilder) -> Result<LogicalPlanBuilder>,
    ) -> Result<()> {
        let builder = std::mem::replace(&mut self.builder, LogicalPlanBuilder::empty(false));
        self.builder = f(builder)?;
        Ok(())
    }

    fn has_column(&self, name: &str) -> bool {
        self.builder
            .schema()
            .columns()
            .iter()
            .any(|c| c.name == name)
    }

    /// A reference to the column `name` of the current plan.
    pub fn column(&self, name: &str) -> Result<Expr> {
        self.builder
            .schema()
            .columns()
            .into_iter()
            .rev()
            .find(|c| c.name == name)
            .map(Expr::Column)
            .ok_or_else(|| DataFusionError::Plan(format!("no column {name}")).into())
    }

    /// Applies the pending order (if any) before a command that depends on row order.
    fn settle_order(&mut self) -> Result<()> {
        if let Some(order) = self.pending_order.take() {
            self.order = order.clone();
            self.map(|b| Ok(b.sort(order)?))?;
        }
        Ok(())
    }
}

/// What planning reads besides the query itself: lookup tables, and the scans of the nested
/// queries of `join`, `appendcols` and `in ( subquery )`.
#[derive(Clone, Copy)]
pub(crate) struct Env<'a> {
    pub lookups: &'a LookupTables,
    pub subqueries: &'a dyn Subqueries,
}

/// Plans `query` on top of `scan`, a plan producing the store's columns; `subqueries` plans
/// the nested queries over their own scans.
pub fn plan_query(
    query: &Query,
    scan: LogicalPlanBuilder,
    ctx: QueryContext,
    lookups: &LookupTables,
    late: &crate::scan::LateColumns,
    subqueries: &dyn Subqueries,
) -> Result<PlannedQuery> {
    let env = Env {
        lookups,
        subqueries,
    };
    let state = plan_rows(query, scan, ctx, env, Finish::default())?;
    finish(state, late)
}

/// How a pipeline's rows end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finish {
    /// Rows kept when the query has no `limit` of its own (`None`: all of them).
    pub default_limit: Option<usize>,
    /// Whether the rows are put in their order (newest first unless the query sorts) at the
    /// end; rows an aggregation consumes need none.
    pub ordered: bool,
}

impl Default for Finish {
    /// As a query's rows end: in order, at most [`DEFAULT_LIMIT`].
    fn default() -> Self {
        Finish {
            default_limit: Some(DEFAULT_LIMIT),
            ordered: true,
        }
    }
}

/// Whether the scan's companion columns (numbers and presence) may stay through `command`:
/// commands that keep each row's columns together and replace a column only through
/// [`PlanState::add_column`] (which drops the replaced field's companions). The others (joins,
/// windows, unions) rebuild the set of columns, where a companion could end up beside a field
/// it was not read from.
fn keeps_companion_columns(command: &CommandKind) -> bool {
    matches!(
        command,
        CommandKind::Sort(_)
            | CommandKind::Stats { .. }
            | CommandKind::Parse { .. }
            | CommandKind::Dedup(_)
            | CommandKind::Source(_)
            | CommandKind::Unmask(_)
            | CommandKind::FilterIndex { .. }
            | CommandKind::Filter { .. }
            | CommandKind::Fields(_)
            | CommandKind::Display(_)
            | CommandKind::Limit { .. }
    )
}

/// Plans the pipeline of `query` up to its rows: every command, then the order settled and
/// the default limit applied unless the query has its own `limit` (as `end` says).
pub(crate) fn plan_rows(
    query: &Query,
    scan: LogicalPlanBuilder,
    ctx: QueryContext,
    env: Env<'_>,
    end: Finish,
) -> Result<PlanState> {
    // Unqualify the scan's columns, so that a column a command computes never sits beside a
    // same-named `events.x` (DataFusion treats that pair as ambiguous).
    let mut unqualified: Vec<Expr> = Vec::new();
    // The scan's companion columns (see `ExprPlanner::number`) only where every command
    // keeps them beside the fields they were read from.
    let companions = query
        .commands
        .iter()
        .all(|c| keeps_companion_columns(&c.kind));
    for c in scan.schema().columns() {
        let name = c.name.clone();
        if !companions && loupe_store::is_companion_column(&name) {
            continue;
        }
        if name == LOG_GROUP {
            // `@log` is `account-id:log-group-name`; a local store has one account.
            let log = concat(vec![
                lit(format!("{LOCAL_ACCOUNT_ID}:")),
                Expr::Column(c.clone()),
            ]);
            unqualified.push(log.alias(LOG));
        }
        unqualified.push(Expr::Column(c).alias(name));
    }
    let scan = scan.project(unqualified)?;
    let mut state = PlanState {
        builder: scan,
        fields: Vec::new(),
        display: None,
        limited: false,
        default_output: vec![TIMESTAMP.to_owned(), MESSAGE.to_owned()],
        pending_order: None,
        order: Vec::new(),
        stats_seen: 0,
        ctx,
        computed: Vec::new(),
        structures: Vec::new(),
        bin_group: None,
        marks: Vec::new(),
        joined: false,
    };
    // Without a `sort`, Insights returns events newest first; `limit any` opts out of order.
    // The order is applied lazily: after filters, before anything that depends on it.
    let any_limit = query
        .commands
        .iter()
        .any(|c| matches!(c.kind, CommandKind::Limit { any: true, .. }));
    if !any_limit {
        let newest_first = SortExpr::new(
            Expr::Column(Column::new_unqualified(TIMESTAMP)),
            false,
            false,
        );
        // Events of the same millisecond come latest-arrived first (see `sort`).
        let mut order = vec![newest_first];
        if state.has_column(loupe_store::ROWID) {
            order.push(SortExpr::new(
                Expr::Column(Column::new_unqualified(loupe_store::ROWID)),
                false,
                false,
            ));
        }
        state.pending_order = Some(order);
    }
    for (index, command) in query.commands.iter().enumerate() {
        match &command.kind {
            // These set a new order, so a pending one is moot.
            CommandKind::Sort(keys) => {
                let previous = state.pending_order.take();
                sort::plan(&mut state, keys, previous)?
            }
            CommandKind::Stats {
                aggregates,
                by,
                offset,
            } => {
                state.pending_order = None;
                stats::plan(&mut state, aggregates, by, offset.as_ref())?
            }
            CommandKind::Parse {
                source,
                mode,
                targets,
                multi,
            } => parse::plan(
                &mut state,
                source.as_ref(),
                mode,
                targets,
                *multi,
                command.span,
            )?,
            CommandKind::Dedup(keys) => {
                state.settle_order()?;
                dedup::plan(&mut state, keys)?
            }
            // Resolved into the scan's groups before planning (see `source`).
            CommandKind::Source(_) => {}
            // Loupe stores no masked data, so unmasking changes nothing.
            CommandKind::Unmask(_) => {}
            // A field index only speeds AWS up; the semantics are those of `filter`.
            CommandKind::FilterIndex { condition } => filter::plan(&mut state, condition)?,
            CommandKind::Json {
                field, path, alias, ..
            } => json::plan(&mut state, field, path, alias)?,
            CommandKind::Unnest { expr, into } => {
                unnest::plan_unnest(&mut state, expr, &into.name)?
            }
            CommandKind::Expand(expr) => unnest::plan_expand(&mut state, expr)?,
            CommandKind::Fields(items) => fields::plan(&mut state, items)?,
            CommandKind::Display(items) => display::plan(&mut state, items)?,
            CommandKind::Filter { condition, .. } => {
                subquery::plan_filter(&mut state, condition, env)?
            }
            CommandKind::Join {
                join_type,
                left,
                right,
                left_key,
                right_key,
                query: right_query,
            } => join::plan(
                &mut state,
                &join::JoinSpec {
                    join_type: join_type.unwrap_or(ast::JoinType::Inner),
                    left,
                    right,
                    left_key,
                    right_key,
                    query: right_query,
                    span: command.span,
                },
                &query.commands[index + 1..],
                env,
            )?,
            CommandKind::AppendCols {
                options,
                query: sub,
            } => appendcols::plan(&mut state, options, sub, env)?,
            CommandKind::Limit {
                count, count_span, ..
            } => {
                state.settle_order()?;
                limit::plan(&mut state, *count, *count_span)?
            }
            CommandKind::Accum { field, alias } => {
                sequence::accum(&mut state, field, alias.as_ref())?
            }
            CommandKind::AutoRegress { field, alias, lags } => {
                sequence::autoregress(&mut state, field, alias.as_ref(), lags.as_ref())?
            }
            CommandKind::FillDown(names) => sequence::filldown(&mut state, names)?,
            CommandKind::Sessionize {
                fields,
                maxspan,
                alias,
            } => sequence::sessionize(&mut state, fields, maxspan.as_ref(), alias.as_ref())?,
            CommandKind::FillMissing(values) => {
                sequence::fillmissing(&mut state, values, command.span)?
            }
            CommandKind::AddTotals { options, fields } => {
                sequence::addtotals(&mut state, options, fields)?
            }
            CommandKind::Outlier { options, fields } => outlier::plan(&mut state, options, fields)?,
            CommandKind::Lookup {
                table,
                matches,
                mode,
                outputs,
            } => lookup::plan_lookup(&mut state, env.lookups, table, matches, *mode, outputs)?,
            CommandKind::CidrLookup {
                table,
                ip_field,
                cidr_column,
                mode,
                outputs,
            } => lookup::plan_cidrlookup(
                &mut state,
                env.lookups,
                table,
                ip_field,
                cidr_column.as_ref(),
                *mode,
                outputs,
            )?,
            CommandKind::CountFrequent(fields) => {
                state.pending_order = None;
                sequence::count_frequent(&mut state, fields)?
            }
            CommandKind::Pattern(expr) => {
                // A `diff`/`logcompare` right after compares these patterns.
                let comparison = match query.commands.get(index + 1) {
                    Some(
                        next @ Command {
                            kind: CommandKind::Diff { .. } | CommandKind::LogCompare { .. },
                            ..
                        },
                    ) => Some(diff::comparison(&state, next)?),
                    _ => None,
                };
                let spec = pattern::PatternSpec {
                    expr,
                    prefix: &query.commands[..index],
                    comparison,
                    anomaly: pattern::anomaly_follows(query, index),
                    span: command.span,
                };
                pattern::plan(&mut state, &spec, env)?
            }
            CommandKind::Diff { .. } | CommandKind::LogCompare { .. } => {
                diff::plan(&mut state, query, index, env)?
            }
            CommandKind::Anomaly => anomaly::plan(&mut state, command.span)?,
            other => {
                let what = format!("command `{}`", other.name());
                return Err(Diagnostic::unsupported(what, command.span).into());
            }
        }
    }
    if end.ordered {
        state.settle_order()?;
    } else {
        state.pending_order = None;
    }
    if let (false, Some(n)) = (state.limited, end.default_limit) {
        state.map(|b| Ok(b.limit(0, Some(n))?))?;
    }
    Ok(state)
}

/// The result of a planned pipeline: the shown fields (and `@ptr`), late columns computed.
fn finish(mut state: PlanState, late: &crate::scan::LateColumns) -> Result<PlannedQuery> {
    let wanted = match (&state.display, state.fields.is_empty()) {
        (Some(display), _) => display.clone(),
        (None, false) => state.fields.clone(),
        (None, true) => state.default_output.clone(),
    };
    // Fields no event has are simply absent from every row.
    let mut output: Vec<String> = wanted
        .into_iter()
        .filter(|name| state.has_column(name))
        .collect();
    let shown = output.clone();
    if state.has_column(loupe_store::PTR) && !output.iter().any(|f| f == loupe_store::PTR) {
        output.push(loupe_store::PTR.to_owned());
    }
    let columns: Vec<Expr> = output
        .iter()
        .filter_map(|name| {
            state
                .builder
                .schema()
                .columns()
                .into_iter()
                .find(|c| &c.name == name)
        })
        .map(|c| {
            // `@message` and `@ptr` the query only shows are decoded for the rows it returns.
            if state.has_column(loupe_store::ROWID)
                && !state.computed.contains(&c.name)
                && let Some(late) = late.expr(&c.name)
            {
                return late;
            }
            // A JSON `true`/`false` read from an event shows as written (spec §2.4, §7.3);
            // booleans a query computes show as 1/0.
            let raw = !state.computed.contains(&c.name);
            match state.builder.schema().qualified_field_from_column(&c) {
                Ok((_, f)) if raw && f.data_type() == &DataType::Boolean => {
                    let name = c.name.clone();
                    cast(Expr::Column(c), DataType::Utf8).alias(name)
                }
                _ => Expr::Column(c),
            }
        })
        .collect();
    state.map(|b| Ok(b.project(columns)?))?;
    Ok(PlannedQuery {
        plan: state.builder.build()?,
        output,
        shown,
    })
}

/// Whether `e` is a map or list value: a call making one, or a field holding one. Insights does
/// not allow those in `stats`, `sort` and `dedup` (spec §2.1, §3.25).
pub(crate) fn is_structure(state: &PlanState, e: &ast::Expr) -> bool {
    match &e.kind {
        ast::ExprKind::Call { name, .. } => {
            matches!(
                name.name.to_ascii_lowercase().as_str(),
                "jsonparse" | "split"
            )
        }
        ast::ExprKind::Field(f) => state.structures.contains(&f.name),
        _ => false,
    }
}

/// The diagnostic for a map or list where `command` needs a plain value.
pub(crate) fn structure_error(e: &ast::Expr, command: &str) -> crate::EngineError {
    Diagnostic::semantic(
        format!("a map or list value cannot be used in `{command}`"),
        e.span,
    )
    .with_label("a structure value")
    .with_help("read a member (`x.key`, `x[0]`) or use jsonStringify(x)")
    .into()
}

/// Appends `name` to `list` unless it is already there.
pub(crate) fn push_unique(list: &mut Vec<String>, name: &str) {
    if !list.iter().any(|n| n == name) {
        list.push(name.to_owned());
    }
}
