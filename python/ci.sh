#!/usr/bin/env bash
# The Python package's checks: a fresh venv, `pip install ./python` (built by
# maturin from pyproject.toml), the pinned test dependencies, then pytest.
# Needs the repository's `koffer`, `fit2koffer` and `ulog2koffer` binaries
# (built here, release). pytest's "no tests collected" (exit 5) is a failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cd "$root"

cargo build --release -q -p koffer-cli -p koffer-convert --bins
export KOFFER_BIN_DIR="$root/target/release"

venv="$(mktemp -d "${TMPDIR:-/tmp}/koffer-venv.XXXXXX")"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
# pip itself pinned, as the test dependencies are: the bundled one varies
# with the Python, the newest one with the day.
"$venv/bin/python" -m pip install -q pip==26.3
"$venv/bin/python" -m pip install -q -r "$here/requirements-test.txt"
# The extension builds in the repository's target directory (release), so
# the crates it shares with the workspace are compiled once.
CARGO_TARGET_DIR="$root/target" "$venv/bin/python" -m pip install -q "$here"

status=0
(cd "$here/tests" && "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@") || status=$?
if [ "$status" -eq 5 ]; then
    echo "python/ci.sh: pytest collected no tests" >&2
    exit 1
fi
exit "$status"
