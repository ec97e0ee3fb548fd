//! `GetLogGroupFields`: which discovered fields a time range holds, their types, and the share
//! of events carrying each.
//!
//! Sealed data is answered from segment footers (per-block presence counts) without decoding,
//! except for blocks that straddle the range's ends or hold rows of deleted streams (still
//! inside large segments until compaction: not counted); unsealed events are discovered on the
//! fly.
//! Fields a segment dropped past its cap on distinct names are not listed (they remain
//! queryable by name). System fields are not listed: every event has them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use crate::discover::discover_typed;
use crate::error::Result;
use crate::segment::{FieldType, SYSTEM_COLUMNS, Value};
use crate::snapshot::Snapshot;
use crate::wal;

/// One discovered field of a time range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    pub name: String,
    /// Every type the field was stored with, in [`FieldType`] order.
    pub types: Vec<FieldType>,
    /// Percentage of the range's events that carry the field, rounded to the nearest integer.
    pub percent: u32,
}

#[derive(Default)]
struct Tally {
    count: u64,
    types: BTreeSet<FieldType>,
}

pub(crate) fn fields(
    groups: &[(String, PathBuf)],
    start: Option<i64>,
    end: Option<i64>,
    cache: &crate::snapshot::SegmentCache,
) -> Result<Vec<FieldInfo>> {
    let in_range = |ts: i64| start.is_none_or(|s| ts >= s) && end.is_none_or(|e| ts <= e);
    let mut total = 0u64;
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for (_, dir) in groups {
        let snap = Snapshot::load(dir, start, end, cache)?;
        for seg in &snap.segments {
            let footer = seg.footer();
            // Rows of deleted streams still inside a large segment are no longer events.
            let hidden = snap.hidden_streams(seg);
            let hidden_ids: Vec<u32> = (0..footer.streams.len() as u32)
                .filter(|&i| hidden.contains(&footer.streams[i as usize]))
                .collect();
            for (b, meta) in footer.blocks.iter().enumerate() {
                let overlaps =
                    start.is_none_or(|s| meta.max_ts >= s) && end.is_none_or(|e| meta.min_ts <= e);
                if !overlaps {
                    continue;
                }
                let whole = in_range(meta.min_ts) && in_range(meta.max_ts);
                let mut mask: Option<Vec<bool>> = if whole {
                    None
                } else {
                    Some(seg.timestamps(b)?.into_iter().map(in_range).collect())
                };
                if !hidden_ids.is_empty() {
                    let ids = seg.stream_ids(b)?;
                    let kept = mask.get_or_insert_with(|| vec![true; ids.len()]);
                    for (keep, id) in kept.iter_mut().zip(ids) {
                        *keep &= !hidden_ids.contains(&id);
                    }
                }
                total += mask.as_ref().map_or(u64::from(meta.rows), |m| {
                    m.iter().filter(|x| **x).count() as u64
                });
                for (c, col) in footer.columns.iter().enumerate().skip(SYSTEM_COLUMNS) {
                    let Some(Some(chunk)) = meta.chunks.get(c) else {
                        continue;
                    };
                    let crate::segment::ColumnKind::Field(t) = col.kind else {
                        continue;
                    };
                    let n = match &mask {
                        None => chunk.present,
                        Some(mask) => {
                            let data = seg.field(b, c)?;
                            (0..mask.len())
                                .filter(|&r| mask[r] && data.value(r).is_some())
                                .count() as u64
                        }
                    };
                    if n > 0 {
                        let tally = tallies.entry(col.name.clone()).or_default();
                        tally.count += n;
                        tally.types.insert(t);
                    }
                }
            }
        }
        let sealed = snap.manifest.wal_sealed;
        wal::read_frames_in(&snap.wal_path, &snap.wal, |frame| {
            if frame.offset < sealed {
                return Ok(());
            }
            let batch = frame.decode(&snap.wal_path)?;
            for e in batch.events.iter().filter(|e| in_range(e.timestamp)) {
                total += 1;
                let mut seen: HashMap<String, FieldType> = HashMap::new();
                discover_typed(&e.message, |name, leaf| {
                    seen.insert(name.to_owned(), Value::from_leaf(leaf).field_type());
                });
                for (name, t) in seen {
                    let tally = tallies.entry(name).or_default();
                    tally.count += 1;
                    tally.types.insert(t);
                }
            }
            Ok(())
        })?;
    }
    let mut out: Vec<FieldInfo> = tallies
        .into_iter()
        .map(|(name, t)| FieldInfo {
            name,
            types: t.types.into_iter().collect(),
            percent: if total == 0 {
                0
            } else {
                ((t.count * 200 + total) / (total * 2)) as u32
            },
        })
        .collect();
    out.sort_by(|a, b| b.percent.cmp(&a.percent).then_with(|| a.name.cmp(&b.name)));
    Ok(out)
}
