package memstore

import (
	"context"
	"sync"

	"github.com/mlsidb/mlsidb"
)

// Compile-time checks of the optional interfaces.
var (
	_ mlsidb.Locker      = (*Backend)(nil)
	_ mlsidb.GroupLocker = (*Backend)(nil)
	_ mlsidb.Notifier    = (*Backend)(nil)
)

// Lock implements [mlsidb.Locker]: the writer lock every handle of the
// records shares.
func (b *Backend) Lock(ctx context.Context) (func(), error) {
	if err := b.check(ctx); err != nil {
		return nil, err
	}
	return lockChan(ctx, b.d.writer)
}

// LockGroup implements [mlsidb.GroupLocker]: the lock of one group, shared
// by every handle of the records.
func (b *Backend) LockGroup(ctx context.Context, groupID []byte) (func(), error) {
	if err := b.check(ctx); err != nil {
		return nil, err
	}
	return b.d.groups.lock(ctx, string(groupID))
}

// check returns ctx's error or ErrClosed for a closed handle.
func (b *Backend) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.d.mu.RLock()
	defer b.d.mu.RUnlock()
	if b.closed {
		return errClosed
	}
	return nil
}

// lockChan takes a one-slot channel as a mutex, or gives up when ctx ends.
func lockChan(ctx context.Context, c chan struct{}) (func(), error) {
	select {
	case c <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() { once.Do(func() { <-c }) }, nil
}

// lockTable holds one lock per group that is locked or waited for.
type lockTable struct {
	mu sync.Mutex
	m  map[string]*lockEntry
}

type lockEntry struct {
	c    chan struct{}
	refs int
}

func (t *lockTable) lock(ctx context.Context, k string) (func(), error) {
	t.mu.Lock()
	if t.m == nil {
		t.m = map[string]*lockEntry{}
	}
	e := t.m[k]
	if e == nil {
		e = &lockEntry{c: make(chan struct{}, 1)}
		t.m[k] = e
	}
	e.refs++
	t.mu.Unlock()
	drop := func() {
		t.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(t.m, k)
		}
		t.mu.Unlock()
	}
	unlock, err := lockChan(ctx, e.c)
	if err != nil {
		drop()
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			unlock()
			drop()
		})
	}, nil
}

// endpoint is one Notify: its receive function.
type endpoint struct {
	receive func(mlsidb.Change)
}

// Notify implements [mlsidb.Notifier]: what one endpoint publishes, every
// other endpoint over the same records receives, synchronously (receive
// must not block).
func (b *Backend) Notify(receive func(mlsidb.Change)) (publish func(mlsidb.Change), stop func()) {
	e := &endpoint{receive: receive}
	d := b.d
	d.notifyMu.Lock()
	d.endpoints[e] = struct{}{}
	d.notifyMu.Unlock()
	publish = func(c mlsidb.Change) {
		d.notifyMu.Lock()
		others := make([]*endpoint, 0, len(d.endpoints))
		for o := range d.endpoints {
			if o != e {
				others = append(others, o)
			}
		}
		d.notifyMu.Unlock()
		for _, o := range others {
			o.receive(c)
		}
	}
	stop = func() {
		d.notifyMu.Lock()
		delete(d.endpoints, e)
		d.notifyMu.Unlock()
	}
	return publish, stop
}
