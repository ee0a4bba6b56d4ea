//go:build js && wasm

package jsbridge

import (
	"context"
	"sync"
	"sync/atomic"
	"syscall/js"
)

var jsAbortController = js.Global().Get("AbortController")

// LockManager returns the host's Web Locks LockManager (navigator.locks,
// in windows and workers), or undefined when the host has none: Web Locks
// exist only in secure contexts (https, localhost) of browsers from 2022
// on.
func LockManager() js.Value {
	var locks js.Value
	if err := Catch(func() {
		nav := js.Global().Get("navigator")
		if nav.Type() == js.TypeObject {
			locks = nav.Get("locks")
		}
	}); err != nil {
		return js.Undefined()
	}
	if locks.Type() != js.TypeObject || locks.Get("request").Type() != js.TypeFunction {
		return js.Undefined()
	}
	return locks
}

// Lock states.
const (
	lockWaiting int32 = iota
	lockGranted
	lockAbandoned
	lockFailed
)

// WebLock requests the exclusive Web Lock called name from the
// LockManager locks (see [LockManager]) and waits until it is granted, or
// until ctx ends. The lock is held by a Promise that unlock resolves, so it
// is held across goroutine waits and released when unlock is called (or
// when the page or worker goes away). unlock may be called more than once;
// only the first call counts.
//
// When ctx ends first, the request is aborted (an AbortSignal), WebLock
// returns ctx.Err(), and nothing is held: a grant that raced with the
// abort is released at once. A request the LockManager refuses (say, a
// SecurityError) is returned converted by [FromJS].
func WebLock(ctx context.Context, locks js.Value, name string) (unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var (
		state    atomic.Int32
		granted  = make(chan js.Value, 1) // the resolve function of the holding Promise
		failed   = make(chan error, 1)
		ctrl     js.Value
		callback js.Func
		onOK     js.Func
		onErr    js.Func
	)
	if err := Catch(func() { ctrl = jsAbortController.New() }); err != nil {
		return nil, err
	}
	// callback runs when the lock is granted. Unless the wait was
	// abandoned meanwhile, it returns a Promise that holds the lock until
	// Go resolves it; an abandoned grant returns undefined, which releases
	// the lock at once.
	callback = js.FuncOf(func(js.Value, []js.Value) any {
		callback.Release()
		if !state.CompareAndSwap(lockWaiting, lockGranted) {
			return js.Undefined()
		}
		promise, resolve, _ := newPromise()
		granted <- resolve
		return promise
	})
	settle := func(ok bool) js.Func {
		return js.FuncOf(func(_ js.Value, args []js.Value) any {
			onOK.Release()
			onErr.Release()
			if ok {
				return nil // the lock was released
			}
			callback.Release() // never called: the request was aborted or refused
			reason := js.Undefined()
			if len(args) > 0 {
				reason = args[0]
			}
			if state.CompareAndSwap(lockWaiting, lockFailed) {
				err := FromJS(reason)
				if err == nil {
					err = NewError("Error", "the lock request was rejected")
				}
				failed <- err
			}
			return nil
		})
	}
	onOK, onErr = settle(true), settle(false)
	opts := js.ValueOf(map[string]any{"mode": "exclusive"})
	opts.Set("signal", ctrl.Get("signal"))
	var req js.Value
	if err := Catch(func() { req = locks.Call("request", name, opts, callback) }); err != nil {
		callback.Release()
		onOK.Release()
		onErr.Release()
		return nil, err
	}
	req.Call("then", onOK, onErr)

	release := func(resolve js.Value) func() {
		var once sync.Once
		return func() { once.Do(func() { resolve.Invoke() }) }
	}
	select {
	case resolve := <-granted:
		return release(resolve), nil
	case err := <-failed:
		return nil, err
	case <-ctx.Done():
	}
	if state.CompareAndSwap(lockWaiting, lockAbandoned) {
		_ = Catch(func() { ctrl.Call("abort") })
		return nil, ctx.Err()
	}
	// Granted or refused just now: release what was granted.
	select {
	case resolve := <-granted:
		resolve.Invoke()
	case <-failed:
	}
	return nil, ctx.Err()
}

// SignalContext returns a context derived from parent that is cancelled
// when the AbortSignal signal aborts (at once when it has aborted
// already). An undefined or null signal gives a plain cancellable
// context. The CancelFunc removes the listener it added; call it when the
// work is done.
func SignalContext(parent context.Context, signal js.Value) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	if signal.IsUndefined() || signal.IsNull() {
		return ctx, cancel
	}
	if signal.Get("aborted").Truthy() {
		cancel()
		return ctx, cancel
	}
	var once sync.Once
	var onAbort js.Func
	onAbort = js.FuncOf(func(js.Value, []js.Value) any {
		cancel()
		return nil
	})
	if err := Catch(func() { signal.Call("addEventListener", "abort", onAbort) }); err != nil {
		onAbort.Release()
		return ctx, cancel
	}
	return ctx, func() {
		cancel()
		once.Do(func() {
			_ = Catch(func() { signal.Call("removeEventListener", "abort", onAbort) })
			onAbort.Release()
		})
	}
}

// WebLockAsync requests the exclusive Web Lock called name from the
// LockManager locks and calls done once: with its unlock function when it
// is granted (from the grant's JS callback: done must not block), or with
// the error the request failed with. It is WebLock for callers that must
// not block; there is no context: the request cannot be abandoned.
func WebLockAsync(locks js.Value, name string, done func(unlock func(), err error)) {
	webLockAsync(locks, name, false, done)
}

// WebLockTryAsync is WebLockAsync with ifAvailable: when another holder
// has the lock (or others wait for it), done gets a nil unlock and a nil
// error at once instead of waiting.
func WebLockTryAsync(locks js.Value, name string, done func(unlock func(), err error)) {
	webLockAsync(locks, name, true, done)
}

func webLockAsync(locks js.Value, name string, ifAvailable bool, done func(unlock func(), err error)) {
	opts := jsExclusive
	if ifAvailable {
		opts = jsExclusiveIfAvailable
	}
	var callback, onErr js.Func
	var settled atomic.Bool
	release := func() {
		callback.Release()
		onErr.Release()
	}
	callback = js.FuncOf(func(_ js.Value, args []js.Value) any {
		release()
		if !settled.CompareAndSwap(false, true) {
			return js.Undefined()
		}
		if ifAvailable && len(args) > 0 && args[0].IsNull() { // not available
			done(nil, nil)
			return js.Undefined()
		}
		// The lock is held until the Promise returned here resolves.
		promise, d := newDeferred()
		var once sync.Once
		done(func() { once.Do(func() { d.resolve(js.Undefined()) }) }, nil)
		return promise
	})
	onErr = js.FuncOf(func(_ js.Value, args []js.Value) any {
		release()
		if !settled.CompareAndSwap(false, true) {
			return nil
		}
		reason := js.Undefined()
		if len(args) > 0 {
			reason = args[0]
		}
		err := FromJS(reason)
		if err == nil {
			err = NewError("Error", "the lock request was rejected")
		}
		done(nil, err)
		return nil
	})
	var req js.Value
	if err := Catch(func() { req = locks.Call("request", name, opts, callback) }); err != nil {
		release()
		done(nil, err)
		return
	}
	req.Call("then", js.Undefined(), onErr)
}

var (
	jsExclusive            = js.ValueOf(map[string]any{"mode": "exclusive"})
	jsExclusiveIfAvailable = js.ValueOf(map[string]any{"mode": "exclusive", "ifAvailable": true})
)
