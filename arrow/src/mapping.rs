//! The mapping (spec `arrow.md` §2–§4): a record type's definition → an
//! Arrow schema, and the column tree that its records are decoded into.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, Decimal256Builder, Float32Builder, Float64Builder, Int16Builder,
    Int32Builder, Int64Builder, Int8Builder, StringBuilder, UInt16Builder, UInt32Builder,
    UInt64Builder, UInt8Builder,
};
use arrow_array::types::{
    Int32Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType,
};
use arrow_array::{
    ArrayRef, DictionaryArray, Int32Array, ListArray, MapArray, NullArray, PrimitiveArray,
    StringArray, StructArray,
};
use arrow_buffer::{i256, NullBufferBuilder, OffsetBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, DataType, Field, FieldRef, Fields, TimeUnit};
use koffer::schema::{Annotations, Kind, Node, VariantKind};

/// The Arrow type of a `u128` and of an `i128` (spec `arrow.md` §2.2):
/// `Decimal256(39, 0)` holds every value of both exactly (39 digits).
pub const DECIMAL_128: DataType = DataType::Decimal256(39, 0);

/// Field metadata keys (spec `arrow.md` §3).
pub mod key {
    /// The unit of the field's quantity.
    pub const UNIT: &str = "koffer.unit";
    /// The field's description.
    pub const DESCRIPTION: &str = "koffer.description";
    /// Its scale: quantity = value × scale + offset.
    pub const SCALE: &str = "koffer.scale";
    /// Its offset.
    pub const OFFSET: &str = "koffer.offset";
    /// A timestamp's time base as the definition gives it (`""`: the
    /// container's `time.base`).
    pub const TIME: &str = "koffer.time";
    /// The field's koffer type, as `koffer inspect` names it.
    pub const TYPE: &str = "koffer.type";
    /// `quantity` when the column holds the quantity (scale and offset
    /// applied) instead of the raw value.
    pub const VALUES: &str = "koffer.values";
}

/// How a definition is mapped (spec `arrow.md` §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Rows per record batch (at least 1).
    pub batch_size: usize,
    /// The root struct's nested struct fields as dotted columns
    /// (`position.lat`), as the CSV export names them.
    pub flatten: bool,
    /// Fields with a scale or offset as `Float64` quantities instead of their
    /// raw values.
    pub quantities: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            batch_size: 65_536,
            flatten: false,
            quantities: false,
        }
    }
}

/// The container's `time.base` and the options, while mapping.
pub(crate) struct Ctx<'o> {
    pub(crate) time_base: &'o str,
    pub(crate) options: Options,
}

/// One column of the tree a record type's values are decoded into.
pub(crate) enum Col {
    /// A unit, a unit struct, a struct without fields: only a length.
    Null(usize),
    Bool(BooleanBuilder),
    I8(Int8Builder),
    I16(Int16Builder),
    I32(Int32Builder),
    I64(Int64Builder),
    U8(UInt8Builder),
    U16(UInt16Builder),
    U32(UInt32Builder),
    U64(UInt64Builder),
    F32(Float32Builder),
    F64(Float64Builder),
    /// u128 and i128.
    Dec(Decimal256Builder),
    /// An integer timestamp in a Unix time base.
    Time(TimeUnit, Int64Builder),
    /// A number with a scale or offset, as its quantity.
    Quantity(Float64Builder, Option<f64>, Option<f64>),
    /// char and string.
    Str(StringBuilder),
    Bin(BinaryBuilder),
    /// An enum of unit variants only: the variant's index into its names.
    Dict(Int32Builder, Arc<StringArray>),
    List {
        offsets: Vec<i32>,
        nulls: NullBufferBuilder,
        item: FieldRef,
        child: usize,
    },
    Map {
        offsets: Vec<i32>,
        nulls: NullBufferBuilder,
        entries: FieldRef,
        /// A list of key–value structs: the key can be null (spec §2.8).
        as_list: bool,
        key: usize,
        value: usize,
    },
    Struct {
        fields: Fields,
        nulls: NullBufferBuilder,
        children: Vec<usize>,
    },
    /// An enum with data variants: a `variant` dictionary column, then one
    /// nullable column per data variant.
    Enum {
        fields: Fields,
        nulls: NullBufferBuilder,
        keys: Int32Builder,
        names: Arc<StringArray>,
        /// The column of each variant's data (`None` for a unit variant).
        data: Vec<Option<usize>>,
    },
}

