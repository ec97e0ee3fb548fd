//! Bulk loading: events already in hand (a file being imported) go straight into segments,
//! without the write-ahead log.
//!
//! An append makes each batch durable on its own (one fsync per batch, then the log is read
//! back and sealed); a file import needs none of that, because nothing is acknowledged until the
//! whole file is in. A [`BulkLoad`] keeps the rows it is given in memory, cut into blocks as
//! the segment encoder cuts them; while rows arrive in timestamp order (most log files), each
//! block is encoded on the rayon pool as soon as it is full, so reading and encoding overlap.
//! Once [`StoreConfig::bulk_segment_bytes`] of messages are in, a writer thread lays the blocks
//! out as a segment (the same bytes a seal would encode for those rows) and writes it, fsynced,
//! into the load's own directory `groups/<id>/load-<token>/`. Rows that arrive out of order
//! make their segment fall back to sorting and encoding everything at its end, on the writer
//! thread.
//!
//! Publishing moves the written segments into the group directory and names them in one
//! manifest swap, under the writer lock: that swap is the durability point. [`BulkLoad::finish`]
//! publishes what is left; a load also publishes every
//! [`StoreConfig::bulk_publish_bytes`] of messages, so a crash loses at most that much of a
//! long import and leaves a prefix of it, segment by segment, never part of one. A load is
//! never compacted while it runs: its segments are written large in the first place; after the
//! final swap the store's usual policy merges small segments (a small import's one segment).
//!
//! The load holds a lock file inside its directory for its lifetime. Any writer that finds a
//! load directory whose lock it can take (the loader died) deletes it ([`remove_stale_loads`]),
//! so a crash leaves no orphan that a later reader or writer could mistake for data: readers
//! only ever open what a manifest names.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;

use crate::catalog::sync_dir;
use crate::error::{Result, StoreError};
use crate::manifest::{Manifest, SegmentEntry, remove_unnamed, segment_file};
use crate::segment::{
    Assembler, BlockEncoding, MAX_BLOCK_ROWS, RowRef, WriteConfig, encode_block_alone, encode_rows,
    recycle, write_segment_unlinked,
};
use crate::{Store, StoreConfig};

/// Blocks of written segments waiting for reuse at most (a segment's worth of short rows).
const SPARE_BLOCKS: usize = 128;

/// The lock file a live load holds inside its directory.
const LOCK_FILE: &str = "lock";
/// Directory names of loads start with this.
const LOAD_PREFIX: &str = "load-";

/// A bulk load into one log group (see the module docs). Dropping it without
/// [`finish`](BulkLoad::finish) publishes nothing more and deletes its unpublished segments.
pub struct BulkLoad {
    store: Store,
    group: String,
    group_id: u64,
    dir: PathBuf,
    load_dir: PathBuf,
    /// Held (locked) for the load's lifetime: a writer that can lock it knows the load is dead.
    _lock: File,
    config: Arc<WriteConfig>,
    segment_bytes: u64,
    publish_bytes: u64,
    /// Stream names, indexed by the ids the rows carry.
    streams: Arc<Vec<String>>,
    stream_ids: HashMap<String, u32>,
    last_stream: Option<(String, u32)>,
    building: Building,
    next_file: u64,
    jobs: Option<SyncSender<Job>>,
    results: Receiver<Result<Written>>,
    /// Blocks of written segments, for the rows of new ones (their buffers already grown and
    /// faulted in).
    spare: Receiver<Block>,
    writer: Option<JoinHandle<()>>,
    /// Segments written and not yet published, in order.
    written: Vec<Written>,
    /// The first error of the writer thread; nothing after it is published.
    failed: Option<StoreError>,
    published_rows: u64,
}

impl std::fmt::Debug for BulkLoad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkLoad")
            .field("group", &self.group)
            .field("load_dir", &self.load_dir)
            .field("published_rows", &self.published_rows)
            .finish_non_exhaustive()
    }
}

/// Rows of one block, owned: messages back to back in one string.
#[derive(Default)]
struct Block {
    timestamps: Vec<i64>,
    ingestion: Vec<i64>,
    streams: Vec<u32>,
    /// End offset of each message in `text`.
    ends: Vec<usize>,
    text: String,
}

