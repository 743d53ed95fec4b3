//! A wearable's export, written by a Cortex-M3 firmware (QEMU `lm3s6965evb`)
//! to an emulated external SPI NOR flash chip, then copied out to a file on
//! the host through semihosting.
//!
//! The flash ([`flash`]) is not memory-mapped: the firmware reads it 256
//! bytes at a time into RAM, programs it a page at a time (bits can only be
//! cleared) and erases it a 4 KiB sector at a time. Its cells are a file on
//! the host, so they outlive the power cut as a real chip's do.
//!
//! No allocator, bounded RAM, all on the stack: one 548-byte buffer that is
//! the reading [`Feed`]'s buffer (a frame plus 18 bytes) and then the
//! writer's 512-byte block buffer, one 256-byte page buffer for the flash
//! reads, the feed's and the writer's small state, and the sealing writer's
//! running digest. The firmware prints the sizes and the peak stack of each
//! phase (stack painting). The samples are generated deterministically (see
//! [`item`]), so the host can recompute every record and compare
//! (`scripts/firmware-demo.sh` does).
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
//! Phases, chosen by a semihosting argument
//! (`-semihosting-config enable=on,target=native,arg=fw,arg=PHASE`):
//!
//! - `full`: erases the chip `flash-full.img`, writes the whole export to
//!   its partition, reads it back in 256-byte chunks and
//!   verifies it with [`Feed::new`], and copies it out to
//!   `wearable-full.koffer`.
//! - `cut`: the same export on the chip `flash.img`, but the power fails
//!   after [`CUT_AT`] bytes have been programmed — in the middle of a page
//!   program, in the middle of a frame; the records still in the block
//!   buffer are lost with it. The rest of the partition stays erased (`0xFF`).
//!   An argument after `cut` sets another number of bytes
//!   (`scripts/firmware-demo.sh` cuts at a few more points: in the header,
//!   the KEY frame, the metadata, across a sector boundary, in the last
//!   frames).
//! - `resume`: the device boots again, finishes a repair (below) that a
//!   power cut interrupted, if any ([`flash::recover`]), and reads the partition back in
//!   256-byte chunks into a [`Feed::structure_only`], noting where the
//!   programmed bytes end; [`ResumePoint::from_feed`] gives the intact
//!   prefix (the torn frame and the erased fill after it are the tail, spec
//!   `format.md` §10.3). It erases what the torn frame programmed
//!   ([`flash::discard`], §11.2), recomputes the running digest from the
//!   prefix read back again in 256-byte chunks, continues the sealed export
//!   with `SealingWriter::resume` from the first record that was not written,
//!   to the end (writing the metadata and declarations again if the cut
//!   came before they reached the flash), then verifies and copies it out
//!   as `full` does, to `wearable-resumed.koffer`. An argument after
//!   `resume` cuts the power again after that many bytes programmed in this
//!   boot (the script cuts it while erasing the torn frame and while
//!   writing on; a third boot finishes).
//! - anything else (e.g. plain `cargo run --release`): all three in a row.
//!
//! Exit status 0 on success; any failure exits non-zero.
#![no_std]
#![no_main]

mod flash;
mod stack;

use core::ffi::CStr;

use cortex_m_rt::entry;
use flash::{Flash, FlashError, FlashSink, PAGE, PARTITION};
use koffer::meta::{key, time_base, Entry, Value};
use koffer::read::{Feed, FeedError, Frame, FrameRef, Summary};
use koffer::seal::{Algorithm, Digest, Ed25519, KeyFrame, SealingWriter, WriteError};
use koffer::write::ResumePoint;
use semihosting::experimental::env;
use semihosting::fs::File;
use semihosting::io::Write as _;
use semihosting::println;

