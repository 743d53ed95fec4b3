//! Spec `format.md` §11: the writer's refusals — records too large for the
//! buffer or the limit, undeclared or repeated record types, invalid names
//! and metadata — leave the container usable.

use koffer::limits;
use koffer::meta::{key, Entry, Value};
use koffer::read::{ErrorKind, Reader};
use koffer::write::{self, Writer};

use crate::build::*;

fn payloads_of(bytes: &[u8]) -> Vec<Vec<u8>> {
    let reader = Reader::new(bytes).unwrap();
    assert!(reader.verify().unwrap().is_complete());
    reader
        .records()
        .map(|r| r.unwrap().payload.to_vec())
        .collect()
}

#[test]
fn record_larger_than_the_buffer_is_refused_and_earlier_records_survive() {
    let mut buf = [0u8; 32];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    let h_0 = w.declare(0, "raw", 1, &[]).unwrap();
    w.write_payload(h_0, &[1; 10]).unwrap();
    w.write_payload(h_0, &[2; 5]).unwrap();
    // 32 bytes of buffer hold one record of 31 bytes (1 goes to its length).
    assert_eq!(
        w.write_payload(h_0, &[3; 32]),
        Err(write::Error::RecordTooLarge { capacity: 31 })
    );
    assert_eq!(
        w.write_serialized(h_0, &"a string far too long for a 32-byte buffer"),
        Err(write::Error::RecordTooLarge { capacity: 31 })
    );
    w.write_payload(h_0, &[4; 30]).unwrap();
    w.write_payload(h_0, &[]).unwrap();
    let bytes = w.finish().unwrap();
    assert_eq!(
        payloads_of(&bytes),
        [vec![1; 10], vec![2; 5], vec![4; 30], vec![]]
    );
}

#[test]
fn record_longer_than_the_record_limit_is_refused() {
    let mut buf = vec![0u8; 70_000];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    let h_0 = w.declare(0, "raw", 1, &[]).unwrap();
    let max = limits::MAX_RECORD_LEN as usize;
    w.write_payload(h_0, &[7]).unwrap();
    assert_eq!(
        w.write_payload(h_0, &vec![0; max + 1]),
        Err(write::Error::RecordTooLarge { capacity: max })
    );
    w.write_payload(h_0, &vec![9; max]).unwrap();
    let bytes = w.finish().unwrap();
    let p = payloads_of(&bytes);
    assert_eq!(p.len(), 2);
    assert_eq!(p[0], [7]);
    assert_eq!(p[1], vec![9; max]);
}

#[test]
fn writer_refusals_leave_the_container_usable() {
    let mut buf = [0u8; 64];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    // Handles of another writer's types: this writer declares neither yet.
    let (foreign_4, foreign_5) = (foreign_handle(4), foreign_handle(5));
    assert_eq!(
        w.write_serialized(foreign_4, &1u8),
        Err(write::Error::UndeclaredRecordType { record_type: 4 })
    );
    assert_eq!(
        w.declared_raw(4),
        Err(write::Error::UndeclaredRecordType { record_type: 4 })
    );
    let h_4 = w.declare(4, "a", 1, &[]).unwrap();
    w.write_serialized(h_4, &1u8).unwrap();
    assert_eq!(
        w.declare(4, "again", 2, &[]),
        Err(write::Error::AlreadyDeclared { record_type: 4 })
    );
    assert_eq!(
        w.write_serialized(foreign_5, &2u8),
        Err(write::Error::UndeclaredRecordType { record_type: 5 })
    );
    assert_eq!(
        w.declare(5, "", 1, &[]),
        Err(write::Error::Invalid(ErrorKind::BadName))
    );
    assert_eq!(
        w.declare(5, &"n".repeat(256), 1, &[]),
        Err(write::Error::Invalid(ErrorKind::BadName))
    );
    assert_eq!(
        w.metadata(&[]),
        Err(write::Error::Invalid(ErrorKind::BadCount { count: 0 }))
    );
    assert_eq!(
        w.metadata(&[Entry::new(key::PRODUCER_VENDOR, Value::Uint(1))]),
        Err(write::Error::Invalid(ErrorKind::MetadataValueType {
            expected: koffer::meta::value_type::STR,
            found: koffer::meta::value_type::UINT,
        }))
    );
    w.write_serialized(h_4, &2u8).unwrap();
    let bytes = w.finish().unwrap();
    assert_eq!(payloads_of(&bytes), [vec![1], vec![2]]);
    let reader = Reader::new(&bytes).unwrap();
    assert_eq!(reader.schemas().count(), 1);
    assert_eq!(reader.metadata().count(), 0);

    let mut small = [0u8; write::MIN_BUFFER_LEN - 1];
    assert!(matches!(
        Writer::new(Vec::new(), &mut small),
        Err(write::Error::BufferTooSmall { len: 15, min: 16 })
    ));
}

#[test]
fn metadata_given_as_raw_bytes_of_a_defined_type_must_be_valid() {
    let mut buf = [0u8; 64];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    for (value_type, bytes) in [
        (1u8, &[2u8][..]),
        (4, &[0; 7][..]),
        (5, &[0xFF][..]),
        (8, &[0x80][..]),
    ] {
        let e = Entry::new("x:y", Value::Unknown { value_type, bytes });
        assert!(
            matches!(
                w.metadata(&[e]),
                Err(write::Error::Invalid(ErrorKind::BadValue { .. }))
            ),
            "type {value_type}"
        );
    }
    // Valid raw bytes of a defined type, and any bytes of an undefined type, are fine.
    w.metadata(&[
        Entry::new(
            "x:a",
            Value::Unknown {
                value_type: 1,
                bytes: &[1],
            },
        ),
        Entry::new(
            "x:b",
            Value::Unknown {
                value_type: 0x42,
                bytes: &[0xFF],
            },
        ),
    ])
    .unwrap();
    let out = w.finish().unwrap();
    assert!(Reader::new(&out).unwrap().verify().unwrap().is_complete());
}
