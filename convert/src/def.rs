//! Record type definitions built at run time: the converters' type tree,
//! encoded by the core crate's `koffer::schema::Builder` (canonical bytes,
//! checked), and declared with `Writer::declare`.

use std::collections::HashSet;

use koffer::schema::{tag, Annotations, Builder};

use crate::Error;

/// A type of the definition encoding (`schema.md` §2), the subset the
/// converters need.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// bool: one byte.
    Bool,
    /// u8: one byte.
    U8,
    /// u16: varint.
    U16,
    /// u32: varint.
    U32,
    /// u64: varint.
    U64,
    /// i8: one byte.
    I8,
    /// i16: zigzag varint.
    I16,
    /// i32: zigzag varint.
    I32,
    /// i64: zigzag varint.
    I64,
    /// f32: 4 bytes little-endian.
    F32,
    /// f64: 8 bytes little-endian.
    F64,
    /// string: length, UTF-8.
    Str,
    /// bytes: length, bytes.
    Bytes,
    /// option: `00`, or `01` then the value.
    Option(Box<Ty>),
    /// fixed-length array (1..=65 535 elements).
    Array(u16, Box<Ty>),
    /// struct.
    Struct(StructTy),
    /// enum whose variants are unit (`None`) or newtype (`Some(type)`).
    Enum {
        /// The enum's name.
        name: String,
        /// Variant names and their data.
        variants: Vec<(String, Option<Ty>)>,
    },
}

/// A struct type: a name and its fields.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StructTy {
    /// The struct's name.
    pub name: String,
    /// Its fields, in order.
    pub fields: Vec<FieldDef>,
}

/// A struct field with its annotations (`schema.md` §3).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// Field name (1..=255 bytes; made unique by [`StructTy::push`]).
    pub name: String,
    /// Unit of the quantity.
    pub unit: Option<String>,
    /// Description for people.
    pub description: Option<String>,
    /// quantity = value × scale + offset.
    pub scale: Option<f64>,
    /// See `scale`.
    pub offset: Option<f64>,
    /// Time base if the field is a timestamp (`""` = the container's).
    pub time: Option<String>,
    /// The field's type.
    pub ty: Ty,
}

impl FieldDef {
    /// A field without annotations.
    pub fn new(name: impl Into<String>, ty: Ty) -> Self {
        FieldDef {
            name: name.into(),
            unit: None,
            description: None,
            scale: None,
            offset: None,
            time: None,
            ty,
        }
    }

    /// Sets the unit (ignored when empty).
    pub fn unit(mut self, unit: &str) -> Self {
        if !unit.is_empty() {
            self.unit = Some(clip(unit).to_string());
        }
        self
    }

    /// Sets the description (ignored when empty).
    pub fn describe(mut self, text: &str) -> Self {
        if !text.is_empty() {
            self.description = Some(clip(text).to_string());
        }
        self
    }

    /// Marks the field as a timestamp in `base`.
    pub fn time(mut self, base: &str) -> Self {
        self.time = Some(clip(base).to_string());
        self
    }
}

/// `s` cut to at most 255 bytes on a character boundary.
pub fn clip(s: &str) -> &str {
    clip_to(s, 255)
}

/// `s` cut to at most `max` bytes on a character boundary.
pub fn clip_to(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A valid definition name from `s`: at most 255 bytes, never empty.
pub fn name_of(s: &str, fallback: &str) -> String {
    let c = clip(s.trim_matches('\0'));
    if c.is_empty() {
        fallback.to_string()
    } else {
        c.to_string()
    }
}

impl StructTy {
    /// An empty struct named `name`.
    pub fn new(name: &str) -> Self {
        StructTy {
            name: name_of(name, "record"),
            fields: Vec::new(),
        }
    }

    /// Adds a field, renaming it (`name_2`, `name_3`, ...) if its name is taken.
    pub fn push(&mut self, mut field: FieldDef) {
        field.name = name_of(&field.name, "field");
        let taken: HashSet<&str> = self.fields.iter().map(|f| f.name.as_str()).collect();
        if taken.contains(field.name.as_str()) {
            let mut n = 2;
            loop {
                let candidate = format!("{}_{n}", clip_to(&field.name, 240));
                if !taken.contains(candidate.as_str()) {
                    field.name = candidate;
                    break;
                }
                n += 1;
            }
        }
        self.fields.push(field);
    }
}

/// Encodes `ty` as a definition (`schema.md` §1–§3), through the core
/// crate's run-time [`Builder`], which checks it.
pub fn encode(ty: &Ty) -> Result<Vec<u8>, Error> {
    let mut b = Builder::new();
    build(ty, &mut b);
    b.finish().map_err(|e| Error::Definition(e.to_string()))
}

fn build(ty: &Ty, b: &mut Builder) {
    let primitive = match ty {
        Ty::Bool => tag::BOOL,
        Ty::U8 => tag::U8,
        Ty::U16 => tag::U16,
        Ty::U32 => tag::U32,
        Ty::U64 => tag::U64,
        Ty::I8 => tag::I8,
        Ty::I16 => tag::I16,
        Ty::I32 => tag::I32,
        Ty::I64 => tag::I64,
        Ty::F32 => tag::F32,
        Ty::F64 => tag::F64,
        Ty::Str => tag::STRING,
        Ty::Bytes => tag::BYTES,
        Ty::Option(inner) => return build(inner, b.option()),
        Ty::Array(len, elem) => return build(elem, b.array(u32::from(*len))),
        Ty::Struct(s) => {
            b.struct_(&s.name, s.fields.len());
            for f in &s.fields {
                let annotations = Annotations {
                    unit: f.unit.as_deref(),
                    description: f.description.as_deref(),
                    scale: f.scale,
                    offset: f.offset,
                    time: f.time.as_deref(),
                };
                build(&f.ty, b.field(&f.name, annotations));
            }
            return;
        }
        Ty::Enum { name, variants } => {
            b.enum_(name, variants.len());
            for (vname, data) in variants {
                match data {
                    None => {
                        b.variant_unit(vname);
                    }
                    Some(t) => build(t, b.variant_newtype(vname)),
                }
            }
            return;
        }
    };
    b.primitive(primitive);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of `schema.md` §1.
    #[test]
    fn spec_example() {
        let mut s = StructTy::new("Beat");
        s.push(FieldDef::new("at_ms", Ty::U64).unit("ms").time(""));
        s.push(FieldDef::new("bpm", Ty::U8));
        let bytes = encode(&Ty::Struct(s)).unwrap();
        let expected = [
            0x1A, 0x04, b'B', b'e', b'a', b't', 0x02, 0x05, b'a', b't', b'_', b'm', b's', 0x11,
            0x02, b'm', b's', 0x00, 0x05, 0x03, b'b', b'p', b'm', 0x00, 0x02,
        ];
        assert_eq!(bytes, expected);
        koffer::schema::Definition::parse(&bytes).unwrap();
    }

    #[test]
    fn duplicate_names_are_renamed() {
        let mut s = StructTy::new("x");
        s.push(FieldDef::new("a", Ty::U8));
        s.push(FieldDef::new("a", Ty::U8));
        s.push(FieldDef::new("", Ty::U8));
        let names: Vec<_> = s.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "a_2", "field"]);
        koffer::schema::Definition::parse(&encode(&Ty::Struct(s)).unwrap()).unwrap();
    }
}
