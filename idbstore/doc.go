//go:build js && wasm

// Package idbstore is the IndexedDB [mlsidb.Backend], for Go programs
// compiled to WebAssembly (GOOS=js GOARCH=wasm) that run in a browser
// window or worker. It stores ordered binary key/value records and knows
// nothing of OpenMLS; [mlsidb.New] builds the provider over it:
//
//	b, err := idbstore.Open(ctx, "alice-laptop", idbstore.Options{})
//	if err != nil { ... }
//	p, err := mlsidb.New(ctx, b, mlsidb.Options{})
//	if err != nil { ... }
//	defer p.Close() // closes b too
//
// # Layout
//
// Every store name is one IndexedDB database. It holds one object store
// per record store of [mlsidb.StoreNames]: one per method group, and
// [mlsidb.MetaStore]. Keys and values are binary (Uint8Array; IndexedDB
// orders binary keys bytewise, as the backend contract requires, and
// returns them as ArrayBuffer). Bytes are always copied into fresh
// Uint8Arrays before they are stored, never passed as views of wasm memory.
//
// # Schema versions
//
// The database's IndexedDB version is its schema version. The schema is a
// list of upgrade steps; step i takes a database from version i to i+1,
// so a database written by any earlier release is brought up to date
// step by step when it is opened:
//
//	version 1: one object store per method group (18)
//	version 2: the meta store
//
// A database whose version is newer than this code knows is refused with
// [mlsidb.ErrVersionMismatch], as is one that lacks an object store it
// should have.
//
// # Transactions
//
// Get and Scan run in readonly transactions. Apply runs one readwrite
// transaction over exactly the object stores its ops touch: it issues every
// put and delete back to back and waits only for the transaction, which is
// much faster than waiting for each request. A failed request aborts the
// whole transaction, so a batch is written whole or not at all; a quota
// failure (which IndexedDB reports as an abort with QuotaExceededError) is
// returned as [mlsidb.ErrQuotaExceeded], after a transaction that only
// deletes a key no record has: Chromium may go on counting the aborted
// bytes against the quota, refusing every later write, until a readwrite
// transaction commits. That settle deletes the key 0xff "settle" of the
// meta store, which is reserved for it: the provider never writes it, and
// a direct user of the backend must not. While a transaction is open the
// backend waits on nothing but that transaction's requests: an IndexedDB
// transaction commits as soon as control returns to the event loop with no
// request pending.
//
// Reads and batches are issued at once, inside the caller's turn of the
// event loop, and settled by the requests' and transactions' own event
// handlers, routed through two JS functions made once for the program
// (jsbridge.Route) rather than a js.Func per request. ReadBatch reads many
// records in one readonly transaction (mlsidb.LoadGroup uses it). The
// backend is an [mlsidb.AsyncBackend]: ReadAsync and ApplyAsync report to a
// callback instead of blocking, so a JavaScript call into the wasm can do
// its IndexedDB work with no goroutine (see [mlsidb.Provider.Async]). The
// blocking methods wait on the same core.
//
// # Several tabs and workers
//
// Each tab or worker that opens the database has its own connection and its
// own provider. Three things make them behave as one store:
//
//   - The writer lock. The backend is an [mlsidb.Locker]: every write, every
//     read-modify-write (AppendOwnLeafNode, QueueProposal computes the next
//     position from what it reads) and every Update of every provider over
//     the database holds the exclusive Web Lock "mlsidb:<name>:store"
//     (navigator.locks) while it runs. The provider takes it before it
//     opens any IndexedDB transaction, so no transaction is ever open while
//     a goroutine waits for a lock. Two tabs never interleave a
//     read-modify-write.
//   - Group locks. The backend is an [mlsidb.GroupLocker]:
//     mlsidb.Provider.WithGroupLock takes the Web Lock [GroupLockName],
//     "mlsidb:<name>:group:<SHA-256 of the group id, hex>", so an MLS
//     operation on a group excludes every other one, in every tab. Lock
//     names stay short and never show group ids.
//   - Change notifications. The backend is an [mlsidb.Notifier]: after each
//     commit, the provider posts the groups and method groups it changed on
//     the BroadcastChannel "mlsidb:<name>", and every other provider over
//     the database hands them to its watchers (mlsidb.Provider.Watch).
//
// A wait for a Web Lock ends with its context (the request is aborted with
// an AbortSignal). Where the host has no Web Locks (plain http:// origins
// other than localhost, browsers before 2022; see [Backend.WebLocks]) there
// is no way to wait for another tab short of polling: the backend then
// locks nothing, and writers and groups are serialized within each
// provider only. Without BroadcastChannel no changes are sent.
//
// # Durability
//
// Readwrite transactions are "strict" by default ([DurabilityStrict]): the
// browser reports a commit only once the data has been flushed to disk. An
// MLS client that advances its group to a new epoch, sends or acknowledges
// the commit, and then loses the new epoch's state in a crash or power cut
// is out of step with its group for good: the old epoch's secrets were
// deleted, the group has moved on, and the client can only rejoin. That is
// worth the cost of a flush per write. [DurabilityRelaxed] (the browser
// reports success once the data is handed to the operating system) is for
// callers who accept that risk, for example for caches they can rebuild.
//
// # Connections
//
// When another connection (another tab, or newer code) asks to upgrade or
// delete the database, the backend closes its connection at once so the
// other can proceed, closes [Backend.Done], and answers every later call
// with [mlsidb.ErrClosed] ([Backend.Err] is [ErrVersionChange]); the
// application reloads (a newer version of it now owns the database) or
// reopens when it is ready. When this backend's own open
// or upgrade is held up by connections that do not close, Open fails with
// [mlsidb.ErrBlocked] after Options.BlockedTimeout instead of hanging. A
// host without IndexedDB (Node, some privacy modes, sandboxed frames) gives
// [mlsidb.ErrUnavailable]. Errors name the operation and the object store,
// never key or value bytes.
//
// # Test-only builds
//
// Two build tags break a guarantee on purpose, so that the browser tests
// can show they catch it: mlsidb_unsafe_batches commits each op of an Apply
// in a transaction of its own, mlsidb_unsafe_nolocks takes no Web Locks. A
// build with either prints a warning when it starts. Never ship one.
//
// # go-indexeddb
//
// The backend talks to IndexedDB through syscall/js and [jsbridge] rather
// than through github.com/hack-pad/go-indexeddb v0.3.2, which the tests
// use as an independent second client. That library's open request has no
// blocked event and installs its own versionchange handler that closes the
// connection silently (so neither ErrBlocked nor ErrClosed could be
// reported), it hides the JS objects a caller would need to add them, its
// object stores have no getAll, its Request.Await swallows context
// cancellation, and it starts goroutines and JS functions per listener,
// where the backend needs one handler per transaction.
package idbstore
