//! `koffer share`: a selection of a container written as a derived container
//! with its disclosure receipt, the receipt appended to the owner's ledger
//! (spec `disclosure.md`).

use std::io::Write;
use std::path::PathBuf;

use koffer::disclosure::Party;
use koffer::meta::{key, Value};
use koffer::read::Reader;
use koffer::share::{Derived, Selection, Terms};
use koffer_export::printable;

use crate::output::Output;
use crate::{display_name, emit, ledger, read_error, read_input};

/// Exit status of a failed share (spec `command.md` §2).
const FAILED: u8 = 2;

/// The arguments of `koffer share`.
pub struct Args {
    pub input: PathBuf,
    pub output: PathBuf,
    pub recipient: String,
    pub recipient_id: Option<String>,
    pub purpose: String,
    pub purpose_iri: Vec<String>,
    pub basis: String,
    pub types: Vec<String>,
    pub from: Option<String>,
    pub until: Option<String>,
    pub drop: Vec<String>,
    pub coarsen: Vec<String>,
    pub expires: Option<String>,
    pub ledger: Option<PathBuf>,
    pub dry_run: bool,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// days_from_civil).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An RFC 3339 date-time (`2026-09-20T00:00:00Z`, `…+02:00`, fractions up
/// to milliseconds) as Unix ms.
pub fn parse_time(s: &str) -> Result<u64, String> {
    let bad =
        |why: &str| format!("{s:?} is not an RFC 3339 time ({why}; e.g. 2026-09-20T00:00:00Z)");
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Result<u32, String> {
        let t = s.get(r).ok_or_else(|| bad("too short"))?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad("a digit expected"));
        }
        t.parse().map_err(|_| bad("a number expected"))
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return Err(bad("expected YYYY-MM-DDTHH:MM:SS and a zone"));
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return Err(bad("expected T between date and time"));
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&mo)
        || d == 0
        || d > days_in[mo as usize - 1]
        || h > 23
        || mi > 59
        || sec > 60
    {
        return Err(bad("a field is out of range"));
    }
    if sec == 60 {
        return Err(bad(
            "a leap second: Unix time has no :60, give the second before or after",
        ));
    }
    let mut i = 19;
    let mut ms = 0u64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let frac = &s[start..i];
        if frac.is_empty() {
            return Err(bad("digits expected after the point"));
        }
        if frac.len() > 3 && frac[3..].bytes().any(|c| c != b'0') {
            return Err(bad("more precise than a millisecond"));
        }
        let f3: String = frac.chars().chain("000".chars()).take(3).collect();
        ms = f3.parse().map_err(|_| bad("bad fraction"))?;
    }
    let offset_min: i64 = match &s[i..] {
        "Z" | "z" => 0,
        z if z.len() == 6
            && (z.starts_with('+') || z.starts_with('-'))
            && z.as_bytes()[3] == b':' =>
        {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            if oh > 23 || om > 59 {
                return Err(bad("the zone offset is out of range"));
            }
            let v = i64::from(oh * 60 + om);
            if z.starts_with('-') {
                -v
            } else {
                v
            }
        }
        _ => return Err(bad("expected Z or +HH:MM after the time")),
    };
    let secs = days_from_civil(i64::from(y), mo, d) * 86_400
        + i64::from(h) * 3600
        + i64::from(mi) * 60
        + i64::from(sec)
        - offset_min * 60;
    if secs < 0 {
        return Err(bad("before 1970"));
    }
    let ms = secs as u64 * 1000 + ms;
    if ms > LAST_RFC3339_MS {
        return Err(bad("after 9999-12-31T23:59:59.999Z"));
    }
    Ok(ms)
}

/// The last instant RFC 3339 can write, 9999-12-31T23:59:59.999Z, in Unix ms.
const LAST_RFC3339_MS: u64 = 253_402_300_799_999;

/// Whether `s` is an IRI (RFC 3987) as far as `share` checks: a scheme — a
/// letter, then letters, digits, `+`, `-` or `.` — a `:`, then at least one
/// character, none of them a space or a control character.
fn is_iri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sc = scheme.chars();
    sc.next().is_some_and(|c| c.is_ascii_alphabetic())
        && sc.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !rest.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A `--basis` or `--purpose-iri` value as the receipt stores it
