//go:build js && wasm

package main

import (
	"context"
	"errors"
	"os"
	"sync"
	"syscall/js"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/jsbridge"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] == "" {
		println("mlsidb.wasm: start it through mlsidb.js (go.argv[1] names the property to register under)")
		os.Exit(2)
	}
	table, err := buildTable()
	if err != nil {
		println("mlsidb.wasm:", err.Error())
		os.Exit(2)
	}
	a := newAPI(table)
	js.Global().Set(os.Args[1], a.object())
	select {} // serve JS calls until the page goes away
}

// api is the state behind the registered JS object: the dispatch table and
// the open store and transaction handles.
type api struct {
	table  []methodSpec
	byName map[string]*methodSpec

	openMu sync.Mutex // serializes open and close

	mu     sync.Mutex
	next   int
	stores map[int]*storeHandle
	txs    map[int]*txHandle
	shared map[string]*sharedStore
}

// sharedStore is one provider, shared by every handle opened under its name.
type sharedStore struct {
	name       string
	durability string
	p          *mlsidb.Provider
	refs       int
}

// storeHandle is what openStore returned to JavaScript.
type storeHandle struct {
	s *sharedStore
}

// txHandle is a transaction that JavaScript is running: an Update whose
// function waits for end.
type txHandle struct {
	view   mlsidb.Store
	parent int // handle of the enclosing transaction, 0 for a store's
	end    chan bool
	result chan error
}

// errRolledBack is what the Update function returns when JavaScript asks
// for a rollback. It never reaches JavaScript.
var errRolledBack = errors.New("transaction rolled back by its callback")

func newAPI(table []methodSpec) *api {
	a := &api{
		table:  table,
		byName: make(map[string]*methodSpec, len(table)),
		stores: map[int]*storeHandle{},
		txs:    map[int]*txHandle{},
		shared: map[string]*sharedStore{},
	}
	for i := range table {
		a.byName[table[i].JS] = &table[i]
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
		methods[i] = map[string]any{
			"name": s.JS, "go": s.Go, "openmls": s.OpenMLS, "group": s.Group,
			"args": args, "result": string(s.Result),
		}
	}
	o.Set("methods", js.ValueOf(methods))
	o.Set("version", int(mlsidb.CurrentVersion))
	o.Set("open", jsbridge.Export(a.open))
	o.Set("close", jsbridge.Export(a.close))
	o.Set("call", jsbridge.Export(a.call))
	o.Set("begin", jsbridge.Export(a.begin))
	o.Set("end", jsbridge.Export(a.end))
	o.Set("importOpenMls", jsbridge.Export(a.importOpenMls))
	o.Set("exportOpenMls", jsbridge.Export(a.exportOpenMls))
	o.Set("syncOpenMls", jsbridge.Export(a.syncOpenMls))
	return o
}

// target returns the store a handle stands for: a store's provider or a
// transaction's view.
func (a *api) target(h int) (mlsidb.Store, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.stores[h]; ok {
		return s.s.p, nil
	}
	if t, ok := a.txs[h]; ok {
		return t.view, nil
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

// open(name, durability) opens (or shares) the store of that name.
func (a *api) open(args []js.Value) (func() (any, error), error) {
	const op = "open"
	if len(args) != 2 {
		return nil, badArg(op, "want 2 arguments (name, durability)")
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
	return func() (any, error) {
		a.openMu.Lock()
		defer a.openMu.Unlock()
		a.mu.Lock()
		s := a.shared[name]
		a.mu.Unlock()
		if s != nil {
			if s.durability != durability {
				return nil, badArg(op, "the store is already open on this page with another durability")
			}
		} else {
			ctx := context.Background()
			b, err := openBackend(ctx, name, durability)
			if err != nil {
				return nil, err
			}
			p, err := mlsidb.New(ctx, b, mlsidb.Options{})
			if err != nil {
				_ = b.Close()
				return nil, err
			}
			s = &sharedStore{name: name, durability: durability, p: p}
		}
		return a.register(func(h int) {
			s.refs++
			a.shared[name] = s
			a.stores[h] = &storeHandle{s: s}
		}), nil
	}, nil
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
				delete(a.shared, sh.s.name)
			}
		}
		a.mu.Unlock()
		if last != nil {
			return js.Undefined(), last.p.Close()
		}
		return js.Undefined(), nil
	}, nil
}

// call(handle, name, ...args) runs one method of the dispatch table.
func (a *api) call(args []js.Value) (func() (any, error), error) {
	if len(args) < 2 || args[0].Type() != js.TypeNumber || args[1].Type() != js.TypeString {
		return nil, badArg("call", "want (handle, method name, ...arguments)")
	}
	spec, ok := a.byName[args[1].String()]
	if !ok {
		return nil, badArg("call", "no such method")
	}
	in, err := convertArgs(spec, args[2:])
	if err != nil {
		return nil, err
	}
	h := args[0].Int()
	return func() (any, error) {
		st, err := a.target(h)
		if err != nil {
			return nil, err
		}
		return invoke(context.Background(), st, spec, in)
	}, nil
}

// begin(handle) starts a transaction on a store or, nested, on a
// transaction; it resolves to the transaction's handle once the
// transaction holds the store's write lock.
func (a *api) begin(args []js.Value) (func() (any, error), error) {
	if len(args) != 1 || args[0].Type() != js.TypeNumber {
		return nil, badArg("begin", "want 1 argument (store or transaction handle)")
	}
	h := args[0].Int()
	return func() (any, error) {
		st, err := a.target(h)
		if err != nil {
			return nil, err
		}
		a.mu.Lock()
		parent := 0
		if _, ok := a.txs[h]; ok {
			parent = h
		}
		a.mu.Unlock()
		t := &txHandle{parent: parent, end: make(chan bool, 1), result: make(chan error, 1)}
		started := make(chan int, 1)
		failed := make(chan error, 1)
		go func() {
			entered := false
			err := jsbridge.Guard(func() error {
				return st.Update(context.Background(), func(view mlsidb.Store) error {
					entered = true
					t.view = view
					started <- a.register(func(id int) { a.txs[id] = t })
					if <-t.end {
						return nil
					}
					return errRolledBack
				})
			})
			if entered {
				t.result <- err
			} else {
				failed <- err
			}
		}()
		select {
		case id := <-started:
			return id, nil
		case err := <-failed:
			if err == nil {
				err = errors.New("mlsidb: begin: the transaction ended before it started")
			}
			return nil, err
		}
	}, nil
}

// end(txHandle, commit) ends a transaction: commit true commits what it
// wrote, false rolls it back. It resolves when the transaction is over and
// rejects when the commit fails. Open nested transactions roll back first.
func (a *api) end(args []js.Value) (func() (any, error), error) {
	if len(args) != 2 || args[0].Type() != js.TypeNumber || args[1].Type() != js.TypeBoolean {
		return nil, badArg("end", "want 2 arguments (transaction handle, commit)")
	}
	h, commit := args[0].Int(), args[1].Bool()
	a.mu.Lock()
	t, ok := a.txs[h]
	delete(a.txs, h)
	a.mu.Unlock()
	if !ok {
		return nil, &handleError{}
	}
	return func() (any, error) {
		a.endChildren(h)
		t.end <- commit
		err := <-t.result
		if errors.Is(err, errRolledBack) {
			err = nil
		}
		return js.Undefined(), err
	}, nil
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
		t.end <- false
		<-t.result
	}
}

func validDurability(d string) bool {
	switch d {
	case "", "default", "strict", "relaxed":
		return true
	}
	return false
}
