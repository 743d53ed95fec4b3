//! The compiled decode plan (spec `arrow.md` §6): a record type's definition
//! compiled once into an op list, then each payload read by it — first a
//! check (nothing appended), then the same ops appending straight into the
//! column tree through [`Fill`]. A payload the check refuses is left to
//! `koffer::dynamic::check`, which names the fault as every decoder does, so
//! no row is ever half-appended.

use koffer::schema::{Kind, Node, VariantKind, VariantRef};
use koffer::varint::{unzigzag, unzigzag128};

use crate::decode::{Fill, FillError};
use crate::mapping::append_null;

#[derive(Debug, Clone, Copy)]
enum Op {
    Bool,
    U8,
    U16,
    U32,
    U64,
    U128,
    I8,
    I16,
    I32,
    I64,
    I128,
    F32,
    F64,
    Char,
    Str,
    Bytes,
    /// unit, unit struct
    Null,
    Option(u32),
    Seq(u32),
    Array {
        element: u32,
        len: u32,
    },
    Map {
        key: u32,
        value: u32,
    },
    /// A tuple, tuple struct or struct: its items' ops in `Plan::items`.
    Struct {
        items: u32,
        len: u32,
    },
    Enum {
        variants: u32,
        len: u32,
    },
}

#[derive(Debug, Clone, Copy)]
enum Data {
    Unit,
    Newtype(u32),
    Items { items: u32, len: u32 },
}

/// A record type's definition, compiled once.
pub(crate) struct Plan<'a> {
    ops: Vec<Op>,
    items: Vec<u32>,
    variants: Vec<(VariantRef<'a>, Data)>,
    root: u32,
}

/// A payload the plan cannot read (the check) or a value that did not fit
/// its column (the fill).
pub(crate) struct Refused;

impl From<FillError> for Refused {
    fn from(_: FillError) -> Self {
        Refused
    }
}

type R<T = ()> = Result<T, Refused>;

