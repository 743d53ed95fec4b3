//! One week of a wearable's data, written the way the device writes it.
//!
//! ```text
//! cargo run --example wearable               # writes samples/wearable.koffer
//! cargo run --example wearable -- OUT        # writes OUT
//! cargo run --example wearable -- --check    # exit 1 unless samples/wearable.koffer
//!                                            # is byte-for-byte what this generates
//! cargo run --example wearable -- --check F  # the same for F
//! cargo run --release --example wearable -- --days 2431 OUT
//! cargo run --release --example wearable -- --subject 17 OUT  # another subject
//!                                            # a longer export: N days of the same
//!                                            # life (≈ 1,440 records and 41 KB a day;
//!                                            # 2,431 days ≈ 3.5 million records,
//!                                            # ≈ 100 MB: the viewer's benchmark)
//! ```
//!
//! The data is made up but plausible: 10,080 one-minute samples (heart rate,
//! steps, position, battery, activity) from Monday 2026-09-14T00:00:00Z to the
//! next Monday, with sleep, weekday bicycle commutes, three runs, a Sunday
//! walk and charging, plus a few dozen events (`sleep_end`, `workout_start`,
//! `charge_start`, `sync`, ...) interleaved in time order.
//!
//! Everything comes from a small seeded PRNG (xorshift64*) and IEEE
//! arithmetic only (`+ - * /`, `sqrt`, `round`; no `sin`, `cos` or `exp`,
//! whose last bits differ between math libraries), so every machine
//! generates the same bytes.
//!
//! The writer gets a 256-byte block buffer, as a device would give it, and a
//! `Vec<u8>` as its sink.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use koffer::meta::{key, time_base, Entry, Value};
use koffer::read::{Frame, Reader};
use koffer::write::Writer;
use serde::Serialize;

/// Record type of [`Sample`].
const SAMPLE: u8 = 0;
/// Record type of [`Event`].
const EVENT: u8 = 1;

/// 2026-09-14T00:00:00Z, a Monday, in Unix milliseconds.
const START_MS: u64 = 1_789_344_000_000;
/// When the export was made: 2026-09-21T07:42:10Z, the morning after the week.
const EXPORT_CREATED_MS: i64 = 1_789_976_530_000;
const MINUTE_MS: u64 = 60_000;
const MINUTES_PER_DAY: u32 = 24 * 60;
/// Days of the sample export (`--days` writes longer ones; the week repeats).
const DAYS: u32 = 7;
const SEED: u64 = 0x5EED_2026_0914_0001;
/// The block buffer a small device can spare.
const BLOCK_BUFFER: usize = 256;

/// How the wearer was moving during a sample's minute.
#[derive(Serialize, koffer::Describe, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// Sitting, lying, sleeping.
    Rest,
    /// Walking.
    Walk,
    /// Running.
    Run,
    /// Cycling.
    Cycle,
}

/// One sample a minute (record type 0, `"sample"`). Doc comments on the
/// fields become their descriptions in the container.
#[derive(Serialize, koffer::Describe, Debug, Clone, Copy, PartialEq)]
#[koffer(record = "sample", version = 1)]
pub struct Sample {
    /// Start of the minute.
    #[koffer(unit = "ms", time)]
    pub timestamp_ms: u64,
    /// Heart rate; 0 when the band is off the wrist.
    #[koffer(unit = "1/min")]
    pub heart_rate: u8,
    /// Steps during the minute.
    #[koffer(unit = "{steps}")]
    pub steps: u16,
    /// Latitude (WGS 84).
    #[koffer(unit = "lat")]
    pub lat: f64,
    /// Longitude (WGS 84).
    #[koffer(unit = "lon")]
    pub lon: f64,
    /// Battery charge.
    #[koffer(unit = "%")]
    pub battery_pct: u8,
    /// What the wearer was doing.
    pub activity: Activity,
    /// A rare remark of the firmware.
    pub note: Option<&'static str>,
}

