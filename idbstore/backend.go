//go:build js && wasm

package idbstore

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/jsbridge"
)

var (
	jsKeyRange      = js.Global().Get("IDBKeyRange")
	jsReadonly      = js.ValueOf("readonly")
	jsReadwrite     = js.ValueOf("readwrite")
	jsPrev          = js.ValueOf("prev")
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
		return fmt.Errorf("idbstore: %s: %w", op, err)
	}
	return fmt.Errorf("idbstore: %s %s: %w", op, truncate(store), err)
}

// abort aborts tx, ignoring the error of a transaction that has finished.
func abort(tx js.Value) {
	_ = jsbridge.Catch(func() { tx.Call("abort") })
}

// Get implements [mlsidb.Backend]: one readonly transaction, one request.
func (b *Backend) Get(ctx context.Context, store string, key []byte) ([]byte, error) {
	if err := b.begin(ctx); err != nil {
		return nil, err
	}
	name, err := b.storeValue(store)
	if err != nil {
		return nil, b.fail("get from", "", err)
	}
	var tx, req js.Value
	if err := jsbridge.Catch(func() {
		tx = b.db.Call("transaction", name, jsReadonly)
		req = tx.Call("objectStore", name).Call("get", jsbridge.BytesToJS(key))
	}); err != nil {
		return nil, b.fail("get from", store, err)
	}
	res, err := jsbridge.AwaitRequest(ctx, req)
	if err != nil {
		abort(tx)
		return nil, b.fail("get from", store, err)
	}
	if res.IsUndefined() {
		return nil, mlsidb.ErrNotFound
	}
	v, err := jsbridge.BytesFromJS(res)
	if err != nil {
		return nil, b.fail("get from", store, fmt.Errorf("%w: stored value is not binary", mlsidb.ErrVersionMismatch))
	}
	return v, nil
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
	if err := b.begin(ctx); err != nil {
		return nil, err
	}
	name, err := b.storeValue(store)
	if err != nil {
		return nil, b.fail("scan", "", err)
	}
	kind := jsbridge.PlanRange(r)
	if kind == jsbridge.RangeEmpty {
		return []mlsidb.Record{}, nil
	}
	count := js.Undefined() // no limit
	if limit > 0 {
		count = js.ValueOf(limit)
	}
	var tx, os js.Value
	if err := jsbridge.Catch(func() {
		tx = b.db.Call("transaction", name, jsReadonly)
		os = tx.Call("objectStore", name)
	}); err != nil {
		return nil, b.fail("scan", store, err)
	}
	var recs []mlsidb.Record
	if reverse {
		recs, err = scanCursor(ctx, os, kind, r, limit)
	} else {
		recs, err = scanAll(ctx, os, kind, r, count)
	}
	if err != nil {
		abort(tx)
		return nil, b.fail("scan", store, err)
	}
	return recs, nil
}

// scanAll reads a range with getAllKeys and getAll, issued back to back in
// one transaction (so they see the same records).
func scanAll(ctx context.Context, os js.Value, kind jsbridge.RangeKind, r mlsidb.KeyRange, count js.Value) ([]mlsidb.Record, error) {
	var kreq, vreq js.Value
	if err := jsbridge.Catch(func() {
		q := keyRange(kind, r)
		kreq = os.Call("getAllKeys", q, count)
		vreq = os.Call("getAll", q, count)
	}); err != nil {
		return nil, err
	}
	vals, err := jsbridge.AwaitRequest(ctx, vreq)
	if err != nil {
		if kerr := jsbridge.FromJS(kreq.Get("error")); kerr != nil && ctx.Err() == nil {
			return nil, kerr // the first failure; the second is its AbortError
		}
		return nil, err
	}
	keys := kreq.Get("result") // requests of a transaction complete in order
	n := keys.Length()
	if vals.Length() != n {
		return nil, errScanMismatch
	}
	recs := make([]mlsidb.Record, n)
	for i := range recs {
		k, err := jsbridge.BytesFromJS(keys.Index(i))
		if err != nil {
			return nil, fmt.Errorf("%w: stored key is not binary", mlsidb.ErrVersionMismatch)
		}
		v, err := jsbridge.BytesFromJS(vals.Index(i))
		if err != nil {
			return nil, fmt.Errorf("%w: stored value is not binary", mlsidb.ErrVersionMismatch)
		}
		recs[i] = mlsidb.Record{Key: k, Value: v}
	}
	return recs, nil
}