/// Records in a complete export (samples and a few events).
const TOTAL: u32 = 3000;
/// Bytes programmed into the flash before the simulated power cut.
const CUT_AT: u64 = 22_000;
/// The block buffer: at most 512 bytes.
const BLOCK: usize = 512;
/// The reading feed's buffer: the largest frame this firmware writes (a
/// block frame: the block buffer plus 18 bytes) and 18 bytes of context.
/// The same RAM is the block buffer while writing.
const BUF: usize = BLOCK + 36;
/// First sample time: 2026-09-14 00:00 UTC.
const T0_MS: u64 = 1_789_344_000_000;

/// A SEAL frame after every this many blocks.
const EVERY: u32 = 8;
/// The device key: a DEMO KEY, compiled in and published — never use a
/// fixed, public seed on a real device.
const DEMO_SEED: [u8; 32] = *b"koffer-demo-key: NOT A SECRET!!!";

/// The chip of the uninterrupted export, and the chip of the cut one.
const FULL_CHIP: &CStr = c"flash-full.img";
const CHIP: &CStr = c"flash.img";
/// Where the verified exports are copied out to.
const FULL: &CStr = c"wearable-full.koffer";
const RESUMED: &CStr = c"wearable-resumed.koffer";
const PUBLIC_KEY: &CStr = c"device.pub";

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
        let (kind, detail) = if (k / 500).is_multiple_of(2) {
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
        note: if k.is_multiple_of(100) {
            Some("checkpoint")
        } else {
            None
        },
    })
}

fn fail(what: &str) -> ! {
    println!("firmware: FAILED: {}", what);
    semihosting::process::exit(1)
}

fn attach(path: &CStr) -> Flash {
    Flash::attach(path).unwrap_or_else(|_| fail("cannot attach the flash image"))
}

/// The sealing writer of the export, programming the flash, signing with
/// the device key.
type Sealing<'b, 'f> = SealingWriter<'b, FlashSink<'f>, Ed25519>;
/// Its error.
type SealError = WriteError<FlashError, koffer::seal::NoKey>;

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
fn export(w: &mut Sealing<'_, '_>, from: u32) -> Result<(), SealError> {
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

/// The frames before the records: the metadata and the two record types,
/// each unless it reached the flash before a power cut. `frames` are the
/// frames already there (the KEY frame is the first, the metadata the second).
fn start(w: &mut Sealing<'_, '_>, frames: u64) -> Result<(), SealError> {
    if frames < 2 {
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
    }
    if w.declared_raw(SAMPLE).is_none() {
        w.declare_type::<Sample<'_>>(SAMPLE)?;
    }
    if w.declared_raw(EVENT).is_none() {
        w.declare_type::<Event<'_>>(EVENT)?;
    }
    Ok(())
}

/// Reads the whole partition back in 256-byte chunks and verifies it with
/// every check ([`Feed::new`], as `Reader::verify`), counting the records of
/// the blocks it hands out.
fn read_back(
    flash: &mut Flash,
    buf: &mut [u8; BUF],
    page: &mut [u8; PAGE],
) -> Result<(Summary, u64), FeedError> {
    let mut feed = Feed::new(buf);
    let mut records = 0u64;
    let mut count = |frame: &FrameRef<'_>| {
        if let Frame::Block(b) = &frame.frame {
            records += b.records().count() as u64;
        }
    };
    let mut failed = Ok(());
    if flash::read_pages(flash, PARTITION, page, |chunk| {
        failed = feed.feed_with(chunk, &mut count);
        failed.is_ok()
    })
    .is_err()
    {
        fail("read-back: flash read");
    }
    failed?;
    let summary = feed.finish_with(&mut count)?;
    Ok((summary, records))
}

