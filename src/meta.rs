//! Metadata frames: typed key/value entries (spec `format.md` §5).
//!
//! ```text
//! count   varint               number of entries, at least 1
//! entry × count:
//!   key        varint n (1..=255), n bytes UTF-8
//!   type       u8                 value type (see [`value_type`])
//!   value      varint m, m bytes  the value, encoded as its type says
//! ```
//!
//! Well-known keys ([`key`]) have a fixed value type; keys containing `:` are
//! free (vendor) keys; other keys are reserved for later versions of the spec.
//!
//! ```
//! use koffer::meta::{Entry, Value, key};
//! let e = Entry::new(key::PRODUCER_VENDOR, Value::Str("Acme"));
//! let mut out = [0u8; 32];
//! let n = e.encode_to_slice(&mut out).unwrap();
//! assert_eq!(&out[..n], b"\x0Fproducer.vendor\x05\x04Acme");
//! ```

#[cfg(feature = "alloc")]
extern crate alloc;

use crate::cursor::{BodyResult, Cursor};
use crate::error::BodyError;
use crate::error::ErrorKind;
use crate::{limits, varint};

/// Value types (spec `format.md` §5.2).
pub mod value_type {
    /// `0x00` is never a value type.
    pub const INVALID: u8 = 0x00;
    /// One byte, `0x00` (false) or `0x01` (true).
    pub const BOOL: u8 = 0x01;
    /// An unsigned varint.
    pub const UINT: u8 = 0x02;
    /// A signed integer, zigzag then varint.
    pub const INT: u8 = 0x03;
    /// An IEEE 754 binary64, little-endian (8 bytes).
    pub const FLOAT: u8 = 0x04;
    /// UTF-8 text.
    pub const STR: u8 = 0x05;
    /// Raw bytes.
    pub const BYTES: u8 = 0x06;
    /// A point in time: milliseconds since 1970-01-01T00:00:00Z (Unix time), zigzag varint.
    pub const TIME: u8 = 0x07;
    /// A time-base anchor: milliseconds since boot (varint), then Unix milliseconds (zigzag varint).
    pub const ANCHOR: u8 = 0x08;
}

/// Well-known keys (spec `format.md` §5.3).
pub mod key {
    /// Who made the device (string).
    pub const PRODUCER_VENDOR: &str = "producer.vendor";
    /// The device model (string).
    pub const PRODUCER_MODEL: &str = "producer.model";
    /// Firmware version that wrote the container (string).
    pub const PRODUCER_FIRMWARE: &str = "producer.firmware";
    /// The device's serial number (string).
    pub const PRODUCER_SERIAL: &str = "producer.serial";
    /// When the export was made (time), if the device knows the wall-clock time.
    pub const EXPORT_CREATED: &str = "export.created";
    /// A pseudonym of the person the data is about (string).
    pub const SUBJECT_PSEUDONYM: &str = "subject.pseudonym";
    /// The time base of timestamps in records (string): `"unix"` or `"boot"`.
    pub const TIME_BASE: &str = "time.base";
    /// Relates boot time to wall-clock time (anchor); may occur any number of times.
    pub const TIME_ANCHOR: &str = "time.anchor";
    /// The export's number in its series, 1 for the first (uint; spec `seal.md` §9).
    pub const EXPORT_SEQUENCE: &str = "export.sequence";
    /// SHA-256 of the whole previous export of the series (bytes, 32; spec `seal.md` §9).
    pub const EXPORT_PREVIOUS: &str = "export.previous";
    /// The first cursor position the export covers (uint; spec `seal.md` §9).
    pub const EXPORT_CURSOR_START: &str = "export.cursor.start";
    /// The cursor position after the last one the export covers (uint; spec `seal.md` §9).
    pub const EXPORT_CURSOR_END: &str = "export.cursor.end";

    /// Every well-known key with the value type it must have.
    pub const WELL_KNOWN: [(&str, u8); 12] = [
        (PRODUCER_VENDOR, super::value_type::STR),
        (PRODUCER_MODEL, super::value_type::STR),
        (PRODUCER_FIRMWARE, super::value_type::STR),
        (PRODUCER_SERIAL, super::value_type::STR),
        (EXPORT_CREATED, super::value_type::TIME),
        (SUBJECT_PSEUDONYM, super::value_type::STR),
        (TIME_BASE, super::value_type::STR),
        (TIME_ANCHOR, super::value_type::ANCHOR),
        (EXPORT_SEQUENCE, super::value_type::UINT),
        (EXPORT_PREVIOUS, super::value_type::BYTES),
        (EXPORT_CURSOR_START, super::value_type::UINT),
        (EXPORT_CURSOR_END, super::value_type::UINT),
    ];

