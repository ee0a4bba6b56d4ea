#!/usr/bin/env bash
# Runs the JS end-to-end tests (web/test/*.test.js) in headless Chromium:
# installs Chromium from Debian when missing (as root), the npm packages
# from web/package-lock.json when web/node_modules is missing, builds the
# wasm, then runs node's test runner. Extra arguments go to node --test
# (for example a test file, or --test-name-pattern=...).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/e2e-setup.sh
./scripts/build-wasm.sh
cd web
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(test/*.test.js)
# Every test has its own timeout; the whole run has one too.
exec timeout --kill-after=30s 1200s node --test --test-concurrency=1 --test-timeout=300000 "${files[@]}"
