//go:build js && wasm

package jsbridge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"syscall/js"
	"testing"
	"time"

	"github.com/mlsidb/mlsidb"
)

func TestBytesRoundTrip(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"zero", []byte{0}},
		{"every byte", all},
		{"1 MiB", bytes.Repeat([]byte{0xa5, 0x00, 0xff}, 1<<20/3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := BytesToJS(tt.in)
			if !v.InstanceOf(js.Global().Get("Uint8Array")) {
				t.Fatalf("BytesToJS gave %v, want a Uint8Array", v.Type())
			}
			if v.Get("byteOffset").Int() != 0 || v.Get("buffer").Get("byteLength").Int() != len(tt.in) {
				t.Fatalf("BytesToJS gave a view into a larger buffer (offset %d, buffer %d bytes)", v.Get("byteOffset").Int(), v.Get("buffer").Get("byteLength").Int())
			}
			got, err := BytesFromJS(v)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil || !bytes.Equal(got, tt.in) {
				t.Fatalf("round trip changed %d bytes into %d bytes", len(tt.in), len(got))
			}
			// From an ArrayBuffer, as IndexedDB returns binary keys.
			got, err = BytesFromJS(v.Get("buffer"))
			if err != nil || !bytes.Equal(got, tt.in) {
				t.Fatalf("from ArrayBuffer: %d bytes, %v", len(got), err)
			}
		})
	}
}

func TestBytesToJSIsACopy(t *testing.T) {
	b := []byte{1, 2, 3}
	v := BytesToJS(b)
	b[0] = 9
	if v.Index(0).Int() != 1 {
		t.Fatal("the Uint8Array changed with the Go slice")
	}
	v.SetIndex(1, 7)
	got, _ := BytesFromJS(v)
	v.SetIndex(2, 7)
	if !bytes.Equal(got, []byte{1, 7, 3}) {
		t.Fatalf("BytesFromJS = %v, want [1 7 3]", got)
	}
}

func TestBytesFromJSViews(t *testing.T) {
	buf := BytesToJS([]byte{0, 1, 2, 3, 4, 5}).Get("buffer")
	// A Uint8Array is read over its own range only.
	got, err := BytesFromJS(js.Global().Get("Uint8Array").New(buf, 2, 3))
	if err != nil || !bytes.Equal(got, []byte{2, 3, 4}) {
		t.Fatalf("Uint8Array view with offset: %v, %v; want [2 3 4]", got, err)
	}
	// Other views are refused, as web/mlsidb.js documents (Bytes is
	// Uint8Array | ArrayBuffer).
	for _, ctor := range []string{"DataView", "Int8Array", "Uint8ClampedArray", "Uint16Array"} {
		v := js.Global().Get(ctor).New(buf, 0, 2)
		if _, err := BytesFromJS(v); !errors.Is(err, mlsidb.ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", ctor, err)
		}
	}
}

func TestBytesFromJSRejects(t *testing.T) {
	tests := []struct {
		name string
		v    js.Value
	}{
		{"undefined", js.Undefined()},
		{"null", js.Null()},
		{"string", js.ValueOf("abc")},
		{"number", js.ValueOf(3)},
		{"array", js.ValueOf([]any{1, 2})},
		{"object", js.ValueOf(map[string]any{"buffer": 1})},
		{"object with an ArrayBuffer", js.ValueOf(map[string]any{"buffer": BytesToJS([]byte{1}).Get("buffer"), "byteOffset": 0, "byteLength": 1})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := BytesFromJS(tt.v); !errors.Is(err, mlsidb.ErrInvalidArgument) {
				t.Fatalf("err = %v, want ErrInvalidArgument", err)
			}
		})
	}
}

func domException(name, msg string) js.Value {
	return js.Global().Get("DOMException").New(msg, name)
}

