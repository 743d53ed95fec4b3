//! Building containers: frames by hand (every field under the test's
//! control, checks right or wrong on purpose), and the sample containers the
//! exhaustive tests cut and damage.

use koffer::block::{self, BlockHeader, TablePacker};
use koffer::end::End;
use koffer::frame::{kind, FrameHead};
use koffer::header::Header;
use koffer::meta::{key, Entry, Value};
use koffer::varint;
use koffer::write::{self, Writer};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------
// Building containers by hand
// ---------------------------------------------------------------------------

pub fn varint(v: u64) -> Vec<u8> {
    let mut tmp = [0u8; varint::MAX_LEN_U64];
    varint::encode_u64(v, &mut tmp).to_vec()
}

/// A frame with a correct head check and checksum around `body`, to follow
/// `before` (the checksum chains to its last 4 bytes, spec §4.1).
pub fn frame(before: &[u8], kind: u8, body: &[u8]) -> Vec<u8> {
    frame_with_len(before, kind, body.len() as u32, body)
}

/// A frame that declares `len` body bytes but carries `body`; head check and
/// checksum are computed over what is there, so both checks pass and only the
/// declared length is wrong.
pub fn frame_with_len(before: &[u8], kind: u8, len: u32, body: &[u8]) -> Vec<u8> {
    let prev: [u8; 4] = before[before.len() - 4..].try_into().unwrap();
    let mut out = FrameHead::new(kind, len).as_bytes().to_vec();
    out.extend_from_slice(body);
    let crc = koffer::frame::checksum(&prev, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// A block body holding `payloads`, laid out as a writer would.
pub fn block_body(record_type: u8, payloads: &[&[u8]]) -> Vec<u8> {
    let lens: Vec<u32> = payloads.iter().map(|p| p.len() as u32).collect();
    let min = lens.iter().copied().min().unwrap_or(0);
    let max = lens.iter().copied().max().unwrap_or(0);
    let header = BlockHeader {
        record_type,
        count: payloads.len() as u32,
        base_len: min,
        width: block::width_for(max - min),
    };
    let mut head = [0u8; BlockHeader::MAX_LEN];
    let n = header.encode(&mut head);
    let mut out = head[..n].to_vec();
    let mut packer = TablePacker::new(header.width);
    let mut put = |b: &[u8]| -> Result<(), ()> {
        out.extend_from_slice(b);
        Ok(())
    };
    for len in &lens {
        packer.push(len - min, &mut put).unwrap();
    }
    packer.finish(&mut put).unwrap();
    for p in payloads {
        out.extend_from_slice(p);
    }
    out
}

pub fn schema_body(record_type: u8, name: &str) -> Vec<u8> {
    let s = koffer::schema::Schema {
        record_type,
        name,
        version: 1,
        definition: &[],
    };
    let mut out = vec![0u8; s.body_len()];
    assert_eq!(s.encode_to_slice(&mut out), Some(out.len()));
    out
}

pub fn metadata_body(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut out = varint(entries.len() as u64);
    for e in entries {
        e.encode(&mut |b: &[u8]| -> Result<(), ()> {
            out.extend_from_slice(b);
            Ok(())
        })
        .unwrap();
    }
    out
}

pub fn end_body(end: End) -> Vec<u8> {
    let mut out = [0u8; End::MAX_LEN];
    let n = end.encode(&mut out);
    out[..n].to_vec()
}

/// Builds containers frame by frame, keeping the totals an end frame states.
pub struct Builder {
    pub out: Vec<u8>,
    pub counted: End,
}

impl Builder {
    pub fn new() -> Self {
        Self::with_header(Header::CURRENT)
    }

    pub fn with_header(h: Header) -> Self {
        Builder {
            out: h.to_bytes().to_vec(),
            counted: End::default(),
        }
    }

    /// Appends a frame as-is; it counts towards the end frame's totals.
    pub fn raw(&mut self, kind: u8, body: &[u8]) -> &mut Self {
        let f = frame(&self.out, kind, body);
        self.out.extend_from_slice(&f);
        self.counted.frames += 1;
        self
    }

    pub fn metadata(&mut self, entries: &[Entry<'_>]) -> &mut Self {
        self.raw(kind::METADATA, &metadata_body(entries))
    }

    pub fn schema(&mut self, record_type: u8, name: &str) -> &mut Self {
        self.raw(kind::SCHEMA, &schema_body(record_type, name))
    }

    pub fn block(&mut self, record_type: u8, payloads: &[&[u8]]) -> &mut Self {
        self.raw(kind::BLOCK, &block_body(record_type, payloads));
        self.counted.blocks += 1;
        self.counted.records += payloads.len() as u64;
        self
    }

    pub fn end(&mut self) -> Vec<u8> {
        let c = self.counted;
        self.end_with(c)
    }

    pub fn end_with(&mut self, end: End) -> Vec<u8> {
        let mut out = self.out.clone();
        out.extend_from_slice(&frame(&self.out, kind::END, &end_body(end)));
        out
    }
}

// ---------------------------------------------------------------------------
// Sample containers
// ---------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Sample {
    t: u64,
    heart_rate: u8,
    steps: u16,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Event<'a> {
    name: &'a str,
    code: i32,
}

/// Metadata, two schemas, three blocks of two record types, written by the writer.
pub fn written_container() -> Vec<u8> {
    let mut buf = [0u8; 64];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    w.metadata(&[
        Entry::new(key::PRODUCER_VENDOR, Value::Str("Acme")),
        Entry::new(
            key::TIME_ANCHOR,
            Value::Anchor {
                boot_ms: 1000,
                unix_ms: 1_700_000_000_000,
            },
        ),
    ])
    .unwrap();
    let h_0 = w.declare(0, "sample", 1, b"\x15\x11\x01").unwrap();
    let h_1 = w.declare(1, "event", 2, &[]).unwrap();
    for i in 0..5u16 {
        let s = Sample {
            t: 60_000 * u64::from(i),
            heart_rate: 60 + i as u8,
            steps: i * 300,
        };
        w.write_serialized(h_0, &s).unwrap();
    }
    w.write_serialized(
        h_1,
        &Event {
            name: "button",
            code: -3,
        },
    )
    .unwrap();
    w.write_serialized(
        h_1,
        &Event {
            name: "fall detected",
            code: 7,
        },
    )
    .unwrap();
    for i in 5..8u16 {
        let s = Sample {
            t: 60_000 * u64::from(i),
            heart_rate: 60 + i as u8,
            steps: i * 300,
        };
        w.write_serialized(h_0, &s).unwrap();
    }
    w.finish().unwrap()
}

/// Hand-built: ancillary frames between the others, empty records, a
/// zero-width and a wide delta table, two metadata frames.
pub fn built_container() -> Vec<u8> {
    let long = [0xA5u8; 300];
    Builder::new()
        .metadata(&[Entry::new(key::PRODUCER_MODEL, Value::Str("Band 3"))])
        .schema(0, "beat")
        .raw(kind::VENDOR_FIRST, b"vendor data")
        .block(0, &[b"", b"", b""])
        .schema(9, "blob")
        .block(9, &[b"a", &long, b"", b"xyz"])
        .raw(kind::RESERVED_ANCILLARY_FIRST, &[])
        .metadata(&[
            Entry::new("x:n", Value::Uint(5)),
            Entry::new("x:s", Value::Bytes(&[1, 2, 3])),
        ])
        .block(0, &[&[1, 2], &[3, 4], &[5, 6], &[7, 8]])
        .end()
}

/// The smallest containers: no frames but the end frame; one record.
pub fn tiny_containers() -> Vec<Vec<u8>> {
    vec![
        Builder::new().end(),
        Builder::new().schema(0, "x").block(0, &[b"\x2A"]).end(),
    ]
}

pub fn sample_containers() -> Vec<Vec<u8>> {
    let mut v = vec![written_container(), built_container()];
    v.extend(tiny_containers());
    v
}

// ---------------------------------------------------------------------------
// Sizes and handles
// ---------------------------------------------------------------------------

/// The offset of the body in a frame of `kind` declaring `len` body bytes.
pub fn body_offset(kind: u8, len: u32) -> usize {
    FrameHead::new(kind, len).as_bytes().len()
}

/// A handle of record type `t` declared by another writer: the writer it is
/// used with checks that it declares `t` too.
pub fn foreign_handle(t: u8) -> write::RawHandle {
    let mut buf = [0u8; 16];
    let mut other = Writer::new(Vec::new(), &mut buf).unwrap();
    other.declare(t, "elsewhere", 1, &[]).unwrap()
}
