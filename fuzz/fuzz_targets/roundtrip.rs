//! Write-then-read round trips of generated containers (`koffer-arbitrary`):
//! metadata of every value type, record types with generated definitions,
//! records encoded from values of them, any block buffer size, flushes, with
//! or without an end frame, and optionally one injected fault. The reader
//! must return exactly the records written (of the intact prefix after a
//! truncation) and never decode damage as different data; every record's
//! payload decodes by its definition back to the same bytes.
#![no_main]

use koffer::schema::Definition;
use koffer::value::Value;
use koffer_arbitrary::{ArbitraryContainer, Expected};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|c: ArbitraryContainer| {
    if let Err(e) = c.check() {
        panic!("{e}\nfault: {:?}\nchanged: {:?}", c.fault, c.changed);
    }
    if let Expected::Exact { records, .. } = c.expected() {
        for (record_type, payload) in records {
            let schema = c.schemas.iter().find(|s| s.record_type == *record_type);
            let schema = schema.expect("every record's type is declared");
            if schema.definition.is_empty() {
                continue;
            }
            let def = Definition::parse(&schema.definition).expect("a valid definition");
            let root = def.root().expect("a root type");
            let value = Value::decode(root, payload).expect("the payload follows its definition");
            let again = value.to_payload(root).expect("re-encodes");
            assert_eq!(&again, payload, "decode then encode gives the same bytes");
        }
    }
});
