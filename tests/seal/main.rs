//! Seals (spec `seal.md`), one module per section.

mod util;

mod s03_key;
mod s04_seal;
mod s05_tbs;
mod s07_writing;
mod s08_verify;
mod s09_series;
mod s10_example;
mod s11_vectors;