/// A record type's columns: the tree's nodes, its root, its Arrow type.
pub(crate) struct Tree {
    pub(crate) cols: Vec<Col>,
    pub(crate) root: usize,
    pub(crate) field: Field,
}

impl Tree {
    /// The tree of values of type `root`.
    pub(crate) fn new(root: Node<'_>, ctx: &Ctx<'_>) -> Tree {
        let mut cols = Vec::new();
        let (field, root) = field_of("value", root, None, ctx, &mut cols);
        Tree { cols, root, field }
    }

    /// The values decoded so far as one array; the columns start again empty.
    pub(crate) fn finish(&mut self) -> Result<ArrayRef, ArrowError> {
        finish(&mut self.cols, self.root)
    }
}

fn metadata(node: Node<'_>, a: Option<&Annotations<'_>>) -> HashMap<String, String> {
    let mut m = HashMap::new();
    m.insert(
        key::TYPE.to_string(),
        koffer_export::layout::type_name(node),
    );
    if let Some(a) = a {
        if let Some(u) = a.unit {
            m.insert(key::UNIT.into(), u.into());
        }
        if let Some(d) = a.description {
            m.insert(key::DESCRIPTION.into(), d.into());
        }
        if let Some(s) = a.scale {
            m.insert(key::SCALE.into(), format!("{s:?}"));
        }
        if let Some(o) = a.offset {
            m.insert(key::OFFSET.into(), format!("{o:?}"));
        }
        if let Some(t) = a.time {
            m.insert(key::TIME.into(), t.into());
        }
    }
    m
}

/// Whether a root of type `node` is mapped to a non-null struct, whose
/// fields become the batch's columns (spec `arrow.md` §4); other roots are
/// one column, `value`.
pub(crate) fn splits(node: Node<'_>) -> bool {
    match node.kind() {
        Kind::NewtypeStruct { inner, .. } => splits(inner),
        Kind::Struct { fields, .. } => fields.count() > 0,
        Kind::Tuple(e) | Kind::TupleStruct { elements: e, .. } => e.count() > 0,
        Kind::Enum { variants, .. } => variants
            .clone()
            .any(|v| !matches!(v.kind, VariantKind::Unit)),
        _ => false,
    }
}

/// The node under options and newtype structs, and whether an option was
/// passed (the column is nullable).
fn unwrap(mut node: Node<'_>) -> (Node<'_>, bool) {
    let mut nullable = false;
    loop {
        match node.kind() {
            Kind::Option(inner) => {
                nullable = true;
                node = inner;
            }
            Kind::NewtypeStruct { inner, .. } => node = inner,
            _ => return (node, nullable),
        }
    }
}

/// The Arrow timestamp unit of a koffer unit (`s`, `ms`, `us`, `ns`).
fn time_unit(unit: Option<&str>) -> Option<TimeUnit> {
    match unit? {
        "s" => Some(TimeUnit::Second),
        "ms" => Some(TimeUnit::Millisecond),
        "us" => Some(TimeUnit::Microsecond),
        "ns" => Some(TimeUnit::Nanosecond),
        _ => None,
    }
}

fn is_int64(kind: &Kind<'_>) -> bool {
    matches!(
        kind,
        Kind::U8 | Kind::U16 | Kind::U32 | Kind::U64 | Kind::I8 | Kind::I16 | Kind::I32 | Kind::I64
    )
}

