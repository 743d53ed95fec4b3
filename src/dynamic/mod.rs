//! Dynamic decoding: a record's payload read by its definition alone (spec
//! `schema.md` §6–§7), without the Rust type that wrote it.
//!
//! [`walk`] reads a payload and reports every value in it to a [`Visitor`],
//! in payload order, checking every rule of spec §6 as it goes; [`check`]
//! only checks, and [`skip`] tells how many bytes one value takes. Nothing is
//! allocated, recursion is bounded by the definition's depth limit (32,
//! enforced by [`Definition::parse`](crate::schema::Definition::parse)), and
//! no payload makes them panic or loop longer than its length allows: every
//! element of a sequence, array or map takes at least one payload byte (a
//! definition with zero-size elements is refused, spec `schema.md` §4), and a
//! sequence or map count is checked against the bytes left before the first
//! element is read.
//!
//! ```
//! use koffer::dynamic::{self, Visitor};
//! use koffer::schema::{Definition, FieldRef};
//!
//! // struct Beat { at_ms: u64, bpm: u8 }
//! let def = Definition::parse(b"\x1A\x04Beat\x02\x05at_ms\x11\x02ms\x00\x05\x03bpm\x00\x02").unwrap();
//! let payload = [0xE8, 0x07, 72]; // at_ms 1000, bpm 72
//!
//! /// Prints `name=value` for the integer fields.
//! struct Print(String);
//! impl<'a> Visitor<'a> for Print {
//!     type Error = dynamic::Error;
//!     fn field(&mut self, _index: usize, field: &FieldRef<'a>) -> Result<(), Self::Error> {
//!         self.0 += &format!(" {}", field.name);
//!         if let Some(unit) = field.annotations.unit {
//!             self.0 += &format!("[{unit}]");
//!         }
//!         Ok(())
//!     }
//!     fn u64(&mut self, v: u64) -> Result<(), Self::Error> {
//!         self.0 += &format!("={v}");
//!         Ok(())
//!     }
//!     fn u8(&mut self, v: u8) -> Result<(), Self::Error> {
//!         self.0 += &format!("={v}");
//!         Ok(())
//!     }
//! }
//! let mut p = Print(String::new());
//! dynamic::walk(def.root().unwrap(), &payload, &mut p).unwrap();
//! assert_eq!(p.0, " at_ms[ms]=1000 bpm=72");
//!
//! assert_eq!(dynamic::skip(def.root().unwrap(), &[0x01, 0x02, 0xFF]), Ok(2));
//! let err = dynamic::check(def.root().unwrap(), &[0x80]).unwrap_err();
//! assert_eq!(err.kind, dynamic::ErrorKind::PayloadTruncated);
//! ```

mod error;
mod reader;

pub use error::{Error, ErrorKind, Invalid};
pub(crate) use reader::Reader;

use crate::schema::{FieldRef, Kind, Node, VariantKind, VariantRef};

