//! # koffer
//!
//! A compact, self-describing, checksummed container for the data a device
//! hands its owner. Firmware writes it streaming, with no allocator, from a
//! block buffer of a few hundred bytes; any host reads it zero-copy from a
//! byte slice. Records are serde types encoded with postcard; the container
//! carries their schemas and metadata, checks every block with CRC-32C, and
//! survives truncation and power cuts.
//!
//! The bytes on disk are defined by the specification in `spec/format.md`;
//! each module below implements one of its sections and names it.
//!
//! ```
//! use koffer::{meta::{key, Entry, Value}, read::Reader, write::Writer};
//!
//! #[derive(serde::Serialize, serde::Deserialize, koffer::Describe, Debug, PartialEq)]
//! #[koffer(record = "sample", version = 1)]
//! struct Sample { timestamp_ms: u64, heart_rate: u8, steps: u16 }
//!
//! // Device side: stream into any embedded_io::Write sink.
//! let mut block = [0u8; 256];
//! let mut w = Writer::new(Vec::new(), &mut block)?;
//! // Constant metadata: checked and encoded at compile time (`w.metadata(&[…])`
//! // takes entries built at run time).
//! w.metadata_encoded(koffer::metadata![Entry::new(key::PRODUCER_MODEL, Value::Str("Band 3"))])?;
//! let samples = w.declare_type::<Sample>(0)?; // writes Samples, and nothing else
//! for i in 0..100u16 {
//!     w.write(samples, &Sample { timestamp_ms: 60_000 * u64::from(i), heart_rate: 70, steps: i })?;
//! }
//! let bytes = w.finish()?;
//!
//! // Host side: zero-copy over the bytes. A decoder per Rust type checks the
//! // file's schema against the type once; one walk over the blocks (each
//! // block's checksum verified first) hands every block to the decoders, and
//! // a decoder decodes the blocks of its type in one tight loop.
//! let reader = Reader::new(&bytes)?;
//! let samples = reader.decoder::<Sample>()?;
//! let mut steps = 0;
//! for block in reader.blocks() {
//!     let block = block?;
//!     samples.decode_each(&block, |s| steps += u32::from(s.steps))?; // other types: passed over
//!     // events.decode_each(&block, |e| …)?; for each further type
//! }
//! assert_eq!(steps, 4950);
//! let summary = reader.verify()?;
//! assert!(summary.is_complete());
//! assert_eq!(summary.counted.records, 100);
//! # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//! ```
//!
//! ## Modules and the spec
//!
//! | spec `format.md` | module |
//! |---|---|
//! | errors of every layer: rule broken, byte offset | [`error`] (re-exported by [`read`]) |
//! | §2.2 varints | [`varint`] (also payload integers and zigzag) |
//! | §2.3 checksum | [`crc`] |
//! | §3 file header | [`header`] |
//! | §4 frames | [`frame`] |
//! | §5 metadata | [`meta`] |
//! | §6 schema frames | [`schema`] |
//! | §7 blocks | [`block`] |
//! | §8 end frame | [`end`] |
//! | §9 limits | [`limits`] |
//! | §10 reading, recovery | [`read`] |
//! | §11 writing, resuming | [`write`](mod@write) |
//!
//! | spec `seal.md` | module |
//! |---|---|
//! | §2–§9 seals, verification, export series (feature `seal`) | `seal` |
//!
//! | spec `schema.md` | module |
//! |---|---|
//! | §2–§5 definitions, fingerprint | [`schema`] (and `#[derive(Describe)]`) |
//! | §6 payloads | [`dynamic`] (no allocator), [`value`] (`alloc`) |
//! | §8 evolution | [`schema::compare`], [`read::Reader::typed`] |
//! | §9 JSON mapping | [`json`] (`json`); [`hex`] for byte strings |
//!
//! | spec `disclosure.md` (format 1.1) | module |
//! |---|---|
//! | §2–§3 reserved names, the record type `koffer.disclosure` | `disclosure` (`disclosure`) |
//! | §4–§8 digests, selection, the ledger, the 27560 mapping | `share` (`share`) |
//!
//! ## Errors
//!
//! One naming pattern: a module's error is `module::Error`, and its kinds,
//! when it has them, `module::ErrorKind` ([`header::Error`],
//! [`frame::Error`], [`varint::Error`], [`schema::Error`] and
//! [`schema::ErrorKind`], [`dynamic::Error`], [`write::Error`], `value::Error`).
//! A module's second error is named for what it reports
//! ([`read::TypedError`], [`error::BodyError`]). The kinds every layer shares
//! — one per rule of the spec, [`error::ErrorKind`] — live in [`error`] with
//! [`error::Error`], which adds the byte offset; [`read`] re-exports them as
//! `read::Error` and `read::ErrorKind`.
//!
//! Every error enum is `#[non_exhaustive]`: later versions may report new
//! kinds (the broad classes of [`error::Class`] stay as they are). Every error implements `core::error::Error` and borrows nothing,
//! so `?` turns it into a `Box<dyn std::error::Error + Send + Sync>`:
//!
//! ```
//! #[derive(serde::Serialize, serde::Deserialize, koffer::Describe)]
//! #[koffer(record = "hr", version = 1)]
//! struct HeartRate(u8);
//!
//! fn first_heart_rate(bytes: &[u8]) -> Result<Option<u8>, Box<dyn std::error::Error + Send + Sync>> {
//!     let reader = koffer::read::Reader::new(bytes)?; // koffer::error::Error
//!     let mut rates = reader.typed::<HeartRate>()?; // koffer::read::TypedError
//!     Ok(rates.next().transpose()?.map(|hr| hr.0))
//! }
//!
//! let mut buf = [0u8; 32];
//! let mut w = koffer::write::Writer::new(Vec::new(), &mut buf)?;
//! let hr = w.declare_type::<HeartRate>(0)?; // koffer::write::Error
//! w.write(hr, &HeartRate(61))?;
//! let bytes = w.finish()?;
//! assert_eq!(first_heart_rate(&bytes)?, Some(61));
//! assert!(first_heart_rate(b"not a container").is_err());
//! # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//! ```
//!
//! ## Feature flags
//!
//! - *(no features)*: `no_std`, no allocator. Reading and writing work
//!   fully, and [`dynamic`] decodes any record by its definition alone.
//! - `alloc`: `Vec<u8>` as a sink; [`value::Value`], an owned tree of any
//!   record decoded by its definition; [`schema::Builder`], definitions
//!   built at run time; the `Vec`-appending helpers of [`varint`] and [`hex`].
//! - `std` (implies `alloc`): `std::io::Write` sinks ([`write::IoSink`]) and
//!   the processor's CRC-32C instruction for checksums (same values).
//! - `json` (implies `std`): [`json`], the lossless JSON mapping of spec
//!   `schema.md` §9, written to `std::io::Write`.
//! - `derive` (default): `#[derive(koffer::Describe)]` for record types, with
//!   units, descriptions, scale and offset, time bases.
//! - `heapless`: [`schema::Describe`] for `heapless::String` and `heapless::Vec`.
//! - `fast-crc`: CRC-32C from a 1 KiB byte table on the device instead of the
//!   default 64-byte nibble table (about 1 KiB more flash, checksums about
//!   twice as fast; same values). With `std` the processor's instruction is
//!   used. The tables are computed at compile time by koffer itself: no
//!   CRC crate is a dependency.
//! - `seal`: [`seal`](mod@seal), signed seals of spec `seal.md` (format
//!   1.2): KEY and SEAL frames, the running SHA-256 and Merkle root, the
//!   `Signer` trait, the sealing writer, the verifier. `no_std`, no
//!   allocator (`sha2`).
//! - `seal-ed25519` (implies `seal`): a software Ed25519 signer and
//!   verifier (`ed25519-compact`).
//! - `defmt`: `defmt::Format` on errors and plain public types.
//! - `disclosure`: `koffer::disclosure`, the disclosure receipt of spec
//!   `disclosure.md` (`no_std`, no allocator): firmware and providers write
//!   receipts, readers decode them zero-copy.
//! - `share` (implies `std`, `json`, `disclosure`): `koffer::share`, a
//!   selection of a container's records written as a derived container with
//!   its receipt, SHA-256 digests (`sha2`), the owner's ledger, the ISO/IEC
//!   TS 27560 mapping.
//!
//! Structurally valid containers with injected faults, built from fuzzer
//! input for crates that fuzz their own parsing on top of koffer's, are in
//! the separate crate `koffer-arbitrary`.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "std")]
extern crate std;