/// (disclosure.md §3, command.md §5): a bare DPV term — ASCII letters and
/// digits, a letter first (`Contract`) — becomes `dpv:Contract`, the DPV
/// namespace IRI `https://w3id.org/dpv#X` becomes `dpv:X`; any other IRI or
/// compact term (`dpv:Consent`, `https://x.example/p`) stays as it is;
/// anything else is refused.
pub fn term(option: &str, s: &str) -> Result<String, String> {
    let bare = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric());
    if bare || is_iri(s) {
        return Ok(koffer::share::dpv_term(s));
    }
    Err(format!(
        "{option} {s:?}: expected an IRI (https://w3id.org/dpv#ServiceProvision), a compact \
         term (dpv:ServiceProvision) or a bare DPV term (ServiceProvision)"
    ))
}

/// The text arguments of a receipt, checked: a recipient and a purpose are
/// named (not empty), `--recipient-id` is an IRI (not empty), and
/// `--basis`/`--purpose-iri` are terms ([`term`]).
fn texts(a: &Args) -> Result<(Option<String>, String, Vec<String>), String> {
    if a.recipient.is_empty() {
        return Err("--recipient: expected the recipient's name, not an empty string".into());
    }
    if a.purpose.is_empty() {
        return Err("--purpose: expected why, in words, not an empty string".into());
    }
    let id = match a.recipient_id.as_deref() {
        Some(id) if !is_iri(id) => {
            return Err(format!(
                "--recipient-id {id:?}: expected a URI (https://lab.example/, mailto:a@b.example, did:…)"
            ))
        }
        id => id.map(str::to_string),
    };
    let basis = term("--basis", &a.basis)?;
    let iris = a
        .purpose_iri
        .iter()
        .map(|i| term("--purpose-iri", i))
        .collect::<Result<_, _>>()?;
    Ok((id, basis, iris))
}

/// 16 random bytes as a UUID version 4 (RFC 9562).
fn receipt_id() -> Result<[u8; 16], String> {
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).map_err(|e| format!("no random bytes for the receipt id: {e}"))?;
    id[6] = (id[6] & 0x0F) | 0x40;
    id[8] = (id[8] & 0x3F) | 0x80;
    Ok(id)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The selection from the arguments, or the one-line reason it is wrong.
fn selection(a: &Args) -> Result<Selection, String> {
    let time = |opt: &str, v: &Option<String>| {
        v.as_deref()
            .map(parse_time)
            .transpose()
            .map_err(|e| format!("{opt}: {e}"))
    };
    let mut coarsen = Vec::new();
    for c in &a.coarsen {
        let (field, step) = c
            .rsplit_once('=')
            .ok_or_else(|| format!("--coarsen {c:?}: expected FIELD=STEP (e.g. heart_rate=5)"))?;
        let step: f64 = step
            .parse()
            .ok()
            .filter(|s: &f64| s.is_finite() && *s > 0.0)
            .ok_or_else(|| format!("--coarsen {c:?}: STEP must be a positive number"))?;
        coarsen.push((field.to_string(), step));
    }
    let (from, until) = (time("--from", &a.from)?, time("--until", &a.until)?);
    if let (Some(f), Some(u)) = (from, until) {
        if f >= u {
            return Err(format!(
                "--from {:?} is not before --until {:?}: the time range is empty",
                a.from.as_deref().unwrap_or(""),
                a.until.as_deref().unwrap_or("")
            ));
        }
    }
    Ok(Selection {
        types: a.types.clone(),
        from,
        until,
        drop: a.drop.clone(),
        coarsen,
    })
}

