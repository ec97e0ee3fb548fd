//! Property: opening and decoding a segment file never panics, whatever its bytes, and never
//! allocates without bound (run with `-malloc_limit_mb`, see `fuzz/README.md`): every length a
//! file declares is checked against the file before it is trusted. A corrupt file is an error.
//!
//! The input is written to a temporary file (the reader mmaps a path) and decoded the way a
//! scan does: footer, then per block the system columns, the token filter and every field.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use loupe_store::segment::Segment;

fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("loupe-fuzz-segment-{}.lseg", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    if std::fs::write(path, data).is_err() {
        return;
    }
    let Ok(segment) = Segment::open(path) else {
        return;
    };
    let footer = segment.footer();
    for block in 0..footer.blocks.len() {
        let _ = segment.timestamps(block);
        let _ = segment.ingestion_times(block);
        let _ = segment.stream_ids(block);
        let _ = segment.messages(block);
        let _ = segment.may_contain(block, b"error");
        for col in 0..footer.columns.len() {
            if let Ok(values) = segment.field(block, col) {
                let _ = values.value(0);
            }
        }
    }
    let _ = segment.read_rows();
});
