//! # koffer-arbitrary
//!
//! Structurally valid koffer containers from fuzzer input.
//!
//! For crates that fuzz their own parsing on top of koffer's: an
//! [`ArbitraryContainer`] is built with koffer's own [`Writer`] from the
//! fuzzer's bytes — metadata entries of every value type, one to four record
//! types with generated definitions (every kind of the serde data model,
//! annotations included), records whose payloads are valid encodings of
//! their definitions, block buffers of 16 to 4096 bytes, explicit flushes,
//! and an end frame or not — and then, optionally, damaged by one injected
//! [`Fault`]. [`ArbitraryContainer::expected`] says what a reader must report
//! for the resulting bytes, and [`ArbitraryContainer::check`] checks koffer's
//! own reader against it.
//!
//! A downstream fuzz target (a `cargo fuzz` crate depending on
//! `koffer-arbitrary`):
//!
//! ```text
//! #![no_main]
//! use koffer_arbitrary::{ArbitraryContainer, Expected};
//! use libfuzzer_sys::fuzz_target;
//!
//! fuzz_target!(|c: ArbitraryContainer| {
//!     // Your parser over koffer's bytes: it must never panic...
//!     let parsed = my_koffer::parse_export(&c.bytes);
//!     // ...and must agree with what any reader must report.
//!     match c.expected() {
//!         Expected::Exact { records, complete, .. } => {
//!             let parsed = parsed.expect("an intact (prefix of a) container");
//!             assert_eq!(parsed.records, records);
//!             assert_eq!(parsed.complete, complete);
//!         }
//!         Expected::NotDifferent { records, .. } => {
//!             if let Ok(parsed) = parsed {
//!                 // Damage is detected: never decoded as different data.
//!                 assert!(records.starts_with(&parsed.records));
//!             }
//!         }
//!         Expected::HeaderError | Expected::Unchecked => {}
//!     }
//! });
//! ```
//!
//! The same as a compiled example, with koffer's reader as "your parser":
//!
//! ```
//! use arbitrary::{Arbitrary, Unstructured};
//! use koffer_arbitrary::ArbitraryContainer;
//!
//! let data = [7u8; 600]; // the fuzzer's input
//! let c = ArbitraryContainer::arbitrary(&mut Unstructured::new(&data)).unwrap();
//! assert!(c.original.len() >= 18);
//! c.check().unwrap(); // koffer's reader reports what `c.expected()` says
//! ```

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use arbitrary::{Arbitrary, Result, Unstructured};

use koffer::header::HEADER_LEN;
use koffer::meta::{key, Entry};
use koffer::read::{Completeness, Reader};
use koffer::schema::{tag, Annotations, Builder, Definition};
use koffer::value::{Value, VariantValue};
use koffer::write::Writer;

/// Deepest nesting of generated types (well within the spec's 32).
const MAX_TYPE_DEPTH: u32 = 4;
/// Most operations (records, flushes, frames) in one container.
const MAX_OPS: usize = 256;

/// A fault injected into a container after it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// No fault.
    None,
    /// The container cut to its first `at` bytes (`at` taken modulo the
    /// length plus one).
    Truncate(usize),
    /// One bit flipped: bit `bit % 8` of byte `bit / 8` (modulo the length in bits).
    FlipBit(usize),
    /// Bytes overwritten from offset `at` (modulo the length), clipped at its end.
    Overwrite(usize, Vec<u8>),
}

// By hand: the derive needs `std`, and koffer is `no_std`.
impl<'a> Arbitrary<'a> for Fault {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0u8..=3)? {
            0 => Fault::None,
            1 => Fault::Truncate(u.arbitrary()?),
            2 => Fault::FlipBit(u.arbitrary()?),
            _ => Fault::Overwrite(u.arbitrary()?, u.arbitrary()?),
        })
    }
}

