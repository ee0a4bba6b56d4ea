//go:build js && wasm

package idbstore

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall/js"
	"testing"
	"time"

	"github.com/mlsidb/mlsidb/jsbridge"
)

var dbSeq atomic.Int64

// uniqueName returns a database name no other test uses.
func uniqueName(t testing.TB) string {
	n := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	return fmt.Sprintf("idbstore-test-%d-%s", dbSeq.Add(1), n)
}

// testCtx returns a context that bounds a test step, so a hang fails the
// test instead of the whole binary.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// openTest opens a backend over a fresh database and closes it when the
// test ends.
func openTest(t testing.TB, opts Options) *Backend {
	t.Helper()
	return openNamed(t, uniqueName(t), opts)
}

// openNamed opens a backend over the database name, with the executor
// unless opts has one (or null: Go issues the requests); it closes when
// the test ends.
func openNamed(t testing.TB, name string, opts Options) *Backend {
	t.Helper()
	if opts.Executor.IsUndefined() {
		opts.Executor = testExecutor()
	}
	b, err := Open(testCtx(t), name, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// rawOpen opens name at version with plain JS (an independent
// connection); upgrade, if not nil, runs in its upgradeneeded event.
func rawOpen(ctx context.Context, name string, version int, upgrade func(db js.Value)) (js.Value, error) {
	req := js.Global().Get("indexedDB").Call("open", name, version)
	up := js.FuncOf(func(js.Value, []js.Value) any {
		if upgrade != nil {
			upgrade(req.Get("result"))
		}
		return nil
	})
	defer func() {
		req.Set("onupgradeneeded", js.Null())
		up.Release()
	}()
	req.Set("onupgradeneeded", up)
	return jsbridge.AwaitRequest(ctx, req)
}

// rawStoreNames returns the version and the object store names of a
// database, through a new plain JS connection at its current version.
func rawStoreNames(t *testing.T, name string) (names []string, version int) {
	t.Helper()
	db, err := jsbridge.AwaitRequest(testCtx(t), js.Global().Get("indexedDB").Call("open", name))
	if err != nil {
		t.Fatalf("raw open: %v", err)
	}
	defer db.Call("close")
	list := db.Get("objectStoreNames")
	for i := 0; i < list.Length(); i++ {
		names = append(names, list.Index(i).String())
	}
	return names, db.Get("version").Int()
}
