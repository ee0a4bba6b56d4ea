//go:build js && wasm

package idbstore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"syscall/js"
	"time"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/jsbridge"
)

// Durability is the durability hint of the backend's readwrite
// transactions.
type Durability uint8

const (
	// DurabilityStrict reports a commit only after the browser has flushed
	// it to disk. It is the default; see the package documentation for
	// why MLS state needs it.
	DurabilityStrict Durability = iota
	// DurabilityRelaxed reports a commit once the browser has handed it to
	// the operating system: faster, but a crash or power cut may lose
	// writes that were reported as done.
	DurabilityRelaxed
	// DurabilityBrowserDefault leaves the choice to the browser (IndexedDB's
	// "default").
	DurabilityBrowserDefault
)

// String returns the IndexedDB name of the hint: "strict", "relaxed" or
// "default".
func (d Durability) String() string {
	switch d {
	case DurabilityStrict:
		return "strict"
	case DurabilityRelaxed:
		return "relaxed"
	case DurabilityBrowserDefault:
		return "default"
	}
	return "unknown"
}

// DefaultBlockedTimeout is how long Open waits for other connections to
// let a blocked open or upgrade go on when Options.BlockedTimeout is zero.
const DefaultBlockedTimeout = 5 * time.Second

// Options configure [Open]. The zero value is the recommended setting.
type Options struct {
	// Durability is the durability hint of readwrite transactions;
	// DurabilityStrict by default.
	Durability Durability
	// BlockedTimeout bounds how long Open waits, once the browser reports
	// the open as blocked by other connections to the database, before it
	// gives up with mlsidb.ErrBlocked. Zero means DefaultBlockedTimeout.
	BlockedTimeout time.Duration
	// Factory is the IDBFactory to open the database with; the zero
	// js.Value (undefined) means globalThis.indexedDB.
	Factory js.Value
	// LockManager is the Web Locks LockManager that serializes writers and
	// locks groups across tabs and workers; the zero js.Value (undefined)
	// means navigator.locks when the host has it. Null turns Web Locks
	// off: writers are then serialized within each provider only (see
	// Backend.WebLocks).
	LockManager js.Value
	// LeaseIdle is how long the connection keeps the writer Web Lock after
	// a write when no other connection asks for it (they ask on a
	// BroadcastChannel and get it as soon as the current write ends).
	// Zero means DefaultLeaseIdle; a negative duration turns the lease
	// off, so that each write requests the lock and releases it.
	LeaseIdle time.Duration
	// LeaseMax bounds how long the connection keeps the writer lock over
	// back-to-back writes before it lets others have a turn. Zero means
	// DefaultLeaseMax.
	LeaseMax time.Duration
	// Executor is idbExec, the object that exec.js (also in web/mlsidb.js,
	// which passes it) defines: with it, each batch of reads or writes
	// crosses between Go and JavaScript once, packed, instead of once per
	// request, key, value and result. Undefined: Go issues every request
	// itself (the same batches and transactions, more crossings).
	Executor js.Value
}

// Backend is an [mlsidb.Backend] over one IndexedDB database. It is safe
// for concurrent use by many goroutines. Create one with [Open].
type Backend struct {
	name       string
	db         js.Value
	txOptions  js.Value            // {durability: ...} for readwrite transactions
	storeNames map[string]js.Value // record store name -> its JS string

	locks       js.Value // the LockManager, or undefined
	writerLock  string   // Web Lock name of the writer lock
	lease       *writerLease
	exec        js.Value         // Options.Executor, or undefined
	execNames   js.Value         // the record store names, by index, as a JS array
	storeIndex  map[string]uint8 // record store name -> its index in execNames
	groupPrefix string           // Web Lock names of group locks start with it
	created     bool             // this Open created the database

	closed    atomic.Pointer[closedError]
	done      chan struct{} // closed once closed is set
	release   sync.Once
	onVersion js.Func
	onClose   js.Func

	notifyMu  sync.Mutex
	endpoints map[*endpoint]struct{}
}

// closedError is returned by every call after the connection closed; it
// says why.
type closedError struct{ why string }