impl Fault {
    /// Applies the fault to `bytes`; returns the byte range it changed
    /// (empty when nothing changed).
    pub fn apply(&self, bytes: &mut Vec<u8>) -> core::ops::Range<usize> {
        let len = bytes.len();
        match self {
            Fault::None => 0..0,
            Fault::Truncate(at) => {
                let at = at % (len + 1);
                bytes.truncate(at);
                at..at
            }
            Fault::FlipBit(bit) => {
                if len == 0 {
                    return 0..0;
                }
                let bit = bit % (len * 8);
                bytes[bit / 8] ^= 1 << (bit % 8);
                bit / 8..bit / 8 + 1
            }
            Fault::Overwrite(at, new) => {
                if len == 0 {
                    return 0..0;
                }
                let at = at % len;
                let end = (at + new.len()).min(len);
                let (mut first, mut last) = (None, 0);
                for (i, b) in new.iter().take(end - at).enumerate() {
                    if bytes[at + i] != *b {
                        first.get_or_insert(at + i);
                        last = at + i + 1;
                    }
                    bytes[at + i] = *b;
                }
                first.map_or(0..0, |f| f..last)
            }
        }
    }
}

/// An owned metadata value: [`koffer::meta::OwnedValue`] (floats are compared
/// by bits in [`ArbitraryContainer::check`]).
pub use koffer::meta::OwnedValue as MetaValue;

/// Equal as stored: floats by bits.
fn same(v: &MetaValue, other: &koffer::meta::Value<'_>) -> bool {
    match (v.as_value(), other) {
        (koffer::meta::Value::Float(a), koffer::meta::Value::Float(b)) => {
            a.to_bits() == b.to_bits()
        }
        (a, b) => a == *b,
    }
}

/// A declared record type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaSpec {
    /// Its identifier.
    pub record_type: u8,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: u32,
    /// Its definition (spec `schema.md`); empty: layout not described.
    pub definition: Vec<u8>,
}

/// What a frame boundary of the written container holds before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Boundary {
    end: usize,
    records: usize,
    entries: usize,
    schemas: usize,
}

/// A container written by koffer's [`Writer`] from fuzzer input, with an
/// optional injected [`Fault`].
#[derive(Debug, Clone)]
pub struct ArbitraryContainer {
    /// The bytes to parse: `original` with `fault` applied.
    pub bytes: Vec<u8>,
    /// The container as written.
    pub original: Vec<u8>,
    /// Every record in `original`, in order: record type and payload.
    pub records: Vec<(u8, Vec<u8>)>,
    /// Every metadata entry in `original`, in order.
    pub metadata: Vec<(String, MetaValue)>,
    /// Every schema frame in `original`, in order.
    pub schemas: Vec<SchemaSpec>,
    /// Whether `original` ends with an end frame.
    pub complete: bool,
    /// The writer's block buffer size (16..=4096).
    pub block_len: usize,
    /// The fault applied.
    pub fault: Fault,
    /// The bytes the fault changed (empty for none or a truncation).
    pub changed: core::ops::Range<usize>,
    boundaries: Vec<Boundary>,
}

/// What a reader must report for [`ArbitraryContainer::bytes`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expected<'a> {
    /// Intact (no fault, or a truncation after the header): exactly these
    /// records, entries and schemas, and complete or not.
    Exact {
        /// The records of the intact prefix.
        records: &'a [(u8, Vec<u8>)],
        /// The metadata entries of the intact prefix.
        metadata: &'a [(String, MetaValue)],
        /// The schema frames of the intact prefix.
        schemas: &'a [SchemaSpec],
        /// Whether the reader must report the container complete.
        complete: bool,
    },
    /// Cut inside the file header: [`Reader::new`] must fail.
    HeaderError,
    /// Damaged (a bit flip, or an overwrite of at most 32 bits outside every
    /// frame head): not decoded as different data. Whatever the reader hands
    /// out before it reports an error or incompleteness is a prefix of these;
    /// it reports the container complete only with all of them.
    NotDifferent {
        /// All records of the container as written.
        records: &'a [(u8, Vec<u8>)],
        /// All metadata entries.
        metadata: &'a [(String, MetaValue)],
        /// All schema frames.
        schemas: &'a [SchemaSpec],
    },
    /// Overwritten beyond what CRC-32C is guaranteed to detect (a checksum
    /// is no signature: a crafted overwrite can forge one): only that the
    /// reader neither panics nor hangs.
    Unchecked,
}

