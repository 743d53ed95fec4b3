//! A record type's CSV row, compiled once from its definition: one cell
//! writer a leaf column, each reading its value straight from the payload
//! into the line (integers, bools, floats, strings, bytes, unit variants,
//! options of them), with the cells exactly as [`cells`](super::cells)
//! makes them and quoted as spec `export-json.md` §8 says.
//!
//! A cell's direct writer takes only the values it knows to be valid: a
//! canonical varint of at most nine bytes, a bool or option tag of 0 or 1,
//! UTF-8 text, a variant index in range. Everything else — a value it does
//! not read directly (sequences, maps, tuples, enums with data, scaled
//! `f32`s) or a byte it does not accept — is written by the leaf's JSON
//! [`Exporter`] and the cell rules, which also name the fault of a payload
//! that does not follow its definition. So the direct writers change how
//! fast a row is written, never what is written or which error is reported.

use std::io::Write as _;

use koffer::json::Exporter;
use koffer::schema::{Kind, Node, VariantKind};

use super::{cell_text, csv_cell, csv_cell_bytes, Scaling};

/// The compiled row of a record type.
pub(super) struct RowPlan {
    cells: Vec<Cell>,
}

/// One leaf column.
struct Cell {
    /// How its value is written directly, if it is.
    leaf: Leaf,
    /// The leaf's JSON exporter: the general path.
    exporter: Exporter,
    scaling: Scaling,
}

/// A value a cell writes directly.
enum Leaf {
    Bool,
    U8,
    /// An unsigned varint up to `max`.
    Uint(u64),
    I8,
    /// A zigzag varint up to `max` (its unsigned form).
    Int(u64),
    /// An f32 or f64 without scaling: its JSON text, unquoted (`NaN`, `inf`).
    F32,
    F64,
    /// An integer of this kind with a scale or offset: its quantity.
    Scaled(Num, Scaling),
    /// An f64 with a scale or offset: its quantity (non-finite values by
    /// the general path).
    ScaledF64(Scaling),
    Str,
    Char,
    Bytes,
    /// A unit or unit struct: an empty cell, no bytes.
    Empty,
    /// An option whose inner type does not map to `null`.
    Option(Box<Leaf>),
    /// An enum: a unit variant's cell, quoted as needed; `None` for a
    /// variant with data (by the general path).
    Enum(Vec<Option<Box<[u8]>>>),
    /// Everything else: by the general path.
    General,
}

/// The integer kinds of [`Leaf::Scaled`].
#[derive(Clone, Copy)]
enum Num {
    U8,
    I8,
    Uint(u64),
    Int(u64),
}

impl RowPlan {
    pub(super) fn new(root: Node<'_>) -> Self {
        fn walk(node: Node<'_>, scaling: Scaling, out: &mut Vec<Cell>) {
            if let Kind::Struct { fields, .. } = node.kind() {
                for f in fields {
                    let scaling = Scaling {
                        scale: f.annotations.scale,
                        offset: f.annotations.offset,
                    };
                    walk(f.ty, scaling, out);
                }
                return;
            }
            out.push(Cell {
                leaf: Leaf::of(node, scaling),
                exporter: Exporter::new(node),
                scaling,
            });
        }
        let mut cells = Vec::new();
        walk(root, Scaling::NONE, &mut cells);
        RowPlan { cells }
    }

    /// Appends the CSV line (with its `\r\n`) of the value at the start of
    /// `bytes` to `line`; returns the bytes it took. On a fault, `line`
    /// may hold part of the row: the caller cuts it off. `json` is scratch.
    pub(super) fn row(
        &self,
        bytes: &[u8],
        line: &mut Vec<u8>,
        json: &mut Vec<u8>,
    ) -> Result<usize, koffer::dynamic::Error> {
        let mut pos = 0;
        for (i, cell) in self.cells.iter().enumerate() {
            if i > 0 {
                line.push(b',');
            }
            let mark = line.len();
            let mut r = Cur { b: bytes, pos };
            if cell.leaf.write(&mut r, line).is_some() {
                pos = r.pos;
                continue;
            }
            line.truncate(mark);
            let n = cell.general(&bytes[pos..], line, json).map_err(|mut e| {
                e.offset += pos;
                e
            })?;
            pos += n;
        }
        line.extend_from_slice(b"\r\n");
        Ok(pos)
    }
}

