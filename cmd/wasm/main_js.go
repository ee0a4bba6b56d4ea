//go:build js && wasm

package main

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"syscall"
	"syscall/js"
	"time"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/idbstore"
	"github.com/mlsidb/mlsidb/jsbridge"
)

// apiEnv is the environment variable (go.env) that names the property of
// globalThis to register the API under. (Not os.Args: package os, with
// the file and poll code it brings, is about 20 KB of the gzipped wasm.)
const apiEnv = "MLSIDB_API"

func main() {
	prop, _ := syscall.Getenv(apiEnv)
	if prop == "" {
		println("mlsidb.wasm: start it through mlsidb.js (go.env." + apiEnv + " names the property to register under)")
		return
	}
	table, err := buildTable()
	if err != nil {
		println("mlsidb.wasm:", err.Error())
		return
	}
	a := newAPI(table)
	js.Global().Set(prop, a.object())
	select {} // serve JS calls until the page goes away
}

// api is the state behind the registered JS object: the dispatch table and
// the open store and transaction handles.
type api struct {
	table []methodSpec

	openMu sync.Mutex // serializes open and close

	mu     sync.Mutex
	next   int
	stores map[int]*storeHandle
	txs    map[int]*txHandle
	locks  map[int]chan struct{} // group locks held, by lock handle: closing the channel releases
	shared map[string]*sharedStore

	settleFn js.Value // init's settle function
}

// sharedStore is one provider, shared by every handle opened under its name.
type sharedStore struct {
	name       string
	durability string
	b          *idbstore.Backend
	p          *mlsidb.Provider
	refs       int // guarded by api.mu
	stopWatch  func()
}

// storeHandle is what openStore returned to JavaScript.
type storeHandle struct {
	s        *sharedStore
	listener js.Value // a JS function (type, detail), or undefined
}

// txHandle is a transaction that JavaScript is running.
type txHandle struct {
	tx     *mlsidb.Tx
	parent int // handle of the enclosing transaction, 0 for a store's
}

func newAPI(table []methodSpec) *api {
	a := &api{
		table:  table,
		stores: map[int]*storeHandle{},
		txs:    map[int]*txHandle{},
		locks:  map[int]chan struct{}{},
		shared: map[string]*sharedStore{},
	}
	return a
}

// object returns the JS object JavaScript reaches Go through.
func (a *api) object() js.Value {
	o := js.Global().Get("Object").New()
	methods := make([]any, len(a.table))
	for i, s := range a.table {
		args := make([]any, len(s.Args))
		for j, k := range s.Args {
			args[j] = string(k)
		}
		keys := make([]any, len(s.Keys))
		for j, k := range s.Keys {
			keys[j] = k
		}
		methods[i] = map[string]any{
			"name": s.JS, "go": s.Go, "openmls": s.OpenMLS, "group": s.Group,
			"args": args, "keys": keys, "result": string(s.Result),
		}
	}
	o.Set("methods", js.ValueOf(methods))
	o.Set("apiVersion", apiVersion)
	o.Set("version", int(mlsidb.CurrentVersion))
	o.Set("maxKeyLen", mlsidb.MaxKeyLen)
	o.Set("open", jsbridge.Export(a.open))
	o.Set("close", jsbridge.Export(a.close))
	o.Set("init", js.FuncOf(a.init))
	o.Set("invoke", js.FuncOf(a.invoke))
	o.Set("callMany", js.FuncOf(a.callMany))
	o.Set("begin", js.FuncOf(a.begin))
	o.Set("end", js.FuncOf(a.end))
	o.Set("importOpenMls", jsbridge.Export(a.importOpenMls))
	o.Set("exportOpenMls", jsbridge.Export(a.exportOpenMls))
	o.Set("syncOpenMls", jsbridge.Export(a.syncOpenMls))
	o.Set("lockGroup", jsbridge.Export(a.lockGroup))
	o.Set("unlockGroup", jsbridge.Export(a.unlockGroup))
	return o
}

