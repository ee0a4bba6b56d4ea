//go:build js && wasm && mlsidb_unsafe_batches

package idbstore

// unsafeBatches (test-only build tag mlsidb_unsafe_batches): Apply commits
// each op in a transaction of its own. See unsafe_on.go.
const unsafeBatches = true
