package mlsidb

import (
	"context"
	"errors"
	"strconv"
	"sync"
)

// AsyncBackend is an optional interface of a [Backend] whose reads and
// batches can be started without blocking, their outcome reported to a
// callback: IndexedDB in a browser, where a request is issued at once and
// settled by its own event handlers. [Provider.Async] and [Tx.CommitAsync]
// use it so that a host that must not block (a JavaScript call into Go
// wasm) needs no goroutine per call.
//
// Both methods issue their work before they return, and call done exactly
// once, later (from an event handler) or before they return (on an error
// found at once). done must not block. The provider holds its writer
// locks until a batch's done has run, as it does around Apply.
type AsyncBackend interface {
	Backend
	// ReadAsync performs reads as [BatchReader.ReadBatch] does.
	ReadAsync(reads []Read, done func([]ReadResult, error))
	// ApplyAsync applies ops as one atomic batch, as [Backend.Apply] does.
	ApplyAsync(ops []Op, done func(error))
}

// Async runs call, a function of calls on the store, without blocking the
// calling goroutine, and reports its result to done. It is for hosts that
// must not block, such as a JavaScript event handler in Go wasm: over an
// [AsyncBackend] the call's reads and its write are started right away and
// done runs from the backend's event handlers, with no goroutine.
//
// call may run more than once: it runs until it needs a read nobody has
// done yet; Async then starts that read and runs call again, from the
// start, once the result is in, until call completes. So call must do
// nothing but calls on s with ctx, and the same calls again given the same
// results; its result is that of its last run. Its writes are held back
// until that last run completes, then made. A single contract call, or
// LoadGroup, or DeleteGroup, is such a function. Calls that cannot run
// this way run instead on a goroutine of their own, the ordinary way:
// when a lock they need is held, when they read after writing, when they
// write to the backend twice, or when the backend is not an AsyncBackend.
//
// done is called exactly once: before Async returns (when call completed
// without waiting, or failed), or later from an event handler or a
// goroutine. A panic of call becomes an error.
func (p *Provider) Async(call func(ctx context.Context, s Store) (any, error), done func(any, error)) {
	d := p.kv.root()
	ab, ok := d.b.(AsyncBackend)
	if !ok {
		p.async(call, done)
		return
	}
	pl := &plan{p: p, ab: ab, call: call, done: done}
	pl.ctx = context.WithValue(context.Background(), planKey{}, pl)
	pl.run()
}

// async runs call the ordinary way, on a goroutine of its own.
func (p *Provider) async(call func(ctx context.Context, s Store) (any, error), done func(any, error)) {
	go func() {
		var v any
		err := guard(func() (err error) {
			v, err = call(context.Background(), p)
			return err
		})
		done(v, err)
	}()
}

// guard runs f and turns its panic into an error.
func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{r}
		}
	}()
	return f()
}

// panicError is a panic turned into an error.
type panicError struct{ v any }

func (e *panicError) Error() string {
	// Only an error's or a string's text: other values could hold bytes.
	switch v := e.v.(type) {
	case error:
		return "mlsidb: panic: " + v.Error()
	case string:
		return "mlsidb: panic: " + v
	}
	return "mlsidb: panic"
}

type planKey struct{}

// planOf returns the plan a call runs under, or nil for ordinary calls.
func planOf(ctx context.Context) *plan {
	pl, _ := ctx.Value(planKey{}).(*plan)
	return pl
}

// Errors of a pass of a plan. They never reach done.
var (
	// errPending: the pass needs a read that has not been done yet.
	errPending = errors.New("mlsidb: a read is pending")
	// errFallback: the call cannot run without blocking (a lock is held,
	// or it writes twice).
	errFallback = errors.New("mlsidb: the call must wait")
)

// plan is one call run by Async: the reads done so far and what the
// current pass needs, wrote and holds. Everything of a plan runs on one
// goroutine at a time (the caller of Async, then the backend's event
// handlers, one after another).
type plan struct {
	p    *Provider
	ab   AsyncBackend
	ctx  context.Context
	call func(ctx context.Context, s Store) (any, error)
	done func(any, error)

	rounds  [][]Read // the reads of each round done so far
	results [][]ReadResult
	errs    []error // the error of each round, if it failed
	held    []sem   // locks the plan holds, until it ends

	// The backend's writer lock (Locker): held until the plan ends;
	// lockErr is why it could not be taken.
	backendUnlock func()
	lockErr       error
	needLock      bool // the current pass waits for it

	// The current pass.
	next     int    // rounds consumed
	need     []Read // the reads it is waiting for
	writes   []planWrite
	op       string // the operation writing now, for its error
	group    MethodGroup
	fallback bool
}

