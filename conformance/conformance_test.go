package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/memstore"
)

// The suite must be able to fail: each backend below breaks one rule, and
// the suite must report it under that rule.

// broken wraps a memstore and overrides what it breaks.
type broken struct {
	*memstore.Backend
	get       func(b *broken, ctx context.Context, store string, key []byte) ([]byte, error)
	scan      func(b *broken, ctx context.Context, store string, r mlsidb.KeyRange, reverse bool, limit int) ([]mlsidb.Record, error)
	apply     func(b *broken, ctx context.Context, ops []mlsidb.Op) error
	lock      func(b *broken, ctx context.Context) (func(), error)
	lockGroup func(b *broken, ctx context.Context, groupID []byte) (func(), error)
	notify    func(b *broken, receive func(mlsidb.Change)) (func(mlsidb.Change), func())
}

func (b *broken) Lock(ctx context.Context) (func(), error) {
	if b.lock != nil {
		return b.lock(b, ctx)
	}
	return b.Backend.Lock(ctx)
}

func (b *broken) LockGroup(ctx context.Context, groupID []byte) (func(), error) {
	if b.lockGroup != nil {
		return b.lockGroup(b, ctx, groupID)
	}
	return b.Backend.LockGroup(ctx, groupID)
}

func (b *broken) Notify(receive func(mlsidb.Change)) (func(mlsidb.Change), func()) {
	if b.notify != nil {
		return b.notify(b, receive)
	}
	return b.Backend.Notify(receive)
}

func (b *broken) Get(ctx context.Context, store string, key []byte) ([]byte, error) {
	if b.get != nil {
		return b.get(b, ctx, store, key)
	}
	return b.Backend.Get(ctx, store, key)
}

func (b *broken) Scan(ctx context.Context, store string, r mlsidb.KeyRange, reverse bool, limit int) ([]mlsidb.Record, error) {
	if b.scan != nil {
		return b.scan(b, ctx, store, r, reverse, limit)
	}
	return b.Backend.Scan(ctx, store, r, reverse, limit)
}

func (b *broken) Apply(ctx context.Context, ops []mlsidb.Op) error {
	if b.apply != nil {
		return b.apply(b, ctx, ops)
	}
	return b.Backend.Apply(ctx, ops)
}

// mapKeys rewrites the keys of every op (and the ranges) with f.
func mapKeys(ops []mlsidb.Op, f func(store string, k []byte) []byte) []mlsidb.Op {
	out := make([]mlsidb.Op, len(ops))
	for i, op := range ops {
		op.Key = f(op.Store, op.Key)
		if op.Range.Start != nil {
			op.Range.Start = f(op.Store, op.Range.Start)
		}
		if op.Range.End != nil {
			op.Range.End = f(op.Store, op.Range.End)
		}
		out[i] = op
	}
	return out
}

// persistent is a memstore that survives Close: reopen returns a new
// handle on the same records.
type persistent struct {
	*memstore.Backend
	closed atomic.Bool
}

var errTestClosed = errors.New("conformance test: backend handle closed")

func (p *persistent) Get(ctx context.Context, store string, key []byte) ([]byte, error) {
	if p.closed.Load() {
		return nil, errTestClosed
	}
	return p.Backend.Get(ctx, store, key)
}

func (p *persistent) Scan(ctx context.Context, store string, r mlsidb.KeyRange, reverse bool, limit int) ([]mlsidb.Record, error) {
	if p.closed.Load() {
		return nil, errTestClosed
	}
	return p.Backend.Scan(ctx, store, r, reverse, limit)
}

func (p *persistent) Apply(ctx context.Context, ops []mlsidb.Op) error {
	if p.closed.Load() {
		return errTestClosed
	}
	return p.Backend.Apply(ctx, ops)
}

func (p *persistent) Close() error { p.closed.Store(true); return nil }

