//! FIT (Garmin/ANT Flexible and Interoperable Data Transfer) to koffer.
//!
//! A tolerant reader of its own: it walks the file message by message
//! (12/14-byte header, definition messages, data messages, compressed
//! timestamp headers, developer fields, chained files, the CRC), keeps every
//! data message that decodes cleanly and stops at the first damage (an
//! undefined local message type, a message running past the data), saying
//! where and why in [`Report::damage`](crate::Report::damage).
//!
//! Mapping (see `convert/README.md`): every distinct layout — global message
//! number, field numbers, sizes and base types, developer fields — becomes a
//! record type named after the profile message (`record`, `record.2` for a
//! second layout, ...). Its definition is a struct with one field per FIT
//! field in file order, named by the profile (`unknown_<n>` outside it),
//! with the raw integer as stored in the file (koffer varints), the profile's
//! unit, and its scale/offset as annotations; `date_time` fields are
//! timestamps (unit `s`, time base `unix`, offset 631065600 for the FIT
//! epoch). Invalid values (the base type's sentinel) are kept raw.

mod profile;

use std::collections::HashMap;
use std::fmt::Write as _;

use koffer::meta::{key, OwnedValue};

use koffer::varint::{push_u64, zigzag};

use crate::def::{FieldDef, StructTy, Ty};
use crate::{map_unit, Error, Export};

/// Seconds from the Unix epoch to the FIT epoch (1989-12-31T00:00:00Z).
pub const FIT_EPOCH: i64 = 631_065_600;

/// A field of the FIT profile.
#[derive(Debug)]
pub struct FieldInfo {
    /// Field definition number.
    pub num: u8,
    /// Profile name.
    pub name: &'static str,
    /// FIT type name (`date_time`, `uint16`, `sport`, ...).
    pub type_name: &'static str,
    /// Base type byte.
    pub base_type: u8,
    /// FIT scale: quantity = raw / scale − offset.
    pub scale: f64,
    /// FIT offset.
    pub offset: f64,
    /// Units as the profile gives them.
    pub units: &'static str,
    /// The type is an enumeration (named values).
    pub is_enum: bool,
}

/// A message of the FIT profile.
#[derive(Debug)]
pub struct MessageInfo {
    /// Global message number.
    pub num: u16,
    /// Profile name.
    pub name: &'static str,
    /// Its fields, by number.
    pub fields: &'static [FieldInfo],
}

/// The profile's message `num`.
pub fn message_info(num: u16) -> Option<&'static MessageInfo> {
    profile::MESSAGES
        .binary_search_by_key(&num, |m| m.num)
        .ok()
        .and_then(|i| profile::MESSAGES.get(i))
}

/// A value as read from the file, before mapping.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    /// Unsigned integer (enum, uint*, uint*z, byte).
    U(u64),
    /// Signed integer.
    I(i64),
    /// Float (f32 widened).
    F(f64),
    /// String (up to the first NUL).
    Str(String),
    /// Several values of one field.
    Array(Vec<RawValue>),
}

impl RawValue {
    /// The value as a u64, if it is an unsigned integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            RawValue::U(v) => Some(*v),
            _ => None,
        }
    }

    /// The value as an i64, if it is an integer.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            RawValue::U(v) => i64::try_from(*v).ok(),
            RawValue::I(v) => Some(*v),
            _ => None,
        }
    }
}

/// How one field's bytes are read and encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scalar {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    U64,
    I64,
    F32,
    F64,
}

impl Scalar {
    fn size(self) -> usize {
        match self {
            Scalar::U8 | Scalar::I8 => 1,
            Scalar::U16 | Scalar::I16 => 2,
            Scalar::U32 | Scalar::I32 | Scalar::F32 => 4,
            Scalar::U64 | Scalar::I64 | Scalar::F64 => 8,
        }
    }

    fn ty(self) -> Ty {
        match self {
            Scalar::U8 => Ty::U8,
            Scalar::I8 => Ty::I8,
            Scalar::U16 => Ty::U16,
            Scalar::I16 => Ty::I16,
            Scalar::U32 => Ty::U32,
            Scalar::I32 => Ty::I32,
            Scalar::U64 => Ty::U64,
            Scalar::I64 => Ty::I64,
            Scalar::F32 => Ty::F32,
            Scalar::F64 => Ty::F64,
        }
    }

    /// Reads one value from exactly `self.size()` bytes.
    fn read(self, b: &[u8], big: bool) -> RawValue {
        let mut buf = [0u8; 8];
        let n = self.size().min(b.len());
        buf[..n].copy_from_slice(&b[..n]);
        if big {
            buf[..n].reverse();
        }
        let u = u64::from_le_bytes(buf);
        match self {
            Scalar::U8 | Scalar::U16 | Scalar::U32 | Scalar::U64 => RawValue::U(u),
            Scalar::I8 => RawValue::I(i64::from(u as u8 as i8)),
            Scalar::I16 => RawValue::I(i64::from(u as u16 as i16)),
            Scalar::I32 => RawValue::I(i64::from(u as u32 as i32)),
            Scalar::I64 => RawValue::I(u as i64),
            Scalar::F32 => RawValue::F(f64::from(f32::from_bits(u as u32))),
            Scalar::F64 => RawValue::F(f64::from_bits(u)),
        }
    }