// planWrite is a write a pass held back.
type planWrite struct {
	to    kv // the backend (*direct) or a transaction's buffer
	ops   []Op
	op    string
	group MethodGroup
}

// run runs one pass of the call and starts what it needs next.
func (pl *plan) run() {
	pl.next, pl.need, pl.writes, pl.op, pl.group, pl.fallback, pl.needLock = 0, nil, nil, "", NoMethodGroup, false, false
	var v any
	err := guard(func() (err error) {
		v, err = pl.call(pl.ctx, pl.p)
		return err
	})
	switch {
	case pl.fallback:
		// Nothing was written: run it the ordinary way.
		pl.release()
		pl.p.async(pl.call, pl.done)
	case pl.needLock:
		pl.p.kv.root().locker.(AsyncLocker).LockAsync(func(unlock func(), err error) {
			if err != nil {
				pl.lockErr = err // the next pass's lock fails with it
			} else {
				pl.backendUnlock = unlock
			}
			pl.run()
		})
	case pl.need != nil:
		reads := pl.need
		pl.rounds = append(pl.rounds, reads)
		pl.ab.ReadAsync(reads, func(res []ReadResult, err error) {
			if err == nil && len(res) != len(reads) {
				err = errors.New("mlsidb: the backend returned " + strconv.Itoa(len(res)) + " results for " + strconv.Itoa(len(reads)) + " reads")
			}
			pl.results = append(pl.results, res)
			pl.errs = append(pl.errs, err)
			pl.run()
		})
	case err == nil && len(pl.writes) > 0:
		pl.write(v)
	default:
		pl.release()
		pl.done(v, err)
	}
}

// write makes the writes of the last pass: into transaction buffers at
// once, to the backend with ApplyAsync.
func (pl *plan) write(v any) {
	var backend *planWrite
	for i, w := range pl.writes {
		if _, ok := w.to.(*direct); ok {
			backend = &pl.writes[i]
			continue
		}
		if err := w.to.apply(context.Background(), w.ops); err != nil {
			pl.release()
			pl.done(nil, wrap(w.op, w.group, err))
			return
		}
	}
	if backend == nil {
		pl.release()
		pl.done(v, nil)
		return
	}
	d := pl.p.kv.root()
	pl.ab.ApplyAsync(backend.ops, func(err error) {
		// The locks are held until the batch is done: the other tabs'
		// transactions must not start before it, whatever the order in
		// which the browser hears of them.
		pl.release()
		if err != nil {
			pl.done(nil, wrap(backend.op, backend.group, err))
			return
		}
		d.committed(backend.ops)
		pl.done(v, nil)
	})
}

// read returns the results of the next round of reads of the pass, or
// records what the pass needs and fails with errPending.
func (pl *plan) read(reads []Read) ([]ReadResult, error) {
	if err := pl.reading(); err != nil {
		return nil, err
	}
	if pl.next < len(pl.rounds) {
		i := pl.next
		pl.next++
		if !sameReads(pl.rounds[i], reads) {
			pl.fallback = true
			return nil, errFallback
		}
		// Earlier passes that saw these results were abandoned, and nothing
		// in the provider modifies what it read: the results are shared.
		return pl.results[i], pl.errs[i]
	}
	pl.need = reads
	return nil, errPending
}

// reading is called before every read of a pass (a transaction buffer's
// reads included): a read after a held-back write would not see it, so
// such a call runs the ordinary way.
func (pl *plan) reading() error {
	switch {
	case pl.fallback:
		return errFallback
	case pl.need != nil:
		return errPending // a call that ignored errPending goes on
	case len(pl.writes) > 0:
		pl.fallback = true
		return errFallback
	}
	return nil
}

