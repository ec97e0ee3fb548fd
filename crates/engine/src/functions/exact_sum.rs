//! `sum` and `avg` with a correctly rounded sum: the float nearest the exact sum of the values
//! (Shewchuk's algorithm, as Python's `math.fsum`), whatever the order rows arrive in.
//!
//! A plain float sum depends on the order of additions, so the last digits of
//! `sum(@duration)` changed with the number of partitions (the machine's core count) and
//! `sum` of ten thousand `0.1` gave `999.999999999972`. The exact sum gives `1000` on every
//! machine, the value a careful independent computation (`fsum`, `statistics.mean`, decimal
//! arithmetic) gets. `avg` is that sum divided by the count. Infinities and NaN add up as
//! floats do (and render as missing). The state between partitions is the list of
//! non-overlapping partial sums, usually one or two floats.
//!
//! ```
//! use loupe_engine::functions::exact_sum::Partials;
//! let mut p = Partials::default();
//! for _ in 0..10_000 { p.add(0.1); }
//! assert_eq!(p.total(), 1000.0);
//! ```

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, ListArray, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, UInt64Type};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};

/// Non-overlapping partial sums whose exact total is the sum of the values added, plus the
/// float sum of the non-finite values (which the partials cannot hold).
///
/// Most values (any whose lowest set bit is at least 2^-64 and whose magnitude is below
/// 2^61: `61.2`, `0.001`, every integer that size) are first added exactly into a 128-bit
/// fixed-point sum, a few instructions each; the partials take the rest, and the fixed sum
/// when it nears its range.
#[derive(Debug, Default, Clone)]
pub struct Partials {
    partials: Vec<f64>,
    special: f64,
    /// An exact sum in units of 2^-64, kept below 2^125 in magnitude.
    fixed: i128,
}

/// The fixed-point unit: 2^-[`FIXED_BITS`].
const FIXED_BITS: i32 = 64;
/// The fixed sum is moved into the partials before it reaches this magnitude, so that
/// converting it to floats never rounds up past `i128`.
const FIXED_LIMIT: i128 = 1 << 125;

/// `value` (finite) in units of 2^-64, when that is an integer below 2^124 in magnitude.
fn to_fixed(value: f64) -> Option<i128> {
    let bits = value.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (mut mantissa, mut exp) = if exponent == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), exponent - 1075)
    };
    if mantissa == 0 {
        return Some(0);
    }
    let zeros = mantissa.trailing_zeros();
    mantissa >>= zeros;
    exp += zeros as i32;
    let shift = exp + FIXED_BITS;
    let width = 64 - mantissa.leading_zeros() as i32;
    if shift < 0 || width + shift > 124 {
        return None;
    }
    let magnitude = i128::from(mantissa) << shift;
    Some(if bits >> 63 == 1 {
        -magnitude
    } else {
        magnitude
    })
}

impl Partials {
    pub fn add(&mut self, value: f64) {
        if let Some(v) = to_fixed(value) {
            let sum = self.fixed + v;
            if sum.abs() < FIXED_LIMIT {
                self.fixed = sum;
                return;
            }
            self.flush();
            self.fixed = v;
            return;
        }
        self.add_partial(value);
    }

    /// Moves the fixed-point sum into the partials, exactly: it is cut into at most three
    /// floats (each the rest's nearest float), each scaled by a power of two.
    fn flush(&mut self) {
        let scale = 2f64.powi(-FIXED_BITS);
        while self.fixed != 0 {
            let hi = self.fixed as f64;
            self.fixed -= hi as i128;
            self.add_partial(hi * scale);
        }
    }

    /// The state passed between partitions (read back by [`merge_state`]): the partial sums,
    /// the fixed-point sum moved into them first, then the non-finite sum.
    fn state(&mut self) -> Vec<f64> {
        self.flush();
        let mut values = self.partials.clone();
        values.push(self.special);
        values
    }

    /// The partials with the fixed-point sum moved into them.
    fn flushed(&self) -> std::borrow::Cow<'_, Partials> {
        if self.fixed == 0 {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut copy = self.clone();
        copy.flush();
        std::borrow::Cow::Owned(copy)
    }

