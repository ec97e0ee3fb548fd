//! Store-level tests: sealing, crashes, snapshots, pruning, retention, compaction, fields.

use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Int64Type};

use super::*;
use crate::manifest::SegmentEntry;

fn ev(ts: i64, msg: &str) -> Event {
    Event {
        timestamp: ts,
        ingestion_time: ts + 1,
        message: msg.into(),
    }
}

fn store(dir: &Path, config: StoreConfig) -> Store {
    let s = Store::open_with(dir, config).unwrap();
    if !s.group_exists("g").unwrap() {
        s.create_group("g", 0).unwrap();
        for st in ["a", "b"] {
            s.create_stream("g", st, 0).unwrap();
        }
    }
    s
}

fn all(req_fields: &[&str]) -> ScanRequest {
    ScanRequest {
        groups: vec!["g".into()],
        fields: req_fields.iter().map(|s| s.to_string()).collect(),
        numbers: Vec::new(),
        ..Default::default()
    }
}

/// Every returned `(timestamp, stream, message)`, sorted.
fn rows(out: &ScanOutput) -> Vec<(i64, String, String)> {
    let mut v = Vec::new();
    for b in &out.batches {
        let ts = b
            .column(0)
            .as_primitive::<arrow::datatypes::TimestampMillisecondType>();
        let st = b.column(3).as_string::<i32>();
        let msg = b.column(4).as_string::<i32>();
        for i in 0..b.num_rows() {
            v.push((ts.value(i), st.value(i).to_owned(), msg.value(i).to_owned()));
        }
    }
    v.sort();
    v
}

fn batch(start: i64, n: i64) -> Vec<Event> {
    (start..start + n)
        .map(|i| ev(1000 + i, &format!("{{\"n\":{i},\"level\":\"L{}\"}}", i % 3)))
        .collect()
}

fn manifest(s: &Store) -> Manifest {
    let catalog = Catalog::load(s.root()).unwrap();
    Manifest::load(&s.group_dir(&catalog.groups["g"])).unwrap()
}

#[test]
fn sealed_and_unsealed_events_read_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), StoreConfig::default());
    s.append("g", "a", &batch(0, 50)).unwrap();
    s.append("g", "b", &batch(50, 50)).unwrap();
    let before = rows(&s.scan(&all(&[])).unwrap());
    assert_eq!(before.len(), 100);
    assert_eq!(s.seal("g").unwrap(), 100);
    assert_eq!(s.seal("g").unwrap(), 0, "nothing left to seal");
    assert_eq!(rows(&s.scan(&all(&[])).unwrap()), before);
    s.append("g", "a", &batch(100, 5)).unwrap();
    let out = s.scan(&all(&["n", "level"])).unwrap();
    assert_eq!(out.records_scanned, 105);
    assert_eq!(
        out.schema.field_with_name("n").unwrap().data_type(),
        &DataType::Int64
    );
    let sum: i64 = out
        .batches
        .iter()
        .map(|b| {
            b.column(7)
                .as_primitive::<Int64Type>()
                .iter()
                .flatten()
                .sum::<i64>()
        })
        .sum();
    assert_eq!(sum, (0..105i64).sum::<i64>());
    assert_eq!(s.groups().unwrap()[0].event_count, 105);
    let m = manifest(&s);
    assert_eq!(m.segments.len(), 1);
    let files: Vec<String> = std::fs::read_dir(dir.path().join("groups/0"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        !files.contains(&"wal.log".to_string()),
        "sealed WAL removed: {files:?}"
    );
}

#[test]
fn delete_stream_removes_its_events_and_a_recreated_stream_starts_empty() {
    let dir = tempfile::tempdir().unwrap();
    // Every segment counts as large: the delete hides rows rather than rewriting segments.
    let large = StoreConfig {
        compact_below_bytes: 1,
        ..StoreConfig::default()
    };
    let s = store(dir.path(), large);
    let streams_of = |s: &Store| -> Vec<(i64, String)> {
        rows(&s.scan(&all(&[])).unwrap())
            .into_iter()
            .map(|(ts, st, _)| (ts, st))
            .collect()
    };
    s.append("g", "a", &batch(0, 10)).unwrap();
    s.append("g", "b", &batch(10, 10)).unwrap();
    s.seal("g").unwrap(); // one segment with both streams
    s.append("g", "a", &batch(20, 5)).unwrap();
    s.seal("g").unwrap(); // one segment of `a` only
    s.append("g", "a", &batch(30, 3)).unwrap(); // unsealed
    s.append("g", "b", &batch(40, 2)).unwrap();
    let mixed = manifest(&s).segments[0].file.clone();
    assert_eq!(manifest(&s).segments.len(), 2);

    s.delete_stream("g", "a").unwrap();
    assert!(!s.stream_exists("g", "a").unwrap());
    assert!(matches!(
        s.delete_stream("g", "a"),
        Err(StoreError::StreamNotFound { .. })
    ));
    assert!(matches!(
        s.delete_stream("nope", "a"),
        Err(StoreError::GroupNotFound(_))
    ));
    assert!(matches!(
        s.append("g", "a", &batch(0, 1)),
        Err(StoreError::InvalidName { .. })
    ));
    // The segment of `a` alone is gone; the mixed one hides `a`; the WAL's `a` events were
    // left out of the seal that kept `b`'s.
    let m = manifest(&s);
    assert_eq!(m.segments.len(), 2, "{m:?}");
    assert_eq!(m.segments[0].file, mixed);
    assert_eq!(m.segments[0].hidden_rows, 10);
    assert_eq!(
        s.deleted_streams("g").unwrap(),
        BTreeMap::from([(mixed.clone(), vec!["a".to_string()])])
    );
    assert_eq!(s.groups().unwrap()[0].event_count, 12);
    let got = streams_of(&s);
    assert_eq!(got.iter().filter(|(_, st)| st == "b").count(), 12);
    // Readers skip the hidden rows of the mixed segment.
    assert_eq!(got.len(), 12, "{got:?}");
    assert!(got.iter().all(|(_, st)| st == "b"), "{got:?}");

    // Compaction drops the hidden rows for good.
    let s = store(dir.path(), StoreConfig::default());
    assert_eq!(s.compact("g").unwrap(), 2);
    assert!(s.deleted_streams("g").unwrap().is_empty());
    let got = streams_of(&s);
    assert_eq!(got.len(), 12);
    assert!(got.iter().all(|(_, st)| st == "b"), "{got:?}");

    // A re-created stream of the same name has only its new events.
    s.create_stream("g", "a", 5).unwrap();
    s.append("g", "a", &batch(50, 4)).unwrap();
    let got = streams_of(&s);
    let a: Vec<i64> = got
        .iter()
        .filter(|(_, st)| st == "a")
        .map(|(ts, _)| *ts)
        .collect();
    assert_eq!(a, [1050, 1051, 1052, 1053]);
    assert_eq!(s.groups().unwrap()[0].event_count, 16);
}

