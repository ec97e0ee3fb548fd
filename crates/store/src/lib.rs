//! Loupe's log store: the bytes on disk behind every query.
//!
//! The store keeps a catalog of log groups and streams and, per group, a write-ahead log of
//! CRC-framed event batches (fsynced before a batch is acknowledged) that a sealer turns into
//! immutable columnar [`segment`]s named by an atomically swapped manifest. It discovers fields
//! as Insights does ([`discover`]: flattened JSON, AWS service formats) and stores them as typed
//! columns; JSON and text messages are kept as templates plus values (the CLP idea), so
//! `@message` stays byte-exact while the store beats general-purpose compressors on logs. It
//! hands events out as Arrow record batches ([`Store::scan`], [`Store::scan_with`] with pruning
//! predicates and newest-first early stop) and lists fields per time range ([`Store::fields`]).
//!
//! It knows nothing of DataFusion, of the Insights language or of AWS API shapes: validating
//! PutLogEvents calls is the service's job (`loupe_service::put_log_events`), planning queries
//! the engine's.
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
//! Layout of a store directory:
//!
//! ```text
//! catalog.json            groups, streams, retention (replaced atomically)
//! store.lock              serialises writers (appends, seals, compactions, retention)
//! groups/<id>/
//!   manifest.json         live segments + the live WAL (replaced atomically; see `manifest`)
//!   wal-<n>.log           write-ahead log of unsealed batches (`wal.log` before the first seal)
//!   seg-<n>.lseg          immutable columnar segments (format: [`segment`])
//! ```
//!
//! Group directories and segment/WAL files are numbered with numbers never reused, so a deleted
//! and re-created group never sees old files. Readers take no lock: each scan reads a group's
//! manifest once and sees exactly the segments it names plus the WAL's complete frames
//! (read-your-writes for acknowledged batches). An append fsyncs its frame before returning and
//! seals the WAL into a segment once it passes [`StoreConfig::seal_threshold_bytes`]; sealing
//! compacts small segments; [`Store::apply_retention`] drops expired segments.

mod bulk;
pub mod calendar;
mod catalog;
pub mod discover;
mod error;
mod event;
mod fields;
mod manifest;
mod names;
pub mod ptr;
mod scan;
pub mod segment;
mod settle;
mod snapshot;
#[cfg(test)]
mod store_tests;
pub mod wal;

use std::collections::{BTreeMap, HashMap};
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use bulk::BulkLoad;
pub use error::{Result, StoreError};
pub use event::Event;
pub use fields::FieldInfo;
pub use names::{validate_group_name, validate_stream_name};
pub use scan::{
    BATCH_ROWS, FilterError, INGESTION_TIME, LOG_GROUP, LOG_STREAM, MESSAGE, PTR, ROWID, RowFilter,
    ScanHints, ScanOrder, ScanOutput, ScanPlan, ScanReader, ScanRequest, ScanSummary, TIMESTAMP,
    is_companion_column, is_system_column, lenient_number, number_column, presence_column,
};
pub use segment::{FieldType, WriteConfig};
pub use settle::SettleReport;

use catalog::{Catalog, GroupMeta, StreamMeta};
use manifest::{Manifest, SegmentEntry, remove_unnamed, segment_file, wal_file};
use segment::{Segment, encode_rows, encode_segment, write_segment, write_segment_unlinked};
use wal::WalWriter;

/// AWS counts 26 bytes of overhead per event in batch sizes and scanned bytes.
pub const EVENT_OVERHEAD_BYTES: u64 = 26;

/// The retention periods AWS allows, in days (`PutRetentionPolicy`).
pub const RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

const DAY_MS: i64 = 86_400_000;