    /// Appends the postcard encoding of `v` (read by [`Scalar::read`]).
    fn encode(self, v: &RawValue, out: &mut Vec<u8>) {
        match (self, v) {
            (Scalar::U8, RawValue::U(u)) => out.push(*u as u8),
            (Scalar::I8, RawValue::I(i)) => out.push(*i as i8 as u8),
            (Scalar::U16 | Scalar::U32 | Scalar::U64, RawValue::U(u)) => push_u64(out, *u),
            (Scalar::I16 | Scalar::I32 | Scalar::I64, RawValue::I(i)) => push_u64(out, zigzag(*i)),
            (Scalar::F32, RawValue::F(f)) => out.extend_from_slice(&(*f as f32).to_le_bytes()),
            (Scalar::F64, RawValue::F(f)) => out.extend_from_slice(&f.to_le_bytes()),
            // read() and encode() are driven by the same Scalar: unreachable,
            // but encode a zero rather than panic.
            (_, _) => out.push(0),
        }
    }
}

/// The scalar a FIT base type is read as, or `None` for strings and unknown types.
fn base_scalar(base: u8) -> Option<Scalar> {
    Some(match base & 0x1F {
        0x00 | 0x02 | 0x0A | 0x0D => Scalar::U8,
        0x01 => Scalar::I8,
        0x03 => Scalar::I16,
        0x04 | 0x0B => Scalar::U16,
        0x05 => Scalar::I32,
        0x06 | 0x0C => Scalar::U32,
        0x08 => Scalar::F32,
        0x09 => Scalar::F64,
        0x0E => Scalar::I64,
        0x0F | 0x10 => Scalar::U64,
        _ => return None,
    })
}

fn base_name(base: u8) -> &'static str {
    match base & 0x1F {
        0x00 => "enum",
        0x01 => "sint8",
        0x02 => "uint8",
        0x03 => "sint16",
        0x04 => "uint16",
        0x05 => "sint32",
        0x06 => "uint32",
        0x07 => "string",
        0x08 => "float32",
        0x09 => "float64",
        0x0A => "uint8z",
        0x0B => "uint16z",
        0x0C => "uint32z",
        0x0D => "byte",
        0x0E => "sint64",
        0x0F => "uint64",
        0x10 => "uint64z",
        _ => "unknown",
    }
}

/// How a field of a layout is read and encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Codec {
    /// One value.
    One(Scalar),
    /// `n` values.
    Many(Scalar, u16),
    /// A NUL-terminated string in `size` bytes.
    Str,
    /// Raw bytes (misaligned size or unknown base type): u8 each.
    Raw,
}

impl Codec {
    fn new(base: u8, size: u8) -> Codec {
        let size = usize::from(size);
        if base & 0x1F == 0x07 {
            return Codec::Str;
        }
        match base_scalar(base) {
            Some(s) if size == s.size() => Codec::One(s),
            Some(s) if size % s.size() == 0 => Codec::Many(s, (size / s.size()) as u16),
            _ => Codec::Raw,
        }
    }

    fn read(self, b: &[u8], big: bool) -> RawValue {
        match self {
            Codec::One(s) => s.read(b, big),
            Codec::Many(s, _) => {
                RawValue::Array(b.chunks_exact(s.size()).map(|c| s.read(c, big)).collect())
            }
            Codec::Str => {
                let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                RawValue::Str(String::from_utf8_lossy(&b[..end]).into_owned())
            }
            Codec::Raw => {
                if b.len() == 1 {
                    RawValue::U(u64::from(b[0]))
                } else {
                    RawValue::Array(b.iter().map(|&c| RawValue::U(u64::from(c))).collect())
                }
            }
        }
    }

    fn encode(self, v: &RawValue, out: &mut Vec<u8>) {
        match (self, v) {
            (Codec::One(s), v) => s.encode(v, out),
            (Codec::Many(s, _), RawValue::Array(items)) => {
                for i in items {
                    s.encode(i, out);
                }
            }
            (Codec::Str, RawValue::Str(text)) => {
                push_u64(out, text.len() as u64);
                out.extend_from_slice(text.as_bytes());
            }
            (Codec::Raw, RawValue::U(u)) => out.push(*u as u8),
            (Codec::Raw, RawValue::Array(items)) => {
                out.extend(items.iter().map(|i| i.as_u64().unwrap_or(0) as u8));
            }
            // Never produced by read(); keep the payload well-formed anyway.
            (Codec::Str, _) => out.push(0),
            _ => {}
        }
    }

    fn ty(self, size: u8) -> Ty {
        match self {
            Codec::One(s) => s.ty(),
            Codec::Many(s, n) => Ty::Array(n, Box::new(s.ty())),
            Codec::Str => Ty::Str,
            Codec::Raw if size == 1 => Ty::U8,
            Codec::Raw => Ty::Array(u16::from(size), Box::new(Ty::U8)),
        }
    }
}

/// A developer field described by a `field_description` message.
#[derive(Debug, Clone, PartialEq)]
struct DevDesc {
    name: String,
    base: u8,
    scale: Option<u64>,
    offset: Option<i64>,
    units: String,
}

