//! `count_distinct` of text: the number of distinct non-missing values, exactly.
//!
//! Log fields counted this way are mostly short identifiers (user ids, request ids, IP
//! addresses): a value of up to 15 bytes is packed with its length into one `u128`, so adding
//! it hashes and compares one 16-byte number instead of following an offset into a byte buffer
//! (DataFusion's general set of strings). With hundreds of thousands of distinct values one
//! set of them is megabytes, and every insert a cache miss: the values are instead spread by
//! hash over [`BUCKETS`] small sets, buffered per set and added a set at a time, so that each
//! set is in cache while it takes its values (radix partitioning, as column stores do).
//! Longer values are kept as bytes in one set beside them. The state between partitions is
//! the list of distinct values, as DataFusion's `count(DISTINCT ...)` passes it.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{HashSet, Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};

/// The aggregate UDF: `count_distinct_text().call(vec![utf8_expr])`, an `Int64`.
pub fn count_distinct_text() -> AggregateUDF {
    AggregateUDF::new_from_impl(CountDistinctText {
        signature: Signature::exact(vec![DataType::Utf8], Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct CountDistinctText {
    signature: Signature,
}

impl AggregateUDFImpl for CountDistinctText {
    fn name(&self) -> &str {
        "insights_count_distinct"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn accumulator(&self, _args: AccumulatorArgs<'_>) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(DistinctTexts::default()))
    }

    fn state_fields(&self, args: StateFieldsArgs<'_>) -> Result<Vec<FieldRef>> {
        let list = DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)));
        Ok(vec![Arc::new(Field::new(
            format!("{}[values]", args.name),
            list,
            true,
        ))])
    }

    fn default_value(&self, _data_type: &DataType) -> Result<ScalarValue> {
        Ok(ScalarValue::Int64(Some(0)))
    }
}

/// Sets the short values are spread over (by the top bits of a hash of their packed form).
const BUCKETS: usize = 256;
/// Values buffered before they are added to their sets (a few megabytes: each set then
/// takes many values per visit).
const BUFFERED: usize = 1 << 18;

/// The distinct values seen: short ones packed (in `BUCKETS` sets, plus those buffered for
/// them), long ones as bytes.
#[derive(Debug)]
struct DistinctTexts {
    short: Vec<HashSet<u128>>,
    pending: Vec<Vec<u128>>,
    buffered: usize,
    long: HashSet<Box<[u8]>>,
    /// Bytes held by `long`.
    long_bytes: usize,
}

impl Default for DistinctTexts {
    fn default() -> Self {
        DistinctTexts {
            short: vec![HashSet::default(); BUCKETS],
            pending: vec![Vec::new(); BUCKETS],
            buffered: 0,
            long: HashSet::default(),
            long_bytes: 0,
        }
    }
}

/// The set a packed value belongs to.
fn bucket(packed: u128) -> usize {
    let folded = (packed as u64) ^ ((packed >> 64) as u64).rotate_left(31);
    (folded.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize
}

/// `value` and its length in one number (the bytes little-endian, the length in the top
/// byte), when it has at most 15 bytes.
fn pack(value: &[u8]) -> Option<u128> {
    let len = value.len();
    if len > 15 {
        return None;
    }
    let (lo, hi) = value.split_at(len.min(8));
    let packed = u128::from(load(lo)) | (u128::from(load(hi)) << 64) | ((len as u128) << 120);
    Some(packed)
}

/// Up to 8 bytes (`pack` never passes more) as a little-endian number, with two overlapping
/// loads instead of a copy through memory of a length known only at run time (which stalls
/// the load after it).
fn load(b: &[u8]) -> u64 {
    let n = b.len();
    match n {
        0 => 0,
        1 => u64::from(b[0]),
        2 | 3 => {
            let first = u64::from(u16::from_le_bytes([b[0], b[1]]));
            let last = u64::from(u16::from_le_bytes([b[n - 2], b[n - 1]]));
            first | (last << (8 * (n - 2)))
        }
        4..=7 => {
            let first = u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            let last = u64::from(u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]));
            first | (last << (8 * (n - 4)))
        }
        _ => u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
    }
}

fn unpack(packed: &u128) -> ([u8; 16], usize) {
    let bytes = packed.to_le_bytes();
    let len = usize::from(bytes[15]);
    (bytes, len)
}

impl DistinctTexts {
    fn insert(&mut self, value: &str) {
        match pack(value.as_bytes()) {
            Some(p) => {
                self.pending[bucket(p)].push(p);
                self.buffered += 1;
            }
            None => {
                if !self.long.contains(value.as_bytes()) {
                    self.long_bytes += value.len();
                    self.long.insert(value.as_bytes().into());
                }
            }
        }
    }

    fn insert_all(&mut self, values: &ArrayRef) -> Result<()> {
        let Some(values) = values.as_string_opt::<i32>() else {
            return exec_err!(
                "insights_count_distinct takes text, not {}",
                values.data_type()
            );
        };
        if values.null_count() == 0 {
            for i in 0..values.len() {
                self.insert(values.value(i));
            }
        } else {
            for v in values.iter().flatten() {
                self.insert(v);
            }
        }
        if self.buffered >= BUFFERED {
            self.flush();
        }
        Ok(())
    }

    /// Adds the buffered values to their sets, a set at a time.
    fn flush(&mut self) {
        for (set, pending) in self.short.iter_mut().zip(&mut self.pending) {
            set.extend(pending.drain(..));
        }
        self.buffered = 0;
    }

    fn count(&mut self) -> usize {
        self.flush();
        self.short.iter().map(HashSet::len).sum::<usize>() + self.long.len()
    }
}

impl Accumulator for DistinctTexts {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.insert_all(&values[0])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Int64(Some(self.count() as i64)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self.short.iter().map(|s| s.capacity() * 17).sum::<usize>()
            + self
                .pending
                .iter()
                .map(|p| p.capacity() * 16)
                .sum::<usize>()
            + self.long.capacity() * 17
            + self.long_bytes
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let count = self.count();
        let mut out = StringBuilder::with_capacity(count, count * 8 + self.long_bytes);
        for p in self.short.iter().flatten() {
            let (bytes, len) = unpack(p);
            // Packed from a `&str`: the bytes are UTF-8.
            match std::str::from_utf8(&bytes[..len]) {
                Ok(s) => out.append_value(s),
                Err(e) => return exec_err!("insights_count_distinct: {e}"),
            }
        }
        for v in &self.long {
            match std::str::from_utf8(v) {
                Ok(s) => out.append_value(s),
                Err(e) => return exec_err!("insights_count_distinct: {e}"),
            }
        }
        let values: ArrayRef = Arc::new(out.finish());
        Ok(vec![ScalarValue::List(Arc::new(
            datafusion::arrow::array::ListArray::new(
                Arc::new(Field::new_list_field(DataType::Utf8, true)),
                datafusion::arrow::buffer::OffsetBuffer::from_lengths([values.len()]),
                values,
                None,
            ),
        ))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists = states[0].as_list::<i32>();
        for row in 0..lists.len() {
            if !lists.is_null(row) {
                self.insert_all(&lists.value(row))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::StringArray;

    #[test]
    fn packing_keeps_every_byte_and_the_length() {
        for len in 0..=15 {
            let value: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(37) ^ 0xa5).collect();
            let packed = pack(&value).unwrap();
            let (bytes, n) = unpack(&packed);
            assert_eq!((&bytes[..n], n), (value.as_slice(), len));
            assert!(bytes[n..15].iter().all(|&b| b == 0), "{len}");
        }
        assert_eq!(pack(&[0u8; 16]), None);
        assert_ne!(pack(b"a"), pack(b"a\0"));
    }

    #[test]
    fn counts_each_value_once_whatever_its_length() {
        let mut acc = DistinctTexts::default();
        let values: ArrayRef = Arc::new(StringArray::from(vec![
            Some("a"),
            Some("a\0"),
            Some(""),
            None,
            Some("exactly-15-byte"),
            Some("sixteen-bytes-xx"),
            Some("sixteen-bytes-xx"),
            Some("a"),
            Some("é"),
        ]));
        acc.update_batch(&[values]).unwrap();
        assert_eq!(acc.evaluate().unwrap(), ScalarValue::Int64(Some(6)));
        // Through the state, into another accumulator that saw some of them already.
        let state: Vec<ArrayRef> = acc
            .state()
            .unwrap()
            .into_iter()
            .map(|s| s.to_array().unwrap())
            .collect();
        let mut other = DistinctTexts::default();
        let seen: ArrayRef = Arc::new(StringArray::from(vec!["a", "zzz"]));
        other.update_batch(&[seen]).unwrap();
        other.merge_batch(&state).unwrap();
        assert_eq!(other.evaluate().unwrap(), ScalarValue::Int64(Some(7)));
    }
}