func TestFromJS(t *testing.T) {
	tests := []struct {
		name     string
		v        js.Value
		wantName string
		wantMsg  string
		sentinel error
	}{
		{"quota", domException("QuotaExceededError", "full"), "QuotaExceededError", "full", mlsidb.ErrQuotaExceeded},
		{"inactive", domException("TransactionInactiveError", "x"), "TransactionInactiveError", "x", mlsidb.ErrClosed},
		{"version", domException("VersionError", ""), "VersionError", "", mlsidb.ErrVersionMismatch},
		{"data", domException("DataError", "bad key"), "DataError", "bad key", mlsidb.ErrInvalidArgument},
		{"constraint", domException("ConstraintError", "dup"), "ConstraintError", "dup", nil},
		{"TypeError", js.Global().Get("TypeError").New("nope"), "TypeError", "nope", nil},
		{"string thrown", js.ValueOf("oops"), "Error", "oops", nil},
		{"number thrown", js.ValueOf(3), "Error", "a value of type number was thrown", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := FromJS(tt.v)
			var je *Error
			if !errors.As(err, &je) {
				t.Fatalf("FromJS = %T %v, want *Error", err, err)
			}
			if je.Name != tt.wantName || je.Message != tt.wantMsg {
				t.Fatalf("FromJS = %q %q, want %q %q", je.Name, je.Message, tt.wantName, tt.wantMsg)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Fatalf("%v does not wrap %v", err, tt.sentinel)
			}
			if tt.sentinel == nil && je.Err != nil {
				t.Fatalf("%v wraps %v, want no sentinel", err, je.Err)
			}
		})
	}
	for _, v := range []js.Value{js.Null(), js.Undefined()} {
		if err := FromJS(v); err != nil {
			t.Errorf("FromJS(%v) = %v, want nil", v.Type(), err)
		}
	}
}

func TestCallCatchesSynchronousThrows(t *testing.T) {
	// IDBKeyRange.bound with lower > upper throws a DataError.
	kr := js.Global().Get("IDBKeyRange")
	_, err := Call(kr, "bound", BytesToJS([]byte{2}), BytesToJS([]byte{1}))
	if !errors.Is(err, mlsidb.ErrInvalidArgument) {
		t.Fatalf("IDBKeyRange.bound(2, 1): err = %v, want DataError as ErrInvalidArgument", err)
	}
	var je *Error
	if !errors.As(err, &je) || je.Name != "DataError" {
		t.Fatalf("err = %#v, want a DataError", err)
	}
	v, err := Call(kr, "only", BytesToJS([]byte{1}))
	if err != nil || v.IsUndefined() {
		t.Fatalf("IDBKeyRange.only: %v", err)
	}
	_, err = New(js.Global().Get("Uint8Array"), -1)
	if err == nil {
		t.Fatal("new Uint8Array(-1) did not fail")
	}
	// Go panics that are not JS exceptions go on.
	func() {
		defer func() {
			if r := recover(); r != "go panic" {
				t.Fatalf("recovered %v, want the Go panic", r)
			}
		}()
		_ = Catch(func() { panic("go panic") })
	}()
}

func TestErrorToJS(t *testing.T) {
	e := ErrorToJS(fmt.Errorf("idbstore: %w", mlsidb.ErrQuotaExceeded))
	// A plain object, not an Error: that is what web/mlsidb.js reads as a
	// rejection from Go.
	if proto := js.Global().Get("Object").Call("getPrototypeOf", e); !proto.Equal(js.Global().Get("Object").Get("prototype")) {
		t.Fatal("not a plain object")
	}
	if got := e.Get("code").String(); got != CodeQuotaExceeded {
		t.Fatalf("code = %q", got)
	}
	if got := e.Get("message").String(); got != "idbstore: storage quota exceeded" {
		t.Fatalf("message = %q", got)
	}
	if !ErrorToJS(nil).IsUndefined() {
		t.Fatal("ErrorToJS(nil) is not undefined")
	}
}