pub fn share(a: &Args) -> u8 {
    let name = display_name(&a.input);
    let out_name = a.output.display().to_string();
    let fail = |file: &str, what: &str| {
        fail!("koffer: {file}: {what}");
        FAILED
    };
    let sel = match selection(a) {
        Ok(s) => s,
        Err(e) => return fail(&name, &e),
    };
    let (recipient_id, basis, iris) = match texts(a) {
        Ok(t) => t,
        Err(e) => return fail(&name, &e),
    };
    let expires = match a.expires.as_deref().map(parse_time).transpose() {
        Ok(e) => e,
        Err(e) => return fail(&name, &format!("--expires: {e}")),
    };
    if a.input.as_os_str() != "-" && crate::output::same_file(&a.output, &a.input) {
        return fail(
            &out_name,
            "is the input file: refusing to overwrite it (write to another file)",
        );
    }
    let bytes = match read_input(&a.input, &name) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let reader = match Reader::new(&bytes) {
        Ok(r) => r,
        Err(e) => return read_error(&name, &e, &bytes),
    };
    if let Err(e) = reader.verify() {
        return read_error(&name, &e, &bytes);
    }
    let subject = match reader.metadata_value(key::SUBJECT_PSEUDONYM) {
        Ok(Some(Value::Str(s))) => s,
        _ => "",
    };
    let id = match receipt_id() {
        Ok(id) => id,
        Err(e) => return fail(&name, &e),
    };
    let iris: Vec<&str> = iris.iter().map(String::as_str).collect();
    let terms = Terms {
        id,
        time: now_ms(),
        subject,
        discloser: Party {
            name: "owner",
            id: None,
        },
        recipient: Party {
            name: &a.recipient,
            id: recipient_id.as_deref(),
        },
        purpose: &a.purpose,
        purpose_iris: &iris,
        legal_basis: &basis,
        expires,
    };
    let derived = match koffer::share::share(&bytes, &sel, &terms) {
        Ok(d) => d,
        Err(koffer::share::Error::Source(e)) => return read_error(&name, &e, &bytes),
        Err(e) => return fail(&name, &e.to_string()),
    };
    if a.dry_run {
        let text = dry_run_text(&derived, &a.recipient);
        return match emit(&text) {
            Ok(()) => 0,
            Err(code) => code,
        };
    }

    // The ledger: checked before anything is written.
    let ledger_path = match a.ledger.clone().or_else(ledger::default_path) {
        Some(p) => p,
        None => {
            return fail(
                "ledger",
                "no ledger path: set XDG_DATA_HOME or HOME, or give --ledger PATH",
            )
        }
    };
    let ledger_name = ledger_path.display().to_string();
    if crate::output::same_file(&ledger_path, &a.input)
        || crate::output::same_file(&ledger_path, &a.output)
        || ledger::normal(&ledger_path) == ledger::normal(&a.output)
    {
        return fail(&ledger_name, "the ledger is the input or the output file");
    }
    // One share at a time appends: the lock is held from reading the ledger
    // to its flushed append and OUT in place (disclosure.md §7).
    let _lock = match ledger::Lock::take(&ledger_path) {
        Ok(l) => l,
        Err(e) => return fail(&ledger_name, &e),
    };
    let existing = match ledger::read_existing(&ledger_path) {
        Ok(b) => b,
        Err(e) => return fail(&ledger_name, &format!("cannot read the ledger: {e}")),
    };
    let plan = match koffer::share::ledger_append(&existing, &derived.receipt) {
        Ok(p) => p,
        Err(e) => return fail(&ledger_name, &e.to_string()),
    };

    // OUT to a temporary file, flushed to storage; the ledger appended; then
    // OUT put in place. A device or pipe, written in place, is written only
    // after the append, which is undone when writing it fails: a failed
    // share delivers nothing that its ledger does not record.
    let mut out = match Output::create(&a.output, &a.input) {
        Ok(o) => o,
        Err(e) => return fail(&out_name, &format!("cannot write: {e}")),
    };
    if !out.in_place() {
        if let Err(e) = out.write_all(&derived.bytes).and_then(|()| out.sync()) {
            return fail(&out_name, &format!("cannot write: {e}"));
        }
    }
    if let Err(e) = ledger::apply(&ledger_path, &existing, &plan) {
        return fail(&ledger_name, &format!("cannot append the receipt: {e}"));
    }
    let written = if out.in_place() {
        out.write_all(&derived.bytes).and_then(|()| out.sync())
    } else {
        Ok(())
    };
    if let Err(e) = written.and_then(|()| out.commit()) {
        ledger::restore(&ledger_path, &existing, &plan);
        return fail(&out_name, &format!("cannot write: {e}"));
    }
    let records: u64 = derived.types.iter().map(|t| t.records).sum();
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let line = format!(
        "{out_name}: shared {} of {} with {}; receipt {}; ledger {ledger_name}: {}\n",
        plural(records, "record", "records"),
        plural(derived.types.len() as u64, "record type", "record types"),
        a.recipient,
        koffer::share::uuid(&id),
        plural(plan.before as u64 + 1, "receipt", "receipts"),
    );
    match emit(&line) {
        Ok(()) => 0,
        Err(code) => code,
    }
}

