//go:build js && wasm

package jsbridge

import (
	"syscall/js"

	"github.com/mlsidb/mlsidb"
)

var (
	jsUint8Array  = js.Global().Get("Uint8Array")
	jsArrayBuffer = js.Global().Get("ArrayBuffer")
)

// BytesToJS returns a new Uint8Array holding a copy of b (an empty one for
// nil). It never returns a view of wasm memory, so the result stays valid
// whatever Go does with b or its memory afterwards.
func BytesToJS(b []byte) js.Value {
	a := jsUint8Array.New(len(b))
	if len(b) > 0 {
		js.CopyBytesToJS(a, b)
	}
	return a
}

// BytesToJSMany returns a new Uint8Array holding a copy of each of parts,
// as BytesToJS does, with fewer crossings into JavaScript: the bytes are
// copied in once, into one array, and each result is a slice of it (a
// copy with a buffer of its own, never a view).
func BytesToJSMany(parts [][]byte) []js.Value {
	out := make([]js.Value, len(parts))
	if len(parts) < 3 {
		for i, p := range parts {
			out[i] = BytesToJS(p)
		}
		return out
	}
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	all := make([]byte, 0, n)
	for _, p := range parts {
		all = append(all, p...)
	}
	buf := BytesToJS(all)
	at := 0
	for i, p := range parts {
		out[i] = buf.Call("slice", at, at+len(p))
		at += len(p)
	}
	return out
}

// errNotBytes reports a JS value that is neither a Uint8Array nor an
// ArrayBuffer.
var errNotBytes = &Error{Name: "TypeError", Message: "value is not a Uint8Array or ArrayBuffer", Err: mlsidb.ErrInvalidArgument}

// BytesFromJS returns a Go copy of the bytes of v: a Uint8Array (only its
// own range of its buffer) or an ArrayBuffer (what IndexedDB returns for
// binary keys). Anything else, other typed arrays and DataView included,
// is an error wrapping mlsidb.ErrInvalidArgument, as web/mlsidb.js
// documents for its Bytes type. The result is never nil.
func BytesFromJS(v js.Value) ([]byte, error) {
	var u8 js.Value
	switch {
	case v.Type() != js.TypeObject:
		return nil, errNotBytes
	case v.InstanceOf(jsUint8Array):
		u8 = v
	case v.InstanceOf(jsArrayBuffer):
		u8 = jsUint8Array.New(v)
	default:
		return nil, errNotBytes
	}
	out := make([]byte, u8.Length())
	if len(out) > 0 {
		js.CopyBytesToGo(out, u8)
	}
	return out, nil
}

// StoredBytes is BytesFromJS for a value read back from storage, which is
// nearly always a Uint8Array this code stored: it tries the length and the
// copy first (two crossings into JavaScript instead of three) and checks
// the type only when they fail or the array is empty. Unlike BytesFromJS
// it also takes a Uint8ClampedArray.
func StoredBytes(v js.Value) ([]byte, error) {
	if v.Type() == js.TypeObject {
		if n := v.Length(); n > 0 {
			out := make([]byte, n)
			if copyToGo(out, v) {
				return out, nil
			}
		}
	}
	return BytesFromJS(v)
}

// copyToGo is js.CopyBytesToGo, false when src is no Uint8Array (or
// Uint8ClampedArray) or is shorter than dst.
func copyToGo(dst []byte, src js.Value) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return js.CopyBytesToGo(dst, src) == len(dst)
}
