//! Evolution: can a reader type read records written with another definition?
//! (spec `schema.md` §8)
//!
//! ```
//! use koffer::schema::{compare, Compat, Definition, Mismatch};
//! // writer: struct S { a: u8 }   reader: struct S { a: u8, b: u16 }
//! let writer = Definition::parse(b"\x1A\x01S\x01\x01a\x00\x02").unwrap();
//! let reader = Definition::parse(b"\x1A\x01S\x02\x01a\x00\x02\x01b\x00\x03").unwrap();
//! let c = compare(reader.root().unwrap(), writer.root().unwrap()).unwrap();
//! assert_eq!(c, Compat::AppendedFields { writer_fields: 1 });
//! // and the other way round, a field the reader does not know, is a mismatch:
//! let m = compare(writer.root().unwrap(), reader.root().unwrap()).unwrap_err();
//! assert_eq!(m.to_string(), "S.b: the writer has a field the reader lacks");
//! // A mismatch borrows the reader's definition only: it outlives the
//! // writer's bytes.
//! let m: Mismatch<'static> = {
//!     let file = b"\x1A\x01S\x02\x01a\x00\x02\x01b\x00\x03".to_vec();
//!     let theirs = Definition::parse(&file).unwrap();
//!     compare(writer.root().unwrap(), theirs.root().unwrap()).unwrap_err()
//! };
//! assert_eq!(m.path().collect::<Vec<_>>(), ["S", "b"]);
//! ```

// A `Mismatch` (152 bytes) is over clippy's size for an `Err`: it carries the
// writer's name of a field the reader lacks inline, so that it borrows only
// the reader's definition and a `TypedError` outlives the container. It is
// `Copy` and returned once, on the cold path, by host-side typed reading.
#![allow(clippy::result_large_err)]

use core::fmt;

use super::definition::{Elements, Fields, Kind, Node, VariantKind};

/// How a reader type relates to a writer's definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compat {
    /// Same layout (annotations may differ): decode directly.
    Same,
    /// The writer's fields are the first `writer_fields` fields of the reader's
    /// root struct; the reader's further fields take their default values.
    AppendedFields {
        /// Number of fields the writer wrote.
        writer_fields: usize,
    },
}

/// Where a reader type and a writer's definition first differ.
///
/// It borrows the reader's definition only (a reader type's is `'static`),
/// never the writer's: the name of a field the writer has and the reader
/// lacks is copied (its first [`Mismatch::MAX_EXTRA_NAME`] bytes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mismatch<'r> {
    path: [&'r str; Mismatch::MAX_PATH],
    depth: usize,
    /// The writer's name of the field the reader lacks ([`Difference::ExtraField`]).
    extra: [u8; Mismatch::MAX_EXTRA_NAME],
    extra_len: usize,
    /// What differs there.
    pub difference: Difference<'r>,
}

/// What differs between a reader type and a writer's definition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Difference<'r> {
    /// Different types (tags, spec `schema.md` §2).
    Type {
        /// The reader's tag.
        reader: u8,
        /// The writer's tag.
        writer: u8,
    },
    /// Different struct, enum, field or variant names.
    Name {
        /// The reader's name.
        reader: &'r str,
    },
    /// Different numbers of fields, variants, elements, or array lengths.
    Count {
        /// What is counted: "fields", "variants", "elements".
        what: &'static str,
        /// The reader's count.
        reader: u64,
        /// The writer's count.
        writer: u64,
    },
    /// The writer has a field the reader lacks; the path ends with the
    /// writer's name for it.
    ExtraField,
    /// One of the two has no layout (an empty definition).
    Undescribed,
}

impl<'r> Mismatch<'r> {
    /// Longest path kept; deeper paths keep their first segments.
    pub const MAX_PATH: usize = 4;
    /// Longest part of a writer's field name kept (longer names are cut at a
    /// character boundary).
    pub const MAX_EXTRA_NAME: usize = 32;

    fn new(difference: Difference<'r>) -> Self {
        Mismatch {
            path: [""; Self::MAX_PATH],
            depth: 0,
            extra: [0; Self::MAX_EXTRA_NAME],
            extra_len: 0,
            difference,
        }
    }

    /// A field named `name` in the writer's definition that the reader lacks.
    fn extra_field(name: &str) -> Self {
        let mut m = Mismatch::new(Difference::ExtraField);
        let mut len = name.len().min(Self::MAX_EXTRA_NAME);
        while !name.is_char_boundary(len) {
            len -= 1;
        }
        m.extra[..len].copy_from_slice(&name.as_bytes()[..len]);
        m.extra_len = len;
        m
    }

