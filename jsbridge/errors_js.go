//go:build js && wasm

package jsbridge

import (
	"syscall/js"
)

var jsObject = js.Global().Get("Object")

// FromJS converts a JS error value (a DOMException, an Error, or anything
// thrown) into an [*Error], reading its name and message; nil for null and
// undefined. Its DOMException name is mapped to an mlsidb sentinel by
// [Sentinel].
func FromJS(v js.Value) error {
	switch v.Type() {
	case js.TypeNull, js.TypeUndefined:
		return nil
	case js.TypeString:
		return NewError("Error", v.String())
	case js.TypeObject, js.TypeFunction:
		name, msg := v.Get("name"), v.Get("message")
		n, m := "Error", ""
		if name.Type() == js.TypeString {
			n = name.String()
		}
		if msg.Type() == js.TypeString {
			m = msg.String()
		}
		return NewError(n, m)
	default:
		return NewError("Error", "a value of type "+v.Type().String()+" was thrown")
	}
}

// Catch runs f and returns the JS exception it threw (a js.Error panic of
// syscall/js) as an error converted by [FromJS]. Other panics go on.
func Catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			je, ok := r.(js.Error)
			if !ok {
				panic(r)
			}
			err = FromJS(je.Value)
			if err == nil {
				err = NewError("Error", "null was thrown")
			}
		}
	}()
	f()
	return nil
}

// Call calls the method of v with args and returns its result, or the JS
// exception it threw synchronously as an error (see [FromJS]). Use it for
// every call that may throw a DOMException, such as IndexedDB's
// transaction(), put() or IDBKeyRange.bound().
func Call(v js.Value, method string, args ...any) (res js.Value, err error) {
	err = Catch(func() { res = v.Call(method, args...) })
	return res, err
}

// New calls the constructor ctor with args, returning the JS exception it
// threw as an error.
func New(ctor js.Value, args ...any) (res js.Value, err error) {
	err = Catch(func() { res = ctor.New(args...) })
	return res, err
}

// ErrorToJS returns the value a Promise is rejected with for err: a plain
// object {code, message} holding [Code](err) and err's text, so JavaScript
// tells errors apart without parsing messages. It is deliberately not a JS
// Error: web/mlsidb.js turns such an object into an MlsStorageError with
// that code, and anything else (say, a TypeError thrown by the runtime)
// into one with code Internal. For nil it returns undefined.
func ErrorToJS(err error) js.Value {
	if err == nil {
		return js.Undefined()
	}
	o := jsObject.New()
	o.Set("code", Code(err))
	o.Set("message", err.Error())
	return o
}