#[test]
fn deleting_a_stream_rewrites_small_segments_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), StoreConfig::default());
    s.append("g", "a", &batch(0, 10)).unwrap();
    s.append("g", "b", &batch(10, 10)).unwrap();
    s.seal("g").unwrap();
    let before = manifest(&s).segments[0].file.clone();
    s.delete_stream("g", "a").unwrap();
    let m = manifest(&s);
    assert_eq!(m.segments.len(), 1);
    assert_ne!(m.segments[0].file, before);
    assert_eq!(m.segments[0].rows, 10);
    assert!(m.segments[0].hidden_streams.is_empty());
    assert!(!dir.path().join("groups/0").join(&before).exists());
    let got = rows(&s.scan(&all(&[])).unwrap());
    assert_eq!(got.len(), 10);
    assert!(got.iter().all(|(_, st, _)| st == "b"));
}

#[test]
fn deleting_a_stream_whose_events_are_all_unsealed_swaps_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), StoreConfig::default());
    s.append("g", "a", &batch(0, 7)).unwrap();
    let wal_before = manifest(&s).wal;
    s.delete_stream("g", "a").unwrap();
    let m = manifest(&s);
    assert!(m.segments.is_empty());
    assert_ne!(m.wal, wal_before);
    assert!(rows(&s.scan(&all(&[])).unwrap()).is_empty());
    assert_eq!(s.groups().unwrap()[0].event_count, 0);
    // Reopening sees the same.
    let s = store(dir.path(), StoreConfig::default());
    assert!(rows(&s.scan(&all(&[])).unwrap()).is_empty());
    assert_eq!(s.streams("g").unwrap().len(), 1);
}

#[test]
fn a_crash_at_any_point_of_a_seal_loses_and_duplicates_nothing() {
    for at in [
        CrashPoint::SegmentWritten,
        CrashPoint::WalCreated,
        CrashPoint::ManifestSwapped,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path(), StoreConfig::default());
        s.append("g", "a", &batch(0, 30)).unwrap();
        s.seal("g").unwrap();
        s.append("g", "b", &batch(30, 30)).unwrap();
        assert!(s.seal_crashing("g", at).is_err());
        // "Reboot": a fresh handle on the same directory.
        let s = store(dir.path(), StoreConfig::default());
        let got = rows(&s.scan(&all(&[])).unwrap());
        assert_eq!(got.len(), 60, "{at:?}");
        s.append("g", "a", &batch(60, 10)).unwrap();
        s.seal("g").unwrap();
        let got = rows(&s.scan(&all(&[])).unwrap());
        let want: Vec<i64> = (0..70).map(|i| 1000 + i).collect();
        assert_eq!(got.iter().map(|r| r.0).collect::<Vec<_>>(), want, "{at:?}");
        // Leftovers are gone.
        let m = manifest(&s);
        for e in std::fs::read_dir(dir.path().join("groups/0")).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            assert!(m.names(&name), "{at:?}: leftover {name}");
        }
    }
}

#[test]
fn appends_seal_automatically_and_seals_compact() {
    let dir = tempfile::tempdir().unwrap();
    let config = StoreConfig {
        seal_threshold_bytes: 2000,
        compact_below_bytes: 1 << 20,
        compact_min_segments: 4,
        ..StoreConfig::default()
    };
    let s = store(dir.path(), config);
    for i in 0..40 {
        s.append("g", if i % 2 == 0 { "a" } else { "b" }, &batch(i * 10, 10))
            .unwrap();
    }
    let m = manifest(&s);
    assert!(!m.segments.is_empty());
    assert!(m.segments.len() < 4, "compacted: {}", m.segments.len());
    let got = rows(&s.scan(&all(&[])).unwrap());
    assert_eq!(got.len(), 400);
    assert_eq!(s.groups().unwrap()[0].event_count, 400);
    s.seal("g").unwrap();
    s.compact("g").unwrap();
    assert_eq!(manifest(&s).segments.len(), 1);
    assert_eq!(rows(&s.scan(&all(&[])).unwrap()), got);
}

#[test]
fn compaction_merges_segments_of_similar_size_only() {
    let seg = |bytes: u64| SegmentEntry {
        file: String::new(),
        rows: 1,
        min_ts: 0,
        max_ts: 0,
        bytes,
        hidden_streams: Vec::new(),
        hidden_rows: 0,
        zstd_level: None,
    };
    let pick = |sizes: &[u64]| {
        let segs: Vec<SegmentEntry> = sizes.iter().map(|&b| seg(b)).collect();
        pick_for_compaction(&segs, 8 << 20)
    };
    // A tiny leftover is not merged into a segment 100 times its size...
    assert!(pick(&[5 << 20, 40 << 10]).len() < 2);
    // ...but tiny ones merge with each other, and the merge grows while sizes stay close.
    assert_eq!(pick(&[5 << 20, 1, 1, 1, 2, 5, 100]), [1, 2, 3, 4, 5]);
    assert_eq!(pick(&[100, 300, 1000, 9 << 20]), [0, 1, 2]);
    // Large segments never, and the merge's input is capped.
    assert!(pick(&[9 << 20, 9 << 20]).is_empty());
    assert_eq!(pick(&[7 << 20, 7 << 20, 7 << 20]), [0, 1]);
}

