//! `insights_sort_key(text) -> binary`: maps text to bytes whose byte order is Insights' sort
//! order, so that DataFusion's ordinary sort (and TopK) sorts text the Insights way.
//!
//! The order (spec §3.5, ascending): every non-number sorts before every number; numbers compare
//! by value; non-numbers are split into runs of digits and runs of other characters, other
//! characters compare by code point and a digit run compares, against another digit run, by
//! length and then by value, and against a character as its first digit would.
//!
//! Encoding: a number is `0x02`, its value as order-preserving big-endian f64 bits, then its
//! text (so equal values stay deterministic). A non-number is `0x01` followed by its characters,
//! each digit run replaced by `'0'`, the run's length as 4 big-endian bytes, and the digits. Only
//! digit runs start with a byte in `'0'..='9'`, so a run compares against a character exactly as
//! its first digit would, and two runs compare by length first.
//! Which texts count as numbers is spec [?]; Loupe takes what parses as a finite decimal number
//! (sign and fraction allowed), since discovered JSON numbers arrive as text.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BinaryBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct InsightsSortKey {
    signature: Signature,
}

impl Default for InsightsSortKey {
    fn default() -> Self {
        Self {
            signature: Signature::exact(vec![DataType::Utf8], Volatility::Immutable),
        }
    }
}

/// The UDF, ready to call: `sort_key().call(vec![expr])`.
pub fn sort_key() -> ScalarUDF {
    ScalarUDF::new_from_impl(InsightsSortKey::default())
}

impl ScalarUDFImpl for InsightsSortKey {
    fn name(&self) -> &str {
        "insights_sort_key"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Binary)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = args.args.as_slice() else {
            return exec_err!("insights_sort_key takes one argument");
        };
        let array = arg.to_array(args.number_rows)?;
        let strings = array.as_string::<i32>();
        let mut out = BinaryBuilder::with_capacity(strings.len(), strings.value_data().len() + 16);
        let mut key = Vec::new();
        for i in 0..strings.len() {
            if strings.is_null(i) {
                out.append_null();
                continue;
            }
            key.clear();
            encode(strings.value(i), &mut key);
            out.append_value(&key);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish()) as ArrayRef))
    }
}

fn as_number(text: &str) -> Option<f64> {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let mut parts = body.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let valid = match frac {
        None => digits(int),
        Some(f) => digits(int) && digits(f),
    };
    if !valid {
        return None;
    }
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Appends the sort key of `text` to `out`.
pub fn encode(text: &str, out: &mut Vec<u8>) {
    if let Some(v) = as_number(text) {
        out.push(0x02);
        let bits = v.to_bits();
        let ordered = if bits >> 63 == 1 {
            !bits
        } else {
            bits ^ (1 << 63)
        };
        out.extend_from_slice(&ordered.to_be_bytes());
        out.extend_from_slice(text.as_bytes());
        return;
    }
    out.push(0x01);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            out.push(b'0');
            out.extend_from_slice(&((i - start) as u32).to_be_bytes());
            out.extend_from_slice(&bytes[start..i]);
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        encode(s, &mut out);
        out
    }

    #[test]
    fn documented_ascending_order() {
        // The order the AWS sort documentation gives, numbers last.
        let want = [
            "!:",
            "#",
            "*%04",
            "0#",
            "5A",
            "111A",
            "2345_",
            "@",
            "@_",
            "A",
            "A9876fghj",
            "a12345hfh",
            "0",
            "01",
            "1",
            "2",
            "3",
        ];
        let mut got = want.to_vec();
        got.reverse();
        got.sort_by_key(|s| key(s));
        // "01" and "1" have the same value; their text breaks the tie.
        assert_eq!(got, want);
    }

    #[test]
    fn numbers_compare_by_value() {
        let mut got = vec!["120.5", "99.1", "-3", "7", "1e5"];
        got.sort_by_key(|s| key(s));
        assert_eq!(got, ["1e5", "-3", "7", "99.1", "120.5"]);
    }
}
