#!/usr/bin/env bash
# Runs examples/firmware-cortex-m in QEMU (Cortex-M3, lm3s6965evb) and checks
# its exports on the host with the `koffer` command. The firmware keeps each
# export on an emulated external SPI NOR flash (256-byte pages, 4 KiB
# sectors, erased = 0xFF, programming only clears bits; not memory-mapped:
# read 256 bytes at a time), whose cells are a 256 KiB image file:
#   1. full:   the whole export written to flash-full.img, read back in
#              256-byte chunks and verified on the device (read::Feed), then
#              copied out to wearable-full.koffer through semihosting;
#   2. cut:    the same export on flash.img, the power failing mid-frame (in a
#              page program) after 22000 bytes; the image as the cut left it
#              is kept as wearable-cut.koffer (a container, a torn frame,
#              then erased 0xFF flash);
#      resume: a second boot reads the flash in 256-byte chunks into
#              Feed::structure_only (ResumePoint::from_feed: the intact
#              prefix), erases what the torn frame programmed, recomputes the
#              running digest from the prefix read back in 256-byte chunks,
#              resumes the export to the end, verifies the whole of it read
#              back in 256-byte chunks (Feed::new) and copies it out to
#              wearable-resumed.koffer.
# The export is sealed (spec seal.md) with the firmware's compiled-in DEMO
# key, whose public key the firmware writes to device.pub. Each file must
# pass `koffer verify`, `koffer verify --key device.pub` (the cut one: exit 3,
# authentic up to its last seal, the byte and seal the firmware reported),
# and `koffer export --format ndjson` must give exactly the records the
# firmware's deterministic generator makes; another key must be refused.
# Each chip image must hold its copied-out container and 0xFF after it. Then
# eight more cut points, each resumed to the byte-identical export, and four
# cuts during the resumed boot (while erasing the torn frame, while writing
# on), each finished by a third boot.
# Installs only what is missing (the rustup target; QEMU from bookworm-backports,
# as root). Exit 0 only if everything holds. Usage: bash scripts/firmware-demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
fw=examples/firmware-cortex-m
start=$(date +%s)
say() { printf 'firmware-demo: %s\n' "$*"; }

# --- what it needs -----------------------------------------------------------
if ! rustup target list --installed | grep -qx thumbv7m-none-eabi; then
  say "adding the rustup target thumbv7m-none-eabi"
  rustup target add thumbv7m-none-eabi >/dev/null
fi
if ! command -v qemu-system-arm >/dev/null; then
  say "installing qemu-system-arm from bookworm-backports"
  . "$(dirname "$0")/backports.sh"
  install_backports qemu-system-arm
fi
command -v python3 >/dev/null || { echo "firmware-demo: python3 is needed for the host check" >&2; exit 1; }

# --- build -------------------------------------------------------------------
say "building $fw (thumbv7m-none-eabi, release)"
(cd "$fw" && cargo build --release -q)
elf=$root/$fw/target/thumbv7m-none-eabi/release/firmware-cortex-m
cargo build -q -p koffer-cli
koffer=$root/target/debug/koffer

# --- run ---------------------------------------------------------------------
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
boot() { # phase [argument]: one boot of the firmware, files land in $out
  (cd "$out" && timeout 120 qemu-system-arm -cpu cortex-m3 -machine lm3s6965evb -nographic \
     -semihosting-config "enable=on,target=native,arg=firmware,arg=$1${2:+,arg=$2}" -kernel "$elf")
}
run() { boot "$1" | tee "$out/$1.log"; }
say "scenario 1: full export"
run full
say "scenario 2: power cut, reboot, resume"
run cut
# The chip as the power cut left it, as a programmer would read it out.
cp "$out/flash.img" "$out/wearable-cut.koffer"
run resume

# --- check on the host ---------------------------------------------------------
fail() { echo "firmware-demo: FAILED: $*" >&2; exit 1; }
# The device's own read-back: every check, in 256-byte chunks from the flash.
for phase in full resume; do
  grep -q "^firmware: $phase: read back [0-9]* bytes of flash in 256-byte chunks and verified (Feed::new): complete, 214 frames, 186 blocks, 3000 records handed out" "$out/$phase.log" \
    || fail "$phase: the firmware did not report its verified read-back"
done
grep -q "^firmware: resume: read [0-9]* bytes of flash in 256-byte chunks (Feed::structure_only" "$out/resume.log" \
  || fail "resume: the firmware did not find its resume point on the flash"
for f in wearable-full.koffer wearable-resumed.koffer; do
  "$koffer" verify "$out/$f" || fail "koffer verify $f"
  "$koffer" export "$out/$f" --format ndjson -o "$out/$f.ndjson" || fail "koffer export $f"