#[test]
fn retention_drops_expired_segments() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), StoreConfig::default());
    assert!(matches!(
        s.set_retention("g", Some(2)),
        Err(StoreError::InvalidRetention(2))
    ));
    s.append("g", "a", &[ev(0, "old")]).unwrap();
    s.seal("g").unwrap();
    s.append("g", "a", &[ev(10 * DAY_MS, "new")]).unwrap();
    s.seal("g").unwrap();
    s.set_retention("g", Some(7)).unwrap();
    assert_eq!(s.retention("g").unwrap(), Some(7));
    assert_eq!(s.apply_retention(12 * DAY_MS).unwrap(), 1);
    let got = rows(&s.scan(&all(&[])).unwrap());
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].2, "new");
    s.set_retention("g", None).unwrap();
    assert_eq!(s.apply_retention(100 * DAY_MS).unwrap(), 0);
}

#[test]
fn a_field_with_different_types_comes_back_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), StoreConfig::default());
    s.append("g", "a", &[ev(1, r#"{"x":5,"y":true}"#)]).unwrap();
    s.seal("g").unwrap();
    s.append("g", "a", &[ev(2, r#"{"x":"five","y":false}"#)])
        .unwrap();
    let out = s.scan(&all(&["x", "y", "missing"])).unwrap();
    let types: Vec<_> = out
        .schema
        .fields()
        .iter()
        .skip(7)
        .map(|f| f.data_type().clone())
        .collect();
    assert_eq!(types, [DataType::Utf8, DataType::Boolean, DataType::Utf8]);
    let mut xs: Vec<String> = out
        .batches
        .iter()
        .flat_map(|b| {
            b.column(7)
                .as_string::<i32>()
                .iter()
                .map(|v| v.unwrap_or("-").to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    xs.sort();
    assert_eq!(xs, ["5", "five"]);
    assert_eq!(
        out.batches[0].column(9).null_count(),
        out.batches[0].num_rows()
    );
}

#[test]
fn hints_prune_and_newest_first_stops_early() {
    let dir = tempfile::tempdir().unwrap();
    let config = StoreConfig {
        segment: WriteConfig {
            block_rows: 10,
            ..WriteConfig::default()
        },
        ..StoreConfig::default()
    };
    let s = store(dir.path(), config);
    let events: Vec<Event> = (0..100)
        .map(|i| {
            let word = if i == 42 { "needle" } else { "hay" };
            ev(
                i,
                &format!("{{\"msg\":\"{word} {i}\",\"code\":{}}}", i / 10),
            )
        })
        .collect();
    s.append("g", "a", &events[..50]).unwrap();
    s.append("g", "b", &events[50..]).unwrap();
    s.seal("g").unwrap();
    let scan = |hints: ScanHints| s.scan_with(&all(&["code"]), &hints).unwrap();

    let out = scan(ScanHints {
        message_contains: vec!["needle".into()],
        ..Default::default()
    });
    // Pruned blocks are not read (no rows of theirs come back) but still counted: the
    // statistics cover every event in the range, as Insights reports them.
    assert!(rows(&out).len() <= 10, "{}", rows(&out).len());
    assert!(rows(&out).iter().any(|r| r.2.contains("needle 42")));
    assert_eq!(out.records_scanned, 100);

    let out = scan(ScanHints {
        field_equals: vec![("code".into(), "7".into())],
        ..Default::default()
    });
    assert_eq!(rows(&out).len(), 10);
    assert_eq!(out.records_scanned, 100);

    let out = scan(ScanHints {
        field_ranges: vec![("code".into(), 2.5, 4.0)],
        ..Default::default()
    });
    assert_eq!(rows(&out).len(), 20, "blocks with code 3 and 4");
    assert_eq!(out.records_scanned, 100);

    let out = scan(ScanHints {
        streams: vec!["b".into()],
        ..Default::default()
    });
    assert!(rows(&out).iter().all(|r| r.1 == "b"));
    assert_eq!(out.records_scanned, 50);

    let out = scan(ScanHints {
        order: ScanOrder::NewestFirst,
        limit: Some(5),
        ..Default::default()
    });
    // Reading stops early; the statistics still count every event in the range (from block
    // metadata, as AWS reports the full range even when rows are capped).
    let got = rows(&out);
    assert!(got.len() < 30, "{}", got.len());
    assert_eq!(out.records_scanned, 100);
    let newest: Vec<i64> = got.iter().rev().take(5).map(|r| r.0).collect();
    assert_eq!(newest, [99, 98, 97, 96, 95]);

    let out = scan(ScanHints {
        limit: Some(3),
        ..Default::default()
    });
    assert_eq!(
        rows(&out).iter().take(3).map(|r| r.0).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    assert!(rows(&out).len() < 30);
    assert_eq!(out.records_scanned, 100);
}

#[test]
fn fields_lists_types_and_percentages() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), StoreConfig::default());
    s.append(
        "g",
        "a",
        &[ev(1, r#"{"a":1,"b":"x"}"#), ev(2, r#"{"a":2}"#)],
    )
    .unwrap();
    s.seal("g").unwrap();
    s.append("g", "a", &[ev(3, r#"{"a":"three"}"#), ev(4, "plain")])
        .unwrap();
    let f = s.fields(&["g".into()], None, None).unwrap();
    assert_eq!(
        f,
        [
            FieldInfo {
                name: "a".into(),
                types: vec![FieldType::Integer, FieldType::String],
                percent: 75
            },
            FieldInfo {
                name: "b".into(),
                types: vec![FieldType::String],
                percent: 25
            },
        ]
    );
    let f = s.fields(&["g".into()], Some(2), Some(3)).unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].percent, f[0].types.len()), (100, 2));
}

#[test]
fn readers_see_whole_batches_while_writers_seal_and_compact() {
    let dir = tempfile::tempdir().unwrap();
    let config = StoreConfig {
        seal_threshold_bytes: 3000,
        compact_below_bytes: 1 << 20,
        compact_min_segments: 3,
        ..StoreConfig::default()
    };
    let s = store(dir.path(), config);
    let writer = {
        let s = s.clone();
        std::thread::spawn(move || {
            for i in 0..60 {
                s.append("g", "a", &batch(i * 10, 10)).unwrap();
            }
        })
    };
    let mut last = 0;
    while !writer.is_finished() {
        let n = s.scan(&all(&["n"])).unwrap().records_scanned;
        assert_eq!(n % 10, 0, "a scan saw part of a batch");
        assert!(n >= last, "a scan went back in time: {n} < {last}");
        last = n;
    }
    writer.join().unwrap();
    assert_eq!(s.scan(&all(&[])).unwrap().records_scanned, 600);
}

const CHILD_ENV: &str = "LOUPE_STORE_CRASH_CHILD";

fn crash_config() -> StoreConfig {
    StoreConfig {
        seal_threshold_bytes: 4096,
        compact_below_bytes: 1 << 20,
        compact_min_segments: 3,
        ..StoreConfig::default()
    }
}

/// The writer the crash test kills: appends numbered batches of 5 events forever, printing
/// `ACK <n>` once each append has returned.
#[test]
fn crash_child() {
    use std::io::Write;
    let (Ok(dir), Ok(start)) = (std::env::var(CHILD_ENV), std::env::var("LOUPE_CRASH_START"))
    else {
        return; // Not a child: nothing to do.
    };
    let start: u64 = start.parse().unwrap();
    let s = store(Path::new(&dir), crash_config());
    let mut out = std::io::stdout();
    for n in start.. {
        let events: Vec<Event> = (0..5)
            .map(|k| {
                ev(
                    n as i64,
                    &format!("{{\"batch\":{n},\"k\":{k},\"pad\":\"padding padding\"}}"),
                )
            })
            .collect();
        s.append("g", if n % 2 == 0 { "a" } else { "b" }, &events)
            .unwrap();
        writeln!(out, "ACK {n}").unwrap();
        out.flush().unwrap();
    }
}

/// Kills an appending (and sealing, and compacting) process with SIGKILL at seeded random
/// moments; after each kill the store opens cleanly, every acknowledged batch is there exactly
/// once, and the one batch in flight is there whole or not at all.
#[test]
fn sigkill_at_random_points_loses_nothing_acknowledged() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = crate::segment::tests::Rng::new(7);
    let mut acked: Vec<u64> = Vec::new();
    let mut next = 0u64;
    for round in 0..12 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "store_tests::crash_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .env("LOUPE_CRASH_START", next.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (started, first_ack) = std::sync::mpsc::channel::<()>();
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest may print "test … ... " on the same line before the first ACK.
                if let Some(at) = line.find("ACK ") {
                    got.push(line[at + 4..].trim().parse::<u64>().unwrap());
                    if got.len() == 1 {
                        let _ = started.send(());
                    }
                }
            }
            got
        });
        // The kill comes a random while after the writer got going (not after the spawn: a
        // busy machine can take longer than the whole window just to start the child).
        let _ = first_ack.recv_timeout(std::time::Duration::from_secs(30));
        std::thread::sleep(std::time::Duration::from_millis(rng.below(250)));
        child.kill().unwrap();
        child.wait().unwrap();
        let round_acked = reader.join().unwrap();
        // The batch being appended when the kill came: durable or not, but never torn.
        let in_flight = round_acked.iter().max().map_or(next, |m| m + 1);
        acked.extend(&round_acked);

        let s = store(dir.path(), crash_config());
        let out = s.scan(&all(&["batch"])).unwrap();
        let mut per_batch: std::collections::BTreeMap<u64, usize> = Default::default();
        for b in &out.batches {
            let col = b.column(7).as_primitive::<Int64Type>();
            for v in col.iter() {
                *per_batch.entry(v.unwrap() as u64).or_default() += 1;
            }
        }
        for n in &acked {
            assert_eq!(per_batch.get(n), Some(&5), "round {round}: batch {n}");
        }
        for (&n, &count) in &per_batch {
            assert_eq!(count, 5, "round {round}: batch {n} is torn or duplicated");
            if !acked.contains(&n) {
                assert_eq!(n, in_flight, "round {round}: batch {n} was never sent");
                acked.push(n); // From now on it must stay, exactly once.
            }
        }
        assert_eq!(
            s.groups().unwrap()[0].event_count as usize,
            per_batch.len() * 5
        );
        next = in_flight + 1;
    }
    let s = store(dir.path(), crash_config());
    assert!(
        !manifest(&s).segments.is_empty(),
        "the kills hit a sealing writer"
    );
    assert!(
        acked.len() > 12,
        "the writer made progress: {}",
        acked.len()
    );
}

/// Prints append throughput (~1 MB batches, each fsynced, sealing included) for seeded JSON
/// application logs (with field discovery) and seeded loghub-style text logs; run with
/// `cargo test --release -p loupe-store append_throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn append_throughput() {
    let mut rng = crate::segment::tests::Rng::new(9);
    let json = crate::segment::tests::app_log_lines(&mut rng, 200_000);
    throughput("json", &json);
    let text = crate::segment::tests::text_log_lines(&mut rng, 400_000);
    throughput("text", &text);
}

fn throughput(name: &str, lines: &[String]) {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), StoreConfig::default());
    let mut batches = Vec::new();
    let (mut batch, mut size) = (Vec::new(), 0);
    for (i, l) in lines.iter().enumerate() {
        size += l.len() + 26;
        batch.push(ev(1_767_225_600_000 + i as i64, l));
        if size > 1_000_000 {
            batches.push(std::mem::take(&mut batch));
            size = 0;
        }
    }
    batches.push(batch);
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let cpu_before = process_cpu_secs();
    let started = std::time::Instant::now();
    for b in batches.iter().filter(|b| !b.is_empty()) {
        s.append("g", "a", b).unwrap();
    }
    s.seal("g").unwrap();
    let secs = started.elapsed().as_secs_f64();
    let cpu = process_cpu_secs() - cpu_before;
    let stored = s.groups().unwrap()[0].stored_bytes;
    assert_eq!(s.groups().unwrap()[0].event_count, lines.len() as u64);
    println!(
        "{name}: appended {} MB in {secs:.2}s: {:.1} MB/s; {cpu:.2} CPU-s ({:.1} MB per CPU-s); stored {} bytes ({:.1}x)",
        bytes / 1_000_000,
        bytes as f64 / 1e6 / secs,
        bytes as f64 / 1e6 / cpu.max(0.01),
        stored,
        bytes as f64 / stored as f64
    );
}