func persistentConfig() config {
	return config{
		newBackend: func(reporter) mlsidb.Backend { return &persistent{Backend: memstore.New()} },
		share: func(_ reporter, b mlsidb.Backend) mlsidb.Backend {
			return &persistent{Backend: b.(*persistent).Backend.Share()}
		},
		reopen: func(r reporter, b mlsidb.Backend) mlsidb.Backend {
			old := b.(*persistent)
			if !old.closed.Load() {
				r.Errorf("Reopen called on a backend the suite did not close")
			}
			return &persistent{Backend: old.Backend}
		},
	}
}

// brokenConfig returns a config whose backends are memstores with the
// given overrides.
func brokenConfig(setup func(b *broken)) config {
	return config{
		newBackend: func(reporter) mlsidb.Backend {
			b := &broken{Backend: memstore.New()}
			setup(b)
			return b
		},
		share: func(_ reporter, b mlsidb.Backend) mlsidb.Backend {
			second := *b.(*broken)
			second.Backend = second.Backend.Share()
			return &second
		},
	}
}

// noLock is a writer or group lock that locks nothing.
func noLock() (func(), error) { return func() {}, nil }

var errMidway = errors.New("conformance test: failing midway")

type brokenCase struct {
	name  string
	what  string
	cfg   config
	rules []string // each must hold at least one failed subtest
}

