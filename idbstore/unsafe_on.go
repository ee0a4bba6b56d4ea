//go:build js && wasm && (mlsidb_unsafe_batches || mlsidb_unsafe_nolocks)

package idbstore

// A test-only build that breaks a guarantee on purpose, to show that the
// browser tests catch it (see README, "Proving the tests"). Never ship it:
//
//	mlsidb_unsafe_batches  Apply commits each op in a transaction of its own
//	                       (a crash can leave part of an Update)
//	mlsidb_unsafe_nolocks  no Web Locks: tabs do not serialize their writers
//	                       or their group locks
func init() {
	println("mlsidb: UNSAFE TEST BUILD (unsafe batches:", unsafeBatches, "no Web Locks:", noWebLocks, "): never ship it")
}
