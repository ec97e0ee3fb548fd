//! Service errors, named after the AWS exceptions they correspond to.

use loupe_lang::Diagnostic;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ServiceError {
    /// `MalformedQueryException`: the query does not parse, breaks a rule, or uses something not
    /// supported yet. Carries the query text so the diagnostic can be rendered against it.
    #[error("{diagnostic}")]
    MalformedQuery {
        diagnostic: Diagnostic,
        query: String,
    },
    /// `ResourceNotFoundException`.
    #[error("{0}")]
    ResourceNotFound(String),
    /// `ResourceAlreadyExistsException`.
    #[error("{0}")]
    ResourceAlreadyExists(String),
    /// `InvalidParameterException`.
    #[error("{0}")]
    InvalidParameter(String),
    /// `LimitExceededException`: a query needed more than a configured limit allows.
    #[error("{0}")]
    LimitExceeded(String),
    /// Reading an input the caller named failed (a file to ingest, say).
    #[error("{0}")]
    Input(String),
    /// Anything else: a store or engine failure.
    #[error("{0}")]
    Internal(String),
}

impl ServiceError {
    /// The AWS exception name of this error.
    pub fn aws_name(&self) -> &'static str {
        match self {
            ServiceError::MalformedQuery { .. } => "MalformedQueryException",
            ServiceError::ResourceNotFound(_) => "ResourceNotFoundException",
            ServiceError::ResourceAlreadyExists(_) => "ResourceAlreadyExistsException",
            ServiceError::LimitExceeded(_) => "LimitExceededException",
            ServiceError::InvalidParameter(_) | ServiceError::Input(_) => {
                "InvalidParameterException"
            }
            ServiceError::Internal(_) => "ServiceUnavailableException",
        }
    }
}

impl From<loupe_store::StoreError> for ServiceError {
    fn from(e: loupe_store::StoreError) -> Self {
        use loupe_store::StoreError as S;
        match e {
            S::GroupNotFound(_) | S::StreamNotFound { .. } => {
                ServiceError::ResourceNotFound(e.to_string())
            }
            S::GroupExists(_) => ServiceError::ResourceAlreadyExists(e.to_string()),
            S::InvalidName { .. } | S::InvalidRetention(_) => {
                ServiceError::InvalidParameter(e.to_string())
            }
            S::Io { .. } | S::Corrupt { .. } | S::Filter(_) => {
                ServiceError::Internal(e.to_string())
            }
        }
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;
