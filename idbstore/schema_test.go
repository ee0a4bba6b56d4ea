//go:build js && wasm

package idbstore

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/hack-pad/go-indexeddb/idb"
	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/jsbridge"
)

func TestSchemaHoldsExactlyTheStoreNames(t *testing.T) {
	if len(schema) != SchemaVersion {
		t.Fatalf("SchemaVersion = %d, but the upgrade path has %d steps", SchemaVersion, len(schema))
	}
	b := openTest(t, Options{})
	names, version := rawStoreNames(t, b.Name())
	want := mlsidb.StoreNames()
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("object stores %q, want %q", names, want)
	}
	if version != SchemaVersion {
		t.Fatalf("version %d, want %d", version, SchemaVersion)
	}
}

// v1Records are written into schema-1 databases by the upgrade tests.
var v1Records = []struct {
	store      string
	key, value []byte
}{
	{"tree", []byte{0, 1, 0, 0, 0, 1, 0xff}, bytes.Repeat([]byte{7}, 8<<10)},
	{"proposal_queue", []byte{0, 1, 0, 0, 0, 1, 0xff, 'r'}, []byte{0, 1, 9}},
	{"psk", []byte{0, 1, 0x00}, []byte{}},
}

func checkUpgraded(t *testing.T, name string) {
	t.Helper()
	b := openNamed(t, name, Options{})
	ctx := testCtx(t)
	for _, r := range v1Records {
		v, err := b.Get(ctx, r.store, r.key)
		if err != nil || !bytes.Equal(v, r.value) {
			t.Fatalf("%s: record written at schema 1 reads %d bytes, %v", r.store, len(v), err)
		}
	}
	// The meta store of schema 2 is there and works.
	if err := b.Apply(ctx, []mlsidb.Op{{Kind: mlsidb.OpPut, Store: mlsidb.MetaStore, Key: mlsidb.MetaVersionKey, Value: []byte{0, 1}}}); err != nil {
		t.Fatalf("meta store: %v", err)
	}
	// And a provider opens over it.
	p, err := mlsidb.New(ctx, b, mlsidb.Options{})
	if err != nil {
		t.Fatalf("mlsidb.New over the upgraded database: %v", err)
	}
	defer p.Close()
	names, version := rawStoreNames(t, name)
	if version != SchemaVersion || !slices.Contains(names, mlsidb.MetaStore) {
		t.Fatalf("after the upgrade: version %d, stores %q", version, names)
	}
}

