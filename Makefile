# mlsidb — see README.md. `make test` is what CI runs.
SHELL := /bin/bash
GO ?= go
export GOFLAGS ?= -buildvcs=false

.PHONY: test test-native test-wasm vet vet-native vet-wasm bench-mem bench-go bench fuzz-short

test: vet test-native fuzz-short test-wasm test-e2e

vet: vet-native vet-wasm

vet-native:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

vet-wasm:
	GOOS=js GOARCH=wasm $(GO) vet ./...

test-native:
	$(GO) test -race -count=1 -timeout 10m ./...

# A short fuzz run of each OpenMLS snapshot parser target (go test -fuzz
# takes one target per run): make fuzz-short FUZZTIME=2m for a longer one.
FUZZTIME ?= 10s
fuzz-short:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./openmlsmem/
	$(GO) test -run '^$$' -fuzz '^FuzzImport$$' -fuzztime $(FUZZTIME) ./openmlsmem/

# Go tests compiled to wasm, run in headless Chromium (installs what is missing).
test-wasm:
	./scripts/test-wasm.sh

# Benchmarks of the in-memory backend (native).
bench-mem:
	$(GO) test -run '^$$' -bench . -benchmem ./memstore/

# Benchmarks of the IndexedDB backend in headless Chromium.
BENCHTIME ?= 1s
bench-go:
	./scripts/test-wasm.sh -run '^$$' -bench . -benchmem -benchtime=$(BENCHTIME)

# mlsidb against hand-written IndexedDB code in headless Chromium: prints a
# table, writes bench/results.json, then runs bench-go (README, Performance).
bench:
	GO=$(GO) BENCHTIME=$(BENCHTIME) ./scripts/bench.sh

.PHONY: wasm demo test-e2e

# mlsidb.wasm and the matching wasm_exec.js, into web/dist/ (gitignored).
wasm:
	GO=$(GO) ./scripts/build-wasm.sh

# JS end to end in headless Chromium (installs chromium and npm packages when missing).
test-e2e:
	GO=$(GO) ./scripts/test-e2e.sh

# Builds everything and serves the demo messenger: make demo PORT=9000.
PORT ?= 8080
demo:
	GO=$(GO) PORT=$(PORT) ./scripts/demo.sh