#[cfg(all(feature = "alloc", feature = "seal"))]
extern crate alloc;

pub mod block;
pub mod crc;
mod cursor;
#[cfg(feature = "disclosure")]
pub mod disclosure;
pub mod dynamic;
pub mod end;
pub mod error;
pub mod frame;
pub mod header;
pub mod hex;
#[cfg(feature = "json")]
pub mod json;
pub mod limits;
pub mod meta;
pub mod read;
pub mod schema;
#[cfg(feature = "seal")]
pub mod seal;
#[cfg(feature = "share")]
pub mod share;
#[cfg(feature = "alloc")]
pub mod value;
pub mod varint;
pub mod write;

/// Derives [`schema::Describe`] for a struct or enum — and, with
/// `#[koffer(record = "name", version = N)]`, [`schema::RecordType`] — as a
/// compile-time descriptor matching what postcard writes for its serde derive
/// (feature `derive`).
///
/// ```
/// use koffer::schema::RecordType;
///
/// #[derive(serde::Serialize, serde::Deserialize, koffer::Describe)]
/// #[koffer(record = "beat", version = 1)]
/// struct Beat {
///     #[koffer(unit = "ms", time)]
///     at_ms: u64,
///     #[koffer(unit = "1/min")]
///     bpm: u8,
/// }
///
/// assert_eq!(Beat::DEFINITION.len(), 31);
/// ```
///
/// The attributes:
#[cfg(feature = "derive")]
pub use koffer_derive::Describe;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
