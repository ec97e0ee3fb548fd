//! The store as a DataFusion table: a streaming, parallel scan instead of a materialised copy.
//!
//! [`StoreTable`] wraps a [`ScanPlan`] (the store has already pruned segments and blocks by
//! time range, streams, the `@message` token filter and field statistics). DataFusion pushes
//! the query's projection into it, so [`StoreScanExec`] decodes only the columns the query
//! reads: a `stats count(*) by service` never renders a `@message`. The scan's units (segment
//! blocks and unsealed WAL frames) are dealt round-robin over as many partitions as the
//! session has target partitions, each partition reading its units in scan order (newest first
//! unless the query sorts oldest first) and stopping early when the query needs only the first
//! `limit` rows in that order. Every filter DataFusion pushes down the scan evaluates itself
//! (`Exact`): on the filter's columns first, decoding the other columns for the kept rows
//! only, and past an early stop counting the rows it keeps without returning them.
//!
//! What the scan read is summed into [`ScanCounters`] unit by unit, so a running query can show
//! its progress; once it ends they are the query statistics `recordsScanned` and
//! `bytesScanned`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use datafusion::arrow::array::{Array, BooleanArray};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::DFSchema;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result as DfResult};
use datafusion::datasource::TableType;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::Expr;
use datafusion::logical_expr::TableProviderFilterPushDown;
use datafusion::logical_expr::utils::conjunction;
use datafusion::physical_expr::utils::{collect_columns, reassign_expr_columns};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    SendableRecordBatchStream,
};
use loupe_store::{RowFilter, ScanPlan, ScanReader, StoreError};

/// What a scan read, summed over its partitions as each one finishes.
#[derive(Debug, Default)]
pub struct ScanCounters {
    records: AtomicU64,
    bytes: AtomicU64,
}

impl ScanCounters {
    /// Events inside the time range the scan read.
    pub fn records_scanned(&self) -> u64 {
        self.records.load(Ordering::Relaxed)
    }

    /// Bytes of those events, with the 26-byte per-event overhead AWS counts.
    pub fn bytes_scanned(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

/// A planned store scan as a DataFusion table.
#[derive(Debug)]
pub struct StoreTable {
    plan: Arc<ScanPlan>,
    /// The name the table is registered under (what qualifies its columns in filters).
    name: String,
    counters: Arc<ScanCounters>,
}

impl StoreTable {
    pub fn new(plan: ScanPlan, name: &str) -> Self {
        StoreTable {
            plan: Arc::new(plan),
            name: name.to_owned(),
            counters: Arc::default(),
        }
    }

    /// Counts into `counters` (shared with whoever shows progress).
    pub fn with_counters(self, counters: Arc<ScanCounters>) -> Self {
        StoreTable { counters, ..self }
    }

    /// Where the scans of this table count what they read.
    pub fn counters(&self) -> Arc<ScanCounters> {
        Arc::clone(&self.counters)
    }

    /// The planned store scan this table reads.
    pub fn scan_plan(&self) -> Arc<ScanPlan> {
        Arc::clone(&self.plan)
    }
}

#[async_trait]
impl TableProvider for StoreTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(self.plan.schema())
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    /// Every filter is evaluated in the scan (`Exact`: DataFusion keeps no filter of its own
    /// above it), before the columns it does not read are decoded. `@message like "text"` the
    /// scan answers mostly from the stored templates, without rendering messages; any other
    /// filter is DataFusion's own expression, evaluated over the filter's columns.
    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Exact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let needles: Vec<String> = filters.iter().filter_map(message_needle).collect();
        let rest = filters
            .iter()
            .filter(|f| message_needle(f).is_none())
            .cloned();
        let filter = match conjunction(rest) {
            Some(predicate) => Some(self.row_filter(state, predicate)?),
            None => None,
        };
        let partitions = state
            .config()
            .target_partitions()
            .min(self.plan.unit_count())
            .max(1);
        Ok(Arc::new(StoreScanExec::new(
            Arc::clone(&self.plan),
            projection.cloned(),
            filter,
            needles,
            partitions,
            Arc::clone(&self.counters),
        )))
    }
}

