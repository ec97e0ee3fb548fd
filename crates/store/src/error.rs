//! The store's runtime errors.

use std::io;
use std::path::PathBuf;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A file the store wrote no longer decodes: its checksum or a length does not hold.
    #[error("{path}: corrupt store file: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("The specified log group does not exist: {0}")]
    GroupNotFound(String),
    #[error("The specified log stream does not exist: {stream} (log group {group})")]
    StreamNotFound { group: String, stream: String },
    #[error("The specified log group already exists: {0}")]
    GroupExists(String),
    #[error(
        "invalid retention {0} days: allowed values are 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 and 3653"
    )]
    InvalidRetention(u32),
    /// A scan's row filter (see [`RowFilter`](crate::RowFilter)) failed.
    #[error("{0}")]
    Filter(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("invalid {what} name {name:?}: {reason}")]
    InvalidName {
        what: &'static str,
        name: String,
        reason: &'static str,
    },
}

impl StoreError {
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(io::Error) -> StoreError + use<> {
        let path = path.to_owned();
        move |source| StoreError::Io { path, source }
    }

    pub(crate) fn corrupt(path: impl Into<PathBuf>, reason: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
