//! Seals (spec `seal.md`), one module per section.

mod util;

mod s10_example;
