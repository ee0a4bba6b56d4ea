#!/usr/bin/env bash
# make bench: builds the wasm, runs web/bench/run.js (every case against raw
# IndexedDB and against mlsidb, in headless Chromium; prints a table and
# writes bench/results.json), then the Go benchmarks in the browser (make
# bench-go). Installs what is missing, as make test-e2e does. Extra
# arguments go to run.js (for example --rounds 21, or --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/e2e-setup.sh
GO=${GO:-go} ./scripts/build-wasm.sh
start=$(date +%s)
timeout --kill-after=30s 900s node web/bench/run.js "$@"
echo
echo "== Go benchmarks in the browser (make bench-go), $(date +%H:%M:%S) =="
./scripts/test-wasm.sh -run '^$' -bench . -benchmem -benchtime="${BENCHTIME:-1s}"
echo "make bench took $(( $(date +%s) - start )) s after the build"
