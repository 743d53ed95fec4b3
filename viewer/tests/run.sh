#!/usr/bin/env bash
# The viewer's browser tests (issue 13): viewer/koffer-viewer.html opened from file:// in
# Debian's headless Chromium, driven by playwright-core (pinned in package-lock.json; it never
# downloads a browser). Installs what it needs, checks that the shipped page is what
# `viewer/build.sh` builds, then runs the tests with node's test runner.
# Usage: bash viewer/tests/run.sh          (from anywhere; as root in CI)
# The speed benchmark is separate: node viewer/tests/bench.mjs (see BENCHMARKS.md, "Viewer").
set -euo pipefail
cd "$(dirname "$0")/../.."

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "viewer tests: $* missing and not root to apt-get install it" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "$@" >/dev/null
}
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || apt_install chromium
command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "viewer tests: node $(node --version) is older than 20 (playwright-core needs 20)" >&2
  exit 1
fi
echo "chromium: $("${CHROMIUM:-/usr/bin/chromium}" --version 2>/dev/null | head -n1); node $(node --version)"

(cd viewer/tests && npm ci --no-audit --no-fund --loglevel=error)

# The shipped page is what the sources build.
bash viewer/build.sh --check

# The command and the FIT converter the tests compare the page with.
cargo build -q -p koffer-cli -p koffer-convert --bin koffer --bin fit2koffer

cd viewer/tests
# One test may take 5 minutes at most (a hung page fails its test instead of stalling CI).
exec node --test --test-concurrency=1 --test-timeout=300000 --test-reporter=spec viewer.test.mjs
