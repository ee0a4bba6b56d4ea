//go:build js && wasm

package idbstore

import (
	"context"
	"errors"
	"syscall/js"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/jsbridge"
)

// The non-blocking core of the backend: every read and batch is issued at
// once, inside the caller's turn of the event loop, and its outcome comes
// from the requests' and transactions' own event handlers (routed by
// jsbridge.Route, no js.Func per request). Get, Scan, ReadBatch and Apply
// wait on it; ReadAsync and ApplyAsync (mlsidb.AsyncBackend) report to a
// callback and need no goroutine at all.

// Compile-time checks.
var (
	_ mlsidb.BatchReader  = (*Backend)(nil)
	_ mlsidb.AsyncBackend = (*Backend)(nil)

	jsPrev = js.ValueOf("prev")
)

// readOp is a batch of reads in one readonly transaction.
type readOp struct {
	b     *Backend
	reads []mlsidb.Read
	tx    js.Value
	// Per read: the request holding its result (a Get's, a forward
	// Scan's getAll, a reverse Scan's cursor), and a forward Scan's
	// getAllKeys. Empty ranges have none.
	reqs    []js.Value
	keyReqs []js.Value
	walks   map[int][]mlsidb.Record // reverse Scans walked with continue()
	keys    map[string]js.Value     // keys and ranges made for the batch
	ranges  map[string]js.Value
	pending int // cursor walks and the last request, not yet finished
	done    func([]mlsidb.ReadResult, error)
	over    bool
}

// startRead issues reads in one readonly transaction; done gets their
// results (or the first error) once the last request has succeeded and
// every cursor walk has finished. done may run before startRead returns
// (bad input, a closed backend, nothing to read). It returns the
// transaction (undefined when none was made), for the caller to abort.
func (b *Backend) startRead(reads []mlsidb.Read, done func([]mlsidb.ReadResult, error)) js.Value {
	fail := func(err error) js.Value {
		done(nil, b.fail("read", "", err))
		return js.Undefined()
	}
	if e := b.closed.Load(); e != nil {
		return fail(e)
	}
	var (
		stores []string // each store read, once
		names  []any    // their JS names
	)
	for _, r := range reads {
		name, err := b.storeValue(r.Store)
		if err != nil {
			return fail(err)
		}
		if !contains(stores, r.Store) {
			stores = append(stores, r.Store)
			names = append(names, name)
		}
	}
	op := &readOp{b: b, reads: reads, reqs: make([]js.Value, len(reads)), done: done}
	if len(names) == 0 {
		done(op.results())
		return js.Undefined()
	}
	if !b.exec.IsUndefined() {
		return b.startReadExec(reads, stores, done)
	}
	var last js.Value
	err := jsbridge.Catch(func() {
		var scope any = names
		if len(names) == 1 {
			scope = names[0]
		}
		op.tx = b.db.Call("transaction", scope, jsReadonly)
		stores := make(map[string]js.Value, len(names))
		for i, r := range reads {
			os, ok := stores[r.Store]
			if !ok {
				os = op.tx.Call("objectStore", b.storeNames[r.Store])
				stores[r.Store] = os
			}
			if req := op.issue(os, i, r); !req.IsUndefined() {
				last = req
			}
		}
	})
	if err != nil {
		if !op.tx.IsUndefined() {
			abort(op.tx)
		}
		return fail(err)
	}
	if last.IsUndefined() {
		if op.pending == 0 { // only empty ranges: nothing to wait for
			done(op.results())
		}
		return op.tx // cursor walks only: the last one to finish reports
	}
	op.pending++
	jsbridge.Route(last, "onsuccess", "onerror", func(ok bool, req js.Value) bool {
		if !ok {
			op.failWith(req)
			return false
		}
		op.finished()
		return false
	})
	return op.tx
}

