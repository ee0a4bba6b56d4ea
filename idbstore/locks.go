//go:build js && wasm

package idbstore

import (
	"context"
	"github.com/mlsidb/mlsidb/internal/sha256"
	"syscall/js"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/jsbridge"
)

// Compile-time checks of the optional interfaces.
var (
	_ mlsidb.Locker      = (*Backend)(nil)
	_ mlsidb.GroupLocker = (*Backend)(nil)
	_ mlsidb.Notifier    = (*Backend)(nil)
)

// writerLockName is the Web Lock that serializes the writers of database
// name across tabs and workers. Group lock names end in 64 hex digits,
// this one in ":store", so the two never meet whatever the name.
func writerLockName(name string) string { return "mlsidb:" + name + ":store" }

// groupLockPrefix starts the Web Lock names of the groups of database
// name; the SHA-256 of the group id (in hex) ends them, so lock names stay
// short however long group ids are, and never show the ids.
func groupLockPrefix(name string) string { return "mlsidb:" + name + ":group:" }

// GroupLockName returns the name of the Web Lock that [Backend.LockGroup]
// takes for a group of the database called name:
// "mlsidb:<name>:group:<SHA-256 of the group id, in hex>". JavaScript that
// must exclude itself from the group's operations can request the same
// lock.
func GroupLockName(name string, groupID []byte) string {
	sum := sha256.Sum256(groupID)
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(sum))
	for _, c := range sum {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return groupLockPrefix(name) + string(out) // hex, without encoding/hex (which imports fmt)
}

// lockManager returns the LockManager opts asks for, or undefined.
func lockManager(opts Options) js.Value {
	if noWebLocks {
		return js.Undefined()
	}
	switch {
	case opts.LockManager.IsNull():
		return js.Undefined()
	case opts.LockManager.IsUndefined():
		return jsbridge.LockManager()
	case opts.LockManager.Type() == js.TypeObject && opts.LockManager.Get("request").Type() == js.TypeFunction:
		return opts.LockManager
	}
	return js.Undefined()
}

// WebLocks reports whether the backend serializes writers and locks groups
// across tabs and workers with Web Locks. Without them (hosts without
// navigator.locks: plain http:// origins other than localhost, browsers
// before 2022; or Options.LockManager set to null) there is no way for a
// tab to wait for another short of polling, so writers are serialized
// within each provider only and group locks hold within each provider
// only: two tabs may then interleave their read-modify-writes.
func (b *Backend) WebLocks() bool { return !b.locks.IsUndefined() }

// Lock implements [mlsidb.Locker]: the exclusive Web Lock
// "mlsidb:<name>:store", which every provider over the database, in every
// tab and worker, takes for each write and each transaction. Without Web
// Locks (see WebLocks) it holds nothing. The provider takes it before it
// opens any IndexedDB transaction of the write. The connection keeps the
// Web Lock between writes for a while (see lease.go and
// Options.LeaseIdle), so that a tab's next write does not ask the browser
// again; another connection that wants it gets it when the current write
// ends.
func (b *Backend) Lock(ctx context.Context) (func(), error) {
	if err := b.begin(ctx); err != nil {
		return nil, err
	}
	if b.locks.IsUndefined() {
		return func() {}, nil
	}
	unlock, err := b.lease.lock(ctx)
	if err != nil {
		if ctx.Err() != nil && err == ctx.Err() {
			return nil, err
		}
		return nil, b.fail("lock", "", err)
	}
	return unlock, nil
}

// LockGroup implements [mlsidb.GroupLocker]: the exclusive Web Lock
// [GroupLockName] of the group, shared by every tab and worker of the
// origin. Without Web Locks (see WebLocks) it holds nothing.
func (b *Backend) LockGroup(ctx context.Context, groupID []byte) (func(), error) {
	if err := b.begin(ctx); err != nil {
		return nil, err
	}
	if b.locks.IsUndefined() {
		return func() {}, nil
	}
	unlock, err := jsbridge.WebLock(ctx, b.locks, GroupLockName(b.name, groupID))
	if err != nil {
		return nil, b.fail("lock group", "", err)
	}
	return unlock, nil
}

var _ mlsidb.AsyncLocker = (*Backend)(nil)

// LockAsync implements [mlsidb.AsyncLocker]: Lock without blocking, the
// Web Lock's grant calling done.
func (b *Backend) LockAsync(done func(unlock func(), err error)) {
	if e := b.closed.Load(); e != nil {
		done(nil, e)
		return
	}
	if b.locks.IsUndefined() {
		done(func() {}, nil)
		return
	}
	b.lease.acquire(func(unlock func(), err error) {
		if err != nil {
			done(nil, b.fail("lock", "", err))
			return
		}
		done(unlock, nil)
	})
}
