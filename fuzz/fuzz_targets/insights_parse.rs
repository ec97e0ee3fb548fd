//! Property: parsing never panics, and for every query that parses, printing it gives text that
//! parses again and prints the same (the canonical printer is a fixpoint).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(query) = loupe_lang::parse(text) {
        let printed = query.to_string();
        let reparsed = loupe_lang::parse(&printed)
            .unwrap_or_else(|e| panic!("canonical text does not parse: {printed:?}: {e}"));
        assert_eq!(reparsed.to_string(), printed, "printing is not a fixpoint");
    }
});
