//! Robustness: truncation, corruption, hostile declared sizes, unknown frame
//! kinds, malformed structure, payload decode failures, and the writer's
//! refusals, sink failures and resumption (spec `format.md` §3–§11).
//!
//! Every test is deterministic: exhaustive over small containers, or driven by
//! a fixed-seed xorshift generator.
//!
//! One module per spec section, named after it (`s10_3_truncation` tests
//! `format.md` §10.3); `build` and `reading` hold the shared helpers.

mod build;
mod reading;

mod s03_header;
mod s04_2_frame_kinds;
mod s04_3_corruption;
mod s06_s08_structure;
mod s09_limits;
mod s10_3_truncation;
mod s10_4_payload;
mod s11_2_resume;
mod s11_writer;