impl Block {
    /// An empty block with room for one like `like` (blocks of a file are much alike): no
    /// copying while its columns grow.
    fn like(like: &Block) -> Block {
        let rows = like.len() + like.len() / 8;
        Block {
            timestamps: Vec::with_capacity(rows),
            ingestion: Vec::with_capacity(rows),
            streams: Vec::with_capacity(rows),
            ends: Vec::with_capacity(rows),
            text: String::with_capacity(like.text.len() + like.text.len() / 8),
        }
    }

    fn len(&self) -> usize {
        self.timestamps.len()
    }

    fn clear(&mut self) {
        self.timestamps.clear();
        self.ingestion.clear();
        self.streams.clear();
        self.ends.clear();
        self.text.clear();
    }

    fn push_rows<'a>(&'a self, names: &'a [String], out: &mut Vec<RowRef<'a>>) {
        let mut start = 0;
        for i in 0..self.len() {
            let end = self.ends[i];
            out.push(RowRef {
                timestamp: self.timestamps[i],
                ingestion_time: self.ingestion[i],
                stream: names
                    .get(self.streams[i] as usize)
                    .map_or("", String::as_str),
                message: self.text.get(start..end).unwrap_or_default(),
            });
            start = end;
        }
    }
}

/// The segment being filled.
struct Building {
    blocks: Vec<Arc<Block>>,
    current: Block,
    /// Blocks being encoded ahead, one per closed block, while every row so far came in
    /// timestamp order; `None` once one did not (the segment is sorted and encoded at its end).
    encoded: Option<Vec<Receiver<Result<BlockEncoding>>>>,
    last_ts: i64,
    bytes: u64,
}

impl Building {
    fn new() -> Self {
        Building {
            blocks: Vec::new(),
            current: Block::default(),
            encoded: Some(Vec::new()),
            last_ts: i64::MIN,
            bytes: 0,
        }
    }

    fn is_empty(&self) -> bool {
        self.blocks.is_empty() && self.current.len() == 0
    }
}

/// A segment for the writer thread.
struct Job {
    blocks: Vec<Arc<Block>>,
    encoded: Option<Vec<Receiver<Result<BlockEncoding>>>>,
    streams: Arc<Vec<String>>,
    path: PathBuf,
}

/// A segment written into the load directory.
struct Written {
    path: PathBuf,
    rows: u64,
    min_ts: i64,
    max_ts: i64,
    bytes: u64,
    message_bytes: u64,
}

impl Store {
    /// Starts a bulk load into `group` (see [`BulkLoad`]). Its streams must exist when it
    /// publishes.
    pub fn bulk_load(&self, group: &str) -> Result<BulkLoad> {
        let Staging {
            group_id,
            dir,
            load_dir,
            lock,
        } = self.staging(group)?;
        let config = Arc::new(WriteConfig {
            block_rows: self.config.bulk_block_rows,
            ..self.config.segment.clone()
        });
        let (jobs, jobs_rx) = sync_channel::<Job>(1);
        let (results_tx, results) = channel();
        let (spare_tx, spare) = sync_channel::<Block>(SPARE_BLOCKS);
        let writer_config = config.clone();
        let writer = std::thread::Builder::new()
            .name("loupe-bulk-writer".into())
            .spawn(move || {
                for job in jobs_rx {
                    if results_tx
                        .send(write_job(job, &writer_config, &spare_tx))
                        .is_err()
                    {
                        break;
                    }
                }
            })
            .map_err(StoreError::io(&load_dir))?;
        let StoreConfig {
            bulk_segment_bytes,
            bulk_publish_bytes,
            ..
        } = self.config;
        Ok(BulkLoad {
            store: self.clone(),
            group: group.to_owned(),
            group_id,
            dir,
            load_dir,
            _lock: lock,
            config,
            segment_bytes: bulk_segment_bytes.max(1),
            publish_bytes: bulk_publish_bytes.max(1),
            streams: Arc::default(),
            stream_ids: HashMap::new(),
            last_stream: None,
            building: Building::new(),
            next_file: 1,
            jobs: Some(jobs),
            results,
            spare,
            writer: Some(writer),
            written: Vec::new(),
            failed: None,
            published_rows: 0,
        })
    }
}

