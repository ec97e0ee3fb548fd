//! Grouping in the scan: the first (partial) phase of a `stats ... by` read straight from the
//! store's blocks.
//!
//! DataFusion's partial aggregation hashes every row's group values: for `stats count(*) by
//! service` most of the query's time went to building a string per row and interning it. The
//! store already knows better: a block keeps a text field as a dictionary and a code per row.
//! [`StoreAggregateExec`] takes the place of a partial `AggregateExec` that reads a
//! [`StoreScanExec`] directly: it asks the scan for dictionary arrays for the text fields that
//! are group keys and nothing else, gives each distinct value of a block's dictionary a group
//! key once (not once per row), and gives timestamps (`bin(...)`), integers and booleans
//! theirs through a small map with a one-entry cache (rows of a block come in time order, so
//! consecutive rows mostly share a bin). The aggregates themselves are DataFusion's own
//! accumulators, updated with those group indices, and the node emits exactly the partial
//! state the replaced node would have: the final phase above it is unchanged. Like DataFusion's
//! partial aggregation it holds its groups within the query's memory pool, emitting what it has
//! early when the pool refuses more.
//!
//! It stands in only where it is equivalent: a single set of one to four group expressions of
//! text, integer, timestamp or boolean type, aggregates without an ordering (`earliest`,
//! `latest` and text `min`/`max` keep DataFusion's operator), no limit pushed into the
//! aggregation, and a scan read in full.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Int64Type, SchemaRef, TimeUnit, TimestampMillisecondType, UInt32Type,
};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{DataFusionError, HashMap, Result as DfResult, ScalarValue};
use datafusion::execution::TaskContext;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::logical_expr::{EmitTo, GroupsAccumulator};
use datafusion::physical_expr::aggregate::AggregateFunctionExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::utils::collect_columns;
use datafusion::physical_expr::{EquivalenceProperties, GroupsAccumulatorAdapter, PhysicalExpr};
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, Partitioning,
    PlanProperties, SendableRecordBatchStream,
};

use crate::scan::{PartitionBatches, StoreScanExec};

/// Group keys at most: a group's key ids pack into one `u128`.
const MAX_KEYS: usize = 4;
/// Two keys' groups are found in a table indexed by both ids while both are below this...
const DENSE_SIDE: usize = 1 << 14;
/// ...and the table has at most this many cells (4 MiB).
const DENSE_CELLS: usize = 1 << 20;

/// Replaces every partial aggregation over a store scan that [`StoreAggregateExec`] can do,
/// unless the request asks for DataFusion's own (`plain_aggregation`).
pub fn push_into_scans(
    plan: Arc<dyn ExecutionPlan>,
    request: &crate::QueryRequest,
) -> DfResult<Arc<dyn ExecutionPlan>> {
    if request.plain_aggregation {
        return Ok(plan);
    }
    Ok(plan
        .transform_up(|node| {
            let Some(agg) = node.downcast_ref::<AggregateExec>() else {
                return Ok(Transformed::no(node));
            };
            match StoreAggregateExec::try_new(agg)? {
                Some(exec) => Ok(Transformed::yes(Arc::new(exec) as Arc<dyn ExecutionPlan>)),
                None => Ok(Transformed::no(node)),
            }
        })?
        .data)
}

/// A partial aggregation grouped in the store scan (see the module documentation).
#[derive(Debug)]
pub struct StoreAggregateExec {
    scan: Arc<dyn ExecutionPlan>,
    /// What it computes, shared with its partitions' groupings.
    shape: Arc<Shape>,
    group_names: Vec<String>,
    /// Scan output columns read as dictionary arrays: text group keys used nowhere else.
    dictionaries: Vec<usize>,
    properties: Arc<PlanProperties>,
}

fn groupable(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Utf8
            | DataType::Int64
            | DataType::Boolean
            | DataType::Timestamp(TimeUnit::Millisecond, _)
    )
}

