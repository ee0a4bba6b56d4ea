//go:build js && wasm

package jsbridge

import (
	"context"
	"syscall/js"
)

// outcome is what a Promise's handler hands to the waiting goroutine.
type outcome struct {
	ok    bool     // fulfilled
	value js.Value // the Promise's value or reason
}

// AwaitRequest waits for the IDBRequest req to succeed or fail and returns
// its result, or its error converted by [FromJS]. A request that has
// already settled is read at once (waiting on it would never return).
//
// When ctx ends first it returns ctx.Err() and detaches its handlers; the
// request itself cannot be cancelled: the caller aborts its transaction if
// it must.
//
// A failed request aborts its transaction (its error event is left to run
// its default action).
func AwaitRequest(ctx context.Context, req js.Value) (js.Value, error) {
	if err := ctx.Err(); err != nil {
		return js.Value{}, err
	}
	if req.Get("readyState").String() == "done" {
		return requestOutcome(req)
	}
	settled, detach := onSettle(req, "success", "error")
	defer detach()
	select {
	case <-settled:
		return requestOutcome(req)
	case <-ctx.Done():
		return js.Value{}, ctx.Err()
	}
}

// onSettle sets one handler as target's on<okEvent> and on<failEvent>
// handlers. The first of those events sends on settled whether it was
// okEvent; later ones are dropped. detach removes the handlers and
// releases them.
func onSettle(target js.Value, okEvent, failEvent string) (settled <-chan bool, detach func()) {
	ch := make(chan bool, 1)
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ok := len(args) > 0 && args[0].Get("type").String() == okEvent
		select {
		case ch <- ok:
		default:
		}
		return nil
	})
	return ch, attach(target, fn, okEvent, failEvent)
}

// attach makes fn target's on<event> handler for each of events and
// returns detach, which removes those handlers and releases fn.
func attach(target js.Value, fn js.Func, events ...string) (detach func()) {
	for _, e := range events {
		target.Set("on"+e, fn)
	}
	return func() {
		for _, e := range events {
			target.Set("on"+e, js.Null())
		}
		fn.Release()
	}
}

// requestOutcome reads the result or the error of a settled request.
func requestOutcome(req js.Value) (js.Value, error) {
	if e := req.Get("error"); !e.IsNull() && !e.IsUndefined() {
		return js.Value{}, FromJS(e)
	}
	return req.Get("result"), nil
}

// errAborted reports a transaction aborted without an error of its own
// (someone called abort()).
var errAborted = NewError("AbortError", "the transaction was aborted")

// AwaitTransaction waits for the IDBTransaction tx to complete. When it
// aborts instead, it returns the transaction's error converted by [FromJS]
// (a failed request, or a QuotaExceededError), or an AbortError.
//
// Attach it right after creating the transaction and issuing its requests,
// before the goroutine waits on anything else: a transaction commits as
// soon as control returns to the event loop with no request pending.
//
// When ctx ends first, it aborts the transaction and returns ctx.Err():
// nothing of the transaction was written. When the transaction can no
// longer be aborted (it is already committing), it waits for the outcome
// and reports that instead, since the writes took effect.
func AwaitTransaction(ctx context.Context, tx js.Value) error {
	settled, detach := onSettle(tx, "complete", "abort")
	defer detach()
	select {
	case ok := <-settled:
		return transactionOutcome(tx, ok)
	case <-ctx.Done():
	}
	if Catch(func() { tx.Call("abort") }) == nil {
		return ctx.Err()
	}
	return transactionOutcome(tx, <-settled)
}

// transactionOutcome is the error of a transaction that completed (ok) or
// aborted.
func transactionOutcome(tx js.Value, ok bool) error {
	if ok {
		return nil
	}
	if err := FromJS(tx.Get("error")); err != nil {
		return err
	}
	return errAborted
}

// AwaitPromise waits for the JS Promise (or any thenable) p to settle and
// returns its value, or its rejection reason converted by [FromJS]. A
// value that is not a thenable is returned as it is.
//
// When ctx ends first it returns ctx.Err(); the handlers it attached stay
// until the Promise settles, then release themselves.
func AwaitPromise(ctx context.Context, p js.Value) (js.Value, error) {
	if err := ctx.Err(); err != nil {
		return js.Value{}, err
	}
	if p.Type() != js.TypeObject || p.Get("then").Type() != js.TypeFunction {
		return p, nil
	}
	ch := make(chan outcome, 1)
	var onOK, onErr js.Func
	settle := func(ok bool) js.Func {
		return js.FuncOf(func(_ js.Value, args []js.Value) any {
			v := js.Undefined()
			if len(args) > 0 {
				v = args[0]
			}
			ch <- outcome{ok: ok, value: v} // never blocks: called at most once in all
			onOK.Release()
			onErr.Release()
			return nil
		})
	}
	onOK, onErr = settle(true), settle(false)
	if err := Catch(func() { p.Call("then", onOK, onErr) }); err != nil {
		onOK.Release()
		onErr.Release()
		return js.Value{}, err
	}
	select {
	case o := <-ch:
		if o.ok {
			return o.value, nil
		}
		if err := FromJS(o.value); err != nil {
			return js.Value{}, err
		}
		return js.Value{}, NewError("Error", "the Promise was rejected with "+o.value.Type().String())
	case <-ctx.Done():
		return js.Value{}, ctx.Err()
	}
}

// IterCursor drives the cursor request req (made by openCursor or
// openKeyCursor). For each record it calls visit with the cursor, inside
// the request's success event handler, where the transaction is active:
// visit must not block, and it may read the cursor's key and value.
// Iteration goes on (cursor.continue()) while visit returns true and no
// error.
//
// IterCursor returns nil when the cursor is exhausted or visit stopped,
// the error of visit or of the request, or ctx.Err() when ctx ends first
// (the caller then aborts the transaction).
func IterCursor(ctx context.Context, req js.Value, visit func(cursor js.Value) (more bool, err error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	done := make(chan error, 1)
	finish := func(err error) {
		select {
		case done <- err:
		default:
		}
	}
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) == 0 || args[0].Get("type").String() != "success" {
			err := FromJS(req.Get("error"))
			if err == nil {
				err = errAborted
			}
			finish(err)
			return nil
		}
		cur := req.Get("result")
		if cur.IsNull() || cur.IsUndefined() {
			finish(nil)
			return nil
		}
		more, err := visitGuarded(visit, cur)
		if err == nil && more {
			err = Catch(func() { cur.Call("continue") })
			if err == nil {
				return nil
			}
		}
		finish(err)
		return nil
	})
	defer attach(req, fn, "success", "error")()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// visitGuarded calls visit, turning a panic (which would end the program
// inside a JS event handler) into an error.
func visitGuarded(visit func(js.Value) (bool, error), cur js.Value) (more bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			if je, ok := r.(js.Error); ok {
				err = FromJS(je.Value)
				return
			}
			err = NewPanicError(r)
		}
	}()
	return visit(cur)
}
