//! Blocks: records of one record type under one checksum (spec `format.md` §7).
//!
//! ```text
//! record_type   varint   0..=255, declared by an earlier schema frame
//! count         varint   records in the block, 1..=65535
//! base_len      varint   0..=65535
//! width         u8       0..=16: bits per length delta
//! deltas        ceil(count × width / 8) bytes, bit-packed, least significant bit first
//! payloads      the records' postcard encodings, back to back
//! ```
//!
//! Record `i` is `base_len + delta[i]` bytes long; the lengths add up to
//! exactly the bytes after the delta table. A reader finds every record
//! boundary from these fields alone, without knowing the record type. On a
//! wearable's records the lengths vary by a byte or two, so a length costs two
//! bits instead of a byte.
//!
//! ```
//! use koffer::block::{Block, BlockHeader};
//! // Two records of type 0: [0x2A] and [0x01, 0x02]; lengths 1 = 1 + 0, 2 = 1 + 1.
//! let body = [0x00, 0x02, 0x01, 0x01, 0b10, 0x2A, 0x01, 0x02];
//! let block = Block::parse(&body).unwrap();
//! assert_eq!(block.header().count, 2);
//! let records: Vec<&[u8]> = block.records().collect();
//! assert_eq!(records, [&[0x2A][..], &[0x01, 0x02][..]]);
//! ```

use crate::cursor::Cursor;
use crate::error::BodyError;
use crate::error::ErrorKind;
use crate::{limits, varint};

/// The fields before a block's delta table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BlockHeader {
    /// The record type of every record in the block.
    pub record_type: u8,
    /// Number of records, `1..=MAX_BLOCK_RECORDS`.
    pub count: u32,
    /// Length every delta is added to.
    pub base_len: u32,
    /// Bits per delta, `0..=16`.
    pub width: u8,
}

/// Largest delta width in bits.
pub const MAX_WIDTH: u8 = 16;

impl BlockHeader {
    /// Longest encoded block header.
    pub const MAX_LEN: usize = 2 + 3 + 3 + 1;

    /// Bytes of the delta table.
    pub fn table_len(&self) -> usize {
        (self.count as usize * self.width as usize).div_ceil(8)
    }

    /// Encodes the header into `out`; returns its length.
    pub fn encode(&self, out: &mut [u8; Self::MAX_LEN]) -> usize {
        let mut pos = 0;
        for v in [self.record_type.into(), self.count, self.base_len] {
            pos += varint::encode_into(v.into(), &mut out[pos..]);
        }
        out[pos] = self.width;
        pos + 1
    }
}

/// The width a writer uses: the fewest bits that hold `max_delta`.
pub const fn width_for(max_delta: u32) -> u8 {
    (32 - max_delta.leading_zeros()) as u8
}

/// Delta `i` of a table of `width`-bit deltas.
#[inline]
fn delta(table: &[u8], i: usize, width: u8) -> u32 {
    if width == 0 {
        return 0;
    }
    delta_at(table, i * width as usize, width)
}

/// The `width`-bit delta (width ≥ 1) starting at bit `bit` of the table.
///
/// A delta spans at most 3 bytes (16 bits from bit 7).
#[cfg_attr(target_pointer_width = "64", inline(always))]
#[cfg_attr(not(target_pointer_width = "64"), inline)]
fn delta_at(table: &[u8], bit: usize, width: u8) -> u32 {
    let byte = bit / 8;
    // On a 64-bit host one 4-byte load where the table has the bytes; on a
    // device, byte by byte (less code).
    #[cfg(target_pointer_width = "64")]
    if let Some(w) = table.get(byte..byte + 4) {
        let word = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        return (word >> (bit % 8)) & ((1u32 << width) - 1);
    }
    let mut word: u32 = 0;
    for k in 0..3 {
        if let Some(&b) = table.get(byte + k) {
            word |= u32::from(b) << (8 * k);
        }
    }
    (word >> (bit % 8)) & ((1u32 << width) - 1)
}

/// The sum of the first `count` deltas of a table whose padding bits are zero.
///
/// Widths that divide 64 never straddle a 64-bit word: for them the sum is
/// taken a word at a time (bit `j` of every field counted at once with a
/// population count), other widths delta by delta.
#[cfg(not(target_pointer_width = "64"))]
fn delta_sum(table: &[u8], count: usize, width: u8) -> u64 {
    // On a device, delta by delta: less code.
    (0..count).map(|i| u64::from(delta(table, i, width))).sum()
}

