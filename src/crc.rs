//! The checksum: CRC-32C (Castagnoli), spec `format.md` §2.3.
//!
//! | parameter | value |
//! |---|---|
//! | width | 32 |
//! | polynomial | `0x1EDC6F41` (reflected `0x82F63B78`) |
//! | init | `0xFFFFFFFF` |
//! | reflect in / out | yes / yes |
//! | xor out | `0xFFFFFFFF` |
//! | check (`"123456789"`) | `0xE3069283` |
//!
//! It is stored little-endian. Three implementations, all giving the same values:
//!
//! | build | implementation | flash (Cortex-M4F) | speed (x86-64 host, same code) |
//! |---|---|---:|---|
//! | `std` | the processor's CRC-32C instruction where there is one (`crc32c` crate) | — | fastest |
//! | no `std` (default) | a 16-entry nibble table, two lookups per byte | ≈ 0.12 KB | ≈ 1.9× the time |
//! | no `std`, `fast-crc` | a 256-entry byte table (built at compile time), one lookup per byte | ≈ 1.1 KB | 1× |
//!
//! The device's default is the small one: koffer's writer fits in 3 KB of
//! flash with it, and at a few kilobytes of records a second the checksum's
//! time is a negligible share of the processor's with either table. A
//! firmware that checksums a lot of data and has the flash to spare enables
//! `fast-crc`. Bit by bit would be 64 bytes smaller than the nibble table and
//! ≈ 3.1× the time of the byte table on the host. All three tables are
//! computed by `const` code here; the `crc` crate only checks them in tests.
//!
//! ```
//! assert_eq!(koffer::crc::checksum(b"123456789"), 0xE306_9283);
//! let mut crc = koffer::crc::Crc32c::new();
//! crc.update(b"1234");
//! crc.update(b"56789");
//! assert_eq!(crc.finish(), 0xE306_9283);
//! ```

/// The check value of the ASCII string `"123456789"`.
pub const CHECK: u32 = 0xE306_9283;

/// The reflected polynomial.
const POLY: u32 = 0x82F6_3B78;

/// Register after eight zero bits from each of the 256 values of its low
/// byte (feature `fast-crc`; with `std`, for pieces of a few bytes): 1 KiB,
/// one lookup per byte.
#[cfg(any(test, feature = "std", feature = "fast-crc"))]
static BYTES: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut reg = n as u32;
        let mut bit = 0;
        while bit < 8 {
            reg = (reg >> 1) ^ (POLY & (reg & 1).wrapping_neg());
            bit += 1;
        }
        table[n] = reg;
        n += 1;
    }
    table
};

/// Feeds `bytes` to the register `reg`, a byte at a time (feature `fast-crc`).
#[cfg(any(test, feature = "std", feature = "fast-crc"))]
fn update_bytes(mut reg: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        reg = (reg >> 8) ^ BYTES[((reg ^ u32::from(b)) & 0xFF) as usize];
    }
    reg
}

/// Feeds `bytes` to the register `reg` (before the final inversion), one bit
/// at a time. Slow, but usable in constants: the file header's checksum and
/// the nibble table are computed when the firmware is compiled.
const fn update_bitwise(mut reg: u32, bytes: &[u8]) -> u32 {
    let mut i = 0;
    while i < bytes.len() {
        reg ^= bytes[i] as u32;
        let mut bit = 0;
        while bit < 8 {
            reg = (reg >> 1) ^ (POLY & (reg & 1).wrapping_neg());
            bit += 1;
        }
        i += 1;
    }
    reg
}

/// CRC-32C of `bytes`, computed bit by bit, for constants.
pub(crate) const fn checksum_const(bytes: &[u8]) -> u32 {
    !update_bitwise(!0, bytes)
}

/// Register after four zero bits from each of the 16 values of its low nibble:
/// 64 bytes instead of the 1 KiB byte table, two lookups per byte.
#[cfg(any(test, all(not(feature = "std"), not(feature = "fast-crc"))))]
const NIBBLES: [u32; 16] = {
    let mut table = [0u32; 16];
    let mut n = 0;
    while n < 16 {
        let mut reg = n as u32;
        let mut bit = 0;
        while bit < 4 {
            reg = (reg >> 1) ^ (POLY & (reg & 1).wrapping_neg());
            bit += 1;
        }
        table[n] = reg;
        n += 1;
    }
    table
};