// issue issues the requests of read i and returns the last one, unless it
// routes it itself (a cursor walk) or the read needs none: then undefined.
func (op *readOp) issue(os js.Value, i int, r mlsidb.Read) js.Value {
	if !r.Scan {
		op.reqs[i] = os.Call("get", op.key(r.Key))
		return op.reqs[i]
	}
	kind := jsbridge.PlanRange(r.Range)
	if kind == jsbridge.RangeEmpty {
		return js.Undefined()
	}
	q := op.keyRange(kind, r.Range)
	switch {
	case !r.Reverse:
		count := js.Undefined()
		if r.Limit > 0 {
			count = js.ValueOf(r.Limit)
		}
		if op.keyReqs == nil {
			op.keyReqs = make([]js.Value, len(op.reqs))
		}
		op.keyReqs[i] = os.Call("getAllKeys", q, count)
		op.reqs[i] = os.Call("getAll", q, count)
	case r.Limit == 1:
		// The first record of the cursor is all it takes: its request
		// completes in order with the others, and the cursor keeps its key
		// and value.
		op.reqs[i] = os.Call("openCursor", q, jsPrev)
	default:
		req := os.Call("openCursor", q, jsPrev)
		op.reqs[i] = req
		if op.walks == nil {
			op.walks = map[int][]mlsidb.Record{}
		}
		op.walks[i] = []mlsidb.Record{}
		op.pending++
		jsbridge.Route(req, "onsuccess", "onerror", func(ok bool, req js.Value) bool {
			return op.walk(ok, req, i, r.Limit)
		})
		return js.Undefined()
	}
	return op.reqs[i]
}

// key returns key as a Uint8Array, the same one for every read of the
// batch that reads that key (a group's records share theirs): IndexedDB
// copies keys, and each JS value Go makes costs a crossing and a
// finalizer.
func (op *readOp) key(key []byte) js.Value {
	if v, ok := op.keys[string(key)]; ok {
		return v
	}
	v := jsbridge.BytesToJS(key)
	if op.keys == nil {
		op.keys = map[string]js.Value{}
	}
	op.keys[string(key)] = v
	return v
}

// keyRange is keyRange, the same IDBKeyRange for the reads of the batch
// over the same range.
func (op *readOp) keyRange(kind jsbridge.RangeKind, r mlsidb.KeyRange) js.Value {
	id := itoa(int(kind)) + "/" + itoa(len(r.Start)) + ":" + string(r.Start) + string(r.End)
	if v, ok := op.ranges[id]; ok {
		return v
	}
	v := keyRange(kind, r)
	if op.ranges == nil {
		op.ranges = map[string]js.Value{}
	}
	op.ranges[id] = v
	return v
}

// walk handles an event of a reverse cursor walk: it takes the record and
// continues until the range or the limit is exhausted.
func (op *readOp) walk(ok bool, req js.Value, i, limit int) (more bool) {
	if op.over {
		return false
	}
	if !ok {
		op.failWith(req)
		return false
	}
	cur := req.Get("result")
	if cur.IsNull() || cur.IsUndefined() {
		op.finished()
		return false
	}
	rec, err := cursorRecord(cur)
	if err != nil {
		op.finish(nil, err)
		abort(op.tx)
		return false
	}
	op.walks[i] = append(op.walks[i], rec)
	if limit > 0 && len(op.walks[i]) >= limit {
		op.finished()
		return false
	}
	if err := jsbridge.Catch(func() { cur.Call("continue") }); err != nil {
		op.finish(nil, op.b.fail("read", "", err))
		return false
	}
	return true
}

func cursorRecord(cur js.Value) (mlsidb.Record, error) {
	k, err := jsbridge.BytesFromJS(cur.Get("key"))
	if err != nil {
		return mlsidb.Record{}, detailf(mlsidb.ErrVersionMismatch, "stored key is not binary")
	}
	v, err := jsbridge.StoredBytes(cur.Get("value"))
	if err != nil {
		return mlsidb.Record{}, detailf(mlsidb.ErrVersionMismatch, "stored value is not binary")
	}
	return mlsidb.Record{Key: k, Value: v}, nil
}

// finished marks one cursor walk, or the last request, as done; when all
// are, it reports the results.
func (op *readOp) finished() {
	op.pending--
	if op.pending == 0 && !op.over {
		op.finish(op.results())
	}
}

func (op *readOp) finish(res []mlsidb.ReadResult, err error) {
	if op.over {
		return
	}
	op.over = true
	op.done(res, err)
}