// sameReads reports whether a pass asks for the same reads as the pass
// before it (a call that does not is not deterministic: it runs the
// ordinary way).
func sameReads(a, b []Read) bool {
	if len(a) != len(b) {
		return false
	}
	same := func(x, y []byte) bool { return string(x) == string(y) && (x == nil) == (y == nil) }
	for i := range a {
		x, y := a[i], b[i]
		if x.Store != y.Store || x.Scan != y.Scan || x.Reverse != y.Reverse || x.Limit != y.Limit ||
			!same(x.Key, y.Key) || !same(x.Range.Start, y.Range.Start) || !same(x.Range.End, y.Range.End) {
			return false
		}
	}
	return true
}

// record holds back a write of the pass to the kv to (the backend or a
// transaction's buffer) until the pass completes. The backend takes one
// batch per call.
func (pl *plan) record(to kv, ops []Op) error {
	switch {
	case pl.fallback:
		return errFallback
	case pl.need != nil:
		return errPending
	}
	if _, ok := to.(*direct); ok {
		for _, w := range pl.writes {
			if _, ok := w.to.(*direct); ok {
				pl.fallback = true
				return errFallback
			}
		}
	}
	pl.writes = append(pl.writes, planWrite{to: to, ops: ops, op: pl.op, group: pl.group})
	return nil
}

// hold takes the lock s for the rest of the plan, without waiting; a pass
// that finds it held falls back to waiting the ordinary way.
func (pl *plan) hold(s sem) (func(), error) {
	for _, h := range pl.held {
		if h == s {
			return func() {}, nil
		}
	}
	if _, ok := s.tryLock(); !ok {
		pl.fallback = true
		return nil, errFallback
	}
	pl.held = append(pl.held, s)
	return func() {}, nil // released when the plan ends
}

// holdBackend takes the backend's writer lock for the rest of the plan:
// a pass that does not hold it yet waits for LockAsync (like a read); a
// backend that cannot take it without blocking makes the call run the
// ordinary way.
func (pl *plan) holdBackend(d *direct) (func(), error) {
	switch {
	case pl.backendUnlock != nil:
		return func() {}, nil
	case pl.lockErr != nil:
		return nil, pl.lockErr
	}
	if err := pl.reading(); err != nil {
		return nil, err
	}
	if _, ok := d.locker.(AsyncLocker); !ok {
		pl.fallback = true
		return nil, errFallback
	}
	pl.needLock = true
	return nil, errPending
}

// release lets go of every lock the plan holds: the backend's first, then
// the provider's, as the provider's unlock does.
func (pl *plan) release() {
	if pl.backendUnlock != nil {
		pl.backendUnlock()
		pl.backendUnlock = nil
	}
	for i := len(pl.held) - 1; i >= 0; i-- {
		<-pl.held[i]
	}
	pl.held = nil
}

// Tx is a transaction begun with [Provider.Begin] or [Provider.TryBegin]:
// the explicit form of [Provider.Update], for hosts whose transactions are
// not one Go function (mlsidb.js's store.transaction runs its callback in
// JavaScript). It holds the store's write lock (on a view, the view's)
// until it ends. Its view's reads see its own writes; Commit writes
// everything together, Rollback nothing. End every Tx.
type Tx struct {
	parent kv
	ov     *overlay
	view   *Provider
	mu     sync.Mutex
	unlock func() // nil once ended
}

// Begin starts a transaction on p (nested when p is a transaction's view),
// waiting for the write lock until ctx ends.
func (p *Provider) Begin(ctx context.Context) (*Tx, error) {
	return p.begin(ctx, "Begin")
}

func (p *Provider) begin(ctx context.Context, op string) (*Tx, error) {
	if err := ctx.Err(); err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	unlock, err := p.kv.lock(ctx)
	if err != nil {
		return nil, wrap(op, NoMethodGroup, err)
	}
	return p.newTx(unlock), nil
}

// TryBegin is Begin without waiting: ok is false (and nothing began) when
// the write lock is held.
func (p *Provider) TryBegin() (tx *Tx, ok bool, err error) {
	unlock, ok, err := p.kv.tryLock()
	if err != nil || !ok {
		return nil, false, wrap("Begin", NoMethodGroup, err)
	}
	return p.newTx(unlock), true, nil
}

