package mlsidb

import (
	"context"
	"encoding/binary"
	"errors"
	"strconv"
	"sync/atomic"
)

// Options configure [New].
type Options struct {
	// Version is the provider version to bind to; 0 means CurrentVersion.
	// Versions newer than CurrentVersion are refused with
	// ErrVersionMismatch.
	Version uint16
}

// Provider implements [Store] (the OpenMLS contract plus DeleteGroup and
// Update) over a [Backend]. It is safe for concurrent use: writes are
// serialized (every read-modify-write, such as appending to a list, is
// atomic), reads run concurrently. When the backend is a [Locker], writes
// are serialized with the other connections to the same data too. It also
// offers group locks ([Provider.WithGroupLock]) and change notifications
// ([Provider.Watch]). Create one with [New].
type Provider struct {
	kv      kv
	version uint16
	prefix  []byte // VersionPrefix(version)
	top     *direct
}

// kv is what the contract methods run over: the backend itself, or a
// transaction's write buffer over it.
type kv interface {
	get(ctx context.Context, store string, key []byte) ([]byte, error)
	scan(ctx context.Context, store string, r KeyRange, reverse bool, limit int) ([]Record, error)
	// read performs several reads in one snapshot.
	read(ctx context.Context, reads []Read) ([]ReadResult, error)
	apply(ctx context.Context, ops []Op) error
	// lock serializes writers of this kv; read-modify-writes hold it.
	lock(ctx context.Context) (unlock func(), err error)
	// tryLock is lock without waiting: ok is false when the lock is held.
	tryLock() (unlock func(), ok bool, err error)
	// root returns the top-level kv under every transaction buffer.
	root() *direct
}