/// Turns off the early stop of every scan that something other than a limit could drop rows
/// above (a filter the scan did not take over, a join): its first `limit` rows would then
/// not be the query's. Between a scan and the limit above it, only operators that keep every
/// row (projections, repartitioning, coalescing, a sort without a fetch) may stand.
pub fn guard_early_stops(plan: Arc<dyn ExecutionPlan>) -> DfResult<Arc<dyn ExecutionPlan>> {
    fn walk(plan: Arc<dyn ExecutionPlan>, dropped: bool) -> DfResult<Arc<dyn ExecutionPlan>> {
        if let Some(scan) = plan.downcast_ref::<StoreScanExec>() {
            return Ok(if dropped && scan.stops_early() {
                Arc::new(scan.without_early_stop())
            } else {
                plan
            });
        }
        let limits =
            plan.fetch().is_some() || matches!(plan.name(), "GlobalLimitExec" | "LocalLimitExec");
        let keeps_rows = matches!(
            plan.name(),
            "ProjectionExec"
                | "CoalescePartitionsExec"
                | "CoalesceBatchesExec"
                | "RepartitionExec"
                | "CooperativeExec"
                | "SortExec"
                | "SortPreservingMergeExec"
        );
        // Below a limit nothing has dropped rows yet; below anything else that may drop
        // rows, something has.
        let dropped = !limits && (dropped || !keeps_rows);
        let children: Vec<Arc<dyn ExecutionPlan>> = plan
            .children()
            .into_iter()
            .map(|c| walk(Arc::clone(c), dropped))
            .collect::<DfResult<_>>()?;
        datafusion::physical_plan::execution_plan::replace_children_if_necessary(plan, children)
    }
    walk(plan, false)
}

/// The text of a filter `contains(@message, 'text')` (what `@message like "text"` plans to):
/// a case-sensitive substring the scan decides exactly.
fn message_needle(e: &Expr) -> Option<String> {
    let Expr::ScalarFunction(f) = e else {
        return None;
    };
    match (f.name(), f.args.as_slice()) {
        ("contains", [Expr::Column(c), Expr::Literal(value, _)])
            if c.name == loupe_store::MESSAGE =>
        {
            value.try_as_str().flatten().map(str::to_owned)
        }
        _ => None,
    }
}

impl StoreTable {
    /// The store-side form of `predicate`: the columns it reads and its evaluation over a
    /// batch of just those columns.
    fn row_filter(&self, state: &dyn Session, predicate: Expr) -> DfResult<ScanFilter> {
        let schema = self.plan.schema();
        let df_schema = DFSchema::try_from_qualified_schema(self.name.as_str(), schema)?;
        let physical = state.create_physical_expr(predicate, &df_schema)?;
        let mut columns: Vec<usize> = collect_columns(&physical)
            .iter()
            .map(|c| c.index())
            .collect();
        columns.sort_unstable();
        columns.dedup();
        let narrow = schema.project(&columns)?;
        let physical = reassign_expr_columns(physical, &narrow)?;
        let text = physical.to_string();
        let eval = Arc::clone(&physical);
        let row_filter = RowFilter {
            columns,
            eval: Arc::new(move |batch: &RecordBatch| {
                let value = eval.evaluate(batch)?.into_array(batch.num_rows())?;
                let mask = value
                    .as_any()
                    .downcast_ref::<BooleanArray>()
                    .ok_or_else(|| {
                        DataFusionError::Internal(format!(
                            "scan filter gave {} values, not booleans",
                            value.data_type()
                        ))
                    })?
                    .clone();
                Ok(mask)
            }),
        };
        Ok(ScanFilter { row_filter, text })
    }
}

/// A filter pushed into the scan, with its text for plan displays.
#[derive(Debug, Clone)]
struct ScanFilter {
    row_filter: RowFilter,
    text: String,
}

/// The physical scan: one partition per share of the plan's units.
#[derive(Debug)]
pub struct StoreScanExec {
    plan: Arc<ScanPlan>,
    projection: Option<Vec<usize>>,
    filter: Option<ScanFilter>,
    /// Substrings every returned `@message` holds, decided by the scan (the filters it took
    /// over exactly).
    needles: Vec<String>,
    partitions: usize,
    /// Whether partitions may stop early when the plan needs only its first `limit` rows
    /// (off when a filter above the scan could drop some of the rows it returns).
    early_stop: bool,
    counters: Arc<ScanCounters>,
    /// Rows past an early stop that the scan's filter kept: counted, not returned.
    matched_past_stop: Arc<AtomicU64>,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl StoreScanExec {
    fn new(
        plan: Arc<ScanPlan>,
        projection: Option<Vec<usize>>,
        filter: Option<ScanFilter>,
        needles: Vec<String>,
        partitions: usize,
        counters: Arc<ScanCounters>,
    ) -> Self {
        let schema = Arc::clone(plan.reader(0, 1, projection.clone(), None).schema());
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema),
            Partitioning::UnknownPartitioning(partitions),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        StoreScanExec {
            plan,
            projection,
            filter,
            needles,
            partitions,
            early_stop: true,
            counters,
            matched_past_stop: Arc::default(),
            properties: Arc::new(properties),
            metrics: ExecutionPlanMetricsSet::new(),
        }
    }

