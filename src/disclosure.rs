//! Disclosure receipts (spec `disclosure.md`, format 1.1; feature
//! `disclosure`): the well-known record type `koffer.disclosure`, which says
//! who received which data, when and why.
//!
//! A receipt is an ordinary record: a container carries it under a schema
//! frame with the name [`Receipt::NAME`](crate::schema::RecordType::NAME),
//! version 1 and the definition fixed by the spec
//! ([`Receipt::DEFINITION`](crate::schema::RecordType::DEFINITION)), so
//! every reader reads it, old ones included. [`Receipt`] borrows its strings
//! and lists: firmware and a provider's server write receipts with no
//! allocator, and [`Receipt::decode`] reads one zero-copy from a container.
//!
//! ```
//! use koffer::disclosure::{List, Party, Receipt, Shared};
//! use koffer::schema::RecordType;
//!
//! let shared = [Shared {
//!     name: "sample", version: 1, fingerprint: 0x0123_4567_89AB_CDEF,
//!     from: None, until: None, records: 100,
//!     dropped: List::Slice(&[]), coarsened: List::Slice(&[]),
//! }];
//! let receipt = Receipt {
//!     id: [7; 16],
//!     time: 1_767_225_600_000,
//!     subject: "p-4711",
//!     discloser: Party { name: "Band 3 cloud", id: None },
//!     recipient: Party { name: "Sleep study", id: Some("https://study.example/") },
//!     purpose: "research on sleep",
//!     purpose_iris: List::Slice(&["https://w3id.org/dpv#ResearchAndDevelopment"]),
//!     legal_basis: "dpv:Consent",
//!     expires: None,
//!     shared: List::Slice(&shared),
//!     source_sha256: [0; 32],
//!     records_sha256: [0; 32],
//! };
//!
//! // Device or server side: declare the well-known type, write the receipt.
//! let mut buf = [0u8; 512];
//! let mut w = koffer::write::Writer::new(Vec::new(), &mut buf)?;
//! let receipts = w.declare_type::<Receipt>(200)?;
//! w.write(receipts, &receipt)?;
//! let bytes = w.finish()?;
//!
//! // Reading side: zero-copy, every rule of the definition checked.
//! let reader = koffer::read::Reader::new(&bytes)?;
//! let back: Vec<Receipt> = koffer::disclosure::receipts(&reader).collect::<Result<_, _>>()?;
//! assert_eq!(back, [receipt]);
//! assert_eq!(back[0].shared.iter().next().unwrap().records, 100);
//! assert_eq!(Receipt::NAME, "koffer.disclosure");
//! # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//! ```

use core::fmt;
use core::marker::PhantomData;

use serde::{Deserialize, Serialize, Serializer};

use crate::dynamic::{self, ErrorKind, Invalid};
use crate::read::{Reader, Record, Records, TypeSet};

use crate::schema::{Definition, Describe, Field, Meta, Node, RecordType, Schema, Type};

/// The prefix of the record type names the spec reserves for its well-known
/// record types (spec `disclosure.md` §2): no other record type may use it.
///
/// ```
/// assert!(koffer::disclosure::is_reserved("koffer.disclosure"));
/// assert!(!koffer::disclosure::is_reserved("sample"));
/// ```
pub const RESERVED_PREFIX: &str = "koffer.";

/// Whether `name` is a reserved record type name (it begins with
/// [`RESERVED_PREFIX`]).
///
/// ```
/// assert!(koffer::disclosure::is_reserved("koffer.future"));
/// assert!(!koffer::disclosure::is_reserved("Koffer.x"));
/// ```
pub fn is_reserved(name: &str) -> bool {
    name.starts_with(RESERVED_PREFIX)
}