// New returns a provider over b, bound to opts.Version. It refuses a store
// that a newer provider version has opened with ErrVersionMismatch.
func New(ctx context.Context, b Backend, opts Options) (*Provider, error) {
	fail := func(err error) (*Provider, error) { return nil, &Error{Op: "New", Err: err} }
	if b == nil {
		return fail(invalid("backend is nil"))
	}
	v := opts.Version
	if v == 0 {
		v = CurrentVersion
	}
	if v > CurrentVersion {
		return fail(versionMismatch("provider version " + strconv.Itoa(int(v)) +
			" is newer than the newest this code knows (" + strconv.Itoa(int(CurrentVersion)) + ")"))
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	d := &direct{b: b, sem: newSem()}
	d.locker, _ = b.(Locker)
	p := &Provider{kv: d, version: v, prefix: VersionPrefix(v), top: d}
	if err := p.checkMeta(ctx); err != nil {
		return fail(err)
	}
	if n, ok := b.(Notifier); ok {
		d.publish, d.stopNotify = n.Notify(d.received)
	}
	return p, nil
}

// checkMeta refuses stores opened by a newer version, records this one,
// and reads the store's ID, making it when the store has none.
func (p *Provider) checkMeta(ctx context.Context) error {
	unlock, err := p.kv.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	res, err := p.kv.read(ctx, []Read{{Store: MetaStore, Key: MetaVersionKey}, {Store: MetaStore, Key: MetaIDKey}})
	if err != nil {
		return err
	}
	var ops []Op
	switch raw := res[0].Value; {
	case !res[0].Found:
		ops = append(ops, Op{Kind: OpPut, Store: MetaStore, Key: MetaVersionKey, Value: VersionPrefix(CurrentVersion)})
	case len(raw) != 2:
		return versionMismatch("store metadata does not decode")
	default:
		stored := binary.BigEndian.Uint16(raw)
		if stored > CurrentVersion {
			return versionMismatch("store was opened by provider version " + strconv.Itoa(int(stored)) +
				", newer than the newest this code knows (" + strconv.Itoa(int(CurrentVersion)) + ")")
		}
		if stored < CurrentVersion {
			ops = append(ops, Op{Kind: OpPut, Store: MetaStore, Key: MetaVersionKey, Value: VersionPrefix(CurrentVersion)})
		}
	}
	id := res[1].Value
	switch {
	case !res[1].Found:
		id = newStoreID()
		ops = append(ops, Op{Kind: OpPut, Store: MetaStore, Key: MetaIDKey, Value: id})
	case len(id) != StoreIDLen:
		return versionMismatch("store metadata does not decode (its ID)")
	}
	if len(ops) > 0 {
		if err := p.kv.apply(ctx, ops); err != nil {
			return err
		}
	}
	p.top.id = id
	return nil
}

// ID returns the store's ID, StoreIDLen bytes: made at random by the first
// provider that opened the store, and never changed. A store that was
// deleted (a user clearing site data, a browser discarding a database it
// found corrupt) and made again has a new ID, which every later open, in
// every tab, sees. So an app that keeps the ID of the store it put its MLS
// state in (with its delivery service registration, say) tells a lost
// store by comparing it at each start. The ID is not a secret. [New]
// refuses a store whose ID does not decode (ErrVersionMismatch), as it
// refuses other metadata it cannot read. Two providers opening a new store
// at once get the same ID when the backend is a [Locker] (the read and the
// write of the ID hold the writer lock); without one, both may write one.
func (p *Provider) ID() []byte { return append([]byte(nil), p.kv.root().id...) }

// Version returns the provider version this provider is bound to.
func (p *Provider) Version() uint16 { return p.version }

// Close closes the provider and its backend. Later calls fail with
// ErrClosed; closing again does nothing. It stops every watcher (see
// [Provider.Watch]). Close must not be called on the view handed to an
// Update function.
func (p *Provider) Close() error {
	if p.top == nil {
		return &Error{Op: "Close", Err: invalid("a transaction view cannot be closed")}
	}
	if p.top.closed.Swap(true) {
		return nil
	}
	p.top.hub.close()
	if p.top.stopNotify != nil {
		p.top.stopNotify()
	}
	if err := p.top.b.Close(); err != nil {
		return &Error{Op: "Close", Err: err}
	}
	return nil
}

// Update runs fn as one transaction; see [Store.Update]. On the top-level
// provider it holds the write lock while fn runs and commits everything fn
// wrote in one [Backend.Apply]. fn's own error is returned unchanged.
func (p *Provider) Update(ctx context.Context, fn func(tx Store) error) error {
	const op = "Update"
	if fn == nil {
		return &Error{Op: op, Err: invalid("function is nil")}
	}
	tx, err := p.begin(ctx, op)
	if err != nil {
		return err
	}
	defer tx.Rollback() // on error or panic; nothing after a commit
	if err := fn(tx.view); err != nil {
		return err
	}
	return tx.commit(ctx, op)
}

// DeleteGroup removes every group-scoped record of the group, in every
// method group, in one atomic step; see [Store.DeleteGroup].
func (p *Provider) DeleteGroup(ctx context.Context, groupID []byte) error {
	const op = "DeleteGroup"
	if err := ctx.Err(); err != nil {
		return &Error{Op: op, Err: err}
	}
	if err := checkKey("group id", groupID); err != nil {
		return &Error{Op: op, Err: err}
	}
	prefix := GroupPrefix(p.version, groupID)
	ops := make([]Op, 0, len(catalogue))
	for _, g := range catalogue {
		switch g.Scope {
		case ScopeGroupValue:
			ops = append(ops, Op{Kind: OpDelete, Store: g.Store, Key: prefix})
		case ScopeGroupList:
			ops = append(ops, Op{Kind: OpDeleteRange, Store: g.Store, Range: PrefixRange(prefix)})
		}
	}
	return p.write(ctx, op, NoMethodGroup, ops)
}

// write applies ops under the write lock.
func (p *Provider) write(ctx context.Context, op string, g MethodGroup, ops []Op) error {
	unlock, err := p.kv.lock(ctx)
	if err != nil {
		return wrap(op, g, err)
	}
	defer unlock()
	return p.apply(ctx, op, g, ops)
}

// apply applies ops to the kv, naming op and g in its error. (In a
// non-blocking call the batch is only recorded here, and its outcome,
// named the same way, comes later; see Provider.Async.)
func (p *Provider) apply(ctx context.Context, op string, g MethodGroup, ops []Op) error {
	if pl := planOf(ctx); pl != nil {
		pl.op, pl.group = op, g
	}
	return wrap(op, g, p.kv.apply(ctx, ops))
}

// wrap returns nil for nil, err itself when it already is an *Error, and
// an *Error naming op and g otherwise.
func wrap(op string, g MethodGroup, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Op: op, Group: g, Err: err}
}

func checkKey(what string, k []byte) error {
	switch {
	case len(k) == 0:
		return invalid(what + " is empty")
	case len(k) > MaxKeyLen:
		return invalid(what + " is " + strconv.Itoa(len(k)) + " bytes, longer than the limit of " + strconv.Itoa(MaxKeyLen))
	}
	return nil
}

