#!/usr/bin/env bash
# The long fuzzing campaign: runs each cargo-fuzz target for a number of
# executions (default 10 million) and prints one summary line per target.
# Usage: bash scripts/fuzz-long.sh [RUNS] [TARGET ...]
#   RUNS     executions per target (libFuzzer -runs), default 10000000
#   TARGET   default: every target of fuzz/ (cargo fuzz list)
# Built with debug assertions and overflow checks, without AddressSanitizer:
# the core crate forbids unsafe code, and ASan costs a factor of 2-3 in speed.
# Set SANITIZER=address to use it anyway. Logs go to fuzz/logs/<target>.log;
# a crash stops the target's run with its input in fuzz/artifacts/<target>/
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
mkdir -p logs
status=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  seeds=(../spec/vectors)
  [ -d "seeds/$t" ] && seeds+=("seeds/$t")
  start=$(date +%s)
  cargo +nightly fuzz run -O -a -s "$sanitizer" "$t" "corpus/$t" "${seeds[@]}" -- \
    -runs="$runs" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 \
    >"logs/$t.log" 2>&1
  rc=$?
  secs=$(($(date +%s) - start))
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "logs/$t.log" | tail -1)
  execs=$(grep -E '^stat::number_of_executed_units' "logs/$t.log" | awk '{print $2}')
  if [ $rc -ne 0 ]; then
    status=1
    echo "$t: FAILED (exit $rc) after ${secs}s; see fuzz/logs/$t.log"
  else
    echo "$t: ${execs:-?} executions in ${secs}s, no crash; ${done_line#*DONE }"
  fi
done
exit $status