// failWith reports the first error of the transaction: the request that
// failed first (the others fail after it with AbortError), else the
// transaction's, else that of req.
func (op *readOp) failWith(req js.Value) {
	var first, abortErr error
	for i := range op.reqs {
		for _, r := range []js.Value{op.keyReq(i), op.reqs[i]} {
			if r.IsUndefined() || r.Get("readyState").String() != "done" {
				continue
			}
			err := jsbridge.FromJS(r.Get("error"))
			var je *jsbridge.Error
			if errors.As(err, &je) && je.Name == "AbortError" {
				if abortErr == nil {
					abortErr = err
				}
				continue
			}
			if err != nil && first == nil {
				first = err
			}
		}
	}
	if first == nil {
		first = jsbridge.FromJS(op.tx.Get("error"))
	}
	if first == nil {
		first = jsbridge.FromJS(req.Get("error"))
	}
	if first == nil {
		first = abortErr
	}
	if first == nil {
		first = errors.New("a read failed without an error")
	}
	op.finish(nil, op.b.fail("read", "", first))
}

func (op *readOp) keyReq(i int) js.Value {
	if op.keyReqs == nil {
		return js.Undefined()
	}
	return op.keyReqs[i]
}

// results converts what the requests read.
func (op *readOp) results() ([]mlsidb.ReadResult, error) {
	out := make([]mlsidb.ReadResult, len(op.reads))
	for i, r := range op.reads {
		req := op.reqs[i]
		switch {
		case !r.Scan:
			res := req.Get("result")
			if res.IsUndefined() {
				continue
			}
			v, err := jsbridge.StoredBytes(res)
			if err != nil {
				return nil, op.b.fail("get from", r.Store, detailf(mlsidb.ErrVersionMismatch, "stored value is not binary"))
			}
			out[i] = mlsidb.ReadResult{Found: true, Value: v}
		case req.IsUndefined(): // empty range
			out[i].Records = []mlsidb.Record{}
		case !r.Reverse:
			recs, err := recordsOf(op.keyReqs[i].Get("result"), req.Get("result"))
			if err != nil {
				return nil, op.b.fail("scan", r.Store, err)
			}
			out[i].Records = recs
		case r.Limit == 1:
			out[i].Records = []mlsidb.Record{}
			cur := req.Get("result")
			if cur.IsNull() || cur.IsUndefined() {
				continue
			}
			rec, err := cursorRecord(cur)
			if err != nil {
				return nil, op.b.fail("scan", r.Store, err)
			}
			out[i].Records = []mlsidb.Record{rec}
		default:
			out[i].Records = op.walks[i]
		}
	}
	return out, nil
}

// recordsOf pairs the results of getAllKeys and getAll.
func recordsOf(keys, vals js.Value) ([]mlsidb.Record, error) {
	n := keys.Length()
	if vals.Length() != n {
		return nil, errScanMismatch
	}
	recs := make([]mlsidb.Record, n)
	for i := range recs {
		k, err := jsbridge.BytesFromJS(keys.Index(i))
		if err != nil {
			return nil, detailf(mlsidb.ErrVersionMismatch, "stored key is not binary")
		}
		v, err := jsbridge.StoredBytes(vals.Index(i))
		if err != nil {
			return nil, detailf(mlsidb.ErrVersionMismatch, "stored value is not binary")
		}
		recs[i] = mlsidb.Record{Key: k, Value: v}
	}
	return recs, nil
}

// ReadAsync implements [mlsidb.AsyncBackend]: the reads in one readonly
// transaction, requests issued back to back; done runs in the handler of
// the last request.
func (b *Backend) ReadAsync(reads []mlsidb.Read, done func([]mlsidb.ReadResult, error)) {
	b.startRead(reads, done)
}

// readOutcome is what a read hands to a waiting goroutine.
type readOutcome struct {
	res []mlsidb.ReadResult
	err error
}

// ReadBatch implements [mlsidb.BatchReader]: ReadAsync, waited for. When
// ctx ends first, the transaction is aborted and ctx.Err() returned.
func (b *Backend) ReadBatch(ctx context.Context, reads []mlsidb.Read) ([]mlsidb.ReadResult, error) {
	if err := b.begin(ctx); err != nil {
		return nil, err
	}
	ch := make(chan readOutcome, 1)
	tx := b.startRead(reads, func(res []mlsidb.ReadResult, err error) { ch <- readOutcome{res, err} })
	select {
	case o := <-ch:
		return o.res, o.err
	case <-ctx.Done():
		if !tx.IsUndefined() {
			abort(tx)
		}
		return nil, ctx.Err()
	}
}