/// Feeds `bytes` to the register `reg`, a nibble at a time.
///
/// Out of line: inlined at every `update` it would cost more flash than the
/// 64-byte table saves.
#[cfg(any(test, all(not(feature = "std"), not(feature = "fast-crc"))))]
#[inline(never)]
fn update_nibbles(mut reg: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        reg ^= u32::from(b);
        reg = (reg >> 4) ^ NIBBLES[(reg & 0xF) as usize];
        reg = (reg >> 4) ^ NIBBLES[(reg & 0xF) as usize];
    }
    reg
}

/// Pieces shorter than this go through the byte table on a host (`std`).
#[cfg(feature = "std")]
const SHORT: usize = 16;

/// A running CRC-32C over bytes fed in pieces.
#[derive(Clone)]
pub struct Crc32c {
    /// The checksum of the bytes fed so far.
    value: u32,
}

impl Crc32c {
    /// Starts a checksum over no bytes.
    pub fn new() -> Self {
        Crc32c { value: 0 }
    }

    /// Feeds `bytes`.
    #[inline]
    pub fn update(&mut self, bytes: &[u8]) {
        #[cfg(feature = "std")]
        {
            // Frames are written in small pieces (the previous checksum, the
            // frame head, a block's header): for a few bytes the table costs
            // less than the instruction path's setup.
            self.value = if bytes.len() < SHORT {
                !update_bytes(!self.value, bytes)
            } else {
                crc32c::crc32c_append(self.value, bytes)
            };
        }
        #[cfg(all(not(feature = "std"), not(feature = "fast-crc")))]
        {
            self.value = !update_nibbles(!self.value, bytes);
        }
        #[cfg(all(not(feature = "std"), feature = "fast-crc"))]
        {
            self.value = !update_bytes(!self.value, bytes);
        }
    }

    /// The checksum of everything fed so far.
    pub fn finish(self) -> u32 {
        self.value
    }
}

impl Default for Crc32c {
    fn default() -> Self {
        Self::new()
    }
}

/// CRC-32C of `bytes` in one call.
pub fn checksum(bytes: &[u8]) -> u32 {
    let mut crc = Crc32c::new();
    crc.update(bytes);
    crc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_value() {
        assert_eq!(checksum(b"123456789"), CHECK);
        assert_eq!(checksum(b""), 0);
    }

    #[test]
    fn table_and_host_implementations_agree() {
        // The `crc` crate (a dev-dependency) is the reference; whichever
        // implementation this build uses must agree with it.
        let table = crc::Crc::<u32, crc::Table<1>>::new(&crc::CRC_32_ISCSI);
        let mut data = [0u8; 1000];
        for (i, b) in data.iter_mut().enumerate() {
            *b = (i * 31 + 7) as u8;
        }
        for len in [0, 1, 3, 8, 15, 16, 17, 63, 64, 65, 999, 1000] {
            let mut split = Crc32c::new();
            split.update(&data[..len / 2]);
            split.update(&data[len / 2..len]);
            assert_eq!(split.finish(), table.checksum(&data[..len]), "len {len}");
        }
    }

    #[test]
    fn nibble_byte_and_bitwise_agree_with_the_crc_crate() {
        let table = crc::Crc::<u32, crc::Table<1>>::new(&crc::CRC_32_ISCSI);
        // xorshift: reproducible pseudo-random data of every length up to 300.
        let mut state = 0x9E37_79B9_u32;
        let mut data = [0u8; 300];
        for b in data.iter_mut() {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            *b = state as u8;
        }
        for len in 0..=data.len() {
            let bytes = &data[..len];
            let expected = table.checksum(bytes);
            assert_eq!(!update_nibbles(!0, bytes), expected, "nibbles, len {len}");
            assert_eq!(!update_bytes(!0, bytes), expected, "bytes, len {len}");
            assert_eq!(checksum_const(bytes), expected, "bitwise, len {len}");
            // Fed in two pieces, as frames are.
            let reg = update_nibbles(!0, &bytes[..len / 3]);
            assert_eq!(!update_nibbles(reg, &bytes[len / 3..]), expected);
            let reg = update_bytes(!0, &bytes[..len / 3]);
            assert_eq!(!update_bytes(reg, &bytes[len / 3..]), expected);
        }
        assert_eq!(checksum_const(b"123456789"), CHECK);
    }
}