// target returns the store a handle stands for: a store's provider or a
// transaction's view.
func (a *api) target(h int) (*mlsidb.Provider, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.stores[h]; ok {
		return s.s.p, nil
	}
	if t, ok := a.txs[h]; ok {
		return t.tx.Store(), nil
	}
	return nil, &handleError{}
}

// handleError reports a handle that is closed, ended or was never issued.
type handleError struct{}

func (*handleError) Error() string {
	return "mlsidb: " + mlsidb.ErrClosed.Error() + ": the store is closed or the transaction has ended"
}
func (*handleError) Unwrap() error { return mlsidb.ErrClosed }

func (a *api) register(f func(h int)) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.next++
	f(a.next)
	return a.next
}

// open(name, durability, blockedTimeoutMs, listener, executor) opens (or
// shares) the store of that name, and resolves to {handle, created, id}:
// created is true when this call created the database
// (idbstore.Backend.Created), false when it shares a store this page had
// open already; id is the store's ID (mlsidb.Provider.ID), a Uint8Array.
// The last three arguments are optional: executor is mlsidb.js's idbExec
// (idbstore.Options.Executor); blockedTimeoutMs bounds a blocked open
// (idbstore.Options.BlockedTimeout; default when undefined),
// listener is called as listener(type, detail) with the store's events:
// "change" ({groups, methodGroups}: a commit of another tab or worker) and
// "close" ({code, reason, message}: the connection was closed from
// outside).
func (a *api) open(args []js.Value) (func() (any, error), error) {
	const op = "open"
	if len(args) < 2 || len(args) > 5 {
		return nil, badArg(op, "want 2 to 5 arguments (name, durability, blocked timeout, listener, executor)")
	}
	for len(args) < 5 {
		args = append(args, js.Undefined())
	}
	if args[0].Type() != js.TypeString || args[0].String() == "" {
		return nil, badArg(op, "name must be a non-empty string")
	}
	name := args[0].String()
	durability := ""
	switch args[1].Type() {
	case js.TypeUndefined:
	case js.TypeString:
		durability = args[1].String()
	default:
		return nil, badArg(op, "durability must be a string")
	}
	if !validDurability(durability) {
		return nil, badArg(op, `durability must be "strict", "relaxed" or "default"`)
	}
	if durability == "" {
		durability = "strict"
	}
	var blocked time.Duration
	switch v := args[2]; v.Type() {
	case js.TypeUndefined:
	case js.TypeNumber:
		ms := v.Float()
		if !(ms > 0 && ms <= math.MaxInt32) {
			return nil, badArg(op, "blocked timeout must be a positive number of milliseconds")
		}
		blocked = time.Duration(ms * float64(time.Millisecond))
	default:
		return nil, badArg(op, "blocked timeout must be a number")
	}
	listener := args[3]
	if !listener.IsUndefined() && listener.Type() != js.TypeFunction {
		return nil, badArg(op, "listener must be a function")
	}
	executor := args[4]
	if !executor.IsUndefined() && executor.Type() != js.TypeObject {
		return nil, badArg(op, "executor must be idbExec")
	}
	return func() (any, error) {
		a.openMu.Lock()
		defer a.openMu.Unlock()
		a.mu.Lock()
		s := a.shared[name]
		if s != nil && s.b.Err() != nil {
			s = nil // closed from outside; watchClose drops it
			delete(a.shared, name)
		}
		a.mu.Unlock()
		if s != nil {
			if s.durability != durability {
				return nil, badArg(op, "the store is already open on this page with another durability")
			}
		}
		created := false
		if s == nil {
			ctx := context.Background()
			b, err := openBackend(ctx, name, durability, blocked, executor)
			if err != nil {
				return nil, err
			}
			p, err := mlsidb.New(ctx, b, mlsidb.Options{})
			if err != nil {
				_ = b.Close()
				return nil, err
			}
			created = b.Created()
			s = &sharedStore{name: name, durability: durability, b: b, p: p}
			s.stopWatch = p.Watch(func(c mlsidb.Change) {
				if !c.Local {
					a.emit(s, "change", func() js.Value { return changeDetail(c) })
				}
			})
			go a.watchClose(s)
		}
		h := a.register(func(h int) {
			s.refs++
			a.shared[name] = s
			a.stores[h] = &storeHandle{s: s, listener: listener}
		})
		return map[string]any{"handle": h, "created": created, "id": jsbridge.BytesToJS(s.p.ID())}, nil
	}, nil
}

