//! Loupe's query engine: Logs Insights on DataFusion over the Loupe store.
//!
//! This is the only crate that knows DataFusion. It turns a parsed Insights [`Query`] into a
//! DataFusion `LogicalPlan` ([`plan`], one module per command), runs it over the events a
//! [`Store`] scan hands out, and shapes the answer the way Insights does ([`result`]): every
//! value a string, missing fields left out of their row, and the query statistics.
//!
//! It does not parse query text (that is `loupe-lang`) and does not know AWS API shapes (that
//! is `loupe-service`).
//!
//! ```no_run
//! # async fn demo(store: &loupe_store::Store) -> Result<(), loupe_engine::EngineError> {
//! let query = loupe_lang::parse("filter @message like /ERROR/ | limit 5")?;
//! let request = loupe_engine::QueryRequest { groups: vec!["app".into()], ..Default::default() };
//! let output = loupe_engine::run_query(store, &query, &request).await?;
//! println!("{} rows", output.rows.len());
//! # Ok(()) }
//! ```

pub mod aggregate;
mod error;
mod expr;
pub mod functions;
pub mod hints;
pub mod plan;
mod referenced;
pub mod result;
pub mod scan;
pub mod sql;

use std::sync::Arc;

use datafusion::datasource::provider_as_source;
use datafusion::execution::context::SessionContext;
use datafusion::execution::disk_manager::DiskManagerBuilder;
use datafusion::execution::memory_pool::GreedyMemoryPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion::prelude::SessionConfig;
use loupe_lang::ast::Query;
use loupe_store::{ScanRequest, Store};

pub use error::{EngineError, Result};
pub use expr::QueryContext;
pub use plan::{LookupTable, LookupTables};
pub use referenced::referenced_fields;
pub use result::ResultField;
use scan::StoreTable;
pub use sql::{SQL_TABLE, run_sql};

/// Which events a query runs over: log groups and an inclusive time range in epoch ms.
#[derive(Debug, Clone, Default)]
pub struct QueryRequest {
    pub groups: Vec<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    /// When the query starts, epoch ms: what `now()` answers (in seconds).
    pub now_ms: i64,
    /// The most memory the query's operators may hold; large sorts and aggregations spill to
    /// temporary files beyond it. `None`: no limit.
    pub memory_limit: Option<usize>,
    /// Where the scan counts what it has read while the query runs (for progress displays and
    /// the statistics of a running query); a fresh counter when `None`.
    pub progress: Option<Arc<scan::ScanCounters>>,
    /// The lookup tables `lookup` and `cidrlookup` may name, by name.
    pub lookups: LookupTables,
    /// The query text the AST was parsed from: an unaliased computed column is then named by
    /// its expression as written (see [`written_names`]); without it, by its canonical text.
    pub source: Option<Arc<str>>,
    /// Aggregate with DataFusion's own operator only, never grouping in the scan (see
    /// [`aggregate`]): the same results, for differential tests and measurements.
    pub plain_aggregation: bool,
}

/// What a query costs, as GetQueryResults reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueryStatistics {
    pub records_matched: u64,
    pub records_scanned: u64,
    pub bytes_scanned: u64,
}

/// A finished query: its rows (each a list of present fields, in output order) and statistics.
#[derive(Debug, Clone)]
pub struct QueryOutput {
    /// The fields the query shows, in order. Rows of events also end with an `@ptr` (as AWS
    /// returns it) that is not listed here unless the query asked for it.
    pub fields: Vec<String>,
    pub rows: Vec<Vec<ResultField>>,
    pub statistics: QueryStatistics,
}

/// The name of the table a query's scan appears as in plans.
pub const TABLE_NAME: &str = "events";

