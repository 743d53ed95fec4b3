//! `koffer import` (through `koffer_cli::import_json`): JSON text, or the
//! export of a generated container, must be refused with an error or rebuilt
//! into a container that verifies. Exporting what was rebuilt and importing
//! that again gives the same bytes; an intact generated container comes back
//! byte for byte. Seeds: `fuzz/seeds/import/` (exports of spec vectors).
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use koffer::read::Reader;
use koffer_arbitrary::ArbitraryContainer;
use libfuzzer_sys::fuzz_target;

fn rebuilt_verifies(json: &str) -> Option<Vec<u8>> {
    let bytes = koffer_cli::import_json(json).ok()?;
    let reader = Reader::new(&bytes).expect("a rebuilt container has a valid header");
    if let Err(e) = reader.verify() {
        panic!("a rebuilt container does not verify: {e}");
    }
    Some(bytes)
}

fuzz_target!(|data: &[u8]| {
    let first = data.first().copied().unwrap_or(b'{');
    if first == b'{' || first.is_ascii_whitespace() {
        // JSON text, e.g. a mutated export.
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        if let Some(bytes) = rebuilt_verifies(text) {
            let json = koffer_cli::export_json(&bytes).expect("exports");
            let again = koffer_cli::import_json(&json).expect("its own export imports");
            assert_eq!(again, bytes, "export then import is the identity");
        }
    } else {
        // The export of a generated container.
        let Ok(c) = ArbitraryContainer::arbitrary(&mut Unstructured::new(&data[1..])) else {
            return;
        };
        let Some(json) = koffer_cli::export_json(&c.bytes) else {
            return;
        };
        let rebuilt = rebuilt_verifies(&json);
        if c.bytes == c.original && c.complete {
            assert_eq!(
                rebuilt.as_deref(),
                Some(&c.bytes[..]),
                "an intact container round-trips"
            );
        }
    }
});