// applyOp is a batch being issued: its object stores, op kinds and stores
// to write to.
type applyOp struct {
	stores []string
	kinds  []jsbridge.RangeKind
}

// planApply checks ops before anything is issued.
func (b *Backend) planApply(ops []mlsidb.Op) (applyOp, error) {
	a := applyOp{kinds: make([]jsbridge.RangeKind, len(ops))}
	for i, op := range ops {
		if _, err := b.storeValue(op.Store); err != nil {
			return a, b.fail("apply", "", wrapf("op "+itoa(i), err))
		}
		switch op.Kind {
		case mlsidb.OpPut, mlsidb.OpDelete:
		case mlsidb.OpDeleteRange:
			a.kinds[i] = jsbridge.PlanRange(op.Range)
			if a.kinds[i] == jsbridge.RangeEmpty {
				continue // deletes nothing: no request, no store
			}
		default:
			return a, b.fail("apply", "", wrapf("op "+itoa(i), detailf(mlsidb.ErrInvalidArgument, "unknown op kind "+itoa(int(op.Kind)))))
		}
		if !contains(a.stores, op.Store) {
			a.stores = append(a.stores, op.Store)
		}
	}
	return a, nil
}

// issueOps issues the requests of ops on the transaction's object stores.
// The keys and values cross into JavaScript together: one copy into one
// Uint8Array, then a slice of it (a fresh array of its own, as IndexedDB
// must get) for each, instead of a new array and a copy each. A key many
// ops share (a group's records do) crosses once: IndexedDB copies keys,
// and each JS value Go makes costs a crossing and a finalizer. Values are
// never shared.
func issueOps(os func(string) js.Value, ops []mlsidb.Op, kinds []jsbridge.RangeKind) {
	var (
		parts [][]byte
		keyAt = map[string]int{}
		index = make([]int, 0, 2*len(ops)) // per op: where its arrays are in parts
	)
	value := func(b []byte) {
		index = append(index, len(parts))
		parts = append(parts, b)
	}
	key := func(b []byte) {
		i, ok := keyAt[string(b)]
		if !ok {
			i = len(parts)
			keyAt[string(b)] = i
			parts = append(parts, b)
		}
		index = append(index, i)
	}
	for i, op := range ops {
		switch op.Kind {
		case mlsidb.OpPut:
			value(op.Value)
			key(op.Key)
		case mlsidb.OpDelete:
			key(op.Key)
		case mlsidb.OpDeleteRange:
			switch kinds[i] {
			case jsbridge.RangeLower:
				key(op.Range.Start)
			case jsbridge.RangeUpper:
				key(op.Range.End)
			case jsbridge.RangeBound:
				key(op.Range.Start)
				key(op.Range.End)
			}
		}
	}
	arrays := jsbridge.BytesToJSMany(parts)
	next := func() js.Value {
		v := arrays[index[0]]
		index = index[1:]
		return v
	}
	for i, op := range ops {
		switch op.Kind {
		case mlsidb.OpPut:
			v := next()
			os(op.Store).Call("put", v, next())
		case mlsidb.OpDelete:
			os(op.Store).Call("delete", next())
		case mlsidb.OpDeleteRange:
			switch kinds[i] {
			case jsbridge.RangeEmpty:
			case jsbridge.RangeAll:
				os(op.Store).Call("clear")
			case jsbridge.RangeLower:
				os(op.Store).Call("delete", jsKeyRange.Call("lowerBound", next(), false))
			case jsbridge.RangeUpper:
				os(op.Store).Call("delete", jsKeyRange.Call("upperBound", next(), true))
			case jsbridge.RangeBound:
				start := next()
				os(op.Store).Call("delete", jsKeyRange.Call("bound", start, next(), false, true))
			}
		}
	}
}

