//! What every variant shares: the panic handler, stack painting and the
//! report over semihosting. The baseline carries all of it too, so it cancels
//! out of the deltas. No `core::fmt` here: it would cost kilobytes.
#![no_std]

use core::ptr::{addr_of, read_volatile, write_volatile};

include!("record.rs");

const PATTERN: u32 = 0xC0DE_5AFE;

extern "C" {
    /// End of .bss (cortex-m-rt): the stack grows down towards it.
    static __sheap: u32;
}

#[inline(always)]
fn sp() -> usize {
    let sp: usize;
    // SAFETY: reads the stack pointer.
    unsafe { core::arch::asm!("mov {}, sp", out(reg) sp) };
    sp
}

/// Paints the free stack below the caller, runs `work`, and returns the
/// bytes of stack `work` used at its deepest (its frame and its callees').
#[inline(never)]
pub fn measure(work: fn()) -> usize {
    let top = sp();
    let bottom = addr_of!(__sheap) as usize;
    let mut p = bottom;
    // Leave a margin below this frame for the loop itself.
    while p < top - 64 {
        // SAFETY: free stack between the end of .bss and the current frame.
        unsafe { write_volatile(p as *mut u32, PATTERN) };
        p += 4;
    }
    // Called through an opaque pointer: never inlined into this frame.
    core::hint::black_box(work)();
    let mut p = bottom;
    // SAFETY: as above.
    while p < top && unsafe { read_volatile(p as *const u32) } == PATTERN {
        p += 4;
    }
    top - p
}

/// Prints `footprint: <name> stack <n>` and exits with status 0.
pub fn report(name: &str, stack: usize) -> ! {
    use semihosting::io::Write as _;
    let mut line = [0u8; 64];
    let mut n = 0;
    for part in [b"footprint: ".as_slice(), name.as_bytes(), b" stack "] {
        line[n..n + part.len()].copy_from_slice(part);
        n += part.len();
    }
    let mut digits = [0u8; 10];
    let mut d = 0;
    let mut v = stack;
    loop {
        digits[d] = b'0' + (v % 10) as u8;
        d += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    while d > 0 {
        d -= 1;
        line[n] = digits[d];
        n += 1;
    }
    line[n] = b'\n';
    n += 1;
    if let Ok(mut out) = semihosting::io::stdout() {
        let _ = out.write_all(&line[..n]);
    }
    semihosting::process::exit(0)
}

/// Stores a result where the compiler cannot drop it.
#[inline(always)]
pub fn keep<T: Copy>(v: T) {
    let mut slot = core::mem::MaybeUninit::<T>::uninit();
    // SAFETY: a local slot.
    unsafe { write_volatile(slot.as_mut_ptr(), v) };
}

/// Reads a container as a device reads back its own export: `Reader::new`,
/// every record decoded as the `Reading` the firmware knows (their sum kept),
/// then `Records::finish`; fails unless the container is complete. The
/// structure checks of spec `format.md` §10.1 only: the descriptions are not
/// used, so not checked. Returns the reader and the summary.
#[inline(always)]
pub fn read_back(bytes: &[u8]) -> (koffer::read::Reader<'_>, koffer::read::Summary) {
    let Ok(reader) = koffer::read::Reader::new(bytes) else {
        fail()
    };
    let mut sum = 0u32;
    let mut records = reader.records();
    for r in records.by_ref() {
        let Ok(r) = r else { fail() };
        let Ok(v) = r.decode::<Reading>() else { fail() };
        sum = sum
            .wrapping_add(v.t)
            .wrapping_add(u32::from(v.heart_rate))
            .wrapping_add(u32::from(v.steps))
            .wrapping_add(v.temp as u32);
    }
    let Ok(summary) = records.finish() else {
        fail()
    };
    if !summary.is_complete() {
        fail()
    }
    keep(sum);
    (reader, summary)
}

/// Any failure: exit 1 (no message, no `core::fmt`).
pub fn fail() -> ! {
    semihosting::process::exit(1)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    semihosting::process::exit(101)
}