/// A field of a definition message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FieldSpec {
    /// Field number (developer field number for developer fields).
    num: u8,
    size: u8,
    /// Base type (standard fields) or developer data index (developer fields).
    base_or_dev: u8,
    dev: bool,
}

/// The field definitions of a definition message: 3 bytes each (number,
/// size, base type or developer data index).
fn field_specs(raw: &[u8], dev: bool) -> impl Iterator<Item = FieldSpec> + '_ {
    raw.chunks_exact(3).map(move |c| FieldSpec {
        num: c[0],
        size: c[1],
        base_or_dev: c[2],
        dev,
    })
}

/// What makes a record type: message number, fields, compressed timestamp.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct LayoutKey {
    global: u16,
    fields: Vec<FieldSpec>,
    compressed_ts: bool,
}

/// A record type being built: its struct, and per field how it is read
/// and what it may be mapped to.
struct Layout {
    name: String,
    st: StructTy,
    codecs: Vec<Codec>,
    kinds: Vec<FieldKind>,
}

/// What a field may become besides its plain raw value.
#[derive(Debug, Clone, Copy, PartialEq)]
struct FieldKind {
    /// Base type, for the invalid sentinel (`None`: no sentinel).
    base: Option<u8>,
    /// The field may be stored relative to a reference value.
    delta: Delta,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Delta {
    No,
    /// A `date_time`: seconds since the FIT epoch.
    Time,
    /// A position in semicircles.
    Semicircles,
}

/// How a field is stored, decided per record type from all its values.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Plan {
    /// The raw value (invalid sentinel included).
    Plain,
    /// `Option`: `None` for the invalid sentinel.
    Opt,
    /// The raw value minus `reference` (an unsigned varint), optionally
    /// with `None` for the invalid sentinel.
    Delta { reference: i64, opt: bool },
}

/// A local message definition in force.
#[derive(Debug, Clone)]
struct LocalDef {
    big_endian: bool,
    global: u16,
    fields: Vec<FieldSpec>,
    /// Resolved developer field descriptions, by position in `fields`.
    dev: Vec<Option<DevDesc>>,
    len: usize,
}

/// One decoded data message.
#[derive(Debug, Clone)]
pub struct Message {
    /// Global message number.
    pub global: u16,
    /// Byte offset of its record header in the input.
    pub offset: usize,
    /// koffer record type it became.
    pub record_type: u8,
    /// Its values, in the order of the record type's fields.
    pub values: Vec<RawValue>,
}

/// A FIT file read and mapped.
pub struct Converted {
    /// The container contents.
    pub export: Export,
    /// Every data message decoded, in file order.
    pub messages: Vec<Message>,
}

/// The FIT file header.
#[derive(Debug, Clone, Copy)]
struct Header {
    size: usize,
    protocol: u8,
    profile: u16,
    data_size: usize,
    crc: Option<u16>,
}

fn read_header(b: &[u8]) -> Result<Header, String> {
    let size = usize::from(*b.first().ok_or("empty input")?);
    if size < 12 || b.len() < size {
        return Err(format!("header size {size} (input {} bytes)", b.len()));
    }
    if &b[8..12] != b".FIT" {
        return Err("no \".FIT\" signature at byte 8".into());
    }
    let crc = if size >= 14 {
        Some(u16::from_le_bytes([b[12], b[13]])).filter(|&c| c != 0)
    } else {
        None
    };
    Ok(Header {
        size,
        protocol: b[1],
        profile: u16::from_le_bytes([b[2], b[3]]),
        data_size: u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize,
        crc,
    })
}

/// CRC-16 of the FIT SDK.
pub fn crc16(bytes: &[u8]) -> u16 {
    const T: [u16; 16] = [
        0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401, 0xA001, 0x6C00, 0x7800,
        0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
    ];
    let mut crc = 0u16;
    for &b in bytes {
        let mut tmp = T[usize::from(crc & 0xF)];
        crc = (crc >> 4) & 0x0FFF;
        crc = crc ^ tmp ^ T[usize::from(b & 0xF)];
        tmp = T[usize::from(crc & 0xF)];
        crc = (crc >> 4) & 0x0FFF;
        crc = crc ^ tmp ^ T[usize::from((b >> 4) & 0xF)];
    }
    crc
}

/// The reader's state across messages (and chained files).
struct State<'a> {
    input: &'a [u8],
    locals: [Option<LocalDef>; 16],
    dev_descs: HashMap<(u8, u8), DevDesc>,
    layouts: HashMap<LayoutKey, usize>,
    built: Vec<Layout>,
    /// How many layouts each message name has, for `name.2`, `name.3`.
    name_counts: HashMap<String, u32>,
    last_timestamp: Option<u32>,
    export: Export,
    messages: Vec<Message>,
}

