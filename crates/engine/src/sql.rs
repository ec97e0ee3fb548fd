//! SQL over the same store (Athena style): one read-only statement over a table named `logs`
//! that holds the selected log groups' events in the time range, with the system fields and
//! every discovered field as columns (dotted names are quoted: `"http.status"`).
//!
//! It runs on the same DataFusion session setup, scan and result rendering as Insights queries,
//! so an Insights query and its SQL twin answer alike (tests/sql_twin.rs checks that).

use std::sync::Arc;

use datafusion::execution::context::SQLOptions;
use datafusion::physical_plan::collect;
use loupe_store::{ScanHints, ScanRequest, Store};

use crate::error::{EngineError, Result};
use crate::scan::StoreTable;
use crate::{QueryOutput, QueryRequest, QueryStatistics, matched_rows, result, session};

/// The table SQL statements read.
pub const SQL_TABLE: &str = "logs";

/// Runs one SQL statement over the events `request` selects.
pub async fn run_sql(store: &Store, sql: &str, request: &QueryRequest) -> Result<QueryOutput> {
    let fields = store.fields(&request.groups, request.start_ms, request.end_ms)?;
    let scan_request = ScanRequest {
        groups: request.groups.clone(),
        start_ms: request.start_ms,
        end_ms: request.end_ms,
        fields: fields.into_iter().map(|f| f.name).collect(),
    };
    let table = StoreTable::new(
        store.plan_scan(&scan_request, &ScanHints::default())?,
        SQL_TABLE,
    );
    let counters = table.counters();
    let ctx = session(request.memory_limit)?;
    ctx.register_table(SQL_TABLE, Arc::new(table))?;
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
    let batches = collect(physical.clone(), ctx.task_ctx()).await?;
    Ok(QueryOutput {
        rows: result::render_rows(&batches, &names),
        fields: names,
        statistics: QueryStatistics {
            records_matched: matched_rows(physical.as_ref(), counters.records_scanned()),
            records_scanned: counters.records_scanned(),
            bytes_scanned: counters.bytes_scanned(),
        },
    })
}
