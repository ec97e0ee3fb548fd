//! SQL over the same store (Athena style): one read-only statement over a table named `logs`
//! that holds the selected log groups' events in the time range, with the system fields and
//! every discovered field as columns (dotted names are quoted: `"http.status"`).
//!
//! It runs on the same DataFusion session setup, scan and result rendering as Insights queries,
//! so an Insights query and its SQL twin answer alike (tests/sql_twin.rs checks that).

use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::common::Column;
use datafusion::datasource::{ViewTable, provider_as_source};
use datafusion::execution::context::SQLOptions;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder};
use datafusion::physical_plan::collect;
use loupe_store::{ScanHints, ScanRequest, Store};

use crate::error::{EngineError, Result};
use crate::scan::StoreTable;
use crate::{QueryOutput, QueryRequest, QueryStatistics, matched_rows, result, session};

/// The table SQL statements read.
pub const SQL_TABLE: &str = "logs";

/// The scan under the `logs` view.
const SCAN_TABLE: &str = "__loupe_scan";

/// Runs one SQL statement over the events `request` selects.
pub async fn run_sql(store: &Store, sql: &str, request: &QueryRequest) -> Result<QueryOutput> {
    let fields = store.fields(&request.groups, request.start_ms, request.end_ms)?;
    let scan_request = ScanRequest {
        groups: request.groups.clone(),
        start_ms: request.start_ms,
        end_ms: request.end_ms,
        fields: fields.into_iter().map(|f| f.name).collect(),
        numbers: Vec::new(),
    };
    let table = StoreTable::new(
        store.plan_scan(&scan_request, &ScanHints::default())?,
        SCAN_TABLE,
    );
    let counters = table.counters();
    let scan_plan = table.scan_plan();
    // `logs` is a view of the scan without `@rowid` (a row's place in this one scan, for the
    // Insights planner's late columns; meaningless to a SQL user).
    let columns: Vec<Expr> = table
        .schema()
        .fields()
        .iter()
        .filter(|f| f.name() != loupe_store::ROWID)
        .map(|f| Expr::Column(Column::new(Some(SCAN_TABLE), f.name())))
        .collect();
    let view = LogicalPlanBuilder::scan(SCAN_TABLE, provider_as_source(Arc::new(table)), None)?
        .project(columns)?
        .build()?;
    let ctx = session(request.memory_limit)?;
    ctx.register_table(SQL_TABLE, Arc::new(ViewTable::new(view, None)))?;
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    let frame = ctx
        .sql_with_options(sql, options)
        .await
        .map_err(EngineError::Sql)?;
    let names: Vec<String> = frame
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let physical = frame.create_physical_plan().await?;
    let physical = crate::aggregate::push_into_scans(physical, request)?;
    let batches = collect(physical.clone(), ctx.task_ctx()).await?;
    Ok(QueryOutput {
        rows: result::render_rows(&batches, &names),
        fields: names,
        statistics: QueryStatistics {
            records_matched: matched_rows(
                physical.as_ref(),
                &scan_plan,
                counters.records_scanned(),
            ),
            records_scanned: counters.records_scanned(),
            bytes_scanned: counters.bytes_scanned(),
        },
    })
}