/// [`read_back`], then copies the container (not the erased fill after it)
/// out to the host file `out`. `written` is where the writer's last byte went.
fn verify_and_copy_out(
    phase: &str,
    flash: &mut Flash,
    buf: &mut [u8; BUF],
    page: &mut [u8; PAGE],
    written: u32,
    out: &CStr,
) {
    let (verified, stack) = stack::measure(|| read_back(flash, buf, page));
    let (summary, records) = verified.unwrap_or_else(|e| {
        println!("firmware: {}: read-back: {}", phase, e);
        fail("read-back: the export on flash does not verify")
    });
    println!(
        "firmware: {}: read back {} bytes of flash in {}-byte chunks and verified (Feed::new): {}, {} frames, {} blocks, {} records handed out; {} bytes of erased flash after the end frame; stack {} B",
        phase,
        PARTITION,
        PAGE,
        if summary.is_complete() { "complete" } else { "INCOMPLETE" },
        summary.counted.frames,
        summary.counted.blocks,
        records,
        u64::from(PARTITION) - summary.len,
        stack
    );
    if !summary.is_complete()
        || summary.len != u64::from(written)
        || records != u64::from(TOTAL)
        || summary.counted.records != records
    {
        fail("read-back: not the complete export");
    }
    // Copy the container out, a page at a time.
    let mut file = File::create(out).unwrap_or_else(|_| fail("cannot create the host file"));
    let mut host = Ok(());
    if flash::read_pages(flash, written, page, |chunk| {
        host = file.write_all(chunk);
        host.is_ok()
    })
    .is_err()
        || host.is_err()
    {
        fail("copy-out");
    }
    println!(
        "firmware: {}: copied {} bytes out to {:?} ({} reads, {} page programs, {} sector erases in this boot)",
        phase, written, out, flash.reads, flash.programs, flash.erases
    );
}

/// A new export on the chip: its partition erased, the export written from
/// byte 0. With `cut`, the power fails after that many bytes have been
/// programmed; returns the writer's error and reports what it had written.
/// Otherwise returns the export's length.
fn write_new(
    flash: &mut Flash,
    buf: &mut [u8; BUF],
    cut: Option<u64>,
) -> (Result<(), SealError>, u32) {
    let (signer, public) = device_key();
    write_public_key(&public);
    // The partition, and the scratch and mark sectors of an old repair.
    flash
        .erase_range(0, flash::CHIP)
        .unwrap_or_else(|_| fail("erase the chip"));
    if let Some(n) = cut {
        flash.cut_after(n);
    }
    let key = KeyFrame::new(Algorithm::EdDSA, &public, EVERY);
    let mut digest = Digest::new();
    let sink = FlashSink { flash, pos: 0 };
    let mut w = match SealingWriter::new(sink, &mut buf[..BLOCK], &mut digest, signer, &key) {
        Ok(w) => w,
        // The power failed inside the header or the KEY frame.
        Err(e) if cut.is_some() => {
            println!("firmware: cut: power lost after {} bytes, in the header or the KEY frame; 0 records were in intact blocks; 0 seals written, the last ending at byte 0", cut.unwrap_or(0));
            return (Err(e), 0);
        }
        Err(_) => fail("writer"),
    };
    let r = start(&mut w, 0).and_then(|()| export(&mut w, 0));
    if r.is_err() {
        println!(
            "firmware: cut: power lost after {} bytes; {} records were in intact blocks; {} seals written, the last ending at byte {}",
            cut.unwrap_or(0),
            w.counted().records,
            w.digest().seals(),
            w.digest().segment_start()
        );
        // The device dies here: no finish, the buffered records are gone.
        return (r, 0);
    }
    let sink = w.finish().unwrap_or_else(|_| fail("finish"));
    (Ok(()), sink.pos)
}

/// Scenario 1: the whole export in one go.
fn full() {
    let mut flash = attach(FULL_CHIP);
    let mut buf = [0u8; BUF];
    let mut page = [0u8; PAGE];
    let (r, len) = write_new(&mut flash, &mut buf, None);
    if r.is_err() {
        fail("full: writing");
    }
    println!(
        "firmware: full: {} records, {} bytes on the flash, sealed every {} blocks",
        TOTAL, len, EVERY
    );
    verify_and_copy_out("full", &mut flash, &mut buf, &mut page, len, FULL);
}

