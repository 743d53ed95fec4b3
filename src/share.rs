//! Selective disclosure (spec `disclosure.md` §5–§7; feature `share`, host
//! side): a [`Selection`] of a container's records — record types, a time
//! range, fields dropped, fields coarsened — written as a *derived*
//! container that carries its own disclosure receipt.
//!
//! Dropped fields leave the schema definitions and the payloads, which are
//! re-encoded without them: their values are nowhere in the derived bytes.
//! Coarsened values are rounded to their step. The metadata is kept; the
//! receipt ([`Receipt`]) is the last record, and the header says format 1.1.
//!
//! ```
//! use koffer::disclosure::{Party, Receipt};
//! use koffer::share::{share, Selection, Terms};
//!
//! #[derive(serde::Serialize, serde::Deserialize, koffer::Describe)]
//! #[koffer(record = "sample", version = 1)]
//! struct Sample { #[koffer(unit = "ms", time = "unix")] t: u64, heart_rate: u8, lat: f64 }
//!
//! let mut buf = [0u8; 256];
//! let mut w = koffer::write::Writer::new(Vec::new(), &mut buf)?;
//! let s = w.declare_type::<Sample>(0)?;
//! for i in 0..10u64 {
//!     w.write(s, &Sample { t: 1_000 * i, heart_rate: 60 + i as u8, lat: 47.376887 })?;
//! }
//! let source = w.finish()?;
//!
//! let selection = Selection {
//!     from: Some(3_000),
//!     until: Some(8_000),
//!     drop: vec!["lat".into()],
//!     coarsen: vec![("heart_rate".into(), 10.0)],
//!     ..Selection::default()
//! };
//! let terms = Terms {
//!     id: [1; 16],
//!     time: 1_767_225_600_000,
//!     subject: "p-1",
//!     discloser: Party { name: "owner", id: None },
//!     recipient: Party { name: "Dr. Rossi", id: None },
//!     purpose: "check-up",
//!     purpose_iris: &[],
//!     legal_basis: "dpv:Consent",
//!     expires: None,
//! };
//! let out = share(&source, &selection, &terms)?;
//! let reader = koffer::read::Reader::new(&out.bytes)?;
//! assert!(reader.verify()?.is_complete());
//! assert_eq!(out.types[0].records, 5); // t = 3000 … 7000
//! let receipt = Receipt::decode(&out.receipt)?;
//! assert_eq!(receipt.recipient.name, "Dr. Rossi");
//! # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//! ```

use std::borrow::ToOwned;
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

use core::fmt;

use sha2::{Digest, Sha256};

use crate::disclosure::{self, Coarsened, List, Party, Receipt, Shared};
use crate::header::Header;
use crate::meta::{key, Value as MetaValue};
use crate::read::{Frame, Reader};
use crate::schema::{Definition, Kind, Node, RecordType};
use crate::value::Value;
use crate::write::Writer;

/// What to share: record types, a time range, fields dropped or coarsened
/// (spec `disclosure.md` §5).
///
/// A field is named by its path — field names joined with `.` through
/// nested structs — optionally after its record type's name and a `.`
/// (`sample.lat`); a path without a type applies to every selected type
/// that has it.
///
/// ```
/// let s = koffer::share::Selection { types: vec!["sample".into()], ..Default::default() };
/// assert!(s.drop.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// Record type names; empty: every record type (receipts excepted).
    pub types: Vec<String>,
    /// Records whose time field is at or after this Unix time (ms).
    pub from: Option<u64>,
    /// Records whose time field is before this Unix time (ms).
    pub until: Option<u64>,
    /// Fields to remove.
    pub drop: Vec<String>,
    /// Fields to round, each to the nearest multiple of its step (raw units).
    pub coarsen: Vec<(String, f64)>,
}

/// The terms of a disclosure: who shares with whom, when and why — the
/// receipt's fields that the selection does not give.
///
/// ```
/// use koffer::disclosure::Party;
/// let t = koffer::share::Terms {
///     id: [0; 16], time: 0, subject: "p-1",
///     discloser: Party { name: "owner", id: None },
///     recipient: Party { name: "GP", id: None },
///     purpose: "care", purpose_iris: &[], legal_basis: "dpv:Consent", expires: None,
/// };
/// assert_eq!(t.recipient.name, "GP");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Terms<'a> {
    /// The receipt's id: 16 random bytes (a UUID version 4).
    pub id: [u8; 16],
    /// When, Unix ms.
    pub time: u64,
    /// The data subject's pseudonym.
    pub subject: &'a str,
    /// Who shares.
    pub discloser: Party<'a>,
    /// Who receives.
    pub recipient: Party<'a>,
    /// Why, in words.
    pub purpose: &'a str,
    /// Why, as DPV purpose IRIs.
    pub purpose_iris: &'a [&'a str],
    /// The legal basis, a DPV term.
    pub legal_basis: &'a str,
    /// Until when the recipient may keep the data, Unix ms.
    pub expires: Option<u64>,
}

/// A selection that cannot be applied: what was wrong, with the names that
/// exist.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The source container is damaged or not a container.
    Source(crate::read::Error),
    /// A record of the source does not follow its definition.
    Record(crate::read::Error),
    /// No record type has this name.
    UnknownType {
        /// The name asked for.
        name: String,
        /// The record types there are.
        known: Vec<String>,
    },
    /// No selected record type has a field with this path.
    UnknownField {
        /// The field asked for.
        field: String,
        /// The field paths there are (`type.path`).
        known: Vec<String>,
    },
    /// A field argument names fields in more than one way (spec
    /// `disclosure.md` §5.2): nothing is shared.
    AmbiguousField {
        /// The field asked for.
        field: String,
        /// Each field it could name: type and field names.
        readings: Vec<String>,
    },
    /// A type named with `types` has no time field usable for `from`/`until`.
    NoTimeField {
        /// The record type.
        name: String,
        /// Why not.
        why: String,
    },
    /// A coarsened field is not a number, or its step does not fit it.
    BadStep {
        /// The field.
        field: String,
        /// What was wrong.
        why: String,
    },
    /// `from` is not before `until`.
    EmptyRange {
        /// The lower bound.
        from: u64,
        /// The upper bound.
        until: u64,
    },
    /// The selected record types use all 256 record type ids: none is left
    /// for the receipt.
    NoRecordTypeId,
    /// The derived container could not be written.
    Write(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Source(e) => write!(f, "{e}"),
            Error::Record(e) => write!(f, "{e}"),
            Error::UnknownType { name, known } => write!(
                f,
                "no record type {name:?}; the record types are: {}",
                list(known)
            ),
            Error::UnknownField { field, known } => write!(
                f,
                "no field {field:?} in the selected record types; the fields are: {}",
                list(known)
            ),
            Error::AmbiguousField { field, readings } => write!(
                f,
                "the field {field:?} is ambiguous: it names {}; refusing to guess",
                readings.join(" and ")
            ),
            Error::NoTimeField { name, why } => {
                write!(f, "record type {name:?} cannot be cut by time: {why}")
            }
            Error::BadStep { field, why } => write!(f, "cannot coarsen {field:?}: {why}"),
            Error::EmptyRange { from, until } => write!(
                f,
                "the time range is empty: from ({from} ms) is not before until ({until} ms)"
            ),
            Error::NoRecordTypeId => write!(
                f,
                "the selected record types use all 256 record type ids: none is left for the receipt (select fewer types)"
            ),
            Error::Write(e) => write!(f, "cannot write the derived container: {e}"),
        }
    }
}