// openDB opens a fresh database with one object store "s".
func openDB(t *testing.T) js.Value {
	t.Helper()
	name := fmt.Sprintf("jsbridge-%s-%d", t.Name(), time.Now().UnixNano())
	req := js.Global().Get("indexedDB").Call("open", name, 1)
	up := js.FuncOf(func(js.Value, []js.Value) any {
		req.Get("result").Call("createObjectStore", "s")
		return nil
	})
	defer up.Release()
	req.Set("onupgradeneeded", up)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := AwaitRequest(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Call("close")
		js.Global().Get("indexedDB").Call("deleteDatabase", name)
	})
	return db
}

func put(t *testing.T, db js.Value, keys ...byte) {
	t.Helper()
	tx := db.Call("transaction", "s", "readwrite")
	for _, k := range keys {
		tx.Call("objectStore", "s").Call("put", BytesToJS([]byte{k, k}), BytesToJS([]byte{k}))
	}
	if err := AwaitTransaction(context.Background(), tx); err != nil {
		t.Fatal(err)
	}
}

func TestAwaitRequest(t *testing.T) {
	db := openDB(t)
	put(t, db, 1, 2)
	ctx := context.Background()

	tx := db.Call("transaction", "s", "readonly")
	req := tx.Call("objectStore", "s").Call("get", BytesToJS([]byte{2}))
	v, err := AwaitRequest(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := BytesFromJS(v); !bytes.Equal(got, []byte{2, 2}) {
		t.Fatalf("got %v", got)
	}
	// A settled request is read at once.
	v, err = AwaitRequest(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := BytesFromJS(v); !bytes.Equal(got, []byte{2, 2}) {
		t.Fatalf("again: got %v", got)
	}

	// A failed request: add() of an existing key is a ConstraintError.
	tx = db.Call("transaction", "s", "readwrite")
	req = tx.Call("objectStore", "s").Call("add", BytesToJS(nil), BytesToJS([]byte{1}))
	_, err = AwaitRequest(ctx, req)
	var je *Error
	if !errors.As(err, &je) || je.Name != "ConstraintError" {
		t.Fatalf("add of an existing key: err = %v, want ConstraintError", err)
	}
	// ... which aborts the transaction.
	if err := AwaitTransaction(ctx, tx); !errors.As(err, &je) || je.Name != "ConstraintError" {
		t.Fatalf("transaction: err = %v, want ConstraintError", err)
	}
}

func TestAwaitRequestContext(t *testing.T) {
	db := openDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tx := db.Call("transaction", "s", "readonly")
	req := tx.Call("objectStore", "s").Call("get", BytesToJS([]byte{1}))
	if _, err := AwaitRequest(ctx, req); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled context: err = %v", err)
	}
	// A request that never settles (its open is blocked) ends with ctx.
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	name := db.Get("name").String()
	blocked := js.Global().Get("indexedDB").Call("open", name, 2) // db stays open
	start := time.Now()
	if _, err := AwaitRequest(ctx, blocked); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
	// Let the blocked open finish so cleanup can delete the database.
	blocked.Set("onsuccess", js.FuncOf(func(this js.Value, _ []js.Value) any {
		this.Get("result").Call("close")
		return nil
	}))
}

func TestAwaitTransaction(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	count := func() int {
		tx := db.Call("transaction", "s", "readonly")
		v, err := AwaitRequest(ctx, tx.Call("objectStore", "s").Call("count"))
		if err != nil {
			t.Fatal(err)
		}
		return v.Int()
	}

	t.Run("complete", func(t *testing.T) {
		put(t, db, 1, 2, 3)
		if n := count(); n != 3 {
			t.Fatalf("count = %d, want 3", n)
		}
	})
	t.Run("explicit abort", func(t *testing.T) {
		tx := db.Call("transaction", "s", "readwrite")
		tx.Call("objectStore", "s").Call("put", BytesToJS(nil), BytesToJS([]byte{9}))
		tx.Call("abort")
		var je *Error
		if err := AwaitTransaction(ctx, tx); !errors.As(err, &je) || je.Name != "AbortError" {
			t.Fatalf("err = %v, want AbortError", err)
		}
		if n := count(); n != 3 {
			t.Fatalf("count = %d after abort, want 3", n)
		}
	})
	t.Run("canceled context aborts", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		tx := db.Call("transaction", "s", "readwrite")
		tx.Call("objectStore", "s").Call("put", BytesToJS(nil), BytesToJS([]byte{8}))
		if err := AwaitTransaction(cctx, tx); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if n := count(); n != 3 {
			t.Fatalf("count = %d after cancel, want 3", n)
		}
	})
	t.Run("request after commit is inactive", func(t *testing.T) {
		tx := db.Call("transaction", "s", "readwrite")
		os := tx.Call("objectStore", "s")
		if err := AwaitTransaction(ctx, tx); err != nil {
			t.Fatal(err)
		}
		_, err := Call(os, "put", BytesToJS(nil), BytesToJS([]byte{7}))
		if !errors.Is(err, mlsidb.ErrClosed) {
			t.Fatalf("put on a finished transaction: err = %v, want TransactionInactiveError as ErrClosed", err)
		}
	})
}

