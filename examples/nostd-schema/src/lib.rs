//! Record types of a wearable, described at compile time: the definitions
//! below are constants in flash; nothing runs at startup.
#![no_std]

use koffer::schema::RecordType;

/// What the wearer was doing.
#[derive(serde::Serialize, koffer::Describe)]
pub enum Activity {
    Rest,
    Walk,
    Run,
    Cycle,
}

/// One sample per minute.
#[derive(serde::Serialize, koffer::Describe)]
#[koffer(record = "sample", version = 1)]
pub struct Sample {
    #[koffer(unit = "ms", time, description = "sample time")]
    pub timestamp_ms: u64,
    #[koffer(unit = "1/min")]
    pub heart_rate: u8,
    pub steps: u16,
    #[koffer(unit = "lat")]
    pub lat: f64,
    #[koffer(unit = "lon")]
    pub lon: f64,
    #[koffer(unit = "%")]
    pub battery_pct: u8,
    pub activity: Activity,
    pub note: Option<heapless::String<32>>,
}

/// Something that happened.
#[derive(serde::Serialize, koffer::Describe)]
#[koffer(record = "event", version = 1)]
pub struct Event<'a> {
    #[koffer(unit = "ms", time)]
    pub timestamp_ms: u64,
    pub kind: &'a str,
    pub detail: &'a str,
}

/// The definitions, as the firmware hands them to `Writer::declare_type`.
pub const DEFINITIONS: [&[u8]; 2] = [Sample::DEFINITION, Event::DEFINITION];
/// Their fingerprints.
pub const FINGERPRINTS: [u64; 2] = [Sample::FINGERPRINT, Event::FINGERPRINT];