/// A list inside a receipt: a borrowed slice when writing, the encoded
/// elements when read from a payload (decoded one at a time by
/// [`List::iter`], without an allocator).
///
/// Two lists are equal when their elements are, whatever their form.
///
/// ```
/// use koffer::disclosure::List;
/// let names = List::Slice(&["a", "b"]);
/// assert_eq!(names.len(), 2);
/// assert_eq!(names.iter().collect::<Vec<_>>(), ["a", "b"]);
/// ```
#[derive(Clone, Copy)]
pub enum List<'a, T> {
    /// Elements to write.
    Slice(&'a [T]),
    /// Elements as a payload holds them, checked when the receipt was decoded.
    Encoded {
        /// The postcard encoding of the elements, back to back (no count).
        bytes: &'a [u8],
        /// Their number.
        len: usize,
    },
}

impl<'a, T: Clone + Element<'a>> List<'a, T> {
    /// The number of elements.
    ///
    /// ```
    /// assert!(koffer::disclosure::List::<u8>::Slice(&[]).is_empty());
    /// ```
    pub fn len(&self) -> usize {
        match self {
            List::Slice(s) => s.len(),
            List::Encoded { len, .. } => *len,
        }
    }

    /// True when the list has no elements.
    ///
    /// ```
    /// assert!(!koffer::disclosure::List::Slice(&[1u8]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements, in order.
    ///
    /// ```
    /// let l = koffer::disclosure::List::Slice(&[3u32, 4]);
    /// assert_eq!(l.iter().sum::<u32>(), 7);
    /// ```
    pub fn iter(&self) -> ListIter<'a, T> {
        match *self {
            List::Slice(s) => ListIter::Slice(s.iter()),
            List::Encoded { bytes, len } => ListIter::Encoded {
                bytes,
                left: len,
                _t: PhantomData,
            },
        }
    }
}

/// The elements of a [`List`], from [`List::iter`].
#[derive(Clone)]
pub enum ListIter<'a, T> {
    /// Over a slice.
    Slice(core::slice::Iter<'a, T>),
    /// Over encoded elements.
    Encoded {
        /// The bytes not yet decoded.
        bytes: &'a [u8],
        /// Elements left.
        left: usize,
        /// The element type.
        _t: PhantomData<T>,
    },
}

impl<'a, T: Clone + Element<'a>> Iterator for ListIter<'a, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        match self {
            ListIter::Slice(it) => it.next().cloned(),
            ListIter::Encoded { bytes, left, .. } => {
                if *left == 0 {
                    return None;
                }
                *left -= 1;
                // The payload was checked against the definition when the
                // receipt was decoded: every element decodes.
                let mut d = Dec {
                    all: bytes,
                    rest: bytes,
                };
                let value = T::take(&mut d).ok()?;
                *bytes = d.rest;
                Some(value)
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            ListIter::Slice(it) => it.size_hint(),
            ListIter::Encoded { left, .. } => (*left, Some(*left)),
        }
    }
}

impl<'a, T: Clone + Element<'a>> ExactSizeIterator for ListIter<'a, T> {}

impl<'a, T: Clone + Element<'a> + PartialEq> PartialEq for List<'a, T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<'a, T: Clone + Element<'a> + fmt::Debug> fmt::Debug for List<'a, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, T: Clone + Element<'a> + Serialize> Serialize for List<'a, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<T: Describe> Describe for List<'_, T> {
    const TYPE: &'static Type = &Type::Seq(T::TYPE);
}

/// Who shared the data, or who received it (spec `disclosure.md` §3).
///
/// ```
/// let p = koffer::disclosure::Party { name: "Dr. Rossi", id: Some("mailto:rossi@clinic.example") };
/// assert_eq!(p.name, "Dr. Rossi");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Party<'a> {
    /// The party's name, for people.
    pub name: &'a str,
    /// An identifier of the party: a URI (a web address, `mailto:`, a DID).
    pub id: Option<&'a str>,
}