    /// The path to the difference, outermost first (type name, then field
    /// names; for [`Difference::ExtraField`], last, the writer's field name).
    pub fn path(&self) -> impl Iterator<Item = &str> + '_ {
        let extra = match self.difference {
            Difference::ExtraField => core::str::from_utf8(&self.extra[..self.extra_len]).ok(),
            _ => None,
        };
        self.path[..self.depth].iter().copied().chain(extra)
    }
}

impl fmt::Display for Mismatch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.path().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(p)?;
        }
        if self.depth > 0 || self.extra_len > 0 {
            f.write_str(": ")?;
        }
        match self.difference {
            Difference::Type { reader, writer } => write!(
                f,
                "the writer's type (tag {writer:#04x}) is not the reader's (tag {reader:#04x})"
            ),
            Difference::Name { reader } => write!(f, "the writer's name differs from {reader:?}"),
            Difference::Count {
                what,
                reader,
                writer,
            } => write!(f, "the writer has {writer} {what}, the reader {reader}"),
            Difference::ExtraField => f.write_str("the writer has a field the reader lacks"),
            Difference::Undescribed => f.write_str("a layout is not described"),
        }
    }
}

/// Adds `segment` in front of the mismatch's path.
fn within<'r>(segment: &'r str, r: Result<(), Mismatch<'r>>) -> Result<(), Mismatch<'r>> {
    r.map_err(|mut m| {
        if m.depth < Mismatch::MAX_PATH {
            m.path.copy_within(0..m.depth, 1);
            m.depth += 1;
        } else {
            m.path.copy_within(0..Mismatch::MAX_PATH - 1, 1);
        }
        m.path[0] = segment;
        m
    })
}

fn count<'r>(what: &'static str, reader: usize, writer: usize) -> Result<(), Mismatch<'r>> {
    if reader != writer {
        return Err(Mismatch::new(Difference::Count {
            what,
            reader: reader as u64,
            writer: writer as u64,
        }));
    }
    Ok(())
}

fn name<'r>(reader: &'r str, writer: &str) -> Result<(), Mismatch<'r>> {
    if reader != writer {
        return Err(Mismatch::new(Difference::Name { reader }));
    }
    Ok(())
}

/// Checks that two types have the same layout and names, ignoring annotations.
/// Recursion is bounded by the depth limit both definitions passed.
pub fn same_layout<'r>(reader: Node<'r>, writer: Node<'_>) -> Result<(), Mismatch<'r>> {
    if reader.tag() != writer.tag() {
        return Err(Mismatch::new(Difference::Type {
            reader: reader.tag(),
            writer: writer.tag(),
        }));
    }
    match (reader.kind(), writer.kind()) {
        (Kind::Option(r), Kind::Option(w)) | (Kind::Seq(r), Kind::Seq(w)) => same_layout(r, w),
        (Kind::UnitStruct { name: r }, Kind::UnitStruct { name: w }) => name(r, w),
        (
            Kind::NewtypeStruct { name: rn, inner: r },
            Kind::NewtypeStruct { name: wn, inner: w },
        ) => {
            name(rn, wn)?;
            within(rn, same_layout(r, w))
        }
        (Kind::Tuple(r), Kind::Tuple(w)) => same_elements(r, w),
        (
            Kind::TupleStruct {
                name: rn,
                elements: r,
            },
            Kind::TupleStruct {
                name: wn,
                elements: w,
            },
        ) => {
            name(rn, wn)?;
            within(rn, same_elements(r, w))
        }
        (
            Kind::Array {
                len: rl,
                element: r,
            },
            Kind::Array {
                len: wl,
                element: w,
            },
        ) => {
            count("array elements", rl as usize, wl as usize)?;
            same_layout(r, w)
        }
        (Kind::Map { key: rk, value: rv }, Kind::Map { key: wk, value: wv }) => {
            same_layout(rk, wk)?;
            same_layout(rv, wv)
        }
        (
            Kind::Struct {
                name: rn,
                fields: r,
            },
            Kind::Struct {
                name: wn,
                fields: w,
            },
        ) => {
            name(rn, wn)?;
            within(rn, same_fields(r, w))
        }
        (
            Kind::Enum {
                name: rn,
                variants: r,
            },
            Kind::Enum {
                name: wn,
                variants: w,
            },
        ) => {
            name(rn, wn)?;
            within(rn, count("variants", r.count(), w.count()))?;
            within(
                rn,
                r.zip(w).try_for_each(|(r, w)| {
                    within(r.name, name(r.name, w.name))?;
                    within(r.name, same_variant(r.kind, w.kind))
                }),
            )
        }
        // Equal tags without inner structure.
        _ => Ok(()),
    }
}

