//! Ingest throughput: generated JSON and text logs through `Loupe::ingest_lines` into a fresh
//! store (timestamp prefix split, field discovery, the bulk load's block encoding and its
//! fsynced segments published with one manifest swap).

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use loupe_benches::generate::{self, Config};

const BYTES: u64 = 4 << 20;

fn ingest(c: &mut Criterion) {
    let cfg = Config {
        seed: 1,
        bytes: BYTES,
        span_days: 2,
    };
    let mut json = Vec::new();
    let mut text = Vec::new();
    let json_events = generate::write_json(&cfg, &mut json).map(|s| s.events);
    let text_events = generate::write_text(&cfg, &mut text).map(|s| s.events);
    let mut group = c.benchmark_group("ingest");
    group.sample_size(10);
    for (name, data, events) in [("json", &json, json_events), ("text", &text, text_events)] {
        let Ok(events) = events else { continue };
        group.throughput(Throughput::Bytes(data.len() as u64));
        group.bench_function(format!("{name}_bytes ({events} events)"), |b| {
            b.iter_batched(
                || tempfile::tempdir().map_err(|e| e.to_string()),
                |dir| -> Result<u64, String> {
                    let dir = dir?;
                    let loupe =
                        loupe_service::Loupe::open(dir.path()).map_err(|e| e.to_string())?;
                    let report = loupe
                        .ingest_lines("bench", "s1", data.as_slice())
                        .map_err(|e| e.to_string())?;
                    Ok(report.accepted)
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