impl StoreAggregateExec {
    /// The node standing in for `agg`, when `agg` is a partial aggregation it can do.
    fn try_new(agg: &AggregateExec) -> DfResult<Option<StoreAggregateExec>> {
        let input = agg.input();
        let Some(scan) = input.downcast_ref::<StoreScanExec>() else {
            return Ok(None);
        };
        let groups = agg.group_expr();
        if *agg.mode() != AggregateMode::Partial
            || !groups.is_single()
            || groups.expr().is_empty()
            || groups.expr().len() > MAX_KEYS
            || agg.limit_options().is_some()
            || scan.stops_early()
            || agg.aggr_expr().iter().any(|a| !a.order_bys().is_empty())
        {
            return Ok(None);
        }
        let input_schema = input.schema();
        for (expr, _) in groups.expr() {
            if !groupable(&expr.data_type(&input_schema)?) {
                return Ok(None);
            }
        }
        // Text group keys that are plain columns read nowhere else come as dictionaries.
        let mut elsewhere: Vec<usize> = Vec::new();
        let mut note = |e: &Arc<dyn PhysicalExpr>| {
            elsewhere.extend(collect_columns(e).iter().map(Column::index));
        };
        for a in agg.aggr_expr() {
            a.expressions().iter().for_each(&mut note);
        }
        agg.filter_expr().iter().flatten().for_each(&mut note);
        let bare: Vec<Option<usize>> = groups
            .expr()
            .iter()
            .map(|(e, _)| e.downcast_ref::<Column>().map(Column::index))
            .collect();
        for ((e, _), b) in groups.expr().iter().zip(&bare) {
            if b.is_none() {
                note(e);
            }
        }
        let mut dictionaries: Vec<usize> = Vec::new();
        for &i in bare.iter().flatten() {
            let once = bare.iter().filter(|b| **b == Some(i)).count() == 1;
            if once
                && !elsewhere.contains(&i)
                && input_schema.field(i).data_type() == &DataType::Utf8
            {
                dictionaries.push(i);
            }
        }
        let schema = agg.schema();
        let properties = PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(input.output_partitioning().partition_count()),
            EmissionType::Final,
            Boundedness::Bounded,
        );
        Ok(Some(StoreAggregateExec {
            scan: Arc::clone(input),
            shape: Arc::new(Shape {
                group_exprs: groups.expr().iter().map(|(e, _)| Arc::clone(e)).collect(),
                aggregates: agg.aggr_expr().to_vec(),
                filters: agg.filter_expr().to_vec(),
                schema,
            }),
            group_names: groups.expr().iter().map(|(_, n)| n.clone()).collect(),
            dictionaries,
            properties: Arc::new(properties),
        }))
    }
}

impl DisplayAs for StoreAggregateExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let aggregates: Vec<&str> = self.shape.aggregates.iter().map(|a| a.name()).collect();
        write!(
            f,
            "StoreAggregateExec: mode=Partial, gby=[{}], aggr=[{}]",
            self.group_names.join(", "),
            aggregates.join(", ")
        )?;
        if !self.dictionaries.is_empty() {
            let names: Vec<String> = self
                .dictionaries
                .iter()
                .map(|&i| self.scan.schema().field(i).name().clone())
                .collect();
            write!(f, ", by dictionary codes: [{}]", names.join(", "))?;
        }
        Ok(())
    }
}

