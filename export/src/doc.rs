//! Pieces of the `export --format json` document (spec `spec/export-json.md`)
//! shared by `export` and `import`.
//!
//! ```
//! assert_eq!(koffer_export::doc::value_type_name(koffer::meta::value_type::STR), "str");
//! assert_eq!(koffer_export::doc::unhex("0aFF").unwrap(), [0x0a, 0xff]);
//! ```

use serde::{Deserialize, Serialize};

/// The document's version, in its `koffer_export` key.
pub const VERSION: u32 = 1;

/// `format`: the file header's fields.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatDesc {
    /// Major format version.
    pub major: u8,
    /// Minor format version.
    pub minor: u8,
    /// Feature bits a reader must know.
    pub required_features: u16,
    /// Feature bits a reader may ignore.
    pub optional_features: u16,
}

/// One element of `frames`: a frame of the container, in file order.
#[derive(Serialize, Deserialize)]
#[serde(tag = "frame", rename_all = "lowercase", deny_unknown_fields)]
pub enum FrameDesc {
    /// A metadata frame holding the next `entries` entries of `metadata`.
    Metadata {
        /// Entries in the frame.
        entries: u64,
    },
    /// The schema frame of the `schemas` element with this `record_type`.
    Schema {
        /// The schema's record type.
        record_type: u8,
    },
    /// A block holding the next `count` elements of `records`.
    Block {
        /// Record type of its records.
        record_type: u8,
        /// Records in it.
        count: u32,
        /// Its block header's `base_len`.
        base_len: u32,
        /// Its block header's offset `width`.
        width: u8,
    },
    /// An ancillary frame, kept as it was.
    Ancillary {
        /// The frame kind.
        kind: u8,
        /// Its body as hex.
        body: String,
    },
    /// The end frame (its totals are recomputed).
    End,
}

/// Bytes as lowercase hex.
pub use koffer::hex::encode as hex;

/// Hex digits (either case) as bytes.
pub fn unhex(s: &str) -> Result<Vec<u8>, String> {
    koffer::hex::decode(s).map_err(|e| e.to_string())
}

/// The name of a metadata value type, as the test vectors write it
/// (`spec/format.md` §13): `str`, `uint`, ..., or `0x09` for undefined types.
pub fn value_type_name(code: u8) -> String {
    use koffer::meta::value_type as t;
    match code {
        t::BOOL => "bool",
        t::UINT => "uint",
        t::INT => "int",
        t::FLOAT => "float",
        t::STR => "str",
        t::BYTES => "bytes",
        t::TIME => "time",
        t::ANCHOR => "anchor",
        _ => return format!("{code:#04x}"),
    }
    .to_string()
}

/// The f64 type, for the JSON text of metadata floats (`schema.md` §9).
pub const F64_DEFINITION: &[u8] = &[0x0D];