    /// This scan reading every unit in full (see [`ScanReader::without_early_stop`]).
    pub fn without_early_stop(&self) -> Self {
        let mut scan = Self::new(
            Arc::clone(&self.plan),
            self.projection.clone(),
            self.filter.clone(),
            self.needles.clone(),
            self.partitions,
            Arc::clone(&self.counters),
        );
        scan.early_stop = false;
        scan
    }
}

impl StoreScanExec {
    /// The batches of partition `partition`, counting what they read into the query's
    /// counters; `dictionaries` as [`ScanReader::with_dictionaries`] (indices into this
    /// node's output schema), for a consumer that takes such batches.
    pub(crate) fn partition_batches(
        &self,
        partition: usize,
        dictionaries: Vec<usize>,
    ) -> DfResult<PartitionBatches> {
        if partition >= self.partitions {
            return Err(DataFusionError::Internal(format!(
                "StoreScanExec has {} partitions, not {}",
                self.partitions,
                partition + 1
            )));
        }
        let dictionaries = dictionaries
            .into_iter()
            .map(|i| self.projection.as_ref().map_or(i, |p| p[i]))
            .collect();
        let mut reader = self
            .plan
            .reader(
                partition,
                self.partitions,
                self.projection.clone(),
                self.filter.as_ref().map(|f| f.row_filter.clone()),
            )
            .with_exact_needles(self.needles.clone())
            .with_dictionaries(dictionaries);
        if !self.early_stop {
            reader = reader.without_early_stop();
        }
        Ok(PartitionBatches {
            reader,
            counters: Arc::clone(&self.counters),
            matched_past_stop: Arc::clone(&self.matched_past_stop),
            metrics: BaselineMetrics::new(&self.metrics, partition),
            done: false,
            counted: (0, 0, 0),
        })
    }

    /// Whether this node reads the planned scan `plan` (and not another query's scan).
    pub fn reads(&self, plan: &Arc<ScanPlan>) -> bool {
        Arc::ptr_eq(&self.plan, plan)
    }

    /// Whether this scan filters rows itself (no filter above it sees them first).
    pub fn filters_exactly(&self) -> bool {
        !self.needles.is_empty() || self.filter.is_some()
    }

    /// Whether this scan may stop before reading everything (the plan needs only its first
    /// rows in time order).
    pub fn stops_early(&self) -> bool {
        self.early_stop && self.plan.limit().is_some()
    }

    /// Rows the scan's filter kept past an early stop: with the rows it returned, every row
    /// of the range it keeps (the query's `recordsMatched` when nothing filters above).
    pub fn matched_past_stop(&self) -> u64 {
        self.matched_past_stop.load(Ordering::Relaxed)
    }
}

impl DisplayAs for StoreScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let columns: Vec<String> = self
            .properties
            .eq_properties
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        write!(
            f,
            "StoreScanExec: units={}, partitions={}, projection=[{}]",
            self.plan.unit_count(),
            self.partitions,
            columns.join(", ")
        )?;
        if !self.needles.is_empty() {
            write!(f, ", @message holds {:?}", self.needles)?;
        }
        if let Some(filter) = &self.filter {
            write!(f, ", filter={}", filter.text)?;
        }
        if let (true, Some(limit)) = (self.stops_early(), self.plan.limit()) {
            write!(f, ", stops after {limit} rows in time order")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for StoreScanExec {
    fn name(&self) -> &'static str {
        "StoreScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            Err(DataFusionError::Internal(
                "StoreScanExec has no children".to_owned(),
            ))
        }
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        let batches = self.partition_batches(partition, Vec::new())?;
        let schema = Arc::clone(batches.reader.schema());
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            schema,
            futures::stream::iter(batches),
        )))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}

