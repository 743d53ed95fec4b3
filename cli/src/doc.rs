//! Pieces of the `export --format json` document shared by `export` and
//! `import`: `koffer_export`'s.

pub use koffer_export::doc::*;