    /// The value type a well-known key must have, or `None` for other keys.
    pub fn expected_type(key: &str) -> Option<u8> {
        WELL_KNOWN
            .iter()
            .find(|(k, _)| same_bytes(k.as_bytes(), key.as_bytes()))
            .map(|(_, t)| *t)
    }

    /// `a == b`, byte by byte: on a device, a comparison of a few short
    /// keys does not need the general `memcmp` (about 120 bytes of flash).
    #[inline(never)]
    fn same_bytes(a: &[u8], b: &[u8]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }

    /// True for free (vendor) keys: those containing a `:`.
    pub fn is_free(key: &str) -> bool {
        key.contains(':')
    }
}

/// Time-base names for [`key::TIME_BASE`].
pub mod time_base {
    /// Timestamps are wall-clock Unix time.
    pub const UNIX: &str = "unix";
    /// Timestamps count from the device's boot (monotonic); `time.anchor`
    /// entries relate them to wall-clock time.
    pub const BOOT: &str = "boot";
}

/// A metadata value.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Value<'a> {
    /// [`value_type::BOOL`]
    Bool(bool),
    /// [`value_type::UINT`]
    Uint(u64),
    /// [`value_type::INT`]
    Int(i64),
    /// [`value_type::FLOAT`]
    Float(f64),
    /// [`value_type::STR`]
    Str(&'a str),
    /// [`value_type::BYTES`]
    Bytes(&'a [u8]),
    /// [`value_type::TIME`]: milliseconds since the Unix epoch.
    Time(i64),
    /// [`value_type::ANCHOR`]: at `boot_ms` after boot, the wall clock read `unix_ms`.
    Anchor {
        /// Milliseconds since boot.
        boot_ms: u64,
        /// Unix time in milliseconds at that moment.
        unix_ms: i64,
    },
    /// A value type this version does not define, kept as raw bytes.
    Unknown {
        /// The value type byte.
        value_type: u8,
        /// The encoded value.
        bytes: &'a [u8],
    },
}

/// Whether `bytes` is UTF-8 (as `core::str::from_utf8` decides: no overlong
/// forms, no surrogates, nothing above U+10FFFF), in a few dozen
/// instructions rather than the standard library's fast but larger check.
fn is_utf8(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            i += 1;
            continue;
        }
        let (len, min, mut cp) = match b {
            0xC0..=0xDF => (2, 0x80, u32::from(b & 0x1F)),
            0xE0..=0xEF => (3, 0x800, u32::from(b & 0x0F)),
            0xF0..=0xF7 => (4, 0x1_0000, u32::from(b & 0x07)),
            _ => return false,
        };
        let Some(tail) = bytes.get(i + 1..i + len) else {
            return false;
        };
        for &c in tail {
            if c & 0xC0 != 0x80 {
                return false;
            }
            cp = (cp << 6) | u32::from(c & 0x3F);
        }
        if cp < min || cp > 0x10_FFFF || (0xD800..=0xDFFF).contains(&cp) {
            return false;
        }
        i += len;
    }
    true
}

/// Small scratch for encoding a scalar value (two varints at most).
struct Scratch {
    buf: [u8; 2 * varint::MAX_LEN_U64],
    len: usize,
}

