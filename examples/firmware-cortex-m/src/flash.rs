//! An emulated external SPI NOR flash chip, and the export's partition on it.
//!
//! The chip is modelled on a 2-Mbit serial NOR part (Winbond W25X20-like):
//! 256 KiB, pages of 256 bytes, sectors of 4 KiB. It is not memory-mapped:
//! the firmware sees it only through three commands, as through an SPI bus —
//!
//! - [`Flash::read`] copies 256 bytes from any address into RAM (the
//!   "read data" command clocking 256 bytes out of the chip);
//! - [`Flash::program`] ("page program") writes up to a page, never across a
//!   page boundary, and can only **clear** bits: erased flash reads `0xFF`,
//!   and a byte programmed once cannot be programmed to a value with a bit
//!   set that is clear in it (the chip would silently AND the two; this model
//!   refuses, so a firmware that forgets an erase fails loudly);
//! - [`Flash::erase_sector`] sets a whole 4 KiB sector back to `0xFF` — the
//!   only way to set bits.
//!
//! The chip's cells are a file on the host (`flash.img`), reached through
//! semihosting: like a real chip, and unlike RAM, they survive the power cut
//! (the QEMU process ends; the next boot is a new process). A new image is a
//! factory-fresh chip: every byte `0xFF`. A RAM region kept over a reset was
//! the other choice; it was not taken because RAM is exactly what a power
//! cut loses, and the image lets the host check the chip afterwards (the
//! container, then `0xFF` to the end). QEMU also has SPI NOR models
//! (`m25p80`: `w25x20`, `is25lp080d`, …) for an SSI bus; driving one would
//! add a PL022 driver and chip-select wiring the `lm3s6965evb` does not give
//! a flash (its SSI bus carries the OLED display and an SD card), while the
//! firmware would see the same three commands as here.
//!
//! What the model enforces is what a flash driver has to get right: nothing
//! is read except into a RAM buffer, a program never crosses a page, and a
//! byte is never programmed to a value it cannot reach without an erase.
//! After a cut the torn frame's bytes stay programmed: the resumed writer
//! may program over them only the bits they still have set. (In this demo
//! the generator is deterministic, so the resumed writer emits the very
//! bytes that were torn and could even program over them; a device whose
//! data after the reboot differs could not, so the firmware erases them as
//! spec `format.md` §11.2 says.)
//!
//! The power cut: [`Flash::cut_after`] lets the chip program only so many
//! more bytes; the page program that crosses the limit is cut short (its
//! first bytes programmed, the rest still erased) and the chip then refuses
//! every command with [`FlashError::PowerLoss`]. (A real interrupted page
//! program may also leave weakly programmed bits; the container's checksums
//! would catch those the same way.) Erases are not cut in this model: a real
//! erase cut short leaves a sector partly erased, which a firmware would
//! detect (a sector not all `0xFF` after the written end) and erase again;
//! this demo does not.

use core::ffi::CStr;

use semihosting::fs::{File, OpenOptions};
use semihosting::io::{Read as _, Seek as _, SeekFrom, Write as _};

/// Bytes in a page: the most one program command writes, and the chunk the
/// firmware reads the chip in.
pub const PAGE: usize = 256;
/// Bytes in a sector: the smallest erase.
pub const SECTOR: u32 = 4096;
/// Bytes in the chip.
pub const CHIP: u32 = 256 * 1024;
/// The export's partition: every sector but the last two.
pub const PARTITION: u32 = CHIP - 2 * SECTOR;
/// The scratch sector that keeps the intact start of a sector while the
/// sector is erased (see [`discard`]).
pub const SCRATCH: u32 = CHIP - 2 * SECTOR;
/// The sector of the repair mark: which sector the scratch sector holds the
/// start of, and how many bytes (see [`discard`], [`recover`]).
pub const MARK: u32 = CHIP - SECTOR;

/// Why a flash command failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashError {
    /// The host refused to read or write the chip's image.
    Host,
    /// An address outside the chip, or a program crossing a page boundary.
    Address(u32),
    /// A program would have to set a bit that is clear: the byte at this
    /// address was not erased first.
    NotErased(u32),
    /// The simulated power cut: the chip is dead.
    PowerLoss,
}

impl core::fmt::Display for FlashError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            FlashError::Host => f.write_str("the host refused the flash image"),
            FlashError::Address(a) => write!(f, "bad flash address {a:#x}"),
            FlashError::NotErased(a) => write!(f, "programming unerased flash at {a:#x}"),
            FlashError::PowerLoss => f.write_str("power lost"),
        }
    }
}

impl core::error::Error for FlashError {}

impl embedded_io::Error for FlashError {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::Other
    }
}

/// The chip. It holds no copy of the cells: every command goes to the image.
pub struct Flash {
    image: File,
    /// Bytes the chip may still program before the power fails.
    budget: u64,
    dead: bool,
    /// Commands issued, for the report.
    pub reads: u32,
    pub programs: u32,
    pub erases: u32,
}

