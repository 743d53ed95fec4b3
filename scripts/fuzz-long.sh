#!/usr/bin/env bash
# The long fuzzing campaign: runs each cargo-fuzz target for a number of
# executions (default 10 million) and prints one summary line per target.
# Usage: bash scripts/fuzz-long.sh [RUNS] [TARGET ...]
#   RUNS     executions per target (libFuzzer -runs), default 10000000
#   TARGET   default: every target of fuzz/ (cargo fuzz list)
# WORKERS=N splits a target's executions over N processes sharing its corpus
# (default 1); the line then gives their sum.
# Built with debug assertions and overflow checks, without AddressSanitizer:
# the core crate forbids unsafe code, and ASan costs a factor of 2-3 in speed.
# Set SANITIZER=address to use it anyway. TRACE_COMPARES=0 builds without
# libFuzzer's comparison tracing: about twice the executions per second on the
# slow targets (roundtrip, import), at the cost of guidance on hard compares. Logs go to fuzz/logs/<target>[.<worker>].log;
# a crash stops that process with its input in fuzz/artifacts/<target>/
# and makes the script exit non-zero after the remaining targets.
set -uo pipefail
cd "$(dirname "$0")/../fuzz"
runs="${1:-10000000}"
shift || true
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
export PATH="$PWD/../.tools/bin:$PATH"
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz --root ../.tools
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
sanitizer="${SANITIZER:-none}"
workers="${WORKERS:-1}"
mkdir -p logs
status=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  seeds=(../spec/vectors)
  [ -d "seeds/$t" ] && seeds+=("seeds/$t")
  flags=(-O -a -s "$sanitizer")
  [ "${TRACE_COMPARES:-1}" = 0 ] && flags+=(--no-trace-compares)
  cargo +nightly fuzz build "${flags[@]}" "$t" >"logs/$t.build.log" 2>&1 || {
    status=1; echo "$t: BUILD FAILED; see fuzz/logs/$t.build.log"; continue; }
  start=$(date +%s)
  pids=()
  for w in $(seq 1 "$workers"); do
    cargo +nightly fuzz run "${flags[@]}" "$t" "corpus/$t" "${seeds[@]}" -- \
      -runs=$((runs / workers)) -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 \
      >"logs/$t.$w.log" 2>&1 &
    pids+=($!)
  done
  failed=0
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  secs=$(($(date +%s) - start))
  execs=$(cat logs/"$t".[0-9]*.log | awk '/^stat::number_of_executed_units/ { n += $2 } END { print n + 0 }')
  cov=$(grep -ahE '^#[0-9]+[[:space:]]+DONE' logs/"$t".[0-9]*.log | sed 's/.*\(cov: [0-9]*\).*\(corp: [^ ]*\).*/\1, \2/' | tail -1)
  if [ $failed -ne 0 ]; then
    status=1
    echo "$t: FAILED after ${secs}s; see fuzz/logs/$t.*.log and fuzz/artifacts/$t/"
  else
    echo "$t: $execs executions in ${secs}s ($workers worker(s)), no crash; $cov"
  fi
done
exit $status