/// User + system CPU seconds of this process (all threads), from `/proc/self/stat`: on a busy
/// machine a steadier figure than wall time.
fn process_cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the file, 12 and 13 after the name.
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<f64>().ok())
        .sum();
    ticks / 100.0
}

/// Builds a store of ~1 GB of seeded JSON logs the way `loupe ingest` leaves one (appended in
/// ~1 MB batches, sealed and compacted), then prints the medians of: `Store::open` plus a
/// snapshot of the group (manifest, every segment mapped and its footer decoded, the WAL); a
/// tiny scan (newest 10 events) from a fresh handle; and a small leftover WAL sealed then
/// compacted. Run with
/// `cargo test --release -p loupe-store open_cost -- --ignored --nocapture` (the data lives in
/// a temporary directory and is removed afterwards).
#[test]
#[ignore]
fn open_cost_on_a_gigabyte() {
    use std::time::Instant;
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), StoreConfig::default());
    let mut rng = crate::segment::tests::Rng::new(11);
    let (mut raw, mut events, mut ts) = (0usize, 0u64, 1_767_225_600_000i64);
    let started = Instant::now();
    while raw < 1_000_000_000 {
        let lines = crate::segment::tests::app_log_lines(&mut rng, 100_000);
        let mut batch = Vec::new();
        let mut size = 0;
        for l in &lines {
            ts += 3;
            size += l.len() + 26;
            raw += l.len() + 1;
            batch.push(ev(ts, l));
            if size > 1_000_000 {
                events += batch.len() as u64;
                s.append("g", "a", &std::mem::take(&mut batch)).unwrap();
                size = 0;
            }
        }
        events += batch.len() as u64;
        s.append("g", "a", &batch).unwrap();
    }
    s.seal("g").unwrap();
    s.compact("g").unwrap();
    let built = started.elapsed();
    let info = &s.groups().unwrap()[0];
    assert_eq!(info.event_count, events);
    let m = manifest(&s);
    println!(
        "built {} MB raw, {events} events in {built:.1?}: {} segments, {} bytes stored",
        raw / 1_000_000,
        m.segments.len(),
        info.stored_bytes
    );
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;
    let (mut open, mut scan, mut warm) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..9 {
        let t = Instant::now();
        let fresh = Store::open(dir.path()).unwrap();
        let catalog = Catalog::load(fresh.root()).unwrap();
        let gdir = fresh.group_dir(&catalog.groups["g"]);
        let snap = snapshot::Snapshot::load(&gdir, None, None, &Default::default()).unwrap();
        open.push(ms(t));
        assert_eq!(snap.segments.len(), m.segments.len());
        let tiny = ScanHints {
            order: ScanOrder::NewestFirst,
            limit: Some(10),
            ..ScanHints::default()
        };
        let t = Instant::now();
        let fresh = Store::open(dir.path()).unwrap();
        let out = fresh.scan_with(&all(&["status"]), &tiny).unwrap();
        scan.push(ms(t));
        assert!(out.batches.iter().map(|b| b.num_rows()).sum::<usize>() >= 10);
        let t = Instant::now();
        fresh.scan_with(&all(&["status"]), &tiny).unwrap();
        warm.push(ms(t));
    }
    println!(
        "open + snapshot of {} segments: median {:.2} ms; fresh open + newest-10 scan: median {:.2} ms (same scan again on the handle: {:.2} ms)",
        m.segments.len(),
        median(open),
        median(scan),
        median(warm)
    );
    let (mut seal, mut compact) = (Vec::new(), Vec::new());
    for round in 0..5 {
        let lines = crate::segment::tests::app_log_lines(&mut rng, 200);
        let batch: Vec<Event> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| ev(ts + 10 * (round * 200 + i as i64), l))
            .collect();
        s.append("g", "b", &batch).unwrap();
        let t = Instant::now();
        assert_eq!(s.seal("g").unwrap(), 200);
        seal.push(ms(t));
        let t = Instant::now();
        s.compact("g").unwrap();
        compact.push(ms(t));
    }
    println!(
        "200-event leftover WAL: seal median {:.2} ms, then compact median {:.2} ms ({} segments after)",
        median(seal),
        median(compact),
        manifest(&s).segments.len()
    );
}