func TestIterCursor(t *testing.T) {
	db := openDB(t)
	put(t, db, 1, 2, 3, 4)
	ctx := context.Background()
	tests := []struct {
		name  string
		dir   string
		limit int
		want  []byte
	}{
		{"forward", "next", 0, []byte{1, 2, 3, 4}},
		{"reverse", "prev", 0, []byte{4, 3, 2, 1}},
		{"reverse limit", "prev", 2, []byte{4, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx := db.Call("transaction", "s", "readonly")
			req := tx.Call("objectStore", "s").Call("openCursor", js.Null(), tt.dir)
			var got []byte
			err := IterCursor(ctx, req, func(cur js.Value) (bool, error) {
				k, err := BytesFromJS(cur.Get("key"))
				got = append(got, k...)
				return tt.limit == 0 || len(got) < tt.limit, err
			})
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	t.Run("visit error", func(t *testing.T) {
		tx := db.Call("transaction", "s", "readonly")
		req := tx.Call("objectStore", "s").Call("openCursor")
		boom := errors.New("boom")
		if err := IterCursor(ctx, req, func(js.Value) (bool, error) { return true, boom }); err != boom {
			t.Fatalf("err = %v, want boom", err)
		}
	})
	t.Run("visit panic", func(t *testing.T) {
		tx := db.Call("transaction", "s", "readonly")
		req := tx.Call("objectStore", "s").Call("openCursor")
		err := IterCursor(ctx, req, func(js.Value) (bool, error) { panic("visit") })
		var pe *PanicError
		if !errors.As(err, &pe) {
			t.Fatalf("err = %v, want a PanicError", err)
		}
	})
}

func TestAwaitPromise(t *testing.T) {
	ctx := context.Background()
	promise := js.Global().Get("Promise")
	v, err := AwaitPromise(ctx, promise.Call("resolve", 42))
	if err != nil || v.Int() != 42 {
		t.Fatalf("resolve: %v, %v", v, err)
	}
	_, err = AwaitPromise(ctx, promise.Call("reject", domException("QuotaExceededError", "full")))
	if !errors.Is(err, mlsidb.ErrQuotaExceeded) {
		t.Fatalf("reject: err = %v", err)
	}
	_, err = AwaitPromise(ctx, promise.Call("reject"))
	if err == nil {
		t.Fatal("reject(undefined): no error")
	}
	v, err = AwaitPromise(ctx, js.ValueOf(7))
	if err != nil || v.Int() != 7 {
		t.Fatalf("non-thenable: %v, %v", v, err)
	}
	// A Promise that never settles ends with ctx.
	never := promise.New(js.FuncOf(func(js.Value, []js.Value) any { return nil }))
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := AwaitPromise(cctx, never); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("never: err = %v", err)
	}
}

// settle waits for the Promise p and returns its value, or its rejection
// reason (a {code, message} object) as code and message.
func settle(t *testing.T, p js.Value) (v js.Value, code, message string) {
	t.Helper()
	if !p.InstanceOf(js.Global().Get("Promise")) {
		t.Fatalf("got %v, want a Promise", p.Type())
	}
	v, err := AwaitPromise(context.Background(), p)
	if err == nil {
		return v, "", ""
	}
	reason := rejection(t, p)
	if reason.Type() != js.TypeObject || reason.Get("code").Type() != js.TypeString || reason.Get("message").Type() != js.TypeString {
		t.Fatalf("rejected with %v, want {code, message}", err)
	}
	return js.Undefined(), reason.Get("code").String(), reason.Get("message").String()
}

func TestPromise(t *testing.T) {
	tests := []struct {
		name     string
		work     func() (any, error)
		check    func(js.Value) bool
		wantCode string
		wantMsg  string
	}{
		{"resolves", func() (any, error) {
			time.Sleep(time.Millisecond) // may block: it runs in its own goroutine
			return 42, nil
		}, func(v js.Value) bool { return v.Type() == js.TypeNumber && v.Int() == 42 }, "", ""},
		{"nil is undefined", func() (any, error) { return nil, nil },
			js.Value.IsUndefined, "", ""},
		{"a js.Value as it is", func() (any, error) { return BytesToJS([]byte{7}), nil },
			func(v js.Value) bool { b, err := BytesFromJS(v); return err == nil && bytes.Equal(b, []byte{7}) }, "", ""},
		{"error rejects with code", func() (any, error) {
			return nil, fmt.Errorf("x: %w", mlsidb.ErrClosed)
		}, nil, CodeClosed, "x: store closed"},
		{"value and error reject", func() (any, error) {
			return 1, mlsidb.ErrBlocked
		}, nil, CodeBlocked, "storage blocked"},
		{"Go panic rejects", func() (any, error) {
			var m map[string]int
			m["x"] = 1
			return nil, nil
		}, nil, CodeInternal, "mlsidb: internal error: panic: assignment to entry in nil map"},
		{"JS exception panic rejects", func() (any, error) {
			js.Global().Get("IDBKeyRange").Call("bound", 2, 1)
			return nil, nil
		}, nil, CodeInternal, ""},
		{"unconvertible value rejects", func() (any, error) {
			return make(chan int), nil
		}, nil, CodeInternal, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, code, msg := settle(t, Promise(tt.work))
			if code != tt.wantCode {
				t.Fatalf("code = %q (%s), want %q", code, msg, tt.wantCode)
			}
			if tt.wantMsg != "" && msg != tt.wantMsg {
				t.Fatalf("message = %q, want %q", msg, tt.wantMsg)
			}
			if tt.check != nil && !tt.check(v) {
				t.Fatalf("resolved to %v", v)
			}
		})
	}
}

func TestRejected(t *testing.T) {
	_, code, msg := settle(t, Rejected(fmt.Errorf("open: %w", mlsidb.ErrInvalidArgument)))
	if code != CodeInvalidArgument || msg != "open: invalid argument" {
		t.Fatalf("rejected with %q %q", code, msg)
	}
}

func TestExport(t *testing.T) {
	// prepare copies the bytes while the JS call runs; work reads only the
	// copy.
	var prepared bool
	f := Export(func(args []js.Value) (func() (any, error), error) {
		prepared = true
		if len(args) != 1 {
			return nil, fmt.Errorf("want 1 argument: %w", mlsidb.ErrInvalidArgument)
		}
		b, err := BytesFromJS(args[0])
		if err != nil {
			return nil, err
		}
		if len(b) == 0 {
			panic("empty")
		}
		return func() (any, error) {
			time.Sleep(time.Millisecond)
			if b[0] == 0 {
				return nil, fmt.Errorf("zero: %w", mlsidb.ErrVersionMismatch)
			}
			return BytesToJS(b), nil
		}, nil
	})
	defer f.Release()

	u8 := BytesToJS([]byte{1, 2, 3})
	p := f.Invoke(u8)
	if !prepared {
		t.Fatal("prepare did not run during the call")
	}
	u8.SetIndex(0, 9) // the caller reuses its array at once
	v, code, msg := settle(t, p)
	if code != "" {
		t.Fatalf("rejected: %s %s", code, msg)
	}
	if got, _ := BytesFromJS(v); !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Fatalf("work saw %v, want the bytes at call time [1 2 3]", got)
	}

	tests := []struct {
		name     string
		args     []any
		wantCode string
		wantMsg  string
	}{
		{"prepare error", nil, CodeInvalidArgument, "want 1 argument: invalid argument"},
		{"prepare error from BytesFromJS", []any{js.Global().Get("DataView").New(js.Global().Get("ArrayBuffer").New(1))}, CodeInvalidArgument, ""},
		{"prepare panic", []any{BytesToJS(nil)}, CodeInternal, "mlsidb: internal error: panic: empty"},
		{"work error", []any{BytesToJS([]byte{0})}, CodeVersionMismatch, "zero: version mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, code, msg := settle(t, f.Invoke(tt.args...))
			if code != tt.wantCode {
				t.Fatalf("code = %q (%s), want %q", code, msg, tt.wantCode)
			}
			if tt.wantMsg != "" && msg != tt.wantMsg {
				t.Fatalf("message = %q, want %q", msg, tt.wantMsg)
			}
		})
	}
}