    fn add_partial(&mut self, value: f64) {
        if !value.is_finite() {
            self.special += value;
            return;
        }
        let mut x = value;
        let mut kept = 0;
        for j in 0..self.partials.len() {
            let mut y = self.partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                self.partials[kept] = lo;
                kept += 1;
            }
            x = hi;
        }
        self.partials.truncate(kept);
        if x.is_finite() {
            self.partials.push(x);
        } else {
            // The finite values overflowed together: the float sum's answer.
            self.special += x;
        }
    }

    /// The float nearest the exact sum (round-half-even, as `math.fsum`).
    pub fn total(&self) -> f64 {
        if self.special != 0.0 || self.special.is_nan() {
            return self.special;
        }
        let flushed = self.flushed();
        let p = &flushed.partials;
        let Some(mut n) = p.len().checked_sub(1) else {
            return 0.0;
        };
        let mut hi = p[n];
        let mut lo = 0.0;
        while n > 0 {
            n -= 1;
            let x = hi;
            let y = p[n];
            hi = x + y;
            let yr = hi - x;
            lo = y - yr;
            if lo != 0.0 {
                break;
            }
        }
        // Half-way cases: the partials below decide which way to round.
        if n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            if y == x - hi {
                hi = x;
            }
        }
        hi
    }
}

#[derive(Debug)]
struct ExactSum {
    sum: Partials,
    count: u64,
    average: bool,
}

impl Accumulator for ExactSum {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let values = values[0].as_primitive::<Float64Type>();
        for v in values.iter().flatten() {
            self.sum.add(v);
            self.count += 1;
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        if self.count == 0 {
            return Ok(ScalarValue::Float64(None));
        }
        let total = self.sum.total();
        Ok(ScalarValue::Float64(Some(if self.average {
            total / self.count as f64
        } else {
            total
        })))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.sum.partials.capacity() * 8
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let values: Vec<ScalarValue> = self
            .sum
            .state()
            .into_iter()
            .map(|v| ScalarValue::Float64(Some(v)))
            .collect();
        Ok(vec![
            ScalarValue::List(ScalarValue::new_list_nullable(&values, &DataType::Float64)),
            ScalarValue::UInt64(Some(self.count)),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists = states[0].as_list::<i32>();
        let counts = states[1].as_primitive::<UInt64Type>();
        for row in 0..lists.len() {
            if lists.is_null(row) {
                continue;
            }
            merge_state(&mut self.sum, &lists.value(row));
            self.count += counts.value(row);
        }
        Ok(())
    }
}

/// The aggregate UDF of `sum` (`average` false) or `avg`, with a groups accumulator: one
/// [`Partials`] and count per group, so that `stats avg(x) by ...` does not keep an
/// accumulator object per group.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ExactSumUdf {
    name: &'static str,
    average: bool,
    signature: Signature,
}

impl AggregateUDFImpl for ExactSumUdf {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn accumulator(&self, _args: AccumulatorArgs<'_>) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(ExactSum {
            sum: Partials::default(),
            count: 0,
            average: self.average,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs<'_>) -> Result<Vec<FieldRef>> {
        let list = DataType::List(super::float_list_field());
        Ok(vec![
            Arc::new(Field::new(format!("{}[partials]", args.name), list, true)),
            Arc::new(Field::new(
                format!("{}[count]", args.name),
                DataType::UInt64,
                true,
            )),
        ])
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs<'_>) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs<'_>,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(ExactSumGroups {
            sums: Vec::new(),
            counts: Vec::new(),
            average: self.average,
        }))
    }
}

/// [`ExactSum`] for many groups at once.
#[derive(Debug)]
struct ExactSumGroups {
    sums: Vec<Partials>,
    counts: Vec<u64>,
    average: bool,
}

impl ExactSumGroups {
    fn grow(&mut self, groups: usize) {
        if self.sums.len() < groups {
            self.sums.resize_with(groups, Partials::default);
            self.counts.resize(groups, 0);
        }
    }
}