/// A bulk load's segments are the bytes a seal of the same rows makes (rows in order: blocks
/// encoded ahead; out of order: sorted at the end), published in one swap, with no WAL.
#[test]
fn a_bulk_load_writes_what_a_seal_would_and_publishes_at_once() {
    let mut rng = crate::segment::tests::Rng::new(21);
    let lines = crate::segment::tests::app_log_lines(&mut rng, 3000);
    for shuffled in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let config = StoreConfig {
            segment: WriteConfig {
                block_rows: 300,
                ..WriteConfig::default()
            },
            bulk_segment_bytes: 200_000,
            bulk_block_rows: 300,
            ..StoreConfig::default()
        };
        let s = store(dir.path(), config.clone());
        let mut events: Vec<(i64, &str)> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| (10_000 + i as i64 / 3, l.as_str()))
            .collect();
        if shuffled {
            for i in (1..events.len()).rev() {
                events.swap(i, rng.below(i as u64 + 1) as usize);
            }
        }
        let mut load = s.bulk_load("g").unwrap();
        for (i, (ts, msg)) in events.iter().enumerate() {
            let stream = if i % 7 == 0 { "b" } else { "a" };
            load.push(stream, *ts, 5, msg).unwrap();
        }
        assert_eq!(s.scan(&all(&[])).unwrap().records_scanned, 0);
        assert_eq!(load.finish().unwrap(), 3000);
        let m = manifest(&s);
        assert!(m.segments.len() > 2, "{shuffled}: {}", m.segments.len());
        assert_eq!(m.generation, 1, "{shuffled}: one manifest swap");
        assert_eq!(s.groups().unwrap()[0].event_count, 3000);
        // Each segment holds the rows a seal of the same events would encode, byte for byte.
        let gdir = dir.path().join("groups/0");
        let mut seen = Vec::new();
        for e in &m.segments {
            let bytes = std::fs::read(gdir.join(&e.file)).unwrap();
            let mut rows = Segment::open(&gdir.join(&e.file))
                .unwrap()
                .read_rows()
                .unwrap();
            assert_eq!(e.rows as usize, rows.len());
            let again = encode_segment(&mut rows, &config.segment).unwrap();
            assert_eq!(again, bytes, "{shuffled}: {}", e.file);
            seen.extend(
                rows.into_iter()
                    .map(|r| (r.event.timestamp, r.event.message)),
            );
        }
        let mut want: Vec<(i64, String)> =
            events.iter().map(|(ts, m)| (*ts, m.to_string())).collect();
        want.sort();
        seen.sort();
        assert_eq!(seen, want, "{shuffled}");
        // Nothing else is left in the group directory: no WAL frames, no load directory.
        for e in std::fs::read_dir(&gdir).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            assert!(
                m.names(&name) && !name.starts_with("load-"),
                "leftover {name}"
            );
        }
    }
}

