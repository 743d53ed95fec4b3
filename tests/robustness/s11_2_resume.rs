//! Spec `format.md` §11.2: resuming after a power cut — at every byte, with
//! erased storage after the cut, after a sink failure; a failed sink poisons
//! the writer.

use koffer::header::HEADER_LEN;
use koffer::meta::{key, Entry, Value};
use koffer::write::{self, ResumePoint, SliceSink, Writer};

use crate::build::*;
use crate::reading::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SinkFull;

impl std::fmt::Display for SinkFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sink full")
    }
}

impl std::error::Error for SinkFull {}

impl embedded_io::Error for SinkFull {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::OutOfMemory
    }
}

/// A sink that accepts `limit` bytes, then fails; a write that crosses the
/// limit is partly done, as on a device losing power mid-write.
struct FailingSink {
    data: Vec<u8>,
    limit: usize,
}

impl embedded_io::ErrorType for FailingSink {
    type Error = SinkFull;
}

impl embedded_io::Write for FailingSink {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkFull> {
        let room = self.limit - self.data.len();
        if room == 0 && !bytes.is_empty() {
            return Err(SinkFull);
        }
        let n = room.min(bytes.len());
        self.data.extend_from_slice(&bytes[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> Result<(), SinkFull> {
        Ok(())
    }
}

const APPENDED: [&[u8]; 4] = [b"after-1", b"after-2", b"", b"after-4"];

/// The writer's script for the sink tests: metadata, two schemas, blocks of
/// two record types; any step may fail.
fn script<W: embedded_io::Write>(w: &mut Writer<'_, W>) -> Result<(), write::Error<W::Error>> {
    w.metadata(&[Entry::new(key::PRODUCER_MODEL, Value::Str("Band 3"))])?;
    let h_0 = w.declare(0, "sample", 1, b"\x13\x01S")?;
    for i in 0..6u8 {
        w.write_payload(h_0, &[i; 9])?;
    }
    let h_1 = w.declare(1, "event", 1, &[])?;
    w.write_payload(h_1, b"event")?;
    for i in 0..3u8 {
        w.write_payload(h_0, &[0x40 + i; 3])?;
    }
    Ok(())
}

/// Runs [`script`] and finishes the container; returns the first error.
fn script_and_finish<W: embedded_io::Write>(
    mut w: Writer<'_, W>,
) -> Result<W, write::Error<W::Error>> {
    script(&mut w)?;
    w.finish()
}

fn scripted_container() -> Vec<u8> {
    let mut buf = [0u8; 40];
    script_and_finish(Writer::new(Vec::new(), &mut buf).unwrap()).unwrap()
}

/// The intact prefix of a cut at `cut`, as a writer resumes it (a cut inside
/// the header resumes from nothing).
fn resume_len(l: &Layout, cut: usize) -> usize {
    if cut < HEADER_LEN {
        0
    } else {
        l.valid_len(cut)
    }
}

/// Resumes after `existing` (bytes a writer left behind, whose intact prefix
/// is `expected_valid` bytes of the original container), appends
/// [`APPENDED`] as records of both types and checks the result against the
/// original container's layout.
fn resume_and_check(l: &Layout, existing: &[u8], expected_valid: usize) {
    let point = ResumePoint::scan(existing).unwrap();
    let valid = point.valid_len() as usize;
    assert_eq!(valid, expected_valid, "prefix {}", existing.len());
    assert_eq!(point.counted(), l.counted(valid));
    let declared = l.declared(valid);
    assert_eq!(point.declared().len(), declared.len());
    for &t in &declared {
        assert!(point.declared().contains(t));
    }
    if valid == l.len {
        assert!(point.is_complete());
        let mut buf = [0u8; 40];
        assert!(matches!(
            Writer::resume(existing.to_vec(), &mut buf, &point),
            Err(write::Error::AlreadyComplete)
        ));
        return;
    }
    assert!(!point.is_complete());

    let mut buf = [0u8; 40];
    let mut w = Writer::resume(existing[..valid].to_vec(), &mut buf, &point).unwrap();
    for t in [0u8, 1] {
        if !point.declared().contains(t) {
            w.declare(t, "again", 2, &[]).unwrap();
        }
    }
    for (k, p) in APPENDED.iter().enumerate() {
        let h = w.declared_raw((k % 2) as u8).unwrap();
        w.write_payload(h, p).unwrap();
    }
    let bytes = w.finish().unwrap();
    if valid > 0 {
        assert_eq!(
            &bytes[..valid],
            &existing[..valid],
            "the intact prefix is kept"
        );
    }
    let out = read(&bytes).unwrap();
    assert!(
        out.finish.as_ref().unwrap().is_complete(),
        "prefix {}: {:?}",
        existing.len(),
        out.finish
    );
    let kept = l.records_before(valid);
    let mut expected: Vec<Rec> = kept.to_vec();
    for (k, p) in APPENDED.iter().enumerate() {
        expected.push(Rec {
            record_type: (k % 2) as u8,
            index: (kept.len() + k) as u64,
            payload: p.to_vec(),
        });
    }
    assert_eq!(out.records, expected, "prefix {}", existing.len());
}

#[test]
fn writer_resumes_after_a_cut_at_every_byte() {
    let full = scripted_container();
    let l = layout(&full);
    assert!(
        l.frames
            .iter()
            .filter(|f| f.block_records.is_some())
            .count()
            >= 4
    );
    for p in 0..=full.len() {
        resume_and_check(&l, &full[..p], resume_len(&l, p));
    }
}

#[test]
fn writer_resumes_after_a_cut_followed_by_erased_storage() {
    let full = scripted_container();
    let l = layout(&full);
    for f in l.frames.iter().filter(|f| !f.is_end) {
        for fill in [0x00, 0xFF] {
            let mut existing = full[..f.end].to_vec();
            existing.resize(f.end + 64, fill);
            resume_and_check(&l, &existing, f.end);
        }
    }
}

#[test]
fn sink_failure_poisons_the_writer_and_the_sink_contents_resume() {
    let full = scripted_container();
    let l = layout(&full);
    for limit in 0..=full.len() {
        let mut sink = FailingSink {
            data: Vec::new(),
            limit,
        };
        let mut buf = [0u8; 40];
        match Writer::new(&mut sink, &mut buf) {
            Err(e) => {
                assert!(limit < HEADER_LEN);
                assert_eq!(e, write::Error::Sink(SinkFull));
            }
            Ok(mut w) => {
                let r = match script(&mut w) {
                    Ok(()) => w.finish().map(drop),
                    Err(e) => {
                        // A frame may be half written: every later call is refused.
                        let h = foreign_handle(0);
                        assert_eq!(w.write_payload(h, b"x"), Err(write::Error::Poisoned));
                        assert_eq!(w.flush(), Err(write::Error::Poisoned));
                        assert_eq!(w.declare(7, "late", 1, &[]), Err(write::Error::Poisoned));
                        assert_eq!(
                            w.metadata(&[Entry::new("x:y", Value::Bool(true))]),
                            Err(write::Error::Poisoned)
                        );
                        assert!(matches!(w.finish(), Err(write::Error::Poisoned)));
                        Err(e)
                    }
                };
                match r {
                    Ok(()) => assert_eq!(limit, full.len()),
                    Err(e) => {
                        assert!(limit < full.len());
                        assert_eq!(e, write::Error::Sink(SinkFull), "limit {limit}");
                    }
                }
            }
        }
        // The sink holds exactly the bytes up to the failure.
        assert_eq!(sink.data, &full[..limit]);
        resume_and_check(&l, &sink.data, resume_len(&l, limit));
    }
}

#[test]
fn writing_into_a_full_slice_sink_fails_cleanly() {
    let full = scripted_container();
    let l = layout(&full);
    for size in 0..=full.len() {
        let mut out = vec![0u8; size];
        let mut sink = SliceSink::new(&mut out);
        let mut buf = [0u8; 40];
        let failed = match Writer::new(&mut sink, &mut buf) {
            Err(e) => Some(e),
            Ok(w) => script_and_finish(w).err(),
        };
        assert_eq!(failed.is_some(), size < full.len(), "size {size}");
        if let Some(e) = failed {
            assert!(matches!(e, write::Error::Sink(_)));
        }
        // A slice sink takes all of a piece or none of it, so it holds a
        // prefix of the container, cut where a piece would not fit.
        let written = sink.written();
        assert!(written.len() <= size);
        assert_eq!(written, &full[..written.len()]);
        resume_and_check(&l, written, resume_len(&l, written.len()));
    }
}