impl ExecutionPlan for StoreAggregateExec {
    fn name(&self) -> &'static str {
        "StoreAggregateExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.scan]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        for e in &self.shape.group_exprs {
            if f(e)? == TreeNodeRecursion::Stop {
                return Ok(TreeNodeRecursion::Stop);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        match children.as_slice() {
            [scan] if scan.downcast_ref::<StoreScanExec>().is_some() => {
                Ok(Arc::new(StoreAggregateExec {
                    scan: Arc::clone(scan),
                    shape: Arc::clone(&self.shape),
                    group_names: self.group_names.clone(),
                    dictionaries: self.dictionaries.clone(),
                    properties: Arc::clone(&self.properties),
                }))
            }
            _ => Err(DataFusionError::Internal(
                "StoreAggregateExec reads one store scan".to_owned(),
            )),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        let Some(scan) = self.scan.downcast_ref::<StoreScanExec>() else {
            return Err(DataFusionError::Internal(
                "StoreAggregateExec reads one store scan".to_owned(),
            ));
        };
        let batches = scan.partition_batches(partition, self.dictionaries.clone())?;
        let accumulators = self
            .shape
            .aggregates
            .iter()
            .map(groups_accumulator)
            .collect::<DfResult<Vec<_>>>()?;
        let keys = self
            .shape
            .group_exprs
            .iter()
            .map(|e| Ok(Key::new(e.data_type(&self.scan.schema())?)))
            .collect::<DfResult<Vec<_>>>()?;
        let reservation = MemoryConsumer::new(format!("StoreAggregateExec[{partition}]"))
            .register(context.memory_pool());
        let grouping = Grouping {
            node: Arc::clone(&self.shape),
            batches: Some(batches),
            keys,
            groups: HashMap::default(),
            composite: Vec::new(),
            dense: Vec::new(),
            dense_cells: 0,
            last: None,
            accumulators,
            reservation,
            ready: Vec::new(),
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.shape.schema),
            futures::stream::iter(grouping),
        )))
    }
}

/// DataFusion's groups accumulator for `a`, through its adapter when it has none of its own
/// (as DataFusion's own grouping does).
fn groups_accumulator(a: &Arc<AggregateFunctionExpr>) -> DfResult<Box<dyn GroupsAccumulator>> {
    if a.groups_accumulator_supported() {
        a.create_groups_accumulator()
    } else {
        let a = Arc::clone(a);
        Ok(Box::new(GroupsAccumulatorAdapter::new(move || {
            a.create_accumulator()
        })))
    }
}

/// What the node computes (the replaced node's groups, aggregates, filters and output
/// schema), shared by its partitions.
#[derive(Debug)]
struct Shape {
    group_exprs: Vec<Arc<dyn PhysicalExpr>>,
    aggregates: Vec<Arc<AggregateFunctionExpr>>,
    filters: Vec<Option<Arc<dyn PhysicalExpr>>>,
    schema: SchemaRef,
}

/// One group key's distinct values, each with a dense id.
struct Key {
    data_type: DataType,
    /// The values by id.
    values: Vec<ScalarValue>,
    texts: HashMap<Box<str>, u32>,
    numbers: HashMap<i64, u32>,
    null: Option<u32>,
    /// The last number looked up and its id.
    last: Option<(i64, u32)>,
}

impl Key {
    fn new(data_type: DataType) -> Key {
        Key {
            data_type,
            values: Vec::new(),
            texts: HashMap::default(),
            numbers: HashMap::default(),
            null: None,
            last: None,
        }
    }

    fn reset(&mut self) {
        *self = Key::new(self.data_type.clone());
    }

    fn push(&mut self, value: ScalarValue) -> u32 {
        self.values.push(value);
        (self.values.len() - 1) as u32
    }

    fn null(&mut self) -> DfResult<u32> {
        if let Some(id) = self.null {
            return Ok(id);
        }
        let id = self.push(ScalarValue::try_from(&self.data_type)?);
        self.null = Some(id);
        Ok(id)
    }

    fn text(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.texts.get(s) {
            return id;
        }
        let id = self.push(ScalarValue::Utf8(Some(s.to_owned())));
        self.texts.insert(s.into(), id);
        id
    }

    fn number(&mut self, v: i64) -> u32 {
        if let Some((last, id)) = self.last
            && last == v
        {
            return id;
        }
        let id = match self.numbers.get(&v) {
            Some(&id) => id,
            None => {
                let value = match &self.data_type {
                    DataType::Timestamp(_, tz) => {
                        ScalarValue::TimestampMillisecond(Some(v), tz.clone())
                    }
                    DataType::Boolean => ScalarValue::Boolean(Some(v != 0)),
                    _ => ScalarValue::Int64(Some(v)),
                };
                let id = self.push(value);
                self.numbers.insert(v, id);
                id
            }
        };
        self.last = Some((v, id));
        id
    }

