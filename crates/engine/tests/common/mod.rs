//! Helpers shared by the engine's integration tests.

#![allow(dead_code, clippy::unwrap_used)]

use loupe_store::{Event, Store, StoreConfig, WriteConfig};

/// A store in a temporary directory (kept alive as long as the fixture).
pub struct Fixture {
    pub _dir: tempfile::TempDir,
    pub store: Store,
}

/// A store with group `g` holding `messages`, one second apart from 2026-11-01T00:00:00Z.
pub fn fixture(messages: &[&str]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.create_group("g", 0).unwrap();
    store.create_stream("g", "s", 0).unwrap();
    let events: Vec<Event> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| Event {
            timestamp: 1_793_491_200_000 + i as i64 * 1000,
            ingestion_time: 1_793_491_300_000,
            message: (*m).into(),
        })
        .collect();
    store.append("g", "s", &events).unwrap();
    Fixture { _dir: dir, store }
}

/// A two-thread runtime, as the service runs queries (parallel scan partitions).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

/// A seeded xorshift generator: the same data every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// An empty store with group `g`, whose segments have blocks of `block_rows` rows.
pub fn group_with_blocks(block_rows: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let config = StoreConfig {
        segment: WriteConfig {
            block_rows,
            ..WriteConfig::default()
        },
        ..StoreConfig::default()
    };
    let store = Store::open_with(dir.path(), config).unwrap();
    store.create_group("g", 0).unwrap();
    Fixture { _dir: dir, store }
}

/// A store with group `g` whose segments have blocks of `block_rows` rows, holding `events`
/// (in stream `s`) appended a thousand at a time: sealed after the first `sealed` thousands,
/// the rest left in the write-ahead log (an unsealed tail).
pub fn sealed_and_tail(block_rows: usize, events: Vec<Event>, sealed: usize) -> Fixture {
    let f = group_with_blocks(block_rows);
    f.store.create_stream("g", "s", 0).unwrap();
    for (n, chunk) in events.chunks(1000).enumerate() {
        f.store.append("g", "s", chunk).unwrap();
        if n + 1 == sealed {
            f.store.seal("g").unwrap();
        }
    }
    f
}