impl<'a> Plan<'a> {
    /// The plan of values of type `root`. Work and memory are bounded by the
    /// size of the definition.
    pub(crate) fn new(root: Node<'a>) -> Plan<'a> {
        let mut p = Plan {
            ops: Vec::new(),
            items: Vec::new(),
            variants: Vec::new(),
            root: 0,
        };
        p.root = p.compile(root);
        p
    }

    fn push(&mut self, op: Op) -> u32 {
        self.ops.push(op);
        (self.ops.len() - 1) as u32
    }

    fn compile_items(&mut self, types: impl Iterator<Item = Node<'a>>) -> (u32, u32) {
        let ops: Vec<u32> = types.map(|t| self.compile(t)).collect();
        let start = self.items.len() as u32;
        self.items.extend_from_slice(&ops);
        (start, ops.len() as u32)
    }

    /// The op of `ty`, after those of the types inside it. Recursion is
    /// bounded by the definition's depth limit.
    fn compile(&mut self, ty: Node<'a>) -> u32 {
        let op = match ty.kind() {
            Kind::Bool => Op::Bool,
            Kind::U8 => Op::U8,
            Kind::U16 => Op::U16,
            Kind::U32 => Op::U32,
            Kind::U64 => Op::U64,
            Kind::U128 => Op::U128,
            Kind::I8 => Op::I8,
            Kind::I16 => Op::I16,
            Kind::I32 => Op::I32,
            Kind::I64 => Op::I64,
            Kind::I128 => Op::I128,
            Kind::F32 => Op::F32,
            Kind::F64 => Op::F64,
            Kind::Char => Op::Char,
            Kind::String => Op::Str,
            Kind::Bytes => Op::Bytes,
            Kind::Unit | Kind::UnitStruct { .. } => Op::Null,
            Kind::NewtypeStruct { inner, .. } => return self.compile(inner),
            Kind::Option(inner) => Op::Option(self.compile(inner)),
            Kind::Seq(element) => Op::Seq(self.compile(element)),
            Kind::Array { len, element } => Op::Array {
                element: self.compile(element),
                len,
            },
            Kind::Map { key, value } => Op::Map {
                key: self.compile(key),
                value: self.compile(value),
            },
            Kind::Tuple(types)
            | Kind::TupleStruct {
                elements: types, ..
            } => {
                let (items, len) = self.compile_items(types);
                Op::Struct { items, len }
            }
            Kind::Struct { fields, .. } => {
                let (items, len) = self.compile_items(fields.map(|f| f.ty));
                Op::Struct { items, len }
            }
            Kind::Enum { variants, .. } => {
                let compiled: Vec<(VariantRef<'a>, Data)> = variants
                    .map(|v| {
                        let data = match v.kind {
                            VariantKind::Unit => Data::Unit,
                            VariantKind::Newtype(inner) => Data::Newtype(self.compile(inner)),
                            VariantKind::Tuple(types) => {
                                let (items, len) = self.compile_items(types);
                                Data::Items { items, len }
                            }
                            VariantKind::Struct(fields) => {
                                let (items, len) = self.compile_items(fields.map(|f| f.ty));
                                Data::Items { items, len }
                            }
                        };
                        (v, data)
                    })
                    .collect();
                let start = self.variants.len() as u32;
                let len = compiled.len() as u32;
                self.variants.extend(compiled);
                Op::Enum {
                    variants: start,
                    len,
                }
            }
        };
        self.push(op)
    }

    /// Whether `payload` is a valid value of the plan's type (every check of
    /// spec `schema.md` §6, as `koffer::dynamic::check` makes them).
    pub(crate) fn check(&self, payload: &[u8]) -> bool {
        let mut r = Reader { p: payload, pos: 0 };
        self.run::<false>(self.root, &mut r, None).is_ok() && r.pos == payload.len()
    }

    /// Appends a checked payload's values to the columns.
    pub(crate) fn fill(&self, payload: &[u8], fill: &mut Fill<'_>) -> R {
        let mut r = Reader { p: payload, pos: 0 };
        self.run::<true>(self.root, &mut r, Some(fill))?;
        if r.pos == payload.len() {
            Ok(())
        } else {
            Err(Refused)
        }
    }

    fn run_items<const FILL: bool>(
        &self,
        items: u32,
        len: u32,
        r: &mut Reader<'_>,
        mut f: Option<&mut Fill<'_>>,
    ) -> R {
        let items = self
            .items
            .get(items as usize..(items + len) as usize)
            .ok_or(Refused)?;
        for (i, &op) in items.iter().enumerate() {
            if FILL {
                if let Some(f) = f.as_deref_mut() {
                    f.child(i)?;
                }
            }
            self.run::<FILL>(op, r, f.as_deref_mut())?;
        }
        Ok(())
    }

    /// Reads the value of `op` (appending it when `FILL`). Recursion is
    /// bounded by the definition's depth limit; each loop over elements, by
    /// the payload bytes they take.
    fn run<const FILL: bool>(
        &self,
        op: u32,
        r: &mut Reader<'_>,
        mut f: Option<&mut Fill<'_>>,
    ) -> R {
        let op = *self.ops.get(op as usize).ok_or(Refused)?;
        // Reads a value, then appends it with `$m` when filling.
        macro_rules! leaf {
            ($read:expr, $m:ident) => {{
                let v = $read?;
                if FILL {
                    if let Some(f) = f {
                        f.$m(v)?;
                    }
                }
                Ok(())
            }};
        }
        match op {
            Op::Bool => leaf!(r.bool(), put_bool),
            Op::U8 => leaf!(r.byte().map(i128::from), int),
            Op::U16 => leaf!(r.varint(3, u16::MAX.into()).map(i128::from), int),
            Op::U32 => leaf!(r.varint(5, u32::MAX.into()).map(i128::from), int),
            Op::U64 => leaf!(r.varint(10, u64::MAX).map(i128::from), int),
            Op::U128 => leaf!(r.varint128(), put_u128),
            Op::I8 => leaf!(r.byte().map(|b| i128::from(b as i8)), int),
            Op::I16 => leaf!(
                r.varint(3, u16::MAX.into())
                    .map(|v| i128::from(unzigzag(v) as i16)),
                int
            ),
            Op::I32 => leaf!(
                r.varint(5, u32::MAX.into())
                    .map(|v| i128::from(unzigzag(v) as i32)),
                int
            ),
            Op::I64 => leaf!(r.varint(10, u64::MAX).map(|v| i128::from(unzigzag(v))), int),
            Op::I128 => leaf!(r.varint128().map(unzigzag128), int),
            Op::F32 => leaf!(r.array().map(f32::from_le_bytes), put_f32),
            Op::F64 => leaf!(r.array().map(f64::from_le_bytes), float),
            Op::Char => leaf!(r.char(), put_char),
            Op::Str => leaf!(r.str(), put_str),
            Op::Bytes => leaf!(r.bytes(), put_bytes),
            Op::Null => {
                if FILL {
                    if let Some(f) = f {
                        append_null(f.cols, f.next);
                    }
                }
                Ok(())
            }
            Op::Option(inner) => {
                if r.option()? {
                    self.run::<FILL>(inner, r, f)
                } else {
                    if FILL {
                        if let Some(f) = f {
                            append_null(f.cols, f.next);
                        }
                    }
                    Ok(())
                }
            }
            Op::Seq(element) => {
                let n = r.count()?;
                self.list::<FILL>(n, r, f, |p, r, f| p.run::<FILL>(element, r, f))
            }
            Op::Array { element, len } => {
                self.list::<FILL>(len as usize, r, f, |p, r, f| p.run::<FILL>(element, r, f))
            }
            Op::Map { key, value } => {
                let n = r.count()?;
                if FILL {
                    if let Some(f) = f.as_deref_mut() {
                        f.begin_list(n)?;
                    }
                }
                for _ in 0..n {
                    if FILL {
                        if let Some(f) = f.as_deref_mut() {
                            f.map_part(false)?;
                        }
                    }
                    self.run::<FILL>(key, r, f.as_deref_mut())?;
                    if FILL {
                        if let Some(f) = f.as_deref_mut() {
                            f.map_part(true)?;
                        }
                    }
                    self.run::<FILL>(value, r, f.as_deref_mut())?;
                }
                if FILL {
                    if let Some(f) = f {
                        f.end()?;
                    }
                }
                Ok(())
            }
            Op::Struct { items, len } => {
                if FILL {
                    if let Some(f) = f.as_deref_mut() {
                        f.begin_struct(f.next)?;
                    }
                }
                self.run_items::<FILL>(items, len, r, f.as_deref_mut())?;
                if FILL {
                    if let Some(f) = f {
                        f.end()?;
                    }
                }
                Ok(())
            }
            Op::Enum { variants, len } => {
                let index = r.variant(len)?;
                let &(variant, data) = self
                    .variants
                    .get((variants + index) as usize)
                    .ok_or(Refused)?;
                if FILL {
                    if let Some(f) = f.as_deref_mut() {
                        f.begin_variant(&variant)?;
                    }
                }
                match data {
                    Data::Unit => {}
                    Data::Newtype(inner) => self.run::<FILL>(inner, r, f.as_deref_mut())?,
                    Data::Items { items, len } => {
                        self.run_items::<FILL>(items, len, r, f.as_deref_mut())?
                    }
                }
                if FILL {
                    if let Some(f) = f {
                        f.end_variant(&variant)?;
                    }
                }
                Ok(())
            }
        }
    }

    /// A sequence or array of `n` elements, each read by `element`.
    fn list<const FILL: bool>(
        &self,
        n: usize,
        r: &mut Reader<'_>,
        mut f: Option<&mut Fill<'_>>,
        element: impl Fn(&Self, &mut Reader<'_>, Option<&mut Fill<'_>>) -> R,
    ) -> R {
        if FILL {
            if let Some(f) = f.as_deref_mut() {
                f.begin_list(n)?;
            }
        }
        for i in 0..n {
            if FILL {
                if let Some(f) = f.as_deref_mut() {
                    f.child(i)?;
                }
            }
            element(self, r, f.as_deref_mut())?;
        }
        if FILL {
            if let Some(f) = f {
                f.end()?;
            }
        }
        Ok(())
    }
}

/// A position in a payload, for reading, with every check of spec
/// `schema.md` §6 (those of `koffer::dynamic`; only whether a value is
/// valid is kept, not why).
struct Reader<'p> {
    p: &'p [u8],
    pos: usize,
}

impl<'p> Reader<'p> {
    #[inline]
    fn byte(&mut self) -> R<u8> {
        let b = *self.p.get(self.pos).ok_or(Refused)?;
        self.pos += 1;
        Ok(b)
    }