impl core::error::Error for Error {}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        return "(none)".to_string();
    }
    // Names come from the file: no control character reaches a terminal.
    names
        .iter()
        .map(|n| n.escape_debug().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What was shared of one record type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeShare {
    /// The record type id (the same in the source and the derived container).
    pub record_type: u8,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: u32,
    /// Its fingerprint in the source.
    pub fingerprint: u64,
    /// The path of the time field the range was applied to.
    pub time_field: Option<String>,
    /// Records shared.
    pub records: u64,
    /// Records of the type in the source.
    pub source_records: u64,
    /// Field paths kept.
    pub fields: Vec<String>,
    /// Field paths dropped.
    pub dropped: Vec<String>,
    /// Field paths coarsened, with their steps.
    pub coarsened: Vec<(String, f64)>,
}

/// A record type not shared although no `types` were named, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    /// The record type's name.
    pub name: String,
    /// Why it was left out.
    pub why: String,
}

/// The result of [`share`].
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    /// The derived container.
    pub bytes: Vec<u8>,
    /// The receipt's payload ([`Receipt::decode`] reads it).
    pub receipt: Vec<u8>,
    /// What was shared, per record type, in the source's order.
    pub types: Vec<TypeShare>,
    /// Record types left out because `from`/`until` need a time field.
    pub left_out: Vec<LeftOut>,
    /// SHA-256 of the source bytes (spec `disclosure.md` §4).
    pub source_sha256: [u8; 32],
    /// SHA-256 of the shared records (spec `disclosure.md` §4).
    pub records_sha256: [u8; 32],
}

/// The plan for one selected record type.
struct Plan<'a> {
    share: TypeShare,
    definition: &'a [u8],
    new_definition: Vec<u8>,
    /// Index of the time field in the root struct, its ns per tick.
    time: Option<(usize, i128)>,
    /// Whether payloads must be re-encoded.
    transform: bool,
    /// The dropped fields' index paths, last in the struct first (so each
    /// removal leaves the others' indices as they were).
    drop_at: Vec<Vec<usize>>,
    /// The coarsened fields' index paths and steps.
    coarsen_at: Vec<(Vec<usize>, f64)>,
}

/// A field of a record type, found on its definition: the indices of the
/// fields from the root struct down, their names, and the joined path.
struct Field<'a> {
    at: Vec<usize>,
    names: Vec<&'a str>,
    path: String,
    ty: Node<'a>,
}

/// Every field of the struct `node` (through nested structs), in definition
/// order, each before the fields inside it.
fn field_paths<'a>(node: Node<'a>, at: &[usize], names: &[&'a str], out: &mut Vec<Field<'a>>) {
    if let Kind::Struct { fields, .. } = node.kind() {
        for (k, f) in fields.enumerate() {
            let mut at = at.to_vec();
            at.push(k);
            let mut names = names.to_vec();
            names.push(f.name);
            out.push(Field {
                at: at.clone(),
                names: names.clone(),
                path: names.join("."),
                ty: f.ty,
            });
            field_paths(f.ty, &at, &names, out);
        }
    }
}

/// Whether the field at `at` is `d` or inside it.
fn inside(at: &[usize], d: &[usize]) -> bool {
    at.starts_with(d)
}

/// Offset of `sub` (a subslice of `whole`) in `whole`.
fn offset_in(whole: &[u8], sub: &[u8]) -> usize {
    sub.as_ptr() as usize - whole.as_ptr() as usize
}

/// The definition bytes of `node` (the field at the index path `at`)
/// without the fields whose index paths are in `drop`: every other byte
/// copied as it is (spec `disclosure.md` §5.2).
fn without(def: &[u8], node: Node<'_>, at: &[usize], drop: &[Vec<usize>], out: &mut Vec<u8>) {
    let Kind::Struct { name, fields } = node.kind() else {
        out.extend_from_slice(node.bytes());
        return;
    };
    if !drop.iter().any(|d| d.len() > at.len() && d.starts_with(at)) {
        out.extend_from_slice(node.bytes());
        return;
    }
    let at_of = |k: usize| {
        let mut a = at.to_vec();
        a.push(k);
        a
    };
    let kept: Vec<_> = fields
        .enumerate()
        .filter(|(k, _)| !drop.contains(&at_of(*k)))
        .collect();
    // Tag and name as they are, then the new count.
    let head_end = offset_in(def, name.as_bytes()) + name.len();
    out.extend_from_slice(&def[offset_in(def, node.bytes())..head_end]);
    crate::varint::push_u64(out, kept.len() as u64);
    for (k, f) in kept {
        let name_at = offset_in(def, f.name.as_bytes());
        let start = name_at - crate::varint::encoded_len(f.name.len() as u64);
        let ty_at = offset_in(def, f.ty.bytes());
        out.extend_from_slice(&def[start..ty_at]);
        without(def, f.ty, &at_of(k), drop, out);
    }
}

/// ns per tick of a time unit.
fn tick_ns(unit: &str) -> Option<i128> {
    Some(match unit {
        "s" => 1_000_000_000,
        "ms" => 1_000_000,
        "us" => 1_000,
        "ns" => 1,
        _ => return None,
    })
}

/// The time field of a record type (spec `disclosure.md` §5.1): the first
/// field of its root struct marked as a time, with a unit of `s`, `ms`, `us`
/// or `ns`, in Unix time.
fn time_field(
    root: Option<Node<'_>>,
    container_base: Option<&str>,
) -> Result<(usize, String, i128), String> {
    let Some(Kind::Struct { fields, .. }) = root.map(|r| r.kind()) else {
        return Err("its records are not described as a struct".to_string());
    };
    for (i, f) in fields.enumerate() {
        let Some(base) = f.annotations.time else {
            continue;
        };
        let base = if base.is_empty() {
            container_base.unwrap_or("")
        } else {
            base
        };
        if base != crate::meta::time_base::UNIX {
            return Err(format!(
                "its time field {:?} is not in Unix time (time base {:?})",
                f.name, base
            ));
        }
        let Some(ns) = f.annotations.unit.and_then(tick_ns) else {
            return Err(format!(
                "its time field {:?} has no unit s, ms, us or ns",
                f.name
            ));
        };
        let numeric = match f.ty.kind() {
            Kind::Option(inner) => is_number(inner),
            _ => is_number(f.ty),
        };
        if !numeric {
            return Err(format!("its time field {:?} is not a number", f.name));
        }
        return Ok((i, f.name.to_string(), ns));
    }
    Err("it has no time field".to_string())
}

