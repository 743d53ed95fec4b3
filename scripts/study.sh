#!/usr/bin/env bash
# The analytics study at scale (spec/arrow.md, README "Analytics"):
#   1. generates N synthetic exports, one per subject (examples/wearable.rs
#      --subject I: its own seed and pseudonym s-IIIII), in parallel;
#   2. converts each to Parquet (`koffer export --format parquet`), in
#      parallel, into a dataset partitioned by subject, hive style:
#      DIR/dataset/<type>/subject=s-IIIII/<type>.parquet;
#   3. runs one DuckDB query across all of it (pip package duckdb, installed
#      into a venv in DIR if python3 cannot import it).
# Prints records, seconds and records/s per core (CPU time of the
# conversions) for BENCHMARKS.md.
#
# usage: scripts/study.sh [N (1000)] [DIR (target/study)] [JOBS (nproc)]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000}"
dir="${2:-target/study}"
jobs="${3:-$(nproc)}"

cargo build --release -q --example wearable
cargo build --release -q -p koffer-cli
gen="$PWD/target/release/examples/wearable"
koffer="$PWD/target/release/koffer"

rm -rf "$dir/exports" "$dir/dataset"
mkdir -p "$dir/exports" "$dir/dataset"
dir="$(cd "$dir" && pwd)"

echo "study: generating $n exports ($jobs jobs)"
seq 0 $((n - 1)) | xargs -P "$jobs" -I{} sh -c \
    'i=$(printf %05d {}); "$1" --subject {} "$2/exports/s-$i.koffer" >/dev/null' _ "$gen" "$dir"


convert() {
    local src="$1" out="$2" koffer="$3"
    local subject
    subject="$(basename "$src" .koffer)"
    local tmp="$out/.tmp-$subject"
    "$koffer" export "$src" --format parquet -o "$tmp"
    for p in "$tmp"/*.parquet; do
        local t
        t="$(basename "$p" .parquet)"
        mkdir -p "$out/$t/subject=$subject"
        mv "$p" "$out/$t/subject=$subject/$t.parquet"
    done
    rmdir "$tmp"
}
export -f convert

echo "study: converting to a Parquet dataset partitioned by subject ($jobs jobs)"
TIMEFORMAT='%R %U %S'
times=$( { time (ls "$dir"/exports/*.koffer | xargs -P "$jobs" -I{} bash -c 'convert "$1" "$2" "$3"' _ {} "$dir/dataset" "$koffer") ; } 2>&1 )
read -r wall user sys <<<"$times"

total=0
for f in "$dir"/exports/*.koffer; do
    total=$((total + $(stat -c %s "$f")))
done

py=python3
if ! python3 -c 'import duckdb' 2>/dev/null; then
    python3 -m venv "$dir/venv"
    "$dir/venv/bin/python" -m pip install -q duckdb==2.0.1
    py="$dir/venv/bin/python"
fi

"$py" - "$dir/dataset" "$n" "$koffer" "$wall" "$user" "$sys" "$total" <<'PY'
import glob, json, os, subprocess, sys, duckdb
dataset, n, koffer, wall, user, sys_t, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
q = f"""
SELECT count(DISTINCT subject) AS subjects,
       count(*) AS minutes,
       round(avg(heart_rate) FILTER (WHERE heart_rate > 0), 2) AS mean_hr,
       sum(steps) AS steps
FROM read_parquet('{dataset}/sample/*/*.parquet', hive_partitioning = true)
"""
subjects, minutes, mean_hr, steps = duckdb.sql(q).fetchall()[0]
events = duckdb.sql(f"SELECT count(*) FROM read_parquet('{dataset}/event/*/*.parquet', hive_partitioning = true)").fetchall()[0][0]
print(f"query: {subjects} subjects, {minutes} sample rows, {events} event rows, mean heart rate {mean_hr}/min, {steps} steps")
top = duckdb.sql(f"""
SELECT subject, sum(steps) AS steps
FROM read_parquet('{dataset}/sample/*/*.parquet', hive_partitioning = true)
GROUP BY subject ORDER BY steps DESC LIMIT 3""").fetchall()
print("most steps:", ", ".join(f"{s} {v}" for s, v in top))
records = minutes + events
exports = sorted(glob.glob(os.path.join(os.path.dirname(dataset), "exports", "*.koffer")))
want = sum(json.loads(subprocess.run([koffer, "inspect", "--json", f], capture_output=True, check=True).stdout)["records"] for f in exports)
assert subjects == n, (subjects, n)
assert records == want, (records, want)
cpu = user + sys_t
print(f"conversion: {records} records ({size / 1e6:.1f} MB of exports) in {wall:.2f} s wall, {cpu:.2f} s CPU: "
      f"{records / cpu:,.0f} records/s per core, {records / wall:,.0f} records/s on this machine")
PY
