//! The aggregate as DataFusion runs it: rows in any order, split among any number of
//! partitions whose states merge in any order, give the same patterns; and a few hundred
//! thousand events of a handful of templates come back as those templates.

use datafusion::arrow::array::{Int64Array, StringArray};

use super::*;

/// A seeded generator (SplitMix64), so that every run sees the same events.
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

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

const NAMES: &[&str] = &["alice", "bob", "carol", "dave", "erin", "frank", "grace"];

/// One event of template `t` (0..6) at time `ts`.
fn event(rng: &mut Rng, t: u64, ts: i64) -> String {
    let ip = |rng: &mut Rng| format!("10.{}.{}.{}", rng.below(4), rng.below(256), rng.below(256));
    let hex = |rng: &mut Rng| format!("{:012x}", rng.next() & 0xffff_ffff_ffff);
    match t {
        0 => format!(
            "INFO GET /api/users/{} 200 {}ms",
            rng.below(5000),
            rng.below(900) + 1
        ),
        1 => format!("user {} logged in from {}", rng.pick(NAMES), ip(rng)),
        2 => format!(
            "ERROR connection to {}:{} refused after {} retries",
            ip(rng),
            rng.below(60000),
            rng.below(5)
        ),
        3 => format!(
            "WARN disk /dev/sd{}{} at {}% capacity",
            rng.pick(&["a", "b", "c", "d"]),
            rng.below(4) + 1,
            rng.below(20) + 80
        ),
        4 => format!(
            "{} DEBUG cache hit ratio {}.{} for key {}",
            crate::result::format_timestamp(ts).replace(' ', "T"),
            rng.below(2),
            rng.below(1000),
            hex(rng)
        ),
        _ => format!(
            "job {:08x}-{:04x}-{:04x}-{:04x}-{:012x} finished in {}.{}s with exit code {}",
            rng.next() & 0xffff_ffff,
            rng.below(0x10000),
            rng.below(0x10000),
            rng.below(0x10000),
            rng.next() & 0xffff_ffff_ffff,
            rng.below(100),
            rng.below(10),
            rng.below(2)
        ),
    }
}

/// `n` events, template `i` having weight `i + 1`, a second apart.
fn events(seed: u64, n: usize) -> Vec<(String, i64)> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            let ts = 1_793_491_200_000 + i as i64 * 1000;
            let r = rng.below(21);
            let t = [
                0, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5,
            ][r as usize];
            (event(&mut rng, t, ts), ts)
        })
        .collect()
}

/// The arguments of one batch.
fn batch(rows: &[(String, i64)], flags: i64) -> Vec<ArrayRef> {
    let n = rows.len();
    vec![
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r.0.as_str()),
        )),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))),
        Arc::new(Int64Array::from_iter_values(
            rows.iter()
                .map(|r| i64::from(r.1 % 7 == 0) * i64::from(flags & 2 != 0)),
        )),
        Arc::new(Int64Array::from(vec![None::<i64>; n])),
        Arc::new(Int64Array::from(vec![None::<i64>; n])),
        Arc::new(Int64Array::from(vec![flags; n])),
    ]
}

/// The aggregate over `rows` split into `partitions`, batches of `chunk` rows, the partial
/// states merged in the order `merge_order` gives.
fn run(
    rows: &[(String, i64)],
    partitions: usize,
    chunk: usize,
    flags: i64,
    reverse_merge: bool,
) -> ScalarValue {
    let mut partials: Vec<PatternAccumulator> = (0..partitions)
        .map(|_| PatternAccumulator::default())
        .collect();
    for (i, part) in rows.chunks(chunk).enumerate() {
        partials[i % partitions]
            .update_batch(&batch(part, flags))
            .unwrap();
    }
    if reverse_merge {
        partials.reverse();
    }
    let mut last = PatternAccumulator::default();
    for mut p in partials {
        let state = p.state().unwrap();
        let array = state[0].to_array().unwrap();
        last.merge_batch(&[array]).unwrap();
    }
    last.evaluate().unwrap()
}

/// (pattern, count) of a result.
fn summary(result: &ScalarValue) -> Vec<(String, i64)> {
    let ScalarValue::List(list) = result else {
        panic!("not a list: {result:?}");
    };
    let rows = list.value(0);
    let rows = rows.as_struct();
    let patterns = rows
        .column_by_name(field::PATTERN)
        .unwrap()
        .as_string::<i32>();
    let counts = rows
        .column_by_name(field::COUNT)
        .unwrap()
        .as_primitive::<Int64Type>();
    (0..rows.len())
        .map(|i| (patterns.value(i).to_owned(), counts.value(i)))
        .collect()
}

#[test]
fn row_order_and_partitioning_do_not_change_the_patterns() {
    let rows = events(7, 3_000);
    for flags in [0, i64::from(Config::ANOMALY | Config::COMPARE)] {
        let expected = run(&rows, 1, 8192, flags, false);
        let mut shuffled = rows.clone();
        let mut rng = Rng(99);
        for (partitions, chunk) in [(1, 100), (2, 333), (3, 64), (5, 1), (8, 1000)] {
            rng.shuffle(&mut shuffled);
            for reverse in [false, true] {
                let got = run(&shuffled, partitions, chunk, flags, reverse);
                assert_eq!(got, expected, "{partitions} partitions, batches of {chunk}");
            }
        }
    }
}

#[test]
fn many_events_of_six_templates_make_six_patterns() {
    let rows = events(42, 200_000);
    let got = summary(&run(&rows, 4, 8192, 0, false));
    let patterns: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        patterns,
        [
            "job <ID-1> finished in <Number-2> with exit code <Number-3>",
            "<Time-1> DEBUG cache hit ratio <Number-2> for key <ID-3>",
            "WARN disk <Token-1> at <Number-2> capacity",
            "ERROR connection to <IPAddress-1>:<Number-2> refused after <Number-3> retries",
            "user <Token-1> logged in from <IPAddress-2>",
            "INFO GET <Token-1> 200 <Number-2>",
        ]
    );
    assert_eq!(got.iter().map(|(_, n)| n).sum::<i64>(), 200_000);
    // The weights 6:5:4:3:2:1 of the generator, within sampling noise.
    for (i, (_, n)) in got.iter().enumerate() {
        let expected = 200_000.0 * (6 - i) as f64 / 21.0;
        assert!((*n as f64 - expected).abs() < expected * 0.05, "{i}: {n}");
    }
}

#[test]
#[ignore = "a timing probe: cargo test -p loupe-engine --lib -- --ignored a_million"]
fn a_million_events() {
    let rows = events(1, 1_000_000);
    let started = std::time::Instant::now();
    let got = summary(&run(&rows, 2, 8192, i64::from(Config::ANOMALY), false));
    println!("{} patterns in {:?}", got.len(), started.elapsed());
    assert_eq!(got.len(), 6);
}
