#!/usr/bin/env bash
# The Ed25519 signers a sealing koffer device could use, side by side on a
# Cortex-M4F (thumbv7em-none-eabihf; LTO, one codegen unit, panic abort):
# ed25519-compact (default features off; with and without `opt_size`) and
# salty (Cortex-M4 assembly field arithmetic), each built at opt-level "s"
# and "z", plus salty on a Cortex-M3 (thumbv7m-none-eabi: no UMAAL, so its
# TweetNaCl field code). Each variant (examples/firmware-ed25519) derives the
# key pair from RFC 8032's test seed, signs, checks the public key and the
# signature of the empty message against RFC 8032, then times key derivation
# and signing of a 128-byte message. Flash and peak stack are deltas over
# the empty baseline of the same build; instructions are counted by QEMU
# (-icount shift=0: 1 ns of virtual time per instruction, read through
# SysTick and calibrated by a loop of 2,000,000 instructions). QEMU counts
# instructions, not cycles: a Cortex-M4 takes 1 cycle for most, 2 for loads
# and more for taken branches, so cycles are typically 1.2-1.5x these counts.
# Usage: bash scripts/ed25519-candidates.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dir=examples/firmware-ed25519
command -v qemu-system-arm >/dev/null && command -v arm-none-eabi-size >/dev/null || {
  . scripts/backports.sh; install_backports binutils-arm-none-eabi qemu-system-arm; }
for t in thumbv7em-none-eabihf thumbv7m-none-eabi; do
  rustup target list --installed | grep -qx $t || rustup target add $t >/dev/null
done

run() { # elf -> "flash key value ..."
  local flash
  flash=$(arm-none-eabi-size -A "$1" | awk '$1 ~ /^\.(vector_table|text|rodata|data)$/ { f += $2 } END { print f }')
  echo "$flash $(timeout 300 qemu-system-arm -machine netduinoplus2 -icount shift=0 -nographic \
      -semihosting-config enable=on,target=native -kernel "$1" | sed -n 's/^ed25519: [a-z-]* //p')"
}

printf '| signer | target | opt-level | flash over baseline | peak stack over baseline | instructions: key pair from seed | instructions: sign 128 B |\n'
printf '|---|---|---|---:|---:|---:|---:|\n'
variant() { # label target opt features bin
  local td=target/$2-$3${4:+-$4} rel
  (cd "$dir" && CARGO_PROFILE_RELEASE_OPT_LEVEL=$3 cargo build --release -q --bins \
      --target "$2" ${4:+--features $4} --target-dir "$td")
  rel=$dir/$td/$2/release
  read -r bf _ bs _ bcal < <(run "$rel/baseline")
  read -r f _ s _ cal _ kp _ sg < <(run "$rel/$5")
  [ "$cal" = "$bcal" ] || { echo "ed25519-candidates: calibration differs" >&2; exit 1; }
  # instructions = ticks * 2,000,000 / calibration ticks
  printf '| %s | %s | "%s" | %d B | %d B | %d | %d |\n' "$1" "$2" "$3" $(( f - bf )) $(( s - bs )) \
    $(( kp * 2000000 / cal )) $(( sg * 2000000 / cal ))
}
for opt in s z; do
  variant ed25519-compact thumbv7em-none-eabihf $opt "" compact-sign
  variant "ed25519-compact, opt_size" thumbv7em-none-eabihf $opt opt-size compact-sign
  variant salty thumbv7em-none-eabihf $opt "" salty-sign
done
variant "salty (TweetNaCl field code)" thumbv7m-none-eabi s "" salty-sign
variant "ed25519-compact, opt_size" thumbv7m-none-eabi s opt-size compact-sign