/// Converts FIT bytes. `source_name` goes into the metadata.
pub fn convert(input: &[u8], source_name: &str) -> Result<Converted, Error> {
    read_header(input).map_err(Error::NotRecognized)?;
    let mut st = State {
        input,
        locals: Default::default(),
        dev_descs: HashMap::new(),
        layouts: HashMap::new(),
        built: Vec::new(),
        name_counts: HashMap::new(),
        last_timestamp: None,
        export: Export::default(),
        messages: Vec::new(),
    };
    st.export.report.format = "FIT".into();
    st.export.report.input_bytes = input.len();
    let mut pos = 0;
    let mut chained = 0;
    loop {
        let header = match read_header(&input[pos..]) {
            Ok(h) => h,
            Err(e) => {
                st.export.report.damage =
                    Some(format!("byte {pos}: not a FIT header ({e}); stopped"));
                break;
            }
        };
        if let Some(c) = header.crc {
            if crc16(&input[pos..pos + 12]) != c {
                st.export
                    .report
                    .notes
                    .push(format!("byte {pos}: header CRC mismatch"));
            }
        }
        if chained == 0 {
            metadata_header(&mut st.export, &header, source_name);
        }
        match st.read_messages(pos, header)? {
            Some(next) if next < input.len() => {
                pos = next;
                chained += 1;
                st.locals = Default::default();
            }
            _ => break,
        }
    }
    if chained > 0 {
        st.export
            .report
            .notes
            .push(format!("{} chained FIT files", chained + 1));
    }
    st.finish()?;
    st.export.report.messages = st.messages.len();
    metadata_device(&mut st.export, &st.messages);
    Ok(Converted {
        export: st.export,
        messages: st.messages,
    })
}

fn metadata_header(export: &mut Export, h: &Header, source_name: &str) {
    export.meta("convert:source.format", OwnedValue::Str("FIT".into()));
    export.meta("convert:source.file", OwnedValue::Str(source_name.into()));
    export.meta(
        "convert:tool",
        OwnedValue::Str(concat!("koffer-convert fit2koffer ", env!("CARGO_PKG_VERSION")).into()),
    );
    export.meta(
        "fit:protocol_version",
        OwnedValue::Str(format!("{}.{}", h.protocol >> 4, h.protocol & 0xF)),
    );
    export.meta(
        "fit:profile_version",
        OwnedValue::Str(format!("{}.{:02}", h.profile / 100, h.profile % 100)),
    );
    export.meta(key::TIME_BASE, OwnedValue::Str("unix".into()));
}

/// Producer entries from the first `file_id` message.
fn metadata_device(export: &mut Export, messages: &[Message]) {
    let Some(m) = messages.iter().find(|m| m.global == 0) else {
        return;
    };
    let Some(t) = export.types.get(usize::from(m.record_type)) else {
        return;
    };
    let Ty::Struct(s) = &t.ty else { return };
    let get = |name: &str| {
        s.fields
            .iter()
            .position(|f| f.name == name)
            .and_then(|i| m.values.get(i))
            .cloned()
    };
    let manufacturer = get("manufacturer")
        .and_then(|v| v.as_i64())
        .filter(|&v| v != 0xFFFF);
    let product = get("product")
        .and_then(|v| v.as_i64())
        .filter(|&v| v != 0xFFFF);
    let mut entries = Vec::new();
    if let Some(mf) = manufacturer {
        let name = fitparser::profile::field_types::Manufacturer::from(mf).to_string();
        entries.push((key::PRODUCER_VENDOR, OwnedValue::Str(name)));
    }
    let product_name = match get("product_name") {
        Some(RawValue::Str(s)) if !s.is_empty() => Some(s),
        _ => None,
    };
    let model = product_name.or_else(|| {
        let p = product?;
        if matches!(manufacturer, Some(1 | 13 | 15)) {
            Some(fitparser::profile::field_types::GarminProduct::from(p).to_string())
        } else {
            Some(format!("product {p}"))
        }
    });
    if let Some(model) = model {
        entries.push((key::PRODUCER_MODEL, OwnedValue::Str(model)));
    }
    if let Some(serial) = get("serial_number")
        .and_then(|v| v.as_u64())
        .filter(|&v| v != 0)
    {
        entries.push((key::PRODUCER_SERIAL, OwnedValue::Str(serial.to_string())));
    }
    if let Some(t) = get("time_created")
        .and_then(|v| v.as_u64())
        .filter(|&v| v != 0xFFFF_FFFF)
    {
        entries.push((
            key::EXPORT_CREATED,
            OwnedValue::Time((t as i64 + FIT_EPOCH) * 1000),
        ));
    }
    for (k, v) in entries {
        export.meta(k, v);
    }
}