func brokenBackends() []brokenCase {
	return []brokenCase{
		{
			name: "leaks-proposals-on-clear",
			what: "ignores range deletes in proposal_queue",
			cfg: brokenConfig(func(b *broken) {
				b.apply = func(b *broken, ctx context.Context, ops []mlsidb.Op) error {
					ops = slices.DeleteFunc(slices.Clone(ops), func(op mlsidb.Op) bool {
						return op.Kind == mlsidb.OpDeleteRange && op.Store == "proposal_queue"
					})
					return b.Backend.Apply(ctx, ops)
				}
			}),
			rules: []string{"no-leftovers/proposal_queue/clear", "no-leftovers/proposal_queue/delete-group", "delete-group/all-method-groups", "openmls/merge-commit", "openmls/delete-group"},
		},
		{
			name: "reverses-scans",
			what: "returns scanned records in reverse order",
			cfg: brokenConfig(func(b *broken) {
				b.scan = func(b *broken, ctx context.Context, store string, r mlsidb.KeyRange, reverse bool, limit int) ([]mlsidb.Record, error) {
					recs, err := b.Backend.Scan(ctx, store, r, reverse, limit)
					slices.Reverse(recs)
					return recs, err
				}
			}),
			rules: []string{"lists/own_leaf_nodes/order-and-duplicates", "backend/scan", "openmls/self-update"},
		},
		{
			name: "get-matches-prefix",
			what: "answers a Get of a missing key with a record the key is a prefix of",
			cfg: brokenConfig(func(b *broken) {
				b.get = func(b *broken, ctx context.Context, store string, key []byte) ([]byte, error) {
					v, err := b.Backend.Get(ctx, store, key)
					if !errors.Is(err, mlsidb.ErrNotFound) {
						return v, err
					}
					recs, err2 := b.Backend.Scan(ctx, store, mlsidb.PrefixRange(key), false, 1)
					if err2 != nil || len(recs) == 0 {
						return v, err
					}
					return recs[0].Value, nil
				}
			}),
			rules: []string{"isolation/prefix-keys/signature_key_pair", "isolation/prefix-keys/psk"},
		},
		{
			name: "truncates-keys",
			what: "keeps only the first 12 bytes of every key",
			cfg: brokenConfig(func(b *broken) {
				trunc := func(_ string, k []byte) []byte { return k[:min(len(k), 12)] }
				b.get = func(b *broken, ctx context.Context, store string, key []byte) ([]byte, error) {
					return b.Backend.Get(ctx, store, trunc(store, key))
				}
				b.apply = func(b *broken, ctx context.Context, ops []mlsidb.Op) error {
					return b.Backend.Apply(ctx, mapKeys(ops, trunc))
				}
			}),
			rules: []string{"isolation/groups/tree", "isolation/groups/key_package", "openmls/create-load"},
		},
		{
			name: "batch-not-atomic",
			what: "applies the first op of a batch of more than 4 ops, then fails",
			cfg: brokenConfig(func(b *broken) {
				b.apply = func(b *broken, ctx context.Context, ops []mlsidb.Op) error {
					if len(ops) > 4 {
						if err := b.Backend.Apply(ctx, ops[:1]); err != nil {
							return err
						}
						return errMidway
					}
					return b.Backend.Apply(ctx, ops)
				}
			}),
			rules: []string{"atomic/backend-batch", "atomic/update", "atomic/delete-group", "update/commit"},
		},
		{
			name: "empty-value-as-missing",
			what: "treats a record whose value is just the version tag as missing",
			cfg: brokenConfig(func(b *broken) {
				b.get = func(b *broken, ctx context.Context, store string, key []byte) ([]byte, error) {
					v, err := b.Backend.Get(ctx, store, key)
					if err == nil && len(v) <= 2 && store != mlsidb.MetaStore {
						return nil, mlsidb.ErrNotFound
					}
					return v, err
				}
			}),
			rules: []string{"empty-value/tree", "empty-value/psk", "empty-value/key_package"},
		},
		{
			name: "drops-writes-during-reads",
			what: "acknowledges a write that races with a read without storing it",
			cfg: brokenConfig(func(b *broken) {
				var reading atomic.Int32
				b.scan = func(b *broken, ctx context.Context, store string, r mlsidb.KeyRange, reverse bool, limit int) ([]mlsidb.Record, error) {
					reading.Add(1)
					defer reading.Add(-1)
					runtime.Gosched()
					return b.Backend.Scan(ctx, store, r, reverse, limit)
				}
				b.apply = func(b *broken, ctx context.Context, ops []mlsidb.Op) error {
					if reading.Load() > 0 {
						return nil
					}
					return b.Backend.Apply(ctx, ops)
				}
			}),
			rules: []string{"concurrency/own_leaf_nodes+proposal_queue"},
		},
		{
			name: "ignores-version",
			what: "stores every key under version 1, whatever its version prefix",
			cfg: brokenConfig(func(b *broken) {
				strip := func(store string, k []byte) []byte {
					if store == mlsidb.MetaStore || len(k) < 2 {
						return k
					}
					return append(mlsidb.VersionPrefix(1), k[2:]...)
				}
				b.get = func(b *broken, ctx context.Context, store string, key []byte) ([]byte, error) {
					return b.Backend.Get(ctx, store, strip(store, key))
				}
				b.scan = func(b *broken, ctx context.Context, store string, r mlsidb.KeyRange, reverse bool, limit int) ([]mlsidb.Record, error) {
					if r.Start != nil {
						r.Start = strip(store, r.Start)
					}
					if r.End != nil {
						r.End = strip(store, r.End)
					}
					return b.Backend.Scan(ctx, store, r, reverse, limit)
				}
				b.apply = func(b *broken, ctx context.Context, ops []mlsidb.Op) error {
					return b.Backend.Apply(ctx, mapKeys(ops, strip))
				}
			}),
			rules: []string{"version/tree/other-version-invisible", "version/proposal_queue/other-version-invisible", "version/psk/other-version-invisible"},
		},
		{
			name: "does-not-persist",
			what: "comes back empty after a reopen",
			cfg: config{
				newBackend: func(reporter) mlsidb.Backend { return memstore.New() },
				reopen:     func(reporter, mlsidb.Backend) mlsidb.Backend { return memstore.New() },
			},
			rules: []string{"persistence"},
		},
		{
			name: "hands-out-its-own-slices",
			what: "returns the same slice for every Get of a key",
			cfg: brokenConfig(func(b *broken) {
				var mu sync.Mutex
				cache := map[string][]byte{}
				b.get = func(b *broken, ctx context.Context, store string, key []byte) ([]byte, error) {
					mu.Lock()
					defer mu.Unlock()
					if v, ok := cache[store+"\x00"+string(key)]; ok {
						return v, nil
					}
					v, err := b.Backend.Get(ctx, store, key)
					if err == nil {
						cache[store+"\x00"+string(key)] = v
					}
					return v, err
				}
				b.apply = func(b *broken, ctx context.Context, ops []mlsidb.Op) error {
					mu.Lock()
					clear(cache)
					mu.Unlock()
					return b.Backend.Apply(ctx, ops)
				}
			}),
			rules: []string{"round-trip/tree", "round-trip/key_package", "backend/owned-values"},
		},
		{
			name: "range-delete-ignores-end",
			what: "deletes from a range's start to the end of the store",
			cfg: brokenConfig(func(b *broken) {
				b.apply = func(b *broken, ctx context.Context, ops []mlsidb.Op) error {
					return b.Backend.Apply(ctx, slices.Collect(func(yield func(mlsidb.Op) bool) {
						for _, op := range ops {
							op.Range.End = nil
							if !yield(op) {
								return
							}
						}
					}))
				}
			}),
			rules: []string{"isolation/groups/own_leaf_nodes/delete", "isolation/groups/proposal_queue/clear", "isolation/prefix-keys/encryption_epoch_key_pairs", "backend/scan"},
		},
		{
			name: "scan-ignores-end",
			what: "scans from a range's start to the end of the store",
			cfg: brokenConfig(func(b *broken) {
				b.scan = func(b *broken, ctx context.Context, store string, r mlsidb.KeyRange, reverse bool, limit int) ([]mlsidb.Record, error) {
					r.End = nil
					return b.Backend.Scan(ctx, store, r, reverse, limit)
				}
			}),
			rules: []string{"isolation/groups/own_leaf_nodes", "isolation/prefix-keys/proposal_queue", "backend/scan"},
		},
		{
			name: "errors-contain-keys",
			what: "puts the key into its not-found errors",
			cfg: brokenConfig(func(b *broken) {
				b.get = func(b *broken, ctx context.Context, store string, key []byte) ([]byte, error) {
					v, err := b.Backend.Get(ctx, store, key)
					if errors.Is(err, mlsidb.ErrNotFound) {
						return nil, fmt.Errorf("%w: key %q", mlsidb.ErrNotFound, key)
					}
					return v, err
				}
			}),
			rules: []string{"missing/tree", "missing/psk"},
		},
		{
			name: "one-keyspace-for-all-stores",
			what: "ignores store names",
			cfg: brokenConfig(func(b *broken) {
				const shared = "tree"
				b.get = func(b *broken, ctx context.Context, store string, key []byte) ([]byte, error) {
					if store == mlsidb.MetaStore {
						return b.Backend.Get(ctx, store, key)
					}
					return b.Backend.Get(ctx, shared, key)
				}
				b.scan = func(b *broken, ctx context.Context, store string, r mlsidb.KeyRange, reverse bool, limit int) ([]mlsidb.Record, error) {
					return b.Backend.Scan(ctx, shared, r, reverse, limit)
				}
				b.apply = func(b *broken, ctx context.Context, ops []mlsidb.Op) error {
					ops = slices.Clone(ops)
					for i := range ops {
						if ops[i].Store != mlsidb.MetaStore {
							ops[i].Store = shared
						}
					}
					return b.Backend.Apply(ctx, ops)
				}
			}),
			rules: []string{"isolation/method-groups/tree", "isolation/method-groups/group_context", "backend/every-store"},
		},
		{
			name: "writer-lock-not-shared",
			what: "does not serialize the writers of two connections",
			cfg: brokenConfig(func(b *broken) {
				b.lock = func(*broken, context.Context) (func(), error) { return noLock() }
			}),
			rules: []string{"shared/read-modify-write"},
		},
		{
			name: "group-lock-not-shared",
			what: "does not lock a group across connections",
			cfg: brokenConfig(func(b *broken) {
				b.lockGroup = func(*broken, context.Context, []byte) (func(), error) { return noLock() }
			}),
			rules: []string{"group-lock/shared"},
		},
		{
			name: "drops-changes",
			what: "publishes no changes to other connections",
			cfg: brokenConfig(func(b *broken) {
				b.notify = func(*broken, func(mlsidb.Change)) (func(mlsidb.Change), func()) {
					return func(mlsidb.Change) {}, func() {}
				}
			}),
			rules: []string{"shared/changes"},
		},
	}
}

