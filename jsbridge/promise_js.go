//go:build js && wasm

package jsbridge

import (
	"sync"
	"syscall/js"
)

var (
	jsPromise        = js.Global().Get("Promise")
	hasWithResolvers = jsPromise.Get("withResolvers").Type() == js.TypeFunction
)

// Export returns a JS function that returns a Promise, in two phases.
//
// prepare runs synchronously, inside the JS call: it checks the arguments
// and copies what it needs of them into Go values (bytes with
// [BytesFromJS]), because JavaScript may change a Uint8Array as soon as
// the call returns. It returns the work to do, which must not read args.
// An error of prepare rejects the Promise at once ([Rejected]); otherwise
// work runs in a new goroutine and settles it ([Promise]). A panic in
// prepare or work rejects the Promise with code Internal instead of ending
// the program.
//
// The caller releases the js.Func when it is no longer needed.
func Export(prepare func(args []js.Value) (work func() (any, error), err error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) any {
		var work func() (any, error)
		err := Guard(func() (err error) {
			work, err = prepare(args)
			return err
		})
		if err != nil {
			return Rejected(err)
		}
		return Promise(work)
	})
}

// Promise returns a new Promise and runs work in a new goroutine to settle
// it, so that work may wait on IndexedDB, Promises, locks and channels
// without blocking the JS event loop (a JS callback that blocks deadlocks
// a Go wasm program).
//
// The Promise resolves to work's value converted by js.ValueOf (nil is
// undefined), or is rejected with [ErrorToJS] of work's error. A panic in
// work, or a value js.ValueOf cannot convert, rejects it with code
// Internal (see [Guard]).
func Promise(work func() (any, error)) js.Value {
	promise, resolve, reject := newPromise()
	go func() {
		var v js.Value
		err := Guard(func() error {
			r, err := work()
			if err != nil {
				return err
			}
			v = valueOf(r)
			return nil
		})
		if err != nil {
			reject.Invoke(ErrorToJS(err))
			return
		}
		resolve.Invoke(v)
	}()
	return promise
}

// Rejected returns a Promise already rejected with [ErrorToJS](err); err
// must not be nil.
func Rejected(err error) js.Value {
	return jsPromise.Call("reject", ErrorToJS(err))
}

// valueOf is js.ValueOf, except that nil is undefined (not null).
func valueOf(v any) js.Value {
	if v == nil {
		return js.Undefined()
	}
	return js.ValueOf(v)
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

// Settle returns a Promise for work that start begins without blocking:
// start must see to it that done is called exactly once (later calls are
// ignored), with the value (converted as by [Promise]) or the error. When
// done runs before start returns, the Promise is made already settled;
// otherwise it settles when done runs, from whatever event handler or
// goroutine calls it. Settle itself starts no goroutine: an exported
// function whose work is issued at once (IndexedDB requests settled by
// their own event handlers) answers with it at the cost of the Promise
// alone. A panic in start rejects the Promise with code Internal.
func Settle(start func(done func(v any, err error))) js.Value {
	s := &settler{}
	if err := Guard(func() error {
		start(s.done)
		return nil
	}); err != nil {
		s.done(nil, err)
	}
	s.mu.Lock()
	if s.have {
		v, err := s.v, s.err
		s.v, s.err = nil, nil
		s.mu.Unlock()
		if err != nil {
			return Rejected(err)
		}
		r, err := toJS(v)
		if err != nil {
			return Rejected(err)
		}
		return jsPromise.Call("resolve", r)
	}
	promise, d := newDeferred()
	s.d, s.started = d, true
	s.mu.Unlock()
	return promise
}

// settler is the state of one Settle: the outcome when it came before the
// Promise was made, the Promise's functions after.
type settler struct {
	mu            sync.Mutex
	started, have bool
	v             any
	err           error
	d             deferred
}

func (s *settler) done(v any, err error) {
	s.mu.Lock()
	if s.have {
		s.mu.Unlock()
		return
	}
	s.have = true
	if !s.started {
		s.v, s.err = v, err
		s.mu.Unlock()
		return
	}
	d := s.d
	s.mu.Unlock()
	if err == nil {
		var r js.Value
		if r, err = toJS(v); err == nil {
			d.resolve(r)
			return
		}
	}
	d.reject(ErrorToJS(err))
}

// deferred settles a Promise made by newDeferred. With
// Promise.withResolvers it keeps the resolvers object and calls its
// methods (one crossing each, no js.Value per function); otherwise it
// holds the functions.
type deferred struct {
	resolvers           js.Value
	resolveFn, rejectFn js.Value
}

func newDeferred() (js.Value, deferred) {
	if hasWithResolvers {
		r := jsPromise.Call("withResolvers")
		return r.Get("promise"), deferred{resolvers: r}
	}
	promise, resolve, reject := newPromise()
	return promise, deferred{resolveFn: resolve, rejectFn: reject}
}

func (d deferred) resolve(v js.Value) {
	if d.resolvers.Truthy() {
		d.resolvers.Call("resolve", v)
		return
	}
	d.resolveFn.Invoke(v)
}

func (d deferred) reject(v js.Value) {
	if d.resolvers.Truthy() {
		d.resolvers.Call("reject", v)
		return
	}
	d.rejectFn.Invoke(v)
}

// toJS is valueOf, with a value it cannot convert as an error.
func toJS(v any) (r js.Value, err error) {
	err = Guard(func() error {
		r = valueOf(v)
		return nil
	})
	return r, err
}