/// A directory of segments being written outside the writer lock (by a bulk load, or by
/// [`Store::settle`]), inside the group's directory and locked while its owner lives.
pub(crate) struct Staging {
    pub group_id: u64,
    /// The group's directory.
    pub dir: PathBuf,
    /// The staging directory itself.
    pub load_dir: PathBuf,
    /// Held while the directory is in use: a writer that can take it deletes the directory.
    pub lock: File,
}

impl Store {
    /// Makes a staging directory in `group`'s.
    pub(crate) fn staging(&self, group: &str) -> Result<Staging> {
        static LOADS: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let token = format!(
            "{LOAD_PREFIX}{}-{nanos}-{}",
            std::process::id(),
            LOADS.fetch_add(1, Ordering::Relaxed)
        );
        // Under the writer lock, so that no writer cleaning stale loads sees the directory
        // before its lock is held.
        self.write(|catalog| {
            let meta = Self::group_meta(catalog, group)?;
            let dir = self.group_dir(meta);
            remove_stale_loads(&dir)?;
            let load_dir = dir.join(&token);
            std::fs::create_dir(&load_dir).map_err(StoreError::io(&load_dir))?;
            let lock_path = load_dir.join(LOCK_FILE);
            let lock = File::create(&lock_path).map_err(StoreError::io(&lock_path))?;
            lock.lock().map_err(StoreError::io(&lock_path))?;
            let staging = Staging {
                group_id: meta.id,
                dir,
                load_dir,
                lock,
            };
            Ok((staging, false))
        })
    }
}

impl BulkLoad {
    /// Adds one event of `stream`.
    pub fn push(
        &mut self,
        stream: &str,
        timestamp: i64,
        ingestion_time: i64,
        message: &str,
    ) -> Result<()> {
        let id = self.stream_id(stream);
        let b = &mut self.building;
        if timestamp < b.last_ts {
            b.encoded = None;
        }
        b.last_ts = timestamp;
        let block = &mut b.current;
        block.timestamps.push(timestamp);
        block.ingestion.push(ingestion_time);
        block.streams.push(id);
        block.text.push_str(message);
        block.ends.push(block.text.len());
        b.bytes += message.len() as u64;
        // The cut `block_ranges` makes: a block closes at `block_rows` rows or once its
        // messages reach `block_message_bytes`.
        if block.len() >= self.config.block_rows.clamp(1, MAX_BLOCK_ROWS)
            || block.text.len() >= self.config.block_message_bytes
        {
            self.close_block();
        }
        if self.building.bytes >= self.segment_bytes {
            self.close_segment()?;
        }
        Ok(())
    }

    fn stream_id(&mut self, stream: &str) -> u32 {
        if let Some((name, id)) = &self.last_stream
            && name == stream
        {
            return *id;
        }
        let id = match self.stream_ids.get(stream) {
            Some(&id) => id,
            None => {
                let id = self.streams.len() as u32;
                Arc::make_mut(&mut self.streams).push(stream.to_owned());
                self.stream_ids.insert(stream.to_owned(), id);
                id
            }
        };
        self.last_stream = Some((stream.to_owned(), id));
        id
    }

