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
//! It is stored little-endian. On the device a 256-entry table (1 KiB of flash)
//! computes it, or, with the `small-crc` feature, no table at all (about 1 KiB
//! less flash, several times slower); with the `std` feature the host uses the
//! processor's CRC-32C instruction where there is one. All give the same values.
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

/// The table variant the device uses.
#[cfg(all(not(feature = "std"), not(feature = "small-crc")))]
type Implementation = crc::Table<1>;
#[cfg(all(not(feature = "std"), feature = "small-crc"))]
type Implementation = crc::NoTable;

#[cfg(not(feature = "std"))]
static CASTAGNOLI: crc::Crc<u32, Implementation> =
    crc::Crc::<u32, Implementation>::new(&crc::CRC_32_ISCSI);

/// A running CRC-32C over bytes fed in pieces.
#[derive(Clone)]
pub struct Crc32c {
    #[cfg(feature = "std")]
    value: u32,
    #[cfg(not(feature = "std"))]
    digest: crc::Digest<'static, u32, Implementation>,
}

impl Crc32c {
    /// Starts a checksum over no bytes.
    pub fn new() -> Self {
        Crc32c {
            #[cfg(feature = "std")]
            value: 0,
            #[cfg(not(feature = "std"))]
            digest: CASTAGNOLI.digest(),
        }
    }

    /// Feeds `bytes`.
    #[inline]
    pub fn update(&mut self, bytes: &[u8]) {
        #[cfg(feature = "std")]
        {
            self.value = crc32c::crc32c_append(self.value, bytes);
        }
        #[cfg(not(feature = "std"))]
        self.digest.update(bytes);
    }

    /// The checksum of everything fed so far.
    pub fn finish(self) -> u32 {
        #[cfg(feature = "std")]
        {
            self.value
        }
        #[cfg(not(feature = "std"))]
        self.digest.finalize()
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
        // The portable table implementation is always available through `crc`;
        // whichever implementation this build uses must agree with it.
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
}
