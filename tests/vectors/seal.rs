//! The test vectors of spec `seal.md` §11: sealed containers built here
//! from the spec's text alone — header, KEY frame, SEAL payload, the COSE
//! `Sig_structure`, the running SHA-256 and the RFC 9162 Merkle tree are
//! written out in this file, signed with ed25519-compact — and the report a
//! verifier must give, stated by construction, never computed by
//! `koffer::seal`.
//!
//! Shared by `examples/vectors.rs` (writes `spec/vectors/seal/`) and
//! `tests/seal/s11_vectors.rs` (checks the files and runs the verifier).

#![allow(dead_code)]

use ed25519_compact::{KeyPair, Seed};
use serde_json::{json, Value as Json};
use sha2::{Digest as _, Sha256};

/// One vector.
pub struct SealCase {
    pub name: &'static str,
    pub rule: &'static str,
    pub bytes: Vec<u8>,
    pub expect: Json,
}

/// The trusted key's seed: the bytes 00 01 .. 1F (the worked example's).
pub fn trusted() -> KeyPair {
    KeyPair::from_seed(Seed::new(core::array::from_fn(|i| i as u8)))
}

/// Another key, not trusted.
fn stranger() -> KeyPair {
    KeyPair::from_seed(Seed::new([0xEE; 32]))
}