    fn close_block(&mut self) {
        let b = &mut self.building;
        if b.current.len() == 0 {
            return;
        }
        let next = match self.spare.try_recv() {
            Ok(mut spare) => {
                spare.clear();
                spare
            }
            Err(_) => Block::like(&b.current),
        };
        let block = Arc::new(std::mem::replace(&mut b.current, next));
        if let Some(encoded) = &mut b.encoded {
            let (tx, rx) = channel();
            let (block, names, config) = (block.clone(), self.streams.clone(), self.config.clone());
            let load_dir = self.load_dir.clone();
            rayon::spawn(move || {
                // The rows of a block, kept per thread for the next block (their borrows end
                // with each block).
                thread_local! {
                    static ROWS: std::cell::Cell<Vec<RowRef<'static>>> =
                        const { std::cell::Cell::new(Vec::new()) };
                }
                // A panic on a rayon task would abort the process: turn it into this load's
                // error instead (the load then publishes only what came before).
                let encoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let mut rows = recycle(ROWS.take());
                    block.push_rows(&names, &mut rows);
                    // Blocks are encoded side by side: each one's discovery stays on its thread.
                    let encoded = encode_block_alone(&rows, &config, false);
                    ROWS.set(recycle(rows));
                    encoded
                }))
                .unwrap_or_else(|_| {
                    Err(StoreError::corrupt(&load_dir, "encoding a block panicked"))
                });
                // Let go of the block before the writer thread looks for it to reuse.
                drop(block);
                // The receiver is gone only when the load was dropped.
                let _ = tx.send(encoded);
            });
            encoded.push(rx);
        }
        b.blocks.push(block);
    }

    /// Hands the segment being filled to the writer thread, and publishes once enough is
    /// written.
    fn close_segment(&mut self) -> Result<()> {
        self.close_block();
        if self.building.is_empty() {
            return Ok(());
        }
        let mut b = std::mem::replace(&mut self.building, Building::new());
        // The empty block `close_block` left, with its room.
        self.building.current = std::mem::take(&mut b.current);
        let path = self.load_dir.join(segment_file(self.next_file));
        self.next_file += 1;
        let job = Job {
            blocks: b.blocks,
            encoded: b.encoded,
            streams: self.streams.clone(),
            path,
        };
        let sent = self
            .jobs
            .as_ref()
            .is_some_and(|jobs| jobs.send(job).is_ok());
        if !sent {
            self.collect(true);
            return Err(self.failed.take().unwrap_or_else(|| {
                StoreError::corrupt(&self.load_dir, "the bulk writer thread stopped")
            }));
        }
        self.collect(false);
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let pending: u64 = self.written.iter().map(|w| w.message_bytes).sum();
        if pending >= self.publish_bytes {
            self.publish()?;
        }
        Ok(())
    }

    /// Moves the writer thread's results into `written` (all of them when `wait`).
    fn collect(&mut self, wait: bool) {
        loop {
            let next = if wait {
                self.results.recv().ok()
            } else {
                self.results.try_recv().ok()
            };
            let Some(result) = next else { return };
            match result {
                Ok(w) if self.failed.is_none() => self.written.push(w),
                Ok(_) => {}
                Err(e) => {
                    if self.failed.is_none() {
                        self.failed = Some(e);
                    }
                }
            }
        }
    }

    /// Names the written segments in the group's manifest (one swap), then runs the store's
    /// compaction policy as a seal does.
    fn publish(&mut self) -> Result<()> {
        if self.written.is_empty() {
            return Ok(());
        }
        let written = std::mem::take(&mut self.written);
        let rows: u64 = written.iter().map(|w| w.rows).sum();
        self.store.write(|catalog| {
            let meta = catalog
                .groups
                .get(&self.group)
                .filter(|m| m.id == self.group_id)
                .ok_or_else(|| StoreError::GroupNotFound(self.group.clone()))?;
            if let Some(gone) = self.streams.iter().find(|s| !meta.streams.contains_key(*s)) {
                return Err(StoreError::InvalidName {
                    what: "log stream",
                    name: gone.clone(),
                    reason: "does not exist in this log group",
                });
            }
            let dir = &self.dir;
            let mut m = Manifest::load(dir)?;
            remove_unnamed(dir, &m)?;
            let mut entries = Vec::with_capacity(written.len());
            for w in &written {
                let file = segment_file(m.take_file_number());
                let to = dir.join(&file);
                std::fs::rename(&w.path, &to).map_err(StoreError::io(&to))?;
                entries.push(SegmentEntry {
                    file,
                    rows: w.rows,
                    min_ts: w.min_ts,
                    max_ts: w.max_ts,
                    bytes: w.bytes,
                    hidden_streams: Vec::new(),
                    hidden_rows: 0,
                    zstd_level: Some(self.config.zstd_level),
                });
            }
            // The new names are durable before the manifest names them.
            sync_dir(dir)?;
            m.segments.extend(entries);
            m.generation += 1;
            m.save(dir)?;
            self.store.compact_by_policy(dir, &m)?;
            Ok(((), false))
        })?;
        self.published_rows += rows;
        Ok(())
    }

    /// Writes what is left and publishes it; returns how many events the load published in
    /// all. After an error, the segments written before it stay published (a prefix of the
    /// load).
    pub fn finish(mut self) -> Result<u64> {
        let closed = self.close_segment();
        self.jobs = None;
        let panicked = self.writer.take().is_some_and(|w| w.join().is_err());
        self.collect(true);
        if panicked && self.failed.is_none() {
            // Its results stop at the segment it died on: what came before is a prefix.
            self.failed = Some(StoreError::corrupt(
                &self.load_dir,
                "the bulk writer thread panicked",
            ));
        }
        let published = self.publish();
        closed?;
        published?;
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        Ok(self.published_rows)
    }
}

