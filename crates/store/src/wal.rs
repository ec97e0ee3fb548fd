//! The write-ahead log: CRC-framed batches of events, fsynced before a batch is acknowledged.
//!
//! File layout:
//!
//! ```text
//! file   := MAGIC frame*
//! frame  := payload_len:u32le crc32(payload):u32le payload
//! payload:= VERSION:u8 count:u32le min_ts:i64le max_ts:i64le stream_len:u16le stream event*
//! event  := timestamp:i64le ingestion_time:i64le message_len:u32le message
//! ```
//!
//! An empty file is an empty log: sealing creates the next log empty and its first append
//! writes the magic (a magic torn by a crash is written again).
//!
//! The frame header carries the batch's time bounds so that a scan skips frames outside the
//! query's range without decoding them. A frame that runs past the end of the file is a torn
//! write from a crash: it was never acknowledged, so it is cut off when the log is next opened
//! for appending and ignored by readers. A checksum mismatch anywhere else is corruption and an
//! error naming the file.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Result, StoreError};
use crate::event::Event;
use crate::segment::RowRef;

const MAGIC: &[u8; 8] = b"LOUPEWAL";
const VERSION: u8 = 1;
const FRAME_HEADER: usize = 8;
const PAYLOAD_HEADER: usize = 1 + 4 + 8 + 8 + 2;
/// No frame is larger than this; a bigger length field is corruption, not a reason to allocate.
pub const MAX_FRAME_BYTES: usize = 64 << 20;

/// One decoded frame: events of one stream, in the order they were appended.
#[derive(Debug, Clone, PartialEq)]
pub struct WalBatch {
    pub stream: String,
    pub min_timestamp: i64,
    pub max_timestamp: i64,
    pub events: Vec<Event>,
}

/// Appends frames to one log file.
#[derive(Debug)]
pub struct WalWriter {
    path: PathBuf,
    file: File,
}

impl WalWriter {
    /// Opens (or creates) the log at `path`, cutting off a torn final frame left by a crash.
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_known(path, None)
    }

    /// Like [`WalWriter::open`], skipping the scan for a torn tail when the file is exactly
    /// `known_valid` bytes long (the length this process left after its last fsynced append).
    pub fn open_known(path: &Path, known_valid: Option<u64>) -> Result<Self> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(StoreError::io(path))?;
        let len = file.metadata().map_err(StoreError::io(path))?.len();
        if len > 0 && known_valid == Some(len) {
            // Nothing happened to the file since this process validated and extended it.
        } else if len == 0 {
            file.write_all(MAGIC).map_err(StoreError::io(path))?;
            file.sync_all().map_err(StoreError::io(path))?;
        } else {
            let bytes = std::fs::read(path).map_err(StoreError::io(path))?;
            let valid = scan_frames(path, &bytes, |_| Ok(()))?;
            if (valid as u64) < len {
                file.set_len(valid as u64).map_err(StoreError::io(path))?;
                if valid < MAGIC.len() {
                    // A crash while writing the magic of a new log: start it again.
                    file.write_all(MAGIC).map_err(StoreError::io(path))?;
                }
                file.sync_all().map_err(StoreError::io(path))?;
            }
        }
        Ok(Self {
            path: path.to_owned(),
            file,
        })
    }

    /// The file's length in bytes.
    pub fn file_len(&self) -> Result<u64> {
        Ok(self
            .file
            .metadata()
            .map_err(StoreError::io(&self.path))?
            .len())
    }

    /// Appends one batch and fsyncs it; when this returns `Ok`, the batch is durable.
    pub fn append(&mut self, stream: &str, events: &[Event]) -> Result<u64> {
        let frame = encode_frame(stream, events)?;
        self.file
            .write_all(&frame)
            .map_err(StoreError::io(&self.path))?;
        self.file.sync_data().map_err(StoreError::io(&self.path))?;
        Ok(frame.len() as u64)
    }
}