impl Describe for Party<'_> {
    const TYPE: &'static Type = &Type::Struct(
        "Party",
        &[
            Field {
                name: "name",
                meta: Meta {
                    description: Some("name of the party, for people"),
                    ..Meta::NONE
                },
                ty: <&str>::TYPE,
            },
            Field {
                name: "id",
                meta: Meta {
                    description: Some("identifier of the party: a URI"),
                    ..Meta::NONE
                },
                ty: <Option<&str>>::TYPE,
            },
        ],
    );
}

/// A field coarsened before it was shared, and the step its values were
/// rounded to (spec `disclosure.md` §5).
///
/// ```
/// let c = koffer::disclosure::Coarsened { field: "heart_rate", step: 5.0 };
/// assert_eq!(c.step, 5.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coarsened<'a> {
    /// The field's path (names joined with `.`).
    pub field: &'a str,
    /// The step, in the field's raw (stored) units.
    pub step: f64,
}

impl Describe for Coarsened<'_> {
    const TYPE: &'static Type = &Type::Struct(
        "Coarsened",
        &[
            Field {
                name: "field",
                meta: Meta {
                    description: Some("path of the field, names joined with ."),
                    ..Meta::NONE
                },
                ty: <&str>::TYPE,
            },
            Field {
                name: "step",
                meta: Meta {
                    description: Some(
                        "values rounded to the nearest multiple of this, in raw units",
                    ),
                    ..Meta::NONE
                },
                ty: f64::TYPE,
            },
        ],
    );
}

/// What was shared of one record type (spec `disclosure.md` §3).
///
/// ```
/// use koffer::disclosure::{List, Shared};
/// let s = Shared {
///     name: "sample", version: 1, fingerprint: 1, from: Some(0), until: None,
///     records: 3, dropped: List::Slice(&["gps"]), coarsened: List::Slice(&[]),
/// };
/// assert_eq!(s.dropped.len(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shared<'a> {
    /// The record type's name.
    pub name: &'a str,
    /// Its version.
    pub version: u32,
    /// Its fingerprint in the source (spec `schema.md` §5).
    pub fingerprint: u64,
    /// Records from this time on (inclusive), Unix ms; none: no lower bound.
    pub from: Option<u64>,
    /// Records before this time (exclusive), Unix ms; none: no upper bound.
    pub until: Option<u64>,
    /// Records of this type shared.
    pub records: u64,
    /// Fields removed (paths).
    pub dropped: List<'a, &'a str>,
    /// Fields rounded, with their steps.
    pub coarsened: List<'a, Coarsened<'a>>,
}

impl Describe for Shared<'_> {
    const TYPE: &'static Type = &Type::Struct(
        "Shared",
        &[
            Field {
                name: "name",
                meta: Meta {
                    description: Some("record type name"),
                    ..Meta::NONE
                },
                ty: <&str>::TYPE,
            },
            Field {
                name: "version",
                meta: Meta {
                    description: Some("record type version"),
                    ..Meta::NONE
                },
                ty: u32::TYPE,
            },
            Field {
                name: "fingerprint",
                meta: Meta {
                    description: Some("record type fingerprint in the source"),
                    ..Meta::NONE
                },
                ty: u64::TYPE,
            },
            Field {
                name: "from",
                meta: Meta {
                    unit: Some("ms"),
                    description: Some("records from this time on, inclusive"),
                    ..Meta::NONE
                },
                ty: <Option<u64>>::TYPE,
            },
            Field {
                name: "until",
                meta: Meta {
                    unit: Some("ms"),
                    description: Some("records before this time, exclusive"),
                    ..Meta::NONE
                },
                ty: <Option<u64>>::TYPE,
            },
            Field {
                name: "records",
                meta: Meta {
                    description: Some("number of records shared"),
                    ..Meta::NONE
                },
                ty: u64::TYPE,
            },
            Field {
                name: "dropped",
                meta: Meta {
                    description: Some("fields removed"),
                    ..Meta::NONE
                },
                ty: <List<&str>>::TYPE,
            },
            Field {
                name: "coarsened",
                meta: Meta {
                    description: Some("fields rounded"),
                    ..Meta::NONE
                },
                ty: <List<Coarsened>>::TYPE,
            },
        ],
    );
}

