//! Spec `schema.md` §7 (and the last rule of §6): element counts over the
//! bytes left are refused before any loop; arrays run out instead.

use koffer::dynamic::{ErrorKind, Invalid};
use koffer::schema::Type;

use crate::harness::*;
use crate::types::*;

#[test]
fn refuses_counts_over_the_limit_before_looping() {
    // Vec<u8> with a count of u32::MAX: refused at once, not looped.
    let bytes = node!(Type::Seq(&Type::U8));
    refused(
        bytes,
        &[0xFF, 0xFF, 0xFF, 0xFF, 0x0F],
        0,
        invalid(Invalid::Count {
            count: u64::from(u32::MAX),
            limit: 0,
        }),
    );
    let mut max = [0xFF; 10];
    max[9] = 0x01;
    refused(
        bytes,
        &max,
        0,
        invalid(Invalid::Count {
            count: u64::MAX,
            limit: 0,
        }),
    );
    // A count larger than the bytes left.
    refused(
        bytes,
        &[5, 1, 2],
        0,
        invalid(Invalid::Count { count: 5, limit: 2 }),
    );
    check_payload(bytes, &[2, 1, 2]);
    // Elements with units inside take a byte each, and so are counted
    // against the bytes left too.
    let opts = node!(Type::Seq(&Type::Option(&Type::Unit)));
    let mut p = vec![0x80, 0x80, 0x04];
    p.extend_from_slice(&[0; 10]);
    refused(
        opts,
        &p,
        0,
        invalid(Invalid::Count {
            count: 65_536,
            limit: 10,
        }),
    );
    assert_eq!(check_payload(opts, &[3, 0, 1, 0]), "[null,[null],null]");
    let tuples = node!(Type::Seq(&Type::Tuple(&[&Type::Unit, &UNIT, &Type::Bool])));
    assert_eq!(check_payload(tuples, &[1, 1]), "[[null,null,true]]");
    refused(
        tuples,
        &[2, 1],
        0,
        invalid(Invalid::Count { count: 2, limit: 1 }),
    );
    // Nested sequences: each count is checked against the bytes left where
    // it stands. 64 KiB of Vec<Vec<u8>> holds at most 64 Ki inner vectors.
    let nested = node!(Type::Seq(&Type::Seq(&Type::U8)));
    refused(
        nested,
        &[2, 0xFF, 0xFF, 0x03, 0],
        1,
        invalid(Invalid::Count {
            count: 65_535,
            limit: 1,
        }),
    );
    let mut p = vec![0xFD, 0xFF, 0x03]; // 65,533 empty vectors
    p.resize(65_536, 0);
    let json = check_payload(nested, &p);
    assert_eq!(json.len(), 2 + 65_533 * 3 - 1);
    // The limit is the bytes left, not the bytes needed: a count within the
    // bytes left whose elements run out is truncated.
    let floats = node!(Type::Seq(&Type::F32));
    refused(floats, &[2, 0, 0, 0, 0], 5, ErrorKind::PayloadTruncated);
    refused(
        floats,
        &[5, 0, 0, 0, 0],
        0,
        invalid(Invalid::Count { count: 5, limit: 4 }),
    );
    let map = node!(Type::Map(&Type::U8, &Type::Unit));
    refused(
        map,
        &[3, 1, 2],
        0,
        invalid(Invalid::Count { count: 3, limit: 2 }),
    );
    check_payload(map, &[2, 1, 2]);
    // Arrays need no count check: their elements take a byte each, so a
    // long array of a short payload is truncated after as many elements as
    // the payload has bytes. [[[u8; 65535]; 65535]; 65535] describes 2.8e14
    // values; an empty payload, or 1000 bytes, are refused at once.
    let huge = node!(Type::Array(
        65_535,
        &Type::Array(65_535, &Type::Array(65_535, &Type::U8))
    ));
    refused(huge, &[], 0, ErrorKind::PayloadTruncated);
    refused(huge, &[7; 1000], 1000, ErrorKind::PayloadTruncated);
    let units = node!(Type::Array(2, &Type::Tuple(&[&Type::Unit, &Type::I8])));
    assert_eq!(check_payload(units, &[1, 0xFF]), "[[null,1],[null,-1]]");
    refused(units, &[1], 1, ErrorKind::PayloadTruncated);
}
