//! Reading arbitrary bytes: no panic, no hang, no allocation beyond the input;
//! whatever the reader hands out is consistent with what `verify` reports.
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
    let verified = reader.verify();
    assert_eq!(
        from_records, verified,
        "records().finish() and verify() agree"
    );
    if let Ok(summary) = verified {
        assert_eq!(
            summary.counted.records, n,
            "every counted record was handed out"
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
