//! Record type definitions built at run time, encoded as `spec/schema.md`
//! specifies (the core crate's encoder works on compile-time descriptors).
//! Every definition built here is checked again by `Writer::declare`.

use std::collections::HashSet;

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

/// Encodes `ty` as a definition (`schema.md` §1–§3).
pub fn encode(ty: &Ty) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    put_ty(ty, &mut out)?;
    Ok(out)
}

/// Appends a varint (`format.md` §2.2).
pub fn put_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a zigzag varint.
pub fn put_zigzag(v: i64, out: &mut Vec<u8>) {
    put_varint(((v << 1) ^ (v >> 63)) as u64, out);
}

fn put_name(s: &str, out: &mut Vec<u8>) -> Result<(), Error> {
    if s.is_empty() || s.len() > 255 {
        return Err(Error::Definition(format!("bad name {s:?}")));
    }
    put_varint(s.len() as u64, out);
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn put_count(n: usize, max: usize, what: &str, out: &mut Vec<u8>) -> Result<(), Error> {
    if n > max {
        return Err(Error::Definition(format!("{n} {what} (at most {max})")));
    }
    put_varint(n as u64, out);
    Ok(())
}

fn put_ty(ty: &Ty, out: &mut Vec<u8>) -> Result<(), Error> {
    match ty {
        Ty::Bool => out.push(0x01),
        Ty::U8 => out.push(0x02),
        Ty::U16 => out.push(0x03),
        Ty::U32 => out.push(0x04),
        Ty::U64 => out.push(0x05),
        Ty::I8 => out.push(0x07),
        Ty::I16 => out.push(0x08),
        Ty::I32 => out.push(0x09),
        Ty::I64 => out.push(0x0A),
        Ty::F32 => out.push(0x0C),
        Ty::F64 => out.push(0x0D),
        Ty::Str => out.push(0x0F),
        Ty::Bytes => out.push(0x10),
        Ty::Option(inner) => {
            out.push(0x11);
            put_ty(inner, out)?;
        }
        Ty::Array(len, elem) => {
            if *len == 0 {
                return Err(Error::Definition("array of length 0".into()));
            }
            out.push(0x18);
            put_varint(u64::from(*len), out);
            put_ty(elem, out)?;
        }
        Ty::Struct(s) => {
            out.push(0x1A);
            put_name(&s.name, out)?;
            put_count(s.fields.len(), 255, "fields", out)?;
            for f in &s.fields {
                put_field(f, out)?;
            }
        }
        Ty::Enum { name, variants } => {
            out.push(0x1B);
            put_name(name, out)?;
            if variants.is_empty() {
                return Err(Error::Definition("enum without variants".into()));
            }
            put_count(variants.len(), 255, "variants", out)?;
            for (vname, data) in variants {
                put_name(vname, out)?;
                match data {
                    None => out.push(0x00),
                    Some(t) => {
                        out.push(0x01);
                        put_ty(t, out)?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn put_field(f: &FieldDef, out: &mut Vec<u8>) -> Result<(), Error> {
    put_name(&f.name, out)?;
    let mut flags = 0u8;
    if f.unit.is_some() {
        flags |= 0x01;
    }
    if f.description.is_some() {
        flags |= 0x02;
    }
    if f.scale.is_some() {
        flags |= 0x04;
    }
    if f.offset.is_some() {
        flags |= 0x08;
    }
    if f.time.is_some() {
        flags |= 0x10;
    }
    out.push(flags);
    if let Some(u) = &f.unit {
        put_name(u, out)?;
    }
    if let Some(d) = &f.description {
        put_name(d, out)?;
    }
    if let Some(s) = f.scale {
        if !s.is_finite() || s == 0.0 {
            return Err(Error::Definition(format!(
                "field {}: bad scale {s}",
                f.name
            )));
        }
        out.extend_from_slice(&s.to_le_bytes());
    }
    if let Some(o) = f.offset {
        if !o.is_finite() {
            return Err(Error::Definition(format!(
                "field {}: bad offset {o}",
                f.name
            )));
        }
        out.extend_from_slice(&o.to_le_bytes());
    }
    if let Some(t) = &f.time {
        if t.len() > 255 {
            return Err(Error::Definition("time base longer than 255 bytes".into()));
        }
        put_varint(t.len() as u64, out);
        out.extend_from_slice(t.as_bytes());
    }
    put_ty(&f.ty, out)
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
