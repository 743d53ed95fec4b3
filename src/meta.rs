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
const fn is_utf8(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            i += 1;
            continue;
        }
        let (len, min, mut cp) = match b {
            0xC0..=0xDF => (2, 0x80, (b & 0x1F) as u32),
            0xE0..=0xEF => (3, 0x800, (b & 0x0F) as u32),
            0xF0..=0xF7 => (4, 0x1_0000, (b & 0x07) as u32),
            _ => return false,
        };
        if i + len > bytes.len() {
            return false;
        }
        let mut j = i + 1;
        while j < i + len {
            let c = bytes[j];
            if c & 0xC0 != 0x80 {
                return false;
            }
            cp = (cp << 6) | (c & 0x3F) as u32;
            j += 1;
        }
        if cp < min || cp > 0x10_FFFF || (cp >= 0xD800 && cp <= 0xDFFF) {
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

/// The length of the metadata frame body holding `entries`, at compile
/// time: [`body_len`] as a `const fn`, for [`Encoded`] and
/// [`metadata!`](crate::metadata!).
///
/// ```
/// use koffer::meta::{encoded_len, key, Entry, Value};
/// const ENTRIES: &[Entry<'static>] = &[Entry::new(key::TIME_BASE, Value::Str("boot"))];
/// const LEN: usize = encoded_len(ENTRIES);
/// assert_eq!(LEN, koffer::meta::body_len(ENTRIES));
/// ```
pub const fn encoded_len(entries: &[Entry<'_>]) -> usize {
    let mut len = varint::encoded_len(entries.len() as u64);
    let mut i = 0;
    while i < entries.len() {
        let e = &entries[i];
        let payload = const_payload_len(&e.value);
        len += varint::encoded_len(e.key.len() as u64)
            + e.key.len()
            + 1
            + varint::encoded_len(payload as u64)
            + payload;
        i += 1;
    }
    len
}

/// A metadata frame body (spec `format.md` §5) checked and encoded at
/// compile time, for metadata that does not change at run time (producer,
/// firmware, time base): [`Writer::metadata_encoded`] writes it without the
/// run-time entry encoder and checks, so a device links neither.
///
/// Build it with [`metadata!`](crate::metadata!), which sizes it. A rule of
/// §5 broken (no entries, an empty or too long key, a well-known key with
/// the wrong value type, a raw value that is not a valid encoding of its
/// defined type) is a compile-time error. The bytes are those
/// [`Writer::metadata`] writes for the same entries.
///
/// [`Writer::metadata_encoded`]: crate::write::Writer::metadata_encoded
/// [`Writer::metadata`]: crate::write::Writer::metadata
///
/// ```
/// use koffer::meta::{key, Entry, Value};
/// let body = koffer::metadata![Entry::new(key::PRODUCER_VENDOR, Value::Str("Acme"))];
/// assert_eq!(body.as_bytes(), b"\x01\x0Fproducer.vendor\x05\x04Acme");
/// ```
///
/// ```compile_fail
/// use koffer::meta::{key, Entry, Value};
/// // producer.vendor is a string: a compile-time error.
/// let body = koffer::metadata![Entry::new(key::PRODUCER_VENDOR, Value::Uint(3))];
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoded<const N: usize> {
    body: [u8; N],
}

impl<const N: usize> Encoded<N> {
    /// Checks and encodes `entries`; `N` must be [`encoded_len`]`(entries)`.
    /// In a `const` (as [`metadata!`](crate::metadata!) uses it) a broken
    /// rule stops compilation; at run time it panics.
    ///
    /// ```
    /// use koffer::meta::{encoded_len, key, Encoded, Entry, Value};
    /// const ENTRIES: &[Entry<'static>] = &[Entry::new(key::TIME_BASE, Value::Str("unix"))];
    /// const BODY: Encoded<{ encoded_len(ENTRIES) }> = Encoded::new(ENTRIES);
    /// assert_eq!(BODY.as_bytes(), b"\x01\x09time.base\x05\x04unix");
    /// ```
    pub const fn new(entries: &[Entry<'_>]) -> Self {
        if entries.is_empty() {
            panic!("koffer: a metadata frame holds at least one entry (format.md 5)");
        }
        if N != encoded_len(entries) {
            panic!("koffer: Encoded<N>: N is not encoded_len(entries)");
        }
        if N > limits::MAX_FRAME_BODY as usize {
            panic!("koffer: the metadata frame body is over the frame body limit");
        }
        let mut body = [0u8; N];
        encode_body(entries, &mut body);
        Encoded { body }
    }

    /// The encoded body: what goes between the frame head and its checksum.
    pub const fn as_bytes(&self) -> &[u8] {
        &self.body
    }
}

/// A metadata frame body checked and encoded at compile time, as a
/// `&'static` [`Encoded`] for [`Writer::metadata_encoded`]: the entries
/// are written as for [`Writer::metadata`], and a rule of spec `format.md`
/// §5 broken is a compile-time error.
///
/// [`Writer::metadata_encoded`]: crate::write::Writer::metadata_encoded
/// [`Writer::metadata`]: crate::write::Writer::metadata
///
/// ```
/// use koffer::meta::{key, time_base, Entry, Value};
/// use koffer::write::{SliceSink, Writer};
///
/// let mut out = [0u8; 256];
/// let mut block = [0u8; 64];
/// let mut w = Writer::new(SliceSink::new(&mut out), &mut block).unwrap();
/// w.metadata_encoded(koffer::metadata![
///     Entry::new(key::PRODUCER_VENDOR, Value::Str("Acme")),
///     Entry::new(key::PRODUCER_MODEL, Value::Str("Band 3")),
///     Entry::new(key::TIME_BASE, Value::Str(time_base::BOOT)),
/// ])
/// .unwrap();
/// let sink = w.finish().unwrap();
/// let reader = koffer::read::Reader::new(sink.written()).unwrap();
/// let model = reader.metadata().nth(1).unwrap().unwrap();
/// assert_eq!(model.value, Value::Str("Band 3"));
/// ```
#[macro_export]
macro_rules! metadata {
    ($($entry:expr),+ $(,)?) => {{
        const ENTRIES: &[$crate::meta::Entry<'static>] = &[$($entry),+];
        const BODY: $crate::meta::Encoded<{ $crate::meta::encoded_len(ENTRIES) }> =
            $crate::meta::Encoded::new(ENTRIES);
        &BODY
    }};
}

/// Checks `entries` and encodes their metadata frame body into `body`
/// (exactly [`encoded_len`] bytes long); panics on a broken rule.
const fn encode_body(entries: &[Entry<'_>], body: &mut [u8]) {
    let mut pos = put_varint(body, 0, entries.len() as u64);
    let mut i = 0;
    while i < entries.len() {
        let e = &entries[i];
        if let Err(why) = const_check(e) {
            panic!("{}", why);
        }
        pos = put_varint(body, pos, e.key.len() as u64);
        pos = put(body, pos, e.key.as_bytes());
        body[pos] = const_value_type(&e.value);
        pos += 1;
        pos = put_varint(body, pos, const_payload_len(&e.value) as u64);
        pos = match e.value {
            Value::Bool(b) => put(body, pos, &[b as u8]),
            Value::Uint(v) => put_varint(body, pos, v),
            Value::Int(v) | Value::Time(v) => put_varint(body, pos, varint::zigzag(v)),
            Value::Float(v) => put(body, pos, &v.to_le_bytes()),
            Value::Str(v) => put(body, pos, v.as_bytes()),
            Value::Bytes(v) | Value::Unknown { bytes: v, .. } => put(body, pos, v),
            Value::Anchor { boot_ms, unix_ms } => {
                let p = put_varint(body, pos, boot_ms);
                put_varint(body, p, varint::zigzag(unix_ms))
            }
        };
        i += 1;
    }
}

/// Copies `bytes` into `out` at `pos`; returns the position after them.
const fn put(out: &mut [u8], mut pos: usize, bytes: &[u8]) -> usize {
    let mut i = 0;
    while i < bytes.len() {
        out[pos] = bytes[i];
        pos += 1;
        i += 1;
    }
    pos
}

/// Encodes the varint of `v` into `out` at `pos`; returns the position after it.
const fn put_varint(out: &mut [u8], pos: usize, v: u64) -> usize {
    let mut tmp = [0u8; varint::MAX_LEN_U64];
    put(out, pos, varint::encode_u64(v, &mut tmp))
}

/// [`Value::value_type`] at compile time.
const fn const_value_type(v: &Value<'_>) -> u8 {
    match *v {
        Value::Bool(_) => value_type::BOOL,
        Value::Uint(_) => value_type::UINT,
        Value::Int(_) => value_type::INT,
        Value::Float(_) => value_type::FLOAT,
        Value::Str(_) => value_type::STR,
        Value::Bytes(_) => value_type::BYTES,
        Value::Time(_) => value_type::TIME,
        Value::Anchor { .. } => value_type::ANCHOR,
        Value::Unknown { value_type, .. } => value_type,
    }
}

/// The payload length of `v` at compile time (`Value::payload_len`).
const fn const_payload_len(v: &Value<'_>) -> usize {
    match *v {
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

/// `a == b` at compile time.
const fn const_same(a: &[u8], b: &[u8]) -> bool {
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

/// Whether `bytes` holds exactly `n` canonical `u64` varints, as
/// `varint::decode_u64` reads them, at compile time.
const fn const_varints(bytes: &[u8], n: usize) -> bool {
    let mut pos = 0;
    let mut k = 0;
    while k < n {
        let mut i = 0;
        loop {
            if i == varint::MAX_LEN_U64 || pos + i >= bytes.len() {
                return false;
            }
            let byte = bytes[pos + i];
            // The tenth byte holds bit 63 only.
            if i == varint::MAX_LEN_U64 - 1 && byte & 0x7F > 1 {
                return false;
            }
            if byte & 0x80 == 0 {
                if i > 0 && byte == 0 {
                    return false;
                }
                break;
            }
            i += 1;
        }
        pos += i + 1;
        k += 1;
    }
    pos == bytes.len()
}

/// [`Entry::validate`] at compile time, with a message for the panic that
/// stops compilation.
const fn const_check(e: &Entry<'_>) -> Result<(), &'static str> {
    if e.key.is_empty() || e.key.len() > limits::MAX_NAME_LEN as usize {
        return Err("koffer: a metadata key must be 1 to 255 bytes (format.md 5)");
    }
    let vt = const_value_type(&e.value);
    if vt == value_type::INVALID {
        return Err("koffer: metadata value type 0x00 is invalid (format.md 5.2)");
    }
    if let Value::Unknown { value_type, bytes } = e.value {
        let ok = match value_type {
            value_type::BOOL => bytes.len() == 1 && bytes[0] <= 1,
            value_type::UINT | value_type::INT | value_type::TIME => const_varints(bytes, 1),
            value_type::FLOAT => bytes.len() == 8,
            value_type::STR => is_utf8(bytes),
            value_type::ANCHOR => const_varints(bytes, 2),
            _ => true,
        };
        if !ok {
            return Err(
                "koffer: a raw metadata value is not a valid encoding of its type (format.md 5.2)",
            );
        }
    }
    let mut i = 0;
    while i < key::WELL_KNOWN.len() {
        let (k, t) = key::WELL_KNOWN[i];
        if const_same(k.as_bytes(), e.key.as_bytes()) && t != vt {
            return Err(
                "koffer: a well-known metadata key has the wrong value type (format.md 5.3)",
            );
        }
        i += 1;
    }
    Ok(())
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

    /// The compile-time checks are the run-time ones: every entry
    /// `Entry::validate` refuses, `const_check` refuses (a compile-time error
    /// in `Encoded::new`), and every entry both accept encodes to the bytes
    /// the run-time encoder writes.
    #[test]
    fn compile_time_checks_and_encoding_agree_with_run_time() {
        extern crate std;
        let long = "k:".repeat(128);
        let raw: [&[u8]; 10] = [
            &[],
            &[0],
            &[2],
            &[0x80, 0x00],
            &[0xAC, 0x02],
            &[0xFF; 8],
            &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
            &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02],
            &[0xE2, 0x82, 0xAC],
            &[0xED, 0xA0, 0x80],
        ];
        let mut cases = std::vec![
            Entry::new("", Value::Bool(true)),
            Entry::new(&long, Value::Bool(true)),
            Entry::new(&long[1..], Value::Bool(false)),
            Entry::new(key::PRODUCER_VENDOR, Value::Uint(3)),
            Entry::new(key::EXPORT_CREATED, Value::Str("now")),
            Entry::new(
                key::TIME_ANCHOR,
                Value::Anchor {
                    boot_ms: 1,
                    unix_ms: -1
                }
            ),
            Entry::new("x:f", Value::Float(f64::NAN)),
            Entry::new("x:i", Value::Int(i64::MIN)),
        ];
        for value_type in 0..=9u8 {
            for bytes in raw {
                cases.push(Entry::new("x:raw", Value::Unknown { value_type, bytes }));
            }
        }
        let mut accepted = 0;
        for e in cases {
            assert_eq!(const_check(&e).is_ok(), e.validate().is_ok(), "{e:?}");
            if e.validate().is_err() {
                continue;
            }
            accepted += 1;
            let one = [e];
            let (expected, n) = body(&one);
            assert_eq!(encoded_len(&one), n);
            let mut got = std::vec![0u8; n];
            encode_body(&one, &mut got);
            assert_eq!(got[..], expected[..n], "{e:?}");
        }
        assert!(accepted > 20);
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