// rejection returns the rejection reason of a settled, rejected Promise.
func rejection(t *testing.T, p js.Value) js.Value {
	t.Helper()
	ch := make(chan js.Value, 1)
	f := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- args[0]
		return nil
	})
	defer f.Release()
	p.Call("catch", f)
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("no rejection")
		return js.Value{}
	}
}

// TestAwaitTransactionQuota checks how a quota failure arrives: as an
// abort event whose transaction error is a QuotaExceededError. A real one
// needs a full disk; a stand-in transaction object fires the same event.
func TestAwaitTransactionQuota(t *testing.T) {
	tx := js.Global().Get("Object").New()
	tx.Set("error", domException("QuotaExceededError", "The quota has been exceeded."))
	tx.Set("abort", js.Global().Get("Function").New(`throw new DOMException("finished", "InvalidStateError")`))
	go func() {
		for tx.Get("onabort").Type() != js.TypeFunction {
			time.Sleep(time.Millisecond)
		}
		tx.Call("onabort", map[string]any{"type": "abort"})
	}()
	err := AwaitTransaction(context.Background(), tx)
	if !errors.Is(err, mlsidb.ErrQuotaExceeded) {
		t.Fatalf("err = %v, want ErrQuotaExceeded", err)
	}
	if !tx.Get("onabort").IsNull() || !tx.Get("oncomplete").IsNull() {
		t.Fatal("handlers left attached")
	}
}