impl Scratch {
    fn new() -> Self {
        Scratch {
            buf: [0; 2 * varint::MAX_LEN_U64],
            len: 0,
        }
    }
    fn push_varint(&mut self, v: u64) {
        let mut tmp = [0u8; varint::MAX_LEN_U64];
        let enc = varint::encode_u64(v, &mut tmp);
        self.buf[self.len..self.len + enc.len()].copy_from_slice(enc);
        self.len += enc.len();
    }
    fn push(&mut self, bytes: &[u8]) {
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }
    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl<'a> Value<'a> {
    /// The value-type byte.
    pub fn value_type(&self) -> u8 {
        match self {
            Value::Bool(_) => value_type::BOOL,
            Value::Uint(_) => value_type::UINT,
            Value::Int(_) => value_type::INT,
            Value::Float(_) => value_type::FLOAT,
            Value::Str(_) => value_type::STR,
            Value::Bytes(_) => value_type::BYTES,
            Value::Time(_) => value_type::TIME,
            Value::Anchor { .. } => value_type::ANCHOR,
            Value::Unknown { value_type, .. } => *value_type,
        }
    }

    /// Passes the encoded value (without type and length) to `out`, in pieces.
    fn encode_payload<E>(&self, out: &mut impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        let mut s = Scratch::new();
        match *self {
            Value::Bool(b) => s.push(&[b as u8]),
            Value::Uint(v) => s.push_varint(v),
            Value::Int(v) | Value::Time(v) => s.push_varint(varint::zigzag(v)),
            Value::Float(v) => s.push(&v.to_le_bytes()),
            Value::Str(v) => return out(v.as_bytes()),
            Value::Bytes(v) | Value::Unknown { bytes: v, .. } => return out(v),
            Value::Anchor { boot_ms, unix_ms } => {
                s.push_varint(boot_ms);
                s.push_varint(varint::zigzag(unix_ms));
            }
        }
        out(s.as_bytes())
    }

    fn payload_len(&self) -> usize {
        match *self {
            Value::Bool(_) => 1,
            Value::Uint(v) => varint::encoded_len(v),
            Value::Int(v) | Value::Time(v) => varint::encoded_len(varint::zigzag(v)),
            Value::Float(_) => 8,
            Value::Str(v) => v.len(),
            Value::Bytes(v) | Value::Unknown { bytes: v, .. } => v.len(),
            Value::Anchor { boot_ms, unix_ms } => {
                varint::encoded_len(boot_ms) + varint::encoded_len(varint::zigzag(unix_ms))
            }
        }
    }

    /// Whether `bytes` is a valid encoding of the defined value type
    /// `value_type` (spec §5.2): what [`Value::parse`] accepts, checked with
    /// less code, for the writer (a device links it, not the parser).
    fn check_encoding(value_type: u8, bytes: &[u8]) -> Result<(), ErrorKind> {
        // A whole number of canonical varints, `n` of them, fill `bytes`.
        fn varints(mut bytes: &[u8], n: usize) -> bool {
            for _ in 0..n {
                match varint::decode_u64(bytes) {
                    Ok((_, used)) => bytes = &bytes[used..],
                    Err(_) => return false,
                }
            }
            bytes.is_empty()
        }
        let ok = match value_type {
            value_type::BOOL => matches!(bytes, [0] | [1]),
            value_type::UINT | value_type::INT | value_type::TIME => varints(bytes, 1),
            value_type::FLOAT => bytes.len() == 8,
            value_type::STR => is_utf8(bytes),
            value_type::ANCHOR => varints(bytes, 2),
            // BYTES and the types this version does not define: any bytes.
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(ErrorKind::BadValue { value_type })
        }
    }

    fn parse(value_type: u8, bytes: &'a [u8]) -> Result<Value<'a>, ErrorKind> {
        fn one_varint(bytes: &[u8]) -> Result<u64, ErrorKind> {
            match varint::decode_u64(bytes) {
                Ok((v, n)) if n == bytes.len() => Ok(v),
                Ok(_) => Err(ErrorKind::TrailingBytes),
                Err(_) => Err(ErrorKind::BadValue { value_type: 0 }),
            }
        }
        let bad = ErrorKind::BadValue { value_type };
        Ok(match value_type {
            value_type::INVALID => return Err(ErrorKind::InvalidValueType),
            value_type::BOOL => match bytes {
                [0] => Value::Bool(false),
                [1] => Value::Bool(true),
                _ => return Err(bad),
            },
            value_type::UINT => Value::Uint(one_varint(bytes).map_err(|_| bad)?),
            value_type::INT => Value::Int(varint::unzigzag(one_varint(bytes).map_err(|_| bad)?)),
            value_type::TIME => Value::Time(varint::unzigzag(one_varint(bytes).map_err(|_| bad)?)),
            value_type::FLOAT => {
                let arr: [u8; 8] = bytes.try_into().map_err(|_| bad)?;
                Value::Float(f64::from_le_bytes(arr))
            }
            value_type::STR => Value::Str(core::str::from_utf8(bytes).map_err(|_| bad)?),
            value_type::BYTES => Value::Bytes(bytes),
            value_type::ANCHOR => {
                let (boot_ms, n) = varint::decode_u64(bytes).map_err(|_| bad)?;
                let unix = one_varint(&bytes[n..]).map_err(|_| bad)?;
                Value::Anchor {
                    boot_ms,
                    unix_ms: varint::unzigzag(unix),
                }
            }
            _ => Value::Unknown { value_type, bytes },
        })
    }
}

/// An owned metadata value, for tools that build entries at run time
/// (feature `alloc`); [`OwnedValue::as_value`] lends it to the writer.
///
/// ```
/// use koffer::meta::{OwnedValue, Value};
/// let v = OwnedValue::from(Value::Str("Band 3"));
/// assert_eq!(v.as_value(), Value::Str("Band 3"));
/// ```
#[cfg(feature = "alloc")]
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedValue {
    /// [`Value::Bool`]
    Bool(bool),
    /// [`Value::Uint`]
    Uint(u64),
    /// [`Value::Int`]
    Int(i64),
    /// [`Value::Float`]
    Float(f64),
    /// [`Value::Str`]
    Str(alloc::string::String),
    /// [`Value::Bytes`]
    Bytes(alloc::vec::Vec<u8>),
    /// [`Value::Time`]
    Time(i64),
    /// [`Value::Anchor`]
    Anchor {
        /// Milliseconds since boot.
        boot_ms: u64,
        /// Unix time in milliseconds at that moment.
        unix_ms: i64,
    },
    /// [`Value::Unknown`]
    Unknown {
        /// The value type byte.
        value_type: u8,
        /// The encoded value.
        bytes: alloc::vec::Vec<u8>,
    },
}

#[cfg(feature = "alloc")]
impl OwnedValue {
    /// The borrowed form the writer takes.
    pub fn as_value(&self) -> Value<'_> {
        match self {
            OwnedValue::Bool(b) => Value::Bool(*b),
            OwnedValue::Uint(v) => Value::Uint(*v),
            OwnedValue::Int(v) => Value::Int(*v),
            OwnedValue::Float(v) => Value::Float(*v),
            OwnedValue::Str(s) => Value::Str(s),
            OwnedValue::Bytes(b) => Value::Bytes(b),
            OwnedValue::Time(v) => Value::Time(*v),
            OwnedValue::Anchor { boot_ms, unix_ms } => Value::Anchor {
                boot_ms: *boot_ms,
                unix_ms: *unix_ms,
            },
            OwnedValue::Unknown { value_type, bytes } => Value::Unknown {
                value_type: *value_type,
                bytes,
            },
        }
    }
}

#[cfg(feature = "alloc")]
impl From<Value<'_>> for OwnedValue {
    fn from(v: Value<'_>) -> Self {
        match v {
            Value::Bool(b) => OwnedValue::Bool(b),
            Value::Uint(v) => OwnedValue::Uint(v),
            Value::Int(v) => OwnedValue::Int(v),
            Value::Float(v) => OwnedValue::Float(v),
            Value::Str(s) => OwnedValue::Str(s.into()),
            Value::Bytes(b) => OwnedValue::Bytes(b.into()),
            Value::Time(v) => OwnedValue::Time(v),
            Value::Anchor { boot_ms, unix_ms } => OwnedValue::Anchor { boot_ms, unix_ms },
            Value::Unknown { value_type, bytes } => OwnedValue::Unknown {
                value_type,
                bytes: bytes.into(),
            },
        }
    }
}

