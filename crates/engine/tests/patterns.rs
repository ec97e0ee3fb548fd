//! `pattern`, `anomaly`, `diff` end to end: the same events give the same patterns however
//! they are spread over streams, segments, blocks and partitions and in whatever order they
//! were written; and a few hundred thousand events come back as their handful of templates.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Fixture;
use loupe_engine::{QueryOutput, QueryRequest, run_query};
use loupe_store::Event;

/// 2026-11-01T00:00:00Z.
const T0: i64 = 1_793_491_200_000;
const DAY: i64 = 86_400_000;

/// A seeded generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One event of template `t`.
fn message(rng: &mut Rng, t: u64) -> String {
    const USERS: &[&str] = &["alice", "bob", "carol", "dave"];
    match t % 5 {
        0 => format!(
            "INFO GET /api/items/{} {} {}ms",
            rng.below(3000),
            [200, 200, 200, 404, 500][rng.below(5) as usize],
            rng.below(500)
        ),
        1 => format!(
            "INFO user {} logged in from 10.0.{}.{}",
            USERS[rng.below(4) as usize],
            rng.below(256),
            rng.below(256)
        ),
        2 => format!(
            "ERROR job {:08x}-{:04x}-4{:03x}-a{:03x}-{:012x} failed after {} attempts",
            rng.next() as u32,
            rng.below(0x10000),
            rng.below(0x1000),
            rng.below(0x1000),
            rng.next() & 0xffff_ffff_ffff,
            rng.below(9) + 1
        ),
        3 => format!("WARN queue depth {} above {}", rng.below(10_000), 1000),
        _ => format!(
            "DEBUG cache {} for key k{}",
            ["hit", "miss"][rng.below(2) as usize],
            rng.below(100)
        ),
    }
}

/// `n` events over the day from `T0`, several sharing a millisecond.
fn events(seed: u64, n: usize) -> Vec<Event> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            let t = rng.below(5);
            Event {
                // Runs of 3 events share a timestamp.
                timestamp: T0 + (i as i64 / 3) * (DAY / n as i64 * 3),
                ingestion_time: T0 + DAY,
                message: message(&mut rng, t),
            }
        })
        .collect()
}

/// A store holding `events` in `streams` streams (event `i` in stream `i % streams`), written
/// in batches of `batch` and sealed into segments of blocks of `block_rows` every `seal_every`
/// batches.
fn store(
    events: &[Event],
    streams: usize,
    batch: usize,
    block_rows: usize,
    seal_every: usize,
) -> Fixture {
    let f = common::group_with_blocks(block_rows);
    let store = &f.store;
    for s in 0..streams {
        store.create_stream("g", &format!("s{s}"), 0).unwrap();
    }
    for (b, chunk) in events.chunks(batch).enumerate() {
        for s in 0..streams {
            let mut mine: Vec<Event> = chunk
                .iter()
                .enumerate()
                .filter(|(i, _)| (b * batch + i) % streams == s)
                .map(|(_, e)| e.clone())
                .collect();
            mine.sort_by_key(|e| e.timestamp);
            if !mine.is_empty() {
                store.append("g", &format!("s{s}"), &mine).unwrap();
            }
        }
        if (b + 1) % seal_every == 0 {
            store.seal("g").unwrap();
        }
    }
    f
}

fn run(f: &Fixture, query: &str, range: Option<(i64, i64)>) -> QueryOutput {
    let query = loupe_lang::parse(query).unwrap_or_else(|d| panic!("{query}: {d}"));
    let request = QueryRequest {
        groups: vec!["g".into()],
        start_ms: range.map(|r| r.0),
        end_ms: range.map(|r| r.1),
        now_ms: T0 + DAY,
        ..Default::default()
    };
    common::runtime()
        .block_on(run_query(&f.store, &query, &request))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Each row as `field=value` cells joined by ` | `.
fn lines(out: &QueryOutput) -> Vec<String> {
    out.rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| format!("{}={}", c.field, c.value))
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect()
}

#[test]
fn the_same_events_give_the_same_patterns_however_they_were_written() {
    let all = events(11, 6_000);
    let mut reordered = all.clone();
    reordered.reverse();
    // Interleave halves: another order again.
    let (a, b) = reordered.split_at(3_000);
    let reordered: Vec<Event> = a
        .iter()
        .zip(b)
        .flat_map(|(x, y)| [y.clone(), x.clone()])
        .collect();
    let one = store(&all, 1, 6_000, 8192, 1);
    let many = store(&reordered, 4, 700, 500, 3);
    let day = Some((T0, T0 + DAY - 1));
    for (query, range) in [
        (
            "pattern @message | display @pattern, @ratio, @sampleCount, @severityLabel, @tokens, @logSamples",
            None,
        ),
        (
            "pattern @message | anomaly | display @pattern, @anomalyType, @histogram",
            day,
        ),
        (
            "filter @message like /INFO/ | pattern @message | limit 1",
            None,
        ),
    ] {
        let want = lines(&run(&one, query, range));
        assert!(!want.is_empty(), "{query}");
        assert_eq!(lines(&run(&many, query, range)), want, "{query}");
    }
}

#[test]
fn two_hundred_thousand_events_make_their_five_templates() {
    let all = events(5, 200_000);
    let f = store(&all, 2, 20_000, 8192, 4);
    let out = run(&f, "pattern @message", None);
    let patterns: Vec<String> = out
        .rows
        .iter()
        .map(|r| format!("{} {}", r[0].value, r[3].value))
        .collect();
    let mut sorted = patterns.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "DEBUG cache <Token-1> for key <Token-2> Debug",
            "ERROR job <ID-1> failed after <Number-2> attempts Error",
            "INFO GET <Token-1> <StatusCode-2> <Number-3> Info",
            "INFO user <Token-1> logged in from <IPAddress-2> Info",
            "WARN queue depth <Number-1> above 1000 Warning",
        ],
        "{patterns:?}"
    );
    let counts: Vec<u64> = out
        .rows
        .iter()
        .map(|r| r[2].value.parse().unwrap())
        .collect();
    assert_eq!(counts.iter().sum::<u64>(), 200_000);
    assert!(
        counts.iter().all(|n| (38_000..42_000).contains(n)),
        "{counts:?}"
    );
    assert_eq!(out.statistics.records_matched, 200_000);
}

#[test]
fn diff_reads_the_baseline_window_with_its_own_scan() {
    // Day one: 600 events; day two: 900.
    let mut all = events(3, 600);
    all.extend(events(4, 900).into_iter().map(|mut e| {
        e.timestamp += DAY;
        e
    }));
    let f = store(&all, 2, 500, 8192, 2);
    let out = run(
        &f,
        "diff | stats sum(@sampleCount) as now, sum(@previousSampleCount) as before",
        Some((T0 + DAY, T0 + 2 * DAY - 1)),
    );
    assert_eq!(lines(&out), ["now=900 | before=600"]);
    assert_eq!(out.statistics.records_scanned, 1_500);
    // A filter before `diff` runs in both windows.
    let out = run(
        &f,
        "filter @message like /ERROR/ | diff | display @changeType, @pattern",
        Some((T0 + DAY, T0 + 2 * DAY - 1)),
    );
    assert_eq!(
        lines(&out),
        ["@changeType=Increased | @pattern=ERROR job <ID-1> failed after <Number-2> attempts"]
    );
}
