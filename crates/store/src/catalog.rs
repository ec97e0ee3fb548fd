//! The catalog: which log groups and streams exist, persisted as one JSON file that is replaced
//! atomically (write a temporary file, fsync it, rename it over the old one, fsync the directory).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};

pub(crate) const CATALOG_FILE: &str = "catalog.json";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Catalog {
    /// The next group id; ids name the group directories, so they are never reused.
    pub next_id: u64,
    pub groups: BTreeMap<String, GroupMeta>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct GroupMeta {
    pub id: u64,
    pub creation_time: i64,
    #[serde(default)]
    pub retention_days: Option<u32>,
    #[serde(default)]
    pub streams: BTreeMap<String, StreamMeta>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StreamMeta {
    pub creation_time: i64,
}

impl Catalog {
    pub fn load(dir: &Path) -> Result<Catalog> {
        let path = dir.join(CATALOG_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| StoreError::corrupt(&path, format!("catalog does not decode: {e}"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Catalog::default()),
            Err(e) => Err(StoreError::Io { path, source: e }),
        }
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        let path = dir.join(CATALOG_FILE);
        let tmp = dir.join(format!("{CATALOG_FILE}.tmp"));
        let bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| StoreError::corrupt(&path, format!("catalog does not encode: {e}")))?;
        let mut file = File::create(&tmp).map_err(StoreError::io(&tmp))?;
        file.write_all(&bytes).map_err(StoreError::io(&tmp))?;
        file.sync_all().map_err(StoreError::io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(StoreError::io(&path))?;
        sync_dir(dir)
    }
}

/// Makes a rename or a new file in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(StoreError::io(dir))
}