    /// The id of each row's value of `array`, into `out`.
    fn ids(&mut self, array: &ArrayRef, out: &mut Vec<u32>) -> DfResult<()> {
        out.clear();
        match array.data_type() {
            DataType::Dictionary(k, v) if **k == DataType::UInt32 && **v == DataType::Utf8 => {
                let dict = array.as_dictionary::<UInt32Type>();
                let values = dict.values().as_string::<i32>();
                // Each dictionary entry gets its id when a row first uses it.
                let mut ids = vec![u32::MAX; values.len()];
                for code in dict.keys() {
                    out.push(match code {
                        None => self.null()?,
                        Some(c) => {
                            let c = c as usize;
                            if ids[c] == u32::MAX {
                                ids[c] = if values.is_null(c) {
                                    self.null()?
                                } else {
                                    self.text(values.value(c))
                                };
                            }
                            ids[c]
                        }
                    });
                }
            }
            DataType::Utf8 => {
                for v in array.as_string::<i32>() {
                    out.push(match v {
                        None => self.null()?,
                        Some(s) => self.text(s),
                    });
                }
            }
            DataType::Int64 => self.numbers(array.as_primitive::<Int64Type>().iter(), out)?,
            DataType::Timestamp(TimeUnit::Millisecond, _) => {
                let times = array.as_primitive::<TimestampMillisecondType>();
                self.numbers(times.iter(), out)?;
            }
            DataType::Boolean => {
                let flags = array.as_boolean().iter();
                self.numbers(flags.map(|v| v.map(i64::from)), out)?;
            }
            other => {
                return Err(DataFusionError::Internal(format!(
                    "StoreAggregateExec cannot group by {other}"
                )));
            }
        }
        Ok(())
    }

    /// The id of each of `values` (integers, timestamps or booleans as numbers), into `out`.
    fn numbers(
        &mut self,
        values: impl Iterator<Item = Option<i64>>,
        out: &mut Vec<u32>,
    ) -> DfResult<()> {
        for v in values {
            out.push(match v {
                None => self.null()?,
                Some(v) => self.number(v),
            });
        }
        Ok(())
    }

    /// The values of `ids`, as an array of `data_type`.
    fn array(&self, ids: impl Iterator<Item = u32>, data_type: &DataType) -> DfResult<ArrayRef> {
        let array = ScalarValue::iter_to_array(ids.map(|id| self.values[id as usize].clone()))?;
        Ok(if array.data_type() == data_type {
            array
        } else {
            cast(&array, data_type)?
        })
    }

    fn size(&self) -> usize {
        self.values.capacity() * std::mem::size_of::<ScalarValue>()
            + self.texts.capacity() * 24
            + self.texts.keys().map(|k| k.len()).sum::<usize>()
            + self.numbers.capacity() * 16
    }
}

/// One partition's grouping: its batches, keys, groups and accumulators, yielding the
/// partial state once the batches are done (or early, when the memory pool says so).
struct Grouping {
    node: Arc<Shape>,
    batches: Option<PartitionBatches>,
    keys: Vec<Key>,
    /// Groups of several keys: the packed key ids and their group.
    groups: HashMap<u128, u32>,
    /// Per group (of several keys), its packed key ids.
    composite: Vec<u128>,
    /// Groups of two keys by their ids, while both are small (`u32::MAX`: none yet).
    dense: Vec<Vec<u32>>,
    /// Cells of `dense`.
    dense_cells: usize,
    last: Option<(u128, u32)>,
    accumulators: Vec<Box<dyn GroupsAccumulator>>,
    reservation: MemoryReservation,
    /// Output batches ready to hand out, last first.
    ready: Vec<RecordBatch>,
}