func TestSuiteCatchesBrokenBackends(t *testing.T) {
	for _, tc := range brokenBackends() {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder()
			run(rec, tc.cfg)
			if !rec.Failed() {
				t.Fatalf("the suite passed a backend that %s", tc.what)
			}
			for _, rule := range tc.rules {
				if !rec.log.failedUnder(rule) {
					t.Errorf("the suite did not report the backend that %s under %s; it reported:\n%s", tc.what, rule, rec.log.summary(15))
				}
			}
			t.Logf("%d failures reported in %d subtests, under %v", len(rec.log.failures), rec.log.subtests, rec.log.families())
		})
	}
}

// A correct backend passes everything: memstore without persistence (only
// the persistence rule is skipped), and a memstore that survives a reopen
// (nothing is skipped).
func TestSuitePassesCorrectBackends(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  config
		skip []string
	}{
		{"memstore", config{
			newBackend: func(reporter) mlsidb.Backend { return memstore.New() },
			share:      func(_ reporter, b mlsidb.Backend) mlsidb.Backend { return b.(*memstore.Backend).Share() },
		}, []string{"persistence: backend does not persist (Options.Reopen is nil)"}},
		{"persistent-memstore", persistentConfig(), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder()
			run(rec, tc.cfg)
			if rec.Failed() {
				t.Errorf("the suite failed a correct backend:\n%s", rec.log.summary(20))
			}
			if !slices.Equal(rec.log.skipped, tc.skip) {
				t.Errorf("skipped %q, want %q", rec.log.skipped, tc.skip)
			}
			if rec.log.subtests < 500 {
				t.Errorf("only %d subtests ran", rec.log.subtests)
			}
		})
	}
}