/// What `--dry-run` prints: per type, the records and fields that would be
/// shared.
fn dry_run_text(d: &Derived, recipient: &str) -> String {
    let p = printable;
    let mut o = format!("would share with {}:\n", p(recipient));
    for t in &d.types {
        o += &format!(
            "  {} v{}: {} of {} records",
            p(&t.name),
            t.version,
            t.records,
            t.source_records
        );
        if let Some(f) = &t.time_field {
            o += &format!(" (by time field {})", p(f));
        }
        o += "\n";
        let fields: Vec<String> = t.fields.iter().map(|f| p(f)).collect();
        o += &format!(
            "    fields: {}\n",
            if fields.is_empty() {
                "(not described)".to_string()
            } else {
                fields.join(", ")
            }
        );
        if !t.dropped.is_empty() {
            let dropped: Vec<String> = t.dropped.iter().map(|f| p(f)).collect();
            o += &format!("    dropped: {}\n", dropped.join(", "));
        }
        for (f, s) in &t.coarsened {
            o += &format!("    coarsened: {} to multiples of {s}\n", p(f));
        }
    }
    for l in &d.left_out {
        o += &format!("  left out: {} ({})\n", p(&l.name), p(&l.why));
    }
    o += "nothing written (--dry-run)\n";
    o
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn rfc3339_times() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_time("2026-01-01T00:00:00Z"), Ok(1_767_225_600_000));
        assert_eq!(
            parse_time("2026-01-01T01:00:00+01:00"),
            Ok(1_767_225_600_000)
        );
        assert_eq!(parse_time("2026-01-01T00:00:00.5Z"), Ok(1_767_225_600_500));
        assert_eq!(parse_time("2024-02-29T00:00:00Z"), Ok(1_709_164_800_000));
        assert!(parse_time("2025-02-29T00:00:00Z").is_err());
        assert!(parse_time("2026-01-01").is_err());
        assert!(parse_time("2026-01-01T00:00:00.0001Z").is_err());
        assert!(parse_time("1969-12-31T23:59:59Z").is_err());
        assert_eq!(
            parse_time("9999-12-31T23:59:59.999Z"),
            Ok(super::LAST_RFC3339_MS)
        );
        assert!(parse_time("9999-12-31T23:59:59-01:00").is_err());
        // A multibyte character where the zone's ':' is: refused, no panic.
        assert!(parse_time("2026-09-15T00:00:00+0\u{e9}00").is_err());
        assert!(parse_time("2026-09-15T00:00:00+\u{e9}:00").is_err());
        // A leap second is refused with its reason.
        let e = parse_time("2016-12-31T23:59:60Z").unwrap_err();
        assert!(e.contains("leap second"), "{e}");
    }

    #[test]
    fn terms_are_normalised_or_refused() {
        use super::term;
        assert_eq!(term("--basis", "Contract").unwrap(), "dpv:Contract");
        assert_eq!(term("--basis", "dpv:Consent").unwrap(), "dpv:Consent");
        assert_eq!(
            term("--purpose-iri", "https://w3id.org/dpv#ServiceProvision").unwrap(),
            "dpv:ServiceProvision"
        );
        assert_eq!(
            term("--purpose-iri", "https://x.example/p#q").unwrap(),
            "https://x.example/p#q"
        );
        for bad in [
            "",
            "dpv:",
            "Service Provision",
            "1abc",
            ":x",
            "a b:c",
            "x:\u{1b}",
        ] {
            assert!(term("--purpose-iri", bad).is_err(), "{bad:?}");
        }
    }
}