/// Tuning of sealing, segments and compaction.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// An append that leaves the group's WAL larger than this seals it into a segment.
    pub seal_threshold_bytes: u64,
    /// Segments smaller than this are merged by compaction.
    pub compact_below_bytes: u64,
    /// A seal that leaves this many small segments compacts them.
    pub compact_min_segments: usize,
    /// zstd level compaction rewrites segments with (sealing uses `segment.zstd_level`).
    pub compact_zstd_level: i32,
    /// zstd level [`Store::settle`] recompresses segments at: the smallest store, at a cost
    /// paid once, off the ingest path.
    pub settle_zstd_level: i32,
    /// A [`BulkLoad`] cuts a segment once its messages reach this many bytes: large enough that
    /// its segments are not small ones that compaction would rewrite.
    pub bulk_segment_bytes: u64,
    /// A [`BulkLoad`] publishes its written segments once they hold this many message bytes
    /// (and at its end).
    pub bulk_publish_bytes: u64,
    /// Rows per block of a [`BulkLoad`]'s segments at most (`segment.block_message_bytes` still
    /// closes a block first). Larger than a seal's: text templates and slot columns are kept
    /// per block, so short text lines compress much better in longer blocks (see
    /// `PERFORMANCE.md`), at no cost in ingest CPU.
    pub bulk_block_rows: usize,
    pub segment: WriteConfig,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            seal_threshold_bytes: 16 << 20,
            compact_below_bytes: 8 << 20,
            compact_min_segments: 8,
            compact_zstd_level: 9,
            settle_zstd_level: 19,
            bulk_segment_bytes: 128 << 20,
            bulk_publish_bytes: 1 << 30,
            bulk_block_rows: 16384,
            segment: WriteConfig::default(),
        }
    }
}

/// A store rooted at one directory. Cheap to open; holds no file open between calls.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    config: StoreConfig,
    /// WAL lengths this handle left after its own appends, so the next append can skip
    /// re-reading the log for a torn tail (a different length means someone else wrote).
    wal_lengths: Arc<Mutex<HashMap<PathBuf, u64>>>,
    /// Segments kept open between reads (see [`snapshot::SegmentCache`]).
    segments: Arc<snapshot::SegmentCache>,
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

/// A log stream as `describe` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    pub name: String,
    pub creation_time: i64,
}

/// A point in sealing at which a test makes the sealer stop, as a crash would.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CrashPoint {
    SegmentWritten,
    WalCreated,
    ManifestSwapped,
}

#[cfg(not(test))]
type CrashPoint = std::convert::Infallible;

fn crash_at(_at: Option<CrashPoint>, _here: &str) -> Result<()> {
    #[cfg(test)]
    if let Some(at) = _at
        && format!("{at:?}") == _here
    {
        return Err(StoreError::corrupt(
            "<test>",
            format!("simulated crash after {_here}"),
        ));
    }
    Ok(())
}

impl Store {
    /// Opens the store at `root`, creating the directory if needed.
    pub fn open(root: &Path) -> Result<Store> {
        Self::open_with(root, StoreConfig::default())
    }