/// A disclosure receipt: the record type `koffer.disclosure`, version 1
/// (spec `disclosure.md` §3). See the [module](self) for an example.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Receipt<'a> {
    /// The receipt's identifier: 16 random bytes (a UUID version 4).
    pub id: [u8; 16],
    /// When the data was disclosed, Unix ms.
    pub time: u64,
    /// A pseudonym of the data subject (never a name).
    pub subject: &'a str,
    /// Who shared the data: the owner, or a provider.
    pub discloser: Party<'a>,
    /// Who received it.
    pub recipient: Party<'a>,
    /// Why, in words.
    pub purpose: &'a str,
    /// Why, as DPV purpose IRIs.
    pub purpose_iris: List<'a, &'a str>,
    /// The legal basis, a DPV term (`dpv:Consent`, `dpv:Contract`, …).
    pub legal_basis: &'a str,
    /// Until when the recipient may keep the data, Unix ms.
    pub expires: Option<u64>,
    /// What was shared, per record type.
    pub shared: List<'a, Shared<'a>>,
    /// SHA-256 of the source container's bytes (spec `disclosure.md` §4).
    pub source_sha256: [u8; 32],
    /// SHA-256 of the shared records (spec `disclosure.md` §4).
    pub records_sha256: [u8; 32],
}

const fn described(description: &'static str) -> Meta {
    Meta {
        description: Some(description),
        ..Meta::NONE
    }
}

impl Describe for Receipt<'_> {
    const TYPE: &'static Type = &Type::Struct(
        "Receipt",
        &[
            Field {
                name: "id",
                meta: described("receipt id: 16 random bytes"),
                ty: <[u8; 16]>::TYPE,
            },
            Field {
                name: "time",
                meta: Meta {
                    unit: Some("ms"),
                    description: Some("when the data was disclosed"),
                    time: Some("unix"),
                    ..Meta::NONE
                },
                ty: u64::TYPE,
            },
            Field {
                name: "subject",
                meta: described("pseudonym of the data subject"),
                ty: <&str>::TYPE,
            },
            Field {
                name: "discloser",
                meta: described("who shared the data"),
                ty: Party::TYPE,
            },
            Field {
                name: "recipient",
                meta: described("who received the data"),
                ty: Party::TYPE,
            },
            Field {
                name: "purpose",
                meta: described("why, in words"),
                ty: <&str>::TYPE,
            },
            Field {
                name: "purpose_iris",
                meta: described("why, as DPV purpose IRIs"),
                ty: <List<&str>>::TYPE,
            },
            Field {
                name: "legal_basis",
                meta: described("legal basis, a DPV term"),
                ty: <&str>::TYPE,
            },
            Field {
                name: "expires",
                meta: Meta {
                    unit: Some("ms"),
                    description: Some("the recipient keeps the data until then"),
                    time: Some("unix"),
                    ..Meta::NONE
                },
                ty: <Option<u64>>::TYPE,
            },
            Field {
                name: "shared",
                meta: described("what was shared, per record type"),
                ty: <List<Shared>>::TYPE,
            },
            Field {
                name: "source_sha256",
                meta: described("SHA-256 of the source container"),
                ty: <[u8; 32]>::TYPE,
            },
            Field {
                name: "records_sha256",
                meta: described("SHA-256 of the shared records"),
                ty: <[u8; 32]>::TYPE,
            },
        ],
    );
}

impl RecordType for Receipt<'_> {
    const NAME: &'static str = "koffer.disclosure";
    const VERSION: u32 = 1;
    const DEFINITION: &'static [u8] = crate::definition!(<Receipt<'static> as Describe>::TYPE);
}

