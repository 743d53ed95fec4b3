//! The page's seal check (`koffer_viewer::seals`) against spec `seal.md`'s
//! vectors (`spec/vectors/seal/`), each with its `.json` report, and against
//! `koffer::seal::verify` with the key the page compares.

use koffer::seal::{verify, Algorithm, PublicKey, Verdict};
use koffer_viewer::seals::{parse_pub, SealCheck};
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/vectors/seal")
}

fn key_pub() -> String {
    std::fs::read_to_string(dir().join("key.pub")).unwrap()
}

/// Every vector: the page's verdict is the `.json`'s, verified with the
/// container's own key, and the user's `key.pub` matches exactly when
/// `koffer::seal::verify` with `key.pub` does not say `UntrustedKey`.
#[test]
fn vectors_give_the_report_of_their_json() {
    let mut names: Vec<_> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "koffer"))
        .collect();
    names.sort();
    assert!(names.len() >= 20, "{} vectors", names.len());
    let pk = parse_pub(&key_pub()).unwrap();
    for path in names {
        let bytes = std::fs::read(&path).unwrap();
        let want: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path.with_extension("json")).unwrap())
                .unwrap();
        let c = SealCheck::run(&bytes);
        let what = format!("{}: {c:?}", path.display());
        let error = want["error"].as_str().unwrap_or("");
        match (want["verdict"].as_str().unwrap(), error) {
            ("authentic", _) => assert_eq!(c.verdict, "authentic", "{what}"),
            ("prefix", _) => {
                assert_eq!(c.verdict, "prefix", "{what}");
                assert_eq!(
                    c.authentic_len,
                    want["authentic_len"].as_u64().unwrap(),
                    "{what}"
                );
                assert_eq!(
                    u64::from(c.seals),
                    want["seals"].as_u64().unwrap(),
                    "{what}"
                );
            }
            // Sealed intact, by a key that is not key.pub.
            ("not-authentic", "UntrustedKey") => assert_eq!(c.verdict, "authentic", "{what}"),
            ("not-authentic", "Unsealed") => assert_eq!(c.verdict, "unsealed", "{what}"),
            ("not-authentic", kind) => {
                assert_eq!(c.verdict, "not_authentic", "{what}");
                let e = c.error.as_ref().unwrap();
                assert_eq!(e.kind, kind, "{what}");
                assert_eq!(e.offset, want["offset"].as_u64().unwrap(), "{what}");
            }
            (v, _) => panic!("{what}: verdict {v}"),
        }
        // The user's key matches exactly when verifying with it does not
        // stop at the KEY frame as a wrong key.
        let with_user = verify(
            &bytes,
            &[PublicKey {
                alg: Algorithm::EdDSA,
                bytes: &pk,
            }],
        );
        let untrusted = matches!(with_user.verdict, Verdict::NotAuthentic(e)
            if e.kind == koffer::seal::ErrorKind::UntrustedKey);
        let user = c.user_key(&key_pub());
        assert!(user.valid);
        if c.verdict != "unsealed" && c.public_key.is_some() {
            assert_eq!(user.matches, !untrusted, "{what}");
            if user.matches {
                assert_eq!(with_user.authentic_len, c.authentic_len, "{what}");
                assert_eq!(with_user.seals, c.seals, "{what}");
            }
        }
    }
}

/// Records counted authentic are those of the blocks before the last good
/// seal: a record forged after seal 1 leaves the records before it, the
/// intact records of a cut container are all sealed.
#[test]
fn records_authentic_stop_at_the_last_good_seal() {
    let forged = std::fs::read(dir().join("seal-reject-forged-record.koffer")).unwrap();
    let c = SealCheck::run(&forged);
    assert_eq!(
        (c.verdict, c.authentic_len),
        ("not_authentic", 286),
        "{c:?}"
    );
    assert!(
        c.records_authentic > 0 && c.records_authentic < c.records,
        "{c:?}"
    );
    let cut = std::fs::read(dir().join("seal-valid-cut.koffer")).unwrap();
    let c = SealCheck::run(&cut);
    assert_eq!((c.authentic_len, c.file_len), (488, 500), "{c:?}");
    assert_eq!(c.records_authentic, c.records, "{c:?}");
    let whole = std::fs::read(dir().join("seal-valid-complete.koffer")).unwrap();
    let c = SealCheck::run(&whole);
    assert_eq!(c.records_authentic, c.records, "{c:?}");
    // The key id as `koffer inspect` prints it: that of key.pub, which sealed it.
    let pk = parse_pub(&key_pub()).unwrap();
    let id: String = koffer::seal::key_id(&pk)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(c.key.as_ref().unwrap().key_id, id);
}

