//! Rendering a record type's definition for people (`inspect`) and scripts
//! (`inspect --json`): field names, types, units, descriptions.
//!
//! ```
//! // The definition of a lone f64.
//! let l = koffer_export::layout::layout(&[0x0D]).unwrap();
//! assert_eq!(l.ty, "f64");
//! assert!(l.fields.is_empty());
//! ```

use std::fmt::Write as _;

use koffer::schema::{Annotations, Definition, Elements, Kind, Node, VariantKind};
use serde::Serialize;

/// One field of a record type's root struct, as `inspect --json` shows it.
#[derive(Serialize)]
pub struct FieldInfo {
    /// The field's name.
    pub name: String,
    /// Its type ([`type_name`]).
    #[serde(rename = "type")]
    pub ty: String,
    /// Its unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Its description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its scale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    /// Its offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<f64>,
    /// The time base of a timestamp ("" = the container's `time.base`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// A record type's layout: the root type and, for a struct, its fields.
#[derive(Serialize)]
pub struct Layout {
    /// The root type ([`type_name`]).
    #[serde(rename = "type")]
    pub ty: String,
    /// The root struct's fields (empty for another root).
    pub fields: Vec<FieldInfo>,
}

/// The layout of a (checked) definition; `None` when it is empty.
pub fn layout(definition: &[u8]) -> Option<Layout> {
    let def = Definition::parse(definition).ok()?;
    let root = def.root()?;
    let fields = match root.kind() {
        Kind::Struct { fields, .. } => fields
            .map(|f| FieldInfo {
                name: f.name.to_string(),
                ty: type_name(f.ty),
                unit: f.annotations.unit.map(str::to_string),
                description: f.annotations.description.map(str::to_string),
                scale: f.annotations.scale,
                offset: f.annotations.offset,
                time: f.annotations.time.map(str::to_string),
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(Layout {
        ty: type_name(root),
        fields,
    })
}

fn elements(els: Elements<'_>, short: bool) -> String {
    els.map(|t| name_of(t, short))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A one-line name of a type, e.g. `option<string>`, `enum Activity { Rest, Walk }`.
pub fn type_name(node: Node<'_>) -> String {
    name_of(node, false)
}

/// [`type_name`] shortened for a table cell: structs by their name, tuple
/// structs as `struct Name(…)`, enums with their variants' names only.
pub fn short_type_name(node: Node<'_>) -> String {
    name_of(node, true)
}

fn name_of(node: Node<'_>, short: bool) -> String {
    let type_name = |t| name_of(t, short);
    let elements = |els| elements(els, short);
    match node.kind() {
        Kind::Bool => "bool".into(),
        Kind::U8 => "u8".into(),
        Kind::U16 => "u16".into(),
        Kind::U32 => "u32".into(),
        Kind::U64 => "u64".into(),
        Kind::U128 => "u128".into(),
        Kind::I8 => "i8".into(),
        Kind::I16 => "i16".into(),
        Kind::I32 => "i32".into(),
        Kind::I64 => "i64".into(),
        Kind::I128 => "i128".into(),
        Kind::F32 => "f32".into(),
        Kind::F64 => "f64".into(),
        Kind::Char => "char".into(),
        Kind::String => "string".into(),
        Kind::Bytes => "bytes".into(),
        Kind::Unit => "()".into(),
        Kind::Option(t) => format!("option<{}>", type_name(t)),
        Kind::Seq(t) => format!("seq<{}>", type_name(t)),
        Kind::UnitStruct { name } => format!("struct {name}"),
        Kind::NewtypeStruct { name, inner } => format!("struct {name}({})", type_name(inner)),
        Kind::Tuple(els) => format!("({})", elements(els)),
        Kind::TupleStruct { name, .. } if short => format!("struct {name}(…)"),
        Kind::TupleStruct {
            name,
            elements: els,
        } => format!("struct {name}({})", elements(els)),
        Kind::Array { len, element } => format!("[{}; {len}]", type_name(element)),
        Kind::Map { key, value } => format!("map<{}, {}>", type_name(key), type_name(value)),
        Kind::Struct { name, .. } if short => format!("struct {name}"),
        Kind::Struct { name, fields } => {
            let fields: Vec<String> = fields
                .map(|f| format!("{}: {}", f.name, type_name(f.ty)))
                .collect();
            format!("struct {name} {{ {} }}", fields.join(", "))
        }
        Kind::Enum { name, variants } if short => {
            let names: Vec<&str> = variants.map(|v| v.name).collect();
            format!("enum {name} {{ {} }}", names.join(", "))
        }
        Kind::Enum { name, variants } => {
            let variants: Vec<String> = variants
                .map(|v| match v.kind {
                    VariantKind::Unit => v.name.to_string(),
                    VariantKind::Newtype(t) => format!("{}({})", v.name, type_name(t)),
                    VariantKind::Tuple(els) => format!("{}({})", v.name, elements(els)),
                    VariantKind::Struct(fs) => {
                        let fs: Vec<String> = fs
                            .map(|f| format!("{}: {}", f.name, type_name(f.ty)))
                            .collect();
                        format!("{} {{ {} }}", v.name, fs.join(", "))
                    }
                })
                .collect();
            format!("enum {name} {{ {} }}", variants.join(", "))
        }
    }
}

/// The bracketed annotations of a field, e.g. `[ms, timestamp]`, or "".
pub fn annotations(a: &Annotations<'_>) -> String {
    let mut parts = Vec::new();
    if let Some(u) = a.unit {
        parts.push(u.to_string());
    }
    if let Some(s) = a.scale {
        parts.push(format!("×{s}"));
    }
    if let Some(o) = a.offset {
        parts.push(format!("{o:+}"));
    }
    match a.time {
        Some("") => parts.push("timestamp".into()),
        Some(base) => parts.push(format!("timestamp, {base}")),
        None => {}
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" [{}]", parts.join(", "))
    }
}

/// The text `inspect` prints for a layout, one field a line; names, types,
/// units and descriptions from the file through [`crate::printable`].
pub fn text(l: &Layout, out: &mut String) {
    use crate::printable as p;
    if l.fields.is_empty() {
        let _ = writeln!(out, "    {}", p(&l.ty));
        return;
    }
    let width = l
        .fields
        .iter()
        .map(|f| p(&f.name).chars().count())
        .max()
        .unwrap_or(0);
    for f in &l.fields {
        let a = annotations(&Annotations {
            unit: f.unit.as_deref(),
            description: None,
            scale: f.scale,
            offset: f.offset,
            time: f.time.as_deref(),
        });
        let _ = write!(out, "    {:<width$}  {}{}", p(&f.name), p(&f.ty), p(&a));
        if let Some(d) = &f.description {
            let _ = write!(out, "  — {}", p(d));
        }
        out.push('\n');
    }
}