fn encode_frame(stream: &str, events: &[Event]) -> Result<Vec<u8>> {
    let too_big = || StoreError::corrupt("<batch>", "batch exceeds the maximum frame size");
    let body: usize = events.iter().map(|e| 20 + e.message.len()).sum();
    let payload_len = PAYLOAD_HEADER + stream.len() + body;
    if payload_len > MAX_FRAME_BYTES || stream.len() > u16::MAX as usize {
        return Err(too_big());
    }
    let min_ts = events.iter().map(|e| e.timestamp).min().unwrap_or(0);
    let max_ts = events.iter().map(|e| e.timestamp).max().unwrap_or(0);
    // The frame is built in place: header space first, filled once the payload is written.
    let mut payload = Vec::with_capacity(FRAME_HEADER + payload_len);
    payload.extend_from_slice(&[0; FRAME_HEADER]);
    payload.push(VERSION);
    payload.extend_from_slice(&(events.len() as u32).to_le_bytes());
    payload.extend_from_slice(&min_ts.to_le_bytes());
    payload.extend_from_slice(&max_ts.to_le_bytes());
    payload.extend_from_slice(&(stream.len() as u16).to_le_bytes());
    payload.extend_from_slice(stream.as_bytes());
    for event in events {
        payload.extend_from_slice(&event.timestamp.to_le_bytes());
        payload.extend_from_slice(&event.ingestion_time.to_le_bytes());
        payload.extend_from_slice(&(event.message.len() as u32).to_le_bytes());
        payload.extend_from_slice(event.message.as_bytes());
    }
    let mut frame = payload;
    let crc = crc32fast::hash(&frame[FRAME_HEADER..]);
    frame[..4].copy_from_slice(&(payload_len as u32).to_le_bytes());
    frame[4..FRAME_HEADER].copy_from_slice(&crc.to_le_bytes());
    Ok(frame)
}

/// A frame whose header was read but whose events are not decoded yet.
#[derive(Debug, Clone, Copy)]
pub struct RawFrame<'a> {
    /// Byte offset of the frame in the file.
    pub offset: u64,
    pub count: u32,
    pub min_timestamp: i64,
    pub max_timestamp: i64,
    payload: &'a [u8],
}

impl<'a> RawFrame<'a> {
    pub fn decode(&self, path: &Path) -> Result<WalBatch> {
        decode_payload(path, self.payload)
    }

    /// Appends the frame's events to `out` as rows borrowed from the log's bytes (sealing
    /// copies no message).
    pub(crate) fn push_rows(&self, path: &Path, out: &mut Vec<RowRef<'a>>) -> Result<()> {
        let bad = |what: &str| StoreError::corrupt(path, format!("frame {what}"));
        let mut r = Reader {
            buf: self.payload,
            pos: PAYLOAD_HEADER - 2,
        };
        let stream_len = r.u16().ok_or_else(|| bad("stream length"))?;
        let stream = r
            .borrowed_str(stream_len as usize)
            .ok_or_else(|| bad("stream name"))?;
        // Every event takes at least 20 bytes, which bounds the reservation by the payload.
        if self.count as usize > self.payload.len() / 20 {
            return Err(bad("event count"));
        }
        out.reserve(self.count as usize);
        for _ in 0..self.count {
            let timestamp = r.i64().ok_or_else(|| bad("event"))?;
            let ingestion_time = r.i64().ok_or_else(|| bad("event"))?;
            let len = r.u32().ok_or_else(|| bad("event"))?;
            let message = r.borrowed_str(len as usize).ok_or_else(|| bad("message"))?;
            out.push(RowRef {
                timestamp,
                ingestion_time,
                stream,
                message,
            });
        }
        if r.pos != self.payload.len() {
            return Err(bad("trailing bytes"));
        }
        Ok(())
    }
}

/// Like [`read_frames_in`], with frames that borrow from `bytes` beyond the visit.
pub(crate) fn read_frames_borrowed<'b>(
    path: &Path,
    bytes: &'b [u8],
    visit: impl FnMut(RawFrame<'b>) -> Result<()>,
) -> Result<()> {
    if bytes.is_empty() {
        return Ok(());
    }
    scan_frames(path, bytes, visit).map(|_| ())
}