impl ArbitraryContainer {
    /// What a reader must report for [`bytes`](Self::bytes).
    pub fn expected(&self) -> Expected<'_> {
        let all = Expected::Exact {
            records: &self.records,
            metadata: &self.metadata,
            schemas: &self.schemas,
            complete: self.complete,
        };
        match self.fault {
            _ if self.bytes == self.original => all,
            Fault::Truncate(_) => {
                let at = self.bytes.len();
                if at < HEADER_LEN {
                    return Expected::HeaderError;
                }
                let b = self
                    .boundaries
                    .iter()
                    .rev()
                    .find(|b| b.end <= at)
                    .copied()
                    .unwrap_or(Boundary {
                        end: HEADER_LEN,
                        records: 0,
                        entries: 0,
                        schemas: 0,
                    });
                Expected::Exact {
                    records: &self.records[..b.records],
                    metadata: &self.metadata[..b.entries],
                    schemas: &self.schemas[..b.schemas],
                    complete: false,
                }
            }
            Fault::Overwrite(..) if !self.burst_outside_heads() => Expected::Unchecked,
            _ => Expected::NotDifferent {
                records: &self.records,
                metadata: &self.metadata,
                schemas: &self.schemas,
            },
        }
    }

    /// True if the changed bytes span at most 32 bits and touch no frame
    /// head (kind, length, head check): CRC-32C then detects the change.
    fn burst_outside_heads(&self) -> bool {
        let c = &self.changed;
        if c.len() > 4 {
            return false;
        }
        let heads = core::iter::once(HEADER_LEN)
            .chain(self.boundaries.iter().map(|b| b.end))
            .filter(|&s| s < self.original.len());
        let touches_head = heads.clone().any(|s| c.start < s + 5 && s < c.end);
        // Spanning two frames' checksummed bytes is not a single burst either.
        let crosses = heads.clone().any(|s| c.start < s && s < c.end);
        !touches_head && !crosses
    }

    /// Reads [`bytes`](Self::bytes) with koffer's reader and checks it
    /// against [`expected`](Self::expected); the error says what differed.
    pub fn check(&self) -> core::result::Result<(), String> {
        let expected = self.expected();
        let reader = match Reader::new(&self.bytes) {
            Ok(r) => r,
            Err(e) => {
                return match expected {
                    Expected::Exact { .. } => Err(format!("header refused: {e}")),
                    _ => Ok(()),
                }
            }
        };
        if expected == Expected::HeaderError {
            return Err("a header cut short was accepted".into());
        }
        // Everything the reader hands out, up to its first error.
        let mut records = Vec::new();
        let mut iter = reader.records();
        let mut error = None;
        for r in iter.by_ref() {
            match r {
                Ok(r) => records.push((r.record_type, r.payload)),
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        let outcome = match error {
            Some(e) => Err(e),
            None => iter.finish(),
        };
        let mut entries = Vec::new();
        for e in reader.metadata() {
            match e {
                Ok(e) => entries.push(e),
                Err(_) => break,
            }
        }
        let mut schemas = Vec::new();
        for s in reader.schemas() {
            match s {
                Ok(s) => schemas.push(s),
                Err(_) => break,
            }
        }
        let same_records = |want: &[(u8, Vec<u8>)], n: usize| {
            want.len() >= n
                && records
                    .iter()
                    .zip(want)
                    .all(|((t, p), (wt, wp))| t == wt && p == &wp.as_slice())
        };
        let same_entries = |want: &[(String, MetaValue)], n: usize| {
            want.len() >= n
                && entries
                    .iter()
                    .zip(want)
                    .all(|(e, (k, v))| e.key == k && same(v, &e.value))
        };
        let same_schemas = |want: &[SchemaSpec], n: usize| {
            want.len() >= n
                && schemas.iter().zip(want).all(|(s, w)| {
                    s.record_type == w.record_type
                        && s.name == w.name
                        && s.version == w.version
                        && s.definition == w.definition.as_slice()
                })
        };
        match expected {
            Expected::Exact {
                records: want,
                metadata,
                schemas: want_schemas,
                complete,
            } => {
                let summary = outcome.map_err(|e| format!("intact container refused: {e}"))?;
                if summary.is_complete() != complete {
                    return Err(format!(
                        "reported {:?}, expected complete = {complete}",
                        summary.completeness
                    ));
                }
                if !(records.len() == want.len() && same_records(want, records.len())) {
                    return Err(format!(
                        "{} records read, {} expected (or different payloads)",
                        records.len(),
                        want.len()
                    ));
                }
                if !(entries.len() == metadata.len() && same_entries(metadata, entries.len())) {
                    return Err("metadata entries differ".into());
                }
                if !(schemas.len() == want_schemas.len()
                    && same_schemas(want_schemas, schemas.len()))
                {
                    return Err("schema frames differ".into());
                }
                Ok(())
            }
            Expected::NotDifferent {
                records: want,
                metadata,
                schemas: want_schemas,
            } => {
                if !same_records(want, records.len()) {
                    return Err("damage decoded as different records".into());
                }
                if !same_entries(metadata, entries.len()) {
                    return Err("damage decoded as different metadata".into());
                }
                if !same_schemas(want_schemas, schemas.len()) {
                    return Err("damage decoded as different schemas".into());
                }
                if let Ok(s) = outcome {
                    if s.completeness == Completeness::Complete && records.len() != want.len() {
                        return Err(
                            "damaged container reported complete with records missing".into()
                        );
                    }
                }
                Ok(())
            }
            Expected::HeaderError | Expected::Unchecked => Ok(()),
        }
    }

    /// Builds the container from `u`, without a fault.
    pub fn arbitrary_intact(u: &mut Unstructured<'_>) -> Result<Self> {
        build(u)
    }
}

impl<'a> Arbitrary<'a> for ArbitraryContainer {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        // The fault is drawn first, from the input's start, so that it does
        // not depend on how much input the container leaves over.
        let kind = u.int_in_range(0u8..=7)?;
        let at: u32 = u.arbitrary()?;
        let n = u.int_in_range(1..=8usize)?;
        let new = take(u, n)?;
        let mut c = build(u)?;
        let len = c.original.len();
        // `at` as a fraction of the container.
        let scale = |max: usize| ((max as u64 * u64::from(at)) >> 32) as usize;
        let fault = match kind {
            0..=3 => Fault::None,
            4 => Fault::Truncate(scale(len + 1)),
            5 | 6 => Fault::FlipBit(scale(len * 8)),
            _ => Fault::Overwrite(scale(len), new),
        };
        c.changed = fault.apply(&mut c.bytes);
        c.fault = fault;
        Ok(c)
    }
}

