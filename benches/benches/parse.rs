//! Insights parsing throughput.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use loupe_benches::PARSE_QUERIES;

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("insights_parse");
    for (name, query) in PARSE_QUERIES {
        group.throughput(Throughput::Bytes(query.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| loupe_lang::parse(std::hint::black_box(query)))
        });
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