func (e *closedError) Error() string { return "idbstore: " + mlsidb.ErrClosed.Error() + ": " + e.why }
func (e *closedError) Unwrap() error { return mlsidb.ErrClosed }

var errClosedByCaller = &closedError{why: "Close was called"}

// The reasons a backend closes by itself, as [Backend.Err] returns them;
// both wrap mlsidb.ErrClosed.
var (
	// ErrVersionChange: another connection (a tab with newer code, or one
	// deleting the database) asked to upgrade or delete the database, and
	// the backend closed its connection so that it could.
	ErrVersionChange error = &closedError{why: "another connection asked to upgrade or delete the database"}
	// ErrClosedByBrowser: the browser closed the connection (the user
	// cleared site data, or the storage failed).
	ErrClosedByBrowser error = &closedError{why: "the browser closed the connection"}
)

// Open opens (creating or upgrading it as needed) the IndexedDB database
// called name and returns a backend over it. It fails with an error
// wrapping mlsidb.ErrUnavailable when the host has no IndexedDB,
// mlsidb.ErrBlocked when other connections hold up the open for longer
// than opts.BlockedTimeout, mlsidb.ErrVersionMismatch when the database
// has a newer schema than this code knows, mlsidb.ErrInvalidArgument for
// an empty name, and ctx.Err() when ctx ends first.
func Open(ctx context.Context, name string, opts Options) (*Backend, error) {
	return openWith(ctx, name, opts, schema)
}

// openEvent is an event of the open request, handed to Open's goroutine.
type openEvent uint8

const (
	evSuccess openEvent = iota + 1
	evError
	evBlocked
)

