//go:build js && wasm

package idbstore

import (
	"context"
	"errors"
	"syscall/js"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/jsbridge"
)

var (
	jsKeyRange      = js.Global().Get("IDBKeyRange")
	jsReadonly      = js.ValueOf("readonly")
	jsReadwrite     = js.ValueOf("readwrite")
	canCommit       = hasMethod("IDBTransaction", "commit")
	errScanMismatch = errors.New("getAllKeys and getAll disagree on the number of records")
)

func hasMethod(iface, method string) bool {
	c := js.Global().Get(iface)
	return c.Type() == js.TypeFunction && c.Get("prototype").Get(method).Type() == js.TypeFunction
}

// Compile-time check that Backend implements mlsidb.Backend.
var _ mlsidb.Backend = (*Backend)(nil)

// begin checks the context and the connection before a call.
func (b *Backend) begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if e := b.closed.Load(); e != nil {
		return e
	}
	return nil
}

// fail wraps the error of operation op on store. An error raised because
// the connection was closed meanwhile becomes the closed error, which says
// why; context errors stay as they are.
func (b *Backend) fail(op, store string, err error) error {
	if e := b.closed.Load(); e != nil && errors.Is(err, mlsidb.ErrClosed) {
		return e
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if store == "" {
		return wrapf("idbstore: "+op, err)
	}
	return wrapf("idbstore: "+op+" "+truncate(store), err)
}

// abort aborts tx, ignoring the error of a transaction that has finished.
func abort(tx js.Value) {
	_ = jsbridge.Catch(func() { tx.Call("abort") })
}

// Get implements [mlsidb.Backend]: one readonly transaction, one request.
func (b *Backend) Get(ctx context.Context, store string, key []byte) ([]byte, error) {
	res, err := b.ReadBatch(ctx, []mlsidb.Read{{Store: store, Key: key}})
	if err != nil {
		return nil, err
	}
	if !res[0].Found {
		return nil, mlsidb.ErrNotFound
	}
	return res[0].Value, nil
}

// keyRange returns the IDBKeyRange (or null) of a range that is not
// RangeEmpty.
func keyRange(kind jsbridge.RangeKind, r mlsidb.KeyRange) js.Value {
	switch kind {
	case jsbridge.RangeLower:
		return jsKeyRange.Call("lowerBound", jsbridge.BytesToJS(r.Start), false)
	case jsbridge.RangeUpper:
		return jsKeyRange.Call("upperBound", jsbridge.BytesToJS(r.End), true)
	case jsbridge.RangeBound:
		return jsKeyRange.Call("bound", jsbridge.BytesToJS(r.Start), jsbridge.BytesToJS(r.End), false, true)
	}
	return js.Null()
}

// Scan implements [mlsidb.Backend] in one readonly transaction: forward
// scans read keys and values with getAllKeys and getAll, issued back to
// back; reverse scans walk a cursor in direction "prev".
func (b *Backend) Scan(ctx context.Context, store string, r mlsidb.KeyRange, reverse bool, limit int) ([]mlsidb.Record, error) {
	res, err := b.ReadBatch(ctx, []mlsidb.Read{{Store: store, Scan: true, Range: r, Reverse: reverse, Limit: limit}})
	if err != nil {
		return nil, err
	}
	return res[0].Records, nil
}

// Apply implements [mlsidb.Backend]: one readwrite transaction over exactly
// the object stores the ops touch, every request issued back to back, only
// the transaction awaited. The ops are checked before the transaction
// starts; a request that fails aborts the transaction, and with it every
// op of the batch.
func (b *Backend) Apply(ctx context.Context, ops []mlsidb.Op) error {
	if err := b.begin(ctx); err != nil {
		return err
	}
	a, err := b.planApply(ops)
	if err != nil {
		return err
	}
	if len(a.stores) == 0 {
		return nil
	}
	if unsafeBatches {
		return b.applyOneByOne(ctx, ops, a.kinds)
	}
	return b.wait(ctx, func(done func(error)) js.Value { return b.startApply(a, ops, done) })
}

// applyOneByOne is the test-only broken Apply of the mlsidb_unsafe_batches
// build: one transaction per op, so a crash can leave part of a batch. It
// skips the quota settle too (it does not go through startApply).
func (b *Backend) applyOneByOne(ctx context.Context, ops []mlsidb.Op, kinds []jsbridge.RangeKind) error {
	for i, op := range ops {
		if op.Kind == mlsidb.OpDeleteRange && kinds[i] == jsbridge.RangeEmpty {
			continue
		}
		err := b.write(ctx, []string{op.Store}, func(os func(string) js.Value) error {
			switch op.Kind {
			case mlsidb.OpPut:
				os(op.Store).Call("put", jsbridge.BytesToJS(op.Value), jsbridge.BytesToJS(op.Key))
			case mlsidb.OpDelete:
				os(op.Store).Call("delete", jsbridge.BytesToJS(op.Key))
			case mlsidb.OpDeleteRange:
				if kinds[i] == jsbridge.RangeAll {
					os(op.Store).Call("clear")
				} else {
					os(op.Store).Call("delete", keyRange(kinds[i], op.Range))
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// write runs issue in one readwrite transaction over stores and waits for
// the transaction. issue gets the object stores by name; it must only
// issue requests, synchronously. When issue fails or throws, the
// transaction is aborted and nothing of it is written. When ctx ends
// first, the transaction is aborted and ctx.Err() returned; once it can no
// longer be aborted (it is committing), its outcome is waited for instead.
func (b *Backend) write(ctx context.Context, stores []string, issue func(os func(string) js.Value) error) error {
	return b.wait(ctx, func(done func(error)) js.Value { return b.startWrite(stores, issue, done) })
}

// wait starts a write transaction with start and waits for it, as write
// does.
func (b *Backend) wait(ctx context.Context, start func(done func(error)) js.Value) error {
	ch := make(chan error, 1)
	tx := start(func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
	}
	if !tx.IsUndefined() && jsbridge.Catch(func() { tx.Call("abort") }) == nil {
		return ctx.Err()
	}
	return <-ch
}
