//! `insights_percentile(values, p)`: the exact percentile of a list with linear interpolation
//! between the two nearest ranks (as DuckDB's `quantile_cont`). `pct(f, p)` aggregates the
//! values with `array_agg` and finishes with this, because DataFusion's `percentile_cont`
//! quantises the interpolation weight to 1e-6.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Float64Builder};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct InsightsPercentile {
    signature: Signature,
}

/// The UDF: `percentile().call(vec![list_of_f64, lit(p_in_0_to_100)])`.
pub fn percentile() -> ScalarUDF {
    let list = DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true)));
    ScalarUDF::new_from_impl(InsightsPercentile {
        signature: Signature::exact(vec![list, DataType::Float64], Volatility::Immutable),
    })
}

/// The `p`-th percentile (0–100) of `values`, or `None` when there are none.
pub fn exact(values: &mut [f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = (p / 100.0).clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let lower = rank.floor() as usize;
    let upper = (lower + 1).min(values.len() - 1);
    let weight = rank - lower as f64;
    Some(values[lower] + (values[upper] - values[lower]) * weight)
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
    }
}