impl State<'_> {
    /// Reads the messages of the FIT file starting at `start`; returns where
    /// a chained file would start, or `None` after damage.
    fn read_messages(&mut self, start: usize, h: Header) -> Result<Option<usize>, Error> {
        let input = self.input;
        let declared_end = start + h.size + h.data_size;
        let end = declared_end.min(input.len());
        if declared_end > input.len() {
            self.export.report.notes.push(format!(
                "header declares {} data bytes, the file holds {}",
                h.data_size,
                input.len().saturating_sub(start + h.size)
            ));
        }
        let mut pos = start + h.size;
        self.export.report.bytes_decoded = pos;
        while pos < end {
            let at = pos;
            let head = input[pos];
            pos += 1;
            let stop = |st: &mut Self, why: String| {
                st.export.report.damage = Some(format!("byte {at}: {why}; stopped there"));
                Ok(None)
            };
            if head & 0x80 == 0 && head & 0x40 != 0 {
                // Definition message.
                let local = usize::from(head & 0x0F);
                let dev = head & 0x20 != 0;
                let Some(fixed) = input.get(pos..pos + 5).filter(|_| pos + 5 <= end) else {
                    return stop(
                        self,
                        "definition message runs past the end of the data".into(),
                    );
                };
                let arch = fixed[1];
                if arch > 1 {
                    return stop(
                        self,
                        format!("definition message with architecture byte {arch}"),
                    );
                }
                let big = arch == 1;
                let global = if big {
                    u16::from_be_bytes([fixed[2], fixed[3]])
                } else {
                    u16::from_le_bytes([fixed[2], fixed[3]])
                };
                let n = usize::from(fixed[4]);
                pos += 5;
                let mut fields = Vec::with_capacity(n);
                let Some(raw) = input.get(pos..pos + 3 * n).filter(|_| pos + 3 * n <= end) else {
                    return stop(
                        self,
                        "definition message runs past the end of the data".into(),
                    );
                };
                fields.extend(field_specs(raw, false));
                pos += 3 * n;
                if dev {
                    let Some(&nd) = input.get(pos).filter(|_| pos < end) else {
                        return stop(
                            self,
                            "definition message runs past the end of the data".into(),
                        );
                    };
                    pos += 1;
                    let nd = usize::from(nd);
                    let Some(raw) = input.get(pos..pos + 3 * nd).filter(|_| pos + 3 * nd <= end)
                    else {
                        return stop(
                            self,
                            "definition message runs past the end of the data".into(),
                        );
                    };
                    fields.extend(field_specs(raw, true));
                    pos += 3 * nd;
                }
                let dev = fields
                    .iter()
                    .map(|f| {
                        f.dev
                            .then(|| self.dev_descs.get(&(f.base_or_dev, f.num)).cloned())
                            .flatten()
                    })
                    .collect();
                let len = fields.iter().map(|f| usize::from(f.size)).sum();
                self.locals[local] = Some(LocalDef {
                    big_endian: big,
                    global,
                    fields,
                    dev,
                    len,
                });
                self.export.report.definitions += 1;
            } else {
                // Data message, normal or with a compressed timestamp.
                let (local, ts_offset) = if head & 0x80 != 0 {
                    (
                        usize::from((head >> 5) & 0x03),
                        Some(u32::from(head & 0x1F)),
                    )
                } else {
                    (usize::from(head & 0x0F), None)
                };
                let Some(def) = self.locals[local].clone() else {
                    return stop(
                        self,
                        format!("data message uses local message type {local}, never defined"),
                    );
                };
                if pos + def.len > end {
                    return stop(
                        self,
                        format!(
                            "data message ({} bytes) runs {} bytes past the end of the data",
                            def.len + 1,
                            pos + def.len - end
                        ),
                    );
                }
                let body = &input[pos..pos + def.len];
                pos += def.len;
                self.data_message(at, &def, body, ts_offset)?;
            }
            self.export.report.bytes_decoded = pos;
        }
        // The file CRC follows the data.
        if declared_end + 2 <= input.len() {
            let stored = u16::from_le_bytes([input[declared_end], input[declared_end + 1]]);
            if crc16(&input[start..declared_end]) != stored {
                self.export
                    .report
                    .notes
                    .push(format!("byte {declared_end}: file CRC mismatch"));
            } else {
                self.export.report.notes.push("file CRC ok".into());
            }
            self.export.report.bytes_decoded = declared_end + 2;
            Ok(Some(declared_end + 2))
        } else {
            self.export
                .report
                .notes
                .push("file CRC missing (file ends early)".into());
            Ok(None)
        }
    }

    fn data_message(
        &mut self,
        at: usize,
        def: &LocalDef,
        body: &[u8],
        ts_offset: Option<u32>,
    ) -> Result<(), Error> {
        let key = LayoutKey {
            global: def.global,
            fields: def.fields.clone(),
            compressed_ts: ts_offset.is_some(),
        };
        let index = match self.layouts.get(&key) {
            Some(&i) => i,
            None => {
                let i = self.built.len();
                if i >= crate::MAX_RECORD_TYPES {
                    return Err(Error::TooManyRecordTypes(i + 1));
                }
                let layout = self.new_layout(&key, def);
                self.built.push(layout);
                self.layouts.insert(key.clone(), i);
                i
            }
        };
        let Some(layout) = self.built.get(index) else {
            return Ok(());
        };
        let mut values = Vec::with_capacity(layout.codecs.len());
        let mut p = 0;
        for (f, codec) in def.fields.iter().zip(&layout.codecs) {
            let size = usize::from(f.size);
            let b = &body[p..p + size];
            p += size;
            values.push(codec.read(b, def.big_endian));
            if !f.dev && f.num == 253 {
                if let Some(RawValue::U(t)) = values.last() {
                    if *t != 0xFFFF_FFFF {
                        self.last_timestamp = Some(*t as u32);
                    }
                }
            }
        }
        if let Some(off) = ts_offset {
            let last = self.last_timestamp.unwrap_or(0);
            let mut t = (last & !0x1F).wrapping_add(off);
            if off < (last & 0x1F) {
                t = t.wrapping_add(0x20);
            }
            self.last_timestamp = Some(t);
            values.push(RawValue::U(u64::from(t)));
        }
        if def.global == 206 {
            self.field_description(&values, &key);
        }
        self.messages.push(Message {
            global: def.global,
            offset: at,
            record_type: index as u8,
            values,
        });
        Ok(())
    }

    /// Decides how each field is stored, declares the record types and
    /// encodes every message.
    fn finish(&mut self) -> Result<(), Error> {
        let mut plans: Vec<Vec<Plan>> = Vec::with_capacity(self.built.len());
        for (i, layout) in self.built.iter().enumerate() {
            let rows: Vec<&[RawValue]> = self
                .messages
                .iter()
                .filter(|m| usize::from(m.record_type) == i)
                .map(|m| m.values.as_slice())
                .collect();
            let mut st = layout.st.clone();
            let mut layout_plans = Vec::with_capacity(layout.codecs.len());
            for (j, (codec, kind)) in layout.codecs.iter().zip(&layout.kinds).enumerate() {
                let column = rows.iter().filter_map(|r| r.get(j));
                let plan = plan_field(*codec, *kind, column.clone());
                let has_invalid = kind
                    .base
                    .is_some_and(|b| column.clone().any(|v| is_invalid(b, v)));
                if let Some(field) = st.fields.get_mut(j) {
                    apply_plan(field, *codec, *kind, plan, has_invalid);
                }
                layout_plans.push(plan);
            }
            self.export
                .add_type(layout.name.clone(), 1, Ty::Struct(st))?;
            plans.push(layout_plans);
        }
        for m in &self.messages {
            let t = usize::from(m.record_type);
            let (Some(layout), Some(plan)) = (self.built.get(t), plans.get(t)) else {
                continue;
            };
            self.export.push_record(m.record_type, |out| {
                let fields = layout.codecs.iter().zip(&layout.kinds).zip(plan);
                for (v, ((c, k), p)) in m.values.iter().zip(fields) {
                    encode_planned(*c, *k, *p, v, out);
                }
            });
        }
        Ok(())
    }

    /// Remembers a developer field described by a `field_description` message.
    fn field_description(&mut self, values: &[RawValue], key: &LayoutKey) {
        let get = |num: u8| {
            key.fields
                .iter()
                .position(|f| !f.dev && f.num == num)
                .and_then(|i| values.get(i))
        };
        let (Some(idx), Some(num), Some(base)) = (
            get(0).and_then(RawValue::as_u64),
            get(1).and_then(RawValue::as_u64),
            get(2).and_then(RawValue::as_u64),
        ) else {
            return;
        };
        let text = |num: u8| match get(num) {
            Some(RawValue::Str(s)) => s.clone(),
            _ => String::new(),
        };
        let desc = DevDesc {
            name: text(3),
            base: base as u8,
            scale: get(6)
                .and_then(RawValue::as_u64)
                .filter(|&s| s != 0xFF && s != 0),
            offset: get(7).and_then(RawValue::as_i64).filter(|&o| o != 0x7F),
            units: text(8),
        };
        self.dev_descs.insert((idx as u8, num as u8), desc);
    }

    fn new_layout(&mut self, key: &LayoutKey, def: &LocalDef) -> Layout {
        let info = message_info(def.global);
        let base_name = match info {
            Some(m) => m.name.to_string(),
            None => format!("unknown_{}", def.global),
        };
        let count = self.name_counts.entry(base_name.clone()).or_insert(0);
        *count += 1;
        let name = if *count == 1 {
            base_name.clone()
        } else {
            format!("{base_name}.{count}")
        };
        let mut st = StructTy::new(&base_name);
        let mut codecs = Vec::new();
        let mut kinds = Vec::new();
        for (f, dev) in def.fields.iter().zip(&def.dev) {
            let (field, codec, kind) = if f.dev {
                dev_field(f, dev.as_ref())
            } else {
                std_field(info, f)
            };
            st.push(field);
            codecs.push(codec);
            kinds.push(kind);
        }
        if key.compressed_ts {
            let mut field = FieldDef::new("timestamp", Ty::U32)
                .unit("s")
                .time("unix")
                .describe("from the compressed timestamp header");
            field.offset = Some(FIT_EPOCH as f64);
            st.push(field);
            codecs.push(Codec::One(Scalar::U32));
            kinds.push(FieldKind {
                base: None,
                delta: Delta::Time,
            });
        }
        Layout {
            name,
            st,
            codecs,
            kinds,
        }
    }
}