impl Grouping {
    fn group_count(&self) -> usize {
        match self.keys.as_slice() {
            [key] => key.values.len(),
            _ => self.composite.len(),
        }
    }

    fn add(&mut self, batch: &RecordBatch) -> DfResult<()> {
        let rows = batch.num_rows();
        let mut per_key: Vec<Vec<u32>> = Vec::with_capacity(self.keys.len());
        for (key, expr) in self.keys.iter_mut().zip(&self.node.group_exprs) {
            let array = expr.evaluate(batch)?.into_array(rows)?;
            let mut ids = Vec::with_capacity(rows);
            key.ids(&array, &mut ids)?;
            per_key.push(ids);
        }
        let groups: Vec<usize> = if let [ids] = per_key.as_slice() {
            ids.iter().map(|&id| id as usize).collect()
        } else if let [a, b] = per_key.as_slice() {
            (0..rows).map(|r| self.pair(a[r], b[r]) as usize).collect()
        } else {
            (0..rows)
                .map(|r| {
                    let packed = per_key
                        .iter()
                        .fold(0u128, |acc, ids| (acc << 32) | u128::from(ids[r]));
                    if let Some((last, g)) = self.last
                        && last == packed
                    {
                        return g as usize;
                    }
                    let next = self.composite.len() as u32;
                    let g = *self.groups.entry(packed).or_insert(next);
                    if g == next {
                        self.composite.push(packed);
                    }
                    self.last = Some((packed, g));
                    g as usize
                })
                .collect()
        };
        let total = self.group_count();
        for ((acc, aggregate), filter) in self
            .accumulators
            .iter_mut()
            .zip(&self.node.aggregates)
            .zip(&self.node.filters)
        {
            let values = aggregate
                .expressions()
                .iter()
                .map(|e| e.evaluate(batch)?.into_array(rows))
                .collect::<DfResult<Vec<_>>>()?;
            let filter: Option<BooleanArray> = match filter {
                Some(f) => Some(f.evaluate(batch)?.into_array(rows)?.as_boolean().clone()),
                None => None,
            };
            acc.update_batch(&values, &groups, filter.as_ref(), total)?;
        }
        Ok(())
    }

    /// The group of two keys' ids (see [`pair_group`]).
    fn pair(&mut self, x: u32, y: u32) -> u32 {
        pair_group(
            &mut PairTables {
                dense: &mut self.dense,
                dense_cells: &mut self.dense_cells,
                groups: &mut self.groups,
                composite: &mut self.composite,
            },
            (x, y),
            (DENSE_SIDE, DENSE_CELLS),
        )
    }

    fn size(&self) -> usize {
        self.accumulators.iter().map(|a| a.size()).sum::<usize>()
            + self.dense_cells * 4
            + self.keys.iter().map(Key::size).sum::<usize>()
            + self.groups.capacity() * 24
            + self.composite.capacity() * 16
    }

    /// Moves every group's key values and partial state into an output batch, and starts
    /// over with no groups.
    fn emit(&mut self) -> DfResult<()> {
        let total = self.group_count();
        if total == 0 {
            return Ok(());
        }
        let schema = &self.node.schema;
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
        let n = self.keys.len();
        for (k, key) in self.keys.iter().enumerate() {
            let data_type = schema.field(k).data_type();
            columns.push(if n == 1 {
                key.array(0..total as u32, data_type)?
            } else {
                let shift = 32 * (n - 1 - k);
                key.array(
                    self.composite.iter().map(|&p| (p >> shift) as u32),
                    data_type,
                )?
            });
        }
        for acc in &mut self.accumulators {
            columns.extend(acc.state(EmitTo::All)?);
        }
        self.ready
            .push(RecordBatch::try_new(Arc::clone(schema), columns)?);
        self.keys.iter_mut().for_each(Key::reset);
        self.groups.clear();
        self.composite.clear();
        self.last = None;
        self.dense.clear();
        self.dense_cells = 0;
        Ok(())
    }