/// `key.pub` of spec `seal.md` §6.
pub fn key_pub() -> String {
    let pk: String = trusted().pk.iter().map(|b| format!("{b:02x}")).collect();
    format!("koffer-pub ed25519 {pk}\n")
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// RFC 9162 §2.1, recursively.
fn mth(leaves: &[Vec<u8>]) -> [u8; 32] {
    match leaves.len() {
        0 => sha256(&[]),
        1 => sha256(&[&[0x00], &leaves[0]]),
        n => {
            let k = 1 << (usize::BITS - 1 - (n - 1).leading_zeros());
            sha256(&[&[0x01], &mth(&leaves[..k]), &mth(&leaves[k..])])
        }
    }
}

/// A container built frame by frame, sealed as spec `seal.md` says.
struct Sealed {
    bytes: Vec<u8>,
    key: KeyPair,
    /// Block frames since the last seal.
    segment: Vec<Vec<u8>>,
    segment_start: u64,
    sequence: u32,
    frames: u64,
    blocks: u64,
    records: u64,
    seal_ends: Vec<u64>,
}

impl Sealed {
    /// The header of `format.md` §3 with minor 2 and optional bit 0, and
    /// (unless `key` is `None`) the KEY frame of §3: EdDSA, `every`, key id,
    /// public key, no certificates.
    fn new(key: KeyPair, every: u8, key_frame: Option<Vec<u8>>) -> Self {
        let mut head = vec![
            0x8B, 0x4B, 0x4F, 0x46, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 0, 0, 1, 0,
        ];
        let crc = koffer::crc::checksum(&head);
        head.extend_from_slice(&crc.to_le_bytes());
        let mut s = Sealed {
            bytes: head,
            key,
            segment: Vec::new(),
            segment_start: 0,
            sequence: 0,
            frames: 0,
            blocks: 0,
            records: 0,
            seal_ends: Vec::new(),
        };
        let body = key_frame.unwrap_or_else(|| key_body(&s.key.pk[..], every));
        s.frame(0x40, &body);
        s
    }

    fn frame(&mut self, kind: u8, body: &[u8]) -> u64 {
        let at = self.bytes.len() as u64;
        let prev: [u8; 4] = self.bytes[self.bytes.len() - 4..].try_into().unwrap();
        let mut f = koffer::frame::FrameHead::new(kind, body.len() as u32)
            .as_bytes()
            .to_vec();
        f.extend_from_slice(body);
        let crc = koffer::frame::checksum(&prev, &f);
        f.extend_from_slice(&crc.to_le_bytes());
        if kind == 0x03 {
            self.segment.push(f.clone());
        }
        self.bytes.extend_from_slice(&f);
        if kind != 0x04 {
            self.frames += 1;
        }
        at
    }

    fn schema(&mut self) {
        self.frame(0x02, &[0x00, 0x01, b'n', 0x01]);
    }

    /// A block of `count` one-byte records (type 0, width 0).
    fn block(&mut self, count: u8, first: u8) {
        let mut body = vec![0x00, count, 0x01, 0x00];
        body.extend((0..count).map(|i| first.wrapping_add(i)));
        self.frame(0x03, &body);
        self.blocks += 1;
        self.records += u64::from(count);
    }

    /// The payload of `seal.md` §4.3 for a seal at the current end.
    fn payload(&self, is_final: bool) -> Vec<u8> {
        let mut p = b"KOFSEAL1".to_vec();
        p.extend_from_slice(&(self.sequence + 1).to_le_bytes());
        p.push(u8::from(is_final));
        p.extend_from_slice(&self.segment_start.to_le_bytes());
        p.extend_from_slice(&(self.bytes.len() as u64).to_le_bytes());
        p.extend_from_slice(&(self.segment.len() as u32).to_le_bytes());
        p.extend_from_slice(&sha256(&[&self.bytes]));
        p.extend_from_slice(&mth(&self.segment));
        assert_eq!(p.len(), 97);
        p
    }

    /// Signs `payload` as §5 says and writes the SEAL frame; returns its offset.
    fn seal_with(&mut self, payload: &[u8], signer: &KeyPair) -> u64 {
        let mut tbs = vec![0x84, 0x6A];
        tbs.extend_from_slice(b"Signature1");
        tbs.extend_from_slice(&[0x43, 0xA1, 0x01, 0x27, 0x40, 0x58, 0x61]);
        tbs.extend_from_slice(payload);
        let sig = signer.sk.sign(&tbs, None);
        let mut body = payload.to_vec();
        body.extend_from_slice(&sig[..]);
        let at = self.frame(0x41, &body);
        self.sequence += 1;
        self.segment.clear();
        self.segment_start = self.bytes.len() as u64;
        self.seal_ends.push(self.segment_start);
        at
    }

    fn seal(&mut self, is_final: bool) -> u64 {
        let p = self.payload(is_final);
        let key = KeyPair::from_slice(&self.key[..]).unwrap();
        self.seal_with(&p, &key)
    }

    /// The END frame of `format.md` §8.
    fn end(&mut self) -> u64 {
        let mut body = Vec::new();
        for v in [self.frames, self.blocks, self.records] {
            let mut v = v;
            loop {
                let b = (v & 0x7F) as u8;
                v >>= 7;
                body.push(if v == 0 { b } else { b | 0x80 });
                if v == 0 {
                    break;
                }
            }
        }
        self.frame(0x04, &body)
    }
}

/// The KEY frame body of §3 for an Ed25519 key.
fn key_body(pk: &[u8], every: u8) -> Vec<u8> {
    assert!(every < 0x80);
    let mut b = vec![0x0F, every];
    b.extend_from_slice(&sha256(&[pk])[..8]);
    b.push(32);
    b.extend_from_slice(pk);
    b.push(0);
    b
}

/// The usual content: a schema, then `blocks` blocks of 3 records, sealed
/// every 2 blocks by the writer's rule (§7.1).
fn content(s: &mut Sealed, blocks: u8) {
    s.schema();
    for i in 0..blocks {
        s.block(3, i * 3);
        if s.segment.len() == 2 {
            s.seal(false);
        }
    }
}

fn authentic(s: &Sealed) -> Json {
    json!({ "verdict": "authentic", "seals": s.sequence, "authentic_len": s.seal_ends.last().copied().unwrap_or(0) })
}

fn reject(error: &str, offset: u64) -> Json {
    json!({ "verdict": "not-authentic", "error": error, "offset": offset })
}

pub fn all() -> Vec<SealCase> {
    let mut cases = Vec::new();
    let mut case = |name, rule, bytes: Vec<u8>, expect: Json| {
        cases.push(SealCase {
            name,
            rule,
            bytes,
            expect,
        })
    };

    // Complete and authentic.
    let mut s = Sealed::new(trusted(), 2, None);
    content(&mut s, 5);
    s.seal(true);
    s.end();
    let good = s.bytes.clone();
    case(
        "seal-valid-complete",
        "§7.1, §8.1: KEY first, a seal every 2 blocks, a final seal, then END: authentic",
        s.bytes.clone(),
        authentic(&s),
    );

    // Cut inside the block after seal 2: authentic up to seal 2.
    let mut s = Sealed::new(trusted(), 2, None);
    content(&mut s, 5);
    let upto = s.seal_ends[1];
    let cut = s.bytes.len() - 4;
    case(
        "seal-valid-cut",
        "§8.1: an incomplete container (cut inside its last block) is authentic up to its last seal",
        s.bytes[..cut].to_vec(),
        json!({ "verdict": "prefix", "seals": 2, "authentic_len": upto }),
    );

    // A record changed after seal 1, checksums rebuilt.
    let mut s = Sealed::new(trusted(), 2, None);
    s.schema();
    s.block(3, 0);
    s.block(3, 3);
    s.seal(false);
    let seal1_end = s.bytes.len() as u64;
    let sealed_payload = {
        let mut t = Sealed::new(trusted(), 2, None);
        t.schema();
        t.block(3, 0);
        t.block(3, 3);
        t.seal(false);
        t.block(3, 6);
        t.payload(false)
    };
    s.block(3, 7); // not the records seal 2 states
    let key = trusted();
    s.seal_with(&sealed_payload, &key);
    case("seal-reject-forged-record", "§8.2 step 4: a record changed after seal 1 (checksums rebuilt): DigestMismatch at the end of seal 1", s.bytes, reject("DigestMismatch", seal1_end));

    // Signed by a key that is not trusted.
    let mut s = Sealed::new(stranger(), 2, None);
    content(&mut s, 2);
    s.seal(true);
    s.end();
    case(
        "seal-reject-wrong-key",
        "§8.2 step 2: sealed by a key that is not key.pub: UntrustedKey at the KEY frame",
        s.bytes,
        reject("UntrustedKey", 18),
    );

    // Seals stripped: the third block follows two without a seal.
    let mut s = Sealed::new(trusted(), 2, None);
    s.schema();
    s.block(3, 0);
    s.block(3, 3);
    let third = s.bytes.len() as u64;
    s.block(3, 6);
    s.seal(true);
    s.end();
    case(
        "seal-reject-stripped",
        "§8.2 step 3: more than N blocks without a seal: SealMissing at the block",
        s.bytes,
        reject("SealMissing", third),
    );

    // No final seal before END.
    let mut s = Sealed::new(trusted(), 2, None);
    content(&mut s, 2);
    let end = s.end();
    case("seal-reject-end-unsealed", "§8.2 step 5: an END frame not directly after a final seal (a cut container given an END frame): SealMissing at END", s.bytes, reject("SealMissing", end));

    // Seal 2 before seal 1 (each signed, each at its place): sequence.
    let mut s = Sealed::new(trusted(), 2, None);
    s.schema();
    s.block(3, 0);
    let mut p = s.payload(false);
    p[8] = 2;
    let key = trusted();
    let at = s.seal_with(&p, &key);
    s.end();
    case("seal-reject-sequence", "§8.2 step 4: a seal numbered 2 where 1 is due (reordered or replayed): SequenceMismatch at its sequence field", s.bytes, reject("SequenceMismatch", at + 5 + 8));

    // covered_end not the seal's offset (signed).
    let mut s = Sealed::new(trusted(), 2, None);
    s.schema();
    s.block(3, 0);
    let mut p = s.payload(true);
    p[21] ^= 0x01;
    let at = s.seal_with(&p, &key);
    s.end();
    case("seal-reject-range", "§8.2 step 4: covered_end is not the seal's offset (a moved seal): RangeMismatch at the field", s.bytes, reject("RangeMismatch", at + 5 + 21));

    // Merkle root wrong (signed; digest right).
    let mut s = Sealed::new(trusted(), 2, None);
    s.schema();
    s.block(3, 0);
    let mut p = s.payload(true);
    p[96] ^= 0x01;
    let at = s.seal_with(&p, &key);
    s.end();
    case("seal-reject-merkle", "§8.2 step 4: the running digest matches, the Merkle root does not: MerkleMismatch at leaf_count", s.bytes, reject("MerkleMismatch", at + 5 + 29));

    // A signature byte changed.
    let mut s = Sealed::new(trusted(), 2, None);
    s.schema();
    s.block(3, 0);
    let at = s.seal(true);
    s.end();
    let mut bytes = s.bytes.clone();
    bytes[at as usize + 5 + 97 + 10] ^= 0x04;
    rechain(&mut bytes);
    case("seal-reject-bad-signature", "§8.2 step 4: a changed signature byte (checksums rebuilt): BadSignature at the signature field", bytes, reject("BadSignature", at + 5 + 97));

    // A truncated signature: the SEAL body is 160 bytes.
    let mut s = Sealed::new(trusted(), 2, None);
    s.schema();
    s.block(3, 0);
    let p = s.payload(true);
    let at = s.bytes.len() as u64;
    let mut body = p.clone();
    body.extend_from_slice(&[0xAB; 63]);
    s.frame(0x41, &body);
    s.end();
    case(
        "seal-reject-truncated-signature",
        "§4.3: a SEAL body of 160 bytes: MalformedSeal (Truncated) at the end of the body",
        s.bytes,
        reject("MalformedSeal", at + 5 + 160),
    );

    // Neither declared nor keyed.
    let mut plain = good.clone();
    plain[9] = 0;
    plain[12] = 0;
    let bodies = frames_of(&plain);
    let kept: Vec<(u8, Vec<u8>)> = bodies
        .into_iter()
        .filter(|f| f.0 != 0x40 && f.0 != 0x41)
        .collect();
    let bare = rebuild(&plain[..18], &kept, 0);
    case("seal-reject-unsealed", "§2, §8.2 step 1: a container with no declaration and no KEY frame, checked with a key: Unsealed at 0", bare, reject("Unsealed", 0));

    // Declared, KEY frame removed.
    let kept: Vec<(u8, Vec<u8>)> = frames_of(&good)
        .into_iter()
        .filter(|f| f.0 != 0x40)
        .collect();
    let schema_len = 9 + kept[0].1.len() as u64;
    let nokey = rebuild(&good[..18], &kept, 0);
    case("seal-reject-key-missing", "§2, §8.2 step 1: declared sealed, no KEY frame before the first block: KeyMissing at the block", nokey, reject("KeyMissing", 18 + schema_len));

    // A KEY frame whose key id is not its key's.
    let mut kb = key_body(&trusted().pk[..], 2);
    kb[2] ^= 0xFF;
    let mut s = Sealed::new(trusted(), 2, Some(kb));
    content(&mut s, 1);
    s.seal(true);
    s.end();
    case(
        "seal-reject-key-id",
        "§3: a key id that is not SHA-256(public key)[0..8]: MalformedKey at key_id",
        s.bytes,
        reject("MalformedKey", 18 + 5 + 2),
    );

    // The truncation attack (§7.2, §8.2 step 5): a final seal in the middle
    // (a writer resumed after a cut between it and END and went on); cut
    // there and given an END frame it would pass as complete.
    let mut s = Sealed::new(trusted(), 2, None);
    content(&mut s, 2);
    s.seal(true);
    let after = s.bytes.len() as u64;
    s.block(3, 6);
    s.block(3, 9);
    s.seal(false);
    s.block(3, 12);
    s.seal(true);
    s.end();
    case(
        "seal-reject-after-final",
        "§7.2, §8.2 step 5: a block after a final seal (only END may follow one): SealMissing at the block",
        s.bytes,
        reject("SealMissing", after),
    );

    // Five blocks in one segment: the Merkle tree's power-of-two split
    // (MTH of 5 = node(MTH of the first 4, leaf 5)).
    let mut s = Sealed::new(trusted(), 8, None);
    s.schema();
    for i in 0..5 {
        s.block(3, i * 3);
    }
    s.seal(true);
    s.end();
    case(
        "seal-valid-merkle-five",
        "§4.2: one seal over 5 blocks (N = 8): the Merkle tree splits at 4; authentic",
        s.bytes.clone(),
        authentic(&s),
    );

    // A second KEY frame.
    let mut s = Sealed::new(trusted(), 2, None);
    let second = s.frame(0x40, &key_body(&trusted().pk[..], 2));
    content(&mut s, 1);
    s.seal(true);
    s.end();
    case(
        "seal-reject-duplicate-key",
        "§2, §8.2 step 2: a second KEY frame: DuplicateKey at it",
        s.bytes,
        reject("DuplicateKey", second),
    );

    // A payload whose tag is not KOFSEAL1 (signed).
    let mut s = Sealed::new(trusted(), 2, None);
    s.schema();
    s.block(3, 0);
    let mut p = s.payload(true);
    p[7] = b'2';
    let at = s.seal_with(&p, &key);
    s.end();
    case(
        "seal-reject-bad-tag",
        "§4.3: a tag that is not KOFSEAL1: MalformedSeal (BadTag) at the body's first byte",
        s.bytes,
        reject("MalformedSeal", at + 5),
    );

    // A flag other than bit 0 (signed).
    let mut s = Sealed::new(trusted(), 2, None);
    s.schema();
    s.block(3, 0);
    let mut p = s.payload(true);
    p[12] |= 0x02;
    let at = s.seal_with(&p, &key);
    s.end();
    case(
        "seal-reject-bad-flags",
        "§4.3: flags with a bit other than bit 0: MalformedSeal (BadFlags) at flags",
        s.bytes,
        reject("MalformedSeal", at + 5 + 12),
    );

    // A SEAL body of 162 bytes.
    let mut s = Sealed::new(trusted(), 2, None);
    s.schema();
    s.block(3, 0);
    let mut body = s.payload(true);
    body.extend_from_slice(&[0xAB; 65]);
    let at = s.frame(0x41, &body);
    s.end();
    case(
        "seal-reject-trailing-bytes",
        "§4.3: a SEAL body of 162 bytes: MalformedSeal (TrailingBytes) at byte 161 of the body",
        s.bytes,
        reject("MalformedSeal", at + 5 + 161),
    );

    // Not declared, no KEY frame, but a SEAL frame.
    let mut plain = good.clone();
    plain[9] = 0;
    plain[12] = 0;
    let mut kept: Vec<(u8, Vec<u8>)> = frames_of(&plain)
        .into_iter()
        .filter(|f| f.0 != 0x40)
        .collect();
    // The first seal moved before the first block (after the schema).
    let first_seal = kept.iter().position(|f| f.0 == 0x41).unwrap();
    let seal = kept.remove(first_seal);
    kept.insert(1, seal);
    let seal_at = 18
        + kept
            .iter()
            .take_while(|f| f.0 != 0x41)
            .map(|f| 9 + f.1.len() as u64)
            .sum::<u64>();
    let undeclared = rebuild(&plain[..18], &kept, 0);
    case(
        "seal-reject-key-missing-undeclared",
        "§8.2 step 1: not declared, no KEY frame, a SEAL frame before any block: KeyMissing at the SEAL frame",
        undeclared,
        reject("KeyMissing", seal_at),
    );

    for c in &mut cases {
        c.expect["rule"] = json!(c.rule);
        c.expect["key"] = json!("key.pub");
    }
    cases
}

/// (kind, body) of each frame.
fn frames_of(bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 18;
    while at + 5 <= bytes.len() {
        let len = u32::from_le_bytes([bytes[at + 1], bytes[at + 2], bytes[at + 3], 0]) as usize;
        out.push((bytes[at], bytes[at + 5..at + 5 + len].to_vec()));
        at += 9 + len;
    }
    out
}

/// The header (checksum recomputed) and `frames`, END totals recounted.
fn rebuild(header: &[u8], frames: &[(u8, Vec<u8>)], _: u8) -> Vec<u8> {
    let mut h = header[..14].to_vec();
    let crc = koffer::crc::checksum(&h);
    h.extend_from_slice(&crc.to_le_bytes());
    let mut s = Sealed {
        bytes: h,
        key: trusted(),
        segment: Vec::new(),
        segment_start: 0,
        sequence: 0,
        frames: 0,
        blocks: 0,
        records: 0,
        seal_ends: Vec::new(),
    };
    for (kind, body) in frames {
        match kind {
            0x04 => {
                s.end();
            }
            0x03 => {
                s.frame(0x03, body);
                s.blocks += 1;
                s.records += u64::from(body[1]);
            }
            k => {
                s.frame(*k, body);
            }
        }
    }
    s.bytes
}

/// Recomputes every frame checksum (what a forger does).
fn rechain(bytes: &mut [u8]) {
    let mut at = 18;
    while at + 5 <= bytes.len() {
        let len = u32::from_le_bytes([bytes[at + 1], bytes[at + 2], bytes[at + 3], 0]) as usize;
        let prev: [u8; 4] = bytes[at - 4..at].try_into().unwrap();
        let crc = koffer::frame::checksum(&prev, &bytes[at..at + 5 + len]);
        bytes[at + 5 + len..at + 9 + len].copy_from_slice(&crc.to_le_bytes());
        at += 9 + len;
    }
}

/// The expectation file's text.
pub fn expectation_text(case: &SealCase) -> String {
    let mut t = serde_json::to_string_pretty(&case.expect).unwrap();
    t.push('\n');
    t
}

/// Writes (or, with `check`, compares) `spec/vectors/seal/`; returns the
/// files that differ.
pub fn write(dir: &std::path::Path, check: bool) -> Vec<String> {
    let cases = all();
    let mut changed = Vec::new();
    let mut readme = String::from(
        "# Seal test vectors\n\n\
         Generated by `cargo run --example vectors` from `tests/vectors/seal.rs`, where each\n\
         container is built from the text of spec `seal.md` (not by `koffer::seal`); checked by\n\
         `tests/seal/s11_vectors.rs`. Verify each `<name>.koffer` with the public key `key.pub`\n\
         (spec `seal.md` §6); `<name>.json` is the report a verifier must give: `\"verdict\"`\n\
         `authentic`, `prefix` (with `\"seals\"` and `\"authentic_len\"`), or `not-authentic` (with\n\
         the failure kind of `seal.md` §8.3 as `\"error\"` and its `\"offset\"`). Do not edit by hand.\n\n\
         | vector | bytes | verdict | rule |\n|---|---:|---|---|\n",
    );
    let mut files: Vec<(String, Vec<u8>)> = vec![("key.pub".into(), key_pub().into_bytes())];
    for c in &cases {
        let verdict = match c.expect["verdict"].as_str().unwrap() {
            "not-authentic" => format!(
                "`{}` at {}",
                c.expect["error"].as_str().unwrap(),
                c.expect["offset"]
            ),
            v => v.to_string(),
        };
        readme.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            c.name,
            c.bytes.len(),
            verdict,
            c.rule
        ));
        files.push((format!("{}.koffer", c.name), c.bytes.clone()));
        files.push((format!("{}.json", c.name), expectation_text(c).into_bytes()));
    }
    files.push(("README.md".into(), readme.into_bytes()));
    if !check {
        std::fs::create_dir_all(dir).expect("create spec/vectors/seal");
    }
    for (name, content) in files {
        let path = dir.join(&name);
        if std::fs::read(&path).ok().as_deref() != Some(&content[..]) {
            changed.push(format!("seal/{name}"));
            if !check {
                std::fs::write(&path, &content).expect("write seal vector");
            }
        }
    }
    changed
}