/// The Arrow field named `name` of a value of type `node` (with the field
/// annotations `a`), and its column, pushed onto `cols`.
fn field_of(
    name: &str,
    node: Node<'_>,
    a: Option<&Annotations<'_>>,
    ctx: &Ctx<'_>,
    cols: &mut Vec<Col>,
) -> (Field, usize) {
    let meta = metadata(node, a);
    let (inner, nullable) = unwrap(node);
    let kind = inner.kind();
    // §2.5 timestamps, §2.6 quantities: annotations of a scalar field.
    if let Some(a) = a {
        if let Some(base) = a.time {
            let base = if base.is_empty() { ctx.time_base } else { base };
            if let (true, true, Some(unit)) = (base == "unix", is_int64(&kind), time_unit(a.unit)) {
                let ty = DataType::Timestamp(unit, Some("UTC".into()));
                let c = push(cols, Col::Time(unit, Int64Builder::new()));
                return (Field::new(name, ty, nullable).with_metadata(meta), c);
            }
        }
        let numeric = is_int64(&kind) || matches!(kind, Kind::F32 | Kind::F64);
        if ctx.options.quantities && numeric && (a.scale.is_some() || a.offset.is_some()) {
            let mut meta = meta;
            meta.insert(key::VALUES.into(), "quantity".into());
            let c = push(
                cols,
                Col::Quantity(Float64Builder::new(), a.scale, a.offset),
            );
            return (
                Field::new(name, DataType::Float64, nullable).with_metadata(meta),
                c,
            );
        }
    }
    let (ty, col) = match kind {
        Kind::Bool => (DataType::Boolean, Col::Bool(BooleanBuilder::new())),
        Kind::U8 => (DataType::UInt8, Col::U8(UInt8Builder::new())),
        Kind::U16 => (DataType::UInt16, Col::U16(UInt16Builder::new())),
        Kind::U32 => (DataType::UInt32, Col::U32(UInt32Builder::new())),
        Kind::U64 => (DataType::UInt64, Col::U64(UInt64Builder::new())),
        Kind::I8 => (DataType::Int8, Col::I8(Int8Builder::new())),
        Kind::I16 => (DataType::Int16, Col::I16(Int16Builder::new())),
        Kind::I32 => (DataType::Int32, Col::I32(Int32Builder::new())),
        Kind::I64 => (DataType::Int64, Col::I64(Int64Builder::new())),
        Kind::U128 | Kind::I128 => (
            DECIMAL_128,
            Col::Dec(Decimal256Builder::new().with_data_type(DECIMAL_128)),
        ),
        Kind::F32 => (DataType::Float32, Col::F32(Float32Builder::new())),
        Kind::F64 => (DataType::Float64, Col::F64(Float64Builder::new())),
        Kind::Char | Kind::String => (DataType::Utf8, Col::Str(StringBuilder::new())),
        Kind::Bytes => (DataType::Binary, Col::Bin(BinaryBuilder::new())),
        Kind::Unit | Kind::UnitStruct { .. } => (DataType::Null, Col::Null(0)),
        // `unwrap` removed these.
        Kind::Option(_) | Kind::NewtypeStruct { .. } => (DataType::Null, Col::Null(0)),
        Kind::Seq(element) | Kind::Array { element, .. } => {
            let (item, child) = field_of("item", element, None, ctx, cols);
            let item = Arc::new(item.with_nullable(true));
            (
                DataType::List(item.clone()),
                Col::List {
                    offsets: vec![0],
                    nulls: NullBufferBuilder::new(0),
                    item,
                    child,
                },
            )
        }
        Kind::Map { key, value } => {
            let (kf, k) = field_of("key", key, None, ctx, cols);
            let (vf, v) = field_of("value", value, None, ctx, cols);
            let as_list = kf.is_nullable();
            let vf = vf.with_nullable(true);
            let entries = Arc::new(Field::new(
                "entries",
                DataType::Struct(Fields::from(vec![kf, vf])),
                false,
            ));
            (
                if as_list {
                    DataType::List(entries.clone())
                } else {
                    DataType::Map(entries.clone(), false)
                },
                Col::Map {
                    offsets: vec![0],
                    nulls: NullBufferBuilder::new(0),
                    entries,
                    as_list,
                    key: k,
                    value: v,
                },
            )
        }
        Kind::Tuple(els) | Kind::TupleStruct { elements: els, .. } => {
            let mut fs = Vec::new();
            let mut children = Vec::new();
            for (i, e) in els.enumerate() {
                let (f, c) = field_of(&i.to_string(), e, None, ctx, cols);
                fs.push(f);
                children.push(c);
            }
            struct_col(fs, children)
        }
        Kind::Struct { fields, .. } => {
            let mut fs = Vec::new();
            let mut children = Vec::new();
            for f in fields {
                let (af, c) = field_of(f.name, f.ty, Some(&f.annotations), ctx, cols);
                fs.push(af);
                children.push(c);
            }
            struct_col(fs, children)
        }
        Kind::Enum { variants, .. } => {
            let names = Arc::new(StringArray::from_iter_values(variants.map(|v| v.name)));
            let dict = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
            if variants
                .clone()
                .all(|v| matches!(v.kind, VariantKind::Unit))
            {
                (dict, Col::Dict(Int32Builder::new(), names))
            } else {
                let mut fs = vec![Field::new("variant", dict, false)];
                let mut data = Vec::new();
                for v in variants {
                    let (f, c) = match v.kind {
                        VariantKind::Unit => {
                            data.push(None);
                            continue;
                        }
                        VariantKind::Newtype(t) => field_of(v.name, t, None, ctx, cols),
                        VariantKind::Tuple(els) => {
                            let mut vfs = Vec::new();
                            let mut children = Vec::new();
                            for (i, e) in els.enumerate() {
                                let (f, c) = field_of(&i.to_string(), e, None, ctx, cols);
                                vfs.push(f);
                                children.push(c);
                            }
                            let (ty, col) = struct_col(vfs, children);
                            (Field::new(v.name, ty, true), push(cols, col))
                        }
                        VariantKind::Struct(vfields) => {
                            let mut vfs = Vec::new();
                            let mut children = Vec::new();
                            for f in vfields {
                                let (af, c) =
                                    field_of(f.name, f.ty, Some(&f.annotations), ctx, cols);
                                vfs.push(af);
                                children.push(c);
                            }
                            let (ty, col) = struct_col(vfs, children);
                            (Field::new(v.name, ty, true), push(cols, col))
                        }
                    };
                    fs.push(f.with_nullable(true));
                    data.push(Some(c));
                }
                let fields = Fields::from(fs);
                (
                    DataType::Struct(fields.clone()),
                    Col::Enum {
                        fields,
                        nulls: NullBufferBuilder::new(0),
                        keys: Int32Builder::new(),
                        names,
                        data,
                    },
                )
            }
        }
    };
    let nullable = nullable || matches!(ty, DataType::Null);
    let c = push(cols, col);
    (Field::new(name, ty, nullable).with_metadata(meta), c)
}