// emit calls the listener of every open handle of s with an event; detail
// makes a fresh detail object for each (so that no listener sees what
// another changed). The listeners are JS functions that only queue the
// event, so emit never runs application code.
func (a *api) emit(s *sharedStore, typ string, detail func() js.Value) {
	a.mu.Lock()
	var listeners []js.Value
	for _, h := range a.stores {
		if h.s == s && !h.listener.IsUndefined() {
			listeners = append(listeners, h.listener)
		}
	}
	a.mu.Unlock()
	for _, l := range listeners {
		_ = jsbridge.Catch(func() { l.Invoke(typ, detail()) })
	}
}

// changeDetail is the detail of a "change" event: {groups: Uint8Array[],
// methodGroups: string[]}.
func changeDetail(c mlsidb.Change) js.Value {
	groups := make([]any, len(c.Groups))
	for i, g := range c.Groups {
		groups[i] = jsbridge.BytesToJS(g)
	}
	mgs := make([]any, len(c.MethodGroups))
	for i, g := range c.MethodGroups {
		mgs[i] = g.String()
	}
	return js.ValueOf(map[string]any{"groups": groups, "methodGroups": mgs})
}

// watchClose waits for the store's connection to close. When it closed
// from outside (a newer schema, a deleted database, the browser), the
// store is dropped from the shared ones, so the next open makes a new
// connection, and its handles get a "close" event; their later calls fail
// with Closed.
func (a *api) watchClose(s *sharedStore) {
	<-s.b.Done()
	err := s.b.Err()
	reason := ""
	switch {
	case errors.Is(err, idbstore.ErrVersionChange):
		reason = "versionchange"
	case errors.Is(err, idbstore.ErrClosedByBrowser):
		reason = "browser"
	default:
		return // closed by close()
	}
	a.mu.Lock()
	if a.shared[s.name] == s {
		delete(a.shared, s.name)
	}
	a.mu.Unlock()
	a.emit(s, "close", func() js.Value {
		return js.ValueOf(map[string]any{"code": jsbridge.Code(err), "reason": reason, "message": err.Error()})
	})
}

// close(handle) closes a store handle; the provider closes with its last
// handle. Closing a closed handle succeeds.
func (a *api) close(args []js.Value) (func() (any, error), error) {
	if len(args) != 1 || args[0].Type() != js.TypeNumber {
		return nil, badArg("close", "want 1 argument (store handle)")
	}
	h := args[0].Int()
	return func() (any, error) {
		a.openMu.Lock()
		defer a.openMu.Unlock()
		a.mu.Lock()
		sh, ok := a.stores[h]
		var last *sharedStore
		if ok {
			delete(a.stores, h)
			sh.s.refs--
			if sh.s.refs == 0 {
				last = sh.s
				if a.shared[sh.s.name] == sh.s {
					delete(a.shared, sh.s.name)
				}
			}
		}
		a.mu.Unlock()
		if last != nil {
			last.stopWatch()
			return js.Undefined(), last.p.Close()
		}
		return js.Undefined(), nil
	}, nil
}

