//! §11: the seal vectors in `spec/vectors/seal/` are the generator's bytes,
//! and the verifier gives each one's expected report.

#[path = "../vectors/seal.rs"]
mod cases;

use koffer::seal::{Algorithm, PublicKey, Verdict};
use serde_json::json;

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors/seal")
}

#[test]
fn seal_vectors_match_the_generator_byte_for_byte() {
    let stale = cases::write(&dir(), true);
    assert!(
        stale.is_empty(),
        "run `cargo run --example vectors`: {stale:?}"
    );
}

#[test]
fn verifier_reports_each_seal_vectors_expected_outcome() {
    let pk = cases::trusted().pk;
    let key_file = std::fs::read_to_string(dir().join("key.pub")).unwrap();
    assert_eq!(key_file, cases::key_pub());
    let mut kinds = std::collections::BTreeSet::new();
    for c in cases::all() {
        let r = koffer::seal::verify(
            &c.bytes,
            &[PublicKey {
                alg: Algorithm::EdDSA,
                bytes: &pk[..],
            }],
        );
        let observed = match r.verdict {
            Verdict::Authentic => {
                json!({ "verdict": "authentic", "seals": r.seals, "authentic_len": r.authentic_len })
            }
            Verdict::AuthenticPrefix => {
                json!({ "verdict": "prefix", "seals": r.seals, "authentic_len": r.authentic_len })
            }
            Verdict::NotAuthentic(e) => {
                let kind = format!("{:?}", e.kind);
                let name = kind.split(['(', ' ', '{']).next().unwrap().to_string();
                kinds.insert(name.clone());
                json!({ "verdict": "not-authentic", "error": name, "offset": e.offset })
            }
            Verdict::Container(e) => panic!("{}: the container itself fails: {e}", c.name),
        };
        let mut expected = c.expect.clone();
        expected.as_object_mut().unwrap().remove("rule");
        expected.as_object_mut().unwrap().remove("key");
        assert_eq!(observed, expected, "{}", c.name);
        // Every vector is an intact container for a reader that ignores seals.
        let reader = koffer::read::Reader::new(&c.bytes).unwrap();
        assert!(reader.verify().is_ok(), "{}", c.name);
    }
    assert!(kinds.len() >= 10, "{kinds:?}");
}
