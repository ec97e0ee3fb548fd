//! Exploring and managing a store: log group create/delete, retention, streams and discovered
//! fields (`CreateLogGroup`, `DeleteLogGroup`, `PutRetentionPolicy`, `DeleteRetentionPolicy`,
//! `DescribeLogStreams`, `DeleteLogStream`, `GetLogGroupFields`).
//!
//! Thin wrappers over the store, adding the AWS error shapes and the clock; what the CLI and the
//! REPL use to show a user what they can ask about.

use crate::{Loupe, Result, ServiceError, SettleReport, StartQuery};

/// One discovered field of a time range (`GetLogGroupFields`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogGroupField {
    pub name: String,
    /// Every type the field was stored with: `integer`, `float`, `boolean`, `string`.
    pub types: Vec<&'static str>,
    /// Percentage of the range's events that carry the field.
    pub percent: u32,
}

/// A log stream seen in a group's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogStreamInfo {
    pub name: String,
    pub event_count: u64,
    /// `@timestamp` of the oldest and newest events, in epoch milliseconds.
    pub first_event_ms: Option<i64>,
    pub last_event_ms: Option<i64>,
}

impl Loupe {
    /// `CreateLogGroup`.
    pub fn create_group(&self, name: &str) -> Result<()> {
        Ok(self.store.create_group(name, self.clock.now_ms())?)
    }

    /// `DeleteLogGroup`: the group and all its events.
    pub fn delete_group(&self, name: &str) -> Result<()> {
        Ok(self.store.delete_group(name)?)
    }

    /// `DeleteLogStream`: the stream and all its events (`ResourceNotFoundException` when the
    /// group or the stream does not exist).
    pub fn delete_stream(&self, group: &str, stream: &str) -> Result<()> {
        Ok(self.store.delete_stream(group, stream)?)
    }

    /// Merges the group's small segments and recompresses its segments written at a fast
    /// level at the store's settle level (`loupe compact`; see `Store::settle`).
    pub fn settle(&self, group: &str) -> Result<SettleReport> {
        Ok(self.store.settle(group)?)
    }

    /// `PutRetentionPolicy` (`Some(days)`, one of the values AWS allows) or
    /// `DeleteRetentionPolicy` (`None`).
    pub fn set_retention(&self, group: &str, days: Option<u32>) -> Result<()> {
        Ok(self.store.set_retention(group, days)?)
    }

    /// `GetLogGroupFields` over several groups: discovered fields in `[start_ms, end_ms]`
    /// (inclusive, `None` unbounded), most common first, then by name.
    pub fn fields(
        &self,
        groups: &[String],
        start_ms: Option<i64>,
        end_ms: Option<i64>,
    ) -> Result<Vec<LogGroupField>> {
        self.require_groups(groups)?;
        let mut fields: Vec<LogGroupField> = self
            .store
            .fields(groups, start_ms, end_ms)?
            .into_iter()
            .map(|f| LogGroupField {
                name: f.name,
                types: f.types.iter().map(|t| t.as_str()).collect(),
                percent: f.percent,
            })
            .collect();
        fields.sort_by(|a, b| b.percent.cmp(&a.percent).then_with(|| a.name.cmp(&b.name)));
        Ok(fields)
    }

    /// The streams of `group` that hold events, with their counts and time spans.
    ///
    /// Answered by an Insights query over `@logStream`, so a stream created without events is
    /// not listed (the store does not expose its stream catalog yet).
    pub fn streams(&self, group: &str) -> Result<Vec<LogStreamInfo>> {
        let results = self.query(&StartQuery {
            query_string: "stats count(*) as events, min(@timestamp) as first, \
                           max(@timestamp) as last by @logStream"
                .into(),
            log_group_names: vec![group.into()],
            ..Default::default()
        })?;
        let mut streams: Vec<LogStreamInfo> = results
            .results
            .iter()
            .map(|row| {
                let get = |name: &str| {
                    row.iter()
                        .find(|c| c.field == name)
                        .map(|c| c.value.as_str())
                };
                let time = |name: &str| get(name).and_then(parse_result_time);
                LogStreamInfo {
                    name: get("@logStream").unwrap_or_default().to_owned(),
                    event_count: get("events").and_then(|v| v.parse().ok()).unwrap_or(0),
                    first_event_ms: time("first"),
                    last_event_ms: time("last"),
                }
            })
            .collect();
        streams.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(streams)
    }

    fn require_groups(&self, groups: &[String]) -> Result<()> {
        if groups.is_empty() {
            return Err(ServiceError::InvalidParameter(
                "at least one log group is required".into(),
            ));
        }
        for group in groups {
            if !self.store.group_exists(group)? {
                return Err(ServiceError::ResourceNotFound(format!(
                    "The specified log group does not exist: {group}"
                )));
            }
        }
        Ok(())
    }
}

/// Parses a timestamp as query results print it (`2026-11-01 00:00:21.422`, UTC).
fn parse_result_time(text: &str) -> Option<i64> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{FixedClock, Loupe};

    #[test]
    fn delete_log_stream_removes_the_stream_and_its_events() {
        let dir = tempfile::tempdir().unwrap();
        let loupe = Loupe::with_clock(dir.path(), Arc::new(FixedClock(1_793_491_200_000))).unwrap();
        loupe.ingest_lines("g", "s1", &b"one\ntwo\n"[..]).unwrap();
        loupe.ingest_lines("g", "s2", &b"three\n"[..]).unwrap();
        loupe.delete_stream("g", "s1").unwrap();
        let streams: Vec<String> = loupe
            .streams("g")
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(streams, ["s2"]);
        for (group, stream) in [("g", "s1"), ("nope", "s2")] {
            let err = loupe.delete_stream(group, stream).unwrap_err();
            assert_eq!(err.aws_name(), "ResourceNotFoundException", "{err}");
        }
    }
}