// lockGroup(handle, groupId, signal) takes the group's lock
// (Provider.WithGroupLock: Web Locks across tabs and workers) and resolves
// to a lock handle once it is held; unlockGroup releases it. signal, an
// AbortSignal or undefined, ends the wait: the Promise then rejects.
func (a *api) lockGroup(args []js.Value) (func() (any, error), error) {
	const op = "lockGroup"
	if len(args) != 3 || args[0].Type() != js.TypeNumber {
		return nil, badArg(op, "want 3 arguments (store handle, group id, signal)")
	}
	groupID, err := jsbridge.BytesFromJS(args[1])
	if err != nil {
		return nil, badArg(op, "argument 2 (group id) must be a Uint8Array or ArrayBuffer, got "+typeName(args[1]))
	}
	signal := args[2]
	if !signal.IsUndefined() && !signal.IsNull() &&
		(signal.Type() != js.TypeObject || signal.Get("addEventListener").Type() != js.TypeFunction) {
		return nil, badArg(op, "argument 3 must be an AbortSignal")
	}
	h := args[0].Int()
	a.mu.Lock()
	sh, ok := a.stores[h]
	a.mu.Unlock()
	if !ok {
		return nil, &handleError{}
	}
	ctx, cancel := jsbridge.SignalContext(context.Background(), signal)
	return func() (any, error) {
		started := make(chan int, 1)
		failed := make(chan error, 1)
		release := make(chan struct{})
		go func() {
			defer cancel()
			entered := false
			err := jsbridge.Guard(func() error {
				return sh.s.p.WithGroupLock(ctx, groupID, func(context.Context) error {
					entered = true
					started <- a.register(func(id int) { a.locks[id] = release })
					<-release
					return nil
				})
			})
			if !entered {
				failed <- err
			}
		}()
		select {
		case id := <-started:
			return id, nil
		case err := <-failed:
			if err == nil {
				err = errors.New("mlsidb: lockGroup: the lock ended before it was held")
			}
			return nil, err
		}
	}, nil
}

// unlockGroup(lockHandle) releases a group lock lockGroup took. Releasing
// it again fails with Closed.
func (a *api) unlockGroup(args []js.Value) (func() (any, error), error) {
	if len(args) != 1 || args[0].Type() != js.TypeNumber {
		return nil, badArg("unlockGroup", "want 1 argument (lock handle)")
	}
	id := args[0].Int()
	a.mu.Lock()
	release, ok := a.locks[id]
	delete(a.locks, id)
	a.mu.Unlock()
	if !ok {
		return nil, &handleError{}
	}
	close(release)
	return func() (any, error) { return js.Undefined(), nil }, nil
}

// init(settle) gives the API the JS function that invoke settles its
// calls with: settle(id, true, value) or settle(id, false, error). It is
// made once, so a call costs no Promise, resolvers or function made in Go.
func (a *api) init(_ js.Value, args []js.Value) any {
	if len(args) != 1 || args[0].Type() != js.TypeFunction {
		return jsbridge.ErrorToJS(badArg("init", "want 1 argument (a settle function)"))
	}
	a.mu.Lock()
	a.settleFn = args[0]
	a.mu.Unlock()
	return js.Undefined()
}