// direct is the kv of a top-level provider: the backend, the writer lock
// (its own, and the backend's when it is a Locker), the group locks, the
// watchers and the closed flag.
type direct struct {
	b      Backend
	sem    sem
	locker Locker // nil when the backend is none
	groups groupLocks
	closed atomic.Bool

	hub        hub
	publish    func(Change) // nil when the backend is no Notifier
	stopNotify func()

	id []byte // the store's ID (set by checkMeta, then read only)
}

var errClosed = &detailError{sentinel: ErrClosed, detail: "the store was closed"}

func (d *direct) get(ctx context.Context, store string, key []byte) ([]byte, error) {
	if d.closed.Load() {
		return nil, errClosed
	}
	if pl := planOf(ctx); pl != nil {
		res, err := pl.read([]Read{{Store: store, Key: key}})
		if err != nil {
			return nil, err
		}
		if !res[0].Found {
			return nil, ErrNotFound
		}
		return res[0].Value, nil
	}
	return d.b.Get(ctx, store, key)
}

func (d *direct) scan(ctx context.Context, store string, r KeyRange, reverse bool, limit int) ([]Record, error) {
	if d.closed.Load() {
		return nil, errClosed
	}
	if pl := planOf(ctx); pl != nil {
		res, err := pl.read([]Read{{Store: store, Scan: true, Range: r, Reverse: reverse, Limit: limit}})
		if err != nil {
			return nil, err
		}
		return res[0].Records, nil
	}
	return d.b.Scan(ctx, store, r, reverse, limit)
}

func (d *direct) read(ctx context.Context, reads []Read) ([]ReadResult, error) {
	if d.closed.Load() {
		return nil, errClosed
	}
	if pl := planOf(ctx); pl != nil {
		return pl.read(reads)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return readBackend(ctx, d.b, reads)
}

func (d *direct) apply(ctx context.Context, ops []Op) error {
	if d.closed.Load() {
		return errClosed
	}
	if pl := planOf(ctx); pl != nil {
		return pl.record(d, ops)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := d.b.Apply(ctx, ops); err != nil {
		return err
	}
	d.committed(ops)
	return nil
}

// committed tells the other connections and this provider's watchers what
// a successful Apply changed.
func (d *direct) committed(ops []Op) {
	if d.publish == nil && !d.hub.active() {
		return
	}
	c, ok := changeOf(ops)
	if !ok {
		return
	}
	if d.publish != nil {
		d.publish(c)
	}
	c.Local = true
	d.hub.deliver(c)
}

// received hands a change another connection published to the watchers.
func (d *direct) received(c Change) {
	if d.closed.Load() {
		return
	}
	c.Local = false
	d.hub.deliver(c)
}

// lock takes the provider's writer lock, then the backend's when it is a
// Locker.
func (d *direct) lock(ctx context.Context) (func(), error) {
	if d.closed.Load() {
		return nil, errClosed
	}
	if pl := planOf(ctx); pl != nil {
		if _, err := pl.hold(d.sem); err != nil {
			return nil, err
		}
		if d.locker != nil {
			return pl.holdBackend(d)
		}
		return func() {}, nil
	}
	unlock, err := d.sem.lock(ctx)
	if err != nil {
		return nil, err
	}
	if d.locker == nil {
		return unlock, nil
	}
	release, err := d.locker.Lock(ctx)
	if err != nil {
		unlock()
		return nil, err
	}
	return func() {
		release()
		unlock()
	}, nil
}

func (d *direct) tryLock() (func(), bool, error) {
	if d.closed.Load() {
		return nil, false, errClosed
	}
	if d.locker != nil {
		return nil, false, nil // the backend's lock cannot be tried
	}
	unlock, ok := d.sem.tryLock()
	return unlock, ok, nil
}

func (d *direct) root() *direct { return d }

// sem is a mutex whose wait a context can end.
type sem chan struct{}

func newSem() sem { return make(sem, 1) }

// tryLock takes the lock if it is free.
func (s sem) tryLock() (unlock func(), ok bool) {
	select {
	case s <- struct{}{}:
		return func() { <-s }, true
	default:
		return nil, false
	}
}

func (s sem) lock(ctx context.Context) (func(), error) {
	select {
	case s <- struct{}{}:
		return func() { <-s }, nil
	default:
	}
	select {
	case s <- struct{}{}:
		return func() { <-s }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