    #[inline]
    fn take(&mut self, n: usize) -> R<&'p [u8]> {
        let end = self.pos.checked_add(n).ok_or(Refused)?;
        let s = self.p.get(self.pos..end).ok_or(Refused)?;
        self.pos = end;
        Ok(s)
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> R<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// A canonical varint of at most `max_len` bytes and at most `max`.
    #[inline]
    fn varint(&mut self, max_len: usize, max: u64) -> R<u64> {
        let at = self.pos;
        if let Some(&b) = self.p.get(at) {
            if b < 0x80 {
                self.pos += 1;
                return Ok(u64::from(b));
            }
        }
        let mut v: u64 = 0;
        for i in 0..max_len {
            let b = *self.p.get(at + i).ok_or(Refused)?;
            let group = u64::from(b & 0x7F);
            let shift = 7 * i as u32;
            if shift > 0 && group.leading_zeros() < shift {
                return Err(Refused);
            }
            v |= group << shift;
            if b & 0x80 == 0 {
                if (i > 0 && b == 0) || v > max {
                    return Err(Refused);
                }
                self.pos = at + i + 1;
                return Ok(v);
            }
        }
        Err(Refused)
    }

    /// A canonical 128-bit varint (at most 19 bytes).
    fn varint128(&mut self) -> R<u128> {
        let at = self.pos;
        let mut v: u128 = 0;
        for i in 0..19usize {
            let b = *self.p.get(at + i).ok_or(Refused)?;
            let group = u128::from(b & 0x7F);
            let shift = 7 * i as u32;
            if shift > 0 && group.leading_zeros() < shift {
                return Err(Refused);
            }
            v |= group << shift;
            if b & 0x80 == 0 {
                if i > 0 && b == 0 {
                    return Err(Refused);
                }
                self.pos = at + i + 1;
                return Ok(v);
            }
        }
        Err(Refused)
    }

