//! The engine's runtime errors.

use loupe_lang::Diagnostic;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The query is malformed, breaks a rule, or uses something not supported yet.
    #[error("{0}")]
    Query(#[from] Diagnostic),
    #[error(transparent)]
    Store(#[from] loupe_store::StoreError),
    #[error("query execution failed: {0}")]
    Execution(#[from] datafusion::error::DataFusionError),
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