impl Flash {
    /// The chip whose cells are the host file `path`, created erased if it
    /// does not exist yet.
    pub fn attach(path: &CStr) -> Result<Flash, FlashError> {
        let image = match OpenOptions::new().read(true).write(true).open(path) {
            Ok(f) => f,
            Err(_) => {
                let mut f = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(path)
                    .map_err(|_| FlashError::Host)?;
                let erased = [0xFF; PAGE];
                for _ in 0..CHIP as usize / PAGE {
                    f.write_all(&erased).map_err(|_| FlashError::Host)?;
                }
                f
            }
        };
        Ok(Flash {
            image,
            budget: u64::MAX,
            dead: false,
            reads: 0,
            programs: 0,
            erases: 0,
        })
    }

    /// The power fails once `bytes` more bytes have been programmed.
    pub fn cut_after(&mut self, bytes: u64) {
        self.budget = bytes;
    }

    fn alive(&self) -> Result<(), FlashError> {
        if self.dead {
            Err(FlashError::PowerLoss)
        } else {
            Ok(())
        }
    }

    fn seek(&mut self, addr: u32) -> Result<(), FlashError> {
        self.image
            .seek(SeekFrom::Start(u64::from(addr)))
            .map(|_| ())
            .map_err(|_| FlashError::Host)
    }

    /// Reads the 256 bytes at `addr` into `buf`.
    pub fn read(&mut self, addr: u32, buf: &mut [u8; PAGE]) -> Result<(), FlashError> {
        self.alive()?;
        if addr > CHIP - PAGE as u32 {
            return Err(FlashError::Address(addr));
        }
        self.reads += 1;
        self.seek(addr)?;
        self.image.read_exact(buf).map_err(|_| FlashError::Host)
    }

    /// Programs `data` at `addr`, within one page; only clears bits.
    pub fn program(&mut self, addr: u32, data: &[u8]) -> Result<(), FlashError> {
        self.alive()?;
        let page = addr & !(PAGE as u32 - 1);
        let at = (addr - page) as usize;
        if addr >= CHIP || at + data.len() > PAGE {
            return Err(FlashError::Address(addr));
        }
        self.programs += 1;
        // The page's cells as they are, then as the program leaves them.
        let mut cells = [0u8; PAGE];
        self.seek(page)?;
        self.image
            .read_exact(&mut cells)
            .map_err(|_| FlashError::Host)?;
        let n = data
            .len()
            .min(usize::try_from(self.budget).unwrap_or(usize::MAX));
        for (i, (&d, c)) in data[..n].iter().zip(&mut cells[at..]).enumerate() {
            if d & !*c != 0 {
                return Err(FlashError::NotErased(addr + i as u32));
            }
            *c &= d;
        }
        self.seek(page)?;
        self.image.write_all(&cells).map_err(|_| FlashError::Host)?;
        self.budget -= n as u64;
        if n < data.len() {
            self.dead = true;
            return Err(FlashError::PowerLoss);
        }
        Ok(())
    }

    /// Sets the 4 KiB sector at `addr` (sector-aligned) back to `0xFF`.
    pub fn erase_sector(&mut self, addr: u32) -> Result<(), FlashError> {
        self.alive()?;
        if !addr.is_multiple_of(SECTOR) || addr >= CHIP {
            return Err(FlashError::Address(addr));
        }
        self.erases += 1;
        self.seek(addr)?;
        let erased = [0xFF; PAGE];
        for _ in 0..SECTOR as usize / PAGE {
            self.image
                .write_all(&erased)
                .map_err(|_| FlashError::Host)?;
        }
        Ok(())
    }

    /// Erases the sectors of `[from, to)`, both sector-aligned.
    pub fn erase_range(&mut self, from: u32, to: u32) -> Result<(), FlashError> {
        let mut s = from;
        while s < to {
            self.erase_sector(s)?;
            s += SECTOR;
        }
        Ok(())
    }
}

/// The export's partition as an `embedded_io::Write` sink: bytes are
/// programmed in order from `pos`, each write split at page boundaries (the
/// partition must be erased from `pos` on).
pub struct FlashSink<'f> {
    pub flash: &'f mut Flash,
    pub pos: u32,
}

impl embedded_io::ErrorType for FlashSink<'_> {
    type Error = FlashError;
}

impl embedded_io::Write for FlashSink<'_> {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, FlashError> {
        if bytes.is_empty() {
            return Ok(0);
        }
        // At most to the end of the page: one program command.
        let in_page = PAGE - self.pos as usize % PAGE;
        let n = bytes.len().min(in_page);
        if self.pos as u64 + n as u64 > u64::from(PARTITION) {
            return Err(FlashError::Address(self.pos));
        }
        self.flash.program(self.pos, &bytes[..n])?;
        self.pos += n as u32;
        Ok(n)
    }

    fn flush(&mut self) -> Result<(), FlashError> {
        Ok(())
    }
}