/// One metadata entry.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Entry<'a> {
    /// The key: a well-known key, a free key (containing `:`), or a reserved one.
    pub key: &'a str,
    /// The value.
    pub value: Value<'a>,
}

impl<'a> Entry<'a> {
    /// An entry.
    pub const fn new(key: &'a str, value: Value<'a>) -> Self {
        Entry { key, value }
    }

    /// Checks what a writer must check before emitting the entry.
    pub fn validate(&self) -> Result<(), ErrorKind> {
        if self.key.is_empty() || self.key.len() > limits::MAX_NAME_LEN as usize {
            return Err(ErrorKind::BadName);
        }
        let vt = self.value.value_type();
        if vt == value_type::INVALID {
            return Err(ErrorKind::InvalidValueType);
        }
        // A value given as raw bytes with a type this version defines must be
        // a valid encoding of that type, or readers would refuse the frame.
        if let Value::Unknown { value_type, bytes } = self.value {
            Value::check_encoding(value_type, bytes)?;
        }
        if let Some(expected) = key::expected_type(self.key) {
            if expected != vt {
                return Err(ErrorKind::MetadataValueType {
                    expected,
                    found: vt,
                });
            }
        }
        Ok(())
    }

    /// Passes the encoded entry to `out`, in pieces.
    pub fn encode<E>(&self, out: &mut impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        let mut head = Scratch::new();
        head.push_varint(self.key.len() as u64);
        out(head.as_bytes())?;
        out(self.key.as_bytes())?;
        let mut mid = Scratch::new();
        mid.push(&[self.value.value_type()]);
        mid.push_varint(self.value.payload_len() as u64);
        out(mid.as_bytes())?;
        self.value.encode_payload(out)
    }

