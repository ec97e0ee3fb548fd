//! Settling a log group: merge its small segments, then recompress every segment written at a
//! fast zstd level at [`StoreConfig::settle_zstd_level`](crate::StoreConfig).
//!
//! Ingest writes segments at a fast level (sealing, bulk loads: level 3), since compression is
//! most of their CPU; decompression costs about the same at any level, so a segment recompressed
//! once at a high level reads as fast and takes a tenth to a fifth less space. Recompressing
//! keeps every chunk's payload and the footer (but where chunks lie and their checksums): no
//! row is decoded or re-encoded. Segments of an older format version are re-encoded instead.
//!
//! The slow part runs outside the writer lock, into a staging directory as a bulk load's
//! segments are; then one manifest swap names the settled files in place of their originals.
//! An original that went meanwhile (compaction, retention) keeps nothing of its settled copy;
//! streams deleted meanwhile stay hidden in the copy as they were in the original (the copy
//! holds the same rows). A crash leaves the originals named and the staging directory to the
//! next writer's sweep.

use std::path::Path;

use crate::Store;
use crate::catalog::sync_dir;
use crate::error::{Result, StoreError};
use crate::manifest::{Manifest, remove_unnamed, segment_file};
use crate::segment::{
    FORMAT_VERSION, Segment, WriteConfig, encode_segment, recompress, write_segment,
};

/// What [`Store::settle`] did to a log group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettleReport {
    /// Small segments merged into one by compaction first (0 if fewer than two).
    pub merged: usize,
    /// Segments recompressed (or re-encoded) at the settle level.
    pub recompressed: usize,
    /// Bytes of the recompressed segments before and after.
    pub bytes_before: u64,
    pub bytes_after: u64,
}

impl Store {
    /// Merges `group`'s small segments and recompresses each segment written below
    /// [`StoreConfig::settle_zstd_level`](crate::StoreConfig) at that level (see the module
    /// docs). Readers see the group whole throughout; ingest goes on meanwhile.
    pub fn settle(&self, group: &str) -> Result<SettleReport> {
        let level = self.config.settle_zstd_level;
        // Merged at the compaction level (under the writer lock: kept short), recompressed
        // below with the rest (outside it).
        let merged = self.compact(group)?;
        let staging = self.staging(group)?;
        let manifest = Manifest::load(&staging.dir)?;
        // (original file, settled file in the staging directory, its bytes, the original's)
        let mut settled = Vec::new();
        for entry in &manifest.segments {
            if entry.zstd_level.is_some_and(|l| l >= level) {
                continue;
            }
            let path = staging.dir.join(&entry.file);
            let seg = match Segment::open(&path) {
                Ok(seg) => seg,
                // Compacted away since the manifest was read: nothing to settle.
                Err(_) if !path.exists() => continue,
                Err(e) => return Err(e),
            };
            let bytes = if seg.version() == FORMAT_VERSION {
                recompress(&seg, level)?
            } else {
                let config = WriteConfig {
                    zstd_level: level,
                    ..self.config.segment.clone()
                };
                encode_segment(&mut seg.read_rows()?, &config)?
            };
            let path = staging.load_dir.join(&entry.file);
            write_segment(&path, &bytes)?;
            settled.push((entry.file.clone(), path, bytes.len() as u64, entry.bytes));
        }
        let mut report = SettleReport {
            merged,
            ..SettleReport::default()
        };
        if settled.is_empty() {
            std::fs::remove_dir_all(&staging.load_dir)
                .map_err(StoreError::io(&staging.load_dir))?;
            return Ok(report);
        }
        self.write(|catalog| {
            let meta = Self::group_meta(catalog, group)?;
            if meta.id != staging.group_id {
                return Err(StoreError::GroupNotFound(group.to_owned()));
            }
            let dir: &Path = &staging.dir;
            let mut m = Manifest::load(dir)?;
            for (original, path, bytes, before) in &settled {
                let Some(i) = m.segments.iter().position(|s| &s.file == original) else {
                    continue;
                };
                let file = segment_file(m.take_file_number());
                let to = dir.join(&file);
                std::fs::rename(path, &to).map_err(StoreError::io(&to))?;
                let entry = &mut m.segments[i];
                entry.file = file;
                entry.bytes = *bytes;
                entry.zstd_level = Some(level);
                report.recompressed += 1;
                report.bytes_before += before;
                report.bytes_after += bytes;
            }
            if report.recompressed > 0 {
                // The new names are durable before the manifest names them.
                sync_dir(dir)?;
                m.generation += 1;
                m.save(dir)?;
                remove_unnamed(dir, &m)?;
            }
            Ok(((), false))
        })?;
        drop(staging.lock);
        std::fs::remove_dir_all(&staging.load_dir).map_err(StoreError::io(&staging.load_dir))?;
        Ok(report)
    }
}