// TestAwaitTransactionCannotAbort: when ctx ends while the transaction is
// committing (abort throws), the outcome is waited for and reported.
func TestAwaitTransactionCannotAbort(t *testing.T) {
	tx := js.Global().Get("Object").New()
	tx.Set("error", js.Null())
	tx.Set("abort", js.Global().Get("Function").New(`throw new DOMException("committing", "InvalidStateError")`))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for tx.Get("oncomplete").Type() != js.TypeFunction {
			time.Sleep(time.Millisecond)
		}
		cancel()
		time.Sleep(10 * time.Millisecond)
		tx.Call("oncomplete", map[string]any{"type": "complete"})
	}()
	if err := AwaitTransaction(ctx, tx); err != nil {
		t.Fatalf("err = %v, want nil: the transaction committed", err)
	}
}

func TestNewPromiseWithoutWithResolvers(t *testing.T) {
	for _, with := range []bool{true, false} {
		t.Run(fmt.Sprint("withResolvers=", with), func(t *testing.T) {
			saved := hasWithResolvers
			hasWithResolvers = with
			defer func() { hasWithResolvers = saved }()
			p, resolve, reject := newPromise()
			resolve.Invoke(5)
			reject.Invoke(6) // ignored: already resolved
			v, err := AwaitPromise(context.Background(), p)
			if err != nil || v.Int() != 5 {
				t.Fatalf("got %v, %v", v, err)
			}
			p, _, reject = newPromise()
			reject.Invoke(domException("DataError", "bad"))
			if _, err := AwaitPromise(context.Background(), p); !errors.Is(err, mlsidb.ErrInvalidArgument) {
				t.Fatalf("reject: err = %v", err)
			}
		})
	}
}

