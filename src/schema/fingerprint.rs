//! The fingerprint of a record type (spec `schema.md` §5): FNV-1a-64 of the
//! schema frame body without its `record_type` field.
//!
//! ```
//! assert_eq!(koffer::schema::fnv1a64(b"a"), 0xAF63_DC4C_8601_EC8C);
//! let s = koffer::schema::Schema { record_type: 9, name: "n", version: 1, definition: &[0x01] };
//! // name "n" (01 6E), version 1 (01), definition (01)
//! assert_eq!(s.fingerprint(), koffer::schema::fnv1a64(&[0x01, 0x6E, 0x01, 0x01]));
//! ```

/// FNV-1a offset basis (64-bit).
const OFFSET_BASIS: u64 = 0xCBF2_9CE4_8422_2325;
/// FNV-1a prime (64-bit).
const PRIME: u64 = 0x0000_0100_0000_01B3;

/// 64-bit FNV-1a of `bytes`, usable in constants.
pub const fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a64_continue(OFFSET_BASIS, bytes)
}

/// Continues an FNV-1a-64 hash `hash` over more `bytes`.
pub const fn fnv1a64_continue(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(PRIME);
        i += 1;
    }
    hash
}

/// The fingerprint of a record type from its name, version and definition.
pub const fn fingerprint(name: &str, version: u32, definition: &[u8]) -> u64 {
    let mut tmp = [0u8; crate::varint::MAX_LEN_U64];
    let mut h = fnv1a64_continue(
        OFFSET_BASIS,
        crate::varint::encode_u64(name.len() as u64, &mut tmp),
    );
    h = fnv1a64_continue(h, name.as_bytes());
    let mut tmp = [0u8; crate::varint::MAX_LEN_U64];
    h = fnv1a64_continue(h, crate::varint::encode_u64(version as u64, &mut tmp));
    fnv1a64_continue(h, definition)
}