/// The sum of the first `count` deltas (see above), on a 64-bit host.
#[cfg(target_pointer_width = "64")]
fn delta_sum(table: &[u8], count: usize, width: u8) -> u64 {
    match width {
        0 => 0,
        1 | 2 | 4 => {
            let w = u32::from(width);
            // Bit 0 of every field in a word: 0x55…55 for width 2, 0x11…11 for 4.
            let low: u64 = match width {
                1 => u64::MAX,
                2 => 0x5555_5555_5555_5555,
                _ => 0x1111_1111_1111_1111,
            };
            let word_sum = |word: u64| -> u64 {
                let mut s = 0;
                for j in 0..w {
                    s += u64::from((word & (low << j)).count_ones()) << j;
                }
                s
            };
            let mut chunks = table.chunks_exact(8);
            let mut total = 0;
            for c in &mut chunks {
                total += word_sum(u64::from_le_bytes([
                    c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
                ]));
            }
            let mut last = [0u8; 8];
            let rest = chunks.remainder();
            last[..rest.len()].copy_from_slice(rest);
            total + word_sum(u64::from_le_bytes(last))
        }
        8 => table.iter().map(|&b| u64::from(b)).sum(),
        16 => table
            .chunks_exact(2)
            .map(|c| u64::from(u16::from_le_bytes([c[0], c[1]])))
            .sum(),
        _ => (0..count).map(|i| u64::from(delta(table, i, width))).sum(),
    }
}

/// A checked block body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block<'a> {
    header: BlockHeader,
    table: &'a [u8],
    payloads: &'a [u8],
    payloads_start: usize,
}

impl<'a> Block<'a> {
    /// Parses a block body and checks that its lengths add up.
    ///
    /// Work is bounded by the record count, itself bounded by
    /// [`limits::MAX_BLOCK_RECORDS`]; nothing is allocated.
    pub fn parse(body: &'a [u8]) -> Result<Block<'a>, BodyError> {
        let mut c = Cursor::new(body);
        let record_type = c.u32_max(limits::MAX_RECORD_TYPES - 1, |v| {
            ErrorKind::RecordTypeOutOfRange { value: v }
        })? as u8;
        let count_at = c.pos();
        let count = c.u32_max(limits::MAX_BLOCK_RECORDS, |v| ErrorKind::BadCount {
            count: v,
        })?;
        if count == 0 {
            return c.fail(count_at, ErrorKind::BadCount { count: 0 });
        }
        let base_len = c.u32_max(limits::MAX_RECORD_LEN, |v| ErrorKind::RecordTooLarge {
            len: v,
        })?;
        let width_at = c.pos();
        let width = c.byte()?;
        if width > MAX_WIDTH {
            return c.fail(width_at, ErrorKind::BadWidth { width });
        }
        let header = BlockHeader {
            record_type,
            count,
            base_len,
            width,
        };
        let table_at = c.pos();
        let table = c.take(header.table_len())?;
        let used_bits = count as usize * width as usize;
        if !used_bits.is_multiple_of(8) && table[table.len() - 1] >> (used_bits % 8) != 0 {
            return c.fail(table_at + table.len() - 1, ErrorKind::TablePadding);
        }
        let mask = if width == 0 { 0 } else { (1u32 << width) - 1 };
        // On a device, the one loop below serves every block (less code).
        let total =
            if cfg!(target_pointer_width = "64") && base_len + mask <= limits::MAX_RECORD_LEN {
                // No delta can make a record too long: only the sum is needed.
                u64::from(count) * u64::from(base_len) + delta_sum(table, count as usize, width)
            } else {
                let mut total: u64 = 0;
                for i in 0..count as usize {
                    let len = base_len + delta(table, i, width);
                    if len > limits::MAX_RECORD_LEN {
                        // The byte that holds the first bit of the offending delta.
                        let at = table_at + i * usize::from(width) / 8;
                        return c.fail(
                            at,
                            ErrorKind::RecordTooLarge {
                                len: u64::from(len),
                            },
                        );
                    }
                    total += u64::from(len);
                }
                total
            };
        let payloads_start = c.pos();
        let payloads = c.rest();
        if total != payloads.len() as u64 {
            return c.fail(
                payloads_start,
                ErrorKind::LengthMismatch {
                    declared: total,
                    actual: payloads.len() as u64,
                },
            );
        }
        Ok(Block {
            header,
            table,
            payloads,
            payloads_start,
        })
    }

    /// The block header.
    pub fn header(&self) -> BlockHeader {
        self.header
    }

    /// Offset of the first payload from the start of the body.
    pub fn payloads_start(&self) -> usize {
        self.payloads_start
    }

    /// The records' payloads, in order.
    pub fn records(&self) -> BlockRecords<'a> {
        BlockRecords {
            table: self.table,
            payloads: self.payloads,
            base_len: self.header.base_len,
            width: self.header.width,
            bit: 0,
            left: self.header.count as usize,
        }
    }
}

/// Iterator over a block's record payloads.
#[derive(Debug, Clone)]
pub struct BlockRecords<'a> {
    table: &'a [u8],
    payloads: &'a [u8],
    base_len: u32,
    width: u8,
    /// Bit position of the next delta in the table.
    bit: usize,
    /// Records not yet handed out.
    left: usize,
}

impl<'a> Iterator for BlockRecords<'a> {
    type Item = &'a [u8];