/// A DataFusion session configured for Insights queries, with an optional memory limit past
/// which sorts and aggregations spill to disk.
pub fn session(memory_limit: Option<usize>) -> Result<SessionContext> {
    // No round-robin repartitioning: DataFusion would spread the sorted result over several
    // partitions to run the last projection (the late `@message` fetch) in parallel, and
    // collecting those partitions interleaves their batches as they finish, so a result over
    // more than one batch (8,192 rows) came back out of order. The scan already feeds every
    // partition, so nothing else loses parallelism.
    let config = SessionConfig::new()
        .with_target_partitions(std::thread::available_parallelism().map_or(2, |n| n.get()))
        .with_round_robin_repartition(false)
        .with_information_schema(false);
    let mut runtime = RuntimeEnvBuilder::new();
    if let Some(limit) = memory_limit {
        runtime = runtime
            .with_memory_pool(Arc::new(GreedyMemoryPool::new(limit)))
            .with_disk_manager_builder(DiskManagerBuilder::default());
    }
    Ok(SessionContext::new_with_config_rt(
        config,
        runtime.build_arc()?,
    ))
}

/// A query planned down to DataFusion's physical plan, ready to run.
struct Prepared {
    ctx: SessionContext,
    physical: Arc<dyn ExecutionPlan>,
    output: Vec<String>,
    shown: Vec<String>,
    counters: Arc<scan::ScanCounters>,
    summary: loupe_store::ScanSummary,
    /// The outer query's own scan (a subquery's scans are not where its events match).
    outer_scan: Arc<loupe_store::ScanPlan>,
}

async fn prepare(store: &Store, query: &Query, request: &QueryRequest) -> Result<Prepared> {
    let group_names =
        || -> Result<Vec<String>> { Ok(store.groups()?.into_iter().map(|g| g.name).collect()) };
    let fields = referenced_fields(query);
    let mut scan_request = ScanRequest {
        groups: request.groups.clone(),
        start_ms: request.start_ms,
        end_ms: request.end_ms,
        numbers: fields.clone(),
        fields,
    };
    if let Some(source) = plan::source::source_of(query) {
        let selection = plan::source::resolve_source(source, &group_names()?, request.now_ms)?;
        scan_request.groups = selection.groups;
        scan_request.start_ms = selection.start_ms.or(request.start_ms);
        scan_request.end_ms = selection.end_ms.or(request.end_ms);
    }
    // The query's time range: the request's, or the one its `SOURCE` sets.
    let (range_start, range_end) = (scan_request.start_ms, scan_request.end_ms);
    // `stats ... by bin(...) offset d` reads the range `d` earlier (see `functions::timeseries`).
    if let Some(shift) = functions::timeseries::scan_offset_ms(query) {
        scan_request.start_ms = scan_request.start_ms.map(|s| s.saturating_sub(shift));
        scan_request.end_ms = scan_request.end_ms.map(|e| e.saturating_sub(shift));
    }
    let scan_plan = store.plan_scan(&scan_request, &hints::scan_hints(query))?;
    let summary = scan_plan.summary().clone();
    let table = StoreTable::new(scan_plan, TABLE_NAME)
        .with_counters(request.progress.clone().unwrap_or_default());
    let counters = table.counters();
    let outer_scan = table.scan_plan();
    let late = scan::LateColumns::for_query(&table, query);
    let builder = LogicalPlanBuilder::scan(TABLE_NAME, provider_as_source(Arc::new(table)), None)?;
    let ctx = QueryContext {
        now_ms: request.now_ms,
        start_ms: range_start,
        end_ms: range_end,
    };
    let subqueries = StoreSubqueries {
        store,
        request,
        outer: &scan_request,
        counters: Arc::clone(&counters),
        scans: std::cell::Cell::new(0),
    };
    let planned = plan::plan_query(query, builder, ctx, &request.lookups, &late, &subqueries)?;

    let ctx = session(request.memory_limit)?;
    let physical = ctx.state().create_physical_plan(&planned.plan).await?;
    let physical = scan::guard_early_stops(physical)?;
    let physical = aggregate::push_into_scans(physical, request)?;
    let written = request
        .source
        .as_deref()
        .map(|src| written_names(query, src))
        .unwrap_or_default();
    let rename = |names: Vec<String>| -> Vec<String> {
        names
            .into_iter()
            .map(|n| written.get(&n).cloned().unwrap_or(n))
            .collect()
    };
    Ok(Prepared {
        ctx,
        physical,
        output: rename(planned.output),
        shown: rename(planned.shown),
        counters,
        summary,
        outer_scan,
    })
}

