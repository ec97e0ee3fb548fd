//! Replays the `segment_decode` fuzz corpus (`fuzz/corpus/segment_decode/`) under plain
//! `cargo test`, decoding every file the way the fuzz target does: whatever the bytes, opening
//! and decoding returns (an error for a corrupt file), never panics. The `insights_parse`
//! corpus is replayed by `crates/lang/tests/fuzz_corpus.rs`.

use std::path::Path;

use loupe_store::segment::Segment;

#[test]
fn segment_decode_corpus_never_panics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/segment_decode");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "empty corpus at {}", dir.display());
    let mut decoded = 0;
    for path in entries {
        let Ok(segment) = Segment::open(&path) else {
            continue;
        };
        let footer = segment.footer();
        for block in 0..footer.blocks.len() {
            let _ = segment.timestamps(block);
            let _ = segment.ingestion_times(block);
            let _ = segment.stream_ids(block);
            let _ = segment.messages(block);
            let _ = segment.may_contain(block, b"error");
            for col in 0..footer.columns.len() {
                let _ = segment.field(block, col);
            }
        }
        if segment.read_rows().is_ok() {
            decoded += 1;
        }
    }
    // The golden file from testdata/segments/v1 is in the corpus and must decode.
    assert!(decoded > 0, "no file in the corpus decodes");
}
