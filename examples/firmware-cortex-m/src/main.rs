//! A wearable's export, written by a Cortex-M3 firmware (QEMU `lm3s6965evb`)
//! through semihosting to a file on the host.
//!
//! No allocator: the writer's RAM is a 512-byte block buffer and the
//! sealing writer's running digest, on the stack. The firmware generates its
//! samples deterministically (see [`item`]), so the host can recompute every
//! record and compare (`scripts/firmware-demo.sh` does).
//!
//! The export is sealed (spec `seal.md`): a KEY frame names the device key,
//! a SEAL frame after every [`EVERY`] blocks signs the SHA-256 of every byte
//! before it, and a final seal precedes the end frame. The device key is
//! [`DEMO_SEED`], a fixed seed compiled in — a demo key, published here, so
//! it proves nothing about a real device; a real one keeps its seed in a
//! secure element or protected flash and signs through koffer's `Signer`
//! trait. Every phase writes the public key to `device.pub` (the
//! `koffer keygen` format) so the host can run `koffer verify --key`.
//!
//! Phases, chosen by the last semihosting argument
//! (`-semihosting-config enable=on,target=native,arg=fw,arg=PHASE`):
//!
//! - `full`: writes the whole export to `wearable-full.koffer`.
//! - `cut`: writes the same export to `wearable-resumed.koffer`, but the
//!   power fails after [`CUT_AT`] bytes — in the middle of a frame; the
//!   records still in the block buffer are lost with it.
//! - `resume`: the device boots again, reads back what reached the file,
//!   finds the intact prefix with `ResumePoint::scan`, recomputes the running
//!   digest from that prefix read back again in 256-byte chunks (storage
//!   need not be memory-mapped), truncates the file to it, and continues the
//!   sealed export with `SealingWriter::resume` from the first record that
//!   was not written, to the end.
//! - anything else (e.g. plain `cargo run --release`): all three in a row.
//!
//! Exit status 0 on success; any failure exits non-zero.
#![no_std]
#![no_main]

use core::ffi::CStr;

use cortex_m_rt::entry;
use koffer::meta::{key, time_base, Entry, Value};
use koffer::seal::{Algorithm, Digest, Ed25519, KeyFrame, SealingWriter, WriteError};
use koffer::write::ResumePoint;
use semihosting::experimental::env;
use semihosting::fs::File;
use semihosting::io::{Read as _, Write as _};
use semihosting::println;

/// Records in a complete export (samples and a few events).
const TOTAL: u32 = 3000;
/// Bytes that reach the file before the simulated power cut.
const CUT_AT: u64 = 22_000;
/// The block buffer: at most 512 bytes.
const BLOCK: usize = 512;
/// First sample time: 2026-09-14 00:00 UTC.
const T0_MS: u64 = 1_789_344_000_000;

/// A SEAL frame after every this many blocks.
const EVERY: u32 = 8;
/// Chunk size of the read-back that recomputes the running digest.
const CHUNK: usize = 256;
/// The device key: a DEMO KEY, compiled in and published — never use a
/// fixed, public seed on a real device.
const DEMO_SEED: [u8; 32] = *b"koffer-demo-key: NOT A SECRET!!!";

const FULL: &CStr = c"wearable-full.koffer";
const PUBLIC_KEY: &CStr = c"device.pub";
const RESUMED: &CStr = c"wearable-resumed.koffer";

/// What the wearer was doing.
#[derive(serde::Serialize, koffer::Describe, Clone, Copy)]
pub enum Activity {
    Rest,
    Walk,
    Run,
    Cycle,
}

/// One sample per minute.
#[derive(serde::Serialize, koffer::Describe)]
#[koffer(record = "sample", version = 1)]
pub struct Sample<'a> {
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
    pub note: Option<&'a str>,
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

/// Record type identifiers in the container.
const SAMPLE: u8 = 0;
const EVENT: u8 = 1;

/// Record `k` of the export: every 500th (k % 500 == 250) is an event, the
/// rest are samples. `scripts/firmware-demo.sh` recomputes the same values.
enum Item {
    Sample(Sample<'static>),
    Event(Event<'static>),
}

fn item(k: u32) -> Item {
    let timestamp_ms = T0_MS + u64::from(k) * 60_000;
    if k % 500 == 250 {
        let (kind, detail) = if (k / 500) % 2 == 0 {
            ("charge", "charger connected")
        } else {
            ("alert", "resting heart rate above 90")
        };
        return Item::Event(Event {
            timestamp_ms,
            kind,
            detail,
        });
    }
    Item::Sample(Sample {
        timestamp_ms,
        heart_rate: 55 + ((k * 7) % 40) as u8,
        steps: ((k * 13) % 120) as u16,
        lat: 52.52 + f64::from(k) * 1e-5,
        lon: 13.405 - f64::from(k) * 2e-5,
        battery_pct: (100 - (k * 100) / TOTAL) as u8,
        activity: [
            Activity::Rest,
            Activity::Walk,
            Activity::Run,
            Activity::Cycle,
        ][((k / 50) % 4) as usize],
        note: if k % 100 == 0 {
            Some("checkpoint")
        } else {
            None
        },
    })
}

/// Why a write to the host file failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SinkError {
    /// The host refused the write.
    Host,
    /// The simulated power cut.
    PowerLoss,
}

impl core::fmt::Display for SinkError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            SinkError::Host => "the host refused the write",
            SinkError::PowerLoss => "power lost",
        })
    }
}

