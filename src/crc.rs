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
//! It is stored little-endian. Four implementations, all giving the same values:
//!
//! | build | implementation | flash (Cortex-M4F) | speed (x86-64 host, same code) |
//! |---|---|---:|---|
//! | x86-64 with SSE 4.2 enabled at compile time (`-C target-cpu=x86-64-v2` or newer: the workspace's `.cargo/config.toml` sets it for host builds) | the CRC-32C instruction inlined (`safe_arch`): three 64-byte chains side by side, then 8 bytes at a time | — | fastest on frame-sized buffers |
//! | `std`, otherwise | the processor's CRC-32C instruction where there is one, chosen at run time (`crc32c` crate); pieces under 16 bytes by the byte table | — | fast; ≈ 100 instructions a call of set-up and alignment |
//! | no `std` (default) | a 16-entry nibble table, two lookups per byte | ≈ 0.12 KB | ≈ 1.9× the time |
//! | no `std`, `fast-crc` | a 256-entry byte table (built at compile time), one lookup per byte | ≈ 1.1 KB | 1× |
//!
//! The device's default is the small one: koffer's writer fits in 3 KB of
//! flash with it, and at a few kilobytes of records a second the checksum's
//! time is a negligible share of the processor's with either table. A
//! firmware that checksums a lot of data and has the flash to spare enables
//! `fast-crc`. Bit by bit would be 64 bytes smaller than the nibble table and
//! ≈ 3.1× the time of the byte table on the host. All tables (and the
//! host's head-check and chain-joining tables) are computed by `const` code
//! here; the `crc` crate only checks them in tests.
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
#[cfg(any(
    test,
    all(
        any(feature = "std", feature = "fast-crc"),
        not(all(target_arch = "x86_64", target_feature = "sse4.2"))
    )
))]
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
#[cfg(any(
    test,
    all(
        any(feature = "std", feature = "fast-crc"),
        not(all(target_arch = "x86_64", target_feature = "sse4.2"))
    )
))]
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
#[cfg(any(
    test,
    all(
        not(feature = "std"),
        not(feature = "fast-crc"),
        not(all(target_arch = "x86_64", target_feature = "sse4.2"))
    )
))]
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
#[cfg(any(
    test,
    all(
        not(feature = "std"),
        not(feature = "fast-crc"),
        not(all(target_arch = "x86_64", target_feature = "sse4.2"))
    )
))]
#[inline(never)]
fn update_nibbles(mut reg: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        reg ^= u32::from(b);
        reg = (reg >> 4) ^ NIBBLES[(reg & 0xF) as usize];
        reg = (reg >> 4) ^ NIBBLES[(reg & 0xF) as usize];
    }
    reg
}

/// Pieces shorter than this go through the byte table on a host (`std`)
/// without the inlined SSE 4.2 instruction.
#[cfg(all(
    feature = "std",
    not(all(target_arch = "x86_64", target_feature = "sse4.2"))
))]
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
        #[cfg(all(target_arch = "x86_64", target_feature = "sse4.2"))]
        {
            self.value = !sse42::update(!self.value, bytes);
        }
        #[cfg(all(
            feature = "std",
            not(all(target_arch = "x86_64", target_feature = "sse4.2"))
        ))]
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
        #[cfg(all(
            not(feature = "std"),
            not(feature = "fast-crc"),
            not(all(target_arch = "x86_64", target_feature = "sse4.2"))
        ))]
        {
            self.value = !update_nibbles(!self.value, bytes);
        }
        #[cfg(all(
            not(feature = "std"),
            feature = "fast-crc",
            not(all(target_arch = "x86_64", target_feature = "sse4.2"))
        ))]
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

/// The CRC-32C instruction of SSE 4.2, enabled at compile time: the frame
/// walk's checksums inlined, without a call or alignment loops.
#[cfg(all(target_arch = "x86_64", target_feature = "sse4.2"))]
mod sse42 {
    use super::POLY;

