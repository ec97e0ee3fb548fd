//! `GetLogRecord`: every field of one event, found by the `@ptr` a query returned.
//!
//! The pointer names the group, stream, timestamp, ingestion time and message hash (see
//! `loupe_store::ptr`), so the lookup reads only that stream's blocks at that timestamp. The
//! record holds the system fields (`@timestamp` and `@ingestionTime` as epoch milliseconds, as
//! the API returns them), then every field discovery finds in the message, with its original
//! text.

use std::sync::Arc;

use arrow::array::AsArray;
use loupe_store::{ScanHints, ScanRequest};

use crate::{Loupe, Result, ServiceError};

/// The account id `@log` shows for a local store (as queries do).
const LOCAL_ACCOUNT_ID: &str = "000000000000";

impl Loupe {
    /// `GetLogRecord`: the event `ptr` points at, as `(field, value)` pairs.
    pub fn get_log_record(&self, ptr: &str) -> Result<Vec<(String, String)>> {
        let p = loupe_store::ptr::decode(ptr).ok_or_else(|| {
            ServiceError::InvalidParameter(format!("not a log record pointer: {ptr:?}"))
        })?;
        if !self.store.group_exists(&p.group)? {
            return Err(ServiceError::ResourceNotFound(format!(
                "The specified log group does not exist: {}",
                p.group
            )));
        }
        let request = ScanRequest {
            groups: vec![p.group.clone()],
            start_ms: Some(p.timestamp),
            end_ms: Some(p.timestamp),
            fields: Vec::new(),
            numbers: Vec::new(),
        };
        let hints = ScanHints {
            streams: vec![p.stream.clone()],
            ..ScanHints::default()
        };
        let plan = Arc::new(self.store.plan_scan(&request, &hints)?);
        let schema = Arc::clone(plan.schema());
        let index = |name: &str| {
            schema
                .index_of(name)
                .map_err(|e| ServiceError::Internal(e.to_string()))
        };
        let columns = vec![
            index(loupe_store::PTR)?,
            index(loupe_store::INGESTION_TIME)?,
            index(loupe_store::MESSAGE)?,
        ];
        for batch in plan.reader(0, 1, Some(columns), None) {
            let batch = batch?;
            let ptrs = batch.column(0).as_string::<i32>();
            let Some(row) = (0..batch.num_rows()).find(|&r| ptrs.value(r) == ptr.trim()) else {
                continue;
            };
            let ingestion = batch
                .column(1)
                .as_primitive::<arrow::datatypes::TimestampMillisecondType>()
                .value(row);
            let message = batch.column(2).as_string::<i32>().value(row).to_owned();
            let mut record = vec![
                ("@timestamp".to_owned(), p.timestamp.to_string()),
                ("@ingestionTime".to_owned(), ingestion.to_string()),
                ("@log".to_owned(), format!("{LOCAL_ACCOUNT_ID}:{}", p.group)),
                ("@logStream".to_owned(), p.stream.clone()),
                ("@message".to_owned(), message.clone()),
            ];
            let mut fields: Vec<(String, String)> = Vec::new();
            loupe_store::discover::discover_fields(&message, |name, text| {
                // The last value of a repeated name wins, as in queries.
                match fields.iter_mut().find(|(n, _)| n == name) {
                    Some(slot) => slot.1 = text.to_owned(),
                    None => fields.push((name.to_owned(), text.to_owned())),
                }
            });
            record.extend(fields);
            return Ok(record);
        }
        Err(ServiceError::ResourceNotFound(format!(
            "no log record at this pointer (the event was deleted or expired): {ptr}"
        )))
    }
}