/// A generated type: what a definition describes.
#[derive(Debug, Clone)]
enum Ty {
    /// A primitive, by its tag.
    Prim(u8),
    Option(Box<Ty>),
    Unit,
    UnitStruct(String),
    Newtype(String, Box<Ty>),
    Seq(Box<Ty>),
    Tuple(Vec<Ty>),
    TupleStruct(String, Vec<Ty>),
    Array(u32, Box<Ty>),
    Map(Box<Ty>, Box<Ty>),
    Struct(String, Vec<(String, Ann, Ty)>),
    Enum(String, Vec<(String, VariantTy)>),
}

#[derive(Debug, Clone)]
enum VariantTy {
    Unit,
    Newtype(Ty),
    Tuple(Vec<Ty>),
    Struct(Vec<(String, Ann, Ty)>),
}

const NAMES: [&str; 12] = [
    "a",
    "t",
    "value",
    "timestamp_ms",
    "heart_rate",
    "Sample",
    "Event",
    "x",
    "Ünïcode",
    "position",
    "on",
    "kind",
];
const UNITS: [&str; 6] = ["ms", "Cel", "1/min", "m", "%", "kg"];

fn name(u: &mut Unstructured<'_>, i: usize) -> Result<String> {
    let base = *u.choose(&NAMES)?;
    // Indexed, so fields and variants of one type never share a name.
    Ok(if i == 0 {
        base.into()
    } else {
        format!("{base}{i}")
    })
}

/// Up to `n` bytes: fewer when the input runs out.
fn take(u: &mut Unstructured<'_>, n: usize) -> Result<Vec<u8>> {
    let n = n.min(u.len());
    Ok(u.bytes(n)?.to_vec())
}

fn short_string(u: &mut Unstructured<'_>, max: usize) -> Result<String> {
    let s: &str = u.arbitrary()?;
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Ok(s[..end].into())
}

/// Annotations of a generated field (spec `schema.md` §3).
#[derive(Debug, Clone, Default)]
struct Ann {
    unit: Option<&'static str>,
    description: Option<String>,
    scale: Option<f64>,
    offset: Option<f64>,
    time: Option<&'static str>,
}