    /// Length of the encoded entry in bytes.
    pub fn encoded_len(&self) -> usize {
        let payload = self.value.payload_len();
        varint::encoded_len(self.key.len() as u64)
            + self.key.len()
            + 1
            + varint::encoded_len(payload as u64)
            + payload
    }

    /// Encodes the entry into `out`; returns the length, or `None` if `out` is too short.
    pub fn encode_to_slice(&self, out: &mut [u8]) -> Option<usize> {
        let mut pos = 0;
        self.encode(&mut |b: &[u8]| -> Result<(), ()> {
            let dst = out.get_mut(pos..pos + b.len()).ok_or(())?;
            dst.copy_from_slice(b);
            pos += b.len();
            Ok(())
        })
        .ok()?;
        Some(pos)
    }
}

/// Length of a metadata frame body holding `entries`.
pub fn body_len(entries: &[Entry<'_>]) -> usize {
    varint::encoded_len(entries.len() as u64)
        + entries.iter().map(Entry::encoded_len).sum::<usize>()
}

/// A checked metadata frame body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata<'a> {
    body: &'a [u8],
    count: u32,
    first: usize,
}

impl<'a> Metadata<'a> {
    /// Checks every entry of a metadata frame body.
    pub fn parse(body: &'a [u8]) -> Result<Metadata<'a>, BodyError> {
        let mut c = Cursor::new(body);
        let at = c.pos();
        let count = c.u64()?;
        // Each entry takes at least 4 bytes: a count above that is a lie.
        if count == 0 || count > (c.remaining() / 4) as u64 {
            return c.fail(at, ErrorKind::BadCount { count });
        }
        let first = c.pos();
        for _ in 0..count {
            parse_entry(&mut c)?;
        }
        c.finish()?;
        Ok(Metadata {
            body,
            count: count as u32,
            first,
        })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Always false: a metadata frame holds at least one entry.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The entries in order.
    pub fn entries(&self) -> Entries<'a> {
        let mut cursor = Cursor::new(self.body);
        // Skip the count; `parse` checked it is there.
        let _ = cursor.take(self.first);
        Entries {
            cursor,
            left: self.count,
        }
    }
}

fn parse_entry<'a>(c: &mut Cursor<'a>) -> BodyResult<Entry<'a>> {
    let key = c.name()?;
    let type_at = c.pos();
    let value_type = c.byte()?;
    let len = c.u64()?;
    if len > c.remaining() as u64 {
        return c.fail(c.pos(), ErrorKind::BodyTruncated);
    }
    let value_at = c.pos();
    let bytes = c.take(len as usize)?;
    let value = Value::parse(value_type, bytes).map_err(|kind| BodyError {
        at: if kind == ErrorKind::InvalidValueType {
            type_at
        } else {
            value_at
        },
        kind,
    })?;
    let entry = Entry { key, value };
    entry
        .validate()
        .map_err(|kind| BodyError { at: type_at, kind })?;
    Ok(entry)
}

/// Iterator over the entries of a [`Metadata`] body.
pub struct Entries<'a> {
    cursor: Cursor<'a>,
    left: u32,
}

