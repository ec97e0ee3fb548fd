//! Loupe's log store: the bytes on disk behind every query.
//!
//! The store keeps a catalog of log groups and streams and, per group, a write-ahead log of
//! CRC-framed event batches that is fsynced before a batch is acknowledged. It hands events out
//! as Arrow record batches ([`Store::scan`]), with JSON fields discovered as Insights does
//! ([`discover`]). It knows nothing of DataFusion, of the Insights language or of AWS API
//! shapes: validating PutLogEvents calls is the service's job, planning queries the engine's.
//!
//! ```no_run
//! use loupe_store::{Event, ScanRequest, Store};
//! let store = Store::open("/tmp/loupe-store".as_ref())?;
//! store.create_group("app", 0)?;
//! store.create_stream("app", "web-1", 0)?;
//! store.append("app", "web-1", &[Event { timestamp: 1, ingestion_time: 2, message: "hi".into() }])?;
//! let out = store.scan(&ScanRequest { groups: vec!["app".into()], ..Default::default() })?;
//! assert_eq!(out.records_scanned, 1);
//! # Ok::<(), loupe_store::StoreError>(())
//! ```
//!
//! Layout of a store directory: `catalog.json` (replaced atomically), `store.lock` (serialises
//! writers), and `groups/<id>/wal.log` per log group. Group directories are named by a number
//! that is never reused, so a deleted and re-created group never sees old files.

mod catalog;
pub mod discover;
mod error;
mod event;
mod names;
mod scan;
pub mod segment;
pub mod wal;

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

pub use error::{Result, StoreError};
pub use event::Event;
pub use names::{validate_group_name, validate_stream_name};
pub use scan::{
    BATCH_ROWS, INGESTION_TIME, LOG_GROUP, LOG_STREAM, MESSAGE, ScanOutput, ScanRequest, TIMESTAMP,
    is_system_column,
};

use catalog::{Catalog, GroupMeta, StreamMeta};
use scan::BatchBuilder;
use wal::WalWriter;

/// AWS counts 26 bytes of overhead per event in batch sizes and scanned bytes.
pub const EVENT_OVERHEAD_BYTES: u64 = 26;

/// A store rooted at one directory. Cheap to open; holds no file open between calls.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// A log group as `describe` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    pub name: String,
    pub creation_time: i64,
    pub retention_days: Option<u32>,
    pub stream_count: usize,
    pub event_count: u64,
    pub stored_bytes: u64,
}