done
# The file as the power cut left it: incomplete (exit 3), its intact records exportable.
set +e; "$koffer" verify "$out/wearable-cut.koffer" 2>/dev/null; st=$?; set -e
[ "$st" = 3 ] || fail "koffer verify on the cut file: exit $st, expected 3 (incomplete)"

# Seals: both complete files authentic with the device's public key; the cut
# one authentic up to its last seal, where the firmware said its last seal
# ended (and where the resumed boot found it again from the read-back).
[ -s "$out/device.pub" ] || fail "the firmware wrote no device.pub"
for f in wearable-full.koffer wearable-resumed.koffer; do
  "$koffer" verify "$out/$f" --key "$out/device.pub" >"$out/$f.seal" \
    || fail "koffer verify --key device.pub $f"
  say "$(cat "$out/$f.seal")"
done
seals=$(sed -n 's/.* \([0-9]*\) seals written, the last ending at byte \([0-9]*\)$/\1 \2/p' "$out/cut.log")
reseals=$(sed -n 's/.*-byte chunks: \([0-9]*\) seals, the last ending at byte \([0-9]*\)$/\1 \2/p' "$out/resume.log")
valid=$(sed -n 's/.*intact prefix \([0-9]*\) bytes.*/\1/p' "$out/resume.log")
read -r nseals sealed_to <<<"${seals:-x x}"
[ -n "$seals" ] && [ "$seals" = "$reseals" ] && [ "$nseals" -gt 0 ] && [ "$sealed_to" -lt "$valid" ] \
  || fail "cut: the firmware saw seals '${seals:-?}', the resumed boot '${reseals:-?}' (intact prefix ${valid:-?})"
set +e; "$koffer" verify "$out/wearable-cut.koffer" --key "$out/device.pub" 2>"$out/cut.seal"; st=$?; set -e
[ "$st" = 3 ] || fail "koffer verify --key on the cut file: exit $st, expected 3 (authentic up to its last seal)"
grep -q "at byte $sealed_to: incomplete: authentic up to byte $sealed_to (seal $nseals); $(( valid - sealed_to )) bytes after it are not sealed (valid length $valid of" "$out/cut.seal" \
  || fail "koffer verify --key on the cut file said: $(cat "$out/cut.seal")"
say "cut file, sealed: $(cat "$out/cut.seal")"
# Another key is not the device's: not authentic (exit 6), at the KEY frame.
"$koffer" keygen -o "$out/other" >/dev/null
set +e; "$koffer" verify "$out/wearable-full.koffer" --key "$out/other.pub" 2>"$out/other.seal"; st=$?; set -e
[ "$st" = 6 ] && grep -q "not authentic: UntrustedKey" "$out/other.seal" \
  || fail "koffer verify --key other.pub: exit $st: $(cat "$out/other.seal")"
say "another key: $(cat "$out/other.seal")"
"$koffer" export "$out/wearable-cut.koffer" --format ndjson -o "$out/cut.ndjson" 2>"$out/cut.warn" \
  || fail "koffer export of the cut file"
say "cut file: $(cat "$out/cut.warn")"
before=$(sed -n 's/.* \([0-9]*\) records were in intact blocks.*/\1/p' "$out/cut.log")
resumed_at=$(sed -n 's/.*continued at record \([0-9]*\);.*/\1/p' "$out/resume.log")
[ -n "$before" ] && [ "$before" = "$resumed_at" ] || fail "cut reported ${before:-?} records, resume continued at ${resumed_at:-?}"

python3 - "$out" "$before" <<'PY' || fail "host check of the records"
import json, sys
out, before = sys.argv[1], int(sys.argv[2])

# Each chip holds its container, then erased flash (the torn frame's bytes
# were erased before the resume): nothing else was programmed.
for chip, name in (("flash-full.img", "wearable-full.koffer"),
                   ("flash.img", "wearable-resumed.koffer")):
    image, copied = (open(f"{out}/{f}", "rb").read() for f in (chip, name))
    if not image.startswith(copied) or image[len(copied):].strip(b"\xff"):
        sys.exit(f"{chip}: not {name} followed by erased (0xFF) flash")
    print(f"firmware-demo: {chip}: {len(copied)} bytes of container, "
          f"{len(image) - len(copied)} bytes of erased flash after it")
TOTAL, T0 = 3000, 1_789_344_000_000
ACT = ["Rest", "Walk", "Run", "Cycle"]