/// A load dropped unfinished publishes nothing; the directory of a load whose process died
/// (its lock free) is deleted by the next writer, while a live load's is left alone.
#[test]
fn unfinished_and_dead_loads_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), StoreConfig::default());
    let mut load = s.bulk_load("g").unwrap();
    load.push("a", 1, 1, "gone").unwrap();
    drop(load);
    assert_eq!(s.scan(&all(&[])).unwrap().records_scanned, 0);
    let gdir = dir.path().join("groups/0");
    let loads = || -> Vec<String> {
        std::fs::read_dir(&gdir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with("load-"))
            .collect()
    };
    assert!(loads().is_empty());
    // A dead load: its directory and a written segment, but nobody holds its lock.
    std::fs::create_dir(gdir.join("load-dead")).unwrap();
    std::fs::write(gdir.join("load-dead/lock"), b"").unwrap();
    std::fs::write(gdir.join("load-dead/seg-00000001.lseg"), b"half").unwrap();
    let mut live = s.bulk_load("g").unwrap(); // cleans the dead one
    assert_eq!(loads().len(), 1, "only the live load's directory");
    live.push("a", 2, 2, "kept").unwrap();
    s.append("g", "b", &[ev(3, "appended")]).unwrap();
    s.seal("g").unwrap(); // a writer meanwhile leaves the live load alone
    assert_eq!(live.finish().unwrap(), 1);
    let got = rows(&s.scan(&all(&[])).unwrap());
    assert_eq!(got.len(), 2);
    assert!(loads().is_empty());
}

/// A load into a stream deleted before it publishes fails rather than publishing events of a
/// stream that no longer exists.
#[test]
fn a_load_into_a_deleted_stream_fails_to_publish() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), StoreConfig::default());
    let mut load = s.bulk_load("g").unwrap();
    load.push("b", 1, 1, "x").unwrap();
    s.delete_stream("g", "b").unwrap();
    assert!(matches!(load.finish(), Err(StoreError::InvalidName { .. })));
    assert_eq!(s.scan(&all(&[])).unwrap().records_scanned, 0);
}

const BULK_CHILD_ENV: &str = "LOUPE_STORE_BULK_CRASH_CHILD";

fn bulk_crash_config() -> StoreConfig {
    StoreConfig {
        bulk_block_rows: 64,
        bulk_segment_bytes: 2 << 10,
        bulk_publish_bytes: 6 << 10,
        ..StoreConfig::default()
    }
}

/// The loader the bulk crash test kills: loads of 400 events numbered from `start`, one
/// after the other, printing `ACK <last>` once each load has finished (and, with
/// `LOUPE_CRASH_SETTLE` set, the group has been settled after it).
#[test]
fn bulk_crash_child() {
    use std::io::Write;
    let (Ok(dir), Ok(start)) = (
        std::env::var(BULK_CHILD_ENV),
        std::env::var("LOUPE_CRASH_START"),
    ) else {
        return; // Not a child: nothing to do.
    };
    let start: i64 = start.parse().unwrap();
    let s = store(Path::new(&dir), bulk_crash_config());
    let mut out = std::io::stdout();
    for first in (start..).step_by(400) {
        let mut load = s.bulk_load("g").unwrap();
        for n in first..first + 400 {
            let msg = format!("{{\"n\":{n},\"pad\":\"padding padding padding\"}}");
            load.push(if n % 2 == 0 { "a" } else { "b" }, n, n, &msg)
                .unwrap();
        }
        load.finish().unwrap();
        if std::env::var_os("LOUPE_CRASH_SETTLE").is_some() {
            s.settle("g").unwrap();
        }
        writeln!(out, "ACK {}", first + 399).unwrap();
        out.flush().unwrap();
    }
}

/// Kills a bulk-loading process with SIGKILL at seeded random moments: after each kill the
/// store opens cleanly and holds exactly the events `0..k` for some `k` at least every
/// finished load's (a prefix, each event once), and the next writer leaves no orphan file or
/// load directory behind. In the last six rounds the loader also settles the group after each
/// load (`Store::settle`: merging, recompressing, swapping files), so kills land in that too.
#[test]
fn sigkill_during_bulk_loads_leaves_a_prefix() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = crate::segment::tests::Rng::new(8);
    let mut have = 0i64; // events 0..have are in the store
    let mut partial = 0;
    for round in 0..16 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "store_tests::bulk_crash_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(BULK_CHILD_ENV, dir.path())
            .env("LOUPE_CRASH_START", have.to_string())
            .env(
                if round >= 10 {
                    "LOUPE_CRASH_SETTLE"
                } else {
                    "LOUPE_CRASH_NO_SETTLE"
                },
                "1",
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (acks, acked_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("ACK ") {
                    let _ = acks.send(line[at + 4..].trim().parse::<i64>().unwrap());
                }
            }
        });
        // Once the first load is in (however slow the machine), kill at a random moment of
        // the next ones.
        let first = acked_rx.recv_timeout(std::time::Duration::from_secs(120));
        std::thread::sleep(std::time::Duration::from_millis(rng.below(150)));
        child.kill().unwrap();
        child.wait().unwrap();
        let acked = acked_rx.try_iter().last().or(first.ok());

        let s = store(dir.path(), bulk_crash_config());
        let mut got: Vec<i64> = rows(&s.scan(&all(&[])).unwrap())
            .into_iter()
            .map(|r| r.0)
            .collect();
        got.sort_unstable();
        let want: Vec<i64> = (0..got.len() as i64).collect();
        assert_eq!(got, want, "round {round}: not a prefix, or duplicated");
        let now = got.len() as i64;
        assert!(now >= have, "round {round}: lost events");
        if let Some(last) = acked {
            assert!(
                now > last,
                "round {round}: acknowledged load {last} missing"
            );
        }
        if now % 400 != 0 {
            partial += 1; // an unfinished load published part of itself
        }
        have = now;
        // The next writer clears what the dead loader left.
        s.seal("g").unwrap();
        let m = manifest(&s);
        for e in std::fs::read_dir(dir.path().join("groups/0")).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            assert!(m.names(&name), "round {round}: leftover {name}");
        }
    }
    assert!(have >= 4000, "the loader made progress: {have}");
    // Settling what the kills left changes no event and leaves every segment settled.
    let s = store(dir.path(), bulk_crash_config());
    s.settle("g").unwrap();
    let mut got: Vec<i64> = rows(&s.scan(&all(&[])).unwrap())
        .into_iter()
        .map(|r| r.0)
        .collect();
    got.sort_unstable();
    assert_eq!(got, (0..have).collect::<Vec<_>>());
    let level = Some(StoreConfig::default().settle_zstd_level);
    assert!(manifest(&s).segments.iter().all(|e| e.zstd_level == level));
    assert!(
        partial > 0,
        "some kill came between two publishes of a load"
    );
}

