//! `insights_topk(values, k)`: the `k` most frequent values of a list, as a JSON array of
//! strings, most frequent first; values equally frequent come in the Insights sort order.
//! `topk(k, f)` in `stats` collects the values with `array_agg` and finishes with this.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::sort_key::encode;

/// The largest `k` Insights accepts.
pub const MAX_K: f64 = 10_000.0;

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct InsightsTopK {
    signature: Signature,
}

/// The UDF: `topk().call(vec![list_of_utf8, lit(k)])`.
pub fn topk() -> ScalarUDF {
    let list = DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)));
    ScalarUDF::new_from_impl(InsightsTopK {
        signature: Signature::exact(vec![list, DataType::Int64], Volatility::Immutable),
    })
}

/// The `k` most frequent of `values` (missing values skipped).
pub fn most_frequent<'a>(values: impl IntoIterator<Item = &'a str>, k: usize) -> Vec<&'a str> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let mut ranked: Vec<(&str, usize, Vec<u8>)> = counts
        .into_iter()
        .map(|(v, n)| {
            let mut key = Vec::new();
            encode(v, &mut key);
            (v, n, key)
        })
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.2.cmp(&b.2)));
    ranked.into_iter().take(k).map(|(v, _, _)| v).collect()
}

impl ScalarUDFImpl for InsightsTopK {
    fn name(&self) -> &str {
        "insights_topk"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [values, k] = args.args.as_slice() else {
            return exec_err!("insights_topk takes a list and k");
        };
        let n = args.number_rows;
        let lists = values.to_array(n)?;
        let lists = lists.as_list::<i32>();
        let ks = k.to_array(n)?;
        let ks = ks.as_primitive::<Int64Type>();
        let mut out = StringBuilder::with_capacity(n, 0);
        for row in 0..n {
            if lists.is_null(row) || ks.is_null(row) {
                out.append_null();
                continue;
            }
            let list = lists.value(row);
            let strings = list.as_string::<i32>();
            let k = usize::try_from(ks.value(row)).unwrap_or(0);
            let top = most_frequent(strings.iter().flatten(), k);
            out.append_value(serde_json::Value::from(top).to_string());
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_frequent_first_then_in_sort_order() {
        let values = ["b", "a", "b", "c", "a", "10", "9", "9", "10"];
        assert_eq!(most_frequent(values, 3), ["a", "b", "9"]);
        assert_eq!(most_frequent(values, 10).len(), 5);
        assert!(most_frequent(values, 0).is_empty());
    }
}