/// Whether `schema` declares receipts: the name `koffer.disclosure`,
/// version 1 and the definition of the spec (its fingerprint). A schema with
/// the name and another version or definition is not one this crate reads.
///
/// ```
/// use koffer::disclosure::{is_receipt_schema, Receipt};
/// use koffer::schema::{RecordType, Schema};
/// let s = Schema { record_type: 9, name: Receipt::NAME, version: 1, definition: Receipt::DEFINITION };
/// assert!(is_receipt_schema(&s));
/// assert!(!is_receipt_schema(&Schema { version: 2, ..s }));
/// ```
pub fn is_receipt_schema(schema: &Schema<'_>) -> bool {
    schema.name == Receipt::NAME
        && schema.version == Receipt::VERSION
        && schema.fingerprint() == Receipt::FINGERPRINT
}

/// The root type of the receipt's definition.
fn root() -> Option<Node<'static>> {
    Definition::parse(Receipt::DEFINITION).ok()?.root()
}

/// An element of a [`List`]: how it is read from the payload.
pub trait Element<'a>: Sized + sealed::Sealed {
    #[doc(hidden)]
    fn take(d: &mut Dec<'a>) -> Result<Self, dynamic::Error>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for &str {}
    impl Sealed for super::Coarsened<'_> {}
    impl Sealed for super::Shared<'_> {}
    impl Sealed for u32 {}
    impl Sealed for u8 {}
}

impl<'a> Element<'a> for &'a str {
    fn take(d: &mut Dec<'a>) -> Result<Self, dynamic::Error> {
        d.take()
    }
}

impl<'a> Element<'a> for u32 {
    fn take(d: &mut Dec<'a>) -> Result<Self, dynamic::Error> {
        d.take()
    }
}

impl<'a> Element<'a> for u8 {
    fn take(d: &mut Dec<'a>) -> Result<Self, dynamic::Error> {
        d.take()
    }
}

impl<'a> Element<'a> for Coarsened<'a> {
    fn take(d: &mut Dec<'a>) -> Result<Self, dynamic::Error> {
        Ok(Coarsened {
            field: d.take()?,
            step: d.take()?,
        })
    }
}

impl<'a> Party<'a> {
    fn take(d: &mut Dec<'a>) -> Result<Self, dynamic::Error> {
        Ok(Party {
            name: d.take()?,
            id: d.take()?,
        })
    }
}

impl<'a> Element<'a> for Shared<'a> {
    fn take(d: &mut Dec<'a>) -> Result<Self, dynamic::Error> {
        Ok(Shared {
            name: d.take()?,
            version: d.take()?,
            fingerprint: d.take()?,
            from: d.take()?,
            until: d.take()?,
            records: d.take()?,
            dropped: d.list()?,
            coarsened: d.list()?,
        })
    }
}

/// Reads postcard values one after the other from a checked payload.
#[doc(hidden)]
pub struct Dec<'a> {
    all: &'a [u8],
    rest: &'a [u8],
}

impl<'a> Dec<'a> {
    fn fault(&self) -> dynamic::Error {
        dynamic::Error {
            offset: self.all.len() - self.rest.len(),
            kind: ErrorKind::PayloadInvalid(Invalid::VarintOutOfRange),
        }
    }

    fn take<T: Deserialize<'a>>(&mut self) -> Result<T, dynamic::Error> {
        let (v, rest) = postcard::take_from_bytes::<T>(self.rest).map_err(|_| self.fault())?;
        self.rest = rest;
        Ok(v)
    }

    /// A list: its count, then that many elements, kept encoded.
    fn list<T: Element<'a>>(&mut self) -> Result<List<'a, T>, dynamic::Error> {
        let (count, n) = crate::varint::decode_u64(self.rest).map_err(|_| self.fault())?;
        self.rest = &self.rest[n..];
        let start = self.rest;
        let len = usize::try_from(count).map_err(|_| self.fault())?;
        // `check` bounded the count by the bytes left.
        for _ in 0..len {
            T::take(self)?;
        }
        Ok(List::Encoded {
            bytes: &start[..start.len() - self.rest.len()],
            len,
        })
    }
}

