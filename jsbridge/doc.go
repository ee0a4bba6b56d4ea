// Package jsbridge is what Go code compiled to WebAssembly needs from
// JavaScript, in one place: awaiting IndexedDB requests, transactions and
// Promises from a goroutine under a [context.Context]; holding Web Locks
// ([WebLock]) and turning an AbortSignal into a context ([SignalContext]);
// routing the events of many requests to Go callbacks through handlers
// made once ([Route]);
// copying []byte to
// and from Uint8Array; turning JS exceptions and DOMExceptions into Go
// errors that wrap the mlsidb sentinel errors; and exporting Go functions
// to JavaScript as Promise-returning functions ([Export], [Promise]) whose
// rejections carry a stable code ([Code], [ErrorToJS]).
//
// The parts that need syscall/js build only for js/wasm. The logic that
// does not (the DOMException name table, error codes for JavaScript, panic
// recovery, key range planning) builds everywhere, so it is tested
// natively under the race detector too.
//
// Rules the helpers keep, because IndexedDB and the Go wasm runtime demand
// them:
//   - Bytes cross the boundary as fresh copies, never as views of wasm
//     memory, which moves when it grows.
//   - A JS callback never blocks: handlers only hand results over on
//     buffered channels, and exported functions check and copy their
//     arguments during the call, then do their work in a new goroutine and
//     settle a Promise. A panic rejects the call instead of ending the
//     program.
//   - Context cancellation is reported as ctx.Err(), never swallowed.
//   - Error messages carry the JS error's name and message only, never key
//     or value bytes.
package jsbridge
