//! The wearable data set of the benchmarks and the overhead test: 100,000
//! one-second samples and 200 events, deterministic (the data set of
//! `../shared/notes/peers.md`: timestamp, heart rate, steps, position,
//! battery, activity, a rare note; events with a kind and a detail).
#![allow(dead_code)]

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Copy)]
#[cfg_attr(feature = "derive", derive(koffer::Describe))]
pub enum Activity {
    Rest,
    Walk,
    Run,
    Cycle,
}

// With the `derive` feature the types describe themselves, so the benchmarks'
// containers carry their schemas, as a device's export does.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
#[cfg_attr(feature = "derive", derive(koffer::Describe))]
#[cfg_attr(feature = "derive", koffer(record = "sample", version = 1))]
pub struct Sample<'a> {
    #[cfg_attr(feature = "derive", koffer(unit = "ms", time = "unix"))]
    pub timestamp_ms: u64,
    #[cfg_attr(feature = "derive", koffer(unit = "1/min"))]
    pub heart_rate: u8,
    #[cfg_attr(feature = "derive", koffer(unit = "{steps}"))]
    pub steps: u16,
    #[cfg_attr(feature = "derive", koffer(unit = "lat"))]
    pub lat: f64,
    #[cfg_attr(feature = "derive", koffer(unit = "lon"))]
    pub lon: f64,
    #[cfg_attr(feature = "derive", koffer(unit = "%"))]
    pub battery_pct: u8,
    pub activity: Activity,
    #[serde(borrow)]
    pub note: Option<&'a str>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
#[cfg_attr(feature = "derive", derive(koffer::Describe))]
#[cfg_attr(feature = "derive", koffer(record = "event", version = 1))]
pub struct Event<'a> {
    #[cfg_attr(feature = "derive", koffer(unit = "ms", time = "unix"))]
    pub timestamp_ms: u64,
    pub kind: &'a str,
    pub detail: &'a str,
}

/// One record of the data set.
#[derive(Debug, PartialEq, Clone)]
pub enum Record<'a> {
    Sample(Sample<'a>),
    Event(Event<'a>),
}

/// Record type identifiers in the container.
pub const SAMPLE: u8 = 0;
pub const EVENT: u8 = 1;

pub const SAMPLES: u32 = 100_000;
pub const EVENTS: u32 = 200;

/// The data set, in time order: 1 Hz samples with a slowly moving position,
/// an event after every 500 samples, a note on about one sample in 5,000.
pub fn records() -> Vec<Record<'static>> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let t0 = 1_789_000_000_000u64;
    let (mut lat, mut lon) = (52.520_008f64, 13.404_954f64);
    let mut out = Vec::with_capacity((SAMPLES + EVENTS) as usize);
    for i in 0..SAMPLES {
        let r = rnd();
        lat += ((r & 0xFF) as f64 - 127.5) * 1e-7;
        lon += (((r >> 8) & 0xFF) as f64 - 127.5) * 1e-7;
        let activity = [
            Activity::Rest,
            Activity::Walk,
            Activity::Run,
            Activity::Cycle,
        ][(i / 3600 % 4) as usize];
        let s = Sample {
            timestamp_ms: t0 + u64::from(i) * 1000,
            heart_rate: 55 + ((r >> 16) % 90) as u8,
            steps: match activity {
                Activity::Rest | Activity::Cycle => 0,
                Activity::Walk => 1 + ((r >> 24) % 3) as u16,
                Activity::Run => 2 + ((r >> 24) % 2) as u16,
            },
            lat,
            lon,
            battery_pct: 100 - (i / 1200) as u8,
            activity,
            note: if (r >> 32) % 5000 == 0 {
                Some("felt dizzy")
            } else {
                None
            },
        };
        let ts = s.timestamp_ms;
        out.push(Record::Sample(s));
        if i % (SAMPLES / EVENTS) == SAMPLES / EVENTS - 1 {
            out.push(Record::Event(Event {
                timestamp_ms: ts + 500,
                kind: "lap",
                detail: "auto lap 1 km",
            }));
        }
    }
    out
}