impl Ann {
    fn annotations(&self) -> Annotations<'_> {
        Annotations {
            unit: self.unit,
            description: self.description.as_deref(),
            scale: self.scale,
            offset: self.offset,
            time: self.time,
        }
    }
}

fn annotations(u: &mut Unstructured<'_>) -> Result<Ann> {
    let flags: u8 = u.arbitrary::<u8>()? & tag::annotation::ALL;
    let mut ann = Ann::default();
    if flags & tag::annotation::UNIT != 0 {
        ann.unit = Some(u.choose(&UNITS)?);
    }
    if flags & tag::annotation::DESCRIPTION != 0 {
        let d = short_string(u, 60)?;
        ann.description = Some(if d.is_empty() { "what".into() } else { d });
    }
    if flags & tag::annotation::SCALE != 0 {
        ann.scale = Some(*u.choose(&[0.1f64, 0.01, 2.0, -1.0, 1e-7])?);
    }
    if flags & tag::annotation::OFFSET != 0 {
        ann.offset = Some(*u.choose(&[0.0f64, -273.15, 100.0, 1.5])?);
    }
    if flags & tag::annotation::TIME != 0 {
        ann.time = Some(u.choose(&["", "unix", "boot"])?);
    }
    Ok(ann)
}

fn gen_types(u: &mut Unstructured<'_>, depth: u32, min: usize) -> Result<Vec<Ty>> {
    let n = u.int_in_range(min..=3)?;
    (0..n).map(|_| gen_ty(u, depth + 1)).collect()
}

fn gen_fields(u: &mut Unstructured<'_>, depth: u32) -> Result<Vec<(String, Ann, Ty)>> {
    let n = u.int_in_range(0..=4)?;
    (0..n)
        .map(|i| Ok((name(u, i)?, annotations(u)?, gen_ty(u, depth + 1)?)))
        .collect()
}

fn gen_ty(u: &mut Unstructured<'_>, depth: u32) -> Result<Ty> {
    let max = if depth >= MAX_TYPE_DEPTH { 17 } else { 29 };
    Ok(match u.int_in_range(0..=max)? {
        t @ 0..=15 => Ty::Prim(tag::BOOL + t),
        16 => Ty::Unit,
        17 => Ty::UnitStruct(name(u, 0)?),
        18 => Ty::Option(Box::new(gen_ty(u, depth + 1)?)),
        19 => Ty::Newtype(name(u, 0)?, Box::new(gen_ty(u, depth + 1)?)),
        20 => Ty::Seq(Box::new(gen_ty(u, depth + 1)?)),
        21 => Ty::Tuple(gen_types(u, depth, 1)?),
        22 => Ty::TupleStruct(name(u, 0)?, gen_types(u, depth, 1)?),
        23 => Ty::Array(u.int_in_range(0..=6)?, Box::new(gen_ty(u, depth + 1)?)),
        24 => Ty::Map(
            Box::new(gen_ty(u, depth + 1)?),
            Box::new(gen_ty(u, depth + 1)?),
        ),
        25 | 26 => Ty::Struct(name(u, 0)?, gen_fields(u, depth)?),
        _ => {
            let n = u.int_in_range(1..=4)?;
            let variants = (0..n)
                .map(|i| {
                    let data = match u.int_in_range(0..=3)? {
                        0 => VariantTy::Unit,
                        1 => VariantTy::Newtype(gen_ty(u, depth + 1)?),
                        2 => VariantTy::Tuple(gen_types(u, depth, 1)?),
                        _ => VariantTy::Struct(gen_fields(u, depth)?),
                    };
                    Ok((name(u, i)?, data))
                })
                .collect::<Result<Vec<_>>>()?;
            Ty::Enum(name(u, 0)?, variants)
        }
    })
}

/// The definition of `ty` (spec `schema.md` §2), by the core crate's builder.
fn build_types(b: &mut Builder, ts: &[Ty]) {
    for t in ts {
        build_ty(b, t);
    }
}

fn build_fields(b: &mut Builder, fs: &[(String, Ann, Ty)]) {
    for (n, ann, t) in fs {
        b.field(n, ann.annotations());
        build_ty(b, t);
    }
}

