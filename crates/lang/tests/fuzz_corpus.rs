//! Replays the `insights_parse` fuzz corpus (`fuzz/corpus/insights_parse/`) under plain
//! `cargo test`, checking the same property as the fuzz target: parsing never panics, and the
//! canonical print of whatever parses is a fixpoint.

use std::path::Path;

#[test]
fn insights_parse_corpus_round_trips() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/insights_parse");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "empty corpus at {}", dir.display());
    for path in entries {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        if let Ok(query) = loupe_lang::parse(text) {
            let printed = query.to_string();
            let reparsed = loupe_lang::parse(&printed).unwrap_or_else(|e| {
                panic!("{}: canonical text {printed:?} fails: {e}", path.display())
            });
            assert_eq!(reparsed.to_string(), printed, "{}", path.display());
        }
    }
}