// BeginAsync is Begin without blocking: done gets the transaction, exactly
// once, before BeginAsync returns or later: from the backend's lock grant
// ([AsyncLocker]), or from a goroutine that waits for the lock the
// ordinary way when it is held.
func (p *Provider) BeginAsync(done func(*Tx, error)) {
	wait := func() {
		go func() {
			tx, err := p.Begin(context.Background())
			done(tx, err)
		}()
	}
	d, top := p.kv.(*direct)
	if !top {
		tx, ok, err := p.TryBegin() // nested: the view's own lock
		switch {
		case err != nil:
			done(nil, err)
		case ok:
			done(tx, nil)
		default:
			wait()
		}
		return
	}
	if d.closed.Load() {
		done(nil, wrap("Begin", NoMethodGroup, errClosed))
		return
	}
	unlock, ok := d.sem.tryLock()
	if !ok {
		wait()
		return
	}
	if d.locker == nil {
		done(p.newTx(unlock), nil)
		return
	}
	al, ok := d.locker.(AsyncLocker)
	if !ok {
		unlock()
		wait()
		return
	}
	al.LockAsync(func(release func(), err error) {
		if err != nil {
			unlock()
			done(nil, wrap("Begin", NoMethodGroup, err))
			return
		}
		done(p.newTx(func() {
			release()
			unlock()
		}), nil)
	})
}

func (p *Provider) newTx(unlock func()) *Tx {
	ov := newOverlay(p.kv)
	return &Tx{parent: p.kv, ov: ov, view: &Provider{kv: ov, version: p.version, prefix: p.prefix}, unlock: unlock}
}

// Store returns the transaction's view: its reads see the transaction's
// writes, its writes are the transaction's. It fails with ErrClosed once
// the transaction ended.
func (t *Tx) Store() *Provider { return t.view }

// end ends the transaction and returns its batch and the lock to release,
// or ok false when it had ended already.
func (t *Tx) end() (ops []Op, unlock func(), ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.unlock == nil {
		return nil, nil, false
	}
	unlock, t.unlock = t.unlock, nil
	ops = t.ov.ops()
	t.ov.finish()
	return ops, unlock, true
}

// Rollback ends the transaction, writing nothing. It does nothing on a
// transaction that has ended.
func (t *Tx) Rollback() {
	if _, unlock, ok := t.end(); ok {
		unlock()
	}
}

// Commit ends the transaction and writes what it wrote in one batch (into
// the enclosing transaction when nested), waiting for the outcome.
func (t *Tx) Commit(ctx context.Context) error { return t.commit(ctx, "Commit") }

func (t *Tx) commit(ctx context.Context, op string) error {
	ops, unlock, ok := t.end()
	if !ok {
		return &Error{Op: op, Err: errTxDone}
	}
	defer unlock()
	if err := ctx.Err(); err != nil {
		return &Error{Op: op, Err: err}
	}
	if len(ops) == 0 {
		return nil
	}
	return wrap(op, NoMethodGroup, t.parent.apply(ctx, ops))
}

// CommitAsync is Commit without blocking: done gets the outcome, exactly
// once, before CommitAsync returns or later (over an [AsyncBackend], from
// its event handler; otherwise from a goroutine).
func (t *Tx) CommitAsync(done func(error)) {
	const op = "Commit"
	ops, unlock, ok := t.end()
	switch {
	case !ok:
		done(&Error{Op: op, Err: errTxDone})
		return
	case len(ops) == 0:
		unlock()
		done(nil)
		return
	}
	d, nested := t.parent.(*direct)
	nested = !nested
	if nested {
		err := t.parent.apply(context.Background(), ops) // into the enclosing buffer
		unlock()
		done(wrap(op, NoMethodGroup, err))
		return
	}
	if ab, ok := d.b.(AsyncBackend); ok && !d.closed.Load() {
		ab.ApplyAsync(ops, func(err error) {
			unlock() // after the batch: see plan.write
			if err == nil {
				d.committed(ops)
			}
			done(wrap(op, NoMethodGroup, err))
		})
		return
	}
	go func() {
		err := d.apply(context.Background(), ops)
		unlock()
		done(wrap(op, NoMethodGroup, err))
	}()
}