/// Reads every complete frame of the log at `path`, handing each to `visit`.
pub fn read_frames(path: &Path, visit: impl FnMut(RawFrame<'_>) -> Result<()>) -> Result<()> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(StoreError::Io {
                path: path.to_owned(),
                source: e,
            });
        }
    };
    if bytes.is_empty() {
        return Ok(());
    }
    scan_frames(path, &bytes, visit).map(|_| ())
}

/// Like [`read_frames`], over the bytes of a log already read into memory.
pub fn read_frames_in(
    path: &Path,
    bytes: &[u8],
    visit: impl FnMut(RawFrame<'_>) -> Result<()>,
) -> Result<()> {
    if bytes.is_empty() {
        return Ok(());
    }
    scan_frames(path, bytes, visit).map(|_| ())
}

/// Walks the frames in `bytes` and returns the length of the valid prefix.
fn scan_frames<'b>(
    path: &Path,
    bytes: &'b [u8],
    mut visit: impl FnMut(RawFrame<'b>) -> Result<()>,
) -> Result<usize> {
    if bytes.len() < MAGIC.len() {
        // A crash while writing the magic of a new file: nothing was ever acknowledged.
        return Ok(0);
    }
    if &bytes[..MAGIC.len()] != MAGIC {
        return Err(StoreError::corrupt(
            path,
            "not a Loupe write-ahead log (bad magic)",
        ));
    }
    let mut pos = MAGIC.len();
    while pos < bytes.len() {
        let Some(header) = bytes.get(pos..pos + FRAME_HEADER) else {
            break; // torn header
        };
        let len = u32_at(header, 0) as usize;
        let crc = u32_at(header, 4);
        if len > MAX_FRAME_BYTES {
            return Err(StoreError::corrupt(
                path,
                format!("frame at byte {pos} is {len} bytes"),
            ));
        }
        let Some(payload) = bytes.get(pos + FRAME_HEADER..pos + FRAME_HEADER + len) else {
            break; // torn payload
        };
        let end = pos + FRAME_HEADER + len;
        if crc32fast::hash(payload) != crc {
            if end == bytes.len() {
                break; // the final frame was torn mid-write
            }
            return Err(StoreError::corrupt(
                path,
                format!("checksum mismatch at byte {pos}"),
            ));
        }
        if payload.len() < PAYLOAD_HEADER || payload[0] != VERSION {
            return Err(StoreError::corrupt(
                path,
                format!("bad frame header at byte {pos}"),
            ));
        }
        visit(RawFrame {
            offset: pos as u64,
            count: u32_at(payload, 1),
            min_timestamp: i64_at(payload, 5),
            max_timestamp: i64_at(payload, 13),
            payload,
        })?;
        pos = end;
    }
    Ok(pos)
}

fn decode_payload(path: &Path, payload: &[u8]) -> Result<WalBatch> {
    let bad = |what: &str| StoreError::corrupt(path, format!("frame {what}"));
    let mut r = Reader {
        buf: payload,
        pos: 1,
    };
    let count = r.u32().ok_or_else(|| bad("count"))?;
    let min_timestamp = r.i64().ok_or_else(|| bad("time bounds"))?;
    let max_timestamp = r.i64().ok_or_else(|| bad("time bounds"))?;
    let stream_len = r.u16().ok_or_else(|| bad("stream length"))?;
    let stream = r
        .str(stream_len as usize)
        .ok_or_else(|| bad("stream name"))?;
    // Every event takes at least 20 bytes, which bounds the allocation by the payload size.
    if count as usize > payload.len() / 20 {
        return Err(bad("event count"));
    }
    let mut events = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let timestamp = r.i64().ok_or_else(|| bad("event"))?;
        let ingestion_time = r.i64().ok_or_else(|| bad("event"))?;
        let len = r.u32().ok_or_else(|| bad("event"))?;
        let message = r.str(len as usize).ok_or_else(|| bad("message"))?;
        events.push(Event {
            timestamp,
            ingestion_time,
            message,
        });
    }
    if r.pos != payload.len() {
        return Err(bad("trailing bytes"));
    }
    Ok(WalBatch {
        stream,
        min_timestamp,
        max_timestamp,
        events,
    })
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn i64_at(b: &[u8], at: usize) -> i64 {
    let mut a = [0; 8];
    a.copy_from_slice(&b[at..at + 8]);
    i64::from_le_bytes(a)
}

/// A bounds-checked cursor: every read returns `None` instead of running past the end.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.buf.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(out)
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32_at(b, 0))
    }
    fn i64(&mut self) -> Option<i64> {
        self.take(8).map(|b| i64_at(b, 0))
    }
    fn borrowed_str(&mut self, n: usize) -> Option<&'a str> {
        self.take(n).and_then(|b| std::str::from_utf8(b).ok())
    }
    fn str(&mut self, n: usize) -> Option<String> {
        self.take(n)
            .and_then(|b| std::str::from_utf8(b).ok())
            .map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(ts: i64, msg: &str) -> Event {
        Event {
            timestamp: ts,
            ingestion_time: ts + 1,
            message: msg.into(),
        }
    }

    fn read_all(path: &Path) -> Result<Vec<WalBatch>> {
        let mut out = Vec::new();
        read_frames(path, |f| {
            out.push(f.decode(path)?);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn frames_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.log");
        let mut w = WalWriter::open(&path).unwrap();
        w.append("s1", &[ev(5, "five"), ev(3, "three ünïcode")])
            .unwrap();
        w.append("s2", &[ev(9, "")]).unwrap();
        drop(w);
        let batches = read_all(&path).unwrap();
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[0].stream, "s1");
        assert_eq!((batches[0].min_timestamp, batches[0].max_timestamp), (3, 5));
        assert_eq!(batches[0].events[1], ev(3, "three ünïcode"));
        assert_eq!(batches[1].events, vec![ev(9, "")]);
    }

    #[test]
    fn torn_tail_is_ignored_then_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.log");
        let mut w = WalWriter::open(&path).unwrap();
        w.append("s", &[ev(1, "kept")]).unwrap();
        w.append("s", &[ev(2, "torn")]).unwrap();
        drop(w);
        let full = std::fs::metadata(&path).unwrap().len();
        // Simulate a crash in the middle of the second frame.
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(full - 3).unwrap();
        drop(f);
        assert_eq!(read_all(&path).unwrap().len(), 1);
        let mut w = WalWriter::open(&path).unwrap();
        w.append("s", &[ev(3, "after")]).unwrap();
        let batches = read_all(&path).unwrap();
        let msgs: Vec<_> = batches
            .iter()
            .map(|b| b.events[0].message.as_str())
            .collect();
        assert_eq!(msgs, ["kept", "after"]);
    }

    #[test]
    fn a_torn_magic_is_written_again_before_the_first_frame() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.log");
        std::fs::write(&path, &MAGIC[..3]).unwrap();
        let mut w = WalWriter::open(&path).unwrap();
        w.append("s", &[ev(1, "after a crash")]).unwrap();
        let batches = read_all(&path).unwrap();
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].events, vec![ev(1, "after a crash")]);
    }

    #[test]
    fn corruption_in_the_middle_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.log");
        let mut w = WalWriter::open(&path).unwrap();
        w.append("s", &[ev(1, "first")]).unwrap();
        w.append("s", &[ev(2, "second")]).unwrap();
        drop(w);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = MAGIC.len() + FRAME_HEADER + PAYLOAD_HEADER + 2;
        bytes[at] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let err = read_all(&path).unwrap_err().to_string();
        assert!(err.contains("wal.log") && err.contains("checksum"), "{err}");
    }

    #[test]
    fn garbage_never_panics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.log");
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for n in 0..200 {
            let mut bytes = MAGIC.to_vec();
            for _ in 0..n {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                bytes.push(seed as u8);
            }
            std::fs::write(&path, &bytes).unwrap();
            let _ = read_all(&path);
        }
    }
}