/// Reads the partition `[0, end)` in pages and hands each to `each`
/// (the last one cut to `end`).
pub fn read_pages(
    flash: &mut Flash,
    end: u32,
    chunk: &mut [u8; PAGE],
    mut each: impl FnMut(&[u8]) -> bool,
) -> Result<(), FlashError> {
    let mut addr = 0;
    while addr < end {
        flash.read(addr, chunk)?;
        let n = (end - addr).min(PAGE as u32) as usize;
        if !each(&chunk[..n]) {
            break;
        }
        addr += PAGE as u32;
    }
    Ok(())
}

/// Copies `len` bytes from the sector at `from` to the erased sector at
/// `to`, through `chunk`: one page at a time.
fn copy(
    flash: &mut Flash,
    from: u32,
    to: u32,
    len: u32,
    chunk: &mut [u8; PAGE],
) -> Result<(), FlashError> {
    let mut off = 0;
    while off < len {
        flash.read(from + off, chunk)?;
        let n = (len - off).min(PAGE as u32) as usize;
        flash.program(to + off, &chunk[..n])?;
        off += PAGE as u32;
    }
    Ok(())
}

/// Discards what a torn write programmed in `[from, to)` (spec `format.md`
/// §11.2: bits cannot be set back without an erase), keeping every byte
/// before `from`; returns how many bytes of `from`'s sector were kept.
///
/// The sectors wholly after `from` are erased, the last first, so that a
/// cut in between leaves the programmed bytes contiguous: a prefix and a
/// shorter torn tail, which the next boot finds as this one did. The sector
/// holding `from` also holds the intact end of the container: its
/// `[start, from)` is copied to the scratch sector a page at a time (RAM:
/// one 256-byte page, not a 4 KiB sector), the repair mark programmed (the
/// sector and the byte count, with a check word), the sector erased and the
/// copy programmed back; then the mark and the scratch sector are erased.
/// A cut before the mark is whole leaves the sector as it was; a cut after
/// it is finished by [`recover`] on the next boot.
pub fn discard(
    flash: &mut Flash,
    from: u32,
    to: u32,
    chunk: &mut [u8; PAGE],
) -> Result<u32, FlashError> {
    if to <= from {
        return Ok(0);
    }
    let start = from - from % SECTOR;
    let kept = from - start;
    let mut sector = to.div_ceil(SECTOR) * SECTOR;
    while sector > start + SECTOR {
        sector -= SECTOR;
        flash.erase_sector(sector)?;
    }
    if kept == 0 {
        flash.erase_sector(start)?;
        return Ok(0);
    }
    flash.erase_sector(MARK)?;
    flash.erase_sector(SCRATCH)?;
    copy(flash, start, SCRATCH, kept, chunk)?;
    flash.program(MARK, &mark(start, kept))?;
    finish_repair(flash, start, kept, chunk)?;
    Ok(kept)
}

/// The repair mark: the sector, the bytes kept, and a check word, so that
/// a mark cut short is not taken for one.
fn mark(start: u32, kept: u32) -> [u8; 12] {
    let mut m = [0u8; 12];
    m[..4].copy_from_slice(&start.to_le_bytes());
    m[4..8].copy_from_slice(&kept.to_le_bytes());
    m[8..].copy_from_slice(&(start ^ kept ^ 0x4B4F_4646).to_le_bytes());
    m
}

/// The sector erased, its kept bytes programmed back from the scratch
/// sector, then the mark erased (the repair is done) and the scratch sector.
fn finish_repair(
    flash: &mut Flash,
    start: u32,
    kept: u32,
    chunk: &mut [u8; PAGE],
) -> Result<(), FlashError> {
    flash.erase_sector(start)?;
    copy(flash, SCRATCH, start, kept, chunk)?;
    flash.erase_sector(MARK)?;
    flash.erase_sector(SCRATCH)
}

/// At boot, before the export is read: finishes a repair that a power cut
/// interrupted after its mark was whole ([`discard`]), and clears a mark
/// that was cut short. Returns the sector and the bytes restored, if any.
pub fn recover(
    flash: &mut Flash,
    chunk: &mut [u8; PAGE],
) -> Result<Option<(u32, u32)>, FlashError> {
    flash.read(MARK, chunk)?;
    if chunk[..12].iter().all(|&b| b == 0xFF) {
        return Ok(None);
    }
    let word = |i: usize| u32::from_le_bytes([chunk[i], chunk[i + 1], chunk[i + 2], chunk[i + 3]]);
    let (start, kept) = (word(0), word(4));
    if mark(start, kept)[..] != chunk[..12]
        || start % SECTOR != 0
        || start >= PARTITION
        || kept >= SECTOR
    {
        flash.erase_sector(MARK)?;
        return Ok(None);
    }
    finish_repair(flash, start, kept, chunk)?;
    Ok(Some((start, kept)))
}