/// Scenario 2, before the reboot: the power fails after `at` bytes.
fn cut(at: u64) {
    let mut flash = attach(CHIP);
    let mut buf = [0u8; BUF];
    match write_new(&mut flash, &mut buf, Some(at)).0 {
        Err(WriteError::Write(koffer::write::Error::Sink(FlashError::PowerLoss))) => {}
        Err(_) => fail("cut: unexpected writer error"),
        Ok(()) => fail("cut: the export ended before the power cut"),
    }
}

/// Feeds the partition, read in 256-byte chunks, to a structure-only feed:
/// the resume point, and the end of the programmed (not `0xFF`) bytes.
fn resume_point(
    flash: &mut Flash,
    buf: &mut [u8; BUF],
    page: &mut [u8; PAGE],
) -> (ResumePoint, u32) {
    let mut feed = Feed::structure_only(buf);
    let mut programmed_end = 0u32;
    let mut at = 0u32;
    let mut failed = Ok(());
    if flash::read_pages(flash, PARTITION, page, |chunk| {
        if let Some(i) = chunk.iter().rposition(|&b| b != 0xFF) {
            programmed_end = at + i as u32 + 1;
        }
        at += chunk.len() as u32;
        failed = feed.feed(chunk);
        failed.is_ok()
    })
    .is_err()
    {
        fail("resume: flash read");
    }
    match failed.and_then(|()| ResumePoint::from_feed(feed)) {
        Ok(point) => (point, programmed_end),
        Err(e) => {
            println!("firmware: resume: {}", e);
            fail("resume: the export on flash is damaged")
        }
    }
}

/// Scenario 2, after the reboot: find the export's end on the flash, discard
/// the torn frame, recompute the digest, resume, verify, copy out.
fn resume(cut: Option<u64>) {
    let mut flash = attach(CHIP);
    let mut buf = [0u8; BUF];
    let mut page = [0u8; PAGE];
    if let Some(n) = cut {
        flash.cut_after(n);
    }
    // 0. A repair of the last boot that a power cut interrupted is finished
    // first (see step 2).
    match flash::recover(&mut flash, &mut page) {
        Ok(None) => {}
        Ok(Some((sector, kept))) => println!(
            "firmware: resume: finished the repair a power cut interrupted: the first {} bytes of sector {} programmed back from the scratch sector",
            kept, sector
        ),
        Err(e) => died("finishing an interrupted repair", e),
    }
    // 1. The resume point: the partition read back in 256-byte chunks into
    // a structure-only feed. The feed tells the intact prefix from the torn
    // frame and the erased fill (spec §10.3); the firmware also notes the
    // end of the programmed bytes, which it has to erase back to.
    let ((point, programmed_end), scan_stack) =
        stack::measure(|| resume_point(&mut flash, &mut buf, &mut page));
    let valid = point.valid_len() as u32;
    let from = point.counted().records;
    println!(
        "firmware: resume: read {} bytes of flash in {}-byte chunks (Feed::structure_only, stack {} B): intact prefix {} bytes ({} frames, {} records); programmed bytes end at {}: a torn frame of {} bytes, then erased flash",
        PARTITION,
        PAGE,
        scan_stack,
        valid,
        point.counted().frames,
        from,
        programmed_end,
        programmed_end.saturating_sub(valid)
    );
    if point.is_complete() {
        fail("resume: the export on flash is complete: nothing to resume");
    }
    // 2. Bits cannot be set back without an erase: erase what the torn frame
    // programmed, keeping the prefix.
    let kept = flash::discard(&mut flash, valid, programmed_end, &mut page)
        .unwrap_or_else(|e| died("erasing the torn frame", e));
    if programmed_end > valid {
        println!(
            "firmware: resume: erased bytes {}..{}; the sector's first {} bytes kept through the scratch sector",
            valid - kept,
            programmed_end.div_ceil(flash::SECTOR) * flash::SECTOR,
            kept
        );
    }
    // 3. The running digest of the intact prefix, read back in 256-byte chunks.
    let mut digest = Digest::new();
    if flash::read_pages(&mut flash, valid, &mut page, |chunk| {
        digest.feed(chunk);
        true
    })
    .is_err()
    {
        fail("resume: read back the prefix");
    }
    println!(
        "firmware: resume: running digest recomputed from {} bytes in {}-byte chunks: {} seals, the last ending at byte {}",
        digest.position(),
        PAGE,
        digest.seals(),
        digest.segment_start()
    );
    // 4. Continue at the first record that did not reach the flash intact
    // (every record is one item of the generator, in order).
    let (len, write_stack) = stack::measure(|| {
        let (signer, public) = device_key();
        let key = KeyFrame::new(Algorithm::EdDSA, &public, EVERY);
        let sink = FlashSink {
            flash: &mut flash,
            pos: valid,
        };
        let mut w =
            SealingWriter::resume(sink, &mut buf[..BLOCK], &mut digest, signer, &key, &point)
                .unwrap_or_else(|e| died_writing(e));
        if let Err(e) =
            start(&mut w, point.counted().frames).and_then(|()| export(&mut w, from as u32))
        {
            died_writing(e)
        }
        w.finish().unwrap_or_else(|e| died_writing(e)).pos
    });
    println!(
        "firmware: resume: continued at record {}; {} records, {} bytes on the flash (SealingWriter::resume to finish: stack {} B)",
        from, TOTAL, len, write_stack
    );
    // 5. Read back, verify, copy out.
    verify_and_copy_out("resume", &mut flash, &mut buf, &mut page, len, RESUMED);
}