impl Store {
    /// Opens the store at `root`, creating the directory if needed.
    pub fn open(root: &Path) -> Result<Store> {
        std::fs::create_dir_all(root.join("groups")).map_err(StoreError::io(root))?;
        Ok(Store {
            root: root.to_owned(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Runs `f` holding the store's writer lock, with the catalog loaded; saves the catalog
    /// afterwards when `f` reports it changed.
    fn write<T>(&self, f: impl FnOnce(&mut Catalog) -> Result<(T, bool)>) -> Result<T> {
        let lock_path = self.root.join("store.lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(StoreError::io(&lock_path))?;
        lock.lock().map_err(StoreError::io(&lock_path))?;
        let mut catalog = Catalog::load(&self.root)?;
        let (out, changed) = f(&mut catalog)?;
        if changed {
            catalog.save(&self.root)?;
        }
        drop(lock); // releases the lock
        Ok(out)
    }

    fn group_dir(&self, meta: &GroupMeta) -> PathBuf {
        self.root.join("groups").join(meta.id.to_string())
    }

    /// Creates a log group; an existing name is [`StoreError::GroupExists`].
    pub fn create_group(&self, name: &str, now_ms: i64) -> Result<()> {
        validate_group_name(name)?;
        self.write(|catalog| {
            if catalog.groups.contains_key(name) {
                return Err(StoreError::GroupExists(name.into()));
            }
            let id = catalog.next_id;
            catalog.next_id += 1;
            let meta = GroupMeta {
                id,
                creation_time: now_ms,
                retention_days: None,
                streams: Default::default(),
            };
            let dir = self.group_dir(&meta);
            std::fs::create_dir_all(&dir).map_err(StoreError::io(&dir))?;
            catalog.groups.insert(name.into(), meta);
            Ok(((), true))
        })
    }

    /// Creates a stream in `group`; creating an existing stream is a no-op.
    pub fn create_stream(&self, group: &str, stream: &str, now_ms: i64) -> Result<()> {
        validate_stream_name(stream)?;
        self.write(|catalog| {
            let meta = catalog
                .groups
                .get_mut(group)
                .ok_or_else(|| StoreError::GroupNotFound(group.into()))?;
            if meta.streams.contains_key(stream) {
                return Ok(((), false));
            }
            meta.streams.insert(
                stream.into(),
                StreamMeta {
                    creation_time: now_ms,
                },
            );
            Ok(((), true))
        })
    }

    pub fn group_exists(&self, name: &str) -> Result<bool> {
        Ok(Catalog::load(&self.root)?.groups.contains_key(name))
    }

    /// Appends a batch of events to a stream and fsyncs it before returning.
    pub fn append(&self, group: &str, stream: &str, events: &[Event]) -> Result<()> {
        self.write(|catalog| {
            let meta = catalog
                .groups
                .get(group)
                .ok_or_else(|| StoreError::GroupNotFound(group.into()))?;
            if !meta.streams.contains_key(stream) {
                return Err(StoreError::InvalidName {
                    what: "log stream",
                    name: stream.into(),
                    reason: "does not exist in this log group",
                });
            }
            let mut wal = WalWriter::open(&self.group_dir(meta).join("wal.log"))?;
            wal.append(stream, events)?;
            Ok(((), false))
        })
    }

    /// Lists every log group with its size, sorted by name.
    pub fn groups(&self) -> Result<Vec<GroupInfo>> {
        let catalog = Catalog::load(&self.root)?;
        catalog
            .groups
            .iter()
            .map(|(name, meta)| {
                let dir = self.group_dir(meta);
                let wal = dir.join("wal.log");
                let mut event_count = 0;
                wal::read_frames(&wal, |frame| {
                    event_count += u64::from(frame.count);
                    Ok(())
                })?;
                Ok(GroupInfo {
                    name: name.clone(),
                    creation_time: meta.creation_time,
                    retention_days: meta.retention_days,
                    stream_count: meta.streams.len(),
                    event_count,
                    stored_bytes: dir_size(&dir)?,
                })
            })
            .collect()
    }

    /// Reads the events of `request.groups` in the request's time range.
    pub fn scan(&self, request: &ScanRequest) -> Result<ScanOutput> {
        let catalog = Catalog::load(&self.root)?;
        let schema = request.schema();
        let mut builder = BatchBuilder::new(schema.clone());
        let (mut records_scanned, mut bytes_scanned) = (0, 0);
        for group in &request.groups {
            let meta = catalog
                .groups
                .get(group)
                .ok_or_else(|| StoreError::GroupNotFound(group.clone()))?;
            let path = self.group_dir(meta).join("wal.log");
            wal::read_frames(&path, |frame| {
                if !request.overlaps(frame.min_timestamp, frame.max_timestamp) {
                    return Ok(());
                }
                let batch = frame.decode(&path)?;
                for event in batch
                    .events
                    .iter()
                    .filter(|e| request.contains(e.timestamp))
                {
                    records_scanned += 1;
                    bytes_scanned += event.message.len() as u64 + EVENT_OVERHEAD_BYTES;
                    builder.push(group, &batch.stream, event)?;
                }
                Ok(())
            })?;
        }
        builder.flush()?;
        Ok(ScanOutput {
            schema,
            batches: builder.batches,
            records_scanned,
            bytes_scanned,
        })
    }
}

fn dir_size(dir: &Path) -> Result<u64> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => {
            return Err(StoreError::Io {
                path: dir.to_owned(),
                source: e,
            });
        }
    };
    let mut total = 0;
    for entry in entries {
        let entry = entry.map_err(StoreError::io(dir))?;
        let meta = entry.metadata().map_err(StoreError::io(&entry.path()))?;
        total += if meta.is_dir() {
            dir_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}