    // Inlined into the caller's loop on a host; one copy on a device.
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let mut len = self.base_len as usize;
        if self.width != 0 {
            len += delta_at(self.table, self.bit, self.width) as usize;
            self.bit += usize::from(self.width);
        }
        // `Block::parse` checked that the lengths add up to the payload bytes.
        let (record, rest) = self.payloads.split_at_checked(len)?;
        self.payloads = rest;
        Some(record)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for BlockRecords<'_> {}

/// Packs deltas into the bit-packed table, handing out whole bytes.
///
/// ```
/// let mut out = Vec::new();
/// let mut p = koffer::block::TablePacker::new(3);
/// for d in [1, 2, 7] {
///     p.push(d, &mut |b: &[u8]| -> Result<(), ()> { out.extend_from_slice(b); Ok(()) }).unwrap();
/// }
/// p.finish(&mut |b: &[u8]| -> Result<(), ()> { out.extend_from_slice(b); Ok(()) }).unwrap();
/// // 1 = 001, 2 = 010, 7 = 111, packed from the least significant bit up.
/// assert_eq!(out, [0b11_010_001, 0b0000_0001]);
/// ```
pub struct TablePacker {
    width: u8,
    acc: u32,
    bits: u32,
}

impl TablePacker {
    /// A packer for `width`-bit deltas.
    pub fn new(width: u8) -> Self {
        TablePacker {
            width,
            acc: 0,
            bits: 0,
        }
    }

    /// Appends one delta (which must fit `width` bits).
    #[inline]
    pub fn push<E>(
        &mut self,
        delta: u32,
        out: &mut impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.width == 0 {
            return Ok(());
        }
        self.acc |= delta << self.bits;
        self.bits += u32::from(self.width);
        while self.bits >= 8 {
            out(&[self.acc as u8])?;
            self.acc >>= 8;
            self.bits -= 8;
        }
        Ok(())
    }

    /// Hands out the last, partly filled byte (its unused high bits are zero).
    pub fn finish<E>(self, out: &mut impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        if self.bits > 0 {
            out(&[self.acc as u8])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(width_for(0), 0);
        assert_eq!(width_for(1), 1);
        assert_eq!(width_for(3), 2);
        assert_eq!(width_for(4), 3);
        assert_eq!(width_for(65535), 16);
    }

    #[test]
    fn pack_and_unpack_every_width() {
        for width in 0..=MAX_WIDTH {
            let max = if width == 0 { 0 } else { (1u32 << width) - 1 };
            let deltas: [u32; 13] = core::array::from_fn(|i| (i as u32 * 7919) & max);
            let mut table = [0u8; 64];
            let mut n = 0;
            let mut out = |b: &[u8]| -> Result<(), ()> {
                table[n..n + b.len()].copy_from_slice(b);
                n += b.len();
                Ok(())
            };
            let mut p = TablePacker::new(width);
            for d in deltas {
                p.push(d, &mut out).unwrap();
            }
            p.finish(&mut out).unwrap();
            assert_eq!(n, (13 * width as usize).div_ceil(8));
            for (i, d) in deltas.iter().enumerate() {
                assert_eq!(delta(&table[..n], i, width), *d, "width {width} i {i}");
            }
        }
    }

    #[test]
    fn delta_sums_match_delta_by_delta() {
        let mut state = 0x9E37_79B9_u32;
        for width in 0..=MAX_WIDTH {
            let max = if width == 0 { 0 } else { (1u32 << width) - 1 };
            for count in 1..=70usize {
                let mut table = [0u8; 140];
                let mut n = 0;
                let mut out = |b: &[u8]| -> Result<(), ()> {
                    table[n..n + b.len()].copy_from_slice(b);
                    n += b.len();
                    Ok(())
                };
                let mut p = TablePacker::new(width);
                let mut expected = 0u64;
                for _ in 0..count {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    let d = state & max;
                    expected += u64::from(d);
                    p.push(d, &mut out).unwrap();
                }
                p.finish(&mut out).unwrap();
                assert_eq!(
                    delta_sum(&table[..n], count, width),
                    expected,
                    "width {width} count {count}"
                );
            }
        }
    }

    #[test]
    fn refusals() {
        // count 0
        assert_eq!(
            Block::parse(&[0, 0, 0, 0, 0]).unwrap_err().kind,
            ErrorKind::BadCount { count: 0 }
        );
        // width 17
        assert_eq!(
            Block::parse(&[0, 1, 0, 17, 0, 0, 0]).unwrap_err().kind,
            ErrorKind::BadWidth { width: 17 }
        );
        // lengths add up to 2, body holds 3
        assert_eq!(
            Block::parse(&[0, 1, 2, 0, 1, 2, 3]).unwrap_err().kind,
            ErrorKind::LengthMismatch {
                declared: 2,
                actual: 3
            }
        );
        // non-zero padding bits: count 1, width 1, table 0b10
        assert_eq!(
            Block::parse(&[0, 1, 0, 1, 0b10]).unwrap_err().kind,
            ErrorKind::TablePadding
        );
        // base + delta beyond the record limit
        assert_eq!(
            Block::parse(&[0, 1, 0xFF, 0xFF, 0x03, 1, 1])
                .unwrap_err()
                .kind,
            ErrorKind::RecordTooLarge { len: 65536 }
        );
        // record type 256
        assert_eq!(
            Block::parse(&[0x80, 0x02, 1, 0, 0]).unwrap_err().kind,
            ErrorKind::RecordTypeOutOfRange { value: 256 }
        );
    }
}
