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
