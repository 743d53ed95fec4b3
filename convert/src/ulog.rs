//! PX4 ULog to koffer.
//!
//! A tolerant reader of its own for the ULog format (16-byte header, then
//! messages of `u16` size, `u8` type and body): flag bits with appended-data
//! offsets, formats (`F`), info (`I`, `M`), parameters (`P`, `Q`),
//! subscriptions (`A`, `R`), data (`D`), logged strings (`L`, `C`), dropouts
//! (`O`) and sync messages (`S`). It stops at the first message it cannot
//! read and says so in [`Report::damage`](crate::Report::damage); a torn
//! message at the end of the main log before appended data is skipped (as
//! PX4's own reader does) and noted.
//!
//! Mapping (see `convert/README.md`): every logged topic's format becomes a
//! record type named after the topic, a struct whose first field is
//! `multi_id` (the topic instance) followed by the format's fields in order,
//! with their types (`float[3]` as an array of 3 f32, `char[N]` as a string,
//! nested formats as nested structs); `_padding` fields are dropped; fields
//! named `timestamp*` (u64) are timestamps in µs since boot. Info messages
//! become metadata entries `ulog:<key>`; parameters, multi-info, logged
//! strings and dropouts become records of `ulog.parameter`,
//! `ulog.parameter_default`, `ulog.info_multiple`, `ulog.logged_string` and
//! `ulog.dropout`.

use std::collections::HashMap;

use koffer::meta::{key, OwnedValue};

use koffer::varint::{push_u64, zigzag};

use crate::def::{FieldDef, StructTy, Ty};
use crate::{Error, Export};

const MAGIC: [u8; 7] = [0x55, 0x4C, 0x6F, 0x67, 0x01, 0x12, 0x35];
/// Nesting limit for nested formats (koffer allows 32 levels).
const MAX_NESTING: usize = 12;

/// A primitive ULog type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prim {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    Bool,
    Char,
}