// startWrite runs issue in one readwrite transaction over stores, asks it
// to commit, and routes its outcome to done. When issue fails or throws,
// the transaction is aborted, nothing of it is written, and done gets the
// error before startWrite returns. It returns the transaction (undefined
// when none was made).
func (b *Backend) startWrite(stores []string, issue func(os func(string) js.Value) error, done func(error)) js.Value {
	if e := b.closed.Load(); e != nil {
		done(e)
		return js.Undefined()
	}
	var tx js.Value
	if err := jsbridge.Catch(func() {
		var scope any
		if len(stores) == 1 {
			scope = b.storeNames[stores[0]]
		} else {
			names := make([]any, len(stores))
			for i, s := range stores {
				names[i] = b.storeNames[s]
			}
			scope = names
		}
		tx = b.db.Call("transaction", scope, jsReadwrite, b.txOptions)
	}); err != nil {
		done(b.fail("apply", "", err))
		return js.Undefined()
	}
	var single js.Value // the object store of a one-store transaction
	var cache map[string]js.Value
	os := func(s string) js.Value {
		if len(stores) == 1 {
			if single.IsUndefined() {
				single = tx.Call("objectStore", b.storeNames[s])
			}
			return single
		}
		v, ok := cache[s]
		if !ok {
			if cache == nil {
				cache = make(map[string]js.Value, len(stores))
			}
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
		done(b.fail("apply", "", issueErr))
		return tx
	}
	if canCommit {
		_ = jsbridge.Catch(func() { tx.Call("commit") }) // start committing now
	}
	jsbridge.Route(tx, "oncomplete", "onabort", func(ok bool, tx js.Value) bool {
		if ok {
			done(nil)
			return false
		}
		err := jsbridge.FromJS(tx.Get("error"))
		if err == nil {
			err = errTxAborted
		}
		done(b.fail("apply", "", err))
		return false
	})
	return tx
}

// errTxAborted reports a transaction aborted without an error of its own.
var errTxAborted = jsbridge.NewError("AbortError", "the transaction was aborted")

// ApplyAsync implements [mlsidb.AsyncBackend]: Apply's transaction, with
// its outcome reported to done from the transaction's event handler.
func (b *Backend) ApplyAsync(ops []mlsidb.Op, done func(error)) {
	if e := b.closed.Load(); e != nil {
		done(e)
		return
	}
	a, err := b.planApply(ops)
	if err != nil {
		done(err)
		return
	}
	if len(a.stores) == 0 {
		done(nil)
		return
	}
	if unsafeBatches { // the test-only broken build
		go func() { done(b.applyOneByOne(context.Background(), ops, a.kinds)) }()
		return
	}
	b.startApply(a, ops, done)
}

// startApply issues the planned batch ops in one readwrite transaction,
// through the executor when the backend has one, and returns the
// transaction (see startWrite).
func (b *Backend) startApply(a applyOp, ops []mlsidb.Op, done func(error)) js.Value {
	done = b.settleQuotaAfter(done)
	if !b.exec.IsUndefined() {
		return b.startWriteExec(a.stores, ops, a.kinds, done)
	}
	return b.startWrite(a.stores, func(os func(string) js.Value) error {
		issueOps(os, ops, a.kinds)
		return nil
	}, done)
}

// settleKey is the key the quota settle deletes from the meta store: no
// record has it (meta keys are ASCII words; it is not valid UTF-8).
var settleKey = []byte{0xff, 's', 'e', 't', 't', 'l', 'e'}

// settleQuotaAfter wraps the done of a write transaction: when the write
// failed with a quota error, it first runs the quota settle, then reports
// the error. Chromium (156) may go on counting an aborted transaction's
// bytes against the origin's quota; when that count is over the quota,
// every later write fails with QuotaExceededError too, however small, and
// stays failing (seen after 30 s and across a reconnect). A readwrite
// transaction that only deletes (nothing to delete, here) still commits,
// and after it the browser counts the usage that is really there. So the
// store is writable again at once when the failed commit was what filled
// it. The settle's own outcome is ignored: the caller gets the write's
// error, and the settle changes no record.
func (b *Backend) settleQuotaAfter(done func(error)) func(error) {
	return func(err error) {
		if !errors.Is(err, mlsidb.ErrQuotaExceeded) {
			done(err)
			return
		}
		b.startWrite([]string{mlsidb.MetaStore}, func(os func(string) js.Value) error {
			os(mlsidb.MetaStore).Call("delete", jsbridge.BytesToJS(settleKey))
			return nil
		}, func(error) { done(err) })
	}
}