    #[inline]
    fn bool(&mut self) -> R<bool> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Refused),
        }
    }

    #[inline]
    fn option(&mut self) -> R<bool> {
        self.bool()
    }

    fn char(&mut self) -> R<char> {
        let n = self.varint(10, u64::MAX)?;
        if !(1..=4).contains(&n) {
            return Err(Refused);
        }
        let s = core::str::from_utf8(self.take(n as usize)?).map_err(|_| Refused)?;
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Ok(c),
            _ => Err(Refused),
        }
    }

    #[inline]
    fn bytes(&mut self) -> R<&'p [u8]> {
        let n = self.varint(10, u64::MAX)?;
        let n = usize::try_from(n).map_err(|_| Refused)?;
        self.take(n)
    }

    #[inline]
    fn str(&mut self) -> R<&'p str> {
        core::str::from_utf8(self.bytes()?).map_err(|_| Refused)
    }

    #[inline]
    fn variant(&mut self, count: u32) -> R<u32> {
        let index = self.varint(5, u32::MAX.into())? as u32;
        if index >= count {
            return Err(Refused);
        }
        Ok(index)
    }

    /// A sequence or map count: at most the bytes left (spec `schema.md` §6).
    #[inline]
    fn count(&mut self) -> R<usize> {
        let n = self.varint(10, u64::MAX)?;
        let left = self.p.len().saturating_sub(self.pos) as u64;
        if n > left {
            return Err(Refused);
        }
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::Plan;
    use crate::Container;
    use arbitrary::Unstructured;
    use koffer::schema::Definition;

    /// The plan's check accepts exactly the payloads `koffer::dynamic::check`
    /// accepts (spec `schema.md` §6): those of arbitrary containers, each
    /// cut short, with a byte changed, with a byte added.
    #[test]
    fn plan_check_accepts_what_dynamic_check_accepts() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let (mut valid, mut invalid) = (0, 0);
        for _ in 0..300 {
            let mut data = vec![0u8; 4096];
            for b in &mut data {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                *b = seed as u8;
            }
            let mut u = Unstructured::new(&data);
            let Ok(c) = koffer_arbitrary::ArbitraryContainer::arbitrary_intact(&mut u) else {
                continue;
            };
            let (Ok(cont), Ok(r)) = (
                Container::open(&c.bytes),
                koffer::read::Reader::new(&c.bytes),
            ) else {
                continue;
            };
            for rec in r.records().map_while(Result::ok) {
                let Ok(s) = cont.schema_of(rec.record_type) else {
                    continue;
                };
                let Some(root) = Definition::parse(s.definition).ok().and_then(|d| d.root()) else {
                    continue;
                };
                let plan = Plan::new(root);
                let p = rec.payload;
                let mut cases = vec![p.to_vec()];
                cases.extend((0..p.len()).map(|n| p[..n].to_vec()));
                for i in 0..p.len().min(24) {
                    for x in [0x00, 0x01, 0x02, 0x7F, 0x80, 0xC0, 0xFF] {
                        let mut v = p.to_vec();
                        v[i] = x;
                        cases.push(v);
                    }
                }
                cases.push([p, &[0]].concat());
                for v in cases {
                    let expected = koffer::dynamic::check(root, &v).is_ok();
                    assert_eq!(plan.check(&v), expected, "{v:02x?}");
                    if expected {
                        valid += 1;
                    } else {
                        invalid += 1;
                    }
                }
            }
        }
        assert!(valid > 1000 && invalid > 1000, "{valid} {invalid}");
    }
}
