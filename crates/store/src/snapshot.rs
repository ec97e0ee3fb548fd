//! A consistent view of a log group for one read: the manifest read once, the segments it names
//! opened (mmapped) and its write-ahead log read into memory.
//!
//! Writers may seal, compact or expire concurrently and delete files the new manifest no longer
//! names. A reader takes the manifest, opens what it names, then checks the manifest's
//! generation again: unchanged means every file it opened was live throughout; changed means it
//! may have raced a swap, and it retries. Once opened, a mapping stays valid after the file is
//! deleted.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Result, StoreError};
use crate::manifest::Manifest;
use crate::segment::Segment;

const RETRIES: usize = 20;

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

    pub fn load(dir: &Path, start: Option<i64>, end: Option<i64>) -> Result<Snapshot> {
        let mut last_err = None;
        for _ in 0..RETRIES {
            let manifest = Manifest::load(dir)?;
            match Self::try_open(dir, &manifest, start, end) {
                Ok((segments, wal)) => {
                    if Manifest::load(dir)?.generation == manifest.generation {
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
    ) -> Result<(Vec<Arc<Segment>>, Vec<u8>)> {
        let mut segments = Vec::new();
        for entry in &manifest.segments {
            let overlaps =
                start.is_none_or(|s| entry.max_ts >= s) && end.is_none_or(|e| entry.min_ts <= e);
            if overlaps {
                segments.push(Arc::new(Segment::open(&dir.join(&entry.file))?));
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
