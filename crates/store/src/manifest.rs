//! A log group's manifest: which segment files are live and which write-ahead log receives new
//! batches. It is the single point of truth for a group's data: files it does not name are
//! leftovers of an interrupted seal or compaction and are deleted by the next writer.
//!
//! Every change writes a new `manifest.json` atomically (temporary file, fsync, rename, fsync
//! of the directory), so a crash at any instant leaves either the old or the new manifest.
//! Sealing writes and fsyncs the new segment and a new, empty WAL *before* the swap and deletes
//! the sealed WAL only *after* it: whichever manifest survives a crash names files that hold
//! every acknowledged event exactly once.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::catalog::sync_dir;
use crate::error::{Result, StoreError};

pub(crate) const MANIFEST_FILE: &str = "manifest.json";
/// The WAL of a group that has never been sealed (the layout before manifests existed).
pub(crate) const FIRST_WAL: &str = "wal.log";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub version: u32,
    /// Bumped by every swap.
    pub generation: u64,
    /// Numbers the next segment or WAL file; never reused.
    pub next_file: u64,
    pub segments: Vec<SegmentEntry>,
    /// File name of the live write-ahead log.
    pub wal: String,
    /// Bytes at the start of `wal` whose frames are already in segments (readers skip them).
    pub wal_sealed: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SegmentEntry {
    pub file: String,
    pub rows: u64,
    pub min_ts: i64,
    pub max_ts: i64,
    pub bytes: u64,
    /// Streams deleted (`DeleteLogStream`) after this segment was written: its rows of these
    /// streams are no longer events. Readers skip them and compaction leaves them out; a
    /// segment never lists a stream created after it was written, so a deleted and re-created
    /// stream keeps only its new events.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden_streams: Vec<String>,
    /// How many of `rows` belong to `hidden_streams`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub hidden_rows: u64,
    /// The zstd level its chunks were compressed at (absent in manifests written before it was
    /// recorded: treated as a fast level, which [`Store::settle`](crate::Store::settle) raises).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zstd_level: Option<i32>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            version: 1,
            generation: 0,
            next_file: 1,
            segments: Vec::new(),
            wal: FIRST_WAL.into(),
            wal_sealed: 0,
        }
    }
}

impl Manifest {
    pub fn load(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
                    StoreError::corrupt(&path, format!("manifest does not decode: {e}"))
                })?;
                if m.version != 1 {
                    return Err(StoreError::corrupt(
                        &path,
                        format!("manifest version {} is not supported", m.version),
                    ));
                }
                Ok(m)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
            Err(e) => Err(StoreError::Io { path, source: e }),
        }
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| StoreError::corrupt(&path, format!("manifest does not encode: {e}")))?;
        atomic_write(dir, MANIFEST_FILE, &bytes)
    }

    /// Whether `file` (a name inside the group directory) is named by this manifest.
    pub fn names(&self, file: &str) -> bool {
        file == MANIFEST_FILE || file == self.wal || self.segments.iter().any(|s| s.file == file)
    }

    pub fn take_file_number(&mut self) -> u64 {
        let n = self.next_file;
        self.next_file += 1;
        n
    }
}

/// Replaces `dir/name` with `bytes`: temporary file, fsync, rename, fsync of the directory.
pub(crate) fn atomic_write(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(name);
    let tmp = dir.join(format!("{name}.tmp"));
    let mut file = File::create(&tmp).map_err(StoreError::io(&tmp))?;
    file.write_all(bytes).map_err(StoreError::io(&tmp))?;
    file.sync_all().map_err(StoreError::io(&tmp))?;
    drop(file);
    std::fs::rename(&tmp, &path).map_err(StoreError::io(&path))?;
    sync_dir(dir)
}

pub(crate) fn segment_file(n: u64) -> String {
    format!("seg-{n:08}.lseg")
}

pub(crate) fn wal_file(n: u64) -> String {
    format!("wal-{n:08}.log")
}

/// The entries of directory `dir`; none when it does not exist.
pub(crate) fn dir_entries(dir: &Path) -> Result<Vec<std::fs::DirEntry>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .collect::<std::io::Result<_>>()
            .map_err(StoreError::io(dir)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(StoreError::io(dir)(e)),
    }
}

/// Deletes files of `dir` the manifest does not name (leftovers of an interrupted seal or
/// compaction, sealed WALs, dropped segments) and the directories of bulk loads that died.
/// Call only while holding the writer lock.
pub(crate) fn remove_unnamed(dir: &Path, manifest: &Manifest) -> Result<()> {
    crate::bulk::remove_stale_loads(dir)?;
    for entry in dir_entries(dir)? {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let ours = name.ends_with(".lseg")
            || name.ends_with(".log")
            || name.ends_with(".tmp")
            || name == MANIFEST_FILE;
        if ours && !manifest.names(name) {
            let path = entry.path();
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io(&path)(e)),
            }
        }
    }
    Ok(())
}
