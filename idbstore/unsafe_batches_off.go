//go:build js && wasm && !mlsidb_unsafe_batches

package idbstore

// unsafeBatches is false in every normal build: Apply is one transaction.
const unsafeBatches = false
