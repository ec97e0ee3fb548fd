//! PutLogEvents: the batch rules of spec §G.2 and event ids of §G.6.
//!
//! [`validate`] is pure (the clock and the group's retention are arguments) and decides the
//! whole call: either the call fails (`InvalidParameterException`) or it names the slice of
//! events to store and what to report in `rejectedLogEventsInfo`.
//!
//! Whole-call failures, checked in this order: no events or more than 10,000; an event with a
//! negative timestamp or an empty message; an event over 1 MiB counting its 26-byte overhead;
//! a batch over 1,048,576 bytes (Σ UTF-8 message bytes + 26 per event); events not in
//! chronological order (equal timestamps are in order); accepted events spanning more than 24
//! hours. Partial rejections (the call succeeds): events more than 2 hours ahead of `now` are
//! too new (`tooNewLogEventStartIndex`: the first such index, inclusive); events more than 14
//! days old are too old and events older than the group's retention are expired
//! (`tooOldLogEventEndIndex` / `expiredLogEventEndIndex`: exclusive ends, so `2` means indices
//! 0 and 1). Because events are in order, each rejected set is a prefix or a suffix, and the
//! accepted events are one contiguous slice. An event exactly at a boundary (`now + 2 h`,
//! `now - 14 d`, `now - retention`) is accepted.

use std::ops::Range;

use loupe_store::EVENT_OVERHEAD_BYTES;

use crate::error::{Result, ServiceError};
use crate::ingest::{MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_EVENT_BYTES};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Events further ahead than this are too new.
pub const TOO_NEW_MS: i64 = 2 * HOUR_MS;
/// Events older than this are too old.
pub const TOO_OLD_MS: i64 = 14 * DAY_MS;
/// The accepted events of one call may span at most this.
pub const MAX_SPAN_MS: i64 = DAY_MS;

/// The text AWS (and moto) give for an out-of-order batch.
pub const OUT_OF_ORDER: &str =
    "Log events in a single PutLogEvents request must be in chronological order.";

/// One `InputLogEvent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputLogEvent {
    /// Epoch milliseconds.
    pub timestamp: i64,
    pub message: String,
}

/// `rejectedLogEventsInfo`; absent fields are omitted from the response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RejectedLogEventsInfo {
    pub too_new_log_event_start_index: Option<usize>,
    pub too_old_log_event_end_index: Option<usize>,
    pub expired_log_event_end_index: Option<usize>,
}

/// What a valid call does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    /// The events to store.
    pub accepted: Range<usize>,
    /// `None` when nothing was rejected (the response then omits `rejectedLogEventsInfo`).
    pub rejected: Option<RejectedLogEventsInfo>,
}

/// The PutLogEvents response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutLogEventsResponse {
    /// Deprecated by AWS and ignored on input; returned for old clients.
    pub next_sequence_token: String,
    pub rejected_log_events_info: Option<RejectedLogEventsInfo>,
    /// Events stored.
    pub accepted: usize,
}

fn invalid(msg: impl Into<String>) -> ServiceError {
    ServiceError::InvalidParameter(msg.into())
}

/// Applies the rules of spec §G.2 to a batch, at `now_ms`, for a group with `retention_days`.
pub fn validate(
    events: &[InputLogEvent],
    now_ms: i64,
    retention_days: Option<u32>,
) -> Result<Validated> {
    if events.is_empty() || events.len() > MAX_BATCH_EVENTS {
        return Err(invalid(format!(
            "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length between 1 and {MAX_BATCH_EVENTS} (got {})",
            events.len()
        )));
    }
    let mut batch_bytes = 0u64;
    for (i, e) in events.iter().enumerate() {
        if e.timestamp < 0 {
            return Err(invalid(format!(
                "logEvents.{i}.timestamp must be at least 0 (got {})",
                e.timestamp
            )));
        }
        if e.message.is_empty() {
            return Err(invalid(format!(
                "logEvents.{i}.message must be at least 1 character long"
            )));
        }
        let size = e.message.len() as u64 + EVENT_OVERHEAD_BYTES;
        if size > MAX_EVENT_BYTES as u64 {
            return Err(invalid(format!(
                "Log event {i} is too large: {size} bytes including the 26-byte overhead; the maximum is {MAX_EVENT_BYTES}"
            )));
        }
        batch_bytes += size;
    }
    if batch_bytes > MAX_BATCH_BYTES as u64 {
        return Err(invalid(format!(
            "Upload too large: {batch_bytes} bytes exceeds the maximum batch size of {MAX_BATCH_BYTES} bytes (message bytes plus 26 per event)"
        )));
    }
    if events.windows(2).any(|w| w[1].timestamp < w[0].timestamp) {
        return Err(invalid(OUT_OF_ORDER));
    }

    let n = events.len();
    // Events are in order, so each rule cuts a prefix or a suffix.
    let first_at_or_after = |t: i64| events.partition_point(|e| e.timestamp < t);
    let too_new = events.partition_point(|e| e.timestamp <= now_ms.saturating_add(TOO_NEW_MS));
    let too_old = first_at_or_after(now_ms.saturating_sub(TOO_OLD_MS));
    let expired = retention_days.map_or(0, |d| {
        first_at_or_after(now_ms.saturating_sub(i64::from(d) * DAY_MS))
    });
    let start = too_old.max(expired).min(too_new);
    let accepted = start..too_new;
    if let (Some(first), Some(last)) = (
        events.get(accepted.start),
        events.get(accepted.end.wrapping_sub(1)),
    ) && !accepted.is_empty()
        && last.timestamp - first.timestamp > MAX_SPAN_MS
    {
        return Err(invalid(
            "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
        ));
    }
    let info = RejectedLogEventsInfo {
        too_new_log_event_start_index: (too_new < n).then_some(too_new),
        too_old_log_event_end_index: (too_old > 0).then_some(too_old),
        expired_log_event_end_index: (expired > 0).then_some(expired),
    };
    let rejected = (info != RejectedLogEventsInfo::default()).then_some(info);
    Ok(Validated { accepted, rejected })
}

