#!/usr/bin/env bash
# Builds web/dist/mlsidb.wasm (cmd/wasm, stripped) and copies the matching
# wasm_exec.js from the Go toolchain beside it, then prints the wasm's size
# raw and gzip -9.
#
# MLSIDB_TAGS (test only) adds Go build tags: mlsidb_unsafe_batches or
# mlsidb_unsafe_nolocks build a wasm that breaks a guarantee on purpose, to
# show that the browser tests catch it (README, "Proving the tests").
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
OUT=web/dist
TAGS=${MLSIDB_TAGS:-}
mkdir -p "$OUT"
if [ -n "$TAGS" ]; then
	echo "build-wasm: WARNING: building with test-only tags '$TAGS': this wasm breaks guarantees on purpose; never ship it" >&2
fi
# No inlining in this module's packages: inlined copies of their small
# helpers are ~35 KB of the gzipped wasm (make bench checks it against
# 1,000,000 bytes), and a Go call costs nanoseconds where a crossing into
# JavaScript costs microseconds (the executor, exec.js, keeps those few).
# The standard library and the runtime keep their inlining.
GOOS=js GOARCH=wasm "$GO" build -trimpath -tags "$TAGS" \
	-gcflags='github.com/mlsidb/mlsidb/...=-l' \
	-ldflags='-s -w' -o "$OUT/mlsidb.wasm.tmp" ./cmd/wasm
mv "$OUT/mlsidb.wasm.tmp" "$OUT/mlsidb.wasm"
root=$("$GO" env GOROOT)
for f in "$root/lib/wasm/wasm_exec.js" "$root/misc/wasm/wasm_exec.js"; do
	if [ -f "$f" ]; then
		cp "$f" "$OUT/wasm_exec.js"
		break
	fi
done
[ -f "$OUT/wasm_exec.js" ] || { echo "wasm_exec.js not found under $root" >&2; exit 1; }
raw=$(wc -c <"$OUT/mlsidb.wasm")
gz=$(gzip -9 -c "$OUT/mlsidb.wasm" | wc -c)
echo "built $OUT/mlsidb.wasm: $raw bytes raw, $gz bytes gzip -9 ($(( (raw + 524288) / 1048576 )) MiB / $(( (gz + 512) / 1024 )) KiB); $OUT/wasm_exec.js from $("$GO" env GOVERSION)"
