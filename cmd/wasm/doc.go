// Command wasm is the main package of mlsidb.wasm, the WebAssembly module
// that the JavaScript module web/mlsidb.js loads.
//
// Build it with GOOS=js GOARCH=wasm (make wasm). Started by wasm_exec.js,
// it registers one JavaScript object, under the property of globalThis
// named by its environment variable MLSIDB_API (go.env); the JS module
// takes the object and deletes the property, so no global is left behind.
// The object holds:
//
//	methods                    the dispatch table: [{name, go, openmls, group, args, keys, result}]
//	                           (keys: the positions of the key arguments, which JS checks itself
//	                           for the writes it queues in a transaction)
//	maxKeyLen                  mlsidb.MaxKeyLen
//	apiVersion                 the version of these calls (apiVersion; mlsidb.js checks it)
//	version                    the provider version (mlsidb.CurrentVersion)
//	open(name, durability, blockedTimeoutMs?, listener?, executor?)
//	                           Promise of {handle, created, id} (executor: mlsidb.js's idbExec;
//	                           created: this call created the database; id: the store's ID)
//	close(handle)              Promise; closes a store handle
//	init(settle)               gives the function invoke settles its calls with
//	invoke(handle, batch, id)  runs contract calls (the 56 methods, deleteGroup,
//	                           loadGroup) packed in a Uint8Array (decodeCalls), in order;
//	                           settle(id, true, the last one's result) or
//	                           settle(id, false, error, index of the call that failed)
//	callMany(handle, batch)    Promise; runs packed calls in order
//	begin(handle)              Promise of a transaction handle (handle: store or transaction)
//	end(txHandle, commit, batch?)
//	                           Promise; runs batch, then commits (true), or rolls back (false)
//	importOpenMls(handle, snapshot, dropOrphans)  Promise; imports a MemoryStorage snapshot
//	exportOpenMls(handle, format)                 Promise of a snapshot ("binary": Uint8Array, "json": string)
//	syncOpenMls(handle, snapshot, dropOrphans)    Promise of {written, deleted}
//	lockGroup(handle, groupId, signal)
//	                           Promise of a lock handle, once the group's lock is held
//	                           (Provider.WithGroupLock; signal, an AbortSignal, ends the wait)
//	unlockGroup(lockHandle)    Promise; releases the group's lock
//
// The listener of open is called as listener(type, detail) with the
// store's events: "change" with {groups: Uint8Array[], methodGroups:
// string[]} after another tab or worker committed (Provider.Watch, remote
// changes only), and "close" with {code, reason, message} when the
// connection was closed from outside: reason "versionchange" (a newer
// schema or a deleted database) or "browser". After a close the name is
// no longer shared: the next open makes a new connection. The listener
// must not block; mlsidb.js queues the event and dispatches it later.
//
// No function blocks: each converts and checks its arguments at once (bytes,
// a Uint8Array or an ArrayBuffer, are copied before it returns; a snapshot
// may also be a string, the JSON encoding; see package openmlsmem). invoke,
// callMany, begin and end then issue their IndexedDB requests during the JS call
// (mlsidb.Provider.Async, TryBegin, Tx.CommitAsync) and settle the Promise
// they returned from the requests' own event handlers, with no goroutine
// (jsbridge.Settle); a call that must wait for a lock, and the other
// functions, do their work in a goroutine (jsbridge.Export). A panic
// becomes a rejection. A rejection is a
// plain object {code, message} (jsbridge.ErrorToJS); code is one of
// InvalidArgument, QuotaExceeded, VersionMismatch, Closed, Unavailable,
// Blocked, Internal (jsbridge.Code), and message never contains key or
// value bytes. A missing value is undefined; lists, queued proposals and
// loaded groups come packed in one Uint8Array (see invoke in convert_js.go),
// which mlsidb.js unpacks.
//
// Several stores may be open at once (several users on one page); opening a
// name that is already open shares one provider, so calls on both handles
// are serialized by one write lock.
package main
