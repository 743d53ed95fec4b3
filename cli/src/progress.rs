//! A progress bar on stderr for long work.
//!
//! The bar is shown only when stderr is a terminal and the input is at least
//! [`THRESHOLD`] bytes: never on stdout, never when stderr is a pipe or a
//! file (tests, scripts, CI). Otherwise [`Progress`] is a no-op whose
//! [`Progress::set`] costs one comparison, and even when shown the bar moves
//! only when the position crosses a [`STEP`] boundary, so a per-record call
//! does not slow a loop measurably.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Inputs smaller than this get no bar: they take well under a second.
pub const THRESHOLD: u64 = 8 << 20;

/// The bar is updated when the position crosses a multiple of this.
const STEP: u64 = 1 << 20;

/// A progress bar over the bytes of one input; cleared when dropped.
pub struct Progress {
    bar: Option<ProgressBar>,
    /// The position at which the bar is next updated; `u64::MAX` without a bar.
    next: u64,
}

impl Progress {
    /// A bar labelled `what` over `total` bytes, or a no-op when the input
    /// is small or stderr is not a terminal.
    pub fn new(total: u64, what: &'static str) -> Self {
        if total < THRESHOLD || !std::io::stderr().is_terminal() {
            return Progress {
                bar: None,
                next: u64::MAX,
            };
        }
        let style = ProgressStyle::with_template(
            "koffer: {msg} [{elapsed_precise}] [{wide_bar}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
            .with_style(style)
            .with_message(what);
        // Keeps the clock moving through steps that take a while (import's parse).
        bar.enable_steady_tick(Duration::from_millis(200));
        // The first update waits for the first step: an estimate from the
        // first few bytes would be noise.
        Progress {
            bar: Some(bar),
            next: STEP,
        }
    }

    /// Relabels the bar for a new phase of the same work; the estimate
    /// starts afresh.
    pub fn label(&self, what: &'static str) {
        if let Some(bar) = &self.bar {
            bar.set_message(what);
            bar.reset_eta();
        }
    }

    /// Records that the work has reached byte `pos` of the input.
    #[inline]
    pub fn set(&mut self, pos: u64) {
        if pos >= self.next {
            self.update(pos);
        }
    }

    #[cold]
    fn update(&mut self, pos: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(pos);
            self.next = (pos / STEP).saturating_add(1).saturating_mul(STEP);
        }
    }
}

impl Drop for Progress {
    /// Clears the bar, so that what follows on stderr starts on a clean line.
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_inputs_get_no_bar() {
        let mut p = Progress::new(THRESHOLD - 1, "testing");
        assert!(p.bar.is_none());
        assert_eq!(p.next, u64::MAX);
        p.set(u64::MAX - 1);
        assert!(p.bar.is_none());
    }

    #[test]
    fn no_bar_without_a_terminal() {
        let p = Progress::new(u64::MAX, "testing");
        assert_eq!(p.bar.is_some(), std::io::stderr().is_terminal());
    }
}
