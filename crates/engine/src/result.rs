//! Result shaping: Arrow values rendered as Insights renders them.
//!
//! Every value is a string: timestamps `YYYY-MM-DD HH:MM:SS.mmm` in UTC, booleans `1`/`0`,
//! integral numbers without a fraction, other numbers in their shortest round-trip form. A field
//! with no value in a row is left out of that row.

use chrono::DateTime;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{
    DataType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit,
    TimestampMillisecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

/// One `{field, value}` cell of a result row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultField {
    pub field: String,
    pub value: String,
}

/// Renders epoch milliseconds as Insights does.
pub fn format_timestamp(ms: i64) -> String {
    match DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        None => ms.to_string(),
    }
}

/// Renders a float the way Insights prints numbers.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Renders every row of `batches`, naming cells by `names` (the batches' columns in order).
pub fn render_rows(batches: &[RecordBatch], names: &[String]) -> Vec<Vec<ResultField>> {
    let mut rows = Vec::new();
    for batch in batches {
        for row in 0..batch.num_rows() {
            let mut cells = Vec::with_capacity(names.len());
            for (column, name) in batch.columns().iter().zip(names) {
                if let Some(value) = render_value(column.as_ref(), row) {
                    cells.push(ResultField {
                        field: name.clone(),
                        value,
                    });
                }
            }
            rows.push(cells);
        }
    }
    rows
}

/// The Insights text of one value, or `None` when it is missing.
pub fn render_value(array: &dyn Array, row: usize) -> Option<String> {
    if array.is_null(row) {
        return None;
    }
    macro_rules! int {
        ($t:ty) => {
            array.as_primitive::<$t>().value(row).to_string()
        };
    }
    Some(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(row).to_owned(),
        DataType::LargeUtf8 => array.as_string::<i64>().value(row).to_owned(),
        DataType::Utf8View => array.as_string_view().value(row).to_owned(),
        DataType::Boolean => (if array.as_boolean().value(row) {
            "1"
        } else {
            "0"
        })
        .to_owned(),
        DataType::Int8 => int!(Int8Type),
        DataType::Int16 => int!(Int16Type),
        DataType::Int32 => int!(Int32Type),
        DataType::Int64 => int!(Int64Type),
        DataType::UInt8 => int!(UInt8Type),
        DataType::UInt16 => int!(UInt16Type),
        DataType::UInt32 => int!(UInt32Type),
        DataType::UInt64 => int!(UInt64Type),
        // A number that is not finite (`log(0)`, `sqrt(-1)`) is no value Insights shows.
        DataType::Float32 => {
            let v = f64::from(array.as_primitive::<Float32Type>().value(row));
            v.is_finite().then(|| format_number(v))?
        }
        DataType::Float64 => {
            let v = array.as_primitive::<Float64Type>().value(row);
            v.is_finite().then(|| format_number(v))?
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            format_timestamp(array.as_primitive::<TimestampMillisecondType>().value(row))
        }
        _ => {
            let options = FormatOptions::default();
            let formatter = ArrayFormatter::try_new(array, &options).ok()?;
            formatter.value(row).to_string()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_insights() {
        assert_eq!(
            format_timestamp(1_793_491_200_123),
            "2026-11-01 00:00:00.123"
        );
        assert_eq!(format_number(42.0), "42");
        assert_eq!(format_number(-3.0), "-3");
        assert_eq!(format_number(2.5), "2.5");
        assert_eq!(format_number(0.1 + 0.2), "0.30000000000000004");
    }

    #[test]
    fn non_finite_numbers_are_missing() {
        use datafusion::arrow::array::Float64Array;
        let array = Float64Array::from(vec![f64::INFINITY, f64::NAN, 1.5]);
        assert_eq!(render_value(&array, 0), None);
        assert_eq!(render_value(&array, 1), None);
        assert_eq!(render_value(&array, 2).as_deref(), Some("1.5"));
    }
}
