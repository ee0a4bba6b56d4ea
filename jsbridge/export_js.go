//go:build js && wasm

package jsbridge

import (
	"context"
	"syscall/js"
)

var (
	jsPromise          = js.Global().Get("Promise")
	hasWithResolvers   = jsPromise.Get("withResolvers").Type() == js.TypeFunction
	errRejectedNothing = NewError("Error", "rejected")
)

// ExportFunc is the Go side of an exported function: it gets the call's
// context and arguments and returns the value the Promise resolves to, or
// the error it is rejected with.
type ExportFunc func(ctx context.Context, args []js.Value) (js.Value, error)

// Export returns a JS function that runs fn and returns a Promise of its
// result. fn runs in a goroutine of its own, so it may wait on IndexedDB,
// Promises and channels without blocking the JS event loop (a JS callback
// that blocks deadlocks a Go wasm program). Every call gets ctx. An error
// rejects the Promise with an Error carrying a stable `code` (see [Code]
// and [ErrorToJS]); a panic in fn rejects it with code "Internal" instead
// of crashing the program. The caller releases the js.Func when it is no
// longer needed.
func Export(ctx context.Context, fn ExportFunc) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) any {
		promise, resolve, reject := newPromise()
		args = append([]js.Value(nil), args...)
		go func() {
			v, err := runGuarded(ctx, fn, args)
			if err != nil {
				reject.Invoke(ErrorToJS(err))
				return
			}
			resolve.Invoke(v)
		}()
		return promise
	})
}

// runGuarded runs fn, turning a panic into an error.
func runGuarded(ctx context.Context, fn ExportFunc, args []js.Value) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			v = js.Undefined()
			if je, ok := r.(js.Error); ok {
				if err = FromJS(je.Value); err == nil {
					err = errRejectedNothing
				}
				err = &PanicError{Value: err.Error()}
				return
			}
			err = NewPanicError(r)
		}
	}()
	return fn(ctx, args)
}

// newPromise returns a new pending Promise and its resolve and reject
// functions.
func newPromise() (promise, resolve, reject js.Value) {
	if hasWithResolvers {
		r := jsPromise.Call("withResolvers")
		return r.Get("promise"), r.Get("resolve"), r.Get("reject")
	}
	executor := js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject = args[0], args[1]
		return nil
	})
	defer executor.Release()
	promise = jsPromise.New(executor) // runs executor synchronously
	return promise, resolve, reject
}
