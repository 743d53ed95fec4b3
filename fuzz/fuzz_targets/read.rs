//! Reading arbitrary bytes: no panic, no hang, no allocation beyond the input;
//! whatever the reader hands out is consistent with what `verify` reports
//! (which checks the descriptions too, spec §10.1).
#![no_main]

use koffer::read::{Frame, Reader};
use libfuzzer_sys::fuzz_target;

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Probe<'a> {
    a: u64,
    b: &'a str,
    c: Option<&'a [u8]>,
    d: f32,
}

fuzz_target!(|data: &[u8]| {
    let Ok(reader) = Reader::new(data) else {
        return;
    };
    let mut records = reader.records();
    let mut n = 0u64;
    for r in records.by_ref() {
        let Ok(r) = r else { break };
        assert_eq!(r.index, n, "records are numbered in order");
        let start = r.offset as usize;
        assert_eq!(
            &data[start..start + r.payload.len()],
            r.payload,
            "payload offset"
        );
        let _ = r.decode::<Probe>();
        let _ = r.decode::<u8>();
        n += 1;
    }
    let from_records = records.finish();
    if let Ok(summary) = from_records {
        assert_eq!(
            summary.counted.records, n,
            "every counted record was handed out"
        );
    }
    // verify() agrees with the records walk, but for an error in a
    // description (spec §10.1), which the records walk does not check.
    let verified = reader.verify();
    if verified != from_records {
        let e = verified.expect_err("verify passes where the records walk fails");
        let mut frames = reader.frames();
        let _ = frames.finish();
        // After an error, the position is the failing frame's offset.
        let at = frames.position() as usize;
        let body = (at + koffer::frame::FrameHead::LEN) as u64;
        let in_description = match data[at] {
            koffer::frame::kind::METADATA => e.offset >= body,
            koffer::frame::kind::SCHEMA => e.offset > body,
            _ => false,
        };
        assert!(
            in_description,
            "verify fails with {e:?} outside a description; the records walk gives {from_records:?}"
        );
    }
    for f in reader.frames() {
        let Ok(f) = f else { break };
        if let Frame::Metadata(m) = f.frame {
            assert_eq!(m.entries().count(), m.len());
        }
    }
    let _ = reader.metadata().count();
    let _ = reader.schemas().count();
});
