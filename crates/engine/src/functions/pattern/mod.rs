//! `insights_pattern(text, ts, window, start, end, flags)`: the aggregate behind `pattern`,
//! `anomaly`, `diff` and `logcompare` (see `plan::pattern` for the commands' semantics).
//!
//! It clusters the values of `text` into patterns in two stages: events are grouped by their
//! token shape as they arrive ([`groups`], order-independent and mergeable, so partitions
//! aggregate in parallel and merge), and the groups are clustered Drain-style when the
//! aggregate finishes ([`drain`]), in a fixed order. It returns one list of structs, one per
//! pattern, which the planner unnests into rows; the struct fields are named by [`field`].
//!
//! `ts` is the event's time in epoch ms (null when it has none), `window` is 0 for the query's
//! own events and 1 for the baseline events of `diff`/`logcompare`, and `start`, `end` and
//! `flags` are literals: the query's time range and [`Config`]'s flags.

mod anomaly;
mod drain;
mod groups;
mod output;
mod severity;
mod tokens;

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, Float64Builder, Int64Builder, StringBuilder, StructArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields, Int64Type};
use datafusion::common::utils::SingleRowListArrayBuilder;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{Accumulator, AggregateUDF, Volatility, create_udaf};

pub use anomaly::{MIN_SPIKE, duration_text};
pub use groups::{BASELINE, CURRENT, Config, MAX_GROUPS, MAX_VALUES};
pub use severity::Severity;
pub use tokens::{TokenType, tokenize};

/// The names of the fields of each pattern struct.
pub mod field {
    pub const PATTERN: &str = "pattern";
    pub const RATIO: &str = "ratio";
    pub const COUNT: &str = "sampleCount";
    pub const SEVERITY: &str = "severityLabel";
    pub const TOKENS: &str = "tokens";
    pub const SAMPLES: &str = "logSamples";
    pub const PREVIOUS_COUNT: &str = "previousSampleCount";
    pub const PREVIOUS_RATIO: &str = "previousRatio";
    pub const COUNT_CHANGE: &str = "countChange";
    pub const CHANGE_TYPE: &str = "changeType";
    pub const ANOMALY_TYPE: &str = "anomalyType";
    pub const PRIORITY: &str = "priority";
    pub const DESCRIPTION: &str = "description";
    pub const ANOMALY_TIME: &str = "anomalyTime";
    pub const HISTOGRAM: &str = "histogram";
}

/// The struct of one pattern.
fn pattern_fields() -> Fields {
    use field::*;
    let utf8 = |name: &str| Field::new(name, DataType::Utf8, true);
    let int = |name: &str| Field::new(name, DataType::Int64, true);
    let float = |name: &str| Field::new(name, DataType::Float64, true);
    Fields::from(vec![
        utf8(PATTERN),
        float(RATIO),
        int(COUNT),
        utf8(SEVERITY),
        utf8(TOKENS),
        utf8(SAMPLES),
        int(PREVIOUS_COUNT),
        float(PREVIOUS_RATIO),
        int(COUNT_CHANGE),
        utf8(CHANGE_TYPE),
        utf8(ANOMALY_TYPE),
        utf8(PRIORITY),
        utf8(DESCRIPTION),
        int(ANOMALY_TIME),
        utf8(HISTOGRAM),
    ])
}

/// The aggregate's result type: a list of pattern structs.
pub fn return_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(
        DataType::Struct(pattern_fields()),
        true,
    )))
}

/// The UDAF `insights_pattern`.
pub fn pattern() -> AggregateUDF {
    create_udaf(
        "insights_pattern",
        vec![
            DataType::Utf8,
            DataType::Int64,
            DataType::Int64,
            DataType::Int64,
            DataType::Int64,
            DataType::Int64,
        ],
        Arc::new(return_type()),
        Volatility::Immutable,
        Arc::new(|_| Ok(Box::new(PatternAccumulator::default()))),
        Arc::new(vec![DataType::Binary]),
    )
}

#[derive(Debug, Default)]
struct PatternAccumulator {
    groups: groups::Groups,
}