fn is_number(n: Node<'_>) -> bool {
    matches!(
        n.kind(),
        Kind::U8
            | Kind::U16
            | Kind::U32
            | Kind::U64
            | Kind::U128
            | Kind::I8
            | Kind::I16
            | Kind::I32
            | Kind::I64
            | Kind::I128
            | Kind::F32
            | Kind::F64
    )
}

/// A time value in ns, or `None` when it is not a number (a none option,
/// NaN).
fn time_ns(v: &Value, ns: i128) -> Option<f64Or> {
    Some(match v {
        Value::U8(x) => f64Or::I(i128::from(*x) * ns),
        Value::U16(x) => f64Or::I(i128::from(*x) * ns),
        Value::U32(x) => f64Or::I(i128::from(*x) * ns),
        Value::U64(x) => f64Or::I(i128::from(*x) * ns),
        Value::U128(x) => f64Or::I(i128::try_from(*x).ok()?.checked_mul(ns)?),
        Value::I8(x) => f64Or::I(i128::from(*x) * ns),
        Value::I16(x) => f64Or::I(i128::from(*x) * ns),
        Value::I32(x) => f64Or::I(i128::from(*x) * ns),
        Value::I64(x) => f64Or::I(i128::from(*x) * ns),
        Value::I128(x) => f64Or::I(x.checked_mul(ns)?),
        // A NaN time is before and after nothing: like a none option.
        Value::F32(x) if !x.is_nan() => f64Or::F(f64::from(*x) * ns as f64),
        Value::F64(x) if !x.is_nan() => f64Or::F(*x * ns as f64),
        Value::Option(Some(inner)) => return time_ns(inner, ns),
        _ => return None,
    })
}

/// A time in ns: exact for integers, a float for floats.
#[allow(non_camel_case_types)]
enum f64Or {
    I(i128),
    F(f64),
}

impl f64Or {
    /// `self` ≥ `ms` (Unix ms).
    fn at_or_after(&self, ms: u64) -> bool {
        let b = i128::from(ms) * 1_000_000;
        match self {
            f64Or::I(v) => *v >= b,
            f64Or::F(v) => *v >= b as f64,
        }
    }
}

/// Rounds `x` to the nearest multiple of `step`, ties away from zero; a
/// result beyond `[min, max]` is the multiple next toward zero.
fn round_int(x: i128, step: i128, min: i128, max: i128) -> i128 {
    // `m` is the multiple toward zero: |m| ≤ |x|, no overflow.
    let m = x / step * step;
    let r = (x % step).unsigned_abs();
    let away = if r >= step.unsigned_abs() - r {
        m.checked_add(step * x.signum())
    } else {
        None
    };
    match away {
        Some(a) if (min..=max).contains(&a) => a,
        _ => m,
    }
}

fn round_u128(x: u128, step: u128) -> u128 {
    let r = x % step;
    let down = x - r;
    if r >= step - r {
        down.checked_add(step).unwrap_or(down)
    } else {
        down
    }
}

/// `round(x / step) × step`, ties away from zero (spec `disclosure.md`
/// §5.3); when that is not finite in the field's type (`fits`), the multiple
/// next toward zero; when that is not either, or `x / step` is not finite,
/// `None`: the value stays as it is.
fn round_float(x: f64, step: f64, fits: impl Fn(f64) -> bool) -> Option<f64> {
    let q = x / step;
    if !q.is_finite() {
        return None;
    }
    [q.round() * step, q.trunc() * step]
        .into_iter()
        .find(|m| fits(*m))
}

/// Rounds the number `v` to a multiple of `step` (spec `disclosure.md` §5.3).
fn coarsen(v: &mut Value, step: f64) {
    macro_rules! int {
        ($x:expr, $t:ty) => {{
            let s = step as i128;
            *$x = round_int(
                i128::from(*$x),
                s,
                i128::from(<$t>::MIN),
                i128::from(<$t>::MAX),
            ) as $t;
        }};
    }
    match v {
        Value::U8(x) => int!(x, u8),
        Value::U16(x) => int!(x, u16),
        Value::U32(x) => int!(x, u32),
        Value::U64(x) => int!(x, u64),
        Value::I8(x) => int!(x, i8),
        Value::I16(x) => int!(x, i16),
        Value::I32(x) => int!(x, i32),
        Value::I64(x) => int!(x, i64),
        Value::U128(x) => *x = round_u128(*x, step as u128),
        Value::I128(x) => {
            let s = step as i128;
            *x = round_int(*x, s, i128::MIN, i128::MAX);
        }
        Value::F32(x) if x.is_finite() => {
            if let Some(m) = round_float(f64::from(*x), step, |m| (m as f32).is_finite()) {
                *x = m as f32;
            }
        }
        Value::F64(x) if x.is_finite() => {
            if let Some(m) = round_float(*x, step, f64::is_finite) {
                *x = m;
            }
        }
        Value::Option(Some(inner)) => coarsen(inner, step),
        _ => {}
    }
}

/// Whether `step` fits the number type `ty`: positive and finite; for an
/// integer, a whole number within the type's range (`None`: it fits).
fn step_fits(ty: Node<'_>, step: f64) -> Option<String> {
    let ty = match ty.kind() {
        Kind::Option(inner) => inner,
        _ => ty,
    };
    if !(step.is_finite() && step > 0.0) {
        return Some(format!("the step {step} is not a positive number"));
    }
    let max: u128 = match ty.kind() {
        Kind::F32 | Kind::F64 => return None,
        Kind::U8 => u8::MAX.into(),
        Kind::U16 => u16::MAX.into(),
        Kind::U32 => u32::MAX.into(),
        Kind::U64 => u64::MAX.into(),
        Kind::U128 => u128::MAX,
        Kind::I8 => i8::MAX as u128,
        Kind::I16 => i16::MAX as u128,
        Kind::I32 => i32::MAX as u128,
        Kind::I64 => i64::MAX as u128,
        Kind::I128 => i128::MAX as u128,
        _ => return Some("it is not a number".to_string()),
    };
    // Compared exactly: 2^128 (`u128::MAX as f64`) and above never fit; below
    // it a whole `f64` converts to `u128` without loss.
    if step.fract() != 0.0 || step >= u128::MAX as f64 || step as u128 > max {
        return Some(format!(
            "it is an integer field, and the step {step} is not a whole number from 1 to {max}"
        ));
    }
    None
}

/// The value at the index path `at` inside a struct value.
fn at_index<'v>(v: &'v mut Value, at: &[usize]) -> Option<&'v mut Value> {
    let mut cur = v;
    for &k in at {
        let Value::Struct { fields, .. } = cur else {
            return None;
        };
        cur = &mut fields.get_mut(k)?.1;
    }
    Some(cur)
}