/// A struct (or tuple) column; one without fields is a null column
/// (Parquet has no empty groups).
fn struct_col(fs: Vec<Field>, children: Vec<usize>) -> (DataType, Col) {
    if fs.is_empty() {
        return (DataType::Null, Col::Null(0));
    }
    let fields = Fields::from(fs);
    (
        DataType::Struct(fields.clone()),
        Col::Struct {
            fields,
            nulls: NullBufferBuilder::new(0),
            children,
        },
    )
}

fn push(cols: &mut Vec<Col>, col: Col) -> usize {
    cols.push(col);
    cols.len() - 1
}

pub(crate) fn append_null(cols: &mut [Col], c: usize) {
    let mut many: Vec<usize> = Vec::new();
    match &mut cols[c] {
        Col::Null(n) => *n += 1,
        Col::Bool(b) => b.append_null(),
        Col::I8(b) => b.append_null(),
        Col::I16(b) => b.append_null(),
        Col::I32(b) => b.append_null(),
        Col::I64(b) => b.append_null(),
        Col::U8(b) => b.append_null(),
        Col::U16(b) => b.append_null(),
        Col::U32(b) => b.append_null(),
        Col::U64(b) => b.append_null(),
        Col::F32(b) => b.append_null(),
        Col::F64(b) => b.append_null(),
        Col::Dec(b) => b.append_null(),
        Col::Time(_, b) => b.append_null(),
        Col::Quantity(b, ..) => b.append_null(),
        Col::Str(b) => b.append_null(),
        Col::Bin(b) => b.append_null(),
        Col::Dict(b, _) => b.append_null(),
        Col::List { offsets, nulls, .. } | Col::Map { offsets, nulls, .. } => {
            let last = *offsets.last().unwrap_or(&0);
            offsets.push(last);
            nulls.append_null();
        }
        Col::Struct {
            nulls, children, ..
        } => {
            nulls.append_null();
            many.extend_from_slice(children);
        }
        Col::Enum {
            nulls, keys, data, ..
        } => {
            nulls.append_null();
            // A null key would break the non-null `variant` field: the
            // struct's own null hides it.
            keys.append_value(0);
            many.extend(data.iter().flatten());
        }
    }
    // An absent list or map has no elements: nothing goes to its children.
    for k in many {
        append_null(cols, k);
    }
}

fn offsets(offsets: &mut Vec<i32>) -> OffsetBuffer<i32> {
    let o = std::mem::replace(offsets, vec![0]);
    // Offsets only ever grow (each is the last plus a count).
    OffsetBuffer::new(ScalarBuffer::from(o))
}

fn timestamps(unit: TimeUnit, b: &mut Int64Builder) -> ArrayRef {
    let a = b.finish();
    let (_, values, nulls) = a.into_parts();
    match unit {
        TimeUnit::Second => {
            Arc::new(PrimitiveArray::<TimestampSecondType>::new(values, nulls).with_timezone("UTC"))
        }
        TimeUnit::Millisecond => Arc::new(
            PrimitiveArray::<TimestampMillisecondType>::new(values, nulls).with_timezone("UTC"),
        ),
        TimeUnit::Microsecond => Arc::new(
            PrimitiveArray::<TimestampMicrosecondType>::new(values, nulls).with_timezone("UTC"),
        ),
        TimeUnit::Nanosecond => Arc::new(
            PrimitiveArray::<TimestampNanosecondType>::new(values, nulls).with_timezone("UTC"),
        ),
    }
}