    /// Reads every batch of the partition, emitting early when the pool refuses the groups'
    /// memory.
    fn run(&mut self) -> DfResult<()> {
        let Some(batches) = self.batches.take() else {
            return Ok(());
        };
        for batch in batches {
            self.add(&batch?)?;
            if self.reservation.try_resize(self.size()).is_err() {
                self.emit()?;
                self.reservation.resize(self.size());
            }
        }
        self.emit()?;
        self.reservation.free();
        self.ready.reverse();
        Ok(())
    }
}

/// Where the groups of two keys are kept (fields of [`Grouping`]).
struct PairTables<'a> {
    dense: &'a mut Vec<Vec<u32>>,
    dense_cells: &'a mut usize,
    groups: &'a mut HashMap<u128, u32>,
    composite: &'a mut Vec<u128>,
}

/// The group of two keys' ids `(x, y)`, a new one (its packed ids pushed to `composite`) when
/// the pair is new: found in a table indexed by both while both are below `side` and the
/// table has at most `cells` cells (most pairs: a few services by a few thousand bins), else
/// in the map of packed ids. A pair is looked up in the table first, so it stays where it
/// was put.
fn pair_group(t: &mut PairTables<'_>, (x, y): (u32, u32), (side, cells): (usize, usize)) -> u32 {
    let (i, j) = (x as usize, y as usize);
    if let Some(&g) = t.dense.get(i).and_then(|row| row.get(j))
        && g != u32::MAX
    {
        return g;
    }
    let packed = (u128::from(x) << 32) | u128::from(y);
    if let Some(&g) = t.groups.get(&packed) {
        return g;
    }
    let g = t.composite.len() as u32;
    t.composite.push(packed);
    let grows = (j + 1).saturating_sub(t.dense.get(i).map_or(0, Vec::len));
    if i < side && j < side && *t.dense_cells + grows <= cells {
        if t.dense.len() <= i {
            t.dense.resize_with(i + 1, Vec::new);
        }
        let row = &mut t.dense[i];
        if row.len() <= j {
            row.resize(j + 1, u32::MAX);
        }
        *t.dense_cells += grows;
        row[j] = g;
    } else {
        t.groups.insert(packed, g);
    }
    g
}

impl Iterator for Grouping {
    type Item = DfResult<RecordBatch>;

    fn next(&mut self) -> Option<DfResult<RecordBatch>> {
        if self.batches.is_some()
            && let Err(e) = self.run()
        {
            return Some(Err(e));
        }
        self.ready.pop().map(Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_keep_their_group_in_the_table_or_the_map() {
        let (mut dense, mut dense_cells, mut groups, mut composite) =
            (Vec::new(), 0, HashMap::default(), Vec::new());
        let mut t = PairTables {
            dense: &mut dense,
            dense_cells: &mut dense_cells,
            groups: &mut groups,
            composite: &mut composite,
        };
        // A small table: some pairs fit, others (large ids, or past the cell budget) go to
        // the map.
        let pairs: Vec<(u32, u32)> = (0..400u32).map(|k| ((k * 7) % 23, (k * 11) % 19)).collect();
        let first: Vec<u32> = pairs
            .iter()
            .map(|&p| pair_group(&mut t, p, (8, 20)))
            .collect();
        let again: Vec<u32> = pairs
            .iter()
            .rev()
            .map(|&p| pair_group(&mut t, p, (8, 20)))
            .collect();
        assert_eq!(first, again.into_iter().rev().collect::<Vec<_>>());
        for (&(x, y), &g) in pairs.iter().zip(&first) {
            assert_eq!(
                t.composite[g as usize],
                (u128::from(x) << 32) | u128::from(y)
            );
        }
        let distinct: std::collections::HashSet<(u32, u32)> = pairs.iter().copied().collect();
        assert_eq!(t.composite.len(), distinct.len());
        assert!(*t.dense_cells <= 20 && !t.groups.is_empty());
    }
}