fn build_ty(b: &mut Builder, ty: &Ty) {
    match ty {
        Ty::Prim(t) => {
            b.primitive(*t);
        }
        Ty::Unit => {
            b.unit();
        }
        Ty::UnitStruct(n) => {
            b.unit_struct(n);
        }
        Ty::Option(t) => build_ty(b.option(), t),
        Ty::Newtype(n, t) => build_ty(b.newtype_struct(n), t),
        Ty::Seq(t) => build_ty(b.seq(), t),
        Ty::Tuple(ts) => build_types(b.tuple(ts.len()), ts),
        Ty::TupleStruct(n, ts) => build_types(b.tuple_struct(n, ts.len()), ts),
        Ty::Array(n, t) => build_ty(b.array(*n), t),
        Ty::Map(k, v) => {
            build_ty(b.map(), k);
            build_ty(b, v);
        }
        Ty::Struct(n, fs) => build_fields(b.struct_(n, fs.len()), fs),
        Ty::Enum(n, vs) => {
            b.enum_(n, vs.len());
            for (vn, data) in vs {
                match data {
                    VariantTy::Unit => {
                        b.variant_unit(vn);
                    }
                    VariantTy::Newtype(t) => build_ty(b.variant_newtype(vn), t),
                    VariantTy::Tuple(ts) => build_types(b.variant_tuple(vn, ts.len()), ts),
                    VariantTy::Struct(fs) => build_fields(b.variant_struct(vn, fs.len()), fs),
                }
            }
        }
    }
}

fn gen_values(u: &mut Unstructured<'_>, ts: &[Ty]) -> Result<Vec<Value>> {
    ts.iter().map(|t| gen_value(u, t)).collect()
}

fn gen_field_values(
    u: &mut Unstructured<'_>,
    fs: &[(String, Ann, Ty)],
) -> Result<Vec<(String, Value)>> {
    fs.iter()
        .map(|(n, _, t)| Ok((n.clone(), gen_value(u, t)?)))
        .collect()
}

/// A value of type `ty`.
fn gen_value(u: &mut Unstructured<'_>, ty: &Ty) -> Result<Value> {
    Ok(match ty {
        Ty::Prim(t) => match *t {
            tag::BOOL => Value::Bool(u.arbitrary()?),
            tag::U8 => Value::U8(u.arbitrary()?),
            tag::U16 => Value::U16(u.arbitrary()?),
            tag::U32 => Value::U32(u.arbitrary()?),
            tag::U64 => Value::U64(u.arbitrary()?),
            tag::U128 => Value::U128(u.arbitrary()?),
            tag::I8 => Value::I8(u.arbitrary()?),
            tag::I16 => Value::I16(u.arbitrary()?),
            tag::I32 => Value::I32(u.arbitrary()?),
            tag::I64 => Value::I64(u.arbitrary()?),
            tag::I128 => Value::I128(u.arbitrary()?),
            tag::F32 => Value::F32(u.arbitrary()?),
            tag::F64 => Value::F64(u.arbitrary()?),
            tag::CHAR => Value::Char(u.arbitrary()?),
            tag::STRING => Value::String(short_string(u, 40)?),
            _ => {
                let n = u.int_in_range(0..=40)?;
                Value::Bytes(take(u, n)?)
            }
        },
        Ty::Unit => Value::Unit,
        Ty::UnitStruct(n) => Value::UnitStruct { name: n.clone() },
        Ty::Option(t) => Value::Option(if u.arbitrary()? {
            Some(Box::new(gen_value(u, t)?))
        } else {
            None
        }),
        Ty::Newtype(n, t) => Value::NewtypeStruct {
            name: n.clone(),
            value: Box::new(gen_value(u, t)?),
        },
        Ty::Seq(t) => {
            let n = u.int_in_range(0..=4)?;
            Value::Seq((0..n).map(|_| gen_value(u, t)).collect::<Result<_>>()?)
        }
        Ty::Tuple(ts) => Value::Tuple(gen_values(u, ts)?),
        Ty::TupleStruct(n, ts) => Value::TupleStruct {
            name: n.clone(),
            elements: gen_values(u, ts)?,
        },
        Ty::Array(n, t) => Value::Array((0..*n).map(|_| gen_value(u, t)).collect::<Result<_>>()?),
        Ty::Map(k, v) => {
            let n = u.int_in_range(0..=3)?;
            Value::Map(
                (0..n)
                    .map(|_| Ok((gen_value(u, k)?, gen_value(u, v)?)))
                    .collect::<Result<_>>()?,
            )
        }
        Ty::Struct(n, fs) => Value::Struct {
            name: n.clone(),
            fields: gen_field_values(u, fs)?,
        },
        Ty::Enum(n, vs) => {
            let i = u.choose_index(vs.len())?;
            let (vn, data) = &vs[i];
            Value::Enum {
                name: n.clone(),
                variant: vn.clone(),
                index: i as u32,
                data: match data {
                    VariantTy::Unit => VariantValue::Unit,
                    VariantTy::Newtype(t) => VariantValue::Newtype(Box::new(gen_value(u, t)?)),
                    VariantTy::Tuple(ts) => VariantValue::Tuple(gen_values(u, ts)?),
                    VariantTy::Struct(fs) => VariantValue::Struct(gen_field_values(u, fs)?),
                },
            }
        }
    })
}