/// The batches of one partition; adds what the partition read to the counters when it ends.
pub(crate) struct PartitionBatches {
    reader: ScanReader,
    counters: Arc<ScanCounters>,
    matched_past_stop: Arc<AtomicU64>,
    metrics: BaselineMetrics,
    done: bool,
    /// Records, bytes and rows matched past the early stop already added to the counters.
    counted: (u64, u64, u64),
}

impl Iterator for PartitionBatches {
    type Item = DfResult<RecordBatch>;

    fn next(&mut self) -> Option<DfResult<RecordBatch>> {
        if self.done {
            return None;
        }
        let timer = self.metrics.elapsed_compute().timer();
        let next = self.reader.next();
        timer.done();
        self.count();
        match next {
            Some(Ok(batch)) => {
                self.metrics.record_output(batch.num_rows());
                Some(Ok(batch))
            }
            Some(Err(e)) => {
                self.done = true;
                Some(Err(match e {
                    // The filter's own error, as DataFusion reported it.
                    StoreError::Filter(source) => match source.downcast::<DataFusionError>() {
                        Ok(e) => *e,
                        Err(other) => DataFusionError::External(other),
                    },
                    e => DataFusionError::External(Box::new(e)),
                }))
            }
            None => {
                self.finish();
                None
            }
        }
    }
}

impl PartitionBatches {
    /// Adds what the reader read since the last call to the shared counters.
    fn count(&mut self) {
        let (records, bytes, matched) = (
            self.reader.records_scanned(),
            self.reader.bytes_scanned(),
            self.reader.matched_past_stop(),
        );
        self.counters
            .records
            .fetch_add(records - self.counted.0, Ordering::Relaxed);
        self.counters
            .bytes
            .fetch_add(bytes - self.counted.1, Ordering::Relaxed);
        self.matched_past_stop
            .fetch_add(matched - self.counted.2, Ordering::Relaxed);
        self.counted = (records, bytes, matched);
    }

    fn finish(&mut self) {
        if !self.done {
            self.done = true;
            self.metrics.done();
        }
        self.count();
    }
}

/// A partition dropped before its end (a `limit` above it was satisfied) still counts what it
/// read.
impl Drop for PartitionBatches {
    fn drop(&mut self) {
        self.finish();
    }
}

/// `@message` and `@ptr` computed at the end of a plan from `@rowid`, for just the rows the
/// query returns: a sort or limit then carries a number per row instead of the message.
#[derive(Debug, Clone)]
pub struct LateColumns {
    fetch_message: datafusion::logical_expr::ScalarUDF,
    fetch_ptr: datafusion::logical_expr::ScalarUDF,
    /// The query only shows `@message` (never filters, parses, sorts or computes with it).
    message: bool,
    /// The query only shows `@ptr`.
    ptr: bool,
}

impl LateColumns {
    /// The late columns for a query over `table`.
    pub fn for_query(table: &StoreTable, query: &loupe_lang::ast::Query) -> LateColumns {
        use datafusion::arrow::datatypes::DataType;
        use datafusion::logical_expr::{Signature, TypeSignature, Volatility};
        let udf = |what: Fetch, signature: Signature| {
            datafusion::logical_expr::ScalarUDF::new_from_impl(FetchUdf {
                plan: Arc::clone(&table.plan),
                what,
                signature,
            })
        };
        let ptr_signature = Signature::one_of(
            vec![
                TypeSignature::Exact(vec![DataType::UInt64]),
                TypeSignature::Exact(vec![DataType::UInt64, DataType::Utf8]),
            ],
            Volatility::Immutable,
        );
        LateColumns {
            fetch_message: udf(
                Fetch::Message,
                Signature::exact(vec![DataType::UInt64], Volatility::Immutable),
            ),
            fetch_ptr: udf(Fetch::Ptr, ptr_signature),
            message: only_shown(query, loupe_store::MESSAGE),
            ptr: only_shown(query, loupe_store::PTR),
        }
    }

