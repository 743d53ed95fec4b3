//! Dynamic decoding (`koffer::dynamic`), owned values (`koffer::value`) and
//! the JSON mapping (`koffer::json`), against postcard's own encoding of
//! serde types described by hand-written definitions (spec `schema.md`
//! §2–§4, §6, §7, §9). Every definition built with `node!` goes through
//! `koffer::definition!`, so it also compiles under the compile-time checks.
//!
//! Run with `cargo test -p koffer --features json --test dynamic`.
//!
//! One module per `schema.md` section, named after it (`s07_limits` tests
//! §7); `types` holds the types and their definitions, `harness` the checks
//! every test shares.
#![cfg(feature = "json")]

mod harness;
mod types;

mod s02_types;
mod s03_annotations;
mod s04_checks;
mod s06_payloads;
mod s06_values;
mod s07_limits;
mod s09_json_read;
mod s09_json_write;
