#!/usr/bin/env bash
# Miri (undefined behaviour, out-of-bounds, uninitialised reads, leaks) over the
# core crate's unit tests and a subset of its integration tests that finishes
# in minutes, on the host and on a big-endian target (s390x).
# Usage: bash scripts/miri.sh [extra cargo test args]
# MIRI_TARGETS="s390x-unknown-linux-gnu" limits the run to those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! rustup +nightly component list --installed 2>/dev/null | grep -q '^miri'; then
  rustup +nightly component add miri rust-src
fi
# The vector tests read spec/vectors/ from disk.
export MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-disable-isolation"
# The exhaustive loops (every bit flip, every cut, random garbage) run
# natively in `cargo test`; under Miri they would take hours. A `--skip`
# filter matches any part of a test's path (`s04_3_corruption::every_…`), so
# these names hold whichever section module of tests/robustness/ has the test.
skip=(
  --skip every_single_bit_flip_is_detected
  --skip every_single_byte_zeroed_or_erased_is_detected
  --skip random_garbage_overwrites_are_detected
  --skip random_splices_hand_out_only_original_records
  --skip truncation_keeps_every_intact_block
  --skip truncation_never_yields_records_of_a_cut_block
  --skip writer_resumes_after_a_cut_at_every_byte
  --skip writer_resumes_after_a_cut_followed_by_erased_storage
  --skip torn_frame_followed_by_unwritten_storage_is_a_torn_tail
  --skip sample_containers_have_the_intended_shape
)
for target in ${MIRI_TARGETS:-x86_64-unknown-linux-gnu s390x-unknown-linux-gnu}; do
  echo "== miri: $target"
  cargo +nightly miri test -p koffer --target "$target" --features alloc --lib "$@"
  cargo +nightly miri test -p koffer-arbitrary --target "$target" --lib "$@"
  # The vectors' byte-for-byte regeneration (every vector, wearable-sized
  # ones included) takes more than 7 minutes under Miri: skipped here.
  cargo +nightly miri test -p koffer --target "$target" \
    --test spec_examples --test vectors --test evolution "$@" -- \
    --skip vectors_match_the_generator_byte_for_byte
  cargo +nightly miri test -p koffer --target "$target" --test robustness "$@" -- "${skip[@]}"
done