/// A key file as `koffer keygen` writes it, and what is not one.
#[test]
fn public_key_files() {
    let line = key_pub();
    let pk = parse_pub(&line).unwrap();
    assert_eq!(parse_pub(&line.replace('\n', "\r\n")), Some(pk));
    assert_eq!(parse_pub(line.trim_end()), Some(pk));
    for bad in [
        "",
        "koffer-key ed25519 0000000000000000000000000000000000000000000000000000000000000000\n",
        "koffer-pub ed25519 00\n",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample user@host\n",
        &line.to_uppercase(),
        &format!("{line}\n"),
    ] {
        assert_eq!(parse_pub(bad), None, "{bad:?}");
    }
    // A file with no seals compares as not matching.
    let plain = std::fs::read(dir().join("seal-reject-unsealed.koffer")).unwrap();
    let c = SealCheck::run(&plain);
    assert_eq!(c.verdict, "unsealed");
    assert!(!c.user_key(&line).matches);
}

/// The verdict `unsealed` is exactly `koffer::seal::verify`'s `Unsealed`:
/// for the vectors and for plain containers of this repository's samples.
#[test]
fn unsealed_is_what_verify_says() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../samples");
    paths.extend(
        std::fs::read_dir(samples)
            .unwrap()
            .map(|e| e.unwrap().path()),
    );
    let mut plain = 0;
    for path in paths
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "koffer"))
    {
        let bytes = std::fs::read(&path).unwrap();
        let any = [0u8; 32];
        let report = verify(
            &bytes,
            &[PublicKey {
                alg: Algorithm::EdDSA,
                bytes: &any,
            }],
        );
        let unsealed = matches!(report.verdict, Verdict::NotAuthentic(e)
            if e.kind == koffer::seal::ErrorKind::Unsealed);
        let c = SealCheck::run(&bytes);
        assert_eq!(
            c.verdict == "unsealed",
            unsealed,
            "{}: {c:?}",
            path.display()
        );
        plain += usize::from(unsealed);
    }
    assert!(plain >= 2, "{plain} unsealed files");
}

/// The page counts the authentic records from its block index
/// (`Opened::records_before`); that gives what reading the file gives.
#[test]
fn records_from_the_index_are_those_of_the_file() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "koffer"))
        .collect();
    paths.sort();
    for path in paths {
        let bytes = std::fs::read(&path).unwrap();
        let opened = koffer_viewer::model::Opened::open(bytes.clone(), "x.koffer");
        let counted = SealCheck::run_counted(&bytes, |end| opened.records_before(end));
        assert_eq!(counted, SealCheck::run(&bytes), "{}", path.display());
        // And every cut of the complete vector.
        if path.ends_with("seal-valid-complete.koffer") {
            for cut in (0..bytes.len()).step_by(7) {
                let b = &bytes[..cut];
                let o = koffer_viewer::model::Opened::open(b.to_vec(), "x.koffer");
                let c = SealCheck::run_counted(b, |end| o.records_before(end));
                assert_eq!(c, SealCheck::run(b), "cut at {cut}");
            }
        }
    }
}

/// A signer that claims ES256 (a secure element's algorithm, optional in
/// spec `seal.md` §6): its seals cannot be checked by the page's Ed25519.
struct Es256Claim;

impl koffer::seal::Signer for Es256Claim {
    type Error = ();
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES256
    }
    fn sign(&mut self, tbs: &[u8], signature: &mut [u8; 64]) -> Result<(), ()> {
        signature[..tbs.len().min(64)].copy_from_slice(&tbs[..tbs.len().min(64)]);
        Ok(())
    }
}

/// An ES256-sealed container is `unsupported` (the page says the command
/// checks it), with its key id shown, and no Ed25519 key file matches it.
#[test]
fn es256_seals_are_unsupported_not_forged() {
    use koffer::seal::{Digest, KeyFrame, SealingWriter};
    let mut pk = [7u8; 65];
    pk[0] = 0x04;
    let key = KeyFrame::new(Algorithm::ES256, &pk, 2);
    let mut buf = [0u8; 64];
    let mut digest = Digest::new();
    let mut w = SealingWriter::new(Vec::new(), &mut buf, &mut digest, Es256Claim, &key).unwrap();
    let n = w.declare(0, "n", 1, &[]).unwrap();
    for i in 0..20u32 {
        w.write_serialized(n, &i).unwrap();
    }
    let bytes = w.finish().unwrap();
    let c = SealCheck::run(&bytes);
    assert_eq!(c.verdict, "unsupported", "{c:?}");
    let e = c.error.as_ref().unwrap();
    assert_eq!((e.kind, e.offset), ("UnsupportedAlgorithm", 18), "{c:?}");
    let k = c.key.as_ref().unwrap();
    assert_eq!(k.algorithm, "ES256");
    let id: String = koffer::seal::key_id(&pk)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(k.key_id, id);
    assert!(!c.user_key(&key_pub()).matches);
}
