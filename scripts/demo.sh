#!/usr/bin/env bash
# make demo: builds the wasm, installs the npm packages when missing, and
# serves the demo messenger on http://127.0.0.1:$PORT/demo/ (default 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
NEED_CHROMIUM=0
source scripts/e2e-setup.sh
./scripts/build-wasm.sh
exec node web/demo/serve.js --port "${PORT:-8080}"