fn finish(cols: &mut [Col], c: usize) -> Result<ArrayRef, ArrowError> {
    // Children first (they are separate entries of `cols`).
    let kids: Vec<usize> = match &cols[c] {
        Col::List { child, .. } => vec![*child],
        Col::Map { key, value, .. } => vec![*key, *value],
        Col::Struct { children, .. } => children.clone(),
        Col::Enum { data, .. } => data.iter().flatten().copied().collect(),
        _ => Vec::new(),
    };
    let mut arrays = Vec::with_capacity(kids.len());
    for k in kids {
        arrays.push(finish(cols, k)?);
    }
    Ok(match &mut cols[c] {
        Col::Null(n) => Arc::new(NullArray::new(std::mem::take(n))),
        Col::Bool(b) => Arc::new(b.finish()),
        Col::I8(b) => Arc::new(b.finish()),
        Col::I16(b) => Arc::new(b.finish()),
        Col::I32(b) => Arc::new(b.finish()),
        Col::I64(b) => Arc::new(b.finish()),
        Col::U8(b) => Arc::new(b.finish()),
        Col::U16(b) => Arc::new(b.finish()),
        Col::U32(b) => Arc::new(b.finish()),
        Col::U64(b) => Arc::new(b.finish()),
        Col::F32(b) => Arc::new(b.finish()),
        Col::F64(b) => Arc::new(b.finish()),
        Col::Dec(b) => Arc::new(b.finish()),
        Col::Time(unit, b) => timestamps(*unit, b),
        Col::Quantity(b, ..) => Arc::new(b.finish()),
        Col::Str(b) => Arc::new(b.finish()),
        Col::Bin(b) => Arc::new(b.finish()),
        Col::Dict(b, names) => Arc::new(DictionaryArray::<Int32Type>::try_new(
            b.finish(),
            names.clone(),
        )?),
        Col::List {
            offsets: o,
            nulls,
            item,
            ..
        } => Arc::new(ListArray::try_new(
            item.clone(),
            offsets(o),
            arrays.pop().unwrap_or_else(|| Arc::new(NullArray::new(0))),
            nulls.finish(),
        )?),
        Col::Map {
            offsets: o,
            nulls,
            entries,
            as_list,
            ..
        } => {
            let DataType::Struct(fs) = entries.data_type() else {
                return Err(ArrowError::SchemaError("map entries".into()));
            };
            let e = StructArray::try_new(fs.clone(), arrays, None)?;
            if *as_list {
                return Ok(Arc::new(ListArray::try_new(
                    entries.clone(),
                    offsets(o),
                    Arc::new(e),
                    nulls.finish(),
                )?));
            }
            Arc::new(MapArray::try_new(
                entries.clone(),
                offsets(o),
                e,
                nulls.finish(),
                false,
            )?)
        }
        Col::Struct { fields, nulls, .. } => Arc::new(StructArray::try_new(
            fields.clone(),
            arrays,
            nulls.finish(),
        )?),
        Col::Enum {
            fields,
            nulls,
            keys,
            names,
            ..
        } => {
            let k: Int32Array = keys.finish();
            let dict: ArrayRef = Arc::new(DictionaryArray::<Int32Type>::try_new(k, names.clone())?);
            let mut all = vec![dict];
            all.extend(arrays);
            Arc::new(StructArray::try_new(fields.clone(), all, nulls.finish())?)
        }
    })
}

/// A 128-bit integer as the 256-bit decimal value of [`DECIMAL_128`].
pub(crate) fn dec_i128(v: i128) -> i256 {
    i256::from_i128(v)
}

/// A u128 as the 256-bit decimal value of [`DECIMAL_128`].
pub(crate) fn dec_u128(v: u128) -> i256 {
    i256::from_parts(v, 0)
}

/// The quantity of `v` (spec `schema.md` §3): `v × scale + offset`,
/// computed as the CSV export computes it, so both show the same number.
pub fn quantity(v: f64, scale: Option<f64>, offset: Option<f64>) -> f64 {
    let scale = scale.unwrap_or(1.0);
    let offset = offset.unwrap_or(0.0);
    let k = 1.0 / scale;
    let shift = offset * k;
    let exact = |x: f64| x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0;
    if exact(k) && exact(shift) {
        (v + shift) / k
    } else {
        v * scale + offset
    }
}