/// Prints bulk-load throughput on the seeded data of `append_throughput`; run with
/// `cargo test --release -p loupe-store --lib bulk_throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn bulk_throughput() {
    let mut rng = crate::segment::tests::Rng::new(9);
    let json = crate::segment::tests::app_log_lines(&mut rng, 200_000);
    let text = crate::segment::tests::text_log_lines(&mut rng, 400_000);
    for _ in 0..3 {
        bulk("json", &json);
        bulk("text", &text);
    }
}

/// Prints what the zstd level of bulk-loaded segments costs and saves, on the same data; run
/// with `cargo test --release -p loupe-store --lib bulk_zstd_levels -- --ignored --nocapture`.
#[test]
#[ignore]
fn bulk_zstd_levels() {
    let mut rng = crate::segment::tests::Rng::new(9);
    let json = crate::segment::tests::app_log_lines(&mut rng, 200_000);
    let text = crate::segment::tests::text_log_lines(&mut rng, 400_000);
    for level in [1, 3, 5, 7, 9] {
        let config = StoreConfig {
            segment: WriteConfig {
                zstd_level: level,
                ..WriteConfig::default()
            },
            ..StoreConfig::default()
        };
        print!("level {level}: ");
        bulk_with("json", &json, config.clone());
        print!("level {level}: ");
        bulk_with("text", &text, config);
    }
}

/// [`bulk_zstd_levels`] on a file of lines (`LOUPE_BULK_FILE`, e.g. the comparison harness's
/// `json.log`; a CloudWatch export prefix is cut off as `loupe ingest` does); levels from
/// `LOUPE_BULK_LEVELS` (default `3,9`), rows per block from `LOUPE_BULK_BLOCK_ROWS`.
#[test]
#[ignore]
fn bulk_file_zstd_levels() {
    let Ok(path) = std::env::var("LOUPE_BULK_FILE") else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<String> = text
        .lines()
        .map(|l| match l.split_once(' ') {
            Some((t, rest)) if t.len() == 24 && t.ends_with('Z') => rest.to_owned(),
            _ => l.to_owned(),
        })
        .collect();
    let levels = std::env::var("LOUPE_BULK_LEVELS").unwrap_or_else(|_| "3,9".into());
    for level in levels.split(',').map(|l| l.parse::<i32>().unwrap()) {
        let config = StoreConfig {
            segment: WriteConfig {
                zstd_level: level,
                ..WriteConfig::default()
            },
            bulk_block_rows: std::env::var("LOUPE_BULK_BLOCK_ROWS")
                .map_or(StoreConfig::default().bulk_block_rows, |v| {
                    v.parse().unwrap()
                }),
            ..StoreConfig::default()
        };
        print!("level {level}: ");
        bulk_with("file", &lines, config);
    }
}

fn bulk(name: &str, lines: &[String]) {
    bulk_with(name, lines, StoreConfig::default());
}

fn bulk_with(name: &str, lines: &[String], config: StoreConfig) {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), config);
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let cpu_before = process_cpu_secs();
    let started = std::time::Instant::now();
    let mut load = s.bulk_load("g").unwrap();
    for (i, l) in lines.iter().enumerate() {
        load.push("a", 1_767_225_600_000 + i as i64, 1, l).unwrap();
    }
    load.finish().unwrap();
    let secs = started.elapsed().as_secs_f64();
    let cpu = process_cpu_secs() - cpu_before;
    let stored = s.groups().unwrap()[0].stored_bytes;
    println!(
        "{name}: loaded {} MB in {secs:.2}s: {:.1} MB/s; {cpu:.2} CPU-s ({:.1} MB per CPU-s); stored {} bytes ({:.1}x)",
        bytes / 1_000_000,
        bytes as f64 / 1e6 / secs,
        bytes as f64 / 1e6 / cpu.max(0.01),
        stored,
        bytes as f64 / stored as f64
    );
}