impl Drop for BulkLoad {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
        // Published segments were renamed out of it; what is left was never named.
        let _ = std::fs::remove_dir_all(&self.load_dir);
    }
}

/// Encodes one segment and writes it (fsynced) to its path in the load directory; then offers
/// its blocks to `spare` for reuse.
fn write_job(job: Job, config: &WriteConfig, spare: &SyncSender<Block>) -> Result<Written> {
    let bytes = match job.encoded {
        Some(receivers) => {
            assemble_encoded(&job.blocks, receivers, &job.streams, &job.path, config)?
        }
        None => None,
    };
    let bytes = match bytes {
        Some(bytes) => bytes,
        None => {
            let rows_total: usize = job.blocks.iter().map(|b| b.len()).sum();
            let mut rows = Vec::with_capacity(rows_total);
            for block in &job.blocks {
                block.push_rows(&job.streams, &mut rows);
            }
            encode_rows(&mut rows, config)?
        }
    };
    write_segment_unlinked(&job.path, &bytes)?;
    let blocks = &job.blocks;
    let written = Written {
        path: job.path,
        rows: blocks.iter().map(|b| b.len() as u64).sum(),
        min_ts: blocks
            .first()
            .and_then(|b| b.timestamps.first())
            .map_or(0, |t| *t),
        max_ts: blocks
            .last()
            .and_then(|b| b.timestamps.last())
            .map_or(0, |t| *t),
        bytes: bytes.len() as u64,
        message_bytes: blocks.iter().map(|b| b.text.len() as u64).sum(),
    };
    for block in job.blocks {
        // Its encoder has let go of it by now, unless it is still returning.
        if let Ok(block) = Arc::try_unwrap(block)
            && spare.try_send(block).is_err()
        {
            break;
        }
    }
    Ok(written)
}

/// Lays out a segment from its blocks encoded ahead, one block's rows at a time; `None` when
/// the blocks' field names exceed the cap (the segment must be encoded from all its rows).
fn assemble_encoded(
    blocks: &[Arc<Block>],
    encoded: Vec<Receiver<Result<BlockEncoding>>>,
    streams: &[String],
    path: &Path,
    config: &WriteConfig,
) -> Result<Option<Vec<u8>>> {
    let mut assembler = Assembler::new(config)?;
    let mut rows = Vec::new();
    for (block, rx) in blocks.iter().zip(encoded) {
        let encoding = rx
            .recv()
            .unwrap_or_else(|_| Err(StoreError::corrupt(path, "a block encoder stopped")))?;
        rows.clear();
        block.push_rows(streams, &mut rows);
        if !assembler.add(&rows, encoding)? {
            return Ok(None);
        }
    }
    assembler.finish().map(Some)
}

/// Deletes the directories of loads that died before finishing (their lock is free). Call
/// only while holding the writer lock.
pub(crate) fn remove_stale_loads(dir: &Path) -> Result<()> {
    for entry in crate::manifest::dir_entries(dir)? {
        let name = entry.file_name();
        if !name.to_str().is_some_and(|n| n.starts_with(LOAD_PREFIX)) {
            continue;
        }
        let path = entry.path();
        let lock_path = path.join(LOCK_FILE);
        let stale = match File::open(&lock_path) {
            // Free: nobody loads into it any more. Held: a live load.
            Ok(lock) => lock.try_lock().is_ok(),
            // Directory and lock are made under the writer lock: no lock, a crash in between.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Err(e) => return Err(StoreError::io(&lock_path)(e)),
        };
        if stale {
            match std::fs::remove_dir_all(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io(&path)(e)),
            }
        }
    }
    Ok(())
}
