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
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