fn gen_meta(u: &mut Unstructured<'_>) -> Result<(String, MetaValue)> {
    let value = match u.int_in_range(0..=8)? {
        0 => MetaValue::Bool(u.arbitrary()?),
        1 => MetaValue::Uint(u.arbitrary()?),
        2 => MetaValue::Int(u.arbitrary()?),
        3 => MetaValue::Float(u.arbitrary()?),
        4 => MetaValue::Str(short_string(u, 64)?),
        5 => {
            let n = u.int_in_range(0..=32)?;
            MetaValue::Bytes(take(u, n)?)
        }
        6 => MetaValue::Time(u.arbitrary()?),
        7 => MetaValue::Anchor {
            boot_ms: u.arbitrary()?,
            unix_ms: u.arbitrary()?,
        },
        _ => {
            let n = u.int_in_range(0..=16)?;
            MetaValue::Unknown {
                value_type: u.int_in_range(9..=255)?,
                bytes: take(u, n)?,
            }
        }
    };
    let vt = value.as_value().value_type();
    // A well-known key of the value's type, or a free key.
    let known = key::WELL_KNOWN.iter().filter(|(_, t)| *t == vt).count();
    let k = if known > 0 && u.arbitrary()? {
        let i = u.choose_index(known)?;
        let (k, _) = key::WELL_KNOWN
            .iter()
            .filter(|(_, t)| *t == vt)
            .nth(i)
            .ok_or(arbitrary::Error::IncorrectFormat)?;
        String::from(*k)
    } else {
        format!("x:{}", short_string(u, 40)?)
    };
    Ok((k, value))
}

/// A record type with a generated definition, and its parsed definition's bytes.
fn gen_schema(u: &mut Unstructured<'_>, record_type: u8) -> Result<(SchemaSpec, Option<Ty>)> {
    let mut name = short_string(u, 32)?;
    if name.is_empty() {
        name = "sample".into();
    }
    let version = u.arbitrary()?;
    let (definition, ty) = if u.ratio(1u8, 8)? {
        (Vec::new(), None)
    } else {
        let ty = gen_ty(u, 0)?;
        let mut b = Builder::new();
        build_ty(&mut b, &ty);
        if let Ok(def) = b.finish() {
            (def, Some(ty))
        } else {
            // A sequence of zero-size elements, say: describe a u32 instead.
            (Vec::from([tag::U32]), Some(Ty::Prim(tag::U32)))
        }
    };
    Ok((
        SchemaSpec {
            record_type,
            name,
            version,
            definition,
        },
        ty,
    ))
}

