//! The disclosure receipts of a container (spec `disclosure.md`), as
//! `koffer inspect` and the viewer show them: who received what, when, why.

use std::fmt::Write as _;

use koffer::disclosure::{receipts, Receipt};
use koffer::read::Reader;
use serde::Serialize;

use crate::civil;

/// One disclosure receipt, or the error of a malformed one.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct ReceiptInfo {
    /// The receipt id as a UUID.
    pub id: String,
    /// When the data was disclosed, Unix ms.
    pub time: u64,
    /// `time` as RFC 3339 UTC.
    pub time_rfc3339: String,
    /// The data subject's pseudonym.
    pub subject: String,
    /// Who shared.
    pub discloser: PartyInfo,
    /// Who received.
    pub recipient: PartyInfo,
    /// Why, in words.
    pub purpose: String,
    /// Why, as DPV purpose IRIs.
    pub purpose_iris: Vec<String>,
    /// The legal basis, a DPV term.
    pub legal_basis: String,
    /// Until when the recipient may keep the data, Unix ms.
    pub expires: Option<u64>,
    /// `expires` as RFC 3339 UTC.
    pub expires_rfc3339: Option<String>,
    /// What was shared, per record type.
    pub shared: Vec<SharedInfo>,
    /// SHA-256 of the source container, hex.
    pub source_sha256: String,
    /// SHA-256 of the shared records, hex.
    pub records_sha256: String,
}

/// A party of a receipt.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct PartyInfo {
    /// Its name.
    pub name: String,
    /// Its identifier (a URI).
    pub id: Option<String>,
}

/// What was shared of one record type.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct SharedInfo {
    /// The record type's name.
    pub name: String,
    /// Its version.
    pub version: u32,
    /// Its fingerprint in the source, 16 hex digits.
    pub fingerprint: String,
    /// Lower time bound (inclusive), RFC 3339.
    pub from: Option<String>,
    /// Upper time bound (exclusive), RFC 3339.
    pub until: Option<String>,
    /// Records shared.
    pub records: u64,
    /// Fields removed.
    pub dropped: Vec<String>,
    /// Fields rounded: path and step.
    pub coarsened: Vec<(String, f64)>,
}

fn time(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(civil::rfc3339)
        .unwrap_or_else(|| format!("{ms} ms"))
}

impl ReceiptInfo {
    fn new(r: &Receipt<'_>) -> Self {
        let party = |p: &koffer::disclosure::Party<'_>| PartyInfo {
            name: p.name.to_string(),
            id: p.id.map(str::to_string),
        };
        let h = koffer::hex::encode(&r.id);
        ReceiptInfo {
            id: format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            ),
            time: r.time,
            time_rfc3339: time(r.time),
            subject: r.subject.to_string(),
            discloser: party(&r.discloser),
            recipient: party(&r.recipient),
            purpose: r.purpose.to_string(),
            purpose_iris: r.purpose_iris.iter().map(str::to_string).collect(),
            legal_basis: r.legal_basis.to_string(),
            expires: r.expires,
            expires_rfc3339: r.expires.map(time),
            shared: r
                .shared
                .iter()
                .map(|s| SharedInfo {
                    name: s.name.to_string(),
                    version: s.version,
                    fingerprint: format!("{:016x}", s.fingerprint),
                    from: s.from.map(time),
                    until: s.until.map(time),
                    records: s.records,
                    dropped: s.dropped.iter().map(str::to_string).collect(),
                    coarsened: s
                        .coarsened
                        .iter()
                        .map(|c| (c.field.to_string(), c.step))
                        .collect(),
                })
                .collect(),
            source_sha256: koffer::hex::encode(&r.source_sha256),
            records_sha256: koffer::hex::encode(&r.records_sha256),
        }
    }
}

/// The receipts of the records `reader` reads, in file order; a malformed
/// receipt is skipped (it is a record's payload error, which `verify` and
/// `export` report).
pub fn receipt_infos(reader: &Reader<'_>) -> Vec<ReceiptInfo> {
    receipts(reader)
        .filter_map(Result::ok)
        .map(|r| ReceiptInfo::new(&r))
        .collect()
}

/// Text from a file as a terminal may show it: control characters (C0, DEL,
/// C1) and the bidirectional formatting characters (U+061C, U+200E, U+200F,
/// U+202A–U+202E, U+2066–U+2069) written as Rust escapes (`\n`, `\u{1b}`),
/// like the names `koffer inspect` shows with `escape_debug`; a backslash
/// doubled, so an escape cannot be forged; everything else as it is.
///
/// ```
/// assert_eq!(koffer_export::printable("Dr. O'Brien"), "Dr. O'Brien");
/// assert_eq!(koffer_export::printable("a\x1b[2Jb\n"), "a\\u{1b}[2Jb\\n");
/// assert_eq!(koffer_export::printable("C:\\x"), "C:\\\\x");
/// ```
pub fn printable(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        let bidi = matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        if c == '\\' || c.is_control() || bidi {
            o.extend(c.escape_debug());
        } else {
            o.push(c);
        }
    }
    o
}

/// The receipts as `koffer inspect` writes them in text; every string from
/// the file through [`printable`].
pub fn text(receipts: &[ReceiptInfo], w: &mut String) {
    let p = |s: &str| printable(s);
    let _ = writeln!(w, "receipts      {}", receipts.len());
    for r in receipts {
        let _ = write!(w, "  {}  to {}", r.time_rfc3339, p(&r.recipient.name));
        if let Some(id) = &r.recipient.id {
            let _ = write!(w, " <{}>", p(id));
        }
        let _ = writeln!(w, ", shared by {}", p(&r.discloser.name));
        let _ = write!(w, "    why   {}", p(&r.purpose));
        if !r.purpose_iris.is_empty() {
            let iris: Vec<String> = r.purpose_iris.iter().map(|i| p(i)).collect();
            let _ = write!(w, " [{}]", iris.join(", "));
        }
        let _ = writeln!(w, "; legal basis {}", p(&r.legal_basis));
        if let Some(e) = &r.expires_rfc3339 {
            let _ = writeln!(w, "    keep  until {e}");
        }
        for s in &r.shared {
            let _ = write!(
                w,
                "    what  {} v{}: {} records",
                p(&s.name),
                s.version,
                s.records
            );
            if s.from.is_some() || s.until.is_some() {
                let _ = write!(
                    w,
                    ", from {} until {}",
                    s.from.as_deref().unwrap_or("the start"),
                    s.until.as_deref().unwrap_or("the end")
                );
            }
            if !s.dropped.is_empty() {
                let dropped: Vec<String> = s.dropped.iter().map(|d| p(d)).collect();
                let _ = write!(w, "; without {}", dropped.join(", "));
            }
            for (f, step) in &s.coarsened {
                let _ = write!(w, "; {} rounded to {step}", p(f));
            }
            let _ = writeln!(w);
        }
        let _ = writeln!(w, "    receipt {}", r.id);
    }
}
