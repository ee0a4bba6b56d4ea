package mlsidb

import (
	"context"
	"sync"
)

// Locker is an optional interface of a [Backend] whose records other
// connections can write too: other tabs and workers over the same
// IndexedDB database, other handles over the same in-memory store. When a
// provider's backend implements it, the provider's writer lock, held by
// every single write, every read-modify-write (AppendOwnLeafNode,
// QueueProposal) and every Update while its function runs, takes Lock as
// well, so that the writers of every connection are serialized and a
// read-modify-write never interleaves with another connection's.
//
// The provider takes its own lock first and Lock second, releases them in
// reverse order, and starts no backend transaction while it waits for
// Lock (an IndexedDB transaction would commit under a waiting goroutine).
type Locker interface {
	// Lock waits until the caller holds the backend's exclusive writer
	// lock, or until ctx ends; then it returns ctx.Err() and holds
	// nothing. The caller calls unlock exactly once.
	Lock(ctx context.Context) (unlock func(), err error)
}

// AsyncLocker is an optional interface of a [Locker] backend that can
// also take its writer lock without blocking: LockAsync asks for the lock
// and calls done once, with the unlock function, when it is held (or with
// the error that stopped it). done must not block. [Provider.Async] and
// [Provider.BeginAsync] use it, so that a write from a host that must not
// block (a JavaScript call into the wasm) waits for the lock of the other
// tabs with no goroutine.
type AsyncLocker interface {
	LockAsync(done func(unlock func(), err error))
}

// GroupLocker is an optional interface of a [Backend] that can lock one
// group across connections (Web Locks across tabs and workers, for
// idbstore). [Provider.WithGroupLock] takes it, after the provider's own
// lock of the group, when the backend implements it.
type GroupLocker interface {
	// LockGroup waits until the caller holds the exclusive lock of the
	// group, or until ctx ends; then it returns ctx.Err() and holds
	// nothing. The caller calls unlock exactly once. groupID is not
	// empty; the backend must not keep it.
	LockGroup(ctx context.Context, groupID []byte) (unlock func(), err error)
}

// heldGroup is the context key WithGroupLock marks its function's context
// with, so that a nested WithGroupLock of the same group fails at once
// instead of waiting for itself.
type heldGroup struct {
	d     *direct
	group string
}

// WithGroupLock runs fn while it holds the exclusive lock of the group, and
// returns fn's error unchanged. OpenMLS asks the application to give each
// group operation (create, join, commit, process a message) exclusive
// access to the group's state: with every such operation inside
// WithGroupLock, no two of them interleave, in this provider, in other
// providers over the same backend, and, for backends that implement
// [GroupLocker] (idbstore: Web Locks), in other tabs and workers.
//
// The wait for the lock ends with ctx: WithGroupLock then returns an
// error wrapping ctx.Err() and fn does not run. fn gets a context derived
// from ctx; the lock is released when fn returns or panics (the panic goes
// on). Locks of different groups are independent.
//
// WithGroupLock is not re-entrant: called again for the same group with
// the context fn got (or one derived from it), it fails at once with
// ErrInvalidArgument instead of waiting for itself; with an unrelated
// context it waits until that context ends. Take one group's lock at a
// time, or always in the same order. Take the group lock before Update,
// not inside it: on the view an Update function gets, WithGroupLock fails
// with ErrInvalidArgument (waiting for a group while holding the store's
// writer lock could deadlock with a tab that holds the group and waits for
// the store).
func (p *Provider) WithGroupLock(ctx context.Context, groupID []byte, fn func(ctx context.Context) error) error {
	const op = "WithGroupLock"
	if fn == nil {
		return &Error{Op: op, Err: invalid("function is nil")}
	}
	if p.top == nil {
		return &Error{Op: op, Err: invalid("WithGroupLock cannot be called inside Update: take the group lock first")}
	}
	if err := begin(ctx, op, NoMethodGroup, "group id", groupID); err != nil {
		return err
	}
	d := p.top
	key := heldGroup{d: d, group: string(groupID)}
	if ctx.Value(key) != nil {
		return &Error{Op: op, Err: invalid("the group's lock is already held by this call chain (WithGroupLock is not re-entrant)")}
	}
	if d.closed.Load() {
		return &Error{Op: op, Err: errClosed}
	}
	unlock, err := d.groups.lock(ctx, groupID)
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	defer unlock()
	if gl, ok := d.b.(GroupLocker); ok {
		release, err := gl.LockGroup(ctx, groupID)
		if err != nil {
			return wrap(op, NoMethodGroup, err)
		}
		defer release()
	}
	return fn(context.WithValue(ctx, key, true))
}

// groupLocks are a provider's own locks of groups: one sem per group that
// is locked or waited for, dropped when nobody holds or waits for it.
type groupLocks struct {
	mu sync.Mutex
	m  map[string]*groupLock
}

type groupLock struct {
	sem  sem
	refs int // holders and waiters
}

// lock waits for the group's lock or for ctx to end.
func (g *groupLocks) lock(ctx context.Context, groupID []byte) (func(), error) {
	k := string(groupID)
	g.mu.Lock()
	if g.m == nil {
		g.m = map[string]*groupLock{}
	}
	l := g.m[k]
	if l == nil {
		l = &groupLock{sem: newSem()}
		g.m[k] = l
	}
	l.refs++
	g.mu.Unlock()
	unlock, err := l.sem.lock(ctx)
	if err != nil {
		g.drop(k, l)
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			unlock()
			g.drop(k, l)
		})
	}, nil
}

func (g *groupLocks) drop(k string, l *groupLock) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if l.refs--; l.refs == 0 {
		delete(g.m, k)
	}
}

// size returns how many groups have a lock entry (tests check that
// entries do not pile up).
func (g *groupLocks) size() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.m)
}
