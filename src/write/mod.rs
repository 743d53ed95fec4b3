//! Writing containers: streaming, allocation-free, from one block buffer
//! (spec `format.md` §11).
//!
//! [`Writer`] streams into any [`embedded_io::Write`] sink — a UART, a USB
//! endpoint, a flash region, a [`SliceSink`] over a `&mut [u8]`, or (feature
//! `std`) anything `std::io::Write` through [`IoSink`]. Its only RAM is the
//! block buffer the caller lends it; 256 bytes hold nine records of a
//! wearable. [`ResumePoint`] lets a writer continue a container whose tail
//! was cut by a power loss.

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