impl Accumulator for PatternAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let [text, ts, window, start, end, flags] = values else {
            return exec_err!("insights_pattern takes six arguments");
        };
        let text = text.as_string::<i32>();
        let ts = ts.as_primitive::<Int64Type>();
        let window = window.as_primitive::<Int64Type>();
        if self.groups.config.is_none() && !text.is_empty() {
            let value = |a: &ArrayRef| {
                let a = a.as_primitive::<Int64Type>();
                (!a.is_null(0)).then(|| a.value(0))
            };
            self.groups.config = Some(Config {
                start: value(start),
                end: value(end),
                flags: u8::try_from(value(flags).unwrap_or(0)).unwrap_or(0),
            });
        }
        for row in 0..text.len() {
            if text.is_null(row) {
                continue;
            }
            let t = (!ts.is_null(row)).then(|| ts.value(row));
            let w = if window.is_null(row) || window.value(row) == 0 {
                CURRENT
            } else {
                BASELINE
            };
            self.groups.add(text.value(row), t, w);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let groups = std::mem::take(&mut self.groups);
        let config = groups.config.unwrap_or_default();
        let built = output::build(groups);
        let findings = if config.anomaly() {
            anomaly::detect(&built, &config)
        } else {
            vec![anomaly::Finding::default(); built.len()]
        };
        let array = rows(&built, &findings, &config);
        Ok(SingleRowListArrayBuilder::new(Arc::new(array)).build_list_scalar())
    }

    fn size(&self) -> usize {
        self.groups.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Binary(Some(groups::codec::encode(
            &self.groups,
        )))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(states) = states
            .first()
            .and_then(|s| s.as_any().downcast_ref::<BinaryArray>())
        else {
            return exec_err!("insights_pattern state is not binary");
        };
        for bytes in states.iter().flatten() {
            match groups::codec::decode(bytes) {
                Ok(other) => self.groups.merge(other),
                Err(e) => return exec_err!("{e}"),
            }
        }
        Ok(())
    }
}

/// `diff`'s word for how a pattern's count changed from the baseline to the current window.
fn change_type(current: u64, previous: u64) -> &'static str {
    match (current, previous) {
        (c, 0) if c > 0 => "New",
        (0, p) if p > 0 => "Gone",
        (c, p) if c > p => "Increased",
        (c, p) if c < p => "Decreased",
        _ => "Unchanged",
    }
}

/// The struct array of the patterns.
fn rows(built: &[output::Built], findings: &[anomaly::Finding], config: &Config) -> StructArray {
    let n = built.len();
    let totals = [0, 1].map(|w| built.iter().map(|b| b.counts[w]).sum::<u64>());
    let ratio = |count: u64, w: usize| {
        if totals[w] == 0 {
            0.0
        } else {
            count as f64 / totals[w] as f64
        }
    };
    let mut pattern = StringBuilder::with_capacity(n, 0);
    let mut ratios = Float64Builder::with_capacity(n);
    let mut counts = Int64Builder::with_capacity(n);
    let mut severity = StringBuilder::with_capacity(n, 0);
    let mut tokens = StringBuilder::with_capacity(n, 0);
    let mut samples = StringBuilder::with_capacity(n, 0);
    let mut previous = Int64Builder::with_capacity(n);
    let mut previous_ratio = Float64Builder::with_capacity(n);
    let mut change = Int64Builder::with_capacity(n);
    let mut change_types = StringBuilder::with_capacity(n, 0);
    let mut kind = StringBuilder::with_capacity(n, 0);
    let mut priority = StringBuilder::with_capacity(n, 0);
    let mut description = StringBuilder::with_capacity(n, 0);
    let mut time = Int64Builder::with_capacity(n);
    let mut histogram = StringBuilder::with_capacity(n, 0);
    let int = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    for (b, f) in built.iter().zip(findings) {
        let [current, baseline] = b.counts;
        pattern.append_value(&b.pattern);
        ratios.append_value(ratio(current, 0));
        counts.append_value(int(current));
        severity.append_option(b.severity().map(Severity::label));
        tokens.append_value(b.tokens_json());
        samples.append_value(b.samples_json());
        if config.compare() {
            previous.append_value(int(baseline));
            previous_ratio.append_value(ratio(baseline, 1));
            change.append_value(int(current) - int(baseline));
            change_types.append_value(change_type(current, baseline));
        } else {
            previous.append_null();
            previous_ratio.append_null();
            change.append_null();
            change_types.append_null();
        }
        let a = f.anomaly.as_ref();
        kind.append_option(a.map(|a| a.kind));
        priority.append_option(a.map(|a| a.priority));
        description.append_option(a.map(|a| a.description.as_str()));
        time.append_option(a.map(|a| a.time));
        histogram.append_option(f.histogram.as_deref());
    }
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(pattern.finish()),
        Arc::new(ratios.finish()),
        Arc::new(counts.finish()),
        Arc::new(severity.finish()),
        Arc::new(tokens.finish()),
        Arc::new(samples.finish()),
        Arc::new(previous.finish()),
        Arc::new(previous_ratio.finish()),
        Arc::new(change.finish()),
        Arc::new(change_types.finish()),
        Arc::new(kind.finish()),
        Arc::new(priority.finish()),
        Arc::new(description.finish()),
        Arc::new(time.finish()),
        Arc::new(histogram.finish()),
    ];
    StructArray::new(pattern_fields(), arrays, None)
}

#[cfg(test)]
mod tests;