/// An event id (spec §G.6): the 56-digit decimal of `(timestamp << 144) | low`, where `low`
/// (at most 144 bits; here at most 128) makes ids of one timestamp unique.
pub fn event_id(timestamp_ms: i64, low: u128) -> String {
    // Base 10^9 limbs, least significant first.
    const BASE: u64 = 1_000_000_000;
    let mut limbs: Vec<u64> = vec![
        timestamp_ms.max(0) as u64 % BASE,
        timestamp_ms.max(0) as u64 / BASE,
    ];
    let mul = |limbs: &mut Vec<u64>, m: u64| {
        let mut carry = 0u64;
        for l in limbs.iter_mut() {
            let v = *l * m + carry;
            *l = v % BASE;
            carry = v / BASE;
        }
        while carry > 0 {
            limbs.push(carry % BASE);
            carry /= BASE;
        }
    };
    for _ in 0..9 {
        mul(&mut limbs, 1 << 16); // 9 × 16 = 144 bits
    }
    let mut add = low;
    let mut i = 0;
    while add > 0 {
        if i == limbs.len() {
            limbs.push(0);
        }
        let v = limbs[i] as u128 + add % BASE as u128;
        limbs[i] = (v % BASE as u128) as u64;
        add = add / BASE as u128 + v / BASE as u128;
        i += 1;
    }
    let mut s = String::new();
    for (j, l) in limbs.iter().rev().enumerate() {
        if j == 0 {
            s.push_str(&l.to_string());
        } else {
            s.push_str(&format!("{l:09}"));
        }
    }
    let s = s.trim_start_matches('0');
    format!("{s:0>56}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    fn evs(ts: &[i64]) -> Vec<InputLogEvent> {
        ts.iter()
            .map(|&t| InputLogEvent {
                timestamp: t,
                message: "m".into(),
            })
            .collect()
    }

    fn rejected(
        new: Option<usize>,
        old: Option<usize>,
        exp: Option<usize>,
    ) -> Option<RejectedLogEventsInfo> {
        Some(RejectedLogEventsInfo {
            too_new_log_event_start_index: new,
            too_old_log_event_end_index: old,
            expired_log_event_end_index: exp,
        })
    }

    #[test]
    fn partial_rejections_follow_the_index_conventions() {
        let h = HOUR_MS;
        let d = DAY_MS;
        type Case = (
            &'static str,
            Vec<i64>,
            Option<u32>,
            Range<usize>,
            Option<RejectedLogEventsInfo>,
        );
        let cases: Vec<Case> = vec![
            ("all good", vec![NOW - h, NOW], None, 0..2, None),
            (
                "equal timestamps are in order",
                vec![NOW, NOW, NOW],
                None,
                0..3,
                None,
            ),
            (
                "too old: exclusive end",
                vec![NOW - 15 * d, NOW - 15 * d, NOW],
                None,
                2..3,
                rejected(None, Some(2), None),
            ),
            (
                "exactly 14 days old is accepted",
                vec![NOW - 14 * d, NOW - 14 * d + 1],
                None,
                0..2,
                None,
            ),
            (
                "too new: inclusive start",
                vec![NOW, NOW + 2 * h, NOW + 2 * h + 1, NOW + 3 * h],
                None,
                0..2,
                rejected(Some(2), None, None),
            ),
            (
                "both ends",
                vec![NOW - 20 * d, NOW, NOW + 3 * h],
                None,
                1..2,
                rejected(Some(2), Some(1), None),
            ),
            (
                "all too old still succeeds",
                vec![NOW - 20 * d],
                None,
                1..1,
                rejected(None, Some(1), None),
            ),
            (
                "all too new",
                vec![NOW + 3 * h, NOW + 4 * h],
                None,
                0..0,
                rejected(Some(0), None, None),
            ),
            (
                "expired by retention",
                vec![NOW - 2 * d, NOW - h],
                Some(1),
                1..2,
                rejected(None, None, Some(1)),
            ),
            (
                "expired and too old",
                vec![NOW - 20 * d, NOW - 10 * d, NOW],
                Some(7),
                2..3,
                rejected(None, Some(1), Some(2)),
            ),
            (
                "retention longer than 14 days",
                vec![NOW - 20 * d, NOW],
                Some(30),
                1..2,
                rejected(None, Some(1), None),
            ),
            (
                "span counts accepted events only",
                vec![NOW - 20 * d, NOW - d, NOW],
                None,
                1..3,
                rejected(None, Some(1), None),
            ),
        ];
        for (name, ts, retention, accepted, info) in cases {
            let got = validate(&evs(&ts), NOW, retention).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                got,
                Validated {
                    accepted,
                    rejected: info
                },
                "{name}"
            );
        }
    }

    #[test]
    fn whole_call_failures() {
        let big = |n: usize| InputLogEvent {
            timestamp: NOW,
            message: "x".repeat(n),
        };
        let cases: Vec<(&str, Vec<InputLogEvent>, &str)> = vec![
            ("no events", vec![], "between 1 and 10000"),
            (
                "too many events",
                evs(&vec![NOW; 10_001]),
                "between 1 and 10000",
            ),
            ("negative timestamp", evs(&[-1]), "at least 0"),
            (
                "empty message",
                vec![InputLogEvent {
                    timestamp: NOW,
                    message: String::new(),
                }],
                "at least 1 character",
            ),
            (
                "event over 1 MiB with overhead",
                vec![big(1_048_551)],
                "too large",
            ),
            (
                "batch over 1 MiB",
                vec![big(600_000), big(600_000)],
                "Upload too large",
            ),
            ("out of order", evs(&[NOW, NOW - 1]), OUT_OF_ORDER),
            ("span over 24 h", evs(&[NOW - DAY_MS - 1, NOW]), "24 hours"),
        ];
        for (name, events, want) in cases {
            let err = validate(&events, NOW, None).expect_err(name);
            assert_eq!(err.aws_name(), "InvalidParameterException", "{name}");
            assert!(err.to_string().contains(want), "{name}: {err}");
        }
    }

    #[test]
    fn limits_are_inclusive() {
        assert!(validate(&evs(&vec![NOW; 10_000]), NOW, None).is_ok());
        let one = |n: usize| {
            vec![InputLogEvent {
                timestamp: NOW,
                message: "y".repeat(n),
            }]
        };
        assert!(
            validate(&one(1_048_550), NOW, None).is_ok(),
            "exactly 1,048,576 with overhead"
        );
        let split = vec![
            InputLogEvent {
                timestamp: NOW,
                message: "a".repeat(524_262),
            },
            InputLogEvent {
                timestamp: NOW,
                message: "b".repeat(524_262),
            },
        ];
        assert!(
            validate(&split, NOW, None).is_ok(),
            "a batch of exactly 1,048,576 bytes"
        );
        // Multi-byte characters count as their UTF-8 bytes.
        let wide = vec![InputLogEvent {
            timestamp: NOW,
            message: "é".repeat(524_276),
        }];
        assert!(validate(&wide, NOW, None).is_err());
        assert!(
            validate(&evs(&[NOW - DAY_MS, NOW]), NOW, None).is_ok(),
            "exactly 24 h"
        );
    }

    #[test]
    fn event_ids_match_the_aws_examples() {
        // The documented id 31953106606966983378809025079804211143289615424298221568 is
        // (1432826855000 << 144) | 1732181997039426805772632275426541568.
        assert_eq!(
            event_id(
                1_432_826_855_000,
                1_732_181_997_039_426_805_772_632_275_426_541_568
            ),
            "31953106606966983378809025079804211143289615424298221568"
        );
        assert_eq!(event_id(0, 7), format!("{:0>56}", 7));
        let a = event_id(1_552_518_348_220, 1);
        let b = event_id(1_552_518_348_220, 2);
        assert!(a < b && a.starts_with("346223160996978"), "{a}");
    }

    #[test]
    fn loupe_stores_accepted_events_and_reports_rejections() {
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let store = loupe_store::Store::open(dir.path()).unwrap();
        store.create_group("g", 0).unwrap();
        store.create_stream("g", "s", 0).unwrap();
        let loupe = crate::Loupe::with_clock(dir.path(), Arc::new(crate::FixedClock(NOW))).unwrap();
        let out = loupe
            .put_log_events("g", "s", &evs(&[NOW - 15 * DAY_MS, NOW, NOW + 3 * HOUR_MS]))
            .unwrap();
        assert_eq!(out.accepted, 1);
        assert_eq!(
            out.rejected_log_events_info,
            rejected(Some(2), Some(1), None)
        );
        assert_eq!(out.next_sequence_token.len(), 56);
        assert_eq!(loupe.groups().unwrap()[0].event_count, 1);
        let missing = loupe.put_log_events("g", "nope", &evs(&[NOW])).unwrap_err();
        assert_eq!(missing.aws_name(), "ResourceNotFoundException");
        let missing = loupe.put_log_events("nope", "s", &evs(&[NOW])).unwrap_err();
        assert_eq!(missing.aws_name(), "ResourceNotFoundException");
    }
}
