//! Schemas: the schema frame that declares a record type (spec `format.md`
//! §6), and the record type's *definition* — its layout and meaning, defined
//! in spec `schema.md`.
//!
//! | spec `schema.md` | here |
//! |---|---|
//! | §2 types, §3 fields and annotations | [`Type`], [`Field`], [`Meta`], [`Variant`] (descriptors); [`Kind`], [`FieldRef`], [`Annotations`] (views) |
//! | §4 canonical form and checks | [`encode`], [`encoded_len`], [`definition!`](crate::definition) (writing at compile time); `Builder` (writing at run time, feature `alloc`); [`Definition::parse`] (reading) |
//! | §5 fingerprint | [`fingerprint`], [`Schema::fingerprint`] |
//! | §8 evolution | [`compare`], [`Compat`], [`Mismatch`]; typed reading in [`read::Reader::typed`](crate::read::Reader::typed) |
//!
//! Record types declare themselves through [`RecordType`], usually derived:
//!
//! ```
//! use koffer::schema::{Describe, Field, Meta, RecordType, Type};
//!
//! struct Beat { at_ms: u64, bpm: u8 }
//! impl Describe for Beat {
//!     const TYPE: &'static Type = &Type::Struct("Beat", &[
//!         Field { name: "at_ms", meta: Meta { unit: Some("ms"), time: Some(""), ..Meta::NONE }, ty: u64::TYPE },
//!         Field { name: "bpm", meta: Meta { unit: Some("1/min"), ..Meta::NONE }, ty: u8::TYPE },
//!     ]);
//! }
//! impl RecordType for Beat {
//!     const NAME: &'static str = "beat";
//!     const VERSION: u32 = 1;
//!     const DEFINITION: &'static [u8] = koffer::definition!(Beat::TYPE);
//! }
//! assert_eq!(Beat::DEFINITION.len(), 31);
//! ```

#[cfg(feature = "alloc")]
mod builder;
mod compat;
mod definition;
mod encode;
mod fingerprint;
mod frame;
mod types;

#[cfg(feature = "alloc")]
pub use builder::{BuildError, Builder};
pub use compat::{compare, same_layout, undescribed, Compat, Difference, Mismatch};
pub use definition::{
    Annotations, Definition, Elements, Error, ErrorKind, FieldRef, Fields, Kind, Node, VariantKind,
    VariantRef, Variants,
};
pub use encode::{encode, encoded_len, MAX_ARRAY_LEN, MAX_DEPTH, MAX_ITEMS};
pub use fingerprint::{fingerprint, fnv1a64};
pub use frame::Schema;
pub(crate) use frame::SCHEMA_PARTS_TMP_LEN;
pub use types::{tag, Describe, Field, Meta, Type, Variant, VariantData};

/// A Rust type that is a record type: its name, version and definition.
///
/// `#[derive(koffer::Describe)]` with `#[koffer(record = "name", version = N)]`
/// implements it; [`definition!`](crate::definition) builds the definition
/// from the type's descriptor at compile time.
pub trait RecordType {
    /// The record type's name.
    const NAME: &'static str;
    /// The record type's version.
    const VERSION: u32;
    /// The definition (spec `schema.md`): the canonical encoding of the
    /// type's descriptor. It must be a valid definition —
    /// [`definition!`](crate::definition) guarantees that at compile time —
    /// because [`Writer::declare_type`](crate::write::Writer::declare_type)
    /// writes it without checking it again.
    const DEFINITION: &'static [u8];
    /// The fingerprint (spec `schema.md` §5).
    const FINGERPRINT: u64 = fingerprint(Self::NAME, Self::VERSION, Self::DEFINITION);
}