/// Removes the field at the index path `at` from a struct value.
fn remove_index(v: &mut Value, at: &[usize]) {
    let Some((last, parent)) = at.split_last() else {
        return;
    };
    if let Some(Value::Struct { fields, .. }) = at_index(v, parent) {
        if *last < fields.len() {
            fields.remove(*last);
        }
    }
}

/// One reading of a field argument: `type "T", field "a" → "b"`.
fn reading(type_name: &str, f: &Field<'_>) -> String {
    let names: Vec<String> = f.names.iter().map(|n| format!("{n:?}")).collect();
    format!("type {type_name:?}, field {}", names.join(" → "))
}

/// Resolves a field argument against the chosen `types` (name and fields)
/// to `(type index, field index)` pairs (spec `disclosure.md` §5.2): the
/// argument is compared with the fields' paths (names joined with `.`),
/// after a type's name and a `.`, or whole. When it reads both ways, or
/// names two fields of one type, or follows two type names, it is refused
/// as ambiguous, naming every reading.
fn resolve(arg: &str, types: &[(&str, Vec<Field<'_>>)]) -> Result<Vec<(usize, usize)>, Error> {
    let mut prefixed = Vec::new();
    let mut whole = Vec::new();
    for (i, (name, fields)) in types.iter().enumerate() {
        let rest = arg.strip_prefix(*name).and_then(|r| r.strip_prefix('.'));
        for (j, f) in fields.iter().enumerate() {
            if rest == Some(f.path.as_str()) {
                prefixed.push((i, j));
            }
            if f.path == arg {
                whole.push((i, j));
            }
        }
    }
    let mut hits = prefixed.clone();
    hits.extend_from_slice(&whole);
    if hits.is_empty() {
        return Err(Error::UnknownField {
            field: arg.to_string(),
            known: types
                .iter()
                .flat_map(|(n, fs)| fs.iter().map(move |f| format!("{n}.{}", f.path)))
                .collect(),
        });
    }
    let one_type_twice = |h: &[(usize, usize)]| {
        h.iter()
            .enumerate()
            .any(|(k, (i, _))| h[..k].iter().any(|(i2, _)| i2 == i))
    };
    let two_names = prefixed
        .iter()
        .any(|(i, _)| types[*i].0 != types[prefixed[0].0].0);
    let ambiguous = (!prefixed.is_empty() && !whole.is_empty())
        || one_type_twice(&prefixed)
        || one_type_twice(&whole)
        || two_names;
    if ambiguous {
        return Err(Error::AmbiguousField {
            field: arg.to_string(),
            readings: hits
                .iter()
                .map(|(i, j)| reading(types[*i].0, &types[*i].1[*j]))
                .collect(),
        });
    }
    Ok(hits)
}

/// SHA-256 of a container's records (spec `disclosure.md` §4.2), fed one
/// record at a time.
///
/// ```
/// let mut d = koffer::share::RecordsDigest::new();
/// d.record(0, &[1, 2]);
/// let mut expect = sha2::Sha256::default();
/// sha2::Digest::update(&mut expect, [0u8, 2, 1, 2]);
/// assert_eq!(d.finish(), <[u8; 32]>::from(sha2::Digest::finalize(expect)));
/// ```
#[derive(Debug, Clone, Default)]
pub struct RecordsDigest(Sha256);

impl RecordsDigest {
    /// An empty digest.
    pub fn new() -> Self {
        RecordsDigest::default()
    }

    /// Adds one record: its type byte, its payload length as a varint, its payload.
    pub fn record(&mut self, record_type: u8, payload: &[u8]) {
        let mut len = [0u8; crate::varint::MAX_LEN_U64];
        let len = crate::varint::encode_u64(payload.len() as u64, &mut len);
        self.0.update([record_type]);
        self.0.update(len);
        self.0.update(payload);
    }

    /// The digest.
    pub fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

/// SHA-256 of a container's records (spec `disclosure.md` §4.2): every
/// record in file order, receipts excepted.
///
/// ```
/// # let mut buf = [0u8; 64];
/// # let mut w = koffer::write::Writer::new(Vec::new(), &mut buf)?;
/// # let n = w.declare(0, "n", 1, &[])?;
/// # w.write_payload(n, &[5])?;
/// # let bytes = w.finish()?;
/// let reader = koffer::read::Reader::new(&bytes)?;
/// let mut d = koffer::share::RecordsDigest::new();
/// d.record(0, &[5]);
/// assert_eq!(koffer::share::records_sha256(&reader)?, d.finish());
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
pub fn records_sha256(reader: &Reader<'_>) -> Result<[u8; 32], crate::read::Error> {
    let mut receipts = crate::read::TypeSet::default();
    for s in reader.schemas() {
        let s = s?;
        if disclosure::is_receipt_schema(&s) {
            receipts.insert(s.record_type);
        }
    }
    let mut d = RecordsDigest::new();
    for r in reader.records() {
        let r = r?;
        if !receipts.contains(r.record_type) {
            d.record(r.record_type, r.payload);
        }
    }
    Ok(d.finish())
}

/// SHA-256 of the source bytes (spec `disclosure.md` §4.1): the container
/// proper, bytes 0 to the end of its last intact frame.
///
/// ```
/// # let mut buf = [0u8; 64];
/// # let w = koffer::write::Writer::new(Vec::new(), &mut buf)?;
/// # let mut bytes = w.finish()?;
/// let digest = koffer::share::source_sha256(&bytes)?;
/// bytes.extend_from_slice(&[0xFF; 8]); // unwritten storage after the end frame
/// assert_eq!(koffer::share::source_sha256(&bytes)?, digest);
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
pub fn source_sha256(bytes: &[u8]) -> Result<[u8; 32], crate::read::Error> {
    let summary = Reader::new(bytes)?.verify()?;
    let len = usize::try_from(summary.len)
        .unwrap_or(bytes.len())
        .min(bytes.len());
    Ok(Sha256::digest(&bytes[..len]).into())
}

/// Applies `selection` to the container `source` and writes the derived
/// container with its receipt (spec `disclosure.md` §5). See the
/// [module](self) for an example.
pub fn share(source: &[u8], selection: &Selection, terms: &Terms<'_>) -> Result<Derived, Error> {
    let reader = Reader::new(source).map_err(Error::Source)?;
    let summary = reader.verify().map_err(Error::Source)?;
    let src_len = usize::try_from(summary.len)
        .unwrap_or(source.len())
        .min(source.len());
    let source_sha = Sha256::digest(&source[..src_len]).into();
    if let (Some(f), Some(u)) = (selection.from, selection.until) {
        if f >= u {
            return Err(Error::EmptyRange { from: f, until: u });
        }
    }
    let container_base = match reader
        .metadata_value(key::TIME_BASE)
        .map_err(Error::Source)?
    {
        Some(MetaValue::Str(s)) => Some(s),
        _ => None,
    };

    // The record types, receipts excepted, and how many records each has.
    let mut counts = [0u64; 256];
    let mut longest = [0usize; 256];
    for r in reader.records() {
        let r = r.map_err(Error::Source)?;
        counts[r.record_type as usize] += 1;
        let l = &mut longest[r.record_type as usize];
        *l = (*l).max(r.payload.len());
    }
    // Record types named `koffer.…` (receipts among them) are never shared
    // and not listed (disclosure.md §2, §5).
    let mut all = Vec::new();
    for s in reader.schemas() {
        let s = s.map_err(Error::Source)?;
        if s.name.starts_with(disclosure::RESERVED_PREFIX) {
            continue;
        }
        all.push(s);
    }
    let known: Vec<String> = all.iter().map(|s| s.name.to_string()).collect();
    for t in &selection.types {
        if !known.contains(t) {
            return Err(Error::UnknownType {
                name: t.clone(),
                known,
            });
        }
    }
    let ranged = selection.from.is_some() || selection.until.is_some();
    let mut left_out = Vec::new();
    let mut chosen = Vec::new();
    for s in &all {
        if !selection.types.is_empty() && !selection.types.iter().any(|t| t == s.name) {
            continue;
        }
        // `verify` checked every definition; an empty one has no root.
        let root = Definition::parse(s.definition).ok().and_then(|d| d.root());
        let time = if ranged {
            match time_field(root, container_base) {
                Ok(t) => Some(t),
                Err(why) if selection.types.is_empty() => {
                    left_out.push(LeftOut {
                        name: s.name.to_string(),
                        why,
                    });
                    continue;
                }
                Err(why) => {
                    return Err(Error::NoTimeField {
                        name: s.name.to_string(),
                        why,
                    })
                }
            }
        } else {
            None
        };
        chosen.push((*s, root, time));
    }

    // Field arguments, resolved on the chosen types' definitions: by record
    // type (two types may share a name) and by field index (a name may
    // contain '.').
    let typed: Vec<(&str, Vec<Field<'_>>)> = chosen
        .iter()
        .map(|(s, root, _)| {
            let mut fs = Vec::new();
            if let Some(root) = *root {
                field_paths(root, &[], &[], &mut fs);
            }
            (s.name, fs)
        })
        .collect();
    let mut drops: Vec<Vec<usize>> = std::vec![Vec::new(); chosen.len()];
    for d in &selection.drop {
        for (t, j) in resolve(d, &typed)? {
            if !drops[t].contains(&j) {
                drops[t].push(j);
            }
        }
    }
    let mut coarsens: Vec<Vec<(usize, f64)>> = std::vec![Vec::new(); chosen.len()];
    for (c, step) in &selection.coarsen {
        for (t, j) in resolve(c, &typed)? {
            if coarsens[t].iter().any(|(q, _)| *q == j) {
                return Err(Error::BadStep {
                    field: format!("{}.{}", typed[t].0, typed[t].1[j].path),
                    why: "it is named twice".to_string(),
                });
            }
            coarsens[t].push((j, *step));
        }
    }

    let mut plans: Vec<Plan<'_>> = Vec::new();
    for (t, (s, root, time)) in chosen.iter().enumerate() {
        let fp = &typed[t].1;
        let dropped: Vec<&Field<'_>> = drops[t].iter().map(|j| &fp[*j]).collect();
        let coarsened: Vec<(&Field<'_>, f64)> =
            coarsens[t].iter().map(|(j, st)| (&fp[*j], *st)).collect();
        for (f, step) in &coarsened {
            let dropped_too = dropped.iter().any(|d| inside(&f.at, &d.at));
            let why = if dropped_too {
                Some("it is dropped".to_string())
            } else if time.as_ref().is_some_and(|(ti, _, _)| f.at == [*ti]) {
                Some(
                    "it is the time field the time range applies to (records are selected by \
                     their exact times; rounding would move some outside the range)"
                        .to_string(),
                )
            } else {
                step_fits(f.ty, *step)
            };
            if let Some(why) = why {
                return Err(Error::BadStep {
                    field: format!("{}.{}", s.name, f.path),
                    why,
                });
            }
        }
        if let Some((ti, name, _)) = time {
            if dropped.iter().any(|d| d.at == [*ti]) {
                return Err(Error::NoTimeField {
                    name: s.name.to_string(),
                    why: format!("its time field {name:?} is dropped"),
                });
            }
        }
        let drop_idx: Vec<Vec<usize>> = dropped.iter().map(|d| d.at.clone()).collect();
        let mut new_definition = Vec::new();
        if let Some(root) = *root {
            without(s.definition, root, &[], &drop_idx, &mut new_definition);
        }
        if Definition::parse(&new_definition).is_err() {
            return Err(Error::UnknownField {
                field: dropped
                    .iter()
                    .map(|d| d.path.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                known: Vec::from(["(dropping these leaves a type with no bytes)".to_string()]),
            });
        }
        let fields = fp
            .iter()
            .filter(|f| !dropped.iter().any(|d| inside(&f.at, &d.at)))
            .map(|f| f.path.clone())
            .collect();
        let mut drop_at = drop_idx;
        drop_at.sort_unstable_by(|a, b| b.cmp(a));
        plans.push(Plan {
            transform: !dropped.is_empty() || !coarsened.is_empty(),
            share: TypeShare {
                record_type: s.record_type,
                name: s.name.to_string(),
                version: s.version,
                fingerprint: s.fingerprint(),
                time_field: time.as_ref().map(|t| t.1.clone()),
                records: 0,
                source_records: counts[s.record_type as usize],
                fields,
                dropped: dropped.iter().map(|d| d.path.clone()).collect(),
                coarsened: coarsened
                    .iter()
                    .map(|(f, st)| (f.path.clone(), *st))
                    .collect(),
            },
            definition: s.definition,
            new_definition,
            time: time.as_ref().map(|t| (t.0, t.2)),
            drop_at,
            coarsen_at: coarsened
                .iter()
                .map(|(f, st)| (f.at.clone(), *st))
                .collect(),
        });
    }

    // The receipt's length at most (every count as long as a varint gets):
    // the block buffer holds it, however many types are shared.
    let receipt_bound = {
        let names: Vec<Vec<&str>> = plans
            .iter()
            .map(|p| p.share.dropped.iter().map(String::as_str).collect())
            .collect();
        let coarse: Vec<Vec<Coarsened<'_>>> = plans
            .iter()
            .map(|p| {
                p.share
                    .coarsened
                    .iter()
                    .map(|(f, s)| Coarsened { field: f, step: *s })
                    .collect()
            })
            .collect();
        let shared: Vec<Shared<'_>> = plans
            .iter()
            .enumerate()
            .map(|(i, p)| Shared {
                name: &p.share.name,
                version: p.share.version,
                fingerprint: p.share.fingerprint,
                from: p.time.and(selection.from),
                until: p.time.and(selection.until),
                records: u64::MAX,
                dropped: List::Slice(&names[i]),
                coarsened: List::Slice(&coarse[i]),
            })
            .collect();
        let r = Receipt {
            id: terms.id,
            time: terms.time,
            subject: terms.subject,
            discloser: terms.discloser,
            recipient: terms.recipient,
            purpose: terms.purpose,
            purpose_iris: List::Slice(terms.purpose_iris),
            legal_basis: terms.legal_basis,
            expires: terms.expires,
            shared: List::Slice(&shared),
            source_sha256: source_sha,
            records_sha256: [0; 32],
        };
        postcard::to_allocvec(&r)
            .map_err(|e| Error::Write(format!("{e}")))?
            .len()
    };

    // Write: header 1.1, the metadata frames as they are, the schemas, the
    // selected records, the receipt.
    // And the longest selected record (up to `MAX_RECORD_LEN`), which a
    // coarsened value may lengthen by a varint's bytes at most (19).
    let record_bound = plans
        .iter()
        .map(|p| longest[p.share.record_type as usize] + 19 * p.coarsen_at.len())
        .max()
        .unwrap_or(0)
        .min(crate::limits::MAX_RECORD_LEN as usize);
    let mut block = std::vec![0u8; 4096.max(receipt_bound + 64).max(record_bound + 64)];
    let header = Header {
        minor: 1,
        ..Header::CURRENT
    };
    let werr = |e: crate::write::Error<core::convert::Infallible>| Error::Write(format!("{e}"));
    let mut w = Writer::with_header(Vec::new(), &mut block, header).map_err(werr)?;
    for f in reader.frames() {
        if let Frame::Metadata(m) = f.map_err(Error::Source)?.frame {
            let entries: Vec<_> = m.entries().collect();
            w.metadata(&entries).map_err(werr)?;
        }
    }
    let mut index = [usize::MAX; 256];
    for (i, p) in plans.iter().enumerate() {
        w.declare(
            p.share.record_type,
            &p.share.name,
            p.share.version,
            &p.new_definition,
        )
        .map_err(werr)?;
        index[p.share.record_type as usize] = i;
    }
    let mut digest = RecordsDigest::new();
    let mut payload = Vec::new();
    for r in reader.records() {
        let r = r.map_err(Error::Source)?;
        let i = index[r.record_type as usize];
        let Some(p) = plans.get_mut(i) else { continue };
        let old = Definition::parse(p.definition).ok().and_then(|d| d.root());
        // Every selected payload is decoded, so one that does not follow its
        // definition is refused, never copied (disclosure.md §5).
        let value = match old {
            Some(root) => {
                Some(Value::decode(root, r.payload).map_err(|e| Error::Record(e.in_record(&r)))?)
            }
            None => None,
        };
        if let (Some((ti, ns)), Some(Value::Struct { fields, .. })) = (p.time, &value) {
            let t = fields.get(ti).and_then(|(_, v)| time_ns(v, ns));
            let Some(t) = t else { continue };
            if selection.from.is_some_and(|f| !t.at_or_after(f)) {
                continue;
            }
            if selection.until.is_some_and(|u| t.at_or_after(u)) {
                continue;
            }
        }
        let bytes: &[u8] = match (value, p.transform) {
            (Some(mut v), true) => {
                for (at, step) in &p.coarsen_at {
                    if let Some(x) = at_index(&mut v, at) {
                        coarsen(x, *step);
                    }
                }
                for at in &p.drop_at {
                    remove_index(&mut v, at);
                }
                let new_root = Definition::parse(&p.new_definition)
                    .ok()
                    .and_then(|d| d.root());
                payload.clear();
                if let Some(root) = new_root {
                    v.encode(root, &mut payload)
                        .map_err(|e| Error::Write(format!("{} at {}", e.path, r.offset)))?;
                }
                &payload
            }
            _ => r.payload,
        };
        let h = w.declared_raw(r.record_type).map_err(werr)?;
        w.write_payload(h, bytes).map_err(werr)?;
        digest.record(r.record_type, bytes);
        p.share.records += 1;
    }
    let records_sha: [u8; 32] = digest.finish();

    // The receipt, under the highest id no shared type uses.
    let shared: Vec<Shared<'_>> = Vec::new();
    let names: Vec<Vec<&str>> = plans
        .iter()
        .map(|p| p.share.dropped.iter().map(String::as_str).collect())
        .collect();
    let coarse: Vec<Vec<Coarsened<'_>>> = plans
        .iter()
        .map(|p| {
            p.share
                .coarsened
                .iter()
                .map(|(f, s)| Coarsened { field: f, step: *s })
                .collect()
        })
        .collect();
    let mut shared = shared;
    for (i, p) in plans.iter().enumerate() {
        shared.push(Shared {
            name: &p.share.name,
            version: p.share.version,
            fingerprint: p.share.fingerprint,
            from: p.time.and(selection.from),
            until: p.time.and(selection.until),
            records: p.share.records,
            dropped: List::Slice(&names[i]),
            coarsened: List::Slice(&coarse[i]),
        });
    }
    let receipt = Receipt {
        id: terms.id,
        time: terms.time,
        subject: terms.subject,
        discloser: terms.discloser,
        recipient: terms.recipient,
        purpose: terms.purpose,
        purpose_iris: List::Slice(terms.purpose_iris),
        legal_basis: terms.legal_basis,
        expires: terms.expires,
        shared: List::Slice(&shared),
        source_sha256: source_sha,
        records_sha256: records_sha,
    };
    let receipt_bytes =
        postcard::to_allocvec(&receipt).map_err(|e| Error::Write(format!("{e}")))?;
    let id = (0..=255u8)
        .rev()
        .find(|id| index[*id as usize] == usize::MAX)
        .ok_or(Error::NoRecordTypeId)?;
    let h = w.declare_type::<Receipt<'_>>(id).map_err(werr)?;
    let _ = h;
    let raw = w.declared_raw(id).map_err(werr)?;
    w.write_payload(raw, &receipt_bytes).map_err(werr)?;
    let bytes = w.finish().map_err(werr)?;
    drop(block);
    Ok(Derived {
        bytes,
        receipt: receipt_bytes,
        types: plans.into_iter().map(|p| p.share).collect(),
        left_out,
        source_sha256: source_sha,
        records_sha256: records_sha,
    })
}

/// The receipt as JSON by the mapping of spec `schema.md` §9 (what
/// `koffer export` writes for it).
///
/// ```
/// # use koffer::disclosure::{List, Party, Receipt};
/// # let r = Receipt { id: [0; 16], time: 5, subject: "p", discloser: Party { name: "a", id: None },
/// #   recipient: Party { name: "b", id: None }, purpose: "x", purpose_iris: List::Slice(&[]),
/// #   legal_basis: "dpv:Consent", expires: None, shared: List::Slice(&[]),
/// #   source_sha256: [0; 32], records_sha256: [0; 32] };
/// let json = koffer::share::receipt_json(&r);
/// assert!(json.contains(r#""time":5"#));
/// ```
pub fn receipt_json(receipt: &Receipt<'_>) -> String {
    let payload = postcard::to_allocvec(receipt).unwrap_or_default();
    Definition::parse(Receipt::DEFINITION)
        .ok()
        .and_then(|d| d.root())
        .and_then(|root| crate::json::to_json(root, &payload).ok())
        .unwrap_or_default()
}

/// The receipt's id as a UUID (`8-4-4-4-12` lowercase hex digits).
///
/// ```
/// assert_eq!(koffer::share::uuid(&[0xAB; 16]), "abababab-abab-abab-abab-abababababab");
/// ```
pub fn uuid(id: &[u8; 16]) -> String {
    let h = crate::hex::encode(id);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// RFC 3339 UTC text of Unix ms (`1970-01-01T00:00:00.000Z`; whole seconds
/// without the fraction).
///
/// ```
/// assert_eq!(koffer::share::rfc3339(1_767_225_600_000), "2026-01-01T00:00:00Z");
/// assert_eq!(koffer::share::rfc3339(1_500), "1970-01-01T00:00:01.500Z");
/// ```
pub fn rfc3339(ms: u64) -> String {
    let secs = ms / 1000;
    let frac = ms % 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    let (h, mi, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    if frac == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
    }
}

/// A DPV term in its compact form (spec `disclosure.md` §8): `Consent` (a
/// bare term: no `:`), `dpv:Consent` and `https://w3id.org/dpv#Consent` are
/// all `dpv:Consent`; any other IRI, and the empty string, stay as they are.
///
/// ```
/// assert_eq!(koffer::share::dpv_term("Contract"), "dpv:Contract");
/// assert_eq!(koffer::share::dpv_term("https://w3id.org/dpv#Consent"), "dpv:Consent");
/// assert_eq!(koffer::share::dpv_term("https://x.example/b"), "https://x.example/b");
/// assert_eq!(koffer::share::dpv_term(""), ""); // an empty string stays empty
/// ```
pub fn dpv_term(term: &str) -> String {
    if let Some(t) = term.strip_prefix(DPV).filter(|t| !t.is_empty()) {
        return format!("dpv:{t}");
    }
    if term.is_empty() || term.contains(':') {
        return term.to_string();
    }
    format!("dpv:{term}")
}

/// The DPV namespace.
pub const DPV: &str = "https://w3id.org/dpv#";

/// The receipt as an ISO/IEC TS 27560 record in JSON with DPV terms (spec
/// `disclosure.md` §8): `serde_json` text, keys in the spec's order.
///
/// ```
/// # use koffer::disclosure::{List, Party, Receipt};
/// # let r = Receipt { id: [0; 16], time: 0, subject: "p", discloser: Party { name: "a", id: None },
/// #   recipient: Party { name: "b", id: None }, purpose: "x", purpose_iris: List::Slice(&[]),
/// #   legal_basis: "dpv:Consent", expires: None, shared: List::Slice(&[]),
/// #   source_sha256: [0; 32], records_sha256: [0; 32] };
/// let v = koffer::share::receipt_27560(&r);
/// assert_eq!(v["schema_version"], "ISO/IEC TS 27560:2023");
/// assert_eq!(v["processing"][0]["legal_basis"], "dpv:Consent");
/// ```
pub fn receipt_27560(r: &Receipt<'_>) -> serde_json::Value {
    use serde_json::{json, Map, Value as J};
    // An empty id counts as none.
    fn id_of<'a>(p: &Party<'a>) -> Option<&'a str> {
        p.id.filter(|id| !id.is_empty())
    }
    let party = |p: &Party<'_>, role: &str| {
        let mut m = Map::new();
        m.insert("name".to_owned(), J::from(p.name));
        if let Some(id) = id_of(p) {
            m.insert("id".to_owned(), J::from(id));
        }
        m.insert("role".to_owned(), J::from(role));
        J::Object(m)
    };
    let hex = |b: &[u8]| J::from(crate::hex::encode(b));
    let data: Vec<J> = r
        .shared
        .iter()
        .map(|s| {
            json!({
                "record_type": s.name,
                "version": s.version,
                "fingerprint": format!("{:016x}", s.fingerprint),
                "from": s.from.map(time_27560),
                "until": s.until.map(time_27560),
                "records": s.records,
                "dropped": s.dropped.iter().collect::<Vec<_>>(),
                "coarsened": s.coarsened.iter().map(|c| json!({"field": c.field, "step": c.step})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut purposes: Vec<J> = Vec::new();
    for iri in r.purpose_iris.iter() {
        purposes.push(J::from(dpv_term(iri)));
    }
    json!({
        "@context": { "dpv": DPV },
        "schema_version": "ISO/IEC TS 27560:2023",
        "record_id": format!("urn:uuid:{}", uuid(&r.id)),
        "timestamp": time_27560(r.time),
        "data_subject": { "pseudonym": r.subject },
        "parties": [party(&r.discloser, "discloser"), party(&r.recipient, "dpv:Recipient")],
        "processing": [{
            "purpose": r.purpose,
            "purposes": purposes,
            "legal_basis": dpv_term(r.legal_basis),
            "processing": ["dpv:Disclose"],
            "recipients": [id_of(&r.recipient).unwrap_or(r.recipient.name)],
            "data": data,
            "retention": r.expires.map(time_27560),
        }],
        "events": [{ "type": "dpv:Disclose", "timestamp": time_27560(r.time) }],
        "integrity": {
            "source_sha256": hex(&r.source_sha256),
            "records_sha256": hex(&r.records_sha256),
        },
        "koffer": { "record_type": Receipt::NAME, "version": Receipt::VERSION },
    })
}

/// The last instant RFC 3339 can write, 9999-12-31T23:59:59.999Z, in Unix ms.
pub const LAST_RFC3339_MS: u64 = 253_402_300_799_999;

/// A time of the 27560 mapping (spec `disclosure.md` §8): RFC 3339 UTC up to
/// 9999-12-31T23:59:59.999Z, a later one (which RFC 3339 cannot write) as its
/// Unix milliseconds, a JSON integer.
fn time_27560(ms: u64) -> serde_json::Value {
    if ms <= LAST_RFC3339_MS {
        serde_json::Value::from(rfc3339(ms))
    } else {
        serde_json::Value::from(ms)
    }
}

/// Receipts as the text of a JSON array of ISO/IEC TS 27560 records (spec
/// `disclosure.md` §8, what `koffer ledger --format 27560` writes): keys
/// sorted by code point at every level, two spaces of indent per level,
/// strings escaped and floats written as `schema.md` §9 says (a `step` that
/// is NaN or infinite is `null`), a newline at the end.
///
/// ```
/// # use koffer::disclosure::{List, Party, Receipt, Coarsened, Shared};
/// # let c = [Coarsened { field: "hr", step: 0.00001 }];
/// # let s = [Shared { name: "s", version: 1, fingerprint: 0, from: None, until: None, records: 1,
/// #   dropped: List::Slice(&[]), coarsened: List::Slice(&c) }];
/// # let r = Receipt { id: [0; 16], time: 0, subject: "p", discloser: Party { name: "a", id: None },
/// #   recipient: Party { name: "b", id: None }, purpose: "x", purpose_iris: List::Slice(&[]),
/// #   legal_basis: "dpv:Consent", expires: None, shared: List::Slice(&s),
/// #   source_sha256: [0; 32], records_sha256: [0; 32] };
/// let text = koffer::share::receipts_27560_text(&[r]);
/// assert!(text.starts_with("[\n  {\n    \"@context\": {"));
/// assert!(text.contains("\"step\": 0.00001"));
/// ```
pub fn receipts_27560_text(receipts: &[Receipt<'_>]) -> String {
    let mut items: Vec<serde_json::Value> = receipts.iter().map(receipt_27560).collect();
    for v in &mut items {
        v.sort_all_objects();
    }
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Form27560::default());
    let _ = serde::Serialize::serialize(&items, &mut ser);
    out.push(b'\n');
    String::from_utf8(out).unwrap_or_default()
}

/// serde_json's pretty printer (two spaces), with floats as `schema.md` §9.
#[derive(Default)]
struct Form27560(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for Form27560 {
    fn write_f64<W: ?Sized + std::io::Write>(&mut self, w: &mut W, v: f64) -> std::io::Result<()> {
        w.write_all(crate::json::f64_text(v).as_bytes())
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// How to append a receipt to the owner's ledger (spec `disclosure.md` §7):
/// keep the first [`keep`](Self::keep) bytes of the ledger file (truncate
/// it there), then write [`bytes`](Self::bytes) after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerAppend {
    /// Bytes of the existing ledger to keep: the start of its end frame, or
    /// the end of its last intact frame; 0 for a new ledger.
    pub keep: u64,
    /// The bytes to write after them: a block with the receipt and the end
    /// frame (for a new ledger, the whole container).
    pub bytes: Vec<u8>,
    /// Receipts in the ledger before this one.
    pub before: u64,
}

/// Why a ledger cannot be appended to.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LedgerError {
    /// Its structure is damaged (other than a torn tail), or it is not a
    /// container.
    Damaged(crate::read::Error),
    /// It is a container, but holds other records than receipts, or no
    /// receipt schema.
    NotALedger(String),
    /// The receipt could not be written.
    Write(String),
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerError::Damaged(e) => write!(f, "{e}"),
            LedgerError::NotALedger(why) => write!(f, "not a koffer ledger: {why}"),
            LedgerError::Write(e) => write!(f, "cannot write the receipt: {e}"),
        }
    }
}

impl core::error::Error for LedgerError {}

/// Plans the append of the receipt `payload` (a [`Receipt`]'s postcard
/// bytes) to the ledger whose bytes are `existing` (empty: none yet), as
/// spec `disclosure.md` §7 says: a complete ledger is reopened before its
/// end frame, an incomplete one after its last intact frame.
///
/// ```
/// # use koffer::disclosure::{List, Party, Receipt};
/// # let r = Receipt { id: [0; 16], time: 0, subject: "p", discloser: Party { name: "a", id: None },
/// #   recipient: Party { name: "b", id: None }, purpose: "x", purpose_iris: List::Slice(&[]),
/// #   legal_basis: "dpv:Consent", expires: None, shared: List::Slice(&[]),
/// #   source_sha256: [0; 32], records_sha256: [0; 32] };
/// let payload = postcard::to_allocvec(&r).unwrap();
/// let first = koffer::share::ledger_append(&[], &payload)?;
/// let mut ledger = first.bytes;
/// let next = koffer::share::ledger_append(&ledger, &payload)?;
/// ledger.truncate(next.keep as usize);
/// ledger.extend_from_slice(&next.bytes);
/// let reader = koffer::read::Reader::new(&ledger)?;
/// assert!(reader.verify()?.is_complete());
/// assert_eq!(koffer::disclosure::receipts(&reader).count(), 2);
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
pub fn ledger_append(existing: &[u8], payload: &[u8]) -> Result<LedgerAppend, LedgerError> {
    use crate::write::ResumePoint;
    // Room for the receipt in one block, however long it is.
    let mut block = std::vec![0u8; 4096.max(payload.len() + 64)];
    let werr =
        |e: crate::write::Error<core::convert::Infallible>| LedgerError::Write(format!("{e}"));
    let point = ResumePoint::scan(existing).map_err(LedgerError::Damaged)?;
    if point.valid_len() == 0 {
        let header = Header {
            minor: 1,
            ..Header::CURRENT
        };
        let mut w = Writer::with_header(Vec::new(), &mut block, header).map_err(werr)?;
        let _ = w.declare_type::<Receipt<'_>>(0).map_err(werr)?;
        let h = w.declared_raw(0).map_err(werr)?;
        w.write_payload(h, payload).map_err(werr)?;
        return Ok(LedgerAppend {
            keep: 0,
            bytes: w.finish().map_err(werr)?,
            before: 0,
        });
    }
    // Which record type holds the receipts; nothing else may be there.
    let reader = Reader::new(existing).map_err(LedgerError::Damaged)?;
    let mut id = None;
    let mut end_at = None;
    let mut blocks = false;
    for f in reader.frames() {
        let f = match f {
            Ok(f) => f,
            // A torn tail ends `frames` without an error; anything else is
            // damage `ResumePoint::scan` would have refused, or a faulty
            // description: refuse it too.
            Err(e) => return Err(LedgerError::Damaged(e)),
        };
        match f.frame {
            Frame::Schema(s) if disclosure::is_receipt_schema(&s) && id.is_none() => {
                id = Some(s.record_type)
            }
            Frame::Schema(s) => {
                return Err(LedgerError::NotALedger(format!(
                    "it declares the record type {:?}, and a ledger holds only receipts",
                    s.name
                )))
            }
            Frame::End(_) => end_at = Some(f.offset),
            Frame::Block(_) => blocks = true,
            _ => {}
        }
    }
    // A ledger cut while it was created (its header alone, or a part of its
    // schema frame) declares the receipts first (disclosure.md §7 step 4).
    let declare = match id {
        Some(_) => false,
        None if !blocks => true,
        None => {
            return Err(LedgerError::NotALedger(
                "it holds records but no koffer.disclosure schema".to_string(),
            ))
        }
    };
    let id = id.unwrap_or(0);
    let (keep, point) = match end_at {
        Some(at) => {
            let at = usize::try_from(at)
                .unwrap_or(existing.len())
                .min(existing.len());
            (
                at as u64,
                ResumePoint::scan(&existing[..at]).map_err(LedgerError::Damaged)?,
            )
        }
        None => (point.valid_len(), point),
    };
    let mut w = Writer::resume(Vec::new(), &mut block, &point).map_err(werr)?;
    if declare {
        let _ = w.declare_type::<Receipt<'_>>(id).map_err(werr)?;
    }
    let h = w.declared_raw(id).map_err(werr)?;
    w.write_payload(h, payload).map_err(werr)?;
    Ok(LedgerAppend {
        keep,
        bytes: w.finish().map_err(werr)?,
        before: point.counted().records,
    })
}