impl core::error::Error for SinkError {}

impl embedded_io::Error for SinkError {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::Other
    }
}

/// A file on the host, as an `embedded_io::Write` sink; the power fails once
/// `limit` bytes have been written (mid-write if a piece crosses it).
struct HostFile {
    file: File,
    written: u64,
    limit: u64,
}

impl embedded_io::ErrorType for HostFile {
    type Error = SinkError;
}

impl embedded_io::Write for HostFile {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        if bytes.is_empty() {
            return Ok(0);
        }
        let room = self.limit - self.written;
        if room == 0 {
            return Err(SinkError::PowerLoss);
        }
        let n = (bytes.len() as u64).min(room) as usize;
        self.file
            .write_all(&bytes[..n])
            .map_err(|_| SinkError::Host)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
}

fn fail(what: &str) -> ! {
    println!("firmware: FAILED: {}", what);
    semihosting::process::exit(1)
}

fn create(path: &CStr, limit: u64) -> HostFile {
    let file = File::create(path).unwrap_or_else(|_| fail("cannot create the host file"));
    HostFile {
        file,
        written: 0,
        limit,
    }
}

/// The sealing writer of the export, signing with the device key.
type Sealing<'b> = SealingWriter<'b, HostFile, Ed25519>;
/// Its error.
type SealError = WriteError<SinkError, koffer::seal::NoKey>;

/// The device's signer and public key.
fn device_key() -> (Ed25519, [u8; 32]) {
    let signer = Ed25519::from_seed(DEMO_SEED);
    let public = signer.public_key();
    (signer, public)
}

/// Writes `device.pub` as `koffer keygen` does: `koffer-pub ed25519 `, the
/// public key in lowercase hex, a newline.
fn write_public_key(public: &[u8; 32]) {
    let mut line = [0u8; 19 + 64 + 1];
    line[..19].copy_from_slice(b"koffer-pub ed25519 ");
    for (i, b) in public.iter().enumerate() {
        line[19 + 2 * i] = b"0123456789abcdef"[usize::from(b >> 4)];
        line[20 + 2 * i] = b"0123456789abcdef"[usize::from(b & 15)];
    }
    line[83] = b'\n';
    let mut f = File::create(PUBLIC_KEY).unwrap_or_else(|_| fail("cannot create device.pub"));
    f.write_all(&line)
        .unwrap_or_else(|_| fail("cannot write device.pub"));
}

/// Records `from..TOTAL`, after the metadata and record type declarations.
/// Returns the writer's error if the sink fails (the power cut).
fn export(w: &mut Sealing<'_>, from: u32) -> Result<(), SealError> {
    // Declared by `start`, or before the power cut for a resumed writer.
    let (Some(samples), Some(events)) = (w.declared_raw(SAMPLE), w.declared_raw(EVENT)) else {
        fail("the record types are not declared")
    };
    for k in from..TOTAL {
        match item(k) {
            Item::Sample(s) => w.write_serialized(samples, &s)?,
            Item::Event(e) => w.write_serialized(events, &e)?,
        }
    }
    Ok(())
}

fn start(w: &mut Sealing<'_>) -> Result<(), SealError> {
    w.metadata(&[
        Entry::new(key::PRODUCER_VENDOR, Value::Str("Acme Wearables")),
        Entry::new(key::PRODUCER_MODEL, Value::Str("Band 3 (QEMU lm3s6965evb)")),
        Entry::new(
            key::PRODUCER_FIRMWARE,
            Value::Str("firmware-cortex-m 0.0.0"),
        ),
        Entry::new(key::SUBJECT_PSEUDONYM, Value::Str("p-7f3a9c")),
        Entry::new(key::TIME_BASE, Value::Str(time_base::UNIX)),
    ])?;
    w.declare_type::<Sample<'_>>(SAMPLE)?;
    w.declare_type::<Event<'_>>(EVENT)?;
    Ok(())
}

/// Scenario 1: the whole export in one go.
fn full() {
    let (signer, public) = device_key();
    write_public_key(&public);
    let key = KeyFrame::new(Algorithm::EdDSA, &public, EVERY);
    let mut block = [0u8; BLOCK];
    let mut digest = Digest::new();
    let mut w = SealingWriter::new(
        create(FULL, u64::MAX),
        &mut block,
        &mut digest,
        signer,
        &key,
    )
    .unwrap_or_else(|_| fail("full: writer"));
    if start(&mut w).is_err() || export(&mut w, 0).is_err() {
        fail("full: writing");
    }
    let sink = w.finish().unwrap_or_else(|_| fail("full: finish"));
    println!(
        "firmware: full: {} records, {} bytes in {:?}, sealed every {} blocks",
        TOTAL, sink.written, FULL, EVERY
    );
}