impl<'a> Iterator for Entries<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // The body was checked in `Metadata::parse`, so this cannot fail.
        parse_entry(&mut self.cursor).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(entries: &[Entry<'_>]) -> ([u8; 512], usize) {
        let mut out = [0u8; 512];
        let mut pos = 0;
        let mut put = |b: &[u8]| -> Result<(), ()> {
            out[pos..pos + b.len()].copy_from_slice(b);
            pos += b.len();
            Ok(())
        };
        let mut tmp = [0u8; 10];
        put(varint::encode_u64(entries.len() as u64, &mut tmp)).unwrap();
        for e in entries {
            e.encode(&mut put).unwrap();
        }
        assert_eq!(pos, body_len(entries));
        (out, pos)
    }

    #[test]
    fn every_value_type_round_trips() {
        let entries = [
            Entry::new("a:bool", Value::Bool(true)),
            Entry::new("a:uint", Value::Uint(u64::MAX)),
            Entry::new("a:int", Value::Int(i64::MIN)),
            Entry::new("a:float", Value::Float(-0.5)),
            Entry::new(key::PRODUCER_MODEL, Value::Str("Band 3")),
            Entry::new("a:bytes", Value::Bytes(&[0, 1, 2])),
            Entry::new(key::EXPORT_CREATED, Value::Time(1_700_000_000_000)),
            Entry::new(
                key::TIME_ANCHOR,
                Value::Anchor {
                    boot_ms: 5000,
                    unix_ms: -3,
                },
            ),
            Entry::new(
                "a:future",
                Value::Unknown {
                    value_type: 0x42,
                    bytes: &[7, 7],
                },
            ),
        ];
        let (buf, n) = body(&entries);
        let m = Metadata::parse(&buf[..n]).unwrap();
        assert_eq!(m.len(), entries.len());
        assert!(m.entries().eq(entries.iter().copied()));
    }

    #[test]
    fn small_utf8_check_agrees_with_core() {
        // Every sequence of up to 3 bytes from a set covering every lead
        // and continuation class, and all 4-byte sequences of boundary bytes.
        let probe = [
            0x00u8, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
            0xE1, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xF7, 0xF8, 0xFF,
        ];
        let mut buf = [0u8; 4];
        for len in 0..=4usize {
            let total = probe.len().pow(len as u32);
            for mut n in 0..total {
                for b in buf.iter_mut().take(len) {
                    *b = probe[n % probe.len()];
                    n /= probe.len();
                }
                let s = &buf[..len];
                assert_eq!(is_utf8(s), core::str::from_utf8(s).is_ok(), "{s:02X?}");
            }
        }
    }

    #[test]
    fn raw_values_of_defined_types_are_checked_as_the_parser_reads_them() {
        let cases: [&[u8]; 12] = [
            &[],
            &[0],
            &[1],
            &[2],
            &[0x80],
            &[0x80, 0x00],
            &[0x81, 0x01],
            &[0x7F, 0x01],
            &[0xFF; 8],
            &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
            &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02],
            &[0xE2, 0x82, 0xAC],
        ];
        for value_type in 1..=value_type::ANCHOR + 1 {
            for bytes in cases {
                assert_eq!(
                    Value::check_encoding(value_type, bytes).is_ok(),
                    Value::parse(value_type, bytes).is_ok(),
                    "type {value_type} bytes {bytes:02X?}"
                );
            }
        }
    }

    #[test]
    fn well_known_key_with_wrong_type_is_refused() {
        let (buf, n) = body(&[Entry::new(key::PRODUCER_VENDOR, Value::Uint(3))]);
        let err = Metadata::parse(&buf[..n]).unwrap_err();
        assert_eq!(
            err.kind,
            ErrorKind::MetadataValueType {
                expected: value_type::STR,
                found: value_type::UINT
            }
        );
    }

    #[test]
    fn malformed_bodies() {
        // count 0
        assert_eq!(
            Metadata::parse(&[0]).unwrap_err().kind,
            ErrorKind::BadCount { count: 0 }
        );
        // count larger than the body can hold
        assert_eq!(
            Metadata::parse(&[0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
                .unwrap_err()
                .kind,
            ErrorKind::BadCount {
                count: u32::MAX as u64
            }
        );
        // bool with value 2
        assert_eq!(
            Metadata::parse(b"\x01\x03a:b\x01\x01\x02")
                .unwrap_err()
                .kind,
            ErrorKind::BadValue { value_type: 1 }
        );
        // value type 0
        assert_eq!(
            Metadata::parse(b"\x01\x03a:b\x00\x01\x02")
                .unwrap_err()
                .kind,
            ErrorKind::InvalidValueType
        );
        // value length beyond the body
        assert_eq!(
            Metadata::parse(b"\x01\x03a:b\x05\x09ab").unwrap_err().kind,
            ErrorKind::BodyTruncated
        );
        // bytes after the last entry
        assert_eq!(
            Metadata::parse(b"\x01\x03a:b\x05\x01xZ").unwrap_err().kind,
            ErrorKind::TrailingBytes
        );
        // invalid UTF-8 key
        assert_eq!(
            Metadata::parse(b"\x01\x03a:\xFF\x05\x01x")
                .unwrap_err()
                .kind,
            ErrorKind::InvalidUtf8
        );
    }
}
