//! Handles to declared record types: what [`Writer::write`](crate::write::Writer::write)
//! and its run-time siblings take instead of a bare record type identifier.

use core::fmt;
use core::marker::PhantomData;

/// A record type declared for the Rust type `T` by
/// [`Writer::declare_type`](crate::write::Writer::declare_type).
///
/// [`Writer::write`](crate::write::Writer::write) takes the handle and a `&T`
/// only, so a record cannot be written under another type's identifier: the
/// compiler refuses it. The handle is the identifier and nothing else (one
/// byte, `Copy`), so it costs nothing to keep or pass around.
///
/// **What is checked, and what is not.** The handle does not know the writer
/// that made it. [`Writer::write`](crate::write::Writer::write) checks that
/// the writer it is given has a schema frame for the handle's identifier
/// (else [`Error::UndeclaredRecordType`](crate::write::Error::UndeclaredRecordType));
/// it does not check that this schema is `T`'s. So a handle from writer A,
/// used on writer B that declared the same identifier for another type,
/// writes `T`'s encoding under B's schema for that identifier: the container
/// reads back, but those records do not follow their schema (readers report
/// them as payload errors, `format.md` §7). The same holds for a handle from
/// [`Writer::declared_type`](crate::write::Writer::declared_type) after a
/// resume, where `T` is the caller's word. The writer keeps one bit per
/// identifier (32 bytes for all 256) and no definitions, so that a device
/// pays no RAM or flash for a per-identifier type record.
///
/// To stay clear of it: use a handle only with the writer whose
/// [`declare_type`](crate::write::Writer::declare_type) returned it (declare
/// `T` on each writer rather than passing handles between writers). On a
/// host, a container can be checked after the fact: each schema the
/// [`Reader`](crate::read::Reader) lists must carry the name, version and
/// definition of the type written under its identifier
/// ([`RecordType::NAME`](crate::schema::RecordType::NAME),
/// [`RecordType::VERSION`](crate::schema::RecordType::VERSION),
/// [`RecordType::DEFINITION`](crate::schema::RecordType::DEFINITION)), and
/// [`Reader::verify`](crate::read::Reader::verify) with decoding every
/// record finds records that do not follow their schema.
///
/// A handle passed to a writer that declared its identifier for another
/// type is not refused:
///
/// ```
/// #[derive(serde::Serialize, koffer::Describe)]
/// #[koffer(record = "beat", version = 1)]
/// struct Beat { bpm: u8 }
/// #[derive(serde::Serialize, koffer::Describe)]
/// #[koffer(record = "note", version = 1)]
/// struct Note { text: String }
///
/// let (mut a_buf, mut b_buf) = ([0u8; 64], [0u8; 64]);
/// let mut a = koffer::write::Writer::new(Vec::new(), &mut a_buf)?;
/// let mut b = koffer::write::Writer::new(Vec::new(), &mut b_buf)?;
/// let beats = a.declare_type::<Beat>(3)?;
/// b.declare_type::<Note>(3)?;
/// b.write(beats, &Beat { bpm: 200 })?; // accepted: B declared 3, as a Note
/// let bytes = b.finish()?;
/// let reader = koffer::read::Reader::new(&bytes)?;
/// let schema = reader.schemas().next().unwrap()?;
/// // The host-side check: the schema under 3 is not Beat's.
/// assert_eq!(schema.record_type, 3);
/// assert_ne!(schema.name, <Beat as koffer::schema::RecordType>::NAME);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// ```
/// use koffer::write::{RecordHandle, Writer};
///
/// #[derive(serde::Serialize, serde::Deserialize, koffer::Describe)]
/// #[koffer(record = "beat", version = 1)]
/// struct Beat { at_ms: u64, bpm: u8 }
///
/// let mut buf = [0u8; 64];
/// let mut w = Writer::new(Vec::new(), &mut buf)?;
/// let beats: RecordHandle<Beat> = w.declare_type::<Beat>(3)?;
/// assert_eq!(beats.record_type(), 3);
/// w.write(beats, &Beat { at_ms: 1000, bpm: 61 })?;
/// // w.write(beats, &61u8); // does not compile: a u8 is not a Beat
/// let bytes = w.finish()?;
/// assert_eq!(koffer::read::Reader::new(&bytes)?.verify()?.counted.records, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Writing another type through it does not compile:
///
/// ```compile_fail
/// # #[derive(serde::Serialize, serde::Deserialize, koffer::Describe)]
/// # #[koffer(record = "beat", version = 1)]
/// # struct Beat { at_ms: u64, bpm: u8 }
/// let mut buf = [0u8; 64];
/// let mut w = koffer::write::Writer::new(Vec::new(), &mut buf).unwrap();
/// let beats = w.declare_type::<Beat>(3).unwrap();
/// w.write(beats, &61u8).unwrap(); // error: expected `&Beat`, found `&u8`
/// ```
pub struct RecordHandle<T: ?Sized> {
    record_type: u8,
    /// Covariant in `T` (a handle for `Sample<'static>` writes a
    /// `Sample<'a>`), and `Send`, `Sync` and `Copy` whatever `T` is.
    _t: PhantomData<fn() -> T>,
}

