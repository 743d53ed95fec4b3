//! Records → columns (spec `arrow.md` §6): the appends of a payload's values
//! to the column tree of its type, driven by the compiled plan
//! (`crate::plan`), or by `koffer::dynamic::walk` for a payload the plan
//! refuses (checked by `koffer::dynamic::check` first).

use koffer::dynamic::{self, Visitor};
use koffer::schema::{FieldRef, Node, VariantKind, VariantRef};

use crate::mapping::{append_null, dec_i128, dec_u128, quantity, Col};

/// Why a checked payload could not be put into the columns: never expected
/// (the columns were made from the same definition), but reported, not a panic.
#[derive(Debug)]
pub(crate) enum FillError {
    Payload,
    /// A value did not fit the column made for it.
    Mismatch,
}

impl From<dynamic::Error> for FillError {
    fn from(_: dynamic::Error) -> Self {
        FillError::Payload
    }
}

/// The visitor that appends a payload's values to the columns.
pub(crate) struct Fill<'c> {
    pub(crate) cols: &'c mut [Col],
    /// The containers (struct, list, map, enum data) being filled.
    pub(crate) stack: Vec<usize>,
    /// The column the next value goes to.
    pub(crate) next: usize,
    pub(crate) scratch: Vec<usize>,
}

type R = Result<(), FillError>;

impl Fill<'_> {
    pub(crate) fn int(&mut self, v: i128) -> R {
        match &mut self.cols[self.next] {
            Col::I8(b) => b.append_value(v as i8),
            Col::I16(b) => b.append_value(v as i16),
            Col::I32(b) => b.append_value(v as i32),
            Col::I64(b) => b.append_value(v as i64),
            Col::U8(b) => b.append_value(v as u8),
            Col::U16(b) => b.append_value(v as u16),
            Col::U32(b) => b.append_value(v as u32),
            Col::U64(b) => b.append_value(v as u64),
            Col::Dec(b) => b.append_value(dec_i128(v)),
            // A timestamp beyond i64 (u64 past 2^63) is null (spec §2.5).
            Col::Time(_, b) => b.append_option(i64::try_from(v).ok()),
            Col::Quantity(b, s, o) => b.append_value(quantity(v as f64, *s, *o)),
            _ => return Err(FillError::Mismatch),
        }
        Ok(())
    }

    pub(crate) fn float(&mut self, v: f64) -> R {
        match &mut self.cols[self.next] {
            Col::F32(b) => b.append_value(v as f32),
            Col::F64(b) => b.append_value(v),
            Col::Quantity(b, s, o) => b.append_value(quantity(v, *s, *o)),
            _ => return Err(FillError::Mismatch),
        }
        Ok(())
    }

    /// A struct, tuple or struct variant begins in column `c`.
    pub(crate) fn begin_struct(&mut self, c: usize) -> R {
        match &mut self.cols[c] {
            Col::Struct { nulls, .. } => nulls.append_non_null(),
            Col::Null(n) => *n += 1,
            _ => return Err(FillError::Mismatch),
        }
        self.stack.push(c);
        Ok(())
    }

    pub(crate) fn begin_list(&mut self, len: usize) -> R {
        match &mut self.cols[self.next] {
            Col::List { offsets, nulls, .. } | Col::Map { offsets, nulls, .. } => {
                let last = *offsets.last().unwrap_or(&0);
                let n = i32::try_from(len).map_err(|_| FillError::Mismatch)?;
                offsets.push(last.checked_add(n).ok_or(FillError::Mismatch)?);
                nulls.append_non_null();
            }
            _ => return Err(FillError::Mismatch),
        }
        self.stack.push(self.next);
        Ok(())
    }

    pub(crate) fn end(&mut self) -> R {
        self.stack.pop();
        Ok(())
    }

    /// The `index`th child of the container being filled.
    pub(crate) fn child(&mut self, index: usize) -> R {
        let top = *self.stack.last().ok_or(FillError::Mismatch)?;
        self.next = match &self.cols[top] {
            Col::List { child, .. } => *child,
            Col::Struct { children, .. } => *children.get(index).ok_or(FillError::Mismatch)?,
            _ => return Err(FillError::Mismatch),
        };
        Ok(())
    }

    pub(crate) fn map_part(&mut self, value: bool) -> R {
        let top = *self.stack.last().ok_or(FillError::Mismatch)?;
        self.next = match &self.cols[top] {
            Col::Map { key, value: v, .. } => {
                if value {
                    *v
                } else {
                    *key
                }
            }
            _ => return Err(FillError::Mismatch),
        };
        Ok(())
    }
}

/// The appends of the compiled plan (`crate::plan`): those of the visitor.
impl Fill<'_> {
    pub(crate) fn put_bool(&mut self, v: bool) -> R {
        Visitor::bool(self, v)
    }
    pub(crate) fn put_u128(&mut self, v: u128) -> R {
        Visitor::u128(self, v)
    }
    pub(crate) fn put_f32(&mut self, v: f32) -> R {
        Visitor::f32(self, v)
    }
    pub(crate) fn put_char(&mut self, v: char) -> R {
        Visitor::char(self, v)
    }
    pub(crate) fn put_str(&mut self, v: &str) -> R {
        Visitor::str(self, v)
    }
    pub(crate) fn put_bytes(&mut self, v: &[u8]) -> R {
        Visitor::bytes(self, v)
    }
    pub(crate) fn begin_variant(&mut self, v: &VariantRef<'_>) -> R {
        self.variant_begin(v.name, v)
    }
    pub(crate) fn end_variant(&mut self, v: &VariantRef<'_>) -> R {
        self.variant_end(v.name, v)
    }
}