// Route calls back once per event with the target, for requests and
// transactions, success and failure; a callback that wants more events
// (a cursor) gets them; no route is left once the events are over.
func TestRoute(t *testing.T) {
	db := openDB(t)
	put(t, db, 1, 2)
	put(t, db, 2, 3)
	before := routeCount()
	type ev struct {
		ok   bool
		what string
	}
	ch := make(chan ev, 8)
	tx := db.Call("transaction", "s", "readwrite")
	os := tx.Call("objectStore", "s")
	get := os.Call("get", BytesToJS([]byte{1}))
	Route(get, "onsuccess", "onerror", func(ok bool, req js.Value) bool {
		v, _ := BytesFromJS(req.Get("result"))
		ch <- ev{ok, fmt.Sprint("get ", v)}
		return false
	})
	cur := os.Call("openCursor")
	Route(cur, "onsuccess", "onerror", func(ok bool, req js.Value) bool {
		if !ok {
			ch <- ev{ok, "cursor " + FromJS(req.Get("error")).(*Error).Name}
			return false
		}
		c := req.Get("result")
		if c.IsNull() {
			ch <- ev{ok, "cursor end"}
			return false
		}
		k, _ := BytesFromJS(c.Get("key"))
		ch <- ev{ok, fmt.Sprint("cursor ", k)}
		c.Call("continue")
		return true
	})
	bad := os.Call("add", BytesToJS(nil), BytesToJS([]byte{1})) // ConstraintError, aborts
	Route(bad, "onsuccess", "onerror", func(ok bool, req js.Value) bool {
		ch <- ev{ok, "add " + FromJS(req.Get("error")).(*Error).Name}
		return false
	})
	Route(tx, "oncomplete", "onabort", func(ok bool, tx js.Value) bool {
		ch <- ev{ok, "transaction " + FromJS(tx.Get("error")).(*Error).Name}
		return false
	})
	want := []ev{{true, "get [1 1]"}, {true, "cursor [1]"}, {false, "add ConstraintError"}, {false, "cursor AbortError"}, {false, "transaction ConstraintError"}}
	var got []ev
	for len(got) < len(want) {
		select {
		case e := <-ch:
			got = append(got, e)
		case <-time.After(10 * time.Second):
			t.Fatalf("events so far: %v", got)
		}
	}
	// The cursor's next step fails with AbortError once add aborted the
	// transaction.
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	if n := routeCount(); n != before {
		t.Fatalf("%d routes left, want %d", n, before)
	}
}

