//! The generator is deterministic for a seed and writes what the harness expects.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns unwrap too

use loupe_benches::generate::{self, Config, Summary};

fn run(
    write: fn(&Config, &mut Vec<u8>) -> std::io::Result<Summary>,
    seed: u64,
) -> (Vec<u8>, Summary) {
    let cfg = Config {
        seed,
        bytes: 256 * 1024,
        span_days: 3,
    };
    let mut out = Vec::new();
    let summary = write(&cfg, &mut out).unwrap();
    (out, summary)
}

type Writer = fn(&Config, &mut Vec<u8>) -> std::io::Result<Summary>;
const WRITERS: [(&str, Writer); 3] = [
    ("json", |c, w| generate::write_json(c, w)),
    ("text", |c, w| generate::write_text(c, w)),
    ("aws", |c, w| generate::write_aws(c, w)),
];

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    for (name, write) in WRITERS {
        let (a, sa) = run(write, 7);
        let (b, sb) = run(write, 7);
        let (c, _) = run(write, 8);
        assert!(a == b, "{name}: same seed gave different bytes");
        assert_eq!(sa, sb, "{name}");
        assert!(a != c, "{name}: different seeds gave the same bytes");
        assert_eq!(sa.bytes, a.len() as u64, "{name}");
        assert!(sa.bytes >= 256 * 1024, "{name}");
    }
}

#[test]
fn lines_have_increasing_timestamps_and_valid_json() {
    for (name, write) in WRITERS {
        let (bytes, summary) = run(write, 3);
        let text = String::from_utf8(bytes).unwrap();
        let mut last = String::new();
        let mut lines = 0;
        for line in text.lines() {
            let (ts, msg) = line.split_once(' ').unwrap();
            assert_eq!(ts.len(), 24, "{name}: {line}");
            assert!(
                ts.starts_with("2026-1") && ts.ends_with('Z'),
                "{name}: {line}"
            );
            assert!(
                ts > last.as_str(),
                "{name}: timestamps not increasing at {line}"
            );
            last = ts.to_string();
            if name == "json" || msg.starts_with('{') {
                let v: serde_json::Value =
                    serde_json::from_str(msg).unwrap_or_else(|e| panic!("{name}: {e}: {msg}"));
                if name == "json" {
                    assert_eq!(v["time"].as_str(), Some(ts), "{msg}");
                    assert!(v["http"]["status"].is_u64(), "{msg}");
                    assert!(v["latency_ms"].is_f64(), "{msg}");
                }
            }
            lines += 1;
        }
        assert_eq!(lines, summary.events, "{name}");
    }
}

#[test]
fn needles_are_counted() {
    let cfg = Config {
        seed: 11,
        bytes: 64 << 20,
        span_days: 7,
    };
    let mut out = Vec::new();
    let s = generate::write_text(&cfg, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let found = text.matches(generate::TEXT_NEEDLE).count() as u64;
    assert_eq!(found, s.needles);
    assert!(s.needles > 0);
    // Spread over the requested days, give or take the random steps.
    let days = (s.last_ms - s.first_ms) as f64 / 86_400_000.0;
    assert!((5.0..9.0).contains(&days), "{days}");
}
