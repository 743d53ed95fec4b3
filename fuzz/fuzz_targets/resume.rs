//! Resuming after arbitrary bytes: either refused with an error, or the
//! resumed container is complete and keeps every record of the prefix; it
//! verifies unless the prefix already held a faulty description.
#![no_main]

use koffer::read::Reader;
use koffer::write::{ResumePoint, Writer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(point) = ResumePoint::scan(data) else {
        return;
    };
    if point.is_complete() {
        return;
    }
    let valid = &data[..point.valid_len() as usize];
    let before: Vec<(u8, Vec<u8>)> = match Reader::new(valid) {
        Ok(r) => r
            .records()
            .map(|r| r.map(|r| (r.record_type, r.payload.to_vec())))
            .collect::<Result<_, _>>()
            .unwrap(),
        Err(_) => Vec::new(),
    };
    let mut buf = [0u8; 64];
    let mut w = Writer::resume(valid.to_vec(), &mut buf, &point).expect("resume an intact prefix");
    let t = (0..=255u8).find(|t| !point.declared().contains(*t));
    if let Some(t) = t {
        let h = w.declare(t, "fuzz", 1, &[]).unwrap();
        w.write_serialized(h, &1234u32).unwrap();
    }
    let out = w.finish().unwrap();
    let reader = Reader::new(&out).unwrap();
    assert!(reader.records().finish().unwrap().is_complete());
    // Resuming applies the structure checks only (spec §10.1, §11.2): a
    // faulty description in the prefix stays where it was, and `verify`
    // reports it there; the rest verifies.
    if let Err(e) = reader.verify() {
        let prefix = Reader::new(valid).unwrap().verify();
        assert_eq!(prefix, Err(e), "verify fails only where the prefix did");
    }
    let after: Vec<(u8, Vec<u8>)> = reader
        .records()
        .map(|r| r.map(|r| (r.record_type, r.payload.to_vec())))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(&after[..before.len()], &before[..]);
    assert_eq!(after.len(), before.len() + usize::from(t.is_some()));
});