/// True if `v` is the invalid value of FIT base type `base`.
fn is_invalid(base: u8, v: &RawValue) -> bool {
    match (base & 0x1F, v) {
        (0x00 | 0x02 | 0x0D, RawValue::U(u)) => *u == 0xFF,
        (0x01, RawValue::I(i)) => *i == 0x7F,
        (0x03, RawValue::I(i)) => *i == 0x7FFF,
        (0x04, RawValue::U(u)) => *u == 0xFFFF,
        (0x05, RawValue::I(i)) => *i == 0x7FFF_FFFF,
        (0x06, RawValue::U(u)) => *u == 0xFFFF_FFFF,
        (0x0A | 0x0B | 0x0C | 0x10, RawValue::U(u)) => *u == 0,
        (0x0E, RawValue::I(i)) => *i == i64::MAX,
        (0x0F, RawValue::U(u)) => *u == u64::MAX,
        (0x08, RawValue::F(f)) => (*f as f32).to_bits() == 0xFFFF_FFFF,
        (0x09, RawValue::F(f)) => f.to_bits() == u64::MAX,
        _ => false,
    }
}

/// The invalid value of `base`, as text, for descriptions.
fn invalid_text(base: u8) -> &'static str {
    match base & 0x1F {
        0x00 | 0x02 | 0x0D => "255",
        0x01 => "127",
        0x03 => "32767",
        0x04 => "65535",
        0x05 => "2147483647",
        0x06 => "4294967295",
        0x0A | 0x0B | 0x0C | 0x10 => "0",
        0x0E => "9223372036854775807",
        0x0F => "18446744073709551615",
        _ => "all bits set",
    }
}