fn build(u: &mut Unstructured<'_>) -> Result<ArbitraryContainer> {
    let block_len = u.int_in_range(16..=4096)?;
    let mut block = alloc::vec![0u8; block_len];
    let mut out: Vec<u8> = Vec::new();
    let mut w = Writer::new(&mut out, &mut block).map_err(|_| arbitrary::Error::IncorrectFormat)?;
    let mut records: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut metadata = Vec::new();
    let mut schemas: Vec<SchemaSpec> = Vec::new();
    let mut types: Vec<Option<Ty>> = Vec::new();
    let mut boundaries = Vec::new();
    let n_types = u.int_in_range(1..=4)?;

    macro_rules! boundary {
        () => {{
            let b = Boundary {
                end: w.position() as usize,
                records: w.counted().records as usize,
                entries: metadata.len(),
                schemas: schemas.len(),
            };
            if boundaries
                .last()
                .map_or(b.end > HEADER_LEN, |l: &Boundary| l.end != b.end)
            {
                boundaries.push(b);
            }
        }};
    }

    let mut ops = 0;
    while ops < MAX_OPS && (schemas.is_empty() || !u.is_empty()) {
        ops += 1;
        let op = if schemas.is_empty() {
            0
        } else {
            u.int_in_range(0u8..=19)?
        };
        match op {
            // Declare another record type.
            0 if schemas.len() < n_types => {
                let mut id: u8 = u.arbitrary()?;
                while schemas.iter().any(|s| s.record_type == id) {
                    id = id.wrapping_add(1);
                }
                let (spec, ty) = gen_schema(u, id)?;
                // Each call writes at most one frame: flush first.
                if w.flush().is_err() {
                    return Err(arbitrary::Error::IncorrectFormat);
                }
                boundary!();
                if w.declare(id, &spec.name, spec.version, &spec.definition)
                    .is_ok()
                {
                    schemas.push(spec);
                    types.push(ty);
                }
                boundary!();
            }
            1 => {
                let n = u.int_in_range(1..=4)?;
                let entries = (0..n).map(|_| gen_meta(u)).collect::<Result<Vec<_>>>()?;
                let borrowed: Vec<Entry<'_>> = entries
                    .iter()
                    .map(|(k, v)| Entry::new(k, v.as_value()))
                    .collect();
                if w.flush().is_err() {
                    return Err(arbitrary::Error::IncorrectFormat);
                }
                boundary!();
                if w.metadata(&borrowed).is_ok() {
                    metadata.extend(entries);
                }
                boundary!();
            }
            2 => {
                if w.flush().is_err() {
                    return Err(arbitrary::Error::IncorrectFormat);
                }
                boundary!();
            }
            _ => {
                let i = u.choose_index(schemas.len())?;
                let id = schemas[i].record_type;
                let payload = match &types[i] {
                    Some(ty) => {
                        let value = gen_value(u, ty)?;
                        let def = Definition::parse(&schemas[i].definition)
                            .map_err(|_| arbitrary::Error::IncorrectFormat)?;
                        let root = def.root().ok_or(arbitrary::Error::IncorrectFormat)?;
                        match value.to_payload(root) {
                            Ok(p) => p,
                            Err(_) => return Err(arbitrary::Error::IncorrectFormat),
                        }
                    }
                    None => {
                        let n = u.int_in_range(0..=48)?;
                        take(u, n)?
                    }
                };
                if w.declared_raw(id)
                    .and_then(|h| w.write_payload(h, &payload))
                    .is_ok()
                {
                    records.push((id, payload));
                }
                boundary!();
            }
        }
    }
    let complete = u.ratio(3u8, 4)?;
    if complete || u.arbitrary()? {
        w.flush().map_err(|_| arbitrary::Error::IncorrectFormat)?;
        boundary!();
    }
    records.truncate(w.counted().records as usize);
    // Without an end frame, buffered records never reach the sink.
    if complete {
        w.finish().map_err(|_| arbitrary::Error::IncorrectFormat)?;
    }
    Ok(ArbitraryContainer {
        bytes: out.clone(),
        original: out,
        records,
        metadata,
        schemas,
        complete,
        block_len,
        fault: Fault::None,
        changed: 0..0,
        boundaries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Containers from pseudo-random inputs: every one reads back as expected.
    #[test]
    fn generated_containers_read_back_as_expected() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut data = alloc::vec![0u8; 4096];
        let (runs, mut faults, mut exact) = (if cfg!(miri) { 3 } else { 2000 }, 0, 0);
        for run in 0..runs {
            for b in data.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = state as u8;
            }
            let len = 64 + run % (data.len() - 64);
            let c = ArbitraryContainer::arbitrary(&mut Unstructured::new(&data[..len])).unwrap();
            if let Err(e) = c.check() {
                panic!("run {run}: {e}\n{c:?}");
            }
            match c.expected() {
                Expected::Exact { .. } => exact += 1,
                _ => faults += 1,
            }
        }
        assert!(
            cfg!(miri) || (exact > 100 && faults > 100),
            "{exact} {faults}"
        );
    }
}
