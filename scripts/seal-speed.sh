#!/usr/bin/env bash
# `koffer verify --key` of a 100 MB sealed container against `sha256sum` of
# the same file, side by side in one run (issue 15: within 1.5x).
#
#   bash scripts/seal-speed.sh [RUNS]
#
# Builds the release command and the wearable example, writes a 100 MB
# container (2,431 days), seals it every 64 and every 1024 blocks, then times
# sha256sum and verify --key alternately, RUNS times each (default 5), and
# prints the median wall-clock seconds and their ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cargo build -q --release -p koffer-cli
cargo build -q --release --features derive --example wearable
k=target/release/koffer
target/release/examples/wearable --days 2431 "$dir/big.koffer" >/dev/null
"$k" keygen -o "$dir/dev" >/dev/null
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '| file | bytes | seals | sha256sum (s) | verify --key (s) | ratio |\n|---|---:|---:|---:|---:|---:|\n'
for every in 64 1024; do
  f="$dir/big-$every.koffer"
  "$k" seal "$dir/big.koffer" -o "$f" --key "$dir/dev.key" --every "$every" 2>/dev/null
  seals=$("$k" inspect "$f" | sed -n 's/^seals .* \([0-9]*\) seals,.*/\1/p')
  cat "$f" >/dev/null
  : >"$dir/a"; : >"$dir/b"
  for _ in $(seq "$runs"); do
    t0=$(now); sha256sum "$f" >/dev/null; t1=$(now)
    "$k" verify "$f" --key "$dir/dev.pub" >/dev/null; t2=$(now)
    echo "$t1 - $t0" | bc -l >>"$dir/a"
    echo "$t2 - $t1" | bc -l >>"$dir/b"
  done
  a=$(median <"$dir/a"); b=$(median <"$dir/b")
  printf '| every %s blocks | %s | %s | %.3f | %.3f | %.2f |\n' "$every" "$(stat -c %s "$f")" "$seals" "$a" "$b" "$(echo "$b / $a" | bc -l)"
done
