// The record type the variants write and read (shared with build.rs).

/// A small sensor reading.
#[derive(serde::Serialize, serde::Deserialize, koffer::Describe)]
#[koffer(record = "reading", version = 1)]
pub struct Reading {
    #[koffer(unit = "s", time)]
    pub t: u32,
    #[koffer(unit = "1/min")]
    pub heart_rate: u8,
    pub steps: u16,
    #[koffer(unit = "cdegC")]
    pub temp: i16,
}
