//! Normative limits (spec `format.md` §9).
//!
//! A container that exceeds any of these is malformed; readers check each limit
//! as soon as the field that declares the size or count has been read, before
//! doing work proportional to it. Writers refuse to produce such a container.

/// Largest frame body in bytes (1 MiB).
pub const MAX_FRAME_BODY: u32 = 1 << 20;

/// Largest record payload in bytes.
pub const MAX_RECORD_LEN: u32 = 65_535;

/// Most records one block may hold.
pub const MAX_BLOCK_RECORDS: u32 = 65_535;

/// Number of distinct record types a container may declare (identifiers `0..=255`).
pub const MAX_RECORD_TYPES: u32 = 256;

/// Longest metadata key, record-type name, in bytes.
pub const MAX_NAME_LEN: u32 = 255;

/// Bytes of frame overhead besides the body: kind (1), length (3), head check
/// (1), checksum (4).
pub const MAX_FRAME_OVERHEAD: usize = 1 + 3 + 1 + 4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_overhead_covers_the_length_field() {
        const { assert!(MAX_FRAME_BODY <= crate::frame::FrameHead::MAX_FIELD) };
        assert_eq!(MAX_FRAME_OVERHEAD, crate::frame::FrameHead::LEN + 4);
    }
}