/// GetLogGroupFields does not count rows of a deleted stream that a large segment still holds.
#[test]
fn fields_leave_out_rows_of_deleted_streams_hidden_in_segments() {
    let dir = tempfile::tempdir().unwrap();
    let large = StoreConfig {
        compact_below_bytes: 1,
        ..StoreConfig::default()
    };
    let s = store(dir.path(), large);
    s.append("g", "a", &[ev(1, r#"{"x":1}"#), ev(2, r#"{"x":2,"z":1}"#)])
        .unwrap();
    s.append(
        "g",
        "b",
        &[ev(3, r#"{"y":1}"#), ev(4, r#"{"y":2,"z":"s"}"#)],
    )
    .unwrap();
    s.seal("g").unwrap();
    s.delete_stream("g", "b").unwrap();
    assert_eq!(manifest(&s).segments[0].hidden_rows, 2);
    let names = |f: Vec<FieldInfo>| -> Vec<(String, u32, usize)> {
        f.into_iter()
            .map(|i| (i.name, i.percent, i.types.len()))
            .collect()
    };
    let want = vec![("x".to_string(), 100, 1), ("z".to_string(), 50, 1)];
    assert_eq!(names(s.fields(&["g".into()], None, None).unwrap()), want);
    // The same through the per-row path of a block straddling the range's start.
    assert_eq!(
        names(s.fields(&["g".into()], Some(2), None).unwrap()),
        vec![("x".to_string(), 100, 1), ("z".to_string(), 100, 1)]
    );
}

/// A store handle keeps the segments it read open for the next read, and reads what the
/// manifest names now after seals, compactions and another handle's writes: never a
/// segment that was compacted away, never a stale file at a reused path.
#[test]
fn kept_open_segments_follow_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), StoreConfig::default());
    let other = store(dir.path(), StoreConfig::default());
    let cached = |s: &Store| s.segments.len();
    let mut want = Vec::new();
    for round in 0..4 {
        let events = batch(round * 100, 100);
        other.append("g", "a", &events).unwrap();
        other.seal("g").unwrap();
        want.extend(events);
        let out = s.scan(&all(&[])).unwrap();
        assert_eq!(rows(&out).len(), want.len(), "round {round}");
        assert_eq!(cached(&s), manifest(&s).segments.len(), "round {round}");
    }
    let before = manifest(&s).segments.len();
    other.compact("g").unwrap();
    let after = manifest(&s).segments.len();
    assert!(after < before, "{before} -> {after}");
    let out = s.scan(&all(&[])).unwrap();
    let mut expected: Vec<(i64, String, String)> = want
        .iter()
        .map(|e| (e.timestamp, "a".to_owned(), e.message.clone()))
        .collect();
    expected.sort();
    assert_eq!(rows(&out), expected);
    // The compacted-away segments are no longer held.
    assert_eq!(cached(&s), after);
}

/// Settling merges the small segments and recompresses the rest at the settle level: the same
/// events come back (with their streams, ingestion times, fields and hidden streams), the files
/// shrink, the manifest records the level, and a second settle has nothing to do.
#[test]
fn settling_recompresses_every_segment_once_and_changes_no_event() {
    let dir = tempfile::tempdir().unwrap();
    // The bulk load's segments count as large (a delete hides rows in them), the seals' as
    // small; no automatic compaction.
    let config = StoreConfig {
        settle_zstd_level: 15,
        bulk_segment_bytes: 60_000,
        compact_below_bytes: 4_000,
        compact_min_segments: 100,
        ..StoreConfig::default()
    };
    let s = store(dir.path(), config.clone());
    let mut rng = crate::segment::tests::Rng::new(5);
    let lines = crate::segment::tests::app_log_lines(&mut rng, 4000);
    let mut load = s.bulk_load("g").unwrap();
    for (i, l) in lines.iter().enumerate() {
        load.push(if i % 5 == 0 { "b" } else { "a" }, 50_000 + i as i64, 7, l)
            .unwrap();
    }
    load.finish().unwrap();
    // Three small sealed segments; stream "b" deleted (its rows hidden in the bulk segments).
    for k in 0..3 {
        s.append("g", "a", &batch(40 * k, 40)).unwrap();
        s.seal("g").unwrap();
    }
    s.delete_stream("g", "b").unwrap();
    s.create_stream("g", "b", 0).unwrap();
    let before = manifest(&s);
    assert!(before.segments.len() >= 6, "{:?}", before.segments);
    assert!(before.segments.iter().any(|e| e.hidden_rows > 0));
    let want = rows(&s.scan(&all(&["level", "n"])).unwrap());
    let fields_before = s.fields(&["g".into()], None, None).unwrap();

    let report = s.settle("g").unwrap();
    let after = manifest(&s);
    assert_eq!(report.merged, 3, "{report:?}");
    assert_eq!(report.recompressed, after.segments.len(), "{report:?}");
    assert!(report.bytes_after < report.bytes_before, "{report:?}");
    assert!(after.segments.iter().all(|e| e.zstd_level == Some(15)));
    assert_eq!(rows(&s.scan(&all(&["level", "n"])).unwrap()), want);
    assert_eq!(s.fields(&["g".into()], None, None).unwrap(), fields_before);
    let gdir = dir.path().join("groups/0");
    for e in &after.segments {
        let seg = Segment::open(&gdir.join(&e.file)).unwrap();
        assert_eq!(seg.footer().rows, e.rows);
        assert_eq!(
            std::fs::metadata(gdir.join(&e.file)).unwrap().len(),
            e.bytes
        );
    }
    for e in std::fs::read_dir(&gdir).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(after.names(&name), "leftover {name}");
    }
    assert_eq!(s.settle("g").unwrap(), SettleReport::default());
    assert_eq!(manifest(&s).generation, after.generation);
}

/// A segment of an older format (here the v3 golden file) is settled by re-encoding it: the
/// new file is of the current format and holds the same rows.
#[test]
fn settling_rewrites_an_older_format_in_the_current_one() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), StoreConfig::default());
    let gdir = dir.path().join("groups/0");
    let golden =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/segments/v3/basic.lseg");
    let old = Segment::open(&golden).unwrap();
    assert_eq!(old.version(), 3);
    let mut m = manifest(&s);
    let file = crate::manifest::segment_file(m.take_file_number());
    std::fs::copy(&golden, gdir.join(&file)).unwrap();
    m.segments.push(SegmentEntry {
        file,
        rows: old.footer().rows,
        min_ts: old.footer().min_ts,
        max_ts: old.footer().max_ts,
        bytes: std::fs::metadata(&golden).unwrap().len(),
        hidden_streams: Vec::new(),
        hidden_rows: 0,
        zstd_level: None,
    });
    m.generation += 1;
    m.save(&gdir).unwrap();

    let report = s.settle("g").unwrap();
    assert_eq!((report.merged, report.recompressed), (0, 1), "{report:?}");
    let m = manifest(&s);
    let new = Segment::open(&gdir.join(&m.segments[0].file)).unwrap();
    assert_eq!(new.version(), crate::segment::FORMAT_VERSION);
    assert_eq!(new.read_rows().unwrap(), old.read_rows().unwrap());
    assert_eq!(
        m.segments[0].zstd_level,
        Some(StoreConfig::default().settle_zstd_level)
    );
}