// scanCursor reads a range backwards with a cursor in direction "prev".
func scanCursor(ctx context.Context, os js.Value, kind jsbridge.RangeKind, r mlsidb.KeyRange, limit int) ([]mlsidb.Record, error) {
	var req js.Value
	if err := jsbridge.Catch(func() {
		req = os.Call("openCursor", keyRange(kind, r), jsPrev)
	}); err != nil {
		return nil, err
	}
	recs := []mlsidb.Record{}
	err := jsbridge.IterCursor(ctx, req, func(cur js.Value) (bool, error) {
		k, err := jsbridge.BytesFromJS(cur.Get("key"))
		if err != nil {
			return false, fmt.Errorf("%w: stored key is not binary", mlsidb.ErrVersionMismatch)
		}
		v, err := jsbridge.BytesFromJS(cur.Get("value"))
		if err != nil {
			return false, fmt.Errorf("%w: stored value is not binary", mlsidb.ErrVersionMismatch)
		}
		recs = append(recs, mlsidb.Record{Key: k, Value: v})
		return limit <= 0 || len(recs) < limit, nil
	})
	if err != nil {
		return nil, err
	}
	return recs, nil
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
	var (
		stores []string
		kinds  = make([]jsbridge.RangeKind, len(ops))
	)
	for i, op := range ops {
		if _, err := b.storeValue(op.Store); err != nil {
			return b.fail("apply", "", fmt.Errorf("op %d: %w", i, err))
		}
		switch op.Kind {
		case mlsidb.OpPut, mlsidb.OpDelete:
		case mlsidb.OpDeleteRange:
			kinds[i] = jsbridge.PlanRange(op.Range)
			if kinds[i] == jsbridge.RangeEmpty {
				continue // deletes nothing: no request, no store
			}
		default:
			return b.fail("apply", "", fmt.Errorf("op %d: %w: unknown op kind %d", i, mlsidb.ErrInvalidArgument, op.Kind))
		}
		if !contains(stores, op.Store) {
			stores = append(stores, op.Store)
		}
	}
	if len(stores) == 0 {
		return nil
	}
	if unsafeBatches {
		return b.applyOneByOne(ctx, ops, kinds)
	}
	return b.write(ctx, stores, func(os func(string) js.Value) error {
		for i, op := range ops {
			switch op.Kind {
			case mlsidb.OpPut:
				os(op.Store).Call("put", jsbridge.BytesToJS(op.Value), jsbridge.BytesToJS(op.Key))
			case mlsidb.OpDelete:
				os(op.Store).Call("delete", jsbridge.BytesToJS(op.Key))
			case mlsidb.OpDeleteRange:
				switch kinds[i] {
				case jsbridge.RangeEmpty:
				case jsbridge.RangeAll:
					os(op.Store).Call("clear")
				default:
					os(op.Store).Call("delete", keyRange(kinds[i], op.Range))
				}
			}
		}
		return nil
	})
}

// applyOneByOne is the test-only broken Apply of the mlsidb_unsafe_batches
// build: one transaction per op, so a crash can leave part of a batch.
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
// transaction is aborted and nothing of it is written.
func (b *Backend) write(ctx context.Context, stores []string, issue func(os func(string) js.Value) error) error {
	names := make([]any, len(stores))
	for i, s := range stores {
		names[i] = b.storeNames[s]
	}
	var tx js.Value
	if err := jsbridge.Catch(func() {
		tx = b.db.Call("transaction", names, jsReadwrite, b.txOptions)
	}); err != nil {
		return b.fail("apply", "", err)
	}
	cache := make(map[string]js.Value, len(stores))
	os := func(s string) js.Value {
		v, ok := cache[s]
		if !ok {
			v = tx.Call("objectStore", b.storeNames[s])
			cache[s] = v
		}
		return v
	}
	var issueErr error
	if err := jsbridge.Catch(func() { issueErr = issue(os) }); err != nil {
		issueErr = err
	}
	if issueErr != nil {
		abort(tx)
		return b.fail("apply", "", issueErr)
	}
	if canCommit {
		_ = jsbridge.Catch(func() { tx.Call("commit") }) // start committing now
	}
	if err := jsbridge.AwaitTransaction(ctx, tx); err != nil {
		return b.fail("apply", "", err)
	}
	return nil
}
