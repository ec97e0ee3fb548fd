//! Segment encode and decode by column type, over generated JSON and text logs.
//!
//! `encode/*` seals rows into one segment in memory (discovery, templates, zstd; bytes of raw
//! messages per second). `decode/*` reads every block of that segment back through mmap, one
//! column kind at a time: timestamps, an integer field (`http.status`), a float field
//! (`latency_ms`), a boolean field (`cached` when the generator has it, else skipped), a
//! string field decoded value by value and straight into Arrow, and whole `@message`s rendered
//! from their templates.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use loupe_benches::generate::{self, Config};
use loupe_store::segment::{ColumnData, Segment, SegmentRow, WriteConfig, encode_segment};
use loupe_store::{Event, FieldType};

const BYTES: u64 = 8 << 20;

/// Generated lines as segment rows: the export-style timestamp prefix becomes `@timestamp`.
fn rows(text: &[u8]) -> Vec<SegmentRow> {
    String::from_utf8_lossy(text)
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let message = line.split_once(' ').map_or(line, |(_, rest)| rest);
            SegmentRow {
                stream: format!("s{}", i % 4),
                event: Event {
                    timestamp: 1_793_491_200_000 + i as i64,
                    ingestion_time: 1_793_491_200_000,
                    message: message.to_owned(),
                },
            }
        })
        .collect()
}

fn segment(c: &mut Criterion) {
    let cfg = Config {
        seed: 1,
        bytes: BYTES,
        span_days: 2,
    };
    let mut json = Vec::new();
    let mut text = Vec::new();
    if generate::write_json(&cfg, &mut json).is_err()
        || generate::write_text(&cfg, &mut text).is_err()
    {
        eprintln!("segment bench: the generator failed; skipped");
        return;
    }
    let Ok(dir) = tempfile::tempdir() else {
        eprintln!("segment bench: no temporary directory; skipped");
        return;
    };
    let config = WriteConfig::default();
    for (name, data) in [("json", &json), ("text", &text)] {
        let mut rows = rows(data);
        let raw: u64 = rows.iter().map(|r| r.event.message.len() as u64).sum();
        let mut group = c.benchmark_group(format!("segment_{name}"));
        group.sample_size(10);
        group.throughput(Throughput::Bytes(raw));
        group.bench_function("encode", |b| {
            b.iter(|| encode_segment(&mut rows, &config).map(|s| s.len()))
        });
        let Ok(bytes) = encode_segment(&mut rows, &config) else {
            eprintln!("segment bench: {name} does not encode; decode skipped");
            continue;
        };
        let path = dir.path().join(format!("{name}.lseg"));
        if std::fs::write(&path, &bytes).is_err() {
            continue;
        }
        let Ok(seg) = Segment::open(&path) else {
            eprintln!("segment bench: {name} does not open; decode skipped");
            continue;
        };
        let blocks = seg.footer().blocks.len();
        group.bench_function("decode_timestamps", |b| {
            b.iter(|| {
                (0..blocks)
                    .map(|k| seg.timestamps(k).map_or(0, |t| t.len()))
                    .sum::<usize>()
            })
        });
        let column = |field: &str, ty: FieldType| {
            seg.footer()
                .field_columns(field)
                .find(|&(_, t)| t == ty)
                .map(|(c, _)| c)
        };
        for (label, field, ty) in [
            ("decode_integer", "http.status", FieldType::Integer),
            ("decode_float", "latency_ms", FieldType::Float),
            ("decode_boolean", "cached", FieldType::Boolean),
            ("decode_string", "service", FieldType::String),
        ] {
            let Some(col) = column(field, ty) else {
                continue;
            };
            group.bench_function(label, |b| {
                b.iter(|| {
                    (0..blocks)
                        .map(|k| match seg.field(k, col) {
                            Ok(ColumnData::Int(v)) => v.len(),
                            Ok(ColumnData::Float(v)) => v.len(),
                            Ok(ColumnData::Bool(v)) => v.len(),
                            Ok(ColumnData::Str(v)) => v.len(),
                            Err(_) => 0,
                        })
                        .sum::<usize>()
                })
            });
            if ty == FieldType::String {
                group.bench_function("decode_string_arrow", |b| {
                    b.iter(|| {
                        (0..blocks)
                            .map(|k| {
                                seg.field_strings(k, col)
                                    .map_or(0, |a| a.value_offsets().len() - 1)
                            })
                            .sum::<usize>()
                    })
                });
            }
        }
        group.bench_function("decode_messages", |b| {
            b.iter(|| {
                let mut n = 0usize;
                for k in 0..blocks {
                    let _ = seg.for_each_message(k, None, |_, m| n += m.len());
                }
                n
            })
        });
        group.finish();
    }
}

criterion_group!(benches, segment);
criterion_main!(benches);