impl<'a> Visitor<'a> for Fill<'_> {
    type Error = FillError;

    fn bool(&mut self, v: bool) -> R {
        match &mut self.cols[self.next] {
            Col::Bool(b) => b.append_value(v),
            _ => return Err(FillError::Mismatch),
        }
        Ok(())
    }
    fn u8(&mut self, v: u8) -> R {
        self.int(v.into())
    }
    fn u16(&mut self, v: u16) -> R {
        self.int(v.into())
    }
    fn u32(&mut self, v: u32) -> R {
        self.int(v.into())
    }
    fn u64(&mut self, v: u64) -> R {
        self.int(v.into())
    }
    fn i8(&mut self, v: i8) -> R {
        self.int(v.into())
    }
    fn i16(&mut self, v: i16) -> R {
        self.int(v.into())
    }
    fn i32(&mut self, v: i32) -> R {
        self.int(v.into())
    }
    fn i64(&mut self, v: i64) -> R {
        self.int(v.into())
    }
    fn u128(&mut self, v: u128) -> R {
        match &mut self.cols[self.next] {
            Col::Dec(b) => b.append_value(dec_u128(v)),
            _ => return Err(FillError::Mismatch),
        }
        Ok(())
    }
    fn i128(&mut self, v: i128) -> R {
        self.int(v)
    }
    fn f32(&mut self, v: f32) -> R {
        // Directly: through f64 a signalling NaN would come back quiet.
        if let Col::F32(b) = &mut self.cols[self.next] {
            b.append_value(v);
            return Ok(());
        }
        self.float(v.into())
    }
    fn f64(&mut self, v: f64) -> R {
        self.float(v)
    }
    fn char(&mut self, v: char) -> R {
        match &mut self.cols[self.next] {
            Col::Str(b) => b.append_value(v.encode_utf8(&mut [0; 4])),
            _ => return Err(FillError::Mismatch),
        }
        Ok(())
    }
    fn str(&mut self, v: &'a str) -> R {
        match &mut self.cols[self.next] {
            Col::Str(b) => b.append_value(v),
            _ => return Err(FillError::Mismatch),
        }
        Ok(())
    }
    fn bytes(&mut self, v: &'a [u8]) -> R {
        match &mut self.cols[self.next] {
            Col::Bin(b) => b.append_value(v),
            _ => return Err(FillError::Mismatch),
        }
        Ok(())
    }
    fn none(&mut self) -> R {
        append_null(self.cols, self.next);
        Ok(())
    }
    fn some_begin(&mut self, _inner: Node<'a>) -> R {
        Ok(())
    }
    fn unit(&mut self) -> R {
        append_null(self.cols, self.next);
        Ok(())
    }
    fn unit_struct(&mut self, _name: &'a str) -> R {
        append_null(self.cols, self.next);
        Ok(())
    }
    fn seq_begin(&mut self, len: usize) -> R {
        self.begin_list(len)
    }
    fn seq_end(&mut self, _len: usize) -> R {
        self.end()
    }
    fn array_begin(&mut self, len: usize) -> R {
        self.begin_list(len)
    }
    fn array_end(&mut self, _len: usize) -> R {
        self.end()
    }
    fn tuple_begin(&mut self, _len: usize) -> R {
        self.begin_struct(self.next)
    }
    fn tuple_end(&mut self, _len: usize) -> R {
        self.end()
    }
    fn tuple_struct_begin(&mut self, _name: &'a str, _len: usize) -> R {
        self.begin_struct(self.next)
    }
    fn tuple_struct_end(&mut self, _name: &'a str, _len: usize) -> R {
        self.end()
    }
    fn element(&mut self, index: usize) -> R {
        self.child(index)
    }
    fn map_begin(&mut self, len: usize) -> R {
        self.begin_list(len)
    }
    fn map_key(&mut self, _index: usize) -> R {
        self.map_part(false)
    }
    fn map_value(&mut self, _index: usize) -> R {
        self.map_part(true)
    }
    fn map_end(&mut self, _len: usize) -> R {
        self.end()
    }
    fn struct_begin(&mut self, _name: &'a str, _len: usize) -> R {
        self.begin_struct(self.next)
    }
    fn field(&mut self, index: usize, _field: &FieldRef<'a>) -> R {
        self.child(index)
    }
    fn struct_end(&mut self, _name: &'a str, _len: usize) -> R {
        self.end()
    }
    fn variant_begin(&mut self, _name: &'a str, variant: &VariantRef<'a>) -> R {
        let index = i32::try_from(variant.index).map_err(|_| FillError::Mismatch)?;
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let selected = match &mut self.cols[self.next] {
            Col::Dict(b, _) => {
                b.append_value(index);
                None
            }
            Col::Enum {
                nulls, keys, data, ..
            } => {
                nulls.append_non_null();
                keys.append_value(index);
                let selected = data.get(variant.index as usize).copied().flatten();
                scratch.extend(data.iter().flatten().filter(|&&d| Some(d) != selected));
                selected
            }
            _ => return Err(FillError::Mismatch),
        };
        for &d in &scratch {
            append_null(self.cols, d);
        }
        self.scratch = scratch;
        match (selected, variant.kind) {
            (Some(d), VariantKind::Newtype(_)) => self.next = d,
            (Some(d), VariantKind::Tuple(_) | VariantKind::Struct(_)) => self.begin_struct(d)?,
            (None, VariantKind::Unit) => {}
            _ => return Err(FillError::Mismatch),
        }
        Ok(())
    }
    fn variant_end(&mut self, _name: &'a str, variant: &VariantRef<'a>) -> R {
        if matches!(variant.kind, VariantKind::Tuple(_) | VariantKind::Struct(_)) {
            self.end()?;
        }
        Ok(())
    }
}
