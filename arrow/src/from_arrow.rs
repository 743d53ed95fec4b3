//! Arrow → koffer (spec `arrow.md` §7), the mirror of the mapping: a value
//! of an Arrow column back to a koffer [`Value`] of a definition's type
//! (and so to its payload), and an Arrow schema → a definition, for writing
//! containers from Arrow tables (the Python package's `koffer.write`).
//!
//! ```
//! use std::sync::Arc;
//! use arrow_array::{ArrayRef, StructArray, UInt16Array};
//! use arrow_schema::{DataType, Field, Schema};
//! use std::collections::HashMap;
//!
//! let hr = Field::new("hr", DataType::UInt16, false).with_metadata(HashMap::from([
//!     ("koffer.unit".to_string(), "1/min".to_string()),
//! ]));
//! let schema = Schema::new(vec![hr]);
//! let def = koffer_arrow::from_arrow::definition(&schema, "sample").unwrap();
//! let root = koffer::schema::Definition::parse(&def).unwrap().root().unwrap();
//! let column: ArrayRef = Arc::new(UInt16Array::from(vec![72]));
//! let rows = StructArray::from(vec![(Arc::new(schema.field(0).clone()), column)]);
//! let v = koffer_arrow::from_arrow::value(root, &rows, 0).unwrap();
//! assert_eq!(v.to_payload(root).unwrap(), [72]);
//! ```

use std::fmt;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, StructArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use koffer::schema::{Annotations, Builder, Kind, Node, VariantKind};
use koffer::value::{Value, VariantValue};

use crate::key;

/// Why a value or schema cannot be mapped back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The column (dotted path) it happened in.
    pub path: String,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.path, self.message)
    }
}

impl std::error::Error for Error {}

fn err<T>(path: &str, message: impl Into<String>) -> Result<T, Error> {
    Err(Error {
        path: path.to_string(),
        message: message.into(),
    })
}

