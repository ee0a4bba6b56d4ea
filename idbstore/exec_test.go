//go:build js && wasm

package idbstore

import (
	_ "embed"
	"errors"
	"strings"
	"syscall/js"
	"testing"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/jsbridge"
)

// execSource is exec.js, the executor web/mlsidb.js carries.
//
//go:embed exec.js
var execSource string

// testExecutor evaluates exec.js and returns its idbExec (tests only: a
// page gets it from mlsidb.js, with no eval).
func testExecutor() js.Value {
	return js.Global().Get("Function").New(execSource + "\nreturn idbExec;").Invoke()
}

// Options.Executor must be idbExec (or undefined / null: no executor).
func TestExecutorOption(t *testing.T) {
	for _, bad := range []js.Value{js.ValueOf(1), js.ValueOf("idbExec"), js.Global().Get("Object").New()} {
		if _, err := Open(testCtx(t), uniqueName(t), Options{Executor: bad}); !errors.Is(err, mlsidb.ErrInvalidArgument) {
			t.Fatalf("Executor %v: err = %v, want ErrInvalidArgument", bad.Type(), err)
		}
	}
	b := openTest(t, Options{Executor: js.Null()})
	if !b.exec.IsUndefined() {
		t.Fatal("Executor null: the backend has an executor")
	}
}

// A record another program stored with a value that is not binary is
// reported as ErrVersionMismatch, by Get and by Scan, with and without the
// executor; the error names the store, never the bytes.
func TestNotBinaryValue(t *testing.T) {
	for _, tc := range []struct {
		name string
		exec js.Value
	}{{"executor", js.Undefined()}, {"go", js.Null()}} {
		t.Run(tc.name, func(t *testing.T) {
			b := openTest(t, Options{Executor: tc.exec})
			ctx := testCtx(t)
			store := mlsidb.StoreNames()[1]
			key := []byte{0, 1, 2, 3}
			tx := b.db.Call("transaction", store, "readwrite")
			tx.Call("objectStore", store).Call("put", "secret text", jsbridge.BytesToJS(key))
			if err := jsbridge.AwaitTransaction(ctx, tx); err != nil {
				t.Fatal(err)
			}
			_, err := b.Get(ctx, store, key)
			if !errors.Is(err, mlsidb.ErrVersionMismatch) || !strings.Contains(err.Error(), store) || strings.Contains(err.Error(), "secret") {
				t.Fatalf("Get: err = %v, want ErrVersionMismatch naming %s", err, store)
			}
			_, err = b.Scan(ctx, store, mlsidb.PrefixRange([]byte{0}), false, 0)
			if !errors.Is(err, mlsidb.ErrVersionMismatch) || !strings.Contains(err.Error(), store) {
				t.Fatalf("Scan: err = %v, want ErrVersionMismatch naming %s", err, store)
			}
			_, err = b.Scan(ctx, store, mlsidb.PrefixRange([]byte{0}), true, 0)
			if !errors.Is(err, mlsidb.ErrVersionMismatch) {
				t.Fatalf("reverse Scan: err = %v, want ErrVersionMismatch", err)
			}
		})
	}
}

// failingWrites returns idbExec with its write replaced: every write
// transaction fails, later, with a DOMException called name.
func failingWrites(name string) js.Value {
	return js.Global().Get("Function").New("exec", "name", `return Object.freeze({ ...exec,
		write(db, names, options, spec, id, cb) { setTimeout(() => cb(id, false, new DOMException("refused", name))); },
	});`).Invoke(testExecutor(), name)
}

// After a write fails with a quota error, and only then, the backend runs
// the quota settle (a transaction that deletes settleKey from the meta
// store), and reports the error once the settle has ended. The test plants
// a record under settleKey to see whether the settle ran, and a hook on
// IDBDatabase.transaction marks when a readwrite transaction over the meta
// store completes, which the done callback checks.
func TestQuotaSettle(t *testing.T) {
	hook := js.Global().Get("Function").New(`
		const proto = IDBDatabase.prototype;
		const orig = proto.transaction;
		globalThis.metaWrites = 0;
		proto.transaction = function (scope, mode, opts) {
			const tx = orig.call(this, scope, mode, opts);
			if (mode === "readwrite" && String(scope) === "meta") tx.addEventListener("complete", () => globalThis.metaWrites++);
			return tx;
		};
		return () => { proto.transaction = orig; delete globalThis.metaWrites; };`).Invoke()
	defer hook.Invoke()
	for _, c := range []struct {
		name    string
		dom     string
		want    error
		settled bool
	}{
		{"quota", "QuotaExceededError", mlsidb.ErrQuotaExceeded, true},
		{"other", "UnknownError", nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t)
			name := uniqueName(t)
			plant := openNamed(t, name, Options{})
			planted := []mlsidb.Op{{Kind: mlsidb.OpPut, Store: mlsidb.MetaStore, Key: settleKey, Value: []byte{0, 1}}}
			if err := plant.Apply(ctx, planted); err != nil {
				t.Fatal(err)
			}
			plant.Close()
			b := openNamed(t, name, Options{Executor: failingWrites(c.dom)})
			type outcome struct {
				err        error
				metaWrites int
			}
			before := js.Global().Get("metaWrites").Int()
			ch := make(chan outcome, 1)
			b.ApplyAsync([]mlsidb.Op{{Kind: mlsidb.OpPut, Store: "tree", Key: []byte{0, 1, 2}, Value: []byte{3}}}, func(err error) {
				ch <- outcome{err, js.Global().Get("metaWrites").Int() - before}
			})
			var got outcome
			select {
			case got = <-ch:
			case <-ctx.Done():
				t.Fatal("ApplyAsync never reported")
			}
			err := got.err
			if err == nil || (c.want != nil && !errors.Is(err, c.want)) || (c.want == nil && errors.Is(err, mlsidb.ErrQuotaExceeded)) {
				t.Fatalf("ApplyAsync: err = %v, want %s", err, c.dom)
			}
			if settledFirst := got.metaWrites == 1; settledFirst != c.settled {
				t.Fatalf("after %s: %d meta write transactions had completed when the error was reported, want settle = %v", c.dom, got.metaWrites, c.settled)
			}
			_, getErr := b.Get(ctx, mlsidb.MetaStore, settleKey)
			if settled := errors.Is(getErr, mlsidb.ErrNotFound); settled != c.settled {
				t.Fatalf("after %s: settle ran = %v (Get: %v), want %v", c.dom, settled, getErr, c.settled)
			}
		})
	}
}