/// Scenario 2, before the reboot: the power fails after CUT_AT bytes.
fn cut() {
    let (signer, public) = device_key();
    write_public_key(&public);
    let key = KeyFrame::new(Algorithm::EdDSA, &public, EVERY);
    let mut block = [0u8; BLOCK];
    let mut digest = Digest::new();
    let mut w = SealingWriter::new(
        create(RESUMED, CUT_AT),
        &mut block,
        &mut digest,
        signer,
        &key,
    )
    .unwrap_or_else(|_| fail("cut: writer"));
    let r = start(&mut w).and_then(|()| export(&mut w, 0));
    match r {
        Err(WriteError::Write(koffer::write::Error::Sink(SinkError::PowerLoss))) => {}
        Err(_) => fail("cut: unexpected writer error"),
        Ok(()) => fail("cut: the export ended before the power cut"),
    }
    println!(
        "firmware: cut: power lost after {} bytes; {} records were in intact blocks; {} seals written, the last ending at byte {}",
        CUT_AT,
        w.counted().records,
        w.digest().seals(),
        w.digest().segment_start()
    );
    // The device dies here: no finish, the buffered records are gone.
}

/// Scenario 2, after the reboot: scan, truncate, resume, finish.
fn resume() {
    // On a device the export would sit in memory-mapped flash; here the part
    // written before the cut is read back from the host into RAM.
    let mut existing = [0u8; 24 * 1024];
    let mut len = 0;
    {
        let mut f = File::open(RESUMED).unwrap_or_else(|_| fail("resume: open"));
        loop {
            match f.read(&mut existing[len..]) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(_) => fail("resume: read"),
            }
            if len == existing.len() {
                fail("resume: the file is larger than the read-back buffer");
            }
        }
    }
    let point = ResumePoint::scan(&existing[..len]).unwrap_or_else(|_| fail("resume: scan"));
    let valid = point.valid_len() as usize;
    let from = point.counted().records;
    // The running digest of the intact prefix, read back from storage once
    // more in CHUNK-byte pieces (as from flash that is not memory-mapped).
    let mut digest = Digest::new();
    {
        let mut f = File::open(RESUMED).unwrap_or_else(|_| fail("resume: open"));
        let mut chunk = [0u8; CHUNK];
        let mut fed = 0;
        while fed < valid {
            let want = CHUNK.min(valid - fed);
            match f.read(&mut chunk[..want]) {
                Ok(0) | Err(_) => fail("resume: read back"),
                Ok(n) => {
                    digest.feed(&chunk[..n]);
                    fed += n;
                }
            }
        }
    }
    println!(
        "firmware: resume: running digest recomputed from {} bytes in {}-byte chunks: {} seals, the last ending at byte {}",
        digest.position(),
        CHUNK,
        digest.seals(),
        digest.segment_start()
    );
    println!(
        "firmware: resume: {} bytes on the host, intact prefix {} bytes ({} frames, {} records); torn tail of {} bytes dropped",
        len,
        valid,
        point.counted().frames,
        from,
        len - valid
    );
    if point.is_complete() || valid == len || from == 0 {
        fail("resume: expected an incomplete container with records and a torn tail");
    }
    // Semihosting cannot truncate: re-create the file and put the intact prefix back.
    let mut sink = create(RESUMED, u64::MAX);
    embedded_io::Write::write_all(&mut sink, &existing[..valid])
        .unwrap_or_else(|_| fail("resume: rewrite prefix"));
    let (signer, public) = device_key();
    let key = KeyFrame::new(Algorithm::EdDSA, &public, EVERY);
    let mut block = [0u8; BLOCK];
    let mut w = SealingWriter::resume(sink, &mut block, &mut digest, signer, &key, &point)
        .unwrap_or_else(|_| fail("resume: SealingWriter::resume"));
    // Every record is one item of the generator, in order: continue at the
    // first one that did not reach the file intact.
    if export(&mut w, from as u32).is_err() {
        fail("resume: writing");
    }
    let sink = w.finish().unwrap_or_else(|_| fail("resume: finish"));
    println!(
        "firmware: resume: continued at record {}; {} records, {} bytes in {:?}",
        from, TOTAL, sink.written, RESUMED
    );
}

#[entry]
fn main() -> ! {
    let mut phase = [0u8; 16];
    let mut phase_len = 0;
    if let Ok(args) = env::args::<256>() {
        for a in (&args).flatten() {
            let n = a.len().min(phase.len());
            phase[..n].copy_from_slice(&a.as_bytes()[..n]);
            phase_len = n;
        }
    }
    match &phase[..phase_len] {
        b"full" => full(),
        b"cut" => cut(),
        b"resume" => resume(),
        _ => {
            full();
            cut();
            println!("firmware: -- reboot --");
            resume();
        }
    }
    semihosting::process::exit(0)
}