// putRaw writes the v1 records through a plain JS connection at version 1.
func putRaw(t *testing.T, name string) {
	t.Helper()
	ctx := testCtx(t)
	db, err := rawOpen(ctx, name, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Call("close")
	stores := []any{}
	for _, r := range v1Records {
		stores = append(stores, r.store)
	}
	tx := db.Call("transaction", stores, "readwrite")
	for _, r := range v1Records {
		tx.Call("objectStore", r.store).Call("put", jsbridge.BytesToJS(r.value), jsbridge.BytesToJS(r.key))
	}
	if err := jsbridge.AwaitTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
}

// schema1Stores are the object stores of schema version 1, written out
// here independently of the upgrade path.
var schema1Stores = []string{
	"mls_group_join_config", "tree", "group_context", "interim_transcript_hash",
	"confirmation_tag", "group_state", "message_secrets", "resumption_psk_store",
	"own_leaf_index", "group_epoch_secrets", "application_export_tree",
	"own_leaf_nodes", "proposal_queue", "encryption_epoch_key_pairs",
	"signature_key_pair", "encryption_key_pair", "key_package", "psk",
}

func TestUpgradeFromVersion1(t *testing.T) {
	// The upgrade path cut short after step 1 makes a schema-1 database;
	// the backend refuses it as incomplete (no meta store), then new code
	// upgrades it.
	t.Run("path cut short", func(t *testing.T) {
		name := uniqueName(t)
		_, err := openWith(testCtx(t), name, Options{}, schema[:1])
		if !errors.Is(err, mlsidb.ErrVersionMismatch) || !strings.Contains(err.Error(), mlsidb.MetaStore) {
			t.Fatalf("opening schema 1 as complete: err = %v, want ErrVersionMismatch naming the meta store", err)
		}
		names, version := rawStoreNames(t, name)
		slices.Sort(names)
		want := slices.Clone(schema1Stores)
		slices.Sort(want)
		if version != 1 || !slices.Equal(names, want) {
			t.Fatalf("step 1 made version %d with stores %q, want version 1 with %q", version, names, want)
		}
		putRaw(t, name)
		checkUpgraded(t, name)
	})
	// An independent client (go-indexeddb) makes and fills a schema-1
	// database from its own list of stores.
	t.Run("made by go-indexeddb", func(t *testing.T) {
		name := uniqueName(t)
		ctx := testCtx(t)
		req, err := idb.Global().Open(ctx, name, 1, func(db *idb.Database, _, _ uint) error {
			for _, s := range schema1Stores {
				if _, err := db.CreateObjectStore(s, idb.ObjectStoreOptions{}); err != nil {
					t.Errorf("create %s: %v", s, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		db, err := req.Await(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range v1Records {
			txn, err := db.Transaction(idb.TransactionReadWrite, r.store)
			if err != nil {
				t.Fatal(err)
			}
			os, err := txn.ObjectStore(r.store)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.PutKey(jsbridge.BytesToJS(r.key), jsbridge.BytesToJS(r.value)); err != nil {
				t.Fatal(err)
			}
			if err := txn.Await(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		checkUpgraded(t, name)
	})
}

// TestUpgradeFailure checks that a step that fails, panics or throws
// fails the open cleanly and leaves the database at its old version.
func TestUpgradeFailure(t *testing.T) {
	boom := errors.New("step failed")
	tests := []struct {
		name string
		step func(db, tx js.Value) error
		want string
	}{
		{"error", func(js.Value, js.Value) error { return boom }, "step failed"},
		{"panic", func(js.Value, js.Value) error { panic("step panicked") }, "step panicked"},
		{"JS exception", func(db, _ js.Value) error {
			db.Call("createObjectStore", "tree") // exists: ConstraintError
			return nil
		}, "ConstraintError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := uniqueName(t)
			_, _ = openWith(testCtx(t), name, Options{}, schema[:1])
			bad := append(slices.Clone(schema[:1]), upgradeStep{what: "bad step", run: func(db, tx js.Value) error {
				db.Call("createObjectStore", "half-done")
				return tt.step(db, tx)
			}})
			_, err := openWith(testCtx(t), name, Options{}, bad)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "schema version 2 (bad step)") {
				t.Fatalf("err = %v, want the step's failure %q", err, tt.want)
			}
			names, version := rawStoreNames(t, name)
			if version != 1 || slices.Contains(names, "half-done") {
				t.Fatalf("after a failed upgrade: version %d, stores %q; want version 1 untouched", version, names)
			}
			putRaw(t, name)
			checkUpgraded(t, name) // the real path still works afterwards
		})
	}
}

func TestNewerSchemaVersion(t *testing.T) {
	name := uniqueName(t)
	db, err := rawOpen(testCtx(t), name, SchemaVersion+1, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Call("close")
	_, err = Open(testCtx(t), name, Options{})
	if !errors.Is(err, mlsidb.ErrVersionMismatch) {
		t.Fatalf("err = %v, want ErrVersionMismatch", err)
	}
}

func TestMissingObjectStore(t *testing.T) {
	name := uniqueName(t)
	db, err := rawOpen(testCtx(t), name, SchemaVersion, func(db js.Value) {
		for _, s := range mlsidb.StoreNames()[1:] {
			db.Call("createObjectStore", s)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Call("close")
	_, err = Open(testCtx(t), name, Options{})
	if !errors.Is(err, mlsidb.ErrVersionMismatch) || !strings.Contains(err.Error(), mlsidb.StoreNames()[0]) {
		t.Fatalf("err = %v, want ErrVersionMismatch naming the missing store", err)
	}
}

// withoutIndexedDB runs f with the global indexedDB removed, and restores
// it. The attribute is an accessor property of the global object (or its
// prototype); an own data property shadows it.
func withoutIndexedDB(t *testing.T, f func()) {
	t.Helper()
	object, global := js.Global().Get("Object"), js.Global()
	saved := object.Call("getOwnPropertyDescriptor", global, "indexedDB")
	if !saved.IsUndefined() && !saved.Get("configurable").Bool() {
		t.Fatal("globalThis.indexedDB is not configurable: cannot remove it")
	}
	object.Call("defineProperty", global, "indexedDB", map[string]any{"value": js.Undefined(), "configurable": true, "writable": true})
	defer func() {
		if saved.IsUndefined() {
			js.Global().Get("Reflect").Call("deleteProperty", global, "indexedDB")
		} else {
			object.Call("defineProperty", global, "indexedDB", saved)
		}
		if js.Global().Get("indexedDB").IsUndefined() {
			t.Fatal("indexedDB was not restored")
		}
	}()
	if !js.Global().Get("indexedDB").IsUndefined() {
		t.Fatal("indexedDB is still there")
	}
	f()
}

func TestNoIndexedDB(t *testing.T) {
	ctx := testCtx(t)
	t.Run("global removed", func(t *testing.T) {
		withoutIndexedDB(t, func() {
			_, err := Open(ctx, uniqueName(t), Options{})
			if !errors.Is(err, mlsidb.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
		})
		// And back to normal.
		openTest(t, Options{})
	})
	for _, f := range []struct {
		name string
		v    js.Value
	}{
		{"null factory", js.Null()},
		{"factory without open", js.ValueOf(map[string]any{})},
	} {
		t.Run(f.name, func(t *testing.T) {
			_, err := Open(ctx, uniqueName(t), Options{Factory: f.v})
			if !errors.Is(err, mlsidb.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
		})
	}
	for _, name := range []string{"SecurityError", "InvalidStateError", "UnknownError"} {
		t.Run("factory whose open throws "+name, func(t *testing.T) {
			f := js.Global().Get("Object").New()
			f.Set("open", js.Global().Get("Function").New(`throw new DOMException("refused", "`+name+`")`))
			_, err := Open(ctx, uniqueName(t), Options{Factory: f})
			if !errors.Is(err, mlsidb.ErrUnavailable) || !strings.Contains(err.Error(), name) {
				t.Fatalf("err = %v, want ErrUnavailable naming %s", err, name)
			}
			if errors.Is(err, mlsidb.ErrClosed) {
				t.Fatalf("err = %v wraps ErrClosed too", err)
			}
		})
	}
	t.Run("explicit factory", func(t *testing.T) {
		b, err := Open(ctx, uniqueName(t), Options{Factory: js.Global().Get("indexedDB")})
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
	})
}

// TestVersionChangeClosesBackend opens the database from another
// connection with a newer version: the backend must close so the other
// open goes on, and answer later calls with ErrClosed.
func TestVersionChangeClosesBackend(t *testing.T) {
	name := uniqueName(t)
	b := openNamed(t, name, Options{})
	ctx := testCtx(t)
	if err := b.Apply(ctx, []mlsidb.Op{put([]byte("k"), []byte("v"))}); err != nil {
		t.Fatal(err)
	}
	octx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	other, err := rawOpen(octx, name, SchemaVersion+1, nil)
	if err != nil {
		t.Fatalf("the other connection's open: %v (the backend did not close)", err)
	}
	if got := other.Get("version").Int(); got != SchemaVersion+1 {
		t.Fatalf("other connection at version %d", got)
	}
	other.Call("close")
	checkClosed(t, b)
	if err := b.Err(); !errors.Is(err, mlsidb.ErrClosed) || !strings.Contains(err.Error(), "upgrade") {
		t.Fatalf("Err() = %v, want ErrClosed saying another connection upgraded", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close after versionchange: %v", err)
	}
	// The database is now newer than this code.
	if _, err := Open(ctx, name, Options{}); !errors.Is(err, mlsidb.ErrVersionMismatch) {
		t.Fatalf("reopen: err = %v, want ErrVersionMismatch", err)
	}
}

func TestDeleteDatabaseClosesBackend(t *testing.T) {
	name := uniqueName(t)
	b := openNamed(t, name, Options{})
	ctx, cancel := context.WithTimeout(testCtx(t), 5*time.Second)
	defer cancel()
	if _, err := jsbridge.AwaitRequest(ctx, js.Global().Get("indexedDB").Call("deleteDatabase", name)); err != nil {
		t.Fatalf("deleteDatabase: %v", err)
	}
	checkClosed(t, b)
}

// TestBlockedOpen holds a connection at version 1 that ignores
// versionchange, and asks for the upgrade to version 2.
func TestBlockedOpen(t *testing.T) {
	name := uniqueName(t)
	ctx := testCtx(t)
	_, _ = openWith(ctx, name, Options{}, schema[:1]) // makes version 1
	holder, err := rawOpen(ctx, name, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	ignore := js.FuncOf(func(js.Value, []js.Value) any { return nil })
	defer ignore.Release()
	holder.Set("onversionchange", ignore)

	t.Run("timeout", func(t *testing.T) {
		const timeout = 300 * time.Millisecond
		start := time.Now()
		_, err := Open(ctx, name, Options{BlockedTimeout: timeout})
		d := time.Since(start)
		if !errors.Is(err, mlsidb.ErrBlocked) {
			t.Fatalf("err = %v, want ErrBlocked", err)
		}
		if d < timeout || d > timeout+3*time.Second {
			t.Fatalf("gave up after %v, want about %v", d, timeout)
		}
	})
	t.Run("context ends first", func(t *testing.T) {
		cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		_, err := Open(cctx, name, Options{BlockedTimeout: time.Minute})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want DeadlineExceeded", err)
		}
	})
	// Once the holder closes, the abandoned opens go through without
	// harm, and a new open upgrades the database.
	holder.Call("close")
	b := openNamed(t, name, Options{})
	if _, err := b.Scan(ctx, mlsidb.MetaStore, mlsidb.KeyRange{}, false, 0); err != nil {
		t.Fatalf("meta store after the upgrade: %v", err)
	}
	names, version := rawStoreNames(t, name)
	if version != SchemaVersion || len(names) != len(mlsidb.StoreNames()) {
		t.Fatalf("version %d, %d stores", version, len(names))
	}
}

// TestAbandonedOpensLeaveNoConnection gives up on many opens at random
// points (a context that ends within a few milliseconds): none may leave a
// connection open, which would block another connection's upgrade.
func TestAbandonedOpensLeaveNoConnection(t *testing.T) {
	name := uniqueName(t)
	var opened, abandoned int
	for i := 0; i < 40; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%8)*500*time.Microsecond)
		b, err := Open(ctx, name, Options{})
		cancel()
		switch {
		case err == nil:
			opened++
			b.Close()
		case errors.Is(err, context.DeadlineExceeded):
			abandoned++
		default:
			t.Fatalf("Open: %v", err)
		}
	}
	t.Logf("%d opens succeeded, %d were abandoned", opened, abandoned)
	if abandoned == 0 {
		t.Fatal("no open was abandoned: the test checks nothing")
	}
	time.Sleep(100 * time.Millisecond) // let abandoned requests settle
	ctx, cancel := context.WithTimeout(testCtx(t), 5*time.Second)
	defer cancel()
	other, err := rawOpen(ctx, name, SchemaVersion+1, nil)
	if err != nil {
		t.Fatalf("another connection's upgrade: %v (a connection was left open)", err)
	}
	other.Call("close")
}

// TestCreated checks Created across the lives of one database: made by
// the first open, found by the next, upgraded from schema 1 (found, not
// made), and made again after it was deleted (what an app sees after the
// browser discarded its data).
func TestCreated(t *testing.T) {
	name := uniqueName(t)
	// A schema-1 database: the upgrade path cut short makes it, and the
	// backend refuses it as incomplete.
	schema1 := uniqueName(t)
	if _, err := openWith(testCtx(t), schema1, Options{}, schema[:1]); !errors.Is(err, mlsidb.ErrVersionMismatch) {
		t.Fatalf("making a schema-1 database: err = %v, want ErrVersionMismatch", err)
	}
	deleteDB := func(t *testing.T) {
		if _, err := jsbridge.AwaitRequest(testCtx(t), js.Global().Get("indexedDB").Call("deleteDatabase", name)); err != nil {
			t.Fatalf("deleteDatabase: %v", err)
		}
	}
	for _, c := range []struct {
		step   string
		name   string
		before func(t *testing.T)
		want   bool
	}{
		{"first open", name, nil, true},
		{"reopen", name, nil, false},
		{"upgrade of a schema-1 database", schema1, nil, false},
		{"open after deleteDatabase", name, deleteDB, true},
		{"reopen after that", name, nil, false},
	} {
		t.Run(c.step, func(t *testing.T) {
			if c.before != nil {
				c.before(t)
			}
			b, err := Open(testCtx(t), c.name, Options{Executor: testExecutor()})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer b.Close()
			if got := b.Created(); got != c.want {
				t.Fatalf("Created() = %v, want %v", got, c.want)
			}
		})
	}
}
