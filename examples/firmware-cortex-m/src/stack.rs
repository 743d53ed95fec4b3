//! The peak stack of a phase, by stack painting (as `scripts/footprint.sh`
//! measures its variants): the free stack is filled with a pattern, the
//! phase runs, and the deepest word it overwrote gives its use.

use core::ptr::{addr_of, read_volatile, write_volatile};
use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

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

/// Paints the free stack below the caller, runs `work`, and returns what
/// it returned and the bytes of stack it used at its deepest (its frame and
/// its callees').
pub fn measure<T>(work: impl FnOnce() -> T) -> (T, usize) {
    let mut work = Some(work);
    let mut out = None;
    let used = paint_and_run(&mut || out = work.take().map(|w| w()));
    match out {
        Some(out) => (out, used),
        None => crate::fail("stack: the work did not run"),
    }
}

/// Measurements in progress, and the deepest address used (outside the
/// current painting) that an enclosing measurement must still count: a
/// nested measurement paints over what its enclosing one's earlier steps
/// used, so it notes that first.
static DEPTH: AtomicUsize = AtomicUsize::new(0);
static DEEPEST: AtomicUsize = AtomicUsize::new(usize::MAX);

/// The lowest word between `bottom` and `top` that is not the pattern.
fn lowest_used(bottom: usize, top: usize) -> usize {
    let mut p = bottom;
    // SAFETY: free stack between the end of .bss and the current frame.
    while p < top && unsafe { read_volatile(p as *const u32) } == PATTERN {
        p += 4;
    }
    p
}

#[inline(never)]
fn paint_and_run(work: &mut dyn FnMut()) -> usize {
    let top = sp();
    let bottom = addr_of!(__sheap) as usize;
    if DEPTH.load(Relaxed) > 0 {
        let used = lowest_used(bottom, top);
        DEEPEST.store(DEEPEST.load(Relaxed).min(used), Relaxed);
    }
    let saved = DEEPEST.swap(usize::MAX, Relaxed);
    let mut p = bottom;
    // Leave a margin below this frame for the loop itself.
    while p < top - 64 {
        // SAFETY: free stack between the end of .bss and the current frame.
        unsafe { write_volatile(p as *mut u32, PATTERN) };
        p += 4;
    }
    DEPTH.store(DEPTH.load(Relaxed) + 1, Relaxed);
    // Called through an opaque pointer: never inlined into this frame.
    core::hint::black_box(work)();
    DEPTH.store(DEPTH.load(Relaxed) - 1, Relaxed);
    let low = lowest_used(bottom, top).min(DEEPEST.load(Relaxed));
    DEEPEST.store(saved.min(low), Relaxed);
    top - low
}
