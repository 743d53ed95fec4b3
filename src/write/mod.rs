//! Writing containers: streaming, allocation-free, from one block buffer
//! (spec `format.md` §11).
//!
//! [`Writer`] streams into any [`embedded_io::Write`] sink — a UART, a USB
//! endpoint, a flash region, a [`SliceSink`] over a `&mut [u8]`, or (feature
//! `std`) anything `std::io::Write` through [`IoSink`]. Its only RAM is the
//! block buffer the caller lends it; 256 bytes hold nine records of a
//! wearable. [`ResumePoint`] lets a writer continue a container whose tail
//! was cut by a power loss.
//!
//! Records are written through handles: [`Writer::declare_type`] declares a
//! Rust type's record type and returns a [`RecordHandle`], with which
//! [`Writer::write`] accepts values of that type only. Record types known
//! only at run time (copied, converted) are declared by [`Writer::declare`],
//! whose [`RawHandle`] writes with [`Writer::write_payload`] and
//! [`Writer::write_serialized`].
//!
//! ```
//! use koffer::write::{SliceSink, Writer};
//!
//! #[derive(serde::Serialize, koffer::Describe)]
//! #[koffer(record = "temp", version = 1)]
//! struct Temp { centi_c: i16 }
//!
//! let mut out = [0u8; 128];
//! let mut block = [0u8; 64];
//! let mut w = Writer::new(SliceSink::new(&mut out), &mut block)?;
//! let temps = w.declare_type::<Temp>(0)?;
//! w.write(temps, &Temp { centi_c: 2150 })?;
//! let len = w.finish()?.len();
//! assert!(koffer::read::Reader::new(&out[..len])?.verify()?.is_complete());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod handle;
mod resume;
mod sink;
mod writer;

pub use error::Error;
pub use handle::{RawHandle, RecordHandle};
pub use resume::ResumePoint;
#[cfg(feature = "std")]
pub use sink::IoSink;
pub use sink::SliceSink;
pub use writer::{buffer_cost_per_record, Writer, MIN_BUFFER_LEN};