    pub fn open_with(root: &Path, config: StoreConfig) -> Result<Store> {
        std::fs::create_dir_all(root.join("groups")).map_err(StoreError::io(root))?;
        Ok(Store {
            root: root.to_owned(),
            config,
            wal_lengths: Arc::default(),
            segments: Arc::default(),
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

    fn group_meta<'c>(catalog: &'c Catalog, group: &str) -> Result<&'c GroupMeta> {
        catalog
            .groups
            .get(group)
            .ok_or_else(|| StoreError::GroupNotFound(group.into()))
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

    /// Deletes a log group and all its events.
    pub fn delete_group(&self, name: &str) -> Result<()> {
        self.write(|catalog| {
            let meta = catalog
                .groups
                .remove(name)
                .ok_or_else(|| StoreError::GroupNotFound(name.into()))?;
            // The catalog is saved first: a crash before the files go leaves an unnamed
            // directory (ids are never reused), not a group with missing data.
            catalog.save(&self.root)?;
            let dir = self.group_dir(&meta);
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io(&dir)(e)),
            }
            Ok(((), false))
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

    /// Deletes a stream and its events (`DeleteLogStream`); a missing group or stream is
    /// [`StoreError::GroupNotFound`] or [`StoreError::StreamNotFound`].
    ///
    /// The stream's unsealed events are left out of a seal; sealed segments holding only its
    /// events are dropped, small ones holding others' too are rewritten without them, and
    /// large ones list it in their manifest entry ([`Store::deleted_streams`]), so readers skip
    /// its rows there and compaction removes them. The manifest is swapped before the catalog
    /// forgets the stream: a crash in between leaves the stream listed with its events hidden,
    /// and deleting it again finishes the job.
    pub fn delete_stream(&self, group: &str, stream: &str) -> Result<()> {
        self.write(|catalog| {
            let meta = Self::group_meta(catalog, group)?;
            if !meta.streams.contains_key(stream) {
                return Err(StoreError::StreamNotFound {
                    group: group.into(),
                    stream: stream.into(),
                });
            }
            let dir = self.group_dir(meta);
            self.seal_dir(&dir, None, Some(stream))?;
            let mut m = Manifest::load(&dir)?;
            let mut changed = false;
            let mut kept = Vec::with_capacity(m.segments.len());
            for mut entry in m.segments.drain(..) {
                if entry.hidden_streams.iter().any(|s| s == stream) {
                    kept.push(entry);
                    continue;
                }
                let seg = Segment::open(&dir.join(&entry.file))?;
                let footer = seg.footer();
                let Some(id) = footer.streams.iter().position(|s| s == stream) else {
                    kept.push(entry);
                    continue;
                };
                let mut rows = 0u64;
                for b in 0..footer.blocks.len() {
                    let ids = seg.stream_ids(b)?;
                    rows += ids.iter().filter(|&&s| s as usize == id).count() as u64;
                }
                if rows == 0 {
                    kept.push(entry);
                    continue;
                }
                changed = true;
                if entry.hidden_rows + rows >= entry.rows {
                    continue; // Nothing else left in it.
                }
                entry.hidden_streams.push(stream.into());
                entry.hidden_rows += rows;
                kept.push(entry);
            }
            m.segments = kept;
            if changed {
                m.generation += 1;
                m.save(&dir)?;
                remove_unnamed(&dir, &m)?;
                self.purge_dir(&dir)?;
            }
            if let Some(meta) = catalog.groups.get_mut(group) {
                meta.streams.remove(stream);
            }
            Ok(((), true))
        })
    }

    /// Rewrites the small segments (below [`StoreConfig::compact_below_bytes`]) that hold rows
    /// of deleted streams without those rows, in one manifest swap; larger ones keep their
    /// rows hidden until compaction (bounding the work of a delete).
    fn purge_dir(&self, dir: &Path) -> Result<()> {
        let mut m = Manifest::load(dir)?;
        let mut changed = false;
        for i in 0..m.segments.len() {
            let entry = &m.segments[i];
            if entry.hidden_streams.is_empty() || entry.bytes >= self.config.compact_below_bytes {
                continue;
            }
            let mut rows = Segment::open(&dir.join(&entry.file))?.read_rows()?;
            rows.retain(|r| !entry.hidden_streams.contains(&r.stream));
            let file = segment_file(m.take_file_number());
            let bytes = encode_segment(&mut rows, &self.config.segment)?;
            write_segment(&dir.join(&file), &bytes)?;
            m.segments[i] = SegmentEntry {
                file,
                rows: rows.len() as u64,
                min_ts: rows.first().map_or(0, |r| r.event.timestamp),
                max_ts: rows.last().map_or(0, |r| r.event.timestamp),
                bytes: bytes.len() as u64,
                hidden_streams: Vec::new(),
                hidden_rows: 0,
                zstd_level: Some(self.config.segment.zstd_level),
            };
            changed = true;
        }
        if changed {
            m.generation += 1;
            m.save(dir)?;
            remove_unnamed(dir, &m)?;
        }
        Ok(())
    }

    /// Per live segment file of `group`, the deleted streams whose rows it still holds: a
    /// reader must not return those rows. File names are never reused and a segment's list only
    /// grows, so a reader may ask after opening its snapshot.
    pub fn deleted_streams(&self, group: &str) -> Result<BTreeMap<String, Vec<String>>> {
        let catalog = Catalog::load(&self.root)?;
        let dir = self.group_dir(Self::group_meta(&catalog, group)?);
        Ok(Manifest::load(&dir)?
            .segments
            .into_iter()
            .filter(|e| !e.hidden_streams.is_empty())
            .map(|e| (e.file, e.hidden_streams))
            .collect())
    }

    pub fn group_exists(&self, name: &str) -> Result<bool> {
        Ok(Catalog::load(&self.root)?.groups.contains_key(name))
    }

    /// The streams of `group`, sorted by name.
    pub fn streams(&self, group: &str) -> Result<Vec<StreamInfo>> {
        let catalog = Catalog::load(&self.root)?;
        Ok(Self::group_meta(&catalog, group)?
            .streams
            .iter()
            .map(|(name, meta)| StreamInfo {
                name: name.clone(),
                creation_time: meta.creation_time,
            })
            .collect())
    }

    /// Whether `stream` exists in `group` ([`StoreError::GroupNotFound`] if the group does not).
    pub fn stream_exists(&self, group: &str, stream: &str) -> Result<bool> {
        let catalog = Catalog::load(&self.root)?;
        Ok(Self::group_meta(&catalog, group)?
            .streams
            .contains_key(stream))
    }

    /// The group's retention in days (`None`: never expire).
    pub fn retention(&self, group: &str) -> Result<Option<u32>> {
        let catalog = Catalog::load(&self.root)?;
        Ok(Self::group_meta(&catalog, group)?.retention_days)
    }

    /// Sets (or with `None` removes) a group's retention; only [`RETENTION_DAYS`] values are
    /// allowed.
    pub fn set_retention(&self, group: &str, days: Option<u32>) -> Result<()> {
        if let Some(d) = days
            && !RETENTION_DAYS.contains(&d)
        {
            return Err(StoreError::InvalidRetention(d));
        }
        self.write(|catalog| {
            let meta = catalog
                .groups
                .get_mut(group)
                .ok_or_else(|| StoreError::GroupNotFound(group.into()))?;
            let changed = meta.retention_days != days;
            meta.retention_days = days;
            Ok(((), changed))
        })
    }

    /// Appends a batch of events to a stream and fsyncs it before returning. When the group's
    /// WAL has grown past [`StoreConfig::seal_threshold_bytes`], seals it first-hand.
    pub fn append(&self, group: &str, stream: &str, events: &[Event]) -> Result<()> {
        self.write(|catalog| {
            let meta = Self::group_meta(catalog, group)?;
            if !meta.streams.contains_key(stream) {
                return Err(StoreError::InvalidName {
                    what: "log stream",
                    name: stream.into(),
                    reason: "does not exist in this log group",
                });
            }
            let dir = self.group_dir(meta);
            let manifest = Manifest::load(&dir)?;
            let path = dir.join(&manifest.wal);
            let mut lengths = self
                .wal_lengths
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let known = lengths.remove(&path);
            let mut wal = WalWriter::open_known(&path, known)?;
            wal.append(stream, events)?;
            let len = wal.file_len()?;
            drop(wal);
            if len > self.config.seal_threshold_bytes {
                drop(lengths);
                // The batch is durable: a failed seal must not turn into a failed append (the
                // client would retry and duplicate it). The next append or seal tries again.
                let _ = self.seal_dir(&dir, None, None);
            } else {
                lengths.insert(path, len);
            }
            Ok(((), false))
        })
    }

    /// Seals the group's unsealed events into a segment; returns how many were sealed.
    pub fn seal(&self, group: &str) -> Result<u64> {
        self.write(|catalog| {
            let dir = self.group_dir(Self::group_meta(catalog, group)?);
            Ok((self.seal_dir(&dir, None, None)?, false))
        })
    }

    #[cfg(test)]
    pub(crate) fn seal_crashing(&self, group: &str, at: CrashPoint) -> Result<u64> {
        self.write(|catalog| {
            let dir = self.group_dir(Self::group_meta(catalog, group)?);
            Ok((self.seal_dir(&dir, Some(at), None)?, false))
        })
    }

    /// Sealing, under the writer lock: new segment, new empty WAL, manifest swap, old WAL
    /// deleted (see [`manifest`] for why this order loses nothing at any crash point).
    /// Events of `drop_stream` (being deleted) are left out.
    fn seal_dir(
        &self,
        dir: &Path,
        crash: Option<CrashPoint>,
        drop_stream: Option<&str>,
    ) -> Result<u64> {
        let mut m = Manifest::load(dir)?;
        remove_unnamed(dir, &m)?;
        let wal_path = dir.join(&m.wal);
        let wal_bytes = match std::fs::read(&wal_path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(StoreError::io(&wal_path)(e)),
        };
        let mut rows = Vec::new();
        let sealed = m.wal_sealed;
        let mut dropped = false;
        wal::read_frames_borrowed(&wal_path, &wal_bytes, |frame| {
            if frame.offset < sealed {
                return Ok(());
            }
            let before = rows.len();
            frame.push_rows(&wal_path, &mut rows)?;
            if let Some(gone) = drop_stream
                && rows.get(before).is_some_and(|r| r.stream == gone)
            {
                rows.truncate(before);
                dropped = true;
            }
            Ok(())
        })?;
        if rows.is_empty() && !dropped {
            return Ok(0);
        }
        let count = rows.len() as u64;
        // Only a deleted stream's events: a new empty WAL and no segment.
        let mut entry = None;
        if !rows.is_empty() {
            let file = segment_file(m.take_file_number());
            let bytes = encode_rows(&mut rows, &self.config.segment)?;
            write_segment_unlinked(&dir.join(&file), &bytes)?;
            entry = Some(SegmentEntry {
                file,
                rows: count,
                min_ts: rows.first().map_or(0, |r| r.timestamp),
                max_ts: rows.last().map_or(0, |r| r.timestamp),
                bytes: bytes.len() as u64,
                hidden_streams: Vec::new(),
                hidden_rows: 0,
                zstd_level: Some(self.config.segment.zstd_level),
            });
        }
        crash_at(crash, "SegmentWritten")?;
        let new_wal = wal_file(m.take_file_number());
        // Created empty: an empty log holds nothing and the first append writes its magic and
        // fsyncs. One fsync of the directory then makes the segment's and the log's names
        // durable before the manifest names them.
        let wal_path = dir.join(&new_wal);
        std::fs::File::create(&wal_path).map_err(StoreError::io(&wal_path))?;
        catalog::sync_dir(dir)?;
        crash_at(crash, "WalCreated")?;
        m.segments.extend(entry);
        m.wal = new_wal;
        m.wal_sealed = 0;
        m.generation += 1;
        m.save(dir)?;
        crash_at(crash, "ManifestSwapped")?;
        remove_unnamed(dir, &m)?;
        self.compact_by_policy(dir, &m)?;
        Ok(count)
    }

    /// Compacts when `m` (the group's live manifest) holds enough small segments.
    fn compact_by_policy(&self, dir: &Path, m: &Manifest) -> Result<()> {
        let small = m
            .segments
            .iter()
            .filter(|s| s.bytes < self.config.compact_below_bytes)
            .count();
        if small >= self.config.compact_min_segments.max(2) {
            self.compact_dir(dir)?;
        }
        Ok(())
    }

    /// Merges the group's small segments into one; returns how many segments were merged.
    pub fn compact(&self, group: &str) -> Result<usize> {
        self.write(|catalog| {
            let dir = self.group_dir(Self::group_meta(catalog, group)?);
            Ok((self.compact_dir(&dir)?, false))
        })
    }

    fn compact_dir(&self, dir: &Path) -> Result<usize> {
        let mut m = Manifest::load(dir)?;
        remove_unnamed(dir, &m)?;
        let picked = pick_for_compaction(&m.segments, self.config.compact_below_bytes);
        if picked.len() < 2 {
            return Ok(0);
        }
        let mut rows = Vec::new();
        for &i in &picked {
            let entry = &m.segments[i];
            let mut seg_rows = Segment::open(&dir.join(&entry.file))?.read_rows()?;
            // Rows of deleted streams go for good here.
            seg_rows.retain(|r| !entry.hidden_streams.contains(&r.stream));
            rows.extend(seg_rows);
        }
        let file = segment_file(m.take_file_number());
        let config = WriteConfig {
            zstd_level: self.config.compact_zstd_level,
            ..self.config.segment.clone()
        };
        let bytes = encode_segment(&mut rows, &config)?;
        write_segment(&dir.join(&file), &bytes)?;
        let entry = SegmentEntry {
            file,
            rows: rows.len() as u64,
            min_ts: rows.first().map_or(0, |r| r.event.timestamp),
            max_ts: rows.last().map_or(0, |r| r.event.timestamp),
            bytes: bytes.len() as u64,
            hidden_streams: Vec::new(),
            hidden_rows: 0,
            zstd_level: Some(config.zstd_level),
        };
        let first = picked[0];
        let mut kept = Vec::with_capacity(m.segments.len() - picked.len() + 1);
        for (i, s) in m.segments.drain(..).enumerate() {
            if i == first {
                kept.push(entry.clone());
            }
            if !picked.contains(&i) {
                kept.push(s);
            }
        }
        m.segments = kept;
        m.generation += 1;
        m.save(dir)?;
        remove_unnamed(dir, &m)?;
        Ok(picked.len())
    }

    /// Drops the segments of every group whose events are all older than the group's retention
    /// at `now_ms`; returns how many segments went. Unsealed events expire with the segment
    /// they are sealed into.
    /// As in AWS, expiry is lazy: scans do not hide expired events still stored.
    pub fn apply_retention(&self, now_ms: i64) -> Result<usize> {
        self.write(|catalog| {
            let mut dropped = 0;
            for meta in catalog.groups.values() {
                let Some(days) = meta.retention_days else {
                    continue;
                };
                let cutoff = now_ms.saturating_sub(i64::from(days) * DAY_MS);
                let dir = self.group_dir(meta);
                let mut m = Manifest::load(&dir)?;
                let before = m.segments.len();
                m.segments.retain(|s| s.max_ts >= cutoff);
                if m.segments.len() != before {
                    dropped += before - m.segments.len();
                    m.generation += 1;
                    m.save(&dir)?;
                    remove_unnamed(&dir, &m)?;
                }
            }
            Ok((dropped, false))
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
                let snap = snapshot::Snapshot::load(&dir, None, None, &self.segments)?;
                let mut event_count: u64 = snap
                    .manifest
                    .segments
                    .iter()
                    .map(|s| s.rows - s.hidden_rows.min(s.rows))
                    .sum();
                wal::read_frames_in(&snap.wal_path, &snap.wal, |frame| {
                    if frame.offset >= snap.manifest.wal_sealed {
                        event_count += u64::from(frame.count);
                    }
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

    fn group_dirs(&self, groups: &[String]) -> Result<Vec<(String, PathBuf)>> {
        let catalog = Catalog::load(&self.root)?;
        groups
            .iter()
            .map(|g| Ok((g.clone(), self.group_dir(Self::group_meta(&catalog, g)?))))
            .collect()
    }

    /// Reads the events of `request.groups` in the request's time range.
    pub fn scan(&self, request: &ScanRequest) -> Result<ScanOutput> {
        self.scan_with(request, &ScanHints::default())
    }

    /// Plans a scan without reading block data: readers of the plan decode it, in parallel
    /// partitions and only the columns asked for (what the query engine uses).
    pub fn plan_scan(&self, request: &ScanRequest, hints: &ScanHints) -> Result<ScanPlan> {
        ScanPlan::new(
            &self.group_dirs(&request.groups)?,
            request,
            hints,
            &self.segments,
        )
    }

    /// Like [`Store::scan`], with predicates that let the scan skip data, and an order.
    pub fn scan_with(&self, request: &ScanRequest, hints: &ScanHints) -> Result<ScanOutput> {
        scan::scan(
            &self.group_dirs(&request.groups)?,
            request,
            hints,
            &self.segments,
        )
    }

    /// The discovered fields of `groups` in `[start_ms, end_ms]`, with their types and the
    /// percentage of events carrying each (`GetLogGroupFields`).
    pub fn fields(
        &self,
        groups: &[String],
        start_ms: Option<i64>,
        end_ms: Option<i64>,
    ) -> Result<Vec<FieldInfo>> {
        fields::fields(&self.group_dirs(groups)?, start_ms, end_ms, &self.segments)
    }
}

/// A segment joins a merge only while it is at most this many times the size of what the
/// merge holds so far.
const COMPACT_SIZE_RATIO: u64 = 4;

/// The small segments (below `below` bytes) to merge, in manifest order: smallest first, each
/// next one only while it is at most [`COMPACT_SIZE_RATIO`] times the picked total, and at most
/// `2 * below` bytes in all (the merge holds its rows in memory). Merging segments of similar
/// sizes rewrites each byte a logarithmic number of times; merging every small segment each
/// time would rewrite a growing segment at every small ingest (which compacts at its end).
fn pick_for_compaction(segments: &[SegmentEntry], below: u64) -> Vec<usize> {
    let limit = below.saturating_mul(2);
    let mut small: Vec<usize> = (0..segments.len())
        .filter(|&i| segments[i].bytes < below)
        .collect();
    small.sort_by_key(|&i| segments[i].bytes);
    let mut picked = Vec::new();
    let mut total = 0u64;
    for i in small {
        let bytes = segments[i].bytes;
        let fits = total.saturating_add(bytes) <= limit;
        if !fits || (!picked.is_empty() && bytes > total.saturating_mul(COMPACT_SIZE_RATIO)) {
            break;
        }
        picked.push(i);
        total += bytes;
    }
    picked.sort_unstable();
    picked
}

fn dir_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in manifest::dir_entries(dir)? {
        let meta = entry.metadata().map_err(StoreError::io(&entry.path()))?;
        total += if meta.is_dir() {
            dir_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}