    /// Bytes of each of the three streams of a round.
    const STREAM: usize = 64;

    /// `SHIFT[i][v]`: the register after `STREAM` zero bytes from the
    /// register `v << 8i`. Processing is linear in the register, so
    /// shifting any register is 4 lookups: how three streams computed side
    /// by side are joined into one checksum.
    static SHIFT: [[u32; 256]; 4] = {
        // The image of each single bit first (32 × 512 steps), then every
        // byte value as the sum of its bits' images.
        let mut bits = [0u32; 32];
        let mut b = 0;
        while b < 32 {
            let mut reg = 1u32 << b;
            let mut step = 0;
            while step < 8 * STREAM {
                reg = (reg >> 1) ^ (POLY & (reg & 1).wrapping_neg());
                step += 1;
            }
            bits[b] = reg;
            b += 1;
        }
        let mut table = [[0u32; 256]; 4];
        let mut i = 0;
        while i < 4 {
            let mut v = 0;
            while v < 256 {
                let mut image = 0;
                let mut k = 0;
                while k < 8 {
                    if v & (1 << k) != 0 {
                        image ^= bits[8 * i + k];
                    }
                    k += 1;
                }
                table[i][v] = image;
                v += 1;
            }
            i += 1;
        }
        table
    };

    #[inline(always)]
    fn shift(reg: u32) -> u32 {
        SHIFT[0][(reg & 0xFF) as usize]
            ^ SHIFT[1][((reg >> 8) & 0xFF) as usize]
            ^ SHIFT[2][((reg >> 16) & 0xFF) as usize]
            ^ SHIFT[3][(reg >> 24) as usize]
    }

    #[inline(always)]
    fn word(w: &[u8]) -> u64 {
        u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]])
    }

    /// Feeds `bytes` to the register `reg` (before the final inversion).
    ///
    /// The instruction takes 3 cycles and can start one a cycle, so one
    /// chain of them runs at a third of the speed the processor allows:
    /// rounds of 3 × 64 bytes are computed as three independent chains
    /// and joined by two table shifts; the rest 8 bytes at a time
    /// (unaligned loads), then 4, 2 and 1.
    #[inline]
    pub(super) fn update(reg: u32, bytes: &[u8]) -> u32 {
        let mut rounds = bytes.chunks_exact(3 * STREAM);
        let mut reg = reg;
        for round in &mut rounds {
            let (a, rest) = round.split_at(STREAM);
            let (b, c) = rest.split_at(STREAM);
            let (mut ra, mut rb, mut rc) = (u64::from(reg), 0u64, 0u64);
            for ((wa, wb), wc) in a
                .chunks_exact(8)
                .zip(b.chunks_exact(8))
                .zip(c.chunks_exact(8))
            {
                ra = safe_arch::crc32_u64(ra, word(wa));
                rb = safe_arch::crc32_u64(rb, word(wb));
                rc = safe_arch::crc32_u64(rc, word(wc));
            }
            // The instruction leaves the upper halves zero.
            reg = shift(shift(ra as u32) ^ rb as u32) ^ rc as u32;
        }
        let mut words = rounds.remainder().chunks_exact(8);
        let mut wide = u64::from(reg);
        for w in &mut words {
            wide = safe_arch::crc32_u64(wide, word(w));
        }
        let mut reg = wide as u32;
        let mut rest = words.remainder();
        if let [a, b, c, d, more @ ..] = rest {
            reg = safe_arch::crc32_u32(reg, u32::from_le_bytes([*a, *b, *c, *d]));
            rest = more;
        }
        if let [a, b, more @ ..] = rest {
            reg = safe_arch::crc32_u16(reg, u16::from_le_bytes([*a, *b]));
            rest = more;
        }
        if let [a] = rest {
            reg = safe_arch::crc32_u8(reg, *a);
        }
        reg
    }
}

