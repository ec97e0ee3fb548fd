//! The engine's runtime errors.

use loupe_lang::Diagnostic;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The query is malformed, breaks a rule, or uses something not supported yet.
    #[error("{0}")]
    Query(#[from] Diagnostic),
    #[error(transparent)]
    Store(#[from] loupe_store::StoreError),
    /// A SQL statement that does not parse or plan, or is not a read-only query.
    #[error("{0}")]
    Sql(datafusion::error::DataFusionError),
    /// The query ran into a quota (the distinct keys of a `join`'s right side, say).
    #[error("{0}")]
    LimitExceeded(String),
    #[error("query execution failed: {0}")]
    Execution(#[from] datafusion::error::DataFusionError),
}

impl EngineError {
    /// Whether the query failed because it needed more memory than its limit.
    pub fn is_out_of_memory(&self) -> bool {
        matches!(
            self,
            EngineError::Execution(e)
                if matches!(e.find_root(), datafusion::error::DataFusionError::ResourcesExhausted(_))
        )
    }

    /// The error of a running query: a quota an operator enforced becomes
    /// [`EngineError::LimitExceeded`], however DataFusion wrapped it.
    pub(crate) fn from_execution(e: datafusion::error::DataFusionError) -> Self {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(error) = source {
            if let Some(quota) = error.downcast_ref::<QuotaExceeded>() {
                return EngineError::LimitExceeded(quota.0.clone());
            }
            source = error.source();
        }
        EngineError::Execution(e)
    }
}

/// A quota an operator ran into while the query ran (see [`EngineError::LimitExceeded`]).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct QuotaExceeded(pub String);

/// The DataFusion error an operator returns when the query exceeds a quota.
pub(crate) fn limit_exceeded(message: String) -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::External(Box::new(QuotaExceeded(message)))
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