/// Something that happened (record type 1, `"event"`).
#[derive(Serialize, koffer::Describe, Debug, Clone, Copy, PartialEq, Eq)]
#[koffer(record = "event", version = 1)]
pub struct Event<'a> {
    /// When it happened.
    #[koffer(unit = "ms", time)]
    pub timestamp_ms: u64,
    /// What: `"sleep_end"`, `"workout_start"`, `"charge_start"`, ...
    pub kind: &'a str,
    /// Free text.
    pub detail: &'a str,
}

/// xorshift64* (Vigna): tiny, seeded, the same everywhere.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n > 0`; the bias is negligible for small `n`).
    fn below(&mut self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in `[0, 1)`; exact (53 bits).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[-a, a)`.
    fn jitter(&mut self, a: f64) -> f64 {
        (self.unit() * 2.0 - 1.0) * a
    }

    /// True with probability `1 / n`.
    fn one_in(&mut self, n: u32) -> bool {
        self.below(n) == 0
    }
}

type Point = (f64, f64);

const HOME: Point = (52.520_008, 13.404_954);
const OFFICE: Point = (52.525_700, 13.315_200);
/// Home to office by bicycle, about 6.5 km.
const COMMUTE: &[Point] = &[
    HOME,
    (52.527_000, 13.396_000),
    (52.530_000, 13.378_000),
    (52.528_500, 13.355_000),
    (52.526_200, 13.335_000),
    OFFICE,
];
/// A weekday run from home into the park and back, about 6.5 km.
const SHORT_RUN: &[Point] = &[
    HOME,
    (52.517_730, 13.396_120),
    (52.516_210, 13.377_450),
    (52.514_520, 13.362_080),
    (52.518_950, 13.360_210),
    (52.519_950, 13.378_660),
    HOME,
];
/// The Saturday long run, about 12 km.
const LONG_RUN: &[Point] = &[
    HOME,
    (52.517_730, 13.396_120),
    (52.516_210, 13.377_450),
    (52.514_520, 13.350_080),
    (52.511_040, 13.342_210),
    (52.509_830, 13.325_970),
    (52.515_830, 13.318_970),
    (52.519_950, 13.330_660),
    (52.519_950, 13.348_660),
    (52.518_540, 13.377_900),
    HOME,
];
/// A Sunday walk along the river, about 5.5 km.
const WALK_LOOP: &[Point] = &[
    HOME,
    (52.518_900, 13.409_620),
    (52.514_230, 13.414_870),
    (52.510_980, 13.421_340),
    (52.507_000, 13.432_000),
    (52.512_500, 13.437_800),
    (52.515_110, 13.424_780),
    HOME,
];

/// cos(52.52°): metres per degree of longitude relative to latitude here.
const COS_LAT: f64 = 0.608_5;
const METRES_PER_DEGREE: f64 = 111_195.0;

/// Metres between two nearby points (equirectangular; exact IEEE operations only).
fn distance_m(a: Point, b: Point) -> f64 {
    let dy = (b.0 - a.0) * METRES_PER_DEGREE;
    let dx = (b.1 - a.1) * METRES_PER_DEGREE * COS_LAT;
    (dx * dx + dy * dy).sqrt()
}

/// The point a fraction `f` (0..=1) along `path`, by leg count.
fn along(path: &[Point], f: f64) -> Point {
    let legs = (path.len() - 1) as f64;
    let x = (f * legs).clamp(0.0, legs);
    let i = (x as usize).min(path.len() - 2);
    let t = x - i as f64;
    let (a, b) = (path[i], path[i + 1]);
    (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
}

/// A planned workout: `[start, start + minutes)` minutes of the day.
#[derive(Clone, Copy)]
struct Workout {
    start: u32,
    minutes: u32,
    activity: Activity,
    path: &'static [Point],
    /// Traversed backwards (the ride home).
    reverse: bool,
    label: &'static str,
}

/// What a day holds.
struct DayPlan {
    wake: u32,
    bed: u32,
    workouts: Vec<Workout>,
    /// Minutes of the day at the office.
    office: Option<(u32, u32)>,
}

/// The plan of a day; `day` counts from the first Monday, so `day % 7` is
/// the weekday (0 = Monday).
fn plan_day(day: u32, rng: &mut Rng) -> DayPlan {
    let day = day % 7;
    let weekend = day >= 5;
    let wake = if weekend {
        8 * 60 + rng.between(0, 50)
    } else {
        6 * 60 + 35 + rng.between(0, 25)
    };
    let bed = 22 * 60 + 50 + rng.between(0, 55);
    let mut workouts = Vec::new();
    let mut office = None;
    // Runs on Monday, Wednesday and Saturday, soon after waking.
    if matches!(day, 0 | 2 | 5) {
        workouts.push(Workout {
            start: wake + 15 + rng.between(0, 10),
            minutes: if day == 5 {
                rng.between(65, 80)
            } else {
                rng.between(34, 46)
            },
            activity: Activity::Run,
            path: if day == 5 { LONG_RUN } else { SHORT_RUN },
            reverse: false,
            label: "run",
        });
    }
    if !weekend {
        let leave = 8 * 60 + 15 + rng.between(0, 15);
        let ride = rng.between(24, 31);
        let back = 17 * 60 + 20 + rng.between(0, 40);
        let ride_back = rng.between(25, 34);
        for (start, minutes, reverse) in [(leave, ride, false), (back, ride_back, true)] {
            workouts.push(Workout {
                start,
                minutes,
                activity: Activity::Cycle,
                path: COMMUTE,
                reverse,
                label: "cycle",
            });
        }
        office = Some((leave + ride, back));
    }
    if day == 6 {
        workouts.push(Workout {
            start: 14 * 60 + rng.between(0, 20),
            minutes: rng.between(55, 75),
            activity: Activity::Walk,
            path: WALK_LOOP,
            reverse: false,
            label: "walk",
        });
    }
    DayPlan {
        wake,
        bed,
        workouts,
        office,
    }
}

/// The device's state between minutes.
struct Device {
    rng: Rng,
    heart: f64,
    battery: f64,
    /// Minute charging started and the charge then.
    charging: Option<(u32, u8)>,
    /// Remaining minutes of an idle walk, and the offset from the base position.
    stroll: u32,
    offset: Point,
    /// Distance of the current workout so far, and its last position.
    distance: f64,
    last: Point,
    /// Samples since the last sync.
    unsynced: u32,
    /// When the wearer last fell asleep (minute of the week).
    slept_at: u32,
}

/// Counts of what [`generate`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Records of type 0.
    pub samples: u64,
    /// Records of type 1.
    pub events: u64,
}

/// Generates `days` days (the sample: [`DAYS`]) and returns the container's bytes.
pub fn generate(
    days: u32,
) -> Result<(Vec<u8>, Counts), koffer::write::Error<core::convert::Infallible>> {
    generate_subject(days, None)
}

/// [`generate`] for synthetic subject `subject` (`--subject N`, for the
/// analytics study `scripts/study.sh`): its own seed and pseudonym
/// (`s-<N>`); `None` is the sample's subject.
pub fn generate_subject(
    days: u32,
    subject: Option<u32>,
) -> Result<(Vec<u8>, Counts), koffer::write::Error<core::convert::Infallible>> {
    let seed = match subject {
        None => SEED,
        Some(n) => SEED ^ (u64::from(n) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
    };
    let pseudonym = subject.map_or_else(|| "p-7f3a9c".to_string(), |n| format!("s-{n:05}"));
    let mut block = [0u8; BLOCK_BUFFER];
    let mut w = Writer::new(Vec::new(), &mut block)?;
    w.metadata(&[
        Entry::new(key::PRODUCER_VENDOR, Value::Str("Acme Wearables")),
        Entry::new(key::PRODUCER_MODEL, Value::Str("Band 3")),
        Entry::new(key::PRODUCER_FIRMWARE, Value::Str("3.4.1")),
        Entry::new(key::PRODUCER_SERIAL, Value::Str("B3-2026-004217")),
        Entry::new(key::EXPORT_CREATED, Value::Time(EXPORT_CREATED_MS)),
        Entry::new(key::SUBJECT_PSEUDONYM, Value::Str(&pseudonym)),
        Entry::new(key::TIME_BASE, Value::Str(time_base::UNIX)),
        Entry::new(
            "example:generator",
            Value::Str("koffer examples/wearable.rs, xorshift64* seed 0x5EED202609140001"),
        ),
    ])?;
    let samples = w.declare_type::<Sample>(SAMPLE)?;
    let events_h = w.declare_type::<Event>(EVENT)?;

    let mut counts = Counts::default();
    let mut dev = Device {
        rng: Rng(seed),
        heart: 54.0,
        battery: 83.0,
        charging: None,
        stroll: 0,
        offset: (0.0, 0.0),
        distance: 0.0,
        last: HOME,
        unsynced: 0,
        slept_at: 0,
    };
    // Events of the current minute: (kind, detail), written after its sample.
    let mut events: Vec<(&'static str, String)> = Vec::new();

    for day in 0..days {
        let plan = plan_day(day, &mut dev.rng);
        for m in 0..MINUTES_PER_DAY {
            let minute = day * MINUTES_PER_DAY + m;
            let t = START_MS + u64::from(minute) * MINUTE_MS;
            events.clear();
            let asleep = m < plan.wake || m >= plan.bed;

            if m == plan.wake {
                let slept = minute - dev.slept_at;
                let detail = if day == 0 {
                    "slept since before the export window".to_string()
                } else {
                    format!("slept {}h {:02}m", slept / 60, slept % 60)
                };
                events.push(("sleep_end", detail));
            }
            if m == plan.bed {
                dev.slept_at = minute;
                events.push(("sleep_start", "auto-detected".to_string()));
            }

            // A workout in progress, and how far into it.
            let workout = plan
                .workouts
                .iter()
                .find(|w| m >= w.start && m < w.start + w.minutes)
                .copied();
            for w in &plan.workouts {
                if m == w.start {
                    if let Some((_, from)) = dev.charging.take() {
                        events.push((
                            "charge_end",
                            format!("unplugged at {}% (from {from}%)", dev.battery as u8),
                        ));
                    }
                    dev.distance = 0.0;
                    dev.last = if w.reverse {
                        w.path[w.path.len() - 1]
                    } else {
                        w.path[0]
                    };
                    events.push(("workout_start", w.label.to_string()));
                }
            }

            // Charging: in the evening when low, or whenever nearly empty.
            if dev.charging.is_none()
                && !asleep
                && workout.is_none()
                && ((dev.battery < 30.0 && m >= 19 * 60) || dev.battery < 12.0)
            {
                dev.charging = Some((minute, dev.battery as u8));
                events.push(("charge_start", format!("battery {}%", dev.battery as u8)));
            }
            let charging = dev.charging.is_some();

            // Activity, position, target heart rate and steps.
            let rng = &mut dev.rng;
            let base = match plan.office {
                Some((arrive, leave)) if m >= arrive && m < leave => OFFICE,
                _ => HOME,
            };
            let (activity, pos, target, steps) = if let Some(w) = workout {
                let f = f64::from(m - w.start) / f64::from(w.minutes);
                let pos = along(w.path, if w.reverse { 1.0 - f } else { f });
                let pos = (pos.0 + rng.jitter(0.000_04), pos.1 + rng.jitter(0.000_06));
                dev.distance += distance_m(dev.last, pos);
                dev.last = pos;
                match w.activity {
                    Activity::Run => {
                        // Warm up, steady, a faster middle, cool down.
                        let effort = if f < 0.15 {
                            f / 0.15
                        } else if f > 0.9 {
                            (1.0 - f) / 0.1
                        } else if (0.5..0.7).contains(&f) {
                            1.15
                        } else {
                            1.0
                        };
                        (
                            Activity::Run,
                            pos,
                            110.0 + 45.0 * effort,
                            rng.between(158, 178) as u16,
                        )
                    }
                    Activity::Cycle => (Activity::Cycle, pos, 122.0, rng.between(0, 3) as u16),
                    _ => (Activity::Walk, pos, 96.0, rng.between(92, 124) as u16),
                }
            } else if asleep {
                // Lower heart rate in the small hours.
                let deep = if (2 * 60..5 * 60).contains(&m) {
                    -4.0
                } else {
                    0.0
                };
                let pos = (base.0 + rng.jitter(0.000_02), base.1 + rng.jitter(0.000_03));
                (Activity::Rest, pos, 53.0 + deep, 0)
            } else {
                // Awake and idle, now and then a short walk.
                if dev.stroll == 0 && !charging && rng.one_in(45) {
                    dev.stroll = rng.between(3, 14);
                }
                if dev.stroll > 0 {
                    dev.stroll -= 1;
                    dev.offset.0 += rng.jitter(0.000_35);
                    dev.offset.1 += rng.jitter(0.000_55);
                } else {
                    dev.offset = (dev.offset.0 * 0.5, dev.offset.1 * 0.5);
                }
                let pos = (
                    base.0 + dev.offset.0 + rng.jitter(0.000_03),
                    base.1 + dev.offset.1 + rng.jitter(0.000_05),
                );
                if dev.stroll > 0 {
                    (Activity::Walk, pos, 95.0, rng.between(88, 122) as u16)
                } else {
                    let steps = if rng.below(10) < 6 {
                        0
                    } else {
                        rng.between(1, 14) as u16
                    };
                    (Activity::Rest, pos, 70.0, steps)
                }
            };

            // Heart rate follows the target with some inertia and noise.
            dev.heart += (target - dev.heart) * 0.35 + rng.jitter(2.5);
            let heart_rate = if charging {
                0
            } else {
                dev.heart.round().clamp(35.0, 200.0) as u8
            };

            let note = if charging && dev.charging.is_some_and(|(since, _)| since == minute) {
                Some("off wrist (charging)")
            } else if matches!(activity, Activity::Run | Activity::Cycle) && rng.one_in(40) {
                Some("gps: weak signal")
            } else if !charging && rng.one_in(4000) {
                Some("hr: motion artifact")
            } else {
                None
            };

            let sample = Sample {
                timestamp_ms: t,
                heart_rate,
                steps: if charging { 0 } else { steps },
                lat: if charging { HOME.0 } else { pos.0 },
                lon: if charging { HOME.1 } else { pos.1 },
                battery_pct: dev.battery.clamp(0.0, 100.0) as u8,
                activity: if charging { Activity::Rest } else { activity },
                note,
            };
            w.write(samples, &sample)?;
            counts.samples += 1;
            dev.unsynced += 1;

            // Battery: GPS workouts cost extra; charging is quick.
            if let Some((since, from)) = dev.charging {
                dev.battery += 1.1;
                if dev.battery >= 100.0 {
                    dev.battery = 100.0;
                    dev.charging = None;
                    events.push((
                        "charge_end",
                        format!("battery 100% (from {from}%, {} min)", minute + 1 - since),
                    ));
                }
            } else {
                dev.battery -= if workout.is_some() { 0.045 } else { 0.011 };
            }

            for w in &plan.workouts {
                if m + 1 == w.start + w.minutes {
                    events.push((
                        "workout_end",
                        format!(
                            "{} {}.{} km, {} min",
                            w.label,
                            (dev.distance / 1000.0) as u32,
                            (dev.distance / 100.0) as u32 % 10,
                            w.minutes
                        ),
                    ));
                }
            }
            if m == 21 * 60 + 30 {
                events.push(("sync", format!("phone app, {} samples", dev.unsynced)));
                dev.unsynced = 0;
            }

            // Events fall inside the minute, after its sample, in order.
            let mut at = t;
            for (kind, detail) in &events {
                at += 1_000 * u64::from(dev.rng.between(1, 12));
                w.write(
                    events_h,
                    &Event {
                        timestamp_ms: at,
                        kind,
                        detail,
                    },
                )?;
                counts.events += 1;
            }
        }
    }
    Ok((w.finish()?, counts))
}

fn default_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/wearable.koffer")
}

/// Reads the container back and prints what it holds.
fn describe(bytes: &[u8]) -> Result<(), koffer::read::Error> {
    let reader = Reader::new(bytes)?;
    let (mut blocks, mut per_type) = (0u64, [0u64; 2]);
    for f in reader.frames() {
        if let Frame::Block(b) = f?.frame {
            blocks += 1;
            if let Some(n) = per_type.get_mut(usize::from(b.header().record_type)) {
                *n += u64::from(b.header().count);
            }
        }
    }
    let summary = reader.verify()?;
    println!(
        "{} bytes: {} sample records, {} event records, {} blocks, {}",
        bytes.len(),
        per_type[0],
        per_type[1],
        blocks,
        if summary.is_complete() {
            "complete"
        } else {
            "INCOMPLETE"
        }
    );
    Ok(())
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut days = DAYS;
    if let Some(i) = args.iter().position(|a| a == "--days") {
        // At most 80,000 days: the minute of the export stays a u32.
        match args.get(i + 1).and_then(|n| n.parse::<u32>().ok()) {
            Some(n) if (1..=80_000).contains(&n) => days = n,
            _ => {
                eprintln!("wearable: --days takes a number of days, 1 to 80000");
                return ExitCode::from(2);
            }
        }
        args.drain(i..=i + 1);
    }
    let mut subject = None;
    if let Some(i) = args.iter().position(|a| a == "--subject") {
        match args.get(i + 1).and_then(|n| n.parse::<u32>().ok()) {
            Some(n) => subject = Some(n),
            None => {
                eprintln!("wearable: --subject takes a number");
                return ExitCode::from(2);
            }
        }
        args.drain(i..=i + 1);
    }
    let (check, path) = match args.as_slice() {
        [] => (false, default_path()),
        [flag] if flag == "--check" => (true, default_path()),
        [flag, p] if flag == "--check" => (true, PathBuf::from(p)),
        [p] if !p.starts_with('-') => (false, PathBuf::from(p)),
        _ => {
            eprintln!("usage: wearable [--days N] [--subject N] [OUT] | wearable --check [FILE]");
            return ExitCode::from(2);
        }
    };
    let (bytes, counts) = match generate_subject(days, subject) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("wearable: writing failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    if check {
        let on_disk = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("wearable: {}: cannot read: {e}", path.display());
                return ExitCode::FAILURE;
            }
        };
        if on_disk != bytes {
            let first = on_disk
                .iter()
                .zip(&bytes)
                .position(|(a, b)| a != b)
                .unwrap_or(on_disk.len().min(bytes.len()));
            eprintln!(
                "wearable: {}: differs from the generator's output at byte {first} \
                 ({} bytes on disk, {} generated); regenerate with `cargo run --example wearable`",
                path.display(),
                on_disk.len(),
                bytes.len()
            );
            return ExitCode::FAILURE;
        }
        println!("{}: up to date ({} bytes)", path.display(), bytes.len());
        return ExitCode::SUCCESS;
    }
    if let Err(e) = std::fs::write(&path, &bytes) {
        eprintln!("wearable: {}: cannot write: {e}", path.display());
        return ExitCode::FAILURE;
    }
    println!(
        "wrote {} ({} samples, {} events)",
        path.display(),
        counts.samples,
        counts.events
    );
    if let Err(e) = describe(&bytes) {
        eprintln!("wearable: {}: reading back failed {e}", path.display());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