impl Prim {
    fn parse(s: &str) -> Option<Prim> {
        Some(match s {
            "int8_t" => Prim::I8,
            "uint8_t" => Prim::U8,
            "int16_t" => Prim::I16,
            "uint16_t" => Prim::U16,
            "int32_t" => Prim::I32,
            "uint32_t" => Prim::U32,
            "int64_t" => Prim::I64,
            "uint64_t" => Prim::U64,
            "float" => Prim::F32,
            "double" => Prim::F64,
            "bool" => Prim::Bool,
            "char" => Prim::Char,
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            Prim::I8 | Prim::U8 | Prim::Bool | Prim::Char => 1,
            Prim::I16 | Prim::U16 => 2,
            Prim::I32 | Prim::U32 | Prim::F32 => 4,
            Prim::I64 | Prim::U64 | Prim::F64 => 8,
        }
    }

    fn ty(self) -> Ty {
        match self {
            Prim::I8 => Ty::I8,
            Prim::U8 | Prim::Char => Ty::U8,
            Prim::I16 => Ty::I16,
            Prim::U16 => Ty::U16,
            Prim::I32 => Ty::I32,
            Prim::U32 => Ty::U32,
            Prim::I64 => Ty::I64,
            Prim::U64 => Ty::U64,
            Prim::F32 => Ty::F32,
            Prim::F64 => Ty::F64,
            Prim::Bool => Ty::Bool,
        }
    }

    /// Appends the postcard encoding of the value in `b` (exactly `size()` bytes).
    fn encode(self, b: &[u8], out: &mut Vec<u8>) {
        let mut buf = [0u8; 8];
        let n = self.size().min(b.len());
        buf[..n].copy_from_slice(&b[..n]);
        let u = u64::from_le_bytes(buf);
        match self {
            Prim::U8 | Prim::I8 | Prim::Char => out.push(buf[0]),
            Prim::Bool => out.push(u8::from(buf[0] != 0)),
            Prim::U16 | Prim::U32 | Prim::U64 => push_u64(out, u),
            Prim::I16 => push_u64(out, zigzag(i64::from(u as u16 as i16))),
            Prim::I32 => push_u64(out, zigzag(i64::from(u as u32 as i32))),
            Prim::I64 => push_u64(out, zigzag(u as i64)),
            Prim::F32 | Prim::F64 => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// A field of a format.
#[derive(Debug, Clone)]
struct UField {
    name: String,
    elem: Elem,
    /// Array length (`None`: a single value).
    len: Option<usize>,
}

#[derive(Debug, Clone)]
enum Elem {
    Prim(Prim),
    Nested(String),
}

/// Parsed `F` message: `name:type field;type field;...`.
#[derive(Debug, Clone)]
struct UFormat {
    fields: Vec<UField>,
}

fn parse_format(text: &str) -> Option<(String, UFormat)> {
    let (name, rest) = text.split_once(':')?;
    let mut fields = Vec::new();
    for item in rest.split(';').filter(|s| !s.trim().is_empty()) {
        let (ty, fname) = item.trim().split_once(' ')?;
        let (base, len) = match ty.split_once('[') {
            Some((b, l)) => (b, Some(l.strip_suffix(']')?.parse::<usize>().ok()?)),
            None => (ty, None),
        };
        let elem = match Prim::parse(base) {
            Some(p) => Elem::Prim(p),
            None => Elem::Nested(base.to_string()),
        };
        fields.push(UField {
            name: fname.to_string(),
            elem,
            len,
        });
    }
    Some((name.to_string(), UFormat { fields }))
}

/// How a topic's bytes map to a payload: a flat program of steps.
#[derive(Debug, Clone)]
enum Step {
    /// Encode one primitive at this byte offset.
    Prim(usize, Prim),
    /// A `char[N]` string at this offset.
    Str(usize, usize),
    /// Bytes skipped (padding).
    Skip,
}

/// A topic's record type: definition and encoding program.
#[derive(Debug, Clone)]
struct Topic {
    record_type: u8,
    steps: Vec<Step>,
    /// Bytes a row must have (up to the end of the last non-padding field).
    min_len: usize,
}

struct Formats<'a> {
    map: &'a HashMap<String, UFormat>,
}

impl Formats<'_> {
    /// Size of format `name`, or `None` if unknown or nested too deep.
    fn size(&self, name: &str, depth: usize) -> Option<usize> {
        if depth > MAX_NESTING {
            return None;
        }
        let f = self.map.get(name)?;
        let mut total = 0usize;
        for fld in &f.fields {
            let one = match &fld.elem {
                Elem::Prim(p) => p.size(),
                Elem::Nested(n) => self.size(n, depth + 1)?,
            };
            total = total.checked_add(one.checked_mul(fld.len.unwrap_or(1))?)?;
        }
        Some(total)
    }

    /// Builds the struct for format `name` and appends its steps from byte `base`.
    fn build(
        &self,
        name: &str,
        base: usize,
        depth: usize,
        steps: &mut Vec<Step>,
        min_len: &mut usize,
        top: bool,
    ) -> Result<StructTy, Error> {
        let bad = |m: String| Error::Definition(format!("format {name}: {m}"));
        if depth > MAX_NESTING {
            return Err(bad("nested too deep".into()));
        }
        let f = self
            .map
            .get(name)
            .ok_or_else(|| bad("unknown format".into()))?;
        let mut st = StructTy::new(name);
        if top {
            st.push(FieldDef::new("multi_id", Ty::U8).describe("topic instance"));
        }
        let mut off = base;
        for fld in &f.fields {
            let count = fld.len.unwrap_or(1);
            let elem_size = match &fld.elem {
                Elem::Prim(p) => p.size(),
                Elem::Nested(n) => self
                    .size(n, depth + 1)
                    .ok_or_else(|| bad(format!("unknown nested format {n}")))?,
            };
            let size = elem_size
                .checked_mul(count)
                .ok_or_else(|| bad("field too large".into()))?;
            if fld.name.starts_with("_padding") {
                steps.push(Step::Skip);
                off += size;
                continue;
            }
            if count == 0 {
                off += size;
                continue;
            }
            let ty = match (&fld.elem, fld.len) {
                (Elem::Prim(Prim::Char), Some(n)) => {
                    steps.push(Step::Str(off, n));
                    Ty::Str
                }
                (Elem::Prim(p), len) => {
                    for i in 0..count {
                        steps.push(Step::Prim(off + i * p.size(), *p));
                    }
                    match len {
                        Some(n) => Ty::Array(
                            u16::try_from(n).map_err(|_| bad("array too long".into()))?,
                            Box::new(p.ty()),
                        ),
                        None => p.ty(),
                    }
                }
                (Elem::Nested(n), len) => {
                    let mut inner = None;
                    for i in 0..count {
                        let st =
                            self.build(n, off + i * elem_size, depth + 1, steps, min_len, false)?;
                        inner = Some(st);
                    }
                    let inner = Ty::Struct(inner.unwrap_or_default());
                    match len {
                        Some(n) => Ty::Array(
                            u16::try_from(n).map_err(|_| bad("array too long".into()))?,
                            Box::new(inner),
                        ),
                        None => inner,
                    }
                }
            };
            let mut field = FieldDef::new(fld.name.clone(), ty);
            if matches!(fld.elem, Elem::Prim(Prim::U64))
                && fld.len.is_none()
                && fld.name.starts_with("timestamp")
            {
                field = field.unit("us").time("boot");
            }
            st.push(field);
            off += size;
            *min_len = (*min_len).max(off);
        }
        Ok(st)
    }
}

/// A ULog file read and mapped.
pub struct Converted {
    /// The container contents.
    pub export: Export,
    /// Data rows decoded per topic name.
    pub rows_per_topic: HashMap<String, usize>,
    /// Data rows decoded.
    pub rows: usize,
    /// Parameters read (`P`).
    pub parameters: usize,
    /// Logged strings read.
    pub logged_strings: usize,
}

/// A typed value of an info or parameter message.
enum UValue {
    Str(String),
    Int(i64),
    Uint(u64),
    Float(f64),
    Bytes(Vec<u8>),
}

/// Parses an info key `type name` and its value bytes.
fn typed_value(key: &str, value: &[u8]) -> (String, UValue) {
    let (ty, name) = key.split_once(' ').unwrap_or(("", key));
    let le = |n: usize| {
        let mut b = [0u8; 8];
        let k = n.min(value.len());
        b[..k].copy_from_slice(&value[..k]);
        u64::from_le_bytes(b)
    };
    let v = if ty.starts_with("char[") {
        let end = value.iter().position(|&c| c == 0).unwrap_or(value.len());
        UValue::Str(String::from_utf8_lossy(&value[..end]).into_owned())
    } else {
        match (Prim::parse(ty), value.len()) {
            (Some(p), n) if n == p.size() => match p {
                Prim::U8 | Prim::U16 | Prim::U32 | Prim::U64 | Prim::Bool | Prim::Char => {
                    UValue::Uint(le(n))
                }
                Prim::I8 => UValue::Int(i64::from(le(1) as u8 as i8)),
                Prim::I16 => UValue::Int(i64::from(le(2) as u16 as i16)),
                Prim::I32 => UValue::Int(i64::from(le(4) as u32 as i32)),
                Prim::I64 => UValue::Int(le(8) as i64),
                Prim::F32 => UValue::Float(f64::from(f32::from_bits(le(4) as u32))),
                Prim::F64 => UValue::Float(f64::from_bits(le(8))),
            },
            _ => UValue::Bytes(value.to_vec()),
        }
    };
    (name.to_string(), v)
}

/// The `value` enum of parameter and multi-info records.
fn value_enum() -> Ty {
    Ty::Enum {
        name: "Value".into(),
        variants: vec![
            ("Str".into(), Some(Ty::Str)),
            ("Int".into(), Some(Ty::I64)),
            ("Uint".into(), Some(Ty::U64)),
            ("Float".into(), Some(Ty::F64)),
            ("Bytes".into(), Some(Ty::Bytes)),
        ],
    }
}

fn encode_value(v: &UValue, out: &mut Vec<u8>) {
    match v {
        UValue::Str(s) => {
            out.push(0);
            push_u64(out, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        UValue::Int(i) => {
            out.push(1);
            push_u64(out, zigzag(*i));
        }
        UValue::Uint(u) => {
            out.push(2);
            push_u64(out, *u);
        }
        UValue::Float(f) => {
            out.push(3);
            out.extend_from_slice(&f.to_le_bytes());
        }
        UValue::Bytes(b) => {
            out.push(4);
            push_u64(out, b.len() as u64);
            out.extend_from_slice(b);
        }
    }
}

fn put_str(s: &[u8], out: &mut Vec<u8>) {
    let text = String::from_utf8_lossy(s);
    push_u64(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

/// Data rows waiting to be written, per topic: rows of one topic go out
/// together so that they share blocks (koffer starts a block whenever the
/// record type changes, and ULog interleaves topics row by row).
#[derive(Default)]
struct Pending {
    /// Per record type: its payloads back to back and their ends.
    queues: HashMap<u8, (Vec<u8>, Vec<usize>)>,
    /// Record types in the order their oldest pending row was logged.
    order: Vec<u8>,
}

/// Payload bytes after which a topic's pending rows are written (about one
/// 4096-byte block).
const FLUSH_BYTES: usize = 3800;

impl Pending {
    fn push(&mut self, export: &mut Export, t: u8, encode: impl FnOnce(&mut Vec<u8>)) {
        let q = self.queues.entry(t).or_default();
        if q.1.is_empty() {
            self.order.push(t);
        }
        encode(&mut q.0);
        q.1.push(q.0.len());
        if q.0.len() >= FLUSH_BYTES {
            self.flush_one(export, t);
        }
    }

    fn flush_one(&mut self, export: &mut Export, t: u8) {
        if let Some((bytes, ends)) = self.queues.get_mut(&t) {
            let mut start = 0;
            for &end in ends.iter() {
                let row = &bytes[start..end];
                export.push_record(t, |out| out.extend_from_slice(row));
                start = end;
            }
            bytes.clear();
            ends.clear();
        }
        self.order.retain(|&x| x != t);
    }

    /// Writes every pending row (before a non-data record, and at the end).
    fn flush_all(&mut self, export: &mut Export) {
        for t in std::mem::take(&mut self.order) {
            self.flush_one(export, t);
        }
    }
}

/// Largest value of a multi-info record before it is split into continued
/// records (a record must fit the 4096-byte block buffer).
const MAX_INFO_CHUNK: usize = 3000;

/// Fixed record types, created when first needed.
#[derive(Default)]
struct Fixed {
    parameter: Option<u8>,
    parameter_default: Option<u8>,
    info_multiple: Option<u8>,
    logged_string: Option<u8>,
    dropout: Option<u8>,
}

fn fixed_type(
    export: &mut Export,
    slot: &mut Option<u8>,
    name: &str,
    st: StructTy,
) -> Result<u8, Error> {
    if let Some(t) = *slot {
        return Ok(t);
    }
    let t = export.add_type(name.into(), 1, Ty::Struct(st))?;
    *slot = Some(t);
    Ok(t)
}

/// Converts ULog bytes. `source_name` goes into the metadata.
pub fn convert(input: &[u8], source_name: &str) -> Result<Converted, Error> {
    if input.len() < 16 || input[..7] != MAGIC {
        return Err(Error::NotRecognized("no ULog magic".into()));
    }
    let version = input[7];
    let start_us = u64::from_le_bytes(input[8..16].try_into().unwrap_or([0; 8]));
    let mut export = Export::default();
    export.report.format = "ULog".into();
    export.report.input_bytes = input.len();
    export.meta("convert:source.format", OwnedValue::Str("ULog".into()));
    export.meta("convert:source.file", OwnedValue::Str(source_name.into()));
    export.meta(
        "convert:tool",
        OwnedValue::Str(concat!("koffer-convert ulog2koffer ", env!("CARGO_PKG_VERSION")).into()),
    );
    export.meta("ulog:version", OwnedValue::Uint(u64::from(version)));
    export.meta("ulog:start_timestamp_us", OwnedValue::Uint(start_us));
    export.meta(key::TIME_BASE, OwnedValue::Str("boot".into()));

    let mut formats: HashMap<String, UFormat> = HashMap::new();
    let mut topics: HashMap<String, Topic> = HashMap::new();
    let mut subs: HashMap<u16, (String, u8)> = HashMap::new();
    let mut fixed = Fixed::default();
    let mut conv = Converted {
        export: Export::default(),
        rows_per_topic: HashMap::new(),
        rows: 0,
        parameters: 0,
        logged_strings: 0,
    };
    let mut info: Vec<(String, UValue)> = Vec::new();
    let mut short_rows = 0usize;
    let mut pending = Pending::default();
    let mut split_values = 0usize;
    let mut syncs = 0usize;

    // Segments: the main log, then appended data sections.
    let mut segments: Vec<usize> = vec![16];
    let mut pos = 16;
    let mut first_message = true;
    let mut seg = 0;
    let mut seg_end = input.len();
    loop {
        if pos + 3 > seg_end {
            if pos < seg_end {
                let why = format!(
                    "byte {pos}: {} bytes left, too few for a message header",
                    seg_end - pos
                );
                if seg + 1 < segments.len() {
                    export
                        .report
                        .notes
                        .push(format!("{why}; skipped to the appended data"));
                } else {
                    export.report.damage = Some(format!("{why}; stopped there"));
                }
            }
            seg += 1;
            match segments.get(seg) {
                Some(&s) if s < input.len() => {
                    pos = s;
                    seg_end = segments.get(seg + 1).copied().unwrap_or(input.len());
                    continue;
                }
                _ => break,
            }
        }
        let size = usize::from(u16::from_le_bytes([input[pos], input[pos + 1]]));
        let kind = input[pos + 2];
        let at = pos;
        if pos + 3 + size > seg_end {
            let why = format!(
                "byte {at}: message '{}' of {size} bytes runs past the {}",
                kind as char,
                if seg_end == input.len() {
                    "end of the file"
                } else {
                    "appended-data offset"
                }
            );
            if seg + 1 < segments.len() {
                export
                    .report
                    .notes
                    .push(format!("{why}; skipped to the appended data"));
                pos = seg_end;
                continue;
            }
            export.report.damage = Some(format!("{why}; stopped there"));
            break;
        }
        let body = &input[pos + 3..pos + 3 + size];
        pos += 3 + size;
        let is_first = std::mem::replace(&mut first_message, false);
        if matches!(kind, b'P' | b'M' | b'Q' | b'L' | b'C' | b'O') {
            pending.flush_all(&mut export);
        }
        match kind {
            b'B' if is_first && body.len() >= 40 => {
                let incompat = body[8];
                if incompat & 1 != 0 {
                    for i in 0..3 {
                        let o = 16 + 8 * i;
                        let off = u64::from_le_bytes(body[o..o + 8].try_into().unwrap_or([0; 8]));
                        if off > 0 && (off as usize) < input.len() && off as usize > pos {
                            segments.push(off as usize);
                        }
                    }
                    segments.sort_unstable();
                    seg_end = segments.get(1).copied().unwrap_or(input.len());
                    export.report.notes.push(format!(
                        "appended data at byte offsets {:?}",
                        &segments[1..]
                    ));
                }
                if body[9..16].iter().any(|&b| b != 0) || incompat & !1 != 0 {
                    export.report.damage = Some(format!(
                        "byte {at}: unknown incompatible flags; stopped there"
                    ));
                    break;
                }
            }
            b'F' => {
                let text = String::from_utf8_lossy(body);
                match parse_format(&text) {
                    Some((name, f)) => {
                        formats.insert(name, f);
                        export.report.definitions += 1;
                    }
                    None => {
                        export.report.damage = Some(format!(
                            "byte {at}: unreadable format message; stopped there"
                        ));
                        break;
                    }
                }
            }
            b'I' | b'P' | b'M' | b'Q' => {
                let (head, rest) = match kind {
                    b'M' | b'Q' => (body.first().copied(), body.get(1..).unwrap_or(&[])),
                    _ => (None, body),
                };
                let Some((&klen, rest)) = rest.split_first() else {
                    export.report.damage = Some(format!(
                        "byte {at}: empty '{}' message; stopped there",
                        kind as char
                    ));
                    break;
                };
                let klen = usize::from(klen);
                if rest.len() < klen {
                    export.report.damage = Some(format!(
                        "byte {at}: key longer than its message; stopped there"
                    ));
                    break;
                }
                let key_text = String::from_utf8_lossy(&rest[..klen]).into_owned();
                let (name, value) = typed_value(&key_text, &rest[klen..]);
                let ty_text = key_text
                    .split_once(' ')
                    .map(|(t, _)| t)
                    .unwrap_or("")
                    .to_string();
                match kind {
                    b'I' => info.push((name, value)),
                    b'P' | b'Q' => {
                        let mut st = StructTy::new(if kind == b'P' {
                            "parameter"
                        } else {
                            "parameter_default"
                        });
                        if kind == b'Q' {
                            st.push(
                                FieldDef::new("default_types", Ty::U8)
                                    .describe("bit 0: system default, bit 1: airframe default"),
                            );
                        }
                        st.push(FieldDef::new("name", Ty::Str));
                        st.push(
                            FieldDef::new("type", Ty::Str).describe("the ULog type of the value"),
                        );
                        st.push(FieldDef::new("value", value_enum()));
                        let t = if kind == b'P' {
                            conv.parameters += 1;
                            fixed_type(&mut export, &mut fixed.parameter, "ulog.parameter", st)?
                        } else {
                            fixed_type(
                                &mut export,
                                &mut fixed.parameter_default,
                                "ulog.parameter_default",
                                st,
                            )?
                        };
                        export.push_record(t, |out| {
                            if let Some(h) = head {
                                out.push(h);
                            }
                            put_str(name.as_bytes(), out);
                            put_str(ty_text.as_bytes(), out);
                            encode_value(&value, out);
                        });
                    }
                    _ => {
                        let mut st = StructTy::new("info_multiple");
                        st.push(
                            FieldDef::new("is_continued", Ty::Bool)
                                .describe("continues the previous value of this key"),
                        );
                        st.push(FieldDef::new("key", Ty::Str));
                        st.push(
                            FieldDef::new("type", Ty::Str).describe("the ULog type of the value"),
                        );
                        st.push(FieldDef::new("value", value_enum()));
                        let t = fixed_type(
                            &mut export,
                            &mut fixed.info_multiple,
                            "ulog.info_multiple",
                            st,
                        )?;
                        let chunks: Vec<UValue> = match value {
                            UValue::Str(s) if s.len() > MAX_INFO_CHUNK => {
                                split_values += 1;
                                let mut parts = Vec::new();
                                let mut rest = s.as_str();
                                while !rest.is_empty() {
                                    let head = crate::def::clip_to(rest, MAX_INFO_CHUNK);
                                    let head = if head.is_empty() { rest } else { head };
                                    parts.push(UValue::Str(head.to_string()));
                                    rest = &rest[head.len()..];
                                }
                                parts
                            }
                            UValue::Bytes(b) if b.len() > MAX_INFO_CHUNK => {
                                split_values += 1;
                                b.chunks(MAX_INFO_CHUNK)
                                    .map(|c| UValue::Bytes(c.to_vec()))
                                    .collect()
                            }
                            v => vec![v],
                        };
                        for (i, chunk) in chunks.iter().enumerate() {
                            let continued = head.unwrap_or(0) != 0 || i > 0;
                            export.push_record(t, |out| {
                                out.push(u8::from(continued));
                                put_str(name.as_bytes(), out);
                                put_str(ty_text.as_bytes(), out);
                                encode_value(chunk, out);
                            });
                        }
                    }
                }
            }
            b'A' => {
                if body.len() < 4 {
                    export.report.damage = Some(format!(
                        "byte {at}: short subscription message; stopped there"
                    ));
                    break;
                }
                let multi_id = body[0];
                let msg_id = u16::from_le_bytes([body[1], body[2]]);
                let name = String::from_utf8_lossy(&body[3..])
                    .trim_end_matches('\0')
                    .to_string();
                if !topics.contains_key(&name) {
                    let f = Formats { map: &formats };
                    let mut steps = Vec::new();
                    let mut min_len = 0;
                    let st = f.build(&name, 0, 0, &mut steps, &mut min_len, true)?;
                    let record_type =
                        export.add_type(crate::def::name_of(&name, "topic"), 1, Ty::Struct(st))?;
                    topics.insert(
                        name.clone(),
                        Topic {
                            record_type,
                            steps,
                            min_len,
                        },
                    );
                }
                subs.insert(msg_id, (name, multi_id));
            }
            b'R' => {
                if body.len() >= 2 {
                    subs.remove(&u16::from_le_bytes([body[0], body[1]]));
                }
            }
            b'D' => {
                if body.len() < 2 {
                    export.report.damage =
                        Some(format!("byte {at}: short data message; stopped there"));
                    break;
                }
                let msg_id = u16::from_le_bytes([body[0], body[1]]);
                let Some((name, multi_id)) = subs.get(&msg_id) else {
                    export.report.damage = Some(format!(
                        "byte {at}: data for msg_id {msg_id}, never subscribed; stopped there"
                    ));
                    break;
                };
                let Some(topic) = topics.get(name) else {
                    continue;
                };
                let data = &body[2..];
                if data.len() < topic.min_len {
                    short_rows += 1;
                    continue;
                }
                let multi_id = *multi_id;
                pending.push(&mut export, topic.record_type, |out| {
                    out.push(multi_id);
                    for s in &topic.steps {
                        match *s {
                            Step::Prim(off, p) => p.encode(&data[off..off + p.size()], out),
                            Step::Str(off, n) => {
                                let b = &data[off..off + n];
                                let end = b.iter().position(|&c| c == 0).unwrap_or(n);
                                put_str(&b[..end], out);
                            }
                            Step::Skip => {}
                        }
                    }
                });
                conv.rows += 1;
                *conv.rows_per_topic.entry(name.clone()).or_insert(0) += 1;
            }
            b'L' | b'C' => {
                let tagged = kind == b'C';
                let need = if tagged { 11 } else { 9 };
                if body.len() < need {
                    export.report.damage =
                        Some(format!("byte {at}: short logged string; stopped there"));
                    break;
                }
                let level = body[0];
                let (tag, ts_at) = if tagged {
                    (Some(u16::from_le_bytes([body[1], body[2]])), 3)
                } else {
                    (None, 1)
                };
                let ts = u64::from_le_bytes(body[ts_at..ts_at + 8].try_into().unwrap_or([0; 8]));
                let text = &body[need..];
                let mut st = StructTy::new("logged_string");
                st.push(FieldDef::new("level", Ty::U8).describe(
                    "syslog level: 0 emergency ... 7 debug (ASCII '0'..'7' in old logs)",
                ));
                st.push(
                    FieldDef::new("tag", Ty::Option(Box::new(Ty::U16)))
                        .describe("tag of a tagged logged string"),
                );
                st.push(FieldDef::new("timestamp", Ty::U64).unit("us").time("boot"));
                st.push(FieldDef::new("message", Ty::Str));
                let t = fixed_type(
                    &mut export,
                    &mut fixed.logged_string,
                    "ulog.logged_string",
                    st,
                )?;
                export.push_record(t, |out| {
                    out.push(level);
                    match tag {
                        Some(tag) => {
                            out.push(1);
                            push_u64(out, u64::from(tag));
                        }
                        None => out.push(0),
                    }
                    push_u64(out, ts);
                    let end = text.iter().position(|&c| c == 0).unwrap_or(text.len());
                    put_str(&text[..end], out);
                });
                conv.logged_strings += 1;
            }
            b'O' => {
                if body.len() >= 2 {
                    let ms = u16::from_le_bytes([body[0], body[1]]);
                    let mut st = StructTy::new("dropout");
                    st.push(
                        FieldDef::new("duration", Ty::U16)
                            .unit("ms")
                            .describe("data lost by the logger"),
                    );
                    let t = fixed_type(&mut export, &mut fixed.dropout, "ulog.dropout", st)?;
                    export.push_record(t, |out| push_u64(out, u64::from(ms)));
                }
            }
            b'S' => syncs += 1,
            b'B' => {}
            other => {
                export.report.damage = Some(format!(
                    "byte {at}: unknown message type 0x{other:02X}; stopped there"
                ));
                pos = at;
                break;
            }
        }
        export.report.bytes_decoded = pos;
    }
    pending.flush_all(&mut export);
    export.report.bytes_decoded = export.report.bytes_decoded.max(pos.min(input.len()));
    if split_values > 0 {
        export.report.notes.push(format!(
            "{split_values} multi-info values longer than {MAX_INFO_CHUNK} bytes split into continued records"
        ));
    }
    if short_rows > 0 {
        export.report.notes.push(format!(
            "{short_rows} data rows shorter than their format: skipped"
        ));
    }
    if syncs > 0 {
        export.report.notes.push(format!("{syncs} sync messages"));
    }
    // Info: metadata entries, and the well-known producer keys.
    let str_of = |k: &str| {
        info.iter().rev().find_map(|(n, v)| match v {
            UValue::Str(s) if n == k && !s.is_empty() => Some(s.clone()),
            _ => None,
        })
    };
    if let Some(s) = str_of("sys_name") {
        export.meta(key::PRODUCER_VENDOR, OwnedValue::Str(s));
    }
    if let Some(s) = str_of("ver_hw") {
        export.meta(key::PRODUCER_MODEL, OwnedValue::Str(s));
    }
    if let Some(s) = str_of("ver_sw_release_str").or_else(|| str_of("ver_sw")) {
        export.meta(key::PRODUCER_FIRMWARE, OwnedValue::Str(s));
    }
    for (name, v) in info {
        let k = crate::def::clip(&format!("ulog:{name}")).to_string();
        let v = match v {
            UValue::Str(s) => OwnedValue::Str(s),
            UValue::Int(i) => OwnedValue::Int(i),
            UValue::Uint(u) => OwnedValue::Uint(u),
            UValue::Float(f) => OwnedValue::Float(f),
            UValue::Bytes(b) => OwnedValue::Bytes(b),
        };
        export.meta(&k, v);
    }
    export.report.messages = export.record_count();
    conv.export = export;
    Ok(conv)
}
