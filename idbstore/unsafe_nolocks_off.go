//go:build js && wasm && !mlsidb_unsafe_nolocks

package idbstore

// noWebLocks is false in every normal build: writers and groups are
// locked across tabs with Web Locks.
const noWebLocks = false