impl GroupsAccumulator for ExactSumGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.grow(total_num_groups);
        let values = values[0].as_primitive::<Float64Type>();
        for (row, &g) in group_indices.iter().enumerate() {
            if !super::taken(values, opt_filter, row) {
                continue;
            }
            self.sums[g].add(values.value(row));
            self.counts[g] += 1;
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let sums = emit_to.take_needed(&mut self.sums);
        let counts = emit_to.take_needed(&mut self.counts);
        let out: Float64Array = sums
            .iter()
            .zip(&counts)
            .map(|(s, &n)| {
                (n > 0).then(|| {
                    let total = s.total();
                    if self.average {
                        total / n as f64
                    } else {
                        total
                    }
                })
            })
            .collect();
        Ok(Arc::new(out))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let mut sums = emit_to.take_needed(&mut self.sums);
        let counts = emit_to.take_needed(&mut self.counts);
        let lists = ListArray::from_iter_primitive::<Float64Type, _, _>(
            sums.iter_mut()
                .map(|s| Some(s.state().into_iter().map(Some))),
        );
        Ok(vec![Arc::new(lists), Arc::new(UInt64Array::from(counts))])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.grow(total_num_groups);
        let lists = values[0].as_list::<i32>();
        let counts = values[1].as_primitive::<UInt64Type>();
        for (row, &g) in group_indices.iter().enumerate() {
            if lists.is_null(row) {
                continue;
            }
            merge_state(&mut self.sums[g], &lists.value(row));
            self.counts[g] += counts.value(row);
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let values = values[0].as_primitive::<Float64Type>();
        let taken = |row: usize| super::taken(values, opt_filter, row);
        // Each row its own group: its value as the one partial (or as the non-finite sum).
        let lists =
            ListArray::from_iter_primitive::<Float64Type, _, _>((0..values.len()).map(|row| {
                let v = values.value(row);
                Some(match (taken(row), v.is_finite()) {
                    (false, _) => vec![Some(0.0)],
                    (true, true) => vec![Some(v), Some(0.0)],
                    (true, false) => vec![Some(v)],
                })
            }));
        let counts: UInt64Array = (0..values.len())
            .map(|r| Some(u64::from(taken(r))))
            .collect();
        Ok(vec![Arc::new(lists), Arc::new(counts)])
    }

    fn size(&self) -> usize {
        self.sums.capacity() * std::mem::size_of::<Partials>()
            + self
                .sums
                .iter()
                .map(|s| s.partials.capacity() * 8)
                .sum::<usize>()
            + self.counts.capacity() * 8
    }
}

/// Adds one state list (partial sums, then the non-finite sum last) to `sum`.
fn merge_state(sum: &mut Partials, list: &ArrayRef) {
    let list = list.as_primitive::<Float64Type>();
    let n = list.len();
    for (i, v) in list.iter().enumerate() {
        let Some(v) = v else { continue };
        if i + 1 == n {
            sum.special += v;
        } else {
            sum.add(v);
        }
    }
}

fn udaf(name: &'static str, average: bool) -> AggregateUDF {
    AggregateUDF::new_from_impl(ExactSumUdf {
        name,
        average,
        signature: Signature::exact(vec![DataType::Float64], Volatility::Immutable),
    })
}

/// `insights_sum(x)`: the correctly rounded sum of the non-null values; null when none.
pub fn sum() -> AggregateUDF {
    udaf("insights_sum", false)
}

