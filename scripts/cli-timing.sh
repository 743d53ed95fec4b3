#!/usr/bin/env bash
# The command's speed on a large container, side by side in one run (issue 17):
# `cksum` of the file (the floor: read it once), `koffer verify`, and the
# NDJSON, CSV and Parquet exports, as ratios (minimum wall time over the rounds, the
# cases interleaved so that a busy machine disturbs them alike).
#
#   bash scripts/cli-timing.sh [DAYS] [ROUNDS]
#
# DAYS (default 24400: ≈ 1 GB, 35 million records) of the wearable example
# (`cargo run --release --features derive --example wearable -- --days N`),
# written once to target/cli-timing/wearable-DAYS.koffer; the exports are
# timed on a 100 MB container (2431 days), as issue 17 measured them, and
# written to /dev/null and a scratch directory. ROUNDS defaults to 3.
# On x86-64 `koffer verify` is timed twice: as `cargo build --release` builds
# it (for x86-64-v2, .cargo/config.toml: SSE 4.2 known at compile time, so the
# frame checksums use the CRC-32C instruction inlined), and built for the
# plain x86-64 baseline (the `crc32c` crate's run-time dispatch;
# target/x86-64-baseline) for comparison.
# Targets: verify <= 1.5x cksum; CSV and Parquet exports <= the NDJSON export
# (the Parquet export runs on two threads: its CPU time is shown beside its wall time).
set -euo pipefail
command -v /usr/bin/time >/dev/null || { echo 'cli-timing: needs GNU time (apt-get install time)' >&2; exit 1; }
cd "$(dirname "$0")/.."
days=${1:-24400}
rounds=${2:-3}
export_days=2431
dir=target/cli-timing
mkdir -p "$dir"

cargo build --release -q -p koffer-cli
cargo build --release -q --features derive --example wearable
koffer=target/release/koffer
# The same command built for the plain x86-64 baseline (no SSE 4.2 at compile
# time: the checksums through the `crc32c` crate's run-time dispatch), in its
# own target directory; on other machines the row is left out.
koffer_v2=
if [ "$(uname -m)" = x86_64 ]; then
  RUSTFLAGS="-C target-cpu=x86-64" CARGO_TARGET_DIR=target/x86-64-baseline \
    cargo build --release -q -p koffer-cli
  koffer_v2=target/x86-64-baseline/release/koffer
fi
make() { # days -> path
  local f=$dir/wearable-$1.koffer
  [ -s "$f" ] || target/release/examples/wearable --days "$1" "$f" >/dev/null
  echo "$f"
}
big=$(make "$days")
small=$(make "$export_days")

declare -A best cpu
run() { # name command... : minimum wall time and minimum CPU time (user + system)
  local name=$1 out w c
  shift
  /usr/bin/time -o "$dir/time" -f '%e %U %S' "$@" >/dev/null 2>&1 ||
    { echo "cli-timing: $name failed" >&2; exit 1; }
  out=$(tail -1 "$dir/time")
  w=$(echo "$out" | awk '{ print $1 }')
  c=$(echo "$out" | awk '{ print $2 + $3 }')
  if [ -z "${best[$name]:-}" ] || [ "$(echo "$w < ${best[$name]}" | bc -l)" = 1 ]; then best[$name]=$w; fi
  if [ -z "${cpu[$name]:-}" ] || [ "$(echo "$c < ${cpu[$name]}" | bc -l)" = 1 ]; then cpu[$name]=$c; fi
}
csvdir=$dir/csv
pqdir=$dir/parquet
cases=(cksum verify ndjson csv parquet)
[ -n "$koffer_v2" ] && cases+=(verify-v2)
# One untimed pass brings both files into the page cache.
cat "$big" "$small" >/dev/null
for ((r = 0; r < rounds; r++)); do
  for ((k = 0; k < ${#cases[@]}; k++)); do
    c=${cases[$(( (k + r) % ${#cases[@]} ))]}
    case $c in
      cksum) run cksum cksum "$big" ;;
      verify) run verify "$koffer" verify "$big" ;;
      verify-v2) run verify-v2 "$koffer_v2" verify "$big" ;;
      ndjson) run ndjson "$koffer" export --format ndjson -o /dev/null "$small" ;;
      csv) rm -rf "$csvdir"; run csv "$koffer" export --format csv -o "$csvdir" "$small" ;;
      parquet) rm -rf "$pqdir"; run parquet "$koffer" export --format parquet -o "$pqdir" "$small" ;;
    esac
  done
done

size() { stat -L -c %s "$1"; }
ratio() { echo "$1 / $2" | bc -l; }
printf '\nkoffer CLI timing, %d rounds, minimum wall and CPU (user + system) time (load average %s)\n\n' \
  "$rounds" "$(cut -d' ' -f1 /proc/loadavg)"
printf '| case | input | wall s | ratio (wall) | CPU s | ratio (CPU) |\n|---|---|---:|---:|---:|---:|\n'
printf '| cksum | %s (%d B) | %.2f | 1.00 | %.2f | 1.00 |\n' "$big" "$(size "$big")" "${best[cksum]}" "${cpu[cksum]}"
printf '| koffer verify | same | %.2f | %.2f x cksum | %.2f | %.2f x cksum |\n' \
  "${best[verify]}" "$(ratio "${best[verify]}" "${best[cksum]}")" "${cpu[verify]}" "$(ratio "${cpu[verify]}" "${cpu[cksum]}")"
if [ -n "$koffer_v2" ]; then
  printf '| koffer verify, built for the x86-64 baseline | same | %.2f | %.2f x cksum | %.2f | %.2f x cksum |\n' \
    "${best[verify-v2]}" "$(ratio "${best[verify-v2]}" "${best[cksum]}")" "${cpu[verify-v2]}" "$(ratio "${cpu[verify-v2]}" "${cpu[cksum]}")"
fi
printf '| koffer export --format ndjson | %s (%d B) | %.2f | 1.00 | %.2f | 1.00 |\n' \
  "$small" "$(size "$small")" "${best[ndjson]}" "${cpu[ndjson]}"
printf '| koffer export --format csv | same | %.2f | %.2f x NDJSON | %.2f | %.2f x NDJSON |\n' \
  "${best[csv]}" "$(ratio "${best[csv]}" "${best[ndjson]}")" "${cpu[csv]}" "$(ratio "${cpu[csv]}" "${cpu[ndjson]}")"
printf '| koffer export --format parquet | same | %.2f | %.2f x NDJSON | %.2f | %.2f x NDJSON |\n' \
  "${best[parquet]}" "$(ratio "${best[parquet]}" "${best[ndjson]}")" "${cpu[parquet]}" "$(ratio "${cpu[parquet]}" "${cpu[ndjson]}")"
printf '\ntargets: verify <= 1.5 x cksum; CSV export <= 1.0 x NDJSON; Parquet export <= 1.0 x NDJSON (issue 16)\n'
