//! Converters from device formats into koffer containers (work in progress).
