//! The store's size bar: the loghub-style text logs and the JSON application log of the shared
//! corpus take at most what `zstd -19` makes of the raw file once stored and settled
//! (`Loupe::settle`, what `loupe compact` runs), and each loghub sample already as ingested.
//! Bytes are those of the segment files (the manifest and catalog are a few hundred bytes).
//!
//! The corpus (`../shared/corpus` beside the repository) is not part of the repository: when it
//! is absent the test says so loudly and passes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use loupe_service::{FixedClock, Format, Loupe};

mod common;
use common::NOW_MS;

fn segment_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            total += segment_bytes(&path);
        } else if path.extension().is_some_and(|e| e == "lseg") {
            total += std::fs::metadata(&path).unwrap().len();
        }
    }
    total
}

#[test]
fn corpus_logs_store_smaller_than_zstd_19() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let loghub = [
        "Android",
        "Apache",
        "BGL",
        "HDFS",
        "HPC",
        "Hadoop",
        "Linux",
        "OpenSSH",
        "OpenStack",
        "Spark",
        "Zookeeper",
    ]
    .map(|s| (format!("loghub/{s}/{s}_2k.log"), true));
    let others = [
        "elastic-examples/apache_logs",
        "elastic-examples/nginxplus_json_logs",
    ]
    .map(|f| (f.to_string(), false));
    let mut failures = Vec::new();
    println!(
        "{:<40} {:>10} {:>10} {:>10} {:>10}",
        "file", "raw", "zstd -19", "ingested", "settled"
    );
    for (rel, as_ingested) in loghub.iter().chain(&others) {
        let path = dir.join(rel);
        let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let z19 = zstd::bulk::compress(&raw, 19).unwrap().len() as u64;
        let store = tempfile::tempdir().unwrap();
        let loupe = Loupe::with_clock(store.path(), Arc::new(FixedClock(NOW_MS))).unwrap();
        loupe.ingest("g", "s", &raw[..], Format::Auto).unwrap();
        let ingested = segment_bytes(store.path());
        loupe.settle("g").unwrap();
        let settled = segment_bytes(store.path());
        println!(
            "{rel:<40} {:>10} {z19:>10} {ingested:>10} {settled:>10}",
            raw.len()
        );
        if settled > z19 || (*as_ingested && ingested > z19) {
            failures.push(format!(
                "{rel}: zstd -19 {z19} B, Loupe {ingested} B as ingested, {settled} B settled"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