impl<'a> Receipt<'a> {
    /// Decodes a receipt's payload, borrowing its strings and lists. Every
    /// rule of spec `schema.md` §6 is checked first against the receipt's
    /// definition, so a malformed receipt is the payload error every decoder
    /// reports (`PayloadTruncated`, `PayloadInvalid`, `PayloadTrailingBytes`).
    ///
    /// ```
    /// use koffer::disclosure::Receipt;
    /// use koffer::dynamic::ErrorKind;
    /// let e = Receipt::decode(&[1, 2, 3]).unwrap_err();
    /// assert_eq!(e.kind, ErrorKind::PayloadTruncated);
    /// ```
    pub fn decode(payload: &'a [u8]) -> Result<Receipt<'a>, dynamic::Error> {
        let root = root().ok_or(dynamic::Error {
            offset: 0,
            kind: ErrorKind::PayloadTruncated,
        })?;
        dynamic::check(root, payload)?;
        let mut d = Dec {
            all: payload,
            rest: payload,
        };
        Ok(Receipt {
            id: d.take()?,
            time: d.take()?,
            subject: d.take()?,
            discloser: Party::take(&mut d)?,
            recipient: Party::take(&mut d)?,
            purpose: d.take()?,
            purpose_iris: d.list()?,
            legal_basis: d.take()?,
            expires: d.take()?,
            shared: d.list()?,
            source_sha256: d.take()?,
            records_sha256: d.take()?,
        })
    }
}

/// The receipts of a container, in file order: the records of every record
/// type whose schema [`is_receipt_schema`], decoded. See the
/// [module](self) for an example.
///
/// A container error ends the iteration after it is returned; a malformed
/// receipt is its payload error at the offset of spec `format.md` §10.4,
/// and the receipts after it follow.
pub fn receipts<'a>(reader: &Reader<'a>) -> Receipts<'a> {
    let mut types = TypeSet::default();
    for s in reader.schemas().flatten() {
        if is_receipt_schema(&s) {
            types.insert(s.record_type);
        }
    }
    Receipts {
        records: reader.records(),
        types,
        done: false,
    }
}

/// The iterator of [`receipts`].
pub struct Receipts<'a> {
    records: Records<'a>,
    types: TypeSet,
    done: bool,
}

impl<'a> Iterator for Receipts<'a> {
    type Item = Result<Receipt<'a>, crate::read::Error>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.types.is_empty() {
            return None;
        }
        loop {
            let record: Record<'a> = match self.records.next()? {
                Ok(r) => r,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            if self.types.contains(record.record_type) {
                return Some(Receipt::decode(record.payload).map_err(|e| e.in_record(&record)));
            }
        }
    }
}

/// Serializes a struct's fields in order (postcard writes no names).
macro_rules! serialize_fields {
    ($ty:ident, $name:literal, $($field:ident),+) => {
        impl Serialize for $ty<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let mut st = s.serialize_struct($name, [$(stringify!($field)),+].len())?;
                $(st.serialize_field(stringify!($field), &self.$field)?;)+
                st.end()
            }
        }
    };
}

serialize_fields!(Party, "Party", name, id);
serialize_fields!(Coarsened, "Coarsened", field, step);
serialize_fields!(
    Shared,
    "Shared",
    name,
    version,
    fingerprint,
    from,
    until,
    records,
    dropped,
    coarsened
);
serialize_fields!(
    Receipt,
    "Receipt",
    id,
    time,
    subject,
    discloser,
    recipient,
    purpose,
    purpose_iris,
    legal_basis,
    expires,
    shared,
    source_sha256,
    records_sha256
);