/// A flash command of the resumed boot failed: the power was cut again (the
/// device dies, status 0: the next boot resumes), or the export fails.
fn died(while_: &str, e: FlashError) -> ! {
    if e == FlashError::PowerLoss {
        println!("firmware: resume: power lost again, while {}", while_);
        semihosting::process::exit(0)
    }
    println!("firmware: resume: {}, while {}", e, while_);
    fail("resume: flash")
}

/// [`died`] for the resumed writer's errors.
fn died_writing(e: SealError) -> ! {
    match e {
        WriteError::Write(koffer::write::Error::Sink(e)) => died("writing the export", e),
        _ => fail("resume: writing"),
    }
}

/// Runs a phase with its stack painted, and reports its peak.
fn run(name: &str, phase: impl FnOnce()) {
    let ((), used) = stack::measure(phase);
    println!("firmware: {}: peak stack {} bytes", name, used);
}

/// A decimal number, or `None`.
fn number(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |n, &d| {
        d.is_ascii_digit()
            .then(|| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))
            .flatten()
    })
}

#[entry]
fn main() -> ! {
    // The last argument is the phase; `cut` or `resume` may be followed by
    // the number of bytes programmed before the power fails (for `cut` by
    // default CUT_AT; for `resume` never).
    let mut phase = [0u8; 16];
    let mut phase_len = 0;
    let mut cut_at = None;
    if let Ok(args) = env::args::<256>() {
        for a in (&args).flatten() {
            let a = a.as_bytes();
            match number(a) {
                Some(n) if matches!(&phase[..phase_len], b"cut" | b"resume") => cut_at = Some(n),
                _ => {
                    phase_len = a.len().min(phase.len());
                    phase[..phase_len].copy_from_slice(&a[..phase_len]);
                }
            }
        }
    }
    println!(
        "firmware: RAM: {} B feed/block buffer, {} B page buffer; state: Feed {} B, SealingWriter {} B, Digest {} B",
        BUF,
        PAGE,
        core::mem::size_of::<Feed<'static, true>>(),
        core::mem::size_of::<Sealing<'static, 'static>>(),
        core::mem::size_of::<Digest>()
    );
    match &phase[..phase_len] {
        b"full" => run("full", full),
        b"cut" => run("cut", || cut(cut_at.unwrap_or(CUT_AT))),
        b"resume" => run("resume", || resume(cut_at)),
        _ => {
            run("full", full);
            run("cut", || cut(cut_at.unwrap_or(CUT_AT)));
            println!("firmware: -- reboot --");
            run("resume", || resume(None));
        }
    }
    semihosting::process::exit(0)
}