// Settle: done before start returns gives a settled Promise, done later
// (from an event handler or a goroutine) settles it then; later calls of
// done are ignored; a panic in start, or a value js.ValueOf cannot take,
// rejects with code Internal. Both ways of making Promises.
func TestSettle(t *testing.T) {
	for _, withResolvers := range []bool{true, false} {
		t.Run(fmt.Sprint("withResolvers=", withResolvers), func(t *testing.T) {
			defer func(old bool) { hasWithResolvers = old }(hasWithResolvers)
			hasWithResolvers = withResolvers && hasWithResolvers
			later := func(v any, err error) func(func(any, error)) {
				return func(done func(any, error)) {
					go func() {
						time.Sleep(time.Millisecond)
						done(v, err)
						done("again", nil)
					}()
				}
			}
			tests := []struct {
				name     string
				start    func(done func(any, error))
				check    func(js.Value) bool
				wantCode string
			}{
				{"at once", func(done func(any, error)) { done(7, nil); done(8, nil) },
					func(v js.Value) bool { return v.Int() == 7 }, ""},
				{"at once, nil", func(done func(any, error)) { done(nil, nil) }, js.Value.IsUndefined, ""},
				{"at once, error", func(done func(any, error)) { done(nil, mlsidb.ErrClosed) }, nil, CodeClosed},
				{"later", later("x", nil), func(v js.Value) bool { return v.String() == "x" }, ""},
				{"later, error", later(nil, mlsidb.ErrQuotaExceeded), nil, CodeQuotaExceeded},
				{"later, bad value", later(make(chan int), nil), nil, CodeInternal},
				{"at once, bad value", func(done func(any, error)) { done(make(chan int), nil) }, nil, CodeInternal},
				{"panic", func(func(any, error)) { panic("boom") }, nil, CodeInternal},
			}
			for _, tt := range tests {
				v, code, msg := settle(t, Settle(tt.start))
				if code != tt.wantCode {
					t.Errorf("%s: code = %q (%s), want %q", tt.name, code, msg, tt.wantCode)
					continue
				}
				if tt.check != nil && !tt.check(v) {
					t.Errorf("%s: resolved to %v", tt.name, v)
				}
			}
		})
	}
}

func TestBytesToJSMany(t *testing.T) {
	for n := 0; n < 6; n++ {
		var parts [][]byte
		for i := 0; i < n; i++ {
			parts = append(parts, bytes.Repeat([]byte{byte(i + 1)}, i)) // the first is empty
		}
		got := BytesToJSMany(parts)
		if len(got) != n {
			t.Fatalf("%d parts: %d arrays", n, len(got))
		}
		for i, v := range got {
			b, err := BytesFromJS(v)
			if err != nil || !bytes.Equal(b, parts[i]) {
				t.Fatalf("%d parts: array %d = %v, %v", n, i, b, err)
			}
			if v.Get("byteOffset").Int() != 0 || v.Get("buffer").Get("byteLength").Int() != len(parts[i]) {
				t.Fatalf("%d parts: array %d is a view into a larger buffer", n, i)
			}
		}
	}
}

func TestStoredBytes(t *testing.T) {
	u8 := BytesToJS([]byte{1, 2, 3})
	for _, tt := range []struct {
		name string
		v    js.Value
		want []byte
		ok   bool
	}{
		{"Uint8Array", u8, []byte{1, 2, 3}, true},
		{"empty Uint8Array", BytesToJS(nil), []byte{}, true},
		{"view", u8.Call("subarray", 1), []byte{2, 3}, true},
		{"ArrayBuffer", u8.Get("buffer"), []byte{1, 2, 3}, true},
		{"clamped", js.Global().Get("Uint8ClampedArray").New(u8), []byte{1, 2, 3}, true},
		{"array", js.ValueOf([]any{1, 2}), nil, false},
		{"string", js.ValueOf("abc"), nil, false},
		{"object with length", js.ValueOf(map[string]any{"length": 0}), nil, false},
		{"Uint16Array", js.Global().Get("Uint16Array").New(2), nil, false},
		{"undefined", js.Undefined(), nil, false},
	} {
		got, err := StoredBytes(tt.v)
		if (err == nil) != tt.ok || (tt.ok && !bytes.Equal(got, tt.want)) || (tt.ok && got == nil) {
			t.Errorf("%s: %v, %v", tt.name, got, err)
		}
	}
}
