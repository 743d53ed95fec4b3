//! Spec `format.md` §3: the file header — version (§3.1), feature flags
//! (§3.2) and its checks (§3.3), including a header cut by a power loss.

use koffer::header::{Header, HEADER_LEN};
use koffer::read::{Class, ErrorKind, Reader};
use koffer::write::{ResumePoint, Writer};

use crate::build::*;

fn with_header(h: Header) -> Vec<u8> {
    Builder::with_header(h)
        .schema(0, "x")
        .block(0, &[b"a"])
        .end()
}

#[test]
fn unknown_required_feature_bits_are_refused() {
    for bit in 0..16 {
        let bits = 1u16 << bit;
        let bytes = with_header(Header {
            required_features: bits,
            ..Header::CURRENT
        });
        let e = Reader::new(&bytes).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnknownRequiredFeatures { bits });
        assert_eq!(e.offset, 10);
        assert_eq!(e.kind.class(), Class::Unsupported);
        assert!(ResumePoint::scan(&bytes).is_err());
    }
}

#[test]
fn unknown_optional_bits_and_later_minor_versions_are_read() {
    for (minor, optional) in [
        (0, 0xFFFF),
        (1, 0),
        (1, 0x0001),
        (200, 0x8000),
        (255, 0xFFFF),
    ] {
        let h = Header {
            minor,
            optional_features: optional,
            ..Header::CURRENT
        };
        let bytes = with_header(h);
        let reader = Reader::new(&bytes).unwrap();
        assert_eq!(reader.header(), h);
        let s = reader.verify().unwrap();
        assert!(s.is_complete());
        assert_eq!(s.header, h);
        assert_eq!(reader.records().count(), 1);
    }
}

#[test]
fn other_major_versions_are_refused() {
    for major in [0u8, 2, 255] {
        let bytes = with_header(Header {
            major,
            ..Header::CURRENT
        });
        let e = Reader::new(&bytes).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnsupportedVersion { major, minor: 0 });
        assert_eq!(e.offset, 8);
    }
}

#[test]
fn damaged_or_foreign_headers_are_refused() {
    let good = written_container();
    assert_eq!(
        Reader::new(b"PK\x03\x04 not a container").unwrap_err().kind,
        ErrorKind::BadSignature
    );
    assert_eq!(
        Reader::new(b"").unwrap_err().kind,
        ErrorKind::HeaderTruncated
    );
    for i in 0..HEADER_LEN {
        let mut d = good.clone();
        d[i] ^= 0x10;
        let kind = Reader::new(&d).unwrap_err().kind;
        if i < 8 {
            assert_eq!(kind, ErrorKind::BadSignature, "byte {i}");
        } else {
            assert!(matches!(kind, ErrorKind::HeaderChecksum { .. }), "byte {i}");
        }
    }
}

#[test]
fn header_cut_by_a_power_loss_then_filled_is_truncated_and_resumes_from_zero() {
    // Spec §3.3: the written bytes end inside the header.
    let header = Header::CURRENT.to_bytes();
    for cut in 0..HEADER_LEN {
        for fill in [0x00u8, 0xFF] {
            let mut input = header[..cut].to_vec();
            input.resize(64, fill);
            let e = Reader::new(&input).unwrap_err();
            assert_eq!(
                e.kind,
                ErrorKind::HeaderTruncated,
                "cut {cut} fill {fill:#x}"
            );
            let point = ResumePoint::scan(&input).unwrap();
            assert_eq!(point.valid_len(), 0);
            // Resume from zero (after erasing), then the container is whole.
            let mut buf = [0u8; 64];
            let mut w = Writer::resume(Vec::new(), &mut buf, &point).unwrap();
            let h_0 = w.declare(0, "t", 1, &[]).unwrap();
            w.write_serialized(h_0, &7u8).unwrap();
            let out = w.finish().unwrap();
            assert!(Reader::new(&out).unwrap().verify().unwrap().is_complete());
        }
    }
    // A foreign file that happens to end in fill is still not a container.
    let mut foreign = b"%PDF-1.7".to_vec();
    foreign.resize(40, 0x00);
    assert_eq!(
        Reader::new(&foreign).unwrap_err().kind,
        ErrorKind::BadSignature
    );
}