// openWith opens name with the upgrade path steps (tests cut it short to
// make databases of earlier versions).
func openWith(ctx context.Context, name string, opts Options, steps []upgradeStep) (*Backend, error) {
	fail := func(err error) (*Backend, error) {
		return nil, wrapf("idbstore: open "+quote(name), err)
	}
	if name == "" {
		return fail(detailf(mlsidb.ErrInvalidArgument, "database name is empty"))
	}
	if opts.Durability > DurabilityBrowserDefault {
		return fail(detailf(mlsidb.ErrInvalidArgument, "unknown durability "+itoa(int(opts.Durability))))
	}
	if opts.BlockedTimeout < 0 {
		return fail(detailf(mlsidb.ErrInvalidArgument, "negative blocked timeout"))
	}
	timeout := opts.BlockedTimeout
	if timeout == 0 {
		timeout = DefaultBlockedTimeout
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	factory, err := factoryOf(opts)
	if err != nil {
		return fail(err)
	}
	req, err := jsbridge.Call(factory, "open", name, len(steps))
	if err != nil {
		// A synchronous throw of open() means storage is refused here
		// (SecurityError in opaque origins, InvalidStateError in some
		// private modes).
		return fail(unavailable(err))
	}

	// The handlers run in JS event dispatch and never block: they hand
	// events over on ch. Once Open has given up (abandoned), they clean up
	// on their own: an upgrade is aborted, a connection that opens after
	// all is closed, and they release themselves when the request ends.
	var (
		ch         = make(chan openEvent, 4)
		abandoned  atomic.Bool
		upgradeErr error // written by the upgrade handler, read after evError
		created    bool  // written by the upgrade handler, read after evSuccess
		handler    js.Func
	)
	send := func(ev openEvent) {
		select {
		case ch <- ev:
		default: // only evBlocked can repeat; one is enough
		}
	}
	detach := func() {
		for _, h := range []string{"onsuccess", "onerror", "onblocked", "onupgradeneeded"} {
			req.Set(h, js.Null())
		}
		handler.Release()
	}
	handler = js.FuncOf(func(_ js.Value, args []js.Value) any {
		switch args[0].Get("type").String() {
		case "upgradeneeded":
			tx := req.Get("transaction")
			if abandoned.Load() {
				_ = jsbridge.Catch(func() { tx.Call("abort") })
				return nil
			}
			old := args[0].Get("oldVersion").Int()
			created = old == 0
			if err := runSteps(req.Get("result"), tx, steps, old); err != nil {
				upgradeErr = err
				_ = jsbridge.Catch(func() { tx.Call("abort") })
			}
		case "success":
			if abandoned.Load() {
				req.Get("result").Call("close")
				detach()
				return nil
			}
			send(evSuccess)
		case "error":
			if abandoned.Load() {
				detach()
				return nil
			}
			send(evError)
		case "blocked":
			send(evBlocked)
		}
		return nil
	})
	for _, h := range []string{"onsuccess", "onerror", "onblocked", "onupgradeneeded"} {
		req.Set(h, handler)
	}

	// giveUp abandons the request. Events from now on are handled by the
	// handler itself; one that came before (select chose the timer or ctx
	// over it) is handled here, so that no connection is left open.
	giveUp := func() {
		abandoned.Store(true)
		for {
			select {
			case ev := <-ch:
				switch ev {
				case evSuccess:
					req.Get("result").Call("close")
					detach()
					return
				case evError:
					detach()
					return
				}
			default:
				return
			}
		}
	}
	var blocked <-chan time.Time
	for {
		select {
		case ev := <-ch:
			switch ev {
			case evBlocked:
				if blocked == nil {
					t := time.NewTimer(timeout)
					defer t.Stop()
					blocked = t.C
				}
				continue
			case evError:
				detach()
				if upgradeErr != nil {
					return fail(upgradeErr)
				}
				err := jsbridge.FromJS(req.Get("error"))
				if err == nil {
					err = errors.New("the open request failed without an error")
				}
				if errors.Is(err, mlsidb.ErrVersionMismatch) {
					err = wrapf("the database has a newer schema than this code knows (version "+itoa(len(steps))+")", err)
				}
				return fail(err)
			case evSuccess:
				detach()
				b, err := newBackend(name, req.Get("result"), opts)
				if err != nil {
					return fail(err)
				}
				b.created = created
				return b, nil
			}
		case <-blocked:
			giveUp()
			return fail(detailf(mlsidb.ErrBlocked, "other connections to the database did not close within "+timeout.String()))
		case <-ctx.Done():
			giveUp()
			return fail(ctx.Err())
		}
	}
}

// factoryOf returns the IDBFactory to use, or an error wrapping
// mlsidb.ErrUnavailable.
func factoryOf(opts Options) (js.Value, error) {
	f := opts.Factory
	if f.IsUndefined() {
		if err := jsbridge.Catch(func() { f = js.Global().Get("indexedDB") }); err != nil {
			return js.Value{}, unavailable(err)
		}
	}
	if f.Type() != js.TypeObject || f.Get("open").Type() != js.TypeFunction {
		return js.Value{}, detailf(mlsidb.ErrUnavailable, "this host has no IndexedDB")
	}
	return f, nil
}

// unavailable returns err, a JS error thrown by IndexedDB, as an error
// that wraps mlsidb.ErrUnavailable and no other sentinel.
func unavailable(err error) error {
	var je *jsbridge.Error
	if errors.As(err, &je) {
		return &jsbridge.Error{Name: je.Name, Message: je.Message, Err: mlsidb.ErrUnavailable}
	}
	return detailf(mlsidb.ErrUnavailable, err.Error())
}

// runSteps runs the upgrade steps from version old on. It never panics:
// it runs in a JS event handler, where a panic would end the program.
func runSteps(db, tx js.Value, steps []upgradeStep, old int) (err error) {
	v := old
	defer func() {
		if r := recover(); r != nil {
			err = wrapf("upgrade to schema version "+itoa(v+1)+" ("+steps[v].what+")", jsbridge.NewPanicError(r))
		}
	}()
	for ; v < len(steps); v++ {
		var stepErr error
		if err := jsbridge.Catch(func() { stepErr = steps[v].run(db, tx) }); err != nil {
			stepErr = err
		}
		if stepErr != nil {
			return wrapf("upgrade to schema version "+itoa(v+1)+" ("+steps[v].what+")", stepErr)
		}
	}
	return nil
}

// newBackend checks the schema of an open connection and wraps it.
func newBackend(name string, db js.Value, opts Options) (*Backend, error) {
	names := db.Get("objectStoreNames")
	b := &Backend{
		name:        name,
		db:          db,
		txOptions:   js.ValueOf(map[string]any{"durability": opts.Durability.String()}),
		storeNames:  make(map[string]js.Value),
		locks:       lockManager(opts),
		writerLock:  writerLockName(name),
		groupPrefix: groupLockPrefix(name),
		done:        make(chan struct{}),
		endpoints:   map[*endpoint]struct{}{},
	}
	for _, s := range mlsidb.StoreNames() {
		if !names.Call("contains", s).Bool() {
			db.Call("close")
			return nil, detailf(mlsidb.ErrVersionMismatch, "the database (version "+itoa(db.Get("version").Int())+
				") has no object store "+quote(s))
		}
		b.storeNames[s] = js.ValueOf(s)
	}
	exec, err := executor(opts.Executor)
	if err != nil {
		db.Call("close")
		return nil, err
	}
	if !exec.IsUndefined() {
		b.exec = exec
		list := mlsidb.StoreNames()
		all := make([]any, len(list))
		b.storeIndex = make(map[string]uint8, len(list))
		for i, s := range list {
			all[i] = s
			b.storeIndex[s] = uint8(i)
		}
		b.execNames = js.ValueOf(all)
	}
	b.lease = newWriterLease(b, opts.LeaseIdle, opts.LeaseMax)
	b.onVersion = js.FuncOf(func(js.Value, []js.Value) any {
		b.shut(ErrVersionChange.(*closedError))
		return nil
	})
	b.onClose = js.FuncOf(func(js.Value, []js.Value) any {
		b.shut(ErrClosedByBrowser.(*closedError))
		return nil
	})
	db.Set("onversionchange", b.onVersion)
	db.Set("onclose", b.onClose)
	return b, nil
}

// shut marks the backend closed for the reason why and closes the
// connection (once). Transactions already running finish first.
func (b *Backend) shut(why *closedError) {
	if !b.closed.CompareAndSwap(nil, why) {
		return
	}
	close(b.done)
	_ = jsbridge.Catch(func() { b.db.Call("close") })
	b.lease.close(why)
	b.closeEndpoints()
	b.release.Do(func() {
		b.db.Set("onversionchange", js.Null())
		b.db.Set("onclose", js.Null())
		b.onVersion.Release()
		b.onClose.Release()
	})
}

// Name returns the name of the IndexedDB database.
func (b *Backend) Name() string { return b.name }

// Created reports whether Open created the database: it did not exist
// before. That is a first run, or the database was deleted since: by the
// user clearing site data, by the browser's eviction of the origin's
// storage, or by Chromium, which deletes a database it finds corrupt when
// it opens it (seen after repeated browser crashes; see the README's
// "Crashes"). An app that knows it stored state before (a device it
// registered with its server, say) can tell a lost store from a new one
// by this. Exactly one Open sees true, the one whose upgrade created the
// database: another connection opening it a moment later, or after a
// reload, sees false. An app should record a loss in its own storage at
// once.
func (b *Backend) Created() bool { return b.created }

// Close implements [mlsidb.Backend]: it closes the connection; calls
// already running finish, later calls fail with mlsidb.ErrClosed. Closing
// again does nothing.
func (b *Backend) Close() error {
	b.shut(errClosedByCaller)
	return nil
}

// Err returns nil while the backend is open, and an error wrapping
// mlsidb.ErrClosed that says why once it is closed: by Close, by another
// connection's upgrade or delete ([ErrVersionChange]), or by the browser
// ([ErrClosedByBrowser]).
func (b *Backend) Err() error {
	if e := b.closed.Load(); e != nil {
		return e
	}
	return nil
}

// Done returns a channel that is closed when the backend closes, by Close
// or by itself (see Err): a tab learns that a newer version of the app
// upgraded the database and that it must stop or reload.
func (b *Backend) Done() <-chan struct{} { return b.done }

// storeValue returns the JS name of a record store, or an error for a name
// that is not one of mlsidb.StoreNames.
func (b *Backend) storeValue(store string) (js.Value, error) {
	v, ok := b.storeNames[store]
	if !ok {
		return js.Value{}, detailf(mlsidb.ErrInvalidArgument, "no record store "+quote(truncate(store)))
	}
	return v, nil
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