    /// The expression for output column `name` when it is computed late (`None`: the plan's
    /// own column). A late `@ptr` beside a late `@message` hashes that message (one fetch for
    /// both, by DataFusion's common subexpression elimination); alone it fetches the message
    /// itself.
    pub fn expr(&self, name: &str) -> Option<Expr> {
        let rowid = || {
            Expr::Column(datafusion::common::Column::new_unqualified(
                loupe_store::ROWID,
            ))
        };
        let message = || self.fetch_message.call(vec![rowid()]);
        match name {
            loupe_store::MESSAGE if self.message => Some(message().alias(name)),
            loupe_store::PTR if self.ptr => {
                let args = if self.message {
                    vec![rowid(), message()]
                } else {
                    vec![rowid()]
                };
                Some(self.fetch_ptr.call(args).alias(name))
            }
            _ => None,
        }
    }
}

/// What a [`FetchUdf`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Fetch {
    /// `@message` of a `@rowid`.
    Message,
    /// `@ptr` of a `@rowid` (and its message, when the caller has it).
    Ptr,
}

/// Whether `query` uses the system field `name` only as a bare `fields`/`display` item (or not
/// at all), and never defines a field of that name.
fn only_shown(query: &loupe_lang::ast::Query, name: &str) -> bool {
    use loupe_lang::ast::{CommandKind, ExprKind};
    let mut stripped = query.clone();
    for command in &mut stripped.commands {
        if crate::referenced::defines(&command.kind)
            .iter()
            .any(|d| d == name)
        {
            return false;
        }
        if let CommandKind::Fields(items) | CommandKind::Display(items) = &mut command.kind {
            items.retain(|p| {
                !(p.alias.is_none() && matches!(&p.expr.kind, ExprKind::Field(f) if f.name == name))
            });
        }
    }
    !crate::referenced::referenced_fields(&stripped)
        .iter()
        .any(|f| f == name)
}

/// `@message` or `@ptr` of a `@rowid` column (see [`LateColumns`]).
#[derive(Debug)]
struct FetchUdf {
    plan: Arc<ScanPlan>,
    what: Fetch,
    signature: datafusion::logical_expr::Signature,
}

impl PartialEq for FetchUdf {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.plan, &other.plan) && self.what == other.what
    }
}

impl Eq for FetchUdf {}

impl std::hash::Hash for FetchUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.plan) as usize).hash(state);
        self.what.hash(state);
    }
}

impl datafusion::logical_expr::ScalarUDFImpl for FetchUdf {
    fn name(&self) -> &str {
        match self.what {
            Fetch::Message => "__loupe_fetch_message",
            Fetch::Ptr => "__loupe_fetch_ptr",
        }
    }

    fn signature(&self) -> &datafusion::logical_expr::Signature {
        &self.signature
    }

    fn return_type(
        &self,
        _args: &[datafusion::arrow::datatypes::DataType],
    ) -> DfResult<datafusion::arrow::datatypes::DataType> {
        Ok(datafusion::arrow::datatypes::DataType::Utf8)
    }

    fn invoke_with_args(
        &self,
        args: datafusion::logical_expr::ScalarFunctionArgs,
    ) -> DfResult<datafusion::logical_expr::ColumnarValue> {
        use datafusion::arrow::array::{StringArray, UInt64Array};
        let n = args.number_rows;
        let arrays = args
            .args
            .iter()
            .map(|a| a.to_array(n))
            .collect::<DfResult<Vec<_>>>()?;
        let wrong = || DataFusionError::Internal(format!("{}: wrong arguments", self.name()));
        let ids = arrays
            .first()
            .and_then(|a| a.as_any().downcast_ref::<UInt64Array>())
            .ok_or_else(wrong)?;
        let values = match self.what {
            Fetch::Message => self.plan.messages(ids.values()),
            Fetch::Ptr => {
                let fetched;
                let messages: Vec<&str> = match arrays.get(1) {
                    Some(a) => a
                        .as_any()
                        .downcast_ref::<StringArray>()
                        .ok_or_else(wrong)?
                        .iter()
                        .map(|m| m.unwrap_or(""))
                        .collect(),
                    None => {
                        fetched = self
                            .plan
                            .messages(ids.values())
                            .map_err(|e| DataFusionError::External(Box::new(e)))?;
                        fetched.iter().map(String::as_str).collect()
                    }
                };
                self.plan.pointers(ids.values(), &messages)
            }
        }
        .map_err(|e| DataFusionError::External(Box::new(e)))?;
        Ok(datafusion::logical_expr::ColumnarValue::Array(Arc::new(
            datafusion::arrow::array::StringArray::from(values),
        )))
    }
}