/// The names AWS shows for unaliased computed columns, by the canonical text Loupe plans them
/// under: the expression exactly as the query wrote it, trimmed (`abs(f3-f4)`,
/// `pct(latency,95)`, `sum(bytes)/1024`; spec §1.7). Planning keeps the canonical text, so a
/// later command may refer to the column however it spaces it (`sort count( * ) desc`). The
/// first command defining a name decides it.
fn written_names(query: &Query, source: &str) -> std::collections::HashMap<String, String> {
    use loupe_lang::ast::{CommandKind, ExprKind, Projection};
    let mut names = std::collections::HashMap::new();
    let projections = query.commands.iter().flat_map(|c| match &c.kind {
        CommandKind::Fields(items) | CommandKind::Display(items) => items.iter().collect(),
        CommandKind::Stats { aggregates, by, .. } => by.iter().chain(aggregates).collect(),
        _ => Vec::<&Projection>::new(),
    });
    for p in projections {
        if p.alias.is_some() || matches!(p.expr.kind, ExprKind::Field(_)) {
            continue;
        }
        let span = p.expr.span;
        let Some(written) = source.get(span.start as usize..span.end as usize) else {
            continue;
        };
        let canonical = p.expr.to_string();
        let written = written.trim();
        if !written.is_empty() && written != canonical {
            names.entry(canonical).or_insert_with(|| written.to_owned());
        }
    }
    names
}

/// Plans the nested queries of `join`, `appendcols` and `in ( subquery )` over their own store
/// scans (see `plan::subquery` for the semantics), counting into the outer query's statistics.
struct StoreSubqueries<'a> {
    store: &'a Store,
    request: &'a QueryRequest,
    /// The outer query's scan: its groups and time range are a subquery's defaults.
    outer: &'a ScanRequest,
    counters: Arc<scan::ScanCounters>,
    /// Scans planned so far (each gets its own table name).
    scans: std::cell::Cell<usize>,
}

impl plan::Subqueries for StoreSubqueries<'_> {
    fn plan(&self, query: &Query, needs: &plan::SubqueryNeeds) -> Result<plan::SubqueryPlan> {
        let mut fields = referenced_fields(query);
        for f in &needs.fields {
            plan::push_unique(&mut fields, f);
        }
        let mut scan_request = ScanRequest {
            groups: self.outer.groups.clone(),
            start_ms: self.outer.start_ms,
            end_ms: self.outer.end_ms,
            numbers: fields.clone(),
            fields,
        };
        if let Some(source) = plan::source::source_of(query) {
            let names: Vec<String> = self.store.groups()?.into_iter().map(|g| g.name).collect();
            let selection = plan::source::resolve_source(source, &names, self.request.now_ms)?;
            scan_request.groups = selection.groups;
            scan_request.start_ms = selection.start_ms.or(self.outer.start_ms);
            scan_request.end_ms = selection.end_ms.or(self.outer.end_ms);
        }
        if let Some((start, end)) = needs.range {
            scan_request.start_ms = Some(start);
            scan_request.end_ms = Some(end);
        }
        let scan_plan = self
            .store
            .plan_scan(&scan_request, &hints::scan_hints(query))?;
        let n = self.scans.get() + 1;
        self.scans.set(n);
        let name = format!("{TABLE_NAME}_{n}");
        let table = StoreTable::new(scan_plan, &name).with_counters(Arc::clone(&self.counters));
        let builder = LogicalPlanBuilder::scan(name, provider_as_source(Arc::new(table)), None)?;
        let ctx = QueryContext {
            now_ms: self.request.now_ms,
            start_ms: scan_request.start_ms,
            end_ms: scan_request.end_ms,
        };
        let env = plan::Env {
            lookups: &self.request.lookups,
            subqueries: self,
        };
        let state = plan::plan_rows(query, builder, ctx, env, needs.finish)?;
        plan::SubqueryPlan::from_state(state)
    }
}