/// Receives the values of a payload from [`walk`], in payload order.
///
/// Every method has a default that does nothing, so a visitor implements only
/// the events it needs. Containers are reported as a `…_begin` event, one
/// event (such as [`element`](Visitor::element) or
/// [`field`](Visitor::field)) before each value inside, and a matching
/// `…_end` event. An error returned by a method stops the walk and is
/// returned by [`walk`].
///
/// The walk checks the payload as it goes: when it fails, the visitor has
/// already seen the values before the fault. Run [`check`] first when that
/// matters.
#[allow(unused_variables)]
pub trait Visitor<'a> {
    /// The error the walk returns: the visitor's own, or a payload fault.
    type Error: From<Error>;

    /// A bool.
    fn bool(&mut self, v: bool) -> Result<(), Self::Error> {
        Ok(())
    }
    /// A u8.
    fn u8(&mut self, v: u8) -> Result<(), Self::Error> {
        Ok(())
    }
    /// A u16.
    fn u16(&mut self, v: u16) -> Result<(), Self::Error> {
        Ok(())
    }
    /// A u32.
    fn u32(&mut self, v: u32) -> Result<(), Self::Error> {
        Ok(())
    }
    /// A u64.
    fn u64(&mut self, v: u64) -> Result<(), Self::Error> {
        Ok(())
    }
    /// A u128.
    fn u128(&mut self, v: u128) -> Result<(), Self::Error> {
        Ok(())
    }
    /// An i8.
    fn i8(&mut self, v: i8) -> Result<(), Self::Error> {
        Ok(())
    }
    /// An i16.
    fn i16(&mut self, v: i16) -> Result<(), Self::Error> {
        Ok(())
    }
    /// An i32.
    fn i32(&mut self, v: i32) -> Result<(), Self::Error> {
        Ok(())
    }
    /// An i64.
    fn i64(&mut self, v: i64) -> Result<(), Self::Error> {
        Ok(())
    }
    /// An i128.
    fn i128(&mut self, v: i128) -> Result<(), Self::Error> {
        Ok(())
    }
    /// An f32 (any bit pattern, NaNs included).
    fn f32(&mut self, v: f32) -> Result<(), Self::Error> {
        Ok(())
    }
    /// An f64 (any bit pattern, NaNs included).
    fn f64(&mut self, v: f64) -> Result<(), Self::Error> {
        Ok(())
    }
    /// A char.
    fn char(&mut self, v: char) -> Result<(), Self::Error> {
        Ok(())
    }
    /// A string, borrowed from the payload.
    fn str(&mut self, v: &'a str) -> Result<(), Self::Error> {
        Ok(())
    }
    /// Bytes, borrowed from the payload.
    fn bytes(&mut self, v: &'a [u8]) -> Result<(), Self::Error> {
        Ok(())
    }
    /// An option that is none.
    fn none(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
    /// An option that is some: its value of type `inner` follows.
    fn some_begin(&mut self, inner: Node<'a>) -> Result<(), Self::Error> {
        Ok(())
    }
    /// The end of an option that is some.
    fn some_end(&mut self, inner: Node<'a>) -> Result<(), Self::Error> {
        Ok(())
    }
    /// A unit.
    fn unit(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
    /// A unit struct.
    fn unit_struct(&mut self, name: &'a str) -> Result<(), Self::Error> {
        Ok(())
    }
    /// A newtype struct: its inner value follows.
    fn newtype_begin(&mut self, name: &'a str) -> Result<(), Self::Error> {
        Ok(())
    }
    /// The end of a newtype struct.
    fn newtype_end(&mut self, name: &'a str) -> Result<(), Self::Error> {
        Ok(())
    }
    /// A sequence of `len` elements.
    fn seq_begin(&mut self, len: usize) -> Result<(), Self::Error> {
        Ok(())
    }
    /// The end of a sequence.
    fn seq_end(&mut self, len: usize) -> Result<(), Self::Error> {
        Ok(())
    }
    /// A tuple of `len` elements.
    fn tuple_begin(&mut self, len: usize) -> Result<(), Self::Error> {
        Ok(())
    }
    /// The end of a tuple.
    fn tuple_end(&mut self, len: usize) -> Result<(), Self::Error> {
        Ok(())
    }
    /// A tuple struct of `len` elements.
    fn tuple_struct_begin(&mut self, name: &'a str, len: usize) -> Result<(), Self::Error> {
        Ok(())
    }
    /// The end of a tuple struct.
    fn tuple_struct_end(&mut self, name: &'a str, len: usize) -> Result<(), Self::Error> {
        Ok(())
    }
    /// An array of `len` elements.
    fn array_begin(&mut self, len: usize) -> Result<(), Self::Error> {
        Ok(())
    }
    /// The end of an array.
    fn array_end(&mut self, len: usize) -> Result<(), Self::Error> {
        Ok(())
    }
    /// Before each element of a sequence, tuple, tuple struct, array or
    /// tuple variant (`index` from 0).
    fn element(&mut self, index: usize) -> Result<(), Self::Error> {
        Ok(())
    }
    /// A map of `len` entries.
    fn map_begin(&mut self, len: usize) -> Result<(), Self::Error> {
        Ok(())
    }
    /// Before the key of entry `index`.
    fn map_key(&mut self, index: usize) -> Result<(), Self::Error> {
        Ok(())
    }
    /// Before the value of entry `index`.
    fn map_value(&mut self, index: usize) -> Result<(), Self::Error> {
        Ok(())
    }
    /// The end of a map.
    fn map_end(&mut self, len: usize) -> Result<(), Self::Error> {
        Ok(())
    }
    /// A struct of `len` fields.
    fn struct_begin(&mut self, name: &'a str, len: usize) -> Result<(), Self::Error> {
        Ok(())
    }
    /// Before the value of each field of a struct or struct variant (`index`
    /// from 0), with the field's name, annotations and type.
    fn field(&mut self, index: usize, field: &FieldRef<'a>) -> Result<(), Self::Error> {
        Ok(())
    }
    /// The end of a struct.
    fn struct_end(&mut self, name: &'a str, len: usize) -> Result<(), Self::Error> {
        Ok(())
    }
    /// A variant of enum `name`; its data follows: nothing for a unit
    /// variant, a value for a newtype variant, [`element`](Visitor::element)s
    /// for a tuple variant, [`field`](Visitor::field)s for a struct variant.
    fn variant_begin(
        &mut self,
        name: &'a str,
        variant: &VariantRef<'a>,
    ) -> Result<(), Self::Error> {
        Ok(())
    }
    /// The end of a variant.
    fn variant_end(&mut self, name: &'a str, variant: &VariantRef<'a>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Decodes `payload` as one value of type `ty`, reporting every value to
/// `visitor`. The whole payload must be that value.
///
/// Every element of a sequence, array or map takes at least one payload
/// byte, so each loop over elements runs at most once per payload byte;
/// work, and the number of values reported, are bounded by the payload's
/// length times the definition's size and depth.
pub fn walk<'a, V: Visitor<'a>>(
    ty: Node<'a>,
    payload: &'a [u8],
    visitor: &mut V,
) -> Result<(), V::Error> {
    let mut r = Reader::new(payload);
    value(&mut r, ty, visitor)?;
    r.end()?;
    Ok(())
}

/// Checks that `payload` is exactly one valid value of type `ty` (spec
/// `schema.md` §6). Work is bounded by the payload's length times the
/// definition's size.
pub fn check(ty: Node<'_>, payload: &[u8]) -> Result<(), Error> {
    let mut r = Reader::new(payload);
    value(&mut r, ty, &mut Check)?;
    r.end()
}

/// Checks the value of type `ty` at the start of `payload` and returns the
/// number of bytes it takes; bytes after it are not looked at.
pub fn skip(ty: Node<'_>, payload: &[u8]) -> Result<usize, Error> {
    let mut r = Reader::new(payload);
    value(&mut r, ty, &mut Check)?;
    Ok(r.pos)
}

/// The visitor of [`check`] and [`skip`].
struct Check;

impl Visitor<'_> for Check {
    type Error = Error;
}

/// Reads one value of type `ty`. Recursion is bounded by the definition's
/// depth limit; each loop over elements, by the payload bytes they take.
fn value<'a, V: Visitor<'a>>(r: &mut Reader<'a>, ty: Node<'a>, v: &mut V) -> Result<(), V::Error> {
    match ty.kind() {
        Kind::Bool => v.bool(r.bool()?),
        Kind::U8 => v.u8(r.byte()?),
        Kind::U16 => v.u16(r.u16()?),
        Kind::U32 => v.u32(r.u32()?),
        Kind::U64 => v.u64(r.u64()?),
        Kind::U128 => v.u128(r.u128()?),
        Kind::I8 => v.i8(r.byte()? as i8),
        Kind::I16 => v.i16(r.i16()?),
        Kind::I32 => v.i32(r.i32()?),
        Kind::I64 => v.i64(r.i64()?),
        Kind::I128 => v.i128(r.i128()?),
        Kind::F32 => v.f32(r.f32()?),
        Kind::F64 => v.f64(r.f64()?),
        Kind::Char => v.char(r.char()?),
        Kind::String => v.str(r.str()?),
        Kind::Bytes => v.bytes(r.bytes()?),
        Kind::Option(inner) => {
            if r.option()? {
                v.some_begin(inner)?;
                value(r, inner, v)?;
                v.some_end(inner)
            } else {
                v.none()
            }
        }
        Kind::Unit => v.unit(),
        Kind::UnitStruct { name } => v.unit_struct(name),
        Kind::NewtypeStruct { name, inner } => {
            v.newtype_begin(name)?;
            value(r, inner, v)?;
            v.newtype_end(name)
        }
        Kind::Seq(element) => {
            let n = r.count()?;
            v.seq_begin(n)?;
            for i in 0..n {
                v.element(i)?;
                value(r, element, v)?;
            }
            v.seq_end(n)
        }
        Kind::Tuple(elements) => {
            let n = elements.count();
            v.tuple_begin(n)?;
            for (i, e) in elements.enumerate() {
                v.element(i)?;
                value(r, e, v)?;
            }
            v.tuple_end(n)
        }
        Kind::TupleStruct { name, elements } => {
            let n = elements.count();
            v.tuple_struct_begin(name, n)?;
            for (i, e) in elements.enumerate() {
                v.element(i)?;
                value(r, e, v)?;
            }
            v.tuple_struct_end(name, n)
        }
        Kind::Array { len, element } => {
            let n = len as usize;
            v.array_begin(n)?;
            for i in 0..n {
                v.element(i)?;
                value(r, element, v)?;
            }
            v.array_end(n)
        }
        Kind::Map { key, value: val } => {
            let n = r.count()?;
            v.map_begin(n)?;
            for i in 0..n {
                v.map_key(i)?;
                value(r, key, v)?;
                v.map_value(i)?;
                value(r, val, v)?;
            }
            v.map_end(n)
        }
        Kind::Struct { name, fields } => {
            let n = fields.count();
            v.struct_begin(name, n)?;
            for (i, f) in fields.enumerate() {
                v.field(i, &f)?;
                value(r, f.ty, v)?;
            }
            v.struct_end(name, n)
        }
        Kind::Enum { name, mut variants } => {
            let count = variants.count() as u32;
            let index = r.variant(count)?;
            let Some(variant) = variants.nth(index as usize) else {
                // Unreachable: the index is below the count.
                return Ok(());
            };
            v.variant_begin(name, &variant)?;
            match variant.kind {
                VariantKind::Unit => {}
                VariantKind::Newtype(inner) => value(r, inner, v)?,
                VariantKind::Tuple(elements) => {
                    for (i, e) in elements.enumerate() {
                        v.element(i)?;
                        value(r, e, v)?;
                    }
                }
                VariantKind::Struct(fields) => {
                    for (i, f) in fields.enumerate() {
                        v.field(i, &f)?;
                        value(r, f.ty, v)?;
                    }
                }
            }
            v.variant_end(name, &variant)
        }
    }
}