/// `insights_avg(x)`: the correctly rounded sum divided by the count; null when none.
pub fn avg() -> AggregateUDF {
    udaf("insights_avg", true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fsum(values: &[f64]) -> f64 {
        let mut p = Partials::default();
        values.iter().for_each(|v| p.add(*v));
        p.total()
    }

    #[test]
    fn sums_are_correctly_rounded_in_any_order() {
        assert_eq!(fsum(&[0.1; 10]), 1.0);
        assert_eq!(fsum(&[1e100, 1.0, -1e100, 1e-100]), 1.0);
        assert_eq!(fsum(&[619.31, 250.57, 120.13]), 990.01);
        let mut values: Vec<f64> = (0..1000).map(|i| f64::from(i) * 0.37 - 99.9).collect();
        let forward = fsum(&values);
        values.reverse();
        assert_eq!(fsum(&values), forward);
        assert_eq!(fsum(&[]), 0.0);
        assert!(fsum(&[1.0, f64::INFINITY]).is_infinite());
        assert!(fsum(&[f64::INFINITY, f64::NEG_INFINITY]).is_nan());
        assert!(fsum(&[f64::MAX, f64::MAX]).is_infinite());
        // Values the fixed-point sum takes, values it does not, and both mixed.
        assert_eq!(fsum(&[1e-30, 1.0, -1.0]), 1e-30);
        assert_eq!(fsum(&[2f64.powi(60), 1.0, -(2f64.powi(60))]), 1.0);
        assert_eq!(fsum(&[f64::MIN_POSITIVE, 0.5, -0.5]), f64::MIN_POSITIVE);
        assert_eq!(fsum(&[-0.1, 0.1, 5e-324]), 5e-324);
    }

    /// The exact sum of `values`, computed another way: every finite float is an integer
    /// multiple of 2^-1074, so this adds them as big integers in base-2^32 limbs (positive
    /// and negative apart), then rounds the limbs' total.
    fn reference(values: &[f64]) -> f64 {
        let mut pos = vec![0u64; 70];
        let mut neg = vec![0u64; 70];
        for &v in values {
            let bits = v.to_bits();
            let e = ((bits >> 52) & 0x7ff) as usize;
            let f = bits & ((1 << 52) - 1);
            let (m, shift) = if e == 0 {
                (f, 0)
            } else {
                (f | (1 << 52), e - 1)
            };
            let acc = if bits >> 63 == 1 { &mut neg } else { &mut pos };
            // m << shift into 32-bit limbs.
            let (limb, bit) = (shift / 32, shift % 32);
            let wide = u128::from(m) << bit;
            let mut carry = 0u64;
            for k in 0..4 {
                let add = ((wide >> (32 * k)) & 0xffff_ffff) as u64;
                let t = acc[limb + k] + add + carry;
                acc[limb + k] = t & 0xffff_ffff;
                carry = t >> 32;
            }
            let mut k = limb + 4;
            while carry != 0 {
                let t = acc[k] + carry;
                acc[k] = t & 0xffff_ffff;
                carry = t >> 32;
                k += 1;
            }
        }
        // Each limb's difference is exact as a float, and so is its scaling by a power of two;
        // the partials (without the fixed-point sum) round their total.
        let mut p = Partials::default();
        for k in 0..70 {
            let d = pos[k] as f64 - neg[k] as f64;
            if d == 0.0 {
                continue;
            }
            p.add_partial(d * 2f64.powi(32 * k as i32 - 1074));
        }
        p.total()
    }

    #[test]
    fn fixed_point_sums_agree_with_an_independent_exact_sum() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..200 {
            let values: Vec<f64> = (0..300)
                .map(|_| {
                    let r = next();
                    match r % 5 {
                        0 => (r >> 8) as f64 / 1000.0,
                        1 => -((r >> 20) as f64) / 7.0,
                        2 => f64::from_bits(r >> 2) * if r & 1 == 0 { 1.0 } else { -1.0 },
                        3 => ((r >> 11) as f64) * 2f64.powi((round % 40) - 20),
                        _ => (r % 100_000) as f64 * 0.01,
                    }
                })
                .filter(|v| v.is_finite() && v.abs() < 1e300)
                .collect();
            let mut p = Partials::default();
            values.iter().for_each(|v| p.add(*v));
            let mut q = Partials::default();
            values.iter().for_each(|v| q.add_partial(*v));
            assert_eq!(p.total(), q.total(), "round {round}");
            assert_eq!(p.total(), reference(&values), "round {round}");
        }
    }

    #[test]
    fn partial_states_merge_to_the_same_total() {
        let values: Vec<f64> = (0..500).map(|i| 0.1 + f64::from(i) * 1e-3).collect();
        let mut whole = ExactSum {
            sum: Partials::default(),
            count: 0,
            average: true,
        };
        let array: ArrayRef =
            Arc::new(datafusion::arrow::array::Float64Array::from(values.clone()));
        whole.update_batch(&[array]).unwrap();
        let mut merged = ExactSum {
            sum: Partials::default(),
            count: 0,
            average: true,
        };
        for chunk in values.chunks(77) {
            let mut part = ExactSum {
                sum: Partials::default(),
                count: 0,
                average: true,
            };
            let array: ArrayRef =
                Arc::new(datafusion::arrow::array::Float64Array::from(chunk.to_vec()));
            part.update_batch(&[array]).unwrap();
            let state: Vec<ArrayRef> = part
                .state()
                .unwrap()
                .into_iter()
                .map(|s| s.to_array().unwrap())
                .collect();
            merged.merge_batch(&state).unwrap();
        }
        assert_eq!(merged.evaluate().unwrap(), whole.evaluate().unwrap());
        assert_eq!(merged.count, 500);
    }
}