// invoke(handle, packed, id) runs contract calls (the 56 methods,
// deleteGroup, loadGroup) for mlsidb.js: packed is a batch of
// calls packed as for callMany (per call the method's index, then its
// arguments), so the arguments cross with one copy; they run in order
// (runCalls). The outcome goes to the settle function of init, with id,
// once (perhaps before invoke returns): settle(id, true, the last call's
// result), or settle(id, false, error, index of the call that failed).
// mlsidb.js sends a transaction's queued writes with its next read this
// way.
func (a *api) invoke(_ js.Value, args []js.Value) any {
	a.mu.Lock()
	settle := a.settleFn
	a.mu.Unlock()
	if settle.IsUndefined() || len(args) != 3 || args[0].Type() != js.TypeNumber || args[2].Type() != js.TypeNumber {
		return jsbridge.ErrorToJS(badArg("invoke", "want (handle, packed call, id) after init"))
	}
	id := args[2]
	done := func(v any, failed int, err error) {
		if err == nil {
			var r js.Value
			if r, err = toJSValue(v); err == nil {
				settle.Invoke(id, true, r)
				return
			}
		}
		settle.Invoke(id, false, jsbridge.ErrorToJS(err), failed)
	}
	var (
		calls []call
		p     *mlsidb.Provider
	)
	err := jsbridge.Guard(func() error {
		var err error
		if calls, err = a.batch("invoke", args[1]); err != nil {
			return err
		}
		if len(calls) == 0 {
			return badArg("invoke", "no packed call")
		}
		p, err = a.target(args[0].Int())
		return err
	})
	if err != nil {
		done(nil, 0, err)
		return js.Undefined()
	}
	if err := jsbridge.Guard(func() error {
		runCalls(p, calls, done)
		return nil
	}); err != nil {
		done(nil, 0, err)
	}
	return js.Undefined()
}

// batch decodes the packed calls of argument v of function op.
func (a *api) batch(op string, v js.Value) ([]call, error) {
	b, err := jsbridge.BytesFromJS(v)
	if err != nil {
		return nil, badArg(op, "the batch must be a Uint8Array")
	}
	return decodeCalls(a.table, b)
}

// toJSValue converts a call's result (a js.Value already, or nil).
func toJSValue(v any) (js.Value, error) {
	switch r := v.(type) {
	case nil:
		return js.Undefined(), nil
	case js.Value:
		return r, nil
	}
	return js.Undefined(), errors.New("mlsidb: internal error: a result of unknown type")
}

// callMany(handle, batch) runs a batch of calls one after the other, as
// invoke does: batch is a Uint8Array packed by mlsidb.js's Batch (see
// decodeCalls), so that the whole batch crosses with one copy. It stops at
// the first call that fails and rejects with its error, and resolves to
// undefined when all succeed. The JS module sends a transaction's writes
// with it: on a transaction's view they only buffer, so they complete at
// once.
func (a *api) callMany(_ js.Value, args []js.Value) any {
	var (
		calls []call
		p     *mlsidb.Provider
	)
	err := jsbridge.Guard(func() error {
		if len(args) != 2 || args[0].Type() != js.TypeNumber {
			return badArg("callMany", "want (handle, batch)")
		}
		var err error
		if calls, err = a.batch("callMany", args[1]); err != nil {
			return err
		}
		p, err = a.target(args[0].Int())
		return err
	})
	if err != nil {
		return jsbridge.Rejected(err)
	}
	return jsbridge.Settle(func(done func(any, error)) {
		runCalls(p, calls, func(_ any, _ int, err error) { done(nil, err) })
	})
}

// runCalls runs calls one after the other on p, each through
// Provider.Async, and calls done once: with the last call's result, or
// with the error of the first call that fails and its index (the calls
// after it are not run). Calls that complete at once go on in a loop; one
// that waits (IndexedDB, a lock) goes on from its callback.
func runCalls(p *mlsidb.Provider, calls []call, done func(v any, failed int, err error)) {
	var run func(i int)
	run = func(i int) {
		var last any
		for ; i < len(calls); i++ {
			c, next := calls[i], i+1
			// state: 0 while Async runs, 1 when the call completed
			// inside it, 2 when Async returned first.
			var (
				state  atomic.Int32
				failed error
				value  any
			)
			p.Async(func(ctx context.Context, s mlsidb.Store) (any, error) {
				return invoke(ctx, s, c.spec, c.in)
			}, func(v any, err error) {
				failed, value = err, v // read only after state 1 is seen
				if state.CompareAndSwap(0, 1) {
					return
				}
				if err != nil {
					done(nil, next-1, err)
					return
				}
				if next == len(calls) {
					done(v, 0, nil)
					return
				}
				run(next)
			})
			if state.CompareAndSwap(0, 2) {
				return // it goes on from the callback
			}
			if failed != nil {
				done(nil, i, failed)
				return
			}
			last = value
		}
		done(last, 0, nil)
	}
	run(0)
}