/// The register after 32 zero bits from each value of byte `i` of a 32-bit
/// register, low byte only: the head check of a frame (the low byte of the
/// CRC-32C of 4 bytes) is linear in those 4 bytes, so it is 4 lookups.
#[cfg(any(
    test,
    all(
        feature = "std",
        not(all(target_arch = "x86_64", target_feature = "sse4.2"))
    )
))]
static HEAD: [[u8; 256]; 4] = {
    let mut table = [[0u8; 256]; 4];
    let mut i = 0;
    while i < 4 {
        let mut v = 0;
        while v < 256 {
            let mut reg = (v as u32) << (8 * i);
            let mut bit = 0;
            while bit < 32 {
                reg = (reg >> 1) ^ (POLY & (reg & 1).wrapping_neg());
                bit += 1;
            }
            table[i][v] = reg as u8;
            v += 1;
        }
        i += 1;
    }
    table
};

/// The low byte of the CRC-32C of `bytes` (4 bytes: a frame's kind and
/// length), by the table above.
#[cfg(any(
    test,
    all(
        feature = "std",
        not(all(target_arch = "x86_64", target_feature = "sse4.2"))
    )
))]
fn low_byte_4_table(bytes: [u8; 4]) -> u8 {
    // The register starts at !0 and is inverted at the end:
    // !F(!0 ^ w) = !F(!0) ^ F(w), F linear.
    const ALL_ONES: u8 = !(HEAD[0][0xFF] ^ HEAD[1][0xFF] ^ HEAD[2][0xFF] ^ HEAD[3][0xFF]);
    ALL_ONES
        ^ HEAD[0][usize::from(bytes[0])]
        ^ HEAD[1][usize::from(bytes[1])]
        ^ HEAD[2][usize::from(bytes[2])]
        ^ HEAD[3][usize::from(bytes[3])]
}

/// The low byte of the CRC-32C of 4 bytes — a frame's head check (spec
/// `format.md` §4) — without a checksum call, on a host: one instruction
/// with SSE 4.2, else 4 table lookups (1 KiB, `std` only). A device uses
/// the checksum itself (no table).
#[cfg(any(
    feature = "std",
    all(target_arch = "x86_64", target_feature = "sse4.2")
))]
#[inline]
pub(crate) fn low_byte_4(bytes: [u8; 4]) -> u8 {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse4.2"))]
    {
        !safe_arch::crc32_u32(!0, u32::from_le_bytes(bytes)) as u8
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse4.2")))]
    {
        low_byte_4_table(bytes)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

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
        // Every length up to 1000: the SSE 4.2 path joins rounds of 3 × 64
        // bytes and feeds the rest by 8, 4, 2 and 1.
        for len in 0..=1000 {
            let mut split = Crc32c::new();
            split.update(&data[..len / 2]);
            split.update(&data[len / 2..len]);
            assert_eq!(split.finish(), table.checksum(&data[..len]), "len {len}");
        }
    }

    #[test]
    fn head_check_table_and_instruction_agree_with_the_checksum() {
        // Every kind byte with lengths around every byte boundary, then
        // pseudo-random heads (the function is affine in its 32 input bits,
        // so the single bits and zero already determine it).
        let mut heads = std::vec::Vec::new();
        for kind in 0..=255u8 {
            for len in [
                0u32, 1, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x1_0000, 0xF_FFFF, 0xFF_FFFF,
            ] {
                let l = len.to_le_bytes();
                heads.push([kind, l[0], l[1], l[2]]);
            }
        }
        for bit in 0..32 {
            heads.push((1u32 << bit).to_le_bytes());
        }
        let mut state = 0x2545_F491_u32;
        for _ in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            heads.push(state.to_le_bytes());
        }
        for h in heads {
            let expected = checksum_const(&h) as u8;
            assert_eq!(low_byte_4_table(h), expected, "{h:02x?}");
            assert_eq!(crate::frame::head_check(&h), expected, "{h:02x?}");
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
