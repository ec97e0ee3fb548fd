//! Helpers shared by the service's integration tests.

#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use loupe_service::{FixedClock, GetQueryResults, Loupe, StartQuery};

/// 2026-11-01T00:00:00Z, the clock of every test.
pub const NOW_MS: i64 = 1_793_491_200_000;

/// A service over a fresh temporary store, at [`NOW_MS`].
pub fn fresh() -> (tempfile::TempDir, Loupe) {
    let dir = tempfile::tempdir().unwrap();
    let loupe = Loupe::with_clock(dir.path(), Arc::new(FixedClock(NOW_MS))).unwrap();
    (dir, loupe)
}

/// Runs `query` over `group` to completion.
pub fn query(loupe: &Loupe, group: &str, query: &str) -> GetQueryResults {
    loupe
        .query(&StartQuery {
            query_string: query.into(),
            log_group_names: vec![group.into()],
            ..Default::default()
        })
        .unwrap()
}

/// Each result row of `query` over group `g` as its values joined by ` | ` (without the `@ptr`
/// every event row ends with).
pub fn rows(loupe: &Loupe, q: &str) -> Vec<String> {
    query(loupe, "g", q)
        .results
        .iter()
        .map(|r| {
            r.iter()
                .filter(|c| c.field != "@ptr")
                .map(|c| c.value.clone())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect()
}

/// The shared corpus (`../shared/corpus` beside the repository), or `None` after saying loudly
/// that the calling test is skipped (the corpus is not part of the repository).
pub fn corpus_dir() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    eprintln!(
        "\n*** SKIPPED: the shared corpus is not at {} ***\n",
        dir.display()
    );
    None
}