/// Same number of elements, each of the same layout.
fn same_elements<'r>(reader: Elements<'r>, writer: Elements<'_>) -> Result<(), Mismatch<'r>> {
    count("elements", reader.count(), writer.count())?;
    reader.zip(writer).try_for_each(|(r, w)| same_layout(r, w))
}

/// Same number of fields, each with the same name and layout.
fn same_fields<'r>(reader: Fields<'r>, writer: Fields<'_>) -> Result<(), Mismatch<'r>> {
    count("fields", reader.count(), writer.count())?;
    reader.zip(writer).try_for_each(|(r, w)| {
        within(r.name, name(r.name, w.name))?;
        within(r.name, same_layout(r.ty, w.ty))
    })
}

fn same_variant<'r>(reader: VariantKind<'r>, writer: VariantKind<'_>) -> Result<(), Mismatch<'r>> {
    match (reader, writer) {
        (VariantKind::Unit, VariantKind::Unit) => Ok(()),
        (VariantKind::Newtype(r), VariantKind::Newtype(w)) => same_layout(r, w),
        (VariantKind::Tuple(r), VariantKind::Tuple(w)) => same_elements(r, w),
        (VariantKind::Struct(r), VariantKind::Struct(w)) => same_fields(r, w),
        _ => Err(Mismatch::new(Difference::Count {
            what: "kinds of variant data",
            reader: 0,
            writer: 1,
        })),
    }
}

/// Compares a reader type with a writer's definition (spec `schema.md` §8
/// rules 2 and 3; rule 1, equal fingerprints, is the caller's fast path).
pub fn compare<'r>(reader: Node<'r>, writer: Node<'_>) -> Result<Compat, Mismatch<'r>> {
    if let (
        Kind::Struct {
            name: rn,
            fields: r,
        },
        Kind::Struct {
            name: wn,
            fields: w,
        },
    ) = (reader.kind(), writer.kind())
    {
        name(rn, wn)?;
        let (rc, wc) = (r.count(), w.count());
        let mut r = r;
        for wf in w {
            let Some(rf) = r.next() else {
                let extra = Err(Mismatch::extra_field(wf.name));
                return within(rn, extra).map(|()| Compat::Same);
            };
            within(rn, within(rf.name, name(rf.name, wf.name)))?;
            within(rn, within(rf.name, same_layout(rf.ty, wf.ty)))?;
        }
        return Ok(if rc == wc {
            Compat::Same
        } else {
            Compat::AppendedFields { writer_fields: wc }
        });
    }
    same_layout(reader, writer).map(|()| Compat::Same)
}

/// A mismatch for definitions of which one is empty.
pub fn undescribed<'r>() -> Mismatch<'r> {
    Mismatch::new(Difference::Undescribed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Definition;

    /// `struct S { <reader's fields> }` and the writer's `S` with one more
    /// field named `extra`.
    fn extra_field_mismatch(extra: &str) -> ([u8; 64], usize) {
        let mut def = [0u8; 64];
        let head = b"\x1A\x01S\x02\x01a\x00\x02";
        def[..head.len()].copy_from_slice(head);
        let mut n = head.len();
        def[n] = extra.len() as u8;
        n += 1;
        def[n..n + extra.len()].copy_from_slice(extra.as_bytes());
        n += extra.len();
        def[n..n + 2].copy_from_slice(b"\x00\x02");
        (def, n + 2)
    }

    #[test]
    fn an_extra_field_name_is_copied_and_cut_at_a_character_boundary() {
        let reader = Definition::parse(b"\x1A\x01S\x01\x01a\x00\x02").unwrap();
        // 31 ASCII bytes, then 'é' (2 bytes) across the 32-byte cut, then more.
        let long = "abcdefghijklmnopqrstuvwxyz01234\u{e9}tail";
        for (name, kept) in [
            ("b", "b"),
            (long, "abcdefghijklmnopqrstuvwxyz01234"),
            (
                "0123456789abcdef0123456789abcdef",
                "0123456789abcdef0123456789abcdef",
            ),
        ] {
            let (bytes, len) = extra_field_mismatch(name);
            let m = {
                let writer = Definition::parse(&bytes[..len]).unwrap();
                compare(reader.root().unwrap(), writer.root().unwrap()).unwrap_err()
            };
            assert_eq!(m.difference, Difference::ExtraField);
            let mut path = m.path();
            assert_eq!(path.next(), Some("S"));
            assert_eq!(path.next(), Some(kept));
            assert_eq!(path.next(), None);
        }
    }
}