/// Payload bytes of `v` stored plainly by `codec`.
fn plain_len(codec: Codec, v: &RawValue) -> usize {
    match (codec, v) {
        (Codec::One(Scalar::U8 | Scalar::I8), _) => 1,
        (Codec::One(Scalar::F32), _) => 4,
        (Codec::One(Scalar::F64), _) => 8,
        (Codec::One(_), RawValue::U(u)) => koffer::varint::encoded_len(*u),
        (Codec::One(_), RawValue::I(i)) => koffer::varint::encoded_len(koffer::varint::zigzag(*i)),
        _ => 0,
    }
}

/// Chooses how a field is stored: the smallest of plain, `Option` and (for
/// timestamps and positions) relative to the smallest value.
fn plan_field<'v>(
    codec: Codec,
    kind: FieldKind,
    column: impl Iterator<Item = &'v RawValue> + Clone,
) -> Plan {
    if !matches!(codec, Codec::One(_)) {
        return Plan::Plain;
    }
    let invalid = |v: &RawValue| kind.base.is_some_and(|b| is_invalid(b, v));
    let plain: usize = column.clone().map(|v| plain_len(codec, v)).sum();
    let opt: usize = column
        .clone()
        .map(|v| {
            if invalid(v) {
                1
            } else {
                1 + plain_len(codec, v)
            }
        })
        .sum();
    let any_invalid = column.clone().any(invalid);
    let mut best = if opt < plain && kind.base.is_some() {
        (opt, Plan::Opt)
    } else {
        (plain, Plan::Plain)
    };
    if kind.delta != Delta::No {
        let valid = column
            .clone()
            .filter(|v| !invalid(v))
            .filter_map(RawValue::as_i64);
        if let Some(reference) = valid.clone().min() {
            let delta: usize = column
                .clone()
                .map(|v| match v.as_i64() {
                    Some(x) if !invalid(v) => {
                        usize::from(any_invalid)
                            + koffer::varint::encoded_len((x - reference) as u64)
                    }
                    _ => 1,
                })
                .sum();
            if delta < best.0 {
                best = (
                    delta,
                    Plan::Delta {
                        reference,
                        opt: any_invalid,
                    },
                );
            }
        }
    }
    best.1
}

/// Adjusts a field's type and annotations to its plan.
fn apply_plan(field: &mut FieldDef, codec: Codec, kind: FieldKind, plan: Plan, has_invalid: bool) {
    match plan {
        Plan::Plain if has_invalid => {
            if let (Some(b), Codec::One(_)) = (kind.base, codec) {
                let note = format!("FIT invalid value: {}", invalid_text(b));
                field.description = Some(match field.description.take() {
                    Some(d) => format!("{d}; {note}"),
                    None => note,
                });
            }
        }
        Plan::Plain => {}
        Plan::Opt => {
            field.ty = Ty::Option(Box::new(field.ty.clone()));
        }
        Plan::Delta { reference, opt } => {
            let inner = Ty::U32;
            field.ty = if opt {
                Ty::Option(Box::new(inner))
            } else {
                inner
            };
            match kind.delta {
                Delta::Time => {
                    field.offset = Some((FIT_EPOCH + reference) as f64);
                    let since = crate::rfc3339(FIT_EPOCH + reference);
                    let note = format!("seconds since {since}");
                    field.description = Some(match field.description.take() {
                        Some(d) => format!("{d}; {note}"),
                        None => note,
                    });
                }
                Delta::Semicircles => {
                    let scale = field.scale.unwrap_or(1.0);
                    // Exact: reference × 45 / 2^29 in binary64.
                    field.offset = Some(reference as f64 * scale);
                    let note = format!("semicircles above {reference}");
                    field.description = Some(match field.description.take() {
                        Some(d) => format!("{d}; {note}"),
                        None => note,
                    });
                }
                Delta::No => {}
            }
        }
    }
}