// begin(handle) starts a transaction on a store or, nested, on a
// transaction; it resolves to the transaction's handle once the
// transaction holds the writer locks (Provider.BeginAsync: the Web Lock's
// grant settles it; a goroutine waits only when this page's lock is held).
func (a *api) begin(_ js.Value, args []js.Value) any {
	if len(args) != 1 || args[0].Type() != js.TypeNumber {
		return jsbridge.Rejected(badArg("begin", "want 1 argument (store or transaction handle)"))
	}
	h := args[0].Int()
	p, err := a.target(h)
	if err != nil {
		return jsbridge.Rejected(err)
	}
	a.mu.Lock()
	parent := 0
	if _, ok := a.txs[h]; ok {
		parent = h
	}
	a.mu.Unlock()
	register := func(tx *mlsidb.Tx) int {
		return a.register(func(id int) { a.txs[id] = &txHandle{tx: tx, parent: parent} })
	}
	return jsbridge.Settle(func(done func(any, error)) {
		p.BeginAsync(func(tx *mlsidb.Tx, err error) {
			if err != nil {
				done(nil, err)
				return
			}
			done(register(tx), nil)
		})
	})
}

// end(txHandle, commit, batch) ends a transaction: commit true commits
// what it wrote, after the calls of batch (optional, packed as for
// callMany: the transaction's last queued writes; when one fails, the
// transaction rolls back and end rejects with its error), false rolls it
// back. It resolves when the transaction is over and
// rejects when the commit fails. Open nested transactions roll back first.
func (a *api) end(_ js.Value, args []js.Value) any {
	if len(args) < 2 || len(args) > 3 || args[0].Type() != js.TypeNumber || args[1].Type() != js.TypeBoolean {
		return jsbridge.Rejected(badArg("end", "want 2 or 3 arguments (transaction handle, commit, batch)"))
	}
	h, commit := args[0].Int(), args[1].Bool()
	var calls []call
	if len(args) == 3 && !args[2].IsUndefined() {
		err := jsbridge.Guard(func() (err error) {
			calls, err = a.batch("end", args[2])
			return err
		})
		if err != nil {
			return jsbridge.Rejected(err)
		}
	}
	a.mu.Lock()
	t, ok := a.txs[h]
	delete(a.txs, h)
	a.mu.Unlock()
	if !ok {
		return jsbridge.Rejected(&handleError{})
	}
	a.endChildren(h)
	if !commit {
		t.tx.Rollback()
		return jsbridge.Settle(func(done func(any, error)) { done(nil, nil) })
	}
	return jsbridge.Settle(func(done func(any, error)) {
		if len(calls) == 0 {
			t.tx.CommitAsync(func(err error) { done(nil, err) })
			return
		}
		runCalls(t.tx.Store(), calls, func(_ any, _ int, err error) {
			if err != nil {
				t.tx.Rollback()
				done(nil, err)
				return
			}
			t.tx.CommitAsync(func(err error) { done(nil, err) })
		})
	})
}

// endChildren rolls back every open transaction nested in h.
func (a *api) endChildren(h int) {
	a.mu.Lock()
	var kids []*txHandle
	var ids []int
	for id, t := range a.txs {
		if t.parent == h {
			kids = append(kids, t)
			ids = append(ids, id)
			delete(a.txs, id)
		}
	}
	a.mu.Unlock()
	for i, t := range kids {
		a.endChildren(ids[i])
		t.tx.Rollback()
	}
}

func validDurability(d string) bool {
	switch d {
	case "", "default", "strict", "relaxed":
		return true
	}
	return false
}
