#!/usr/bin/env bash
# Flash, static RAM and peak stack of koffer on a Cortex-M4F
# (thumbv7em-none-eabihf; opt-level "s", LTO, one codegen unit, panic abort).
# Builds the variants in examples/firmware-footprint (koffer's default
# 64-byte CRC table, then again with the 1 KiB table of feature fast-crc), measures each ELF with
# arm-none-eabi-size -A, runs each in QEMU (netduinoplus2) where it reports
# its peak stack (stack painting) over semihosting, and prints deltas over the
# empty baseline. Installs binutils-arm-none-eabi / QEMU from bookworm-backports
# only if missing (as root).
# Exit 0 unless a build or run fails, a variant uses static RAM, or with
# --check a flash budget is exceeded (see BUDGET_* below; .ci/run passes it). Usage: bash scripts/footprint.sh [--check]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=examples/firmware-footprint
check=${1:-}
start=$(date +%s)

need=()
command -v arm-none-eabi-size >/dev/null || need+=(binutils-arm-none-eabi)
command -v qemu-system-arm >/dev/null || need+=(qemu-system-arm)
if [ ${#need[@]} -gt 0 ]; then
  echo "footprint: installing ${need[*]} from bookworm-backports"
  . "$(dirname "$0")/backports.sh"
  install_backports "${need[@]}"
fi
rustup target list --installed | grep -qx thumbv7em-none-eabihf || rustup target add thumbv7em-none-eabihf >/dev/null

(cd "$dir" && cargo build --release -q --bins)
bin=$dir/target/thumbv7em-none-eabihf/release

# flash = .vector_table+.text+.rodata+.data, static RAM = .data+.bss, less the
# reader's input container (a static in flash that is data, not code).
measure() { # name -> "flash ram stack"
  local elf=$bin/$1 input stack
  input=$(arm-none-eabi-nm -S "$elf" | awk '$4 == "FOOTPRINT_INPUT" { print $2 }')
  input=$(( 16#${input:-0} ))
  stack=$(timeout 60 qemu-system-arm -machine netduinoplus2 -nographic \
            -semihosting-config enable=on,target=native -kernel "$elf" \
          | sed -n "s/^footprint: $1 stack \([0-9]*\)\$/\1/p")
  [ -n "$stack" ] || { echo "footprint: $1 did not report its stack" >&2; exit 1; }
  arm-none-eabi-size -A "$elf" | awk -v input="${input:-0}" -v stack="$stack" '
    $1 ~ /^\.(vector_table|text|rodata)$/ { flash += $2 }
    $1 == ".data" { flash += $2; ram += $2 }
    $1 == ".bss"  { ram += $2 }
    END { print flash - input, ram, stack }'
}

read -r bf br bs < <(measure baseline)
printf '\nkoffer footprint, thumbv7em-none-eabihf, opt-level "s", LTO, codegen-units 1, panic abort\n'
printf 'baseline (cortex-m-rt, semihosting exit, stack painting): %d B flash, %d B static RAM\n\n' "$bf" "$br"
printf '| variant | flash over baseline | static RAM over baseline | peak stack over baseline |\n'
printf '|---|---:|---:|---:|\n'
declare -A flash ram
for v in writer writer-meta reader verifier postcard-crc; do
  read -r f r s < <(measure "$v")
  flash[$v]=$(( f - bf )); ram[$v]=$(( r - br ))
  printf '| %s | %d B | %d B | %d B |\n' "$v" "${flash[$v]}" "${ram[$v]}" $(( s - bs ))
done
# The same writer and reader with the 1 KiB CRC-32C table (feature fast-crc).
(cd "$dir" && cargo build --release -q --bins --features fast-crc --target-dir target/fast-crc)
default_bin=$bin
bin=$dir/target/fast-crc/thumbv7em-none-eabihf/release
for v in writer reader; do
  read -r f r s < <(measure "$v")
  flash[$v-fast-crc]=$(( f - bf ))
  printf '| %s (fast-crc) | %d B | %d B | %d B |\n' "$v" $(( f - bf )) $(( r - br )) $(( s - bs ))
done
bin=$default_bin
printf '\n(writer: Writer::new + declare_type + 8 records + finish into a SliceSink, 256 B block buffer;\n'
printf ' writer-meta: the same plus a 3-entry metadata frame, constant (koffer::metadata!);\n'
printf ' reader: Reader::new + decode 8 records + Records::finish (completeness), the structure checks\n'
printf '   of spec format.md 10.1 - a device reading back its own records;\n'
printf ' verifier: reader + Reader::verify, every check incl. metadata and schema definitions;\n'
printf ' postcard-crc: the same records with postcard + CRC-32C (crc Table<1>), no container.\n'
printf ' Buffers live on the stack and count there. No heap in any variant.)\n'

# Budget (issue 5): writer incl. CRC <= 3 KB flash, 0 B static RAM; reader <= 5 KB
# (the reader a device runs on its own records: the structure checks of spec
# format.md 10.1; the verifier's figure is reported, not budgeted).
BUDGET_WRITER=3072 BUDGET_READER=5120
status=0
report() { # name flash budget
  if [ "$2" -gt "$3" ]; then
    printf 'footprint: %s is %d B over its %d B flash budget\n' "$1" $(( $2 - $3 )) "$3"
    if [ "$check" = --check ]; then status=1; fi
  else
    printf 'footprint: %s within its %d B flash budget\n' "$1" "$3"
  fi
}
report writer "${flash[writer]}" $BUDGET_WRITER
report reader "${flash[reader]}" $BUDGET_READER
# Writer with a 3-entry metadata frame (issue 17): the figure a real export
# costs, with constant metadata checked and encoded at compile time
# (koffer::metadata! + Writer::metadata_encoded, as the README teaches).
# Budget 3 KB, enforced by --check.
BUDGET_WRITER_META=3072
report writer-meta "${flash[writer-meta]}" $BUDGET_WRITER_META
for v in writer writer-meta reader verifier; do
  if [ "${ram[$v]}" -ne 0 ]; then echo "footprint: $v uses ${ram[$v]} B of static RAM (budget 0)"; status=1; fi
done
# Seals (issue 15, spec seal.md): koffer's SealingWriter (KEY frame, running
# SHA-256, Merkle root, a SEAL frame after every block, the final one). With
# a software Ed25519 signer: salty (Cortex-M4 assembly) behind the `Signer`
# trait - budget <= 16 KB flash, 0 B static RAM, enforced - and koffer's own
# `seal::Ed25519` (ed25519-compact, opt_size; reported, not budgeted). With a
# hardware signer (a secure element signs; no Ed25519 code): what a device
# with one pays, reported. SHA-256 is sha2's compact backend
# (.cargo/config.toml). Stack reported.
BUDGET_SEAL=16384
printf '\n| sealing variant | flash over baseline | static RAM over baseline | peak stack over baseline |\n'
printf '|---|---:|---:|---:|\n'
for v in writer-seal-salty writer-seal writer-seal-hw; do
  read -r f r s < <(measure "$v")
  flash[$v]=$(( f - bf )); ram[$v]=$(( r - br ))
  printf '| %s | %d B | %d B | %d B |\n' "$v" "${flash[$v]}" "${ram[$v]}" $(( s - bs ))
  if [ "${ram[$v]}" -ne 0 ]; then echo "footprint: $v uses ${ram[$v]} B of static RAM (budget 0)"; status=1; fi
done
printf '(writer-seal-salty: the writer variant through SealingWriter, every = 1, salty signing from a\n'
printf ' fixed demo seed; writer-seal: the same with koffer::seal::Ed25519 (ed25519-compact);\n'
printf ' writer-seal-hw: the same with a Signer that hands the to-be-signed bytes to a secure element\n'
printf ' (its driver not counted); 1 KiB sink, 256 B block buffer, the Digest on the caller stack.)\n'
report writer-seal-salty "${flash[writer-seal-salty]}" $BUDGET_SEAL
echo "footprint: writer-seal (ed25519-compact) ${flash[writer-seal]} B flash, writer-seal-hw (secure element) ${flash[writer-seal-hw]} B flash: reported, not budgeted"
echo "footprint: done in $(( $(date +%s) - start ))s"
exit $status