fn encode_planned(codec: Codec, kind: FieldKind, plan: Plan, v: &RawValue, out: &mut Vec<u8>) {
    let codec_invalid = |_: Codec, v: &RawValue| kind.base.is_some_and(|b| is_invalid(b, v));
    match plan {
        Plan::Plain => codec.encode(v, out),
        Plan::Opt => {
            if codec_invalid(codec, v) {
                out.push(0);
            } else {
                out.push(1);
                codec.encode(v, out);
            }
        }
        Plan::Delta { reference, opt } => {
            let x = v.as_i64().filter(|_| !codec_invalid(codec, v));
            match (x, opt) {
                (Some(x), false) => push_u64(out, (x - reference) as u64),
                (Some(x), true) => {
                    out.push(1);
                    push_u64(out, (x - reference) as u64);
                }
                (None, true) => out.push(0),
                // Not chosen by plan_field: keep the payload well-formed.
                (None, false) => out.push(0),
            }
        }
    }
}

fn std_field(info: Option<&MessageInfo>, f: &FieldSpec) -> (FieldDef, Codec, FieldKind) {
    let codec = Codec::new(f.base_or_dev, f.size);
    let mut kind = FieldKind {
        base: matches!(codec, Codec::One(_)).then_some(f.base_or_dev),
        delta: Delta::No,
    };
    let ty = codec.ty(f.size);
    let pf = info.and_then(|m| m.fields.iter().find(|p| p.num == f.num));
    let Some(pf) = pf else {
        let name = if f.num == 253 {
            "timestamp".to_string()
        } else {
            format!("unknown_{}", f.num)
        };
        let mut field = FieldDef::new(name, ty).describe(&format!(
            "field {} not in the FIT profile; {} ({} bytes)",
            f.num,
            base_name(f.base_or_dev),
            f.size
        ));
        if f.num == 253 && codec == Codec::One(Scalar::U32) {
            field = field.unit("s").time("unix");
            field.offset = Some(FIT_EPOCH as f64);
            kind.delta = Delta::Time;
        }
        return (field, codec, kind);
    };
    let mut field = FieldDef::new(pf.name, ty);
    let numeric = matches!(codec, Codec::One(_) | Codec::Many(..));
    if codec == Codec::Raw {
        field = field.describe(&format!(
            "declared {} in {} bytes: raw bytes",
            base_name(f.base_or_dev),
            f.size
        ));
        return (field, codec, kind);
    }
    if !numeric {
        return (field, codec, kind);
    }
    match pf.type_name {
        "date_time" => {
            field = field.unit("s").time("unix");
            field.offset = Some(FIT_EPOCH as f64);
            if codec == Codec::One(Scalar::U32) {
                kind.delta = Delta::Time;
            }
            return (field, codec, kind);
        }
        "local_date_time" => {
            field = field
                .unit("s")
                .describe("local time: seconds since 1989-12-31T00:00:00 local time");
            return (field, codec, kind);
        }
        _ => {}
    }
    let mut unit = map_unit(pf.units);
    let mut scale = if pf.scale != 1.0 && pf.scale != 0.0 {
        Some(1.0 / pf.scale)
    } else {
        None
    };
    if pf.units == "semicircles" {
        // 2^31 semicircles = 180 degrees.
        scale = Some(180.0 / 2_147_483_648.0);
        unit = if pf.name.ends_with("_lat") || pf.name == "lat" {
            "lat"
        } else if pf.name.ends_with("_long") || pf.name.ends_with("_lon") {
            "lon"
        } else {
            "deg"
        };
        if codec == Codec::One(Scalar::I32) {
            kind.delta = Delta::Semicircles;
        }
    }
    field = field.unit(unit);
    field.scale = scale;
    if pf.offset != 0.0 {
        field.offset = Some(-pf.offset);
    }
    if pf.is_enum {
        field = field.describe(&format!("FIT enum {}", pf.type_name));
    }
    (field, codec, kind)
}

fn dev_field(f: &FieldSpec, desc: Option<&DevDesc>) -> (FieldDef, Codec, FieldKind) {
    let Some(d) = desc else {
        let name = format!("developer_{}_{}", f.base_or_dev, f.num);
        let field = FieldDef::new(name, Codec::Raw.ty(f.size))
            .describe("developer field without field_description: raw bytes");
        let kind = FieldKind {
            base: None,
            delta: Delta::No,
        };
        return (field, Codec::Raw, kind);
    };
    let codec = Codec::new(d.base, f.size);
    let kind = FieldKind {
        base: matches!(codec, Codec::One(_)).then_some(d.base),
        delta: Delta::No,
    };
    let mut desc_text = String::new();
    let _ = write!(
        desc_text,
        "developer field {} of developer {} ({})",
        f.num,
        f.base_or_dev,
        base_name(d.base)
    );
    let name = if d.name.is_empty() {
        format!("developer_{}_{}", f.base_or_dev, f.num)
    } else {
        d.name.clone()
    };
    let mut field = FieldDef::new(name, codec.ty(f.size))
        .unit(map_unit(&d.units))
        .describe(&desc_text);
    if matches!(codec, Codec::One(_) | Codec::Many(..)) {
        if let Some(s) = d.scale.filter(|&s| s != 1) {
            field.scale = Some(1.0 / s as f64);
        }
        if let Some(o) = d.offset.filter(|&o| o != 0) {
            field.offset = Some(-(o as f64));
        }
    }
    (field, codec, kind)
}
