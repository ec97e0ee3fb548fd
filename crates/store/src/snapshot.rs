//! A consistent view of a log group for one read: the manifest read once, the segments it names
//! opened (mmapped) and its write-ahead log read into memory.
//!
//! Writers may seal, compact or expire concurrently and delete files the new manifest no longer
//! names. A reader takes the manifest, opens what it names, then checks the manifest's
//! generation again: unchanged means every file it opened was live throughout; changed means it
//! may have raced a swap, and it retries. Once opened, a mapping stays valid after the file is
//! deleted.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::error::{Result, StoreError};
use crate::manifest::Manifest;
use crate::segment::Segment;

const RETRIES: usize = 20;

/// Segments a store handle opened, kept open between reads: a query then neither maps the
/// files again (and faults their pages in again) nor parses their footers again. A cached
/// segment is used only while the manifest still names its file and the file is the one that
/// was opened (same inode, length and modification time); the others are dropped at the
/// group's next read.
#[derive(Debug, Default)]
pub(crate) struct SegmentCache {
    open: Mutex<HashMap<PathBuf, (FileId, Arc<Segment>)>>,
}

/// What tells one file at a path from another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

impl FileId {
    fn of(meta: &std::fs::Metadata) -> FileId {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        FileId {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode,
        }
    }
}

impl SegmentCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, (FileId, Arc<Segment>)>> {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many segments are kept open.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// The segment at `path`: the open one when it is still that file, else opened now.
    fn open(&self, path: &Path) -> Result<Arc<Segment>> {
        let id = FileId::of(&std::fs::metadata(path).map_err(StoreError::io(path))?);
        if let Some((cached, segment)) = self.lock().get(path)
            && *cached == id
        {
            return Ok(Arc::clone(segment));
        }
        let segment = Arc::new(Segment::open(path)?);
        self.lock()
            .insert(path.to_owned(), (id, Arc::clone(&segment)));
        Ok(segment)
    }

    /// Forgets the segments of `dir` that `manifest` no longer names.
    fn retain_live(&self, dir: &Path, manifest: &Manifest) {
        let live: HashSet<PathBuf> = manifest
            .segments
            .iter()
            .map(|e| dir.join(&e.file))
            .collect();
        self.lock()
            .retain(|path, _| path.parent() != Some(dir) || live.contains(path));
    }
}

#[derive(Debug)]
pub(crate) struct Snapshot {
    pub manifest: Manifest,
    /// The live segments that overlap the requested range (all when no range).
    pub segments: Vec<Arc<Segment>>,
    pub wal_path: PathBuf,
    pub wal: Vec<u8>,
}

impl Snapshot {
    /// The deleted streams whose rows `segment` (one of `segments`) still holds: a reader must
    /// skip those rows (see [`crate::Store::delete_stream`]).
    pub fn hidden_streams(&self, segment: &Segment) -> &[String] {
        let name = segment.path().file_name().and_then(|n| n.to_str());
        self.manifest
            .segments
            .iter()
            .find(|e| Some(e.file.as_str()) == name)
            .map_or(&[], |e| e.hidden_streams.as_slice())
    }

    pub fn load(
        dir: &Path,
        start: Option<i64>,
        end: Option<i64>,
        cache: &SegmentCache,
    ) -> Result<Snapshot> {
        let mut last_err = None;
        for _ in 0..RETRIES {
            let manifest = Manifest::load(dir)?;
            match Self::try_open(dir, &manifest, start, end, cache) {
                Ok((segments, wal)) => {
                    if Manifest::load(dir)?.generation == manifest.generation {
                        cache.retain_live(dir, &manifest);
                        return Ok(Snapshot {
                            wal_path: dir.join(&manifest.wal),
                            manifest,
                            segments,
                            wal,
                        });
                    }
                }
                Err(e) => {
                    if Manifest::load(dir)?.generation == manifest.generation {
                        return Err(e);
                    }
                    last_err = Some(e);
                }
            }
        }
        Err(last_err.unwrap_or_else(|| {
            StoreError::corrupt(dir, "the manifest kept changing while a read opened it")
        }))
    }

    #[allow(clippy::type_complexity)]
    fn try_open(
        dir: &Path,
        manifest: &Manifest,
        start: Option<i64>,
        end: Option<i64>,
        cache: &SegmentCache,
    ) -> Result<(Vec<Arc<Segment>>, Vec<u8>)> {
        let mut segments = Vec::new();
        for entry in &manifest.segments {
            let overlaps =
                start.is_none_or(|s| entry.max_ts >= s) && end.is_none_or(|e| entry.min_ts <= e);
            if overlaps {
                segments.push(cache.open(&dir.join(&entry.file))?);
            }
        }
        let wal_path = dir.join(&manifest.wal);
        let wal = match std::fs::read(&wal_path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(StoreError::io(&wal_path)(e)),
        };
        Ok((segments, wal))
    }
}
