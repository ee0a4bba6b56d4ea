#!/usr/bin/env bash
# Runs the Go tests compiled to WebAssembly (GOOS=js GOARCH=wasm) in headless
# Chromium, through wasmbrowsertest. Installs what is missing: wasmbrowsertest
# into .bin/ (outside the module's go.mod), Chromium from Debian packages.
#
#   scripts/test-wasm.sh                                # every package
#   scripts/test-wasm.sh -run TestScan ./idbstore/      # extra go test args
#   scripts/test-wasm.sh -run '^$' -bench . -benchmem   # benchmarks (./idbstore/ only)
#
# Arguments are passed to go test. Without a package argument it tests ./...
# (./idbstore/ only when benchmarking).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=$root/.bin
wbt_version=v0.11.0

command -v go >/dev/null || { echo "test-wasm: go is not on PATH" >&2; exit 1; }

if [ ! -x "$bin/go_js_wasm_exec" ]; then
	echo "test-wasm: installing wasmbrowsertest $wbt_version into .bin/" >&2
	mkdir -p "$bin"
	GOBIN=$bin GOOS= GOARCH= GOFLAGS= go install "github.com/agnivade/wasmbrowsertest@$wbt_version"
	mv "$bin/wasmbrowsertest" "$bin/go_js_wasm_exec"
fi

if ! command -v chromium >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "test-wasm: installing chromium" >&2
		apt-get update
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
	else
		echo "test-wasm: Chromium is needed to run the wasm tests; install it" >&2
		echo "  (Debian/Ubuntu, as root: apt-get update && apt-get install -y --no-install-recommends chromium)" >&2
		exit 1
	fi
fi

# Packages: the caller's, or every package (only idbstore for benchmarks).
have_pkg=false
bench=false
for a in "$@"; do
	case $a in
	./* | ../* | github.com/*) have_pkg=true ;;
	-bench | -bench=* | -test.bench | -test.bench=*) bench=true ;;
	esac
done
pkgs=()
if ! $have_pkg; then
	if $bench; then pkgs=(./idbstore/); else pkgs=(./...); fi
fi

# wasm_exec.js caps arguments plus environment at 8 KiB, and wasmbrowsertest
# copies the whole environment into the page: run with a minimal one. The
# "unknown IPAddressSpace value" lines are harmless noise of wasmbrowsertest's
# CDP client with this Chromium; they are filtered out.
gobin=$(dirname "$(command -v go)")
set +e
env -i \
	HOME="${HOME:-/root}" \
	PATH="$bin:$gobin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
	GOFLAGS="${GOFLAGS:-}" \
	GOPROXY="$(go env GOPROXY)" \
	GOCACHE="$(go env GOCACHE)" \
	GOMODCACHE="$(go env GOMODCACHE)" \
	GOOS=js GOARCH=wasm \
	go test -count=1 -timeout 10m -p 1 "$@" "${pkgs[@]}" 2>&1 |
	grep --line-buffered -v 'could not unmarshal event: unknown IPAddressSpace value'
status=${PIPESTATUS[0]}
exit "$status"