/// An integer of any Arrow integer, timestamp or decimal (scale 0) column.
fn int_at(a: &dyn Array, row: usize) -> Option<i128> {
    Some(match a.data_type() {
        DataType::Int8 => a.as_primitive::<Int8Type>().value(row).into(),
        DataType::Int16 => a.as_primitive::<Int16Type>().value(row).into(),
        DataType::Int32 => a.as_primitive::<Int32Type>().value(row).into(),
        DataType::Int64 => a.as_primitive::<Int64Type>().value(row).into(),
        DataType::UInt8 => a.as_primitive::<UInt8Type>().value(row).into(),
        DataType::UInt16 => a.as_primitive::<UInt16Type>().value(row).into(),
        DataType::UInt32 => a.as_primitive::<UInt32Type>().value(row).into(),
        DataType::UInt64 => a.as_primitive::<UInt64Type>().value(row).into(),
        DataType::Timestamp(TimeUnit::Second, _) => {
            a.as_primitive::<TimestampSecondType>().value(row).into()
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => a
            .as_primitive::<TimestampMillisecondType>()
            .value(row)
            .into(),
        DataType::Timestamp(TimeUnit::Microsecond, _) => a
            .as_primitive::<TimestampMicrosecondType>()
            .value(row)
            .into(),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => a
            .as_primitive::<TimestampNanosecondType>()
            .value(row)
            .into(),
        DataType::Decimal128(_, 0) => a.as_primitive::<Decimal128Type>().value(row),
        DataType::Decimal256(_, 0) => a.as_primitive::<Decimal256Type>().value(row).to_i128()?,
        _ => return None,
    })
}

fn u128_at(a: &dyn Array, row: usize) -> Option<u128> {
    match a.data_type() {
        DataType::Decimal256(_, 0) => {
            let (low, high) = a.as_primitive::<Decimal256Type>().value(row).to_parts();
            (high == 0).then_some(low)
        }
        _ => u128::try_from(int_at(a, row)?).ok(),
    }
}

fn float_at(a: &dyn Array, row: usize) -> Option<f64> {
    match a.data_type() {
        DataType::Float32 => Some(a.as_primitive::<Float32Type>().value(row).into()),
        DataType::Float64 => Some(a.as_primitive::<Float64Type>().value(row)),
        _ => None,
    }
}

fn str_at(a: &dyn Array, row: usize) -> Option<&str> {
    match a.data_type() {
        DataType::Utf8 => Some(a.as_string::<i32>().value(row)),
        DataType::LargeUtf8 => Some(a.as_string::<i64>().value(row)),
        DataType::Utf8View => Some(a.as_string_view().value(row)),
        DataType::Dictionary(k, _) if **k == DataType::Int32 => {
            let d = a.as_dictionary::<Int32Type>();
            let i = usize::try_from(d.keys().value(row)).ok()?;
            str_at(d.values().as_ref(), i)
        }
        _ => None,
    }
}

fn bytes_at(a: &dyn Array, row: usize) -> Option<&[u8]> {
    match a.data_type() {
        DataType::Binary => Some(a.as_binary::<i32>().value(row)),
        DataType::LargeBinary => Some(a.as_binary::<i64>().value(row)),
        DataType::BinaryView => Some(a.as_binary_view().value(row)),
        DataType::FixedSizeBinary(_) => Some(a.as_fixed_size_binary().value(row)),
        _ => None,
    }
}

/// The elements of a list (or map) at `row`: the child array and its range.
fn list_at(a: &dyn Array, row: usize) -> Option<(std::sync::Arc<dyn Array>, usize, usize)> {
    match a.data_type() {
        DataType::List(_) => {
            let l = a.as_list::<i32>();
            let o = l.value_offsets();
            Some((l.values().clone(), o[row] as usize, o[row + 1] as usize))
        }
        DataType::LargeList(_) => {
            let l = a.as_list::<i64>();
            let o = l.value_offsets();
            Some((l.values().clone(), o[row] as usize, o[row + 1] as usize))
        }
        DataType::FixedSizeList(_, n) => {
            let l = a.as_fixed_size_list();
            let n = *n as usize;
            Some((l.values().clone(), row * n, row * n + n))
        }
        DataType::Map(_, _) => {
            let m = a.as_map();
            let o = m.value_offsets();
            let entries: std::sync::Arc<dyn Array> = std::sync::Arc::new(m.entries().clone());
            Some((entries, o[row] as usize, o[row + 1] as usize))
        }
        _ => None,
    }
}

/// The value of type `node` in row `row` of a table's rows (`rows`, one
/// column a root struct field; a root that is not a struct is the column
/// `value`).
pub fn value(node: Node<'_>, rows: &StructArray, row: usize) -> Result<Value, Error> {
    if crate::mapping::splits(node) {
        return value_at(node, rows, row, "");
    }
    match rows.column_by_name("value") {
        Some(c) => value_at(node, c.as_ref(), row, "value"),
        None => err("value", "no column"),
    }
}

/// The value of type `node` in row `row` of column `a` (at `path`).
pub fn value_at(node: Node<'_>, a: &dyn Array, row: usize, path: &str) -> Result<Value, Error> {
    if row >= a.len() {
        return err(path, "row out of range");
    }
    let kind = node.kind();
    if !matches!(
        kind,
        Kind::Option(_) | Kind::NewtypeStruct { .. } | Kind::Unit | Kind::UnitStruct { .. }
    ) && a.is_null(row)
    {
        return err(path, "null in a column whose type is not an option");
    }
    let int = |what: &str| {
        int_at(a, row).ok_or(()).or_else(|_| {
            err(
                path,
                format!("expected integers for {what}, found {}", a.data_type()),
            )
        })
    };
    let range = |what: &str| Error {
        path: path.to_string(),
        message: format!("a value out of range of {what}"),
    };
    macro_rules! int_to {
        ($t:ty, $v:ident, $name:literal) => {
            Value::$v(<$t>::try_from(int($name)?).map_err(|_| range($name))?)
        };
    }
    Ok(match kind {
        Kind::Bool => match a.data_type() {
            DataType::Boolean => Value::Bool(a.as_boolean().value(row)),
            t => return err(path, format!("expected booleans, found {t}")),
        },
        Kind::U8 => int_to!(u8, U8, "u8"),
        Kind::U16 => int_to!(u16, U16, "u16"),
        Kind::U32 => int_to!(u32, U32, "u32"),
        Kind::U64 => int_to!(u64, U64, "u64"),
        Kind::I8 => int_to!(i8, I8, "i8"),
        Kind::I16 => int_to!(i16, I16, "i16"),
        Kind::I32 => int_to!(i32, I32, "i32"),
        Kind::I64 => int_to!(i64, I64, "i64"),
        Kind::I128 => Value::I128(int("i128")?),
        Kind::U128 => match u128_at(a, row) {
            Some(v) => Value::U128(v),
            None => return err(path, "expected a u128"),
        },
        Kind::F32 => match (a.data_type(), float_at(a, row)) {
            (DataType::Float32, _) => Value::F32(a.as_primitive::<Float32Type>().value(row)),
            (_, Some(v)) => Value::F32(v as f32),
            _ => return err(path, format!("expected floats, found {}", a.data_type())),
        },
        Kind::F64 => match float_at(a, row) {
            Some(v) => Value::F64(v),
            None => return err(path, format!("expected floats, found {}", a.data_type())),
        },
        Kind::Char => {
            let s = str_at(a, row)
                .ok_or(())
                .or_else(|_| err(path, "expected strings"))?;
            let mut cs = s.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) => Value::Char(c),
                _ => return err(path, "a char column holds one character a row"),
            }
        }
        Kind::String => match str_at(a, row) {
            Some(s) => Value::String(s.to_string()),
            None => return err(path, format!("expected strings, found {}", a.data_type())),
        },
        Kind::Bytes => match bytes_at(a, row) {
            Some(b) => Value::Bytes(b.to_vec()),
            None => return err(path, format!("expected binary, found {}", a.data_type())),
        },
        Kind::Option(inner) => {
            if a.is_null(row) {
                Value::Option(None)
            } else {
                Value::Option(Some(Box::new(value_at(inner, a, row, path)?)))
            }
        }
        Kind::Unit => Value::Unit,
        Kind::UnitStruct { name } => Value::UnitStruct { name: name.into() },
        Kind::NewtypeStruct { name, inner } => Value::NewtypeStruct {
            name: name.into(),
            value: Box::new(value_at(inner, a, row, path)?),
        },
        Kind::Seq(element) | Kind::Array { element, .. } => {
            let Some((child, start, end)) = list_at(a, row) else {
                return err(path, format!("expected lists, found {}", a.data_type()));
            };
            let mut vs = Vec::with_capacity(end - start);
            for i in start..end {
                vs.push(value_at(element, child.as_ref(), i, path)?);
            }
            if let Kind::Array { len, .. } = kind {
                if vs.len() != len as usize {
                    return err(path, format!("an array of {len} elements has {}", vs.len()));
                }
                Value::Array(vs)
            } else {
                Value::Seq(vs)
            }
        }
        Kind::Map { key, value: val } => {
            let Some((child, start, end)) = list_at(a, row) else {
                return err(path, format!("expected maps, found {}", a.data_type()));
            };
            let Some(entries) = child.as_struct_opt() else {
                return err(path, "map entries are not a struct");
            };
            if entries.num_columns() != 2 {
                return err(path, "map entries need a key and a value");
            }
            let mut vs = Vec::with_capacity(end - start);
            for i in start..end {
                vs.push((
                    value_at(key, entries.column(0).as_ref(), i, path)?,
                    value_at(val, entries.column(1).as_ref(), i, path)?,
                ));
            }
            Value::Map(vs)
        }
        Kind::Tuple(els) | Kind::TupleStruct { elements: els, .. } => {
            let mut vs = Vec::new();
            if els.count() > 0 {
                let Some(s) = a.as_struct_opt() else {
                    return err(path, format!("expected a struct, found {}", a.data_type()));
                };
                for (i, e) in els.enumerate() {
                    let name = i.to_string();
                    let p = join(path, &name);
                    match s.column_by_name(&name) {
                        Some(c) => vs.push(value_at(e, c.as_ref(), row, &p)?),
                        None => return err(&p, "no column"),
                    }
                }
            }
            match kind {
                Kind::TupleStruct { name, .. } => Value::TupleStruct {
                    name: name.into(),
                    elements: vs,
                },
                _ => Value::Tuple(vs),
            }
        }
        Kind::Struct { name, fields } => {
            let mut vs = Vec::new();
            if fields.count() > 0 {
                let Some(s) = a.as_struct_opt() else {
                    return err(path, format!("expected a struct, found {}", a.data_type()));
                };
                for f in fields {
                    let p = join(path, f.name);
                    match s.column_by_name(f.name) {
                        Some(c) => {
                            vs.push((f.name.to_string(), value_at(f.ty, c.as_ref(), row, &p)?))
                        }
                        None => return err(&p, "no column"),
                    }
                }
            }
            Value::Struct {
                name: name.into(),
                fields: vs,
            }
        }
        Kind::Enum { name, variants } => {
            let (tag, s) = match a.as_struct_opt() {
                Some(s) => match s.column_by_name("variant") {
                    Some(v) => (v.clone(), Some(s)),
                    None => return err(path, "no variant column"),
                },
                None => (
                    std::sync::Arc::new(arrow_array::new_empty_array(&DataType::Null)) as _,
                    None,
                ),
            };
            let vname = if s.is_some() {
                str_at(tag.as_ref(), row)
            } else {
                str_at(a, row)
            };
            let Some(vname) = vname else {
                return err(path, "expected variant names");
            };
            let Some(v) = variants.clone().find(|v| v.name == vname) else {
                return err(path, format!("{vname} is not a variant of {name}"));
            };
            let data_col = |p: &str| match s.and_then(|s| s.column_by_name(v.name)) {
                Some(c) => Ok(c.clone()),
                None => err(p, "no column"),
            };
            let p = join(path, v.name);
            let data = match v.kind {
                VariantKind::Unit => VariantValue::Unit,
                VariantKind::Newtype(t) => {
                    VariantValue::Newtype(Box::new(value_at(t, data_col(&p)?.as_ref(), row, &p)?))
                }
                VariantKind::Tuple(els) => {
                    let mut vs = Vec::new();
                    if els.count() > 0 {
                        let c = data_col(&p)?;
                        let Some(st) = c.as_struct_opt() else {
                            return err(&p, "expected a struct");
                        };
                        for (i, e) in els.enumerate() {
                            match st.column_by_name(&i.to_string()) {
                                Some(c) => vs.push(value_at(e, c.as_ref(), row, &p)?),
                                None => return err(&p, "no column"),
                            }
                        }
                    }
                    VariantValue::Tuple(vs)
                }
                VariantKind::Struct(fs) => {
                    let mut vs = Vec::new();
                    if fs.count() > 0 {
                        let c = data_col(&p)?;
                        let Some(st) = c.as_struct_opt() else {
                            return err(&p, "expected a struct");
                        };
                        for f in fs {
                            match st.column_by_name(f.name) {
                                Some(c) => vs.push((
                                    f.name.to_string(),
                                    value_at(f.ty, c.as_ref(), row, &p)?,
                                )),
                                None => return err(&p, "no column"),
                            }
                        }
                    }
                    VariantValue::Struct(vs)
                }
            };
            Value::Enum {
                name: name.into(),
                variant: v.name.into(),
                index: v.index,
                data,
            }
        }
    })
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// The definition of a record type whose records are the rows of an Arrow
/// table with `schema`: a struct named `name` with a field a column
/// (spec `arrow.md` §7). A schema that came from koffer (with
/// `koffer.definition` in its metadata) gives that definition back.
pub fn definition(schema: &Schema, name: &str) -> Result<Vec<u8>, Error> {
    if let Some(hex) = schema.metadata().get(crate::schema_key::DEFINITION) {
        if let Some(bytes) = unhex(hex) {
            if koffer::schema::Definition::parse(&bytes).is_ok() {
                return Ok(bytes);
            }
        }
    }
    let mut b = Builder::new();
    b.struct_(name, schema.fields().len());
    for f in schema.fields() {
        field(&mut b, f)?;
    }
    b.finish().or_else(|e| err("", e.to_string()))
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn field(b: &mut Builder, f: &Field) -> Result<(), Error> {
    let m = f.metadata();
    let num = |k: &str| m.get(k).and_then(|v| v.parse::<f64>().ok());
    let time_unit = match f.data_type() {
        DataType::Timestamp(u, _) => Some(match u {
            TimeUnit::Second => "s",
            TimeUnit::Millisecond => "ms",
            TimeUnit::Microsecond => "us",
            TimeUnit::Nanosecond => "ns",
        }),
        _ => None,
    };
    if m.get(key::VALUES).map(String::as_str) == Some("quantity") {
        return err(f.name(), "a quantity column (scale and offset applied) cannot be written back: export raw values");
    }
    let a = Annotations {
        unit: time_unit.or(m.get(key::UNIT).map(String::as_str)),
        description: m.get(key::DESCRIPTION).map(String::as_str),
        scale: num(key::SCALE),
        offset: num(key::OFFSET),
        time: if time_unit.is_some() {
            Some("unix")
        } else {
            m.get(key::TIME).map(String::as_str)
        },
    };
    b.field(f.name(), a);
    ty(b, f.data_type(), f.is_nullable(), f.name())
}

fn ty(b: &mut Builder, t: &DataType, nullable: bool, path: &str) -> Result<(), Error> {
    if nullable && *t != DataType::Null {
        b.option();
    }
    match t {
        DataType::Null => {
            b.unit();
        }
        DataType::Boolean => {
            b.bool();
        }
        DataType::Int8 => {
            b.i8();
        }
        DataType::Int16 => {
            b.i16();
        }
        DataType::Int32 => {
            b.i32();
        }
        DataType::Int64 | DataType::Timestamp(..) => {
            b.i64();
        }
        DataType::UInt8 => {
            b.u8();
        }
        DataType::UInt16 => {
            b.u16();
        }
        DataType::UInt32 => {
            b.u32();
        }
        DataType::UInt64 => {
            b.u64();
        }
        DataType::Decimal128(_, 0) | DataType::Decimal256(_, 0) => {
            b.i128();
        }
        DataType::Float32 => {
            b.f32();
        }
        DataType::Float64 => {
            b.f64();
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            b.string();
        }
        DataType::Dictionary(_, v) if matches!(**v, DataType::Utf8 | DataType::LargeUtf8) => {
            b.string();
        }
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => {
            b.bytes();
        }
        DataType::List(item) | DataType::LargeList(item) | DataType::FixedSizeList(item, _) => {
            b.seq();
            ty(b, item.data_type(), item.is_nullable(), path)?;
        }
        DataType::Map(entries, _) => {
            let DataType::Struct(kv) = entries.data_type() else {
                return err(path, "map entries are not a struct");
            };
            if kv.len() != 2 {
                return err(path, "map entries need a key and a value");
            }
            b.map();
            ty(b, kv[0].data_type(), kv[0].is_nullable(), path)?;
            ty(b, kv[1].data_type(), kv[1].is_nullable(), path)?;
        }
        DataType::Struct(fs) => {
            b.struct_(path.rsplit('.').next().unwrap_or(path), fs.len());
            for f in fs {
                field(b, f)?;
            }
        }
        other => return err(path, format!("no koffer type for Arrow {other}")),
    }
    Ok(())
}

/// A table to write as a record type ([`write_container`]).
pub struct Table<'t> {
    /// The record type's name.
    pub name: &'t str,
    /// The table's schema.
    pub schema: &'t Schema,
    /// Its rows.
    pub batches: &'t [arrow_array::RecordBatch],
}

