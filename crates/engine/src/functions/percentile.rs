//! The exact percentile with linear interpolation between the two nearest ranks (as DuckDB's
//! `quantile_cont`; DataFusion's `percentile_cont` quantises the interpolation weight to 1e-6):
//! `insights_pct(x, p)` is the aggregate behind `pct(f, p)` (the values are kept per group,
//! as plain vectors, and selected from when the group is done), `insights_percentile(values, p)`
//! the same over a list (for `outlier`).

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Float64Builder, ListArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{Result, ScalarValue, exec_err, not_impl_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, ColumnarValue, EmitTo, GroupsAccumulator,
    ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::physical_expr::expressions::Literal;

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct InsightsPercentile {
    signature: Signature,
}

/// The UDF: `percentile().call(vec![list_of_f64, lit(p_in_0_to_100)])`.
pub fn percentile() -> ScalarUDF {
    let list = DataType::List(super::float_list_field());
    ScalarUDF::new_from_impl(InsightsPercentile {
        signature: Signature::exact(vec![list, DataType::Float64], Volatility::Immutable),
    })
}

/// The `p`-th percentile (0–100) of `values`, or `None` when there are none. Reorders
/// `values` (selects the two ranks it needs rather than sorting them all).
pub fn exact(values: &mut [f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let rank = (p / 100.0).clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let lower = rank.floor() as usize;
    let weight = rank - lower as f64;
    let (_, &mut low, above) = values.select_nth_unstable_by(lower, f64::total_cmp);
    // The next rank up is the smallest value above the lower one.
    let high = above.iter().copied().min_by(f64::total_cmp).unwrap_or(low);
    Some(low + (high - low) * weight)
}

/// `insights_pct(x, p)`: the exact `p`-th percentile of the non-null `x` of a group, `p` a
/// literal from 0 to 100. Its state between partitions is the list of values.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Pct {
    signature: Signature,
}

/// The aggregate UDF: `pct().call(vec![number_expr, lit(p_in_0_to_100)])`.
pub fn pct() -> AggregateUDF {
    AggregateUDF::new_from_impl(Pct {
        signature: Signature::exact(
            vec![DataType::Float64, DataType::Float64],
            Volatility::Immutable,
        ),
    })
}

fn pct_of(args: &AccumulatorArgs<'_>) -> Result<f64> {
    let Some(lit) = args.exprs.get(1).and_then(|e| e.downcast_ref::<Literal>()) else {
        return not_impl_err!("insights_pct takes a literal percentile");
    };
    match lit.value() {
        ScalarValue::Float64(Some(p)) => Ok(*p),
        other => not_impl_err!("insights_pct takes a number as its percentile, not {other}"),
    }
}

impl AggregateUDFImpl for Pct {
    fn name(&self) -> &str {
        "insights_pct"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn accumulator(&self, args: AccumulatorArgs<'_>) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(PctOne {
            values: Vec::new(),
            p: pct_of(&args)?,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs<'_>) -> Result<Vec<FieldRef>> {
        let list = DataType::List(super::float_list_field());
        Ok(vec![Arc::new(Field::new(
            format!("{}[values]", args.name),
            list,
            true,
        ))])
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs<'_>) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs<'_>,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(PctGroups {
            values: Vec::new(),
            p: pct_of(&args)?,
        }))
    }
}

/// `insights_pct` of one group.
#[derive(Debug)]
struct PctOne {
    values: Vec<f64>,
    p: f64,
}

impl Accumulator for PctOne {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.values
            .extend(values[0].as_primitive::<Float64Type>().iter().flatten());
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(exact(&mut self.values, self.p)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.values.capacity() * 8
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let list = ListArray::from_iter_primitive::<Float64Type, _, _>(std::iter::once(Some(
            self.values.iter().map(|&v| Some(v)),
        )));
        Ok(vec![ScalarValue::List(Arc::new(list))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists = states[0].as_list::<i32>();
        for row in 0..lists.len() {
            if !lists.is_null(row) {
                let list = lists.value(row);
                self.values
                    .extend(list.as_primitive::<Float64Type>().iter().flatten());
            }
        }
        Ok(())
    }
}

/// `insights_pct` of many groups: a vector of values per group.
#[derive(Debug)]
struct PctGroups {
    values: Vec<Vec<f64>>,
    p: f64,
}

impl GroupsAccumulator for PctGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.values
            .resize_with(total_num_groups.max(self.values.len()), Vec::new);
        let values = values[0].as_primitive::<Float64Type>();
        for (row, &g) in group_indices.iter().enumerate() {
            if super::taken(values, opt_filter, row) {
                self.values[g].push(values.value(row));
            }
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let mut groups = emit_to.take_needed(&mut self.values);
        let out: Float64Array = groups.iter_mut().map(|v| exact(v, self.p)).collect();
        Ok(Arc::new(out))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let groups = emit_to.take_needed(&mut self.values);
        // One flat buffer of values and the offsets of each group's.
        let total: usize = groups.iter().map(Vec::len).sum();
        if i32::try_from(total).is_err() {
            return exec_err!("insights_pct: {total} values are more than a list holds");
        }
        let mut flat = Vec::with_capacity(total);
        let mut offsets = Vec::with_capacity(groups.len() + 1);
        offsets.push(0i32);
        for v in &groups {
            flat.extend_from_slice(v);
            offsets.push(flat.len() as i32);
        }
        let list = ListArray::try_new(
            super::float_list_field(),
            OffsetBuffer::new(offsets.into()),
            Arc::new(Float64Array::from(flat)),
            None,
        )?;
        Ok(vec![Arc::new(list)])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.values
            .resize_with(total_num_groups.max(self.values.len()), Vec::new);
        let lists = values[0].as_list::<i32>();
        let offsets = lists.value_offsets();
        let flat = lists.values().as_primitive::<Float64Type>();
        for (row, &g) in group_indices.iter().enumerate() {
            if lists.is_null(row) {
                continue;
            }
            let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
            if flat.null_count() == 0 {
                self.values[g].extend_from_slice(&flat.values()[start..end]);
            } else {
                let valid = (start..end).filter(|&i| flat.is_valid(i));
                self.values[g].extend(valid.map(|i| flat.value(i)));
            }
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let values = values[0].as_primitive::<Float64Type>();
        let list =
            ListArray::from_iter_primitive::<Float64Type, _, _>((0..values.len()).map(|row| {
                Some(super::taken(values, opt_filter, row).then(|| Some(values.value(row))))
            }));
        Ok(vec![Arc::new(list)])
    }

    fn size(&self) -> usize {
        self.values.capacity() * std::mem::size_of::<Vec<f64>>()
            + self.values.iter().map(|v| v.capacity() * 8).sum::<usize>()
    }
}

impl ScalarUDFImpl for InsightsPercentile {
    fn name(&self) -> &str {
        "insights_percentile"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [lists, p] = args.args.as_slice() else {
            return exec_err!("insights_percentile takes a list and a percentile");
        };
        let n = args.number_rows;
        let lists = lists.to_array(n)?;
        let lists = lists.as_list::<i32>();
        let p = p.to_array(n)?;
        let p = p.as_primitive::<Float64Type>();
        let mut out = Float64Builder::with_capacity(n);
        let mut values = Vec::new();
        for row in 0..n {
            if lists.is_null(row) || p.is_null(row) {
                out.append_null();
                continue;
            }
            let list = lists.value(row);
            let list = list.as_primitive::<Float64Type>();
            values.clear();
            values.extend(list.iter().flatten());
            out.append_option(exact(&mut values, p.value(row)));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_between_ranks() {
        assert_eq!(exact(&mut [3.0, 1.0, 2.0, 4.0], 50.0), Some(2.5));
        assert_eq!(exact(&mut [10.0, 20.0], 99.0), Some(19.9));
        assert_eq!(exact(&mut [5.0], 99.0), Some(5.0));
        assert_eq!(exact(&mut [1.0, 2.0, 3.0], 100.0), Some(3.0));
        assert_eq!(exact(&mut [], 50.0), None);
        assert_eq!(exact(&mut [7.0, 1.0, 7.0, 3.0], 50.0), Some(5.0));
    }

    #[test]
    fn selecting_agrees_with_sorting() {
        // A seeded walk over lists with repeats, every percentile a tenth apart.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for len in 1..40 {
            let values: Vec<f64> = (0..len).map(|_| (next() % 17) as f64 * 0.5).collect();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            for tenth in 0..=1000 {
                let p = f64::from(tenth) / 10.0;
                let rank = p / 100.0 * (len - 1) as f64;
                let (lo, hi) = (
                    rank.floor() as usize,
                    (rank.floor() as usize + 1).min(len - 1),
                );
                let want = sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64);
                assert_eq!(exact(&mut values.clone(), p), Some(want), "{values:?} p{p}");
            }
        }
    }
}