impl<T: ?Sized> RecordHandle<T> {
    pub(crate) const fn new(record_type: u8) -> Self {
        RecordHandle {
            record_type,
            _t: PhantomData,
        }
    }

    /// The record type identifier (spec `format.md` §6).
    ///
    /// ```
    /// #[derive(serde::Serialize, koffer::Describe)]
    /// #[koffer(record = "hr", version = 1)]
    /// struct HeartRate(u8);
    ///
    /// let mut buf = [0u8; 32];
    /// let mut w = koffer::write::Writer::new(Vec::new(), &mut buf)?;
    /// let h = w.declare_type::<HeartRate>(2)?;
    /// assert_eq!(h.record_type(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const fn record_type(self) -> u8 {
        self.record_type
    }

    /// The same record type as a [`RawHandle`], for the run-time methods
    /// ([`Writer::write_payload`](crate::write::Writer::write_payload), e.g.
    /// when copying records already encoded as `T`).
    ///
    /// ```
    /// #[derive(serde::Serialize, koffer::Describe)]
    /// #[koffer(record = "hr", version = 1)]
    /// struct HeartRate(u8);
    ///
    /// let mut buf = [0u8; 32];
    /// let mut w = koffer::write::Writer::new(Vec::new(), &mut buf)?;
    /// let h = w.declare_type::<HeartRate>(2)?;
    /// // A HeartRate encoded elsewhere (postcard: a newtype is its field).
    /// let encoded = postcard::to_allocvec(&HeartRate(61))?;
    /// w.write_payload(h.raw(), &encoded)?;
    /// assert_eq!(h.raw().record_type(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const fn raw(self) -> RawHandle {
        RawHandle {
            record_type: self.record_type,
        }
    }
}

impl<T: ?Sized> Clone for RecordHandle<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for RecordHandle<T> {}

impl<T: ?Sized> PartialEq for RecordHandle<T> {
    fn eq(&self, other: &Self) -> bool {
        self.record_type == other.record_type
    }
}

impl<T: ?Sized> Eq for RecordHandle<T> {}

impl<T: ?Sized> fmt::Debug for RecordHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RecordHandle")
            .field(&self.record_type)
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl<T: ?Sized> defmt::Format for RecordHandle<T> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "RecordHandle({=u8})", self.record_type)
    }
}

/// A record type declared at run time by
/// [`Writer::declare`](crate::write::Writer::declare) (name, version and
/// definition as bytes, e.g. copied from another container), with no Rust
/// type behind it.
///
/// Its records go through [`Writer::write_payload`](crate::write::Writer::write_payload)
/// (already encoded) or [`Writer::write_serialized`](crate::write::Writer::write_serialized)
/// (any `Serialize` value): nothing checks that they match the definition.
///
/// ```
/// use koffer::write::Writer;
/// let mut buf = [0u8; 64];
/// let mut w = Writer::new(Vec::new(), &mut buf)?;
/// let hr = w.declare(0, "hr", 1, &[])?;
/// assert_eq!(hr.record_type(), 0);
/// w.write_payload(hr, &[61])?;
/// w.write_serialized(hr, &62u8)?;
/// let bytes = w.finish()?;
/// assert_eq!(koffer::read::Reader::new(&bytes)?.verify()?.counted.records, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RawHandle {
    record_type: u8,
}

impl RawHandle {
    pub(crate) const fn new(record_type: u8) -> Self {
        RawHandle { record_type }
    }

    /// The record type identifier (spec `format.md` §6).
    ///
    /// ```
    /// let mut buf = [0u8; 32];
    /// let mut w = koffer::write::Writer::new(Vec::new(), &mut buf)?;
    /// assert_eq!(w.declare(9, "n", 1, &[])?.record_type(), 9);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const fn record_type(self) -> u8 {
        self.record_type
    }
}