impl Cell {
    /// The cell by its value's JSON text and the rules of `export-json.md`
    /// §8 (what [`cells`](super::cells) does); returns the bytes it took.
    fn general(
        &self,
        bytes: &[u8],
        line: &mut Vec<u8>,
        json: &mut Vec<u8>,
    ) -> Result<usize, koffer::dynamic::Error> {
        json.clear();
        let n = self.exporter.append_prefix(bytes, json)?;
        let text = json.as_slice();
        let plain = self.scaling.is_none();
        if plain && text.first() == Some(&b'"') && !text.contains(&b'\\') {
            // A string without escapes: its characters, as `cell_text` reads them.
            csv_cell_bytes(&text[1..text.len() - 1], line);
        } else if plain && matches!(text.first(), Some(b'-' | b'0'..=b'9')) {
            // A JSON number: nothing in it needs quotes.
            line.extend_from_slice(text);
        } else if plain && text != b"null" && text.first() != Some(&b'"') {
            csv_cell_bytes(text, line);
        } else {
            // The JSON is UTF-8: strings and names are UTF-8, the rest ASCII.
            let text = core::str::from_utf8(text).unwrap_or_default();
            csv_cell(&self.scaling.apply(cell_text(text)), line);
        }
        Ok(n)
    }
}

impl Leaf {
    fn of(node: Node<'_>, scaling: Scaling) -> Leaf {
        let kind = node.kind();
        if !scaling.is_none() {
            // Only numbers are scaled; other cells stay as they are, which
            // the general path decides.
            return match kind {
                Kind::F64 => Leaf::ScaledF64(scaling),
                Kind::Option(inner) if !koffer::json::maps_to_null(inner) => {
                    match Leaf::of(inner, scaling) {
                        Leaf::General => Leaf::General,
                        leaf => Leaf::Option(Box::new(leaf)),
                    }
                }
                Kind::NewtypeStruct { inner, .. } => Leaf::of(inner, scaling),
                _ => match Num::of(&kind) {
                    Some(num) => Leaf::Scaled(num, scaling),
                    None => Leaf::General,
                },
            };
        }
        match kind {
            Kind::Bool => Leaf::Bool,
            Kind::U8 => Leaf::U8,
            Kind::U16 => Leaf::Uint(u16::MAX.into()),
            Kind::U32 => Leaf::Uint(u32::MAX.into()),
            Kind::U64 | Kind::U128 => Leaf::Uint(u64::MAX),
            Kind::I8 => Leaf::I8,
            Kind::I16 => Leaf::Int(u16::MAX.into()),
            Kind::I32 => Leaf::Int(u32::MAX.into()),
            Kind::I64 | Kind::I128 => Leaf::Int(u64::MAX),
            Kind::F32 => Leaf::F32,
            Kind::F64 => Leaf::F64,
            Kind::Char => Leaf::Char,
            Kind::String => Leaf::Str,
            Kind::Bytes => Leaf::Bytes,
            Kind::Unit | Kind::UnitStruct { .. } => Leaf::Empty,
            Kind::NewtypeStruct { inner, .. } => Leaf::of(inner, scaling),
            Kind::Option(inner) if !koffer::json::maps_to_null(inner) => {
                match Leaf::of(inner, scaling) {
                    Leaf::General => Leaf::General,
                    leaf => Leaf::Option(Box::new(leaf)),
                }
            }
            Kind::Enum { variants, .. } => Leaf::Enum(
                variants
                    .map(|v| match v.kind {
                        VariantKind::Unit => {
                            let mut cell = Vec::new();
                            csv_cell(v.name, &mut cell);
                            Some(cell.into_boxed_slice())
                        }
                        _ => None,
                    })
                    .collect(),
            ),
            _ => Leaf::General,
        }
    }