def item(k):  # mirrors item() in examples/firmware-cortex-m/src/main.rs
    ts = T0 + k * 60_000
    if k % 500 == 250:
        kind, detail = (("charge", "charger connected") if (k // 500) % 2 == 0
                        else ("alert", "resting heart rate above 90"))
        return {"type": "event", "record_type": 1, "index": k,
                "value": {"timestamp_ms": ts, "kind": kind, "detail": detail}}
    return {"type": "sample", "record_type": 0, "index": k, "value": {
        "timestamp_ms": ts, "heart_rate": 55 + (k * 7) % 40, "steps": (k * 13) % 120,
        "lat": 52.52 + float(k) * 1e-5, "lon": 13.405 - float(k) * 2e-5,
        "battery_pct": 100 - (k * 100) // TOTAL, "activity": ACT[(k // 50) % 4],
        "note": "checkpoint" if k % 100 == 0 else None}}

def load(name):
    with open(f"{out}/{name}") as f:
        return [json.loads(line) for line in f if line.strip()]

expected = [item(k) for k in range(TOTAL)]
for name in ("wearable-full.koffer.ndjson", "wearable-resumed.koffer.ndjson"):
    got = load(name)
    if len(got) != TOTAL:
        sys.exit(f"{name}: {len(got)} records, expected {TOTAL}")
    for k, (g, e) in enumerate(zip(got, expected)):
        if g != e:  # floats compare exactly: the JSON mapping is lossless
            sys.exit(f"{name}: record {k} is {g}, expected {e}")
    n = {t: sum(r["type"] == t for r in got) for t in ("sample", "event")}
    print(f"firmware-demo: {name[:-7]}: {len(got)} records as generated "
          f"({n['sample']} samples, {n['event']} events)")
cut = load("cut.ndjson")
if len(cut) != before or cut != expected[:before]:
    sys.exit(f"cut file: {len(cut)} intact records, expected the first {before}")
print(f"firmware-demo: cut file: the {before} records completed before the cut, "
      f"all in the resumed file")
PY
cmp -s "$out/wearable-full.koffer" "$out/wearable-resumed.koffer" \
  && say "the resumed export is byte-identical to the uninterrupted one"

# More power cuts, each followed by a resume boot: inside the header, the KEY
# frame, the metadata, a few records in, at and just past a sector boundary,
# in the last frames. Every resumed export must verify on the device and be
# the uninterrupted one, byte for byte.
for at in 10 30 300 1000 4096 4100 61439 88000; do
  boot cut "$at" >"$out/cut-$at.log" || fail "cut at $at: $(tail -1 "$out/cut-$at.log")"
  boot resume >"$out/resume-$at.log" || fail "resume after a cut at $at: $(tail -1 "$out/resume-$at.log")"
  grep -q "^firmware: resume: read back .* verified (Feed::new): complete, 214 frames, 186 blocks, 3000 records" "$out/resume-$at.log" \
    && cmp -s "$out/wearable-full.koffer" "$out/wearable-resumed.koffer" \
    || fail "resume after a cut at $at: not the uninterrupted export"
done
say "cuts after 10, 30, 300, 1000, 4096, 4100, 61439, 88000 bytes: each resumed to the uninterrupted export"

# The power failing again in the resumed boot, 22000 bytes into the export:
# while the sector holding the prefix's end is copied to the scratch sector
# (600 bytes programmed), while the repair mark is programmed (1215), after
# it, while the copy is programmed back (1300: the next boot finishes the
# repair from the scratch sector), and while the export is written on (5000).
# A third boot must finish the export, byte for byte the uninterrupted one.
for at in 600 1215 1300 5000; do
  boot cut 22000 >"$out/cut-again-$at.log" || fail "cut before a cut at $at in the resumed boot"
  boot resume "$at" >"$out/resume-cut-$at.log" || fail "resume cut at $at: $(tail -1 "$out/resume-cut-$at.log")"
  grep -q "^firmware: resume: power lost again" "$out/resume-cut-$at.log" \
    || fail "resume cut at $at: the power did not fail in the resumed boot"
  boot resume >"$out/resume-again-$at.log" || fail "resume after a cut at $at in the resumed boot: $(tail -1 "$out/resume-again-$at.log")"
  grep -q "^firmware: resume: read back .* verified (Feed::new): complete, 214 frames, 186 blocks, 3000 records" "$out/resume-again-$at.log" \
    && cmp -s "$out/wearable-full.koffer" "$out/wearable-resumed.koffer" \
    || fail "resume after a cut at $at in the resumed boot: not the uninterrupted export"
done
grep -q "^firmware: resume: finished the repair a power cut interrupted" "$out/resume-again-1300.log" \
  || fail "a cut during the copy-back: the next boot did not finish the repair"
say "cuts in the resumed boot after 600, 1215, 1300, 5000 bytes: each finished by the next boot to the uninterrupted export"
say "all checks passed ($(( $(date +%s) - start ))s)"