/// Plans and runs `query` over the events `request` selects.
pub async fn run_query(
    store: &Store,
    query: &Query,
    request: &QueryRequest,
) -> Result<QueryOutput> {
    let Prepared {
        ctx,
        physical,
        output,
        shown,
        counters,
        outer_scan,
        ..
    } = prepare(store, query, request).await?;
    let batches = collect(physical.clone(), ctx.task_ctx())
        .await
        .map_err(EngineError::from_execution)?;
    let rows = result::render_rows(&batches, &output);
    let records_scanned = counters.records_scanned();
    let records_matched = matched_rows(physical.as_ref(), &outer_scan, records_scanned);
    Ok(QueryOutput {
        fields: shown,
        rows,
        statistics: QueryStatistics {
            records_matched,
            records_scanned,
            bytes_scanned: counters.bytes_scanned(),
        },
    })
}

/// How `query` would run, without running it: what the store prunes before reading (segments
/// and blocks, and why), then DataFusion's physical plan, with the scan's projection and the
/// filter it evaluates before decoding the other columns.
pub async fn explain_query(store: &Store, query: &Query, request: &QueryRequest) -> Result<String> {
    let prepared = prepare(store, query, request).await?;
    let plan = datafusion::physical_plan::displayable(prepared.physical.as_ref()).indent(false);
    Ok(format!("{}\n\n{plan}", prepared.summary))
}

/// Events that matched the query: the rows flowing into the first aggregation (all scanned
/// rows when nothing filters them first), or else the rows that passed the last filter. Only
/// the operators between the result and the outer query's own scan count: what a subquery
/// filters or aggregates is not what the query matched.
fn matched_rows(plan: &dyn ExecutionPlan, outer: &Arc<loupe_store::ScanPlan>, scanned: u64) -> u64 {
    fn rows(plan: &dyn ExecutionPlan) -> Option<u64> {
        plan.metrics()
            .and_then(|m| m.output_rows())
            .map(|n| n as u64)
    }
    /// The operators from `plan` down to the outer scan, root first.
    fn path<'a>(
        plan: &'a dyn ExecutionPlan,
        outer: &Arc<loupe_store::ScanPlan>,
        out: &mut Vec<&'a dyn ExecutionPlan>,
    ) -> bool {
        out.push(plan);
        if plan
            .downcast_ref::<scan::StoreScanExec>()
            .is_some_and(|s| s.reads(outer))
        {
            return true;
        }
        for child in plan.children() {
            if path(child.as_ref(), outer, out) {
                return true;
            }
        }
        out.pop();
        false
    }
    let mut operators = Vec::new();
    if !path(plan, outer, &mut operators) {
        return scanned;
    }
    // The deepest aggregation on the path: what flows into it from below matched (from the
    // first operator below that counts its rows; a `CooperativeExec` does not).
    if let Some(at) = operators
        .iter()
        .rposition(|p| matches!(p.name(), "AggregateExec" | "StoreAggregateExec"))
    {
        return operators[at + 1..]
            .iter()
            .find_map(|below| rows(*below))
            .unwrap_or(scanned);
    }
    // The last filter; or the scan itself when it filters (with what it kept past an early
    // stop, which it counted without returning).
    if let Some(filter) = operators.iter().find(|p| p.name() == "FilterExec") {
        return rows(*filter).unwrap_or(scanned);
    }
    operators
        .last()
        .and_then(|s| s.downcast_ref::<scan::StoreScanExec>())
        .filter(|s| s.filters_exactly())
        .and_then(|s| Some(rows(s)? + s.matched_past_stop()))
        .unwrap_or(scanned)
}
