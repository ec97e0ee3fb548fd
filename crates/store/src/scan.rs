//! Reading events back as Arrow record batches.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringBuilder, TimestampMillisecondBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::discover::discover_fields;
use crate::event::Event;

/// System columns every scan returns, in this order, before the requested discovered fields.
pub const TIMESTAMP: &str = "@timestamp";
pub const INGESTION_TIME: &str = "@ingestionTime";
pub const LOG_GROUP: &str = "@logGroup";
pub const LOG_STREAM: &str = "@logStream";
pub const MESSAGE: &str = "@message";

/// Rows per record batch handed out by a scan.
pub const BATCH_ROWS: usize = 8192;

/// What to read: which groups, which time range (inclusive, epoch ms), which discovered fields.
#[derive(Debug, Clone, Default)]
pub struct ScanRequest {
    pub groups: Vec<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    /// Discovered (non-system) field names to materialise as columns; each is `Utf8`, null where
    /// an event lacks the field.
    pub fields: Vec<String>,
}

impl ScanRequest {
    pub(crate) fn overlaps(&self, min_ts: i64, max_ts: i64) -> bool {
        self.start_ms.is_none_or(|s| max_ts >= s) && self.end_ms.is_none_or(|e| min_ts <= e)
    }

    pub(crate) fn contains(&self, ts: i64) -> bool {
        self.overlaps(ts, ts)
    }

    /// The schema of the batches a scan for this request returns.
    pub fn schema(&self) -> SchemaRef {
        let ts = DataType::Timestamp(TimeUnit::Millisecond, None);
        let mut fields = vec![
            Field::new(TIMESTAMP, ts.clone(), false),
            Field::new(INGESTION_TIME, ts, false),
            Field::new(LOG_GROUP, DataType::Utf8, false),
            Field::new(LOG_STREAM, DataType::Utf8, false),
            Field::new(MESSAGE, DataType::Utf8, false),
        ];
        for name in &self.fields {
            if !is_system_column(name) {
                fields.push(Field::new(name, DataType::Utf8, true));
            }
        }
        Arc::new(Schema::new(fields))
    }
}

/// Whether `name` is one of the columns every scan returns.
pub fn is_system_column(name: &str) -> bool {
    [TIMESTAMP, INGESTION_TIME, LOG_GROUP, LOG_STREAM, MESSAGE].contains(&name)
}

/// The batches of a scan and what it cost.
#[derive(Debug, Clone)]
pub struct ScanOutput {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    /// Events inside the time range that the scan read.
    pub records_scanned: u64,
    /// Bytes of those events (message bytes plus the 26-byte per-event overhead AWS counts).
    pub bytes_scanned: u64,
}

/// Builds record batches from events, discovering requested fields on the way.
pub(crate) struct BatchBuilder {
    schema: SchemaRef,
    field_index: HashMap<String, usize>,
    timestamps: TimestampMillisecondBuilder,
    ingestion: TimestampMillisecondBuilder,
    groups: StringBuilder,
    streams: StringBuilder,
    messages: StringBuilder,
    fields: Vec<StringBuilder>,
    row_values: Vec<Option<String>>,
    rows: usize,
    pub batches: Vec<RecordBatch>,
}

impl BatchBuilder {
    pub fn new(schema: SchemaRef) -> Self {
        let field_index: HashMap<String, usize> = schema
            .fields()
            .iter()
            .skip(5)
            .enumerate()
            .map(|(i, f)| (f.name().clone(), i))
            .collect();
        let n = field_index.len();
        Self {
            schema,
            field_index,
            timestamps: TimestampMillisecondBuilder::new(),
            ingestion: TimestampMillisecondBuilder::new(),
            groups: StringBuilder::new(),
            streams: StringBuilder::new(),
            messages: StringBuilder::new(),
            fields: (0..n).map(|_| StringBuilder::new()).collect(),
            row_values: vec![None; n],
            rows: 0,
            batches: Vec::new(),
        }
    }

    pub fn push(&mut self, group: &str, stream: &str, event: &Event) -> crate::Result<()> {
        self.timestamps.append_value(event.timestamp);
        self.ingestion.append_value(event.ingestion_time);
        self.groups.append_value(group);
        self.streams.append_value(stream);
        self.messages.append_value(&event.message);
        if !self.fields.is_empty() {
            let (index, values) = (&self.field_index, &mut self.row_values);
            discover_fields(&event.message, |name, text| {
                if let Some(&i) = index.get(name) {
                    values[i] = Some(text.to_owned());
                }
            });
            for (builder, value) in self.fields.iter_mut().zip(self.row_values.iter_mut()) {
                builder.append_option(value.take());
            }
        }
        self.rows += 1;
        if self.rows == BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> crate::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(self.timestamps.finish()),
            Arc::new(self.ingestion.finish()),
            Arc::new(self.groups.finish()),
            Arc::new(self.streams.finish()),
            Arc::new(self.messages.finish()),
        ];
        columns.extend(
            self.fields
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        let batch = RecordBatch::try_new(self.schema.clone(), columns)
            .map_err(|e| crate::StoreError::corrupt("<scan>", e.to_string()))?;
        self.batches.push(batch);
        self.rows = 0;
        Ok(())
    }
}
