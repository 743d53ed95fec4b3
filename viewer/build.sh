#!/usr/bin/env bash
# Rebuilds viewer/koffer-viewer.html from source: the koffer-viewer crate
# compiled to wasm32-unknown-unknown, wasm-bindgen's JavaScript glue, the
# vendored uPlot, and viewer/src/ (index.html, style.css, i18n.js, app.js),
# all inlined into one page.
#
#   bash viewer/build.sh           rebuild the shipped page
#   bash viewer/build.sh --check   rebuild into a temporary file; fail if the
#                                  shipped page differs
#   bash viewer/build.sh --out F   write the page to F instead
#
# Needs: the wasm32-unknown-unknown target (added with rustup when missing),
# python3, and wasm-bindgen-cli at exactly the version of the wasm-bindgen
# crate in Cargo.lock (installed into .tools/ when missing). The output is
# deterministic: no timestamps, source paths remapped, no wasm-opt (its
# output would depend on which version a machine has).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
page=viewer/koffer-viewer.html
out=$page
check=0
while [ $# -gt 0 ]; do
    case "$1" in
        --check) check=1 ;;
        --out) out=$2; shift ;;
        *) echo "build.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi

version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
bindgen=.tools/bin/wasm-bindgen
if ! [ -x "$bindgen" ] || [ "$("$bindgen" --version | awk '{print $2}')" != "$version" ]; then
    # Only the wasm-bindgen binary, without the TLS stack of its test runner
    # (half the build time). --locked first; a registry that lacks one of
    # its locked dependencies gets the newest compatible ones instead.
    opts=(--no-default-features --bin wasm-bindgen --version "$version" --root .tools)
    cargo install --locked "${opts[@]}" wasm-bindgen-cli \
        || cargo install "${opts[@]}" wasm-bindgen-cli
fi

# Size over speed, one codegen unit, no debug info; paths in panic messages
# remapped so that the bytes do not depend on where the repository lies.
export CARGO_PROFILE_RELEASE_DEBUG=0
export CARGO_PROFILE_RELEASE_OPT_LEVEL=s
export CARGO_PROFILE_RELEASE_LTO=true
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
export CARGO_PROFILE_RELEASE_PANIC=abort
cargo_home=${CARGO_HOME:-$HOME/.cargo}
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--remap-path-prefix=$root=/koffer --remap-path-prefix=$cargo_home=/cargo"
cargo rustc --quiet --release --target wasm32-unknown-unknown -p koffer-viewer --lib --crate-type cdylib

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bindgen" --target web --no-typescript --out-dir "$tmp/pkg" \
    target/wasm32-unknown-unknown/release/koffer_viewer.wasm

target=$out
[ "$check" = 1 ] && target=$tmp/koffer-viewer.html
python3 viewer/assemble.py \
    --template viewer/src/index.html \
    --style viewer/vendor/uplot-1.6.32/uPlot.min.css --style viewer/src/style.css \
    --script viewer/vendor/uplot-1.6.32/uPlot.iife.min.js \
    --glue "$tmp/pkg/koffer_viewer.js" \
    --script viewer/src/i18n.js --script viewer/src/app.js \
    --wasm "$tmp/pkg/koffer_viewer_bg.wasm" \
    --out "$target"

if [ "$check" = 1 ]; then
    if cmp -s "$target" "$page"; then
        echo "$page is up to date ($(wc -c < "$page") bytes)"
    else
        echo "build.sh: $page is out of date: run bash viewer/build.sh and commit it" >&2
        exit 1
    fi
else
    echo "wrote $out ($(wc -c < "$out") bytes)"
fi
