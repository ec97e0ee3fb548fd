//! Running Insights queries and shaping the answer as GetQueryResults does.

use serde::Serialize;

use loupe_engine::{QueryOutput, QueryRequest};

/// The parameters of StartQuery that Loupe honours so far.
#[derive(Debug, Clone, Default)]
pub struct StartQuery {
    pub query_string: String,
    pub log_group_names: Vec<String>,
    /// Inclusive bounds in epoch milliseconds; `None` is unbounded.
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
}

impl StartQuery {
    pub(crate) fn request(&self, now_ms: i64) -> QueryRequest {
        QueryRequest {
            groups: self.log_group_names.clone(),
            start_ms: self.start_ms,
            end_ms: self.end_ms,
            now_ms,
            source: Some(self.query_string.as_str().into()),
            ..QueryRequest::default()
        }
    }
}

/// The GetQueryResults response shape, field for field.
#[derive(Debug, Clone, Serialize)]
pub struct GetQueryResults {
    /// The fields the query shows, in order (not part of the AWS response: rows list only the
    /// fields they have, so a table needs this to order its columns).
    #[serde(skip)]
    pub fields: Vec<String>,
    pub status: QueryStatus,
    pub results: Vec<Vec<ResultField>>,
    pub statistics: QueryStatistics,
    /// Where the next page starts, when results were asked for a page at a time and more
    /// remain ([`crate::Loupe::get_query_results_page`]).
    #[serde(rename = "nextToken", skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum QueryStatus {
    Scheduled,
    Running,
    Complete,
    Failed,
    Cancelled,
    Timeout,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultField {
    pub field: String,
    pub value: String,
}

/// AWS reports statistics as doubles.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryStatistics {
    pub records_matched: f64,
    pub records_scanned: f64,
    pub bytes_scanned: f64,
}

impl GetQueryResults {
    pub(crate) fn complete(output: QueryOutput) -> Self {
        let results = output
            .rows
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|c| ResultField {
                        field: c.field,
                        value: c.value,
                    })
                    .collect()
            })
            .collect();
        let s = output.statistics;
        GetQueryResults {
            fields: output.fields,
            status: QueryStatus::Complete,
            results,
            next_token: None,
            statistics: QueryStatistics {
                records_matched: s.records_matched as f64,
                records_scanned: s.records_scanned as f64,
                bytes_scanned: s.bytes_scanned as f64,
            },
        }
    }
}
