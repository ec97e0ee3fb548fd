//! `@ptr`: an opaque pointer to one event, for `GetLogRecord`.
//!
//! A pointer names the event by what does not change when segments are compacted or the
//! write-ahead log is sealed: its group, stream, `@timestamp`, `@ingestionTime` and a 64-bit
//! FNV-1a hash of its message. It is URL-safe base64 of
//! `version:u8 group:bytes stream:bytes timestamp:i64le ingestion:i64le hash:u64le`
//! (`bytes` = a u16le length then the bytes). Looking an event up reads only the blocks of that
//! stream at that timestamp. Two events of one stream with the same timestamp, ingestion time
//! and message are the same record to a pointer (either may be returned; they are identical).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const VERSION: u8 = 1;

/// What a pointer names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPointer {
    pub group: String,
    pub stream: String,
    pub timestamp: i64,
    pub ingestion_time: i64,
    pub message_hash: u64,
}

/// FNV-1a, 64 bits: stable across builds and platforms (unlike `std`'s hasher).
pub fn message_hash(message: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in message.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The pointer text of an event.
pub fn encode(group: &str, stream: &str, timestamp: i64, ingestion_time: i64, hash: u64) -> String {
    let mut out = Vec::with_capacity(1 + 4 + group.len() + stream.len() + 24);
    out.push(VERSION);
    for text in [group, stream] {
        // Group names are at most 512 bytes and stream names 512: u16 always fits.
        let len = u16::try_from(text.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&text.as_bytes()[..usize::from(len)]);
    }
    out.extend_from_slice(&timestamp.to_le_bytes());
    out.extend_from_slice(&ingestion_time.to_le_bytes());
    out.extend_from_slice(&hash.to_le_bytes());
    URL_SAFE_NO_PAD.encode(out)
}

/// Reads a pointer back; `None` when `text` is not one.
pub fn decode(text: &str) -> Option<RecordPointer> {
    let bytes = URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
    let (&version, mut rest) = bytes.split_first()?;
    if version != VERSION {
        return None;
    }
    let mut take = |n: usize| -> Option<&[u8]> {
        let (head, tail) = rest.split_at_checked(n)?;
        rest = tail;
        Some(head)
    };
    let mut text = || -> Option<String> {
        let len = u16::from_le_bytes(take(2)?.try_into().ok()?);
        String::from_utf8(take(usize::from(len))?.to_vec()).ok()
    };
    let group = text()?;
    let stream = text()?;
    let mut number = || -> Option<[u8; 8]> { take(8)?.try_into().ok() };
    let timestamp = i64::from_le_bytes(number()?);
    let ingestion_time = i64::from_le_bytes(number()?);
    let message_hash = u64::from_le_bytes(number()?);
    rest.is_empty().then_some(RecordPointer {
        group,
        stream,
        timestamp,
        ingestion_time,
        message_hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_round_trip_and_garbage_is_rejected() {
        let p = encode(
            "/aws/lambda/f",
            "2026/11/27/[$LATEST]ab",
            -5,
            1_700_000_000_000,
            42,
        );
        assert!(
            p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(
            decode(&p),
            Some(RecordPointer {
                group: "/aws/lambda/f".into(),
                stream: "2026/11/27/[$LATEST]ab".into(),
                timestamp: -5,
                ingestion_time: 1_700_000_000_000,
                message_hash: 42,
            })
        );
        for bad in ["", "x", "AAAA", &p[..p.len() - 2], &format!("{p}AA")] {
            assert_eq!(decode(bad), None, "{bad}");
        }
        assert_ne!(message_hash("a"), message_hash("b"));
        assert_eq!(message_hash(""), 0xcbf2_9ce4_8422_2325);
    }
}
