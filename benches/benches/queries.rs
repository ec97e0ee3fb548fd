//! The canonical comparison queries end to end through `Loupe::query` (parse, plan, scan,
//! result shaping) over a small generated store. Throughput is the raw bytes of the log file
//! each query reads. A query the engine does not support yet is reported on stderr and skipped.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use loupe_benches::CANONICAL_QUERIES;
use loupe_benches::generate::{self, Config};
use loupe_service::{Loupe, StartQuery};

const BYTES: u64 = 8 << 20;

fn queries(c: &mut Criterion) {
    let Ok(dir) = tempfile::tempdir() else {
        eprintln!("queries bench: cannot create a temporary directory");
        return;
    };
    let loupe = match Loupe::open(dir.path()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("queries bench: cannot open a store: {e}");
            return;
        }
    };
    let cfg = Config {
        seed: 1,
        bytes: BYTES,
        span_days: 2,
    };
    let mut sizes = Vec::new();
    for name in ["json", "text"] {
        let mut data = Vec::new();
        let written = match name {
            "json" => generate::write_json(&cfg, &mut data),
            _ => generate::write_text(&cfg, &mut data),
        };
        let ingested = written.map_err(|e| e.to_string()).and_then(|_| {
            loupe
                .ingest_lines(name, "s1", data.as_slice())
                .map_err(|e| e.to_string())
        });
        if let Err(e) = ingested {
            eprintln!("queries bench: ingesting {name}: {e}");
            return;
        }
        sizes.push((name, data.len() as u64));
    }
    let mut group = c.benchmark_group("canonical_query");
    group.sample_size(10);
    for (n, file, query) in CANONICAL_QUERIES {
        let bytes = sizes.iter().find(|(f, _)| *f == file).map_or(0, |s| s.1);
        let start = StartQuery {
            query_string: query.to_string(),
            log_group_names: vec![file.to_string()],
            ..StartQuery::default()
        };
        if let Err(e) = loupe.query(&start) {
            eprintln!("queries bench: q{n} UNSUPPORTED or failing, skipped: {query}: {e}");
            continue;
        }
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function(format!("q{n}"), |b| b.iter(|| loupe.query(&start)));
    }
    group.finish();
}

criterion_group!(benches, queries);
criterion_main!(benches);
