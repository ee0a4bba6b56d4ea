//go:build js && wasm && mlsidb_unsafe_nolocks

package idbstore

// noWebLocks (test-only build tag mlsidb_unsafe_nolocks): the backend
// takes no Web Locks. See unsafe_on.go.
const noWebLocks = true