    /// Writes the cell of the value at `r` to `line` and moves `r` past it;
    /// `None` when the general path has to (`line` may then hold part of
    /// the cell, and `r` is left anywhere).
    #[inline]
    fn write(&self, r: &mut Cur<'_>, line: &mut Vec<u8>) -> Option<()> {
        match self {
            Leaf::Bool => {
                line.extend_from_slice(if r.bool()? { b"true" } else { b"false" });
            }
            Leaf::U8 => int(line, r.byte()?),
            Leaf::Uint(max) => int(line, r.varint(*max)?),
            Leaf::I8 => int(line, r.byte()? as i8),
            Leaf::Int(max) => int(line, unzigzag(r.varint(*max)?)),
            Leaf::F32 => float(line, |line| {
                koffer::json::append_f32(f32::from_le_bytes(r.array()?), line);
                Some(())
            })?,
            Leaf::F64 => float(line, |line| {
                koffer::json::append_f64(f64::from_le_bytes(r.array()?), line);
                Some(())
            })?,
            Leaf::Scaled(num, scaling) => {
                let v = num.read(r)?;
                let _ = write!(line, "{}", scaling.quantity(v));
            }
            Leaf::ScaledF64(scaling) => {
                let v = f64::from_le_bytes(r.array()?);
                if !v.is_finite() {
                    return None;
                }
                let _ = write!(line, "{}", scaling.quantity(v));
            }
            Leaf::Str => {
                let s = r.bytes()?;
                core::str::from_utf8(s).ok()?;
                csv_cell_bytes(s, line);
            }
            Leaf::Char => {
                let n = r.varint(4)?;
                let s = r.take(n as usize)?;
                let mut chars = core::str::from_utf8(s).ok()?.chars();
                if n == 0 || chars.next().is_none() || chars.next().is_some() {
                    return None;
                }
                csv_cell_bytes(s, line);
            }
            Leaf::Bytes => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                for &b in r.bytes()? {
                    line.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
                }
            }
            Leaf::Empty => {}
            Leaf::Option(inner) => {
                if r.bool()? {
                    inner.write(r, line)?;
                }
            }
            Leaf::Enum(variants) => {
                let index = r.varint(u32::MAX.into())?;
                line.extend_from_slice(variants.get(index as usize)?.as_deref()?);
            }
            Leaf::General => return None,
        }
        Some(())
    }
}

impl Num {
    fn of(kind: &Kind<'_>) -> Option<Num> {
        Some(match kind {
            Kind::U8 => Num::U8,
            Kind::U16 => Num::Uint(u16::MAX.into()),
            Kind::U32 => Num::Uint(u32::MAX.into()),
            Kind::U64 | Kind::U128 => Num::Uint(u64::MAX),
            Kind::I8 => Num::I8,
            Kind::I16 => Num::Int(u16::MAX.into()),
            Kind::I32 => Num::Int(u32::MAX.into()),
            Kind::I64 | Kind::I128 => Num::Int(u64::MAX),
            _ => return None,
        })
    }

    /// The integer as the nearest `f64` (what its decimal text parses to).
    fn read(self, r: &mut Cur<'_>) -> Option<f64> {
        Some(match self {
            Num::U8 => f64::from(r.byte()?),
            Num::I8 => f64::from(r.byte()? as i8),
            Num::Uint(max) => r.varint(max)? as f64,
            Num::Int(max) => unzigzag(r.varint(max)?) as f64,
        })
    }
}

/// Appends a float's JSON text by `write`, unquoted: `NaN`, `inf`, `-inf`
/// and `nan:0x…` need no quotes in CSV.
#[inline]
fn float(line: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>) -> Option<()>) -> Option<()> {
    let mark = line.len();
    write(line)?;
    if line.last() == Some(&b'"') {
        line.pop();
        line.remove(mark);
    }
    Some(())
}