/// Writes a container of `tables`, one record type each (ids 0, 1, ... in
/// order; the definition from [`definition`]), a record a row, after a
/// metadata frame of `metadata` (when not empty). The bytes are those a
/// device's `koffer::write::Writer` would write for the same records.
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{ArrayRef, RecordBatch, UInt16Array};
/// use arrow_schema::{DataType, Field, Schema};
/// use koffer_arrow::from_arrow::{write_container, Table};
///
/// let schema = Arc::new(Schema::new(vec![Field::new("hr", DataType::UInt16, false)]));
/// let col: ArrayRef = Arc::new(UInt16Array::from(vec![70, 72]));
/// let batch = RecordBatch::try_new(schema.clone(), vec![col]).unwrap();
/// let meta = [koffer::meta::Entry::new("study:subject", koffer::meta::Value::Str("s1"))];
/// let bytes = write_container(&[Table { name: "pulse", schema: &schema, batches: &[batch] }], &meta).unwrap();
/// let r = koffer::read::Reader::new(&bytes).unwrap();
/// assert!(r.verify().unwrap().is_complete());
/// assert_eq!(r.records().count(), 2);
/// ```
pub fn write_container(
    tables: &[Table<'_>],
    metadata: &[koffer::meta::Entry<'_>],
) -> Result<Vec<u8>, Error> {
    use koffer::write::Writer;
    let werr = |e: koffer::write::Error<std::convert::Infallible>| Error {
        path: String::new(),
        message: format!("{e:?}"),
    };
    if tables.len() > 256 {
        return err("", "at most 256 record types");
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut w = Writer::new(Vec::new(), &mut buf).map_err(werr)?;
    if !metadata.is_empty() {
        w.metadata(metadata).map_err(werr)?;
    }
    let mut defs = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        let def = definition(t.schema, t.name)?;
        w.declare(i as u8, t.name, 1, &def).map_err(werr)?;
        defs.push(def);
    }
    let mut payload = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        let d =
            koffer::schema::Definition::parse(&defs[i]).or_else(|e| err(t.name, e.to_string()))?;
        let Some(root) = d.root() else {
            return err(t.name, "empty definition");
        };
        let h = w.declared_raw(i as u8).map_err(werr)?;
        for b in t.batches {
            let rows = StructArray::from(b.clone());
            for row in 0..b.num_rows() {
                let v = value(root, &rows, row).map_err(|mut e| {
                    e.path = format!("{}.{} (row {row})", t.name, e.path);
                    e
                })?;
                payload.clear();
                v.encode(root, &mut payload)
                    .or_else(|e| err(t.name, format!("{e:?}")))?;
                w.write_payload(h, &payload).map_err(werr)?;
            }
        }
    }
    w.finish().map_err(werr)
}