// The table covers every method group and every method of the catalogue,
// and every method group has a distinct store.
func TestTableMatchesCatalogue(t *testing.T) {
	cases, err := buildCases()
	if err != nil {
		t.Fatal(err)
	}
	methods := 0
	for _, c := range cases {
		methods += len(c.methods)
		if len(c.dels) == 0 {
			t.Errorf("%s has no deleter", c.name)
		}
	}
	if len(cases) != 18 || methods != 56 {
		t.Errorf("the table has %d method groups and %d methods, want 18 and 56", len(cases), methods)
	}
}

// noBytes spots key and value bytes in error texts in the forms an error
// would print them.
func TestNoBytes(t *testing.T) {
	secret := []byte("KEY-SECRET-xyz")
	for _, tc := range []struct {
		msg  string
		leak bool
	}{
		{"mlsidb: Tree (tree): not found", false},
		{"bad key KEY-SECRET-xyz", true},
		{"bad key 4b45592d5345435245542d78797a", true},
		{"bad key 4B45592D5345435245542D78797A", true},
		{"bad key [75 69 89 45 83 69 67 82 69 84]", true},
		{"bad key 75 69 89", false},
	} {
		rec := newRecorder()
		rec.Run("x", func(r reporter) { noBytes(r, errors.New(tc.msg), "test", secret) })
		if rec.Failed() != tc.leak {
			t.Errorf("noBytes(%q) reported a leak: %v, want %v", tc.msg, rec.Failed(), tc.leak)
		}
	}
	if !bytes.Equal(retag([]byte{0, 1, 9}, 2), []byte{0, 2, 9}) {
		t.Errorf("retag does not replace the version prefix")
	}
}