/// Appends an integer's decimal digits.
#[inline]
fn int(line: &mut Vec<u8>, v: impl itoa::Integer) {
    line.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// A zigzag-encoded integer of at most 64 bits.
#[inline]
fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// A position in a payload, for the direct writers: each read returns
/// `None` for anything it does not accept, valid or not.
struct Cur<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cur<'a> {
    #[inline]
    fn byte(&mut self) -> Option<u8> {
        let b = *self.b.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    #[inline]
    fn bool(&mut self) -> Option<bool> {
        match self.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    #[inline]
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    /// A canonical varint of at most nine bytes and at most `max` (longer
    /// ones, 2^63 and up, are left to the general path). A canonical varint
    /// of n bytes is at least 2^(7(n − 1)), so `max` also bounds its length
    /// as the payload rules do (3 bytes for u16, 5 for u32).
    #[inline]
    fn varint(&mut self, max: u64) -> Option<u64> {
        let first = self.byte()?;
        if first < 0x80 {
            return (u64::from(first) <= max).then_some(u64::from(first));
        }
        let mut v = u64::from(first & 0x7F);
        let mut shift = 7;
        loop {
            let b = self.byte()?;
            v |= u64::from(b & 0x7F) << shift;
            if b < 0x80 {
                // A last byte of 0 is not canonical.
                return (b != 0 && v <= max).then_some(v);
            }
            shift += 7;
            if shift > 56 {
                return None;
            }
        }
    }

    /// A length-prefixed run of bytes.
    #[inline]
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.varint(u64::MAX)?;
        self.take(usize::try_from(n).ok()?)
    }
}

#[cfg(test)]
mod tests {
    use koffer::schema::{Annotations, Builder, Definition};

    use super::super::{cells, csv_cell};
    use super::RowPlan;

    /// xorshift64*: the same cases on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// A varint of `v`, sometimes in a form the payload rules refuse (a
    /// trailing zero byte) or cut short.
    fn varint(rng: &mut Rng, mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push(v as u8 | 0x80);
            v >>= 7;
        }
        match rng.below(1000) {
            0 => out.extend_from_slice(&[v as u8 | 0x80, 0]),
            1 => out.push(v as u8 | 0x80),
            _ => out.push(v as u8),
        }
    }

    /// Integers near the edges of every width, and some at random.
    fn number(rng: &mut Rng, max: u64) -> u64 {
        const EDGES: [u64; 14] = [
            0,
            1,
            2,
            127,
            128,
            255,
            256,
            16_383,
            16_384,
            65_535,
            65_536,
            u32::MAX as u64,
            i64::MAX as u64,
            u64::MAX,
        ];
        let v = match rng.below(3) {
            0 => EDGES[rng.below(EDGES.len() as u64) as usize],
            1 => rng.next() >> rng.below(64),
            _ => rng.below(300),
        };
        // Now and then beyond its type's range.
        if v > max && rng.below(100) != 0 {
            v % (max + 1)
        } else {
            v
        }
    }

    /// Text with the characters CSV quoting and JSON escaping look at.
    fn text(rng: &mut Rng, out: &mut Vec<u8>) {
        const PIECES: [&[u8]; 11] = [
            b"a",
            b" ",
            b",",
            b"\"",
            b"\r",
            b"\n",
            b"\\",
            b"\t",
            "é".as_bytes(),
            b"\x01",
            b"xyz",
        ];
        let mut s = Vec::new();
        for _ in 0..rng.below(5) {
            s.extend_from_slice(PIECES[rng.below(PIECES.len() as u64) as usize]);
        }
        if rng.below(500) == 0 {
            // Not UTF-8.
            s.push(0xFF);
        }
        varint(rng, s.len() as u64, out);
        out.extend_from_slice(&s);
    }

    fn float(rng: &mut Rng, bits: u32, out: &mut Vec<u8>) {
        let v: f64 = match rng.below(8) {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => -0.0,
            3 => 1e-6,
            4 => 1e16,
            _ => (rng.next() as i64 as f64) / (rng.next() >> rng.below(64)).max(1) as f64,
        };
        if bits == 32 {
            let b = if rng.below(10) == 0 {
                0x7FC0_0001
            } else {
                (v as f32).to_bits()
            };
            out.extend_from_slice(&b.to_le_bytes());
        } else {
            let b = if rng.below(10) == 0 {
                0x7FF0_0000_0000_0001
            } else {
                v.to_bits()
            };
            out.extend_from_slice(&b.to_le_bytes());
        }
    }

    /// One field's value, mostly valid.
    fn value(rng: &mut Rng, field: &str, out: &mut Vec<u8>) {
        let tag = |rng: &mut Rng| {
            if rng.below(500) == 0 {
                2
            } else {
                rng.below(2) as u8
            }
        };
        match field {
            "bool" | "unit_opt" => out.push(tag(rng)),
            "u8" | "i8" => out.push(number(rng, u64::MAX) as u8),
            "u16" | "u32" | "u64" | "u128" | "i16" | "i32" | "i64" | "i128" | "scaled_i16"
            | "newtype" => {
                let max = match field {
                    "u16" | "i16" | "scaled_i16" | "newtype" => u16::MAX.into(),
                    "u32" | "i32" => u32::MAX.into(),
                    _ => u64::MAX,
                };
                let v = number(rng, max);
                varint(rng, v, out)
            }
            "f32" | "scaled_f32" => float(rng, 32, out),
            "f64" | "scaled_f64" => float(rng, 64, out),
            "char" => {
                let c = ['a', ',', ' ', '"', 'é', '\n', '€', '😀'][rng.below(8) as usize];
                let mut b = [0u8; 4];
                let s = c.encode_utf8(&mut b).as_bytes();
                let n = s.len() as u64 + u64::from(rng.below(500) == 0);
                varint(rng, n, out);
                out.extend_from_slice(s);
            }
            "string" => text(rng, out),
            "bytes" => {
                let n = rng.below(4);
                varint(rng, n, out);
                (0..n).for_each(|_| out.push(rng.next() as u8));
            }
            "opt_u32" | "scaled_opt" => {
                let t = tag(rng);
                out.push(t);
                if t == 1 {
                    let v = number(rng, u32::MAX.into());
                    varint(rng, v, out);
                }
            }
            "opt_f64" => {
                let t = tag(rng);
                out.push(t);
                if t == 1 {
                    float(rng, 64, out);
                }
            }
            "opt_opt" => {
                let t = tag(rng);
                out.push(t);
                if t == 1 {
                    let u = tag(rng);
                    out.push(u);
                    if u == 1 {
                        out.push(rng.next() as u8);
                    }
                }
            }
            "enum" => {
                let variants = if rng.below(100) == 0 { 5 } else { 4 };
                let v = rng.below(variants);
                varint(rng, v, out);
                if v == 1 {
                    out.push(rng.next() as u8);
                }
            }
            "seq" => {
                let n = rng.below(4);
                varint(rng, n, out);
                (0..n).for_each(|_| text(rng, out));
            }
            _ => {}
        }
    }

    const FIELDS: [&str; 28] = [
        "bool",
        "u8",
        "u16",
        "u32",
        "u64",
        "u128",
        "i8",
        "i16",
        "i32",
        "i64",
        "i128",
        "f32",
        "f64",
        "char",
        "string",
        "bytes",
        "unit",
        "opt_u32",
        "opt_f64",
        "opt_opt",
        "unit_opt",
        "newtype",
        "enum",
        "seq",
        "scaled_i16",
        "scaled_f64",
        "scaled_f32",
        "scaled_opt",
    ];

    fn definition() -> Vec<u8> {
        let mut b = Builder::new();
        let none = Annotations::default;
        b.struct_("All", FIELDS.len() - 3);
        for f in &FIELDS[..FIELDS.len() - 4] {
            b.field(f, none());
            match *f {
                "bool" => b.bool(),
                "u8" => b.u8(),
                "u16" => b.u16(),
                "u32" => b.u32(),
                "u64" => b.u64(),
                "u128" => b.u128(),
                "i8" => b.i8(),
                "i16" => b.i16(),
                "i32" => b.i32(),
                "i64" => b.i64(),
                "i128" => b.i128(),
                "f32" => b.f32(),
                "f64" => b.f64(),
                "char" => b.char(),
                "string" => b.string(),
                "bytes" => b.bytes(),
                "unit" => b.unit(),
                "opt_u32" => b.option().u32(),
                "opt_f64" => b.option().f64(),
                "opt_opt" => b.option().option().u8(),
                "unit_opt" => b.option().unit(),
                "newtype" => b.newtype_struct("Id").u16(),
                "enum" => b
                    .enum_("Mode", 4)
                    .variant_unit("Rest")
                    .variant_newtype("Level")
                    .u8()
                    .variant_unit("a, \"b\"")
                    .variant_unit(" c"),
                "seq" => b.seq().string(),
                _ => unreachable!(),
            };
        }
        // A nested struct of scaled numbers: flattened into four columns.
        b.field("scaled", none()).struct_("Scaled", 4);
        let scaled = |scale, offset| Annotations {
            scale: Some(scale),
            offset: Some(offset),
            ..Annotations::default()
        };
        b.field("scaled_i16", scaled(0.2, -500.0)).i16();
        b.field("scaled_f64", scaled(0.01, 0.0)).f64();
        b.field("scaled_f32", scaled(1.5, 0.25)).f32();
        b.field("scaled_opt", scaled(1.0 / 3.0, 7.0)).option().u32();
        b.finish().unwrap()
    }

    /// The reference: [`cells`] (one value at a time through its JSON),
    /// quoted and joined.
    fn reference(
        root: koffer::schema::Node<'_>,
        payload: &[u8],
    ) -> Result<(usize, Vec<u8>), koffer::dynamic::Error> {
        let mut row = Vec::new();
        let n = cells(root, payload, &mut row)?;
        let mut line = Vec::new();
        for (i, c) in row.iter().enumerate() {
            if i > 0 {
                line.push(b',');
            }
            csv_cell(c, &mut line);
        }
        line.extend_from_slice(b"\r\n");
        Ok((n, line))
    }

    #[test]
    fn compiled_rows_are_the_cells_and_report_the_same_faults() {
        let bytes = definition();
        let def = Definition::parse(&bytes).unwrap();
        let root = def.root().unwrap();
        let plan = RowPlan::new(root);
        let mut rng = Rng(0x5EED_C5F0_2026_1206);
        let (mut ok, mut bad) = (0, 0);
        let (mut line, mut json) = (Vec::new(), Vec::new());
        for case in 0..20_000 {
            let mut payload = Vec::new();
            for f in FIELDS {
                value(&mut rng, f, &mut payload);
            }
            match rng.below(10) {
                0 => payload.truncate(rng.below(payload.len() as u64 + 1) as usize),
                1 => {
                    let i = rng.below(payload.len() as u64) as usize;
                    payload[i] = rng.next() as u8;
                }
                _ => {}
            }
            line.clear();
            line.extend_from_slice(b"before");
            let got = plan
                .row(&payload, &mut line, &mut json)
                .map(|n| (n, line[6..].to_vec()));
            let want = reference(root, &payload);
            assert_eq!(got, want, "case {case}: payload {payload:02x?}");
            if want.is_ok() {
                ok += 1;
            } else {
                bad += 1;
            }
        }
        // Both outcomes were exercised, many times.
        assert!(ok > 2_000 && bad > 2_000, "{ok} rows, {bad} faults");
    }
}
