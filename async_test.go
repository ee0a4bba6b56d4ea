package mlsidb_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/conformance"
	"github.com/mlsidb/mlsidb/memstore"
)

// fakeAsync is an AsyncBackend over memstore: it does the work when the
// read or batch is started (as IndexedDB issues requests at once) and
// reports it at once or from a goroutine.
type fakeAsync struct {
	mem     *memstore.Backend // not embedded: only the Backend methods, no Locker
	later   bool              // report from a goroutine
	reads   atomic.Int64
	applies atomic.Int64
	failGet error // when set, reads fail with it
}

func (f *fakeAsync) Get(ctx context.Context, store string, key []byte) ([]byte, error) {
	return f.mem.Get(ctx, store, key)
}

func (f *fakeAsync) Scan(ctx context.Context, store string, r mlsidb.KeyRange, reverse bool, limit int) ([]mlsidb.Record, error) {
	return f.mem.Scan(ctx, store, r, reverse, limit)
}

func (f *fakeAsync) Apply(ctx context.Context, ops []mlsidb.Op) error { return f.mem.Apply(ctx, ops) }
func (f *fakeAsync) Close() error                                     { return f.mem.Close() }
func (f *fakeAsync) ReadBatch(ctx context.Context, reads []mlsidb.Read) ([]mlsidb.ReadResult, error) {
	return f.mem.ReadBatch(ctx, reads)
}

// lockingAsync is fakeAsync with a writer lock (mlsidb.Locker and
// AsyncLocker), as idbstore's Web Lock: a grant comes later when the lock
// is held, in request order.
type lockingAsync struct {
	*fakeAsync
	mu      sync.Mutex
	held    bool
	waiting []func()
	grants  atomic.Int64
}

func (l *lockingAsync) Lock(ctx context.Context) (func(), error) {
	ch := make(chan func(), 1)
	l.LockAsync(func(unlock func(), err error) { ch <- unlock })
	select {
	case unlock := <-ch:
		return unlock, nil
	case <-ctx.Done():
		go func() { (<-ch)() }()
		return nil, ctx.Err()
	}
}

func (l *lockingAsync) LockAsync(done func(unlock func(), err error)) {
	var once sync.Once
	grant := func() {
		l.grants.Add(1)
		done(func() { once.Do(l.unlock) }, nil)
	}
	l.mu.Lock()
	if l.held {
		l.waiting = append(l.waiting, grant)
		l.mu.Unlock()
		return
	}
	l.held = true
	l.mu.Unlock()
	l.report(grant)
}

func (l *lockingAsync) unlock() {
	l.mu.Lock()
	if len(l.waiting) == 0 {
		l.held = false
		l.mu.Unlock()
		return
	}
	next := l.waiting[0]
	l.waiting = l.waiting[1:]
	l.mu.Unlock()
	go next()
}

func (l *lockingAsync) isHeld() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held
}

func newAsyncLocking(t *testing.T, later bool) (*mlsidb.Provider, *lockingAsync) {
	t.Helper()
	l := &lockingAsync{fakeAsync: &fakeAsync{mem: memstore.New(), later: later}}
	return providerOver(t, l), l
}

// Over a backend whose writer lock is taken asynchronously, writes and
// transactions wait for its grant without a goroutine, hold it until their
// batch is done, and release it; reads do not take it.
func TestAsyncBackendLock(t *testing.T) {
	for _, later := range []bool{false, true} {
		t.Run(fmt.Sprintf("later=%v", later), func(t *testing.T) {
			p, l := newAsyncLocking(t, later)
			g0 := l.grants.Load()
			r := async(p, func(ctx context.Context, s mlsidb.Store) (any, error) {
				return nil, s.AppendOwnLeafNode(ctx, []byte("g"), []byte("leaf"))
			})
			if r.err != nil || l.grants.Load() != g0+1 || l.isHeld() {
				t.Fatalf("append: %v, %d grants, held %v", r.err, l.grants.Load()-g0, l.isHeld())
			}
			if !later && r.returned {
				t.Error("a write over a lock granted at once ran on a goroutine")
			}
			r = async(p, func(ctx context.Context, s mlsidb.Store) (any, error) { return s.OwnLeafNodes(ctx, []byte("g")) })
			if r.err != nil || len(r.v.([][]byte)) != 1 || l.grants.Load() != g0+1 {
				t.Fatalf("read: %v, %d grants", r.err, l.grants.Load()-g0)
			}
			// A transaction holds the lock from its begin to the end of its commit.
			ch := make(chan *mlsidb.Tx, 1)
			p.BeginAsync(func(tx *mlsidb.Tx, err error) {
				if err != nil {
					t.Error(err)
				}
				ch <- tx
			})
			tx := <-ch
			if !l.isHeld() {
				t.Fatal("a transaction runs without the backend's lock")
			}
			must(t, tx.Store().WriteTree(context.Background(), []byte("g"), []byte("t")))
			other := startWaiting(t, p, "a write", func(ctx context.Context, s mlsidb.Store) error {
				return s.WriteContext(ctx, []byte("g"), []byte("c"))
			})
			done := make(chan error, 1)
			tx.CommitAsync(func(err error) { done <- err })
			must(t, <-done)
			must(t, <-other)
			if l.isHeld() {
				t.Error("the lock is still held")
			}
			lg, err := p.LoadGroup(context.Background(), []byte("g"))
			must(t, err)
			if string(lg.Tree) != "t" || string(lg.Context) != "c" {
				t.Fatalf("after both: tree %q, context %q", lg.Tree, lg.Context)
			}
		})
	}
}

// Appends from many goroutines through Async over the locking backend lose
// nothing.
func TestAsyncBackendLockConcurrent(t *testing.T) {
	p, l := newAsyncLocking(t, true)
	appendConcurrently(t, asyncStore{p}, 30, false)
	if l.isHeld() {
		t.Fatal("the lock is still held after the appends")
	}
}

func (f *fakeAsync) report(fn func()) {
	if f.later {
		go fn()
		return
	}
	fn()
}

func (f *fakeAsync) ReadAsync(reads []mlsidb.Read, done func([]mlsidb.ReadResult, error)) {
	f.reads.Add(1)
	res, err := f.ReadBatch(context.Background(), reads)
	if f.failGet != nil {
		res, err = nil, f.failGet
	}
	f.report(func() { done(res, err) })
}

func (f *fakeAsync) ApplyAsync(ops []mlsidb.Op, done func(error)) {
	f.applies.Add(1)
	err := f.Apply(context.Background(), ops)
	f.report(func() { done(err) })
}

func newAsync(t *testing.T, later bool) (*mlsidb.Provider, *fakeAsync) {
	t.Helper()
	f := &fakeAsync{mem: memstore.New(), later: later}
	return providerOver(t, f), f
}

// startWaiting starts write through p.Async while a transaction holds the
// writer lock, fails the test if it has finished by then, and returns the
// channel its error comes on once the lock is free. what names it in the
// failure.
func startWaiting(t *testing.T, p *mlsidb.Provider, what string, write func(ctx context.Context, s mlsidb.Store) error) <-chan error {
	t.Helper()
	ch := make(chan error, 1)
	p.Async(func(ctx context.Context, s mlsidb.Store) (any, error) {
		return nil, write(ctx, s)
	}, func(_ any, err error) { ch <- err })
	select {
	case err := <-ch:
		t.Fatalf("%s finished (%v) while the transaction held the lock", what, err)
	default:
	}
	return ch
}

// appendConcurrently appends n leaf nodes to group "g" through s from n
// goroutines, each also queuing a proposal when queue is set, waits for
// them, and checks that group "g" then has n leaf nodes (and n queued
// proposals).
func appendConcurrently(t *testing.T, s asyncStore, n int, queue bool) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := s.AppendOwnLeafNode(context.Background(), []byte("g"), []byte{byte(i)}); err != nil {
				t.Error(err)
			}
			if !queue {
				return
			}
			if err := s.QueueProposal(context.Background(), []byte("g"), []byte{'r', byte(i)}, []byte{byte(i)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	leaves, err := s.OwnLeafNodes(context.Background(), []byte("g"))
	must(t, err)
	if len(leaves) != n {
		t.Fatalf("%d leaf nodes, want %d", len(leaves), n)
	}
	if !queue {
		return
	}
	refs, err := s.QueuedProposalRefs(context.Background(), []byte("g"))
	must(t, err)
	if len(refs) != n {
		t.Fatalf("%d proposals, want %d", len(refs), n)
	}
}

// asyncResult is what done received, and whether Async had returned then.
type asyncResult struct {
	v        any
	err      error
	returned bool
}

// async runs call through p.Async and waits for done.
func async(p *mlsidb.Provider, call func(ctx context.Context, s mlsidb.Store) (any, error)) asyncResult {
	ch := make(chan asyncResult, 1)
	var returned atomic.Bool
	p.Async(call, func(v any, err error) { ch <- asyncResult{v, err, returned.Load()} })
	returned.Store(true)
	return <-ch
}

func get[T any](s asyncStore, f func(ctx context.Context, st mlsidb.Store) (T, error)) (T, error) {
	r := async(s.p, func(ctx context.Context, st mlsidb.Store) (any, error) { return f(ctx, st) })
	var zero T
	if r.err != nil {
		return zero, r.err
	}
	return r.v.(T), nil
}

func do(s asyncStore, f func(ctx context.Context, st mlsidb.Store) error) error {
	return async(s.p, func(ctx context.Context, st mlsidb.Store) (any, error) { return nil, f(ctx, st) }).err
}

func TestAsyncReplaysOpenMLS(t *testing.T) {
	for _, later := range []bool{false, true} {
		t.Run(fmt.Sprintf("later=%v", later), func(t *testing.T) {
			p, f := newAsync(t, later)
			s := asyncStore{p}
			ctx := context.Background()
			g := conformance.NewGroup(conformance.GroupID(1), 1)
			must(t, conformance.CreateGroup(ctx, s, g))
			for _, x := range []string{"1", "2"} {
				q := mlsidb.QueuedProposal{Ref: []byte("ref-" + x), Proposal: []byte("proposal " + x)}
				must(t, conformance.SelfUpdate(ctx, s, g, []byte("enc-"+x), []byte("pair-"+x), []byte("leaf-"+x), q))
			}
			checkLoad(t, s, g, "after two self updates")
			next := g.Next()
			must(t, conformance.MergeCommit(ctx, s, g, next, []byte("enc-1")))
			checkLoad(t, s, next, "after the merge")
			if v, err := s.EncryptionEpochKeyPairs(ctx, g.ID, conformance.EpochKey(next.Epoch), next.LeafIndex); err != nil || len(v) != 1 {
				t.Fatalf("the new epoch's key pairs: %d, %v", len(v), err)
			}
			must(t, conformance.DeleteGroupLikeOpenMLS(ctx, s, next))
			checkLoad(t, s, conformance.Empty(g.ID), "after deleting the group")
			if f.reads.Load() == 0 || f.applies.Load() == 0 {
				t.Fatalf("the backend's async methods were not used: %d reads, %d batches", f.reads.Load(), f.applies.Load())
			}
		})
	}
}

func checkLoad(t *testing.T, s asyncStore, want *conformance.Group, what string) {
	t.Helper()
	got, err := conformance.LoadGroup(context.Background(), s, want.ID)
	must(t, err)
	if d := conformance.Diff(got, want); len(d) > 0 {
		t.Fatalf("%s: the 13 reads differ in %v", what, d)
	}
	l, err := get(s, func(ctx context.Context, st mlsidb.Store) (*mlsidb.LoadedGroup, error) {
		return st.LoadGroup(ctx, want.ID)
	})
	must(t, err)
	if d := conformance.Diff(conformance.FromLoaded(want.ID, l), want); len(d) > 0 {
		t.Fatalf("%s: LoadGroup differs in %v", what, d)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Over a backend that reports at once, calls complete before Async
// returns: no goroutine, one backend read or batch (or both) per call.
func TestAsyncRunsWithoutGoroutine(t *testing.T) {
	p, f := newAsync(t, false)
	ctx := context.Background()
	g := []byte("g")
	tests := []struct {
		name           string
		call           func(ctx context.Context, s mlsidb.Store) (any, error)
		reads, applies int64
	}{
		{"write", func(ctx context.Context, s mlsidb.Store) (any, error) { return nil, s.WriteTree(ctx, g, []byte("t")) }, 0, 1},
		{"read", func(ctx context.Context, s mlsidb.Store) (any, error) { return s.Tree(ctx, g) }, 1, 0},
		{"append", func(ctx context.Context, s mlsidb.Store) (any, error) {
			return nil, s.AppendOwnLeafNode(ctx, g, []byte("l"))
		}, 1, 1},
		{"queue", func(ctx context.Context, s mlsidb.Store) (any, error) {
			return nil, s.QueueProposal(ctx, g, []byte("r"), []byte("p"))
		}, 1, 1},
		{"load group", func(ctx context.Context, s mlsidb.Store) (any, error) { return s.LoadGroup(ctx, g) }, 1, 0},
		{"delete group", func(ctx context.Context, s mlsidb.Store) (any, error) { return nil, s.DeleteGroup(ctx, g) }, 0, 1},
		{"missing", func(ctx context.Context, s mlsidb.Store) (any, error) { return s.Psk(ctx, []byte("none")) }, 1, 0},
	}
	for _, tt := range tests {
		r0, a0 := f.reads.Load(), f.applies.Load()
		r := async(p, tt.call)
		if tt.name == "missing" {
			if !errors.Is(r.err, mlsidb.ErrNotFound) {
				t.Errorf("%s: err = %v, want ErrNotFound", tt.name, r.err)
			}
		} else if r.err != nil {
			t.Errorf("%s: %v", tt.name, r.err)
		}
		if r.returned {
			t.Errorf("%s: done ran after Async returned (on a goroutine)", tt.name)
		}
		if dr, da := f.reads.Load()-r0, f.applies.Load()-a0; dr != tt.reads || da != tt.applies {
			t.Errorf("%s: %d reads and %d batches, want %d and %d", tt.name, dr, da, tt.reads, tt.applies)
		}
	}
	if v, err := p.OwnLeafNodes(ctx, g); err != nil || len(v) != 0 {
		t.Errorf("after DeleteGroup: %d leaf nodes, %v", len(v), err)
	}
}

// A call that finds the write lock held waits for it, on a goroutine.
func TestAsyncWaitsForTheLock(t *testing.T) {
	p, _ := newAsync(t, false)
	tx, ok, err := p.TryBegin()
	if err != nil || !ok {
		t.Fatalf("TryBegin: %v, %v", ok, err)
	}
	if _, ok, _ := p.TryBegin(); ok {
		t.Fatal("a second TryBegin began while the first transaction runs")
	}
	ch := startWaiting(t, p, "the call", func(ctx context.Context, s mlsidb.Store) error {
		return s.AppendOwnLeafNode(ctx, []byte("g"), []byte("outside"))
	})
	must(t, tx.Store().AppendOwnLeafNode(context.Background(), []byte("g"), []byte("inside")))
	tx.Rollback()
	must(t, <-ch)
	v, err := p.OwnLeafNodes(context.Background(), []byte("g"))
	if err != nil || len(v) != 1 || string(v[0]) != "outside" {
		t.Fatalf("leaf nodes = %q, %v; want only the one written outside", v, err)
	}
}

// Concurrent read-modify-writes through Async lose nothing.
func TestAsyncConcurrentAppends(t *testing.T) {
	p, _ := newAsync(t, true)
	appendConcurrently(t, asyncStore{p}, 40, true)
}

// A call that reads after it wrote runs the ordinary way and sees its
// write; so does a call that writes the backend twice.
func TestAsyncFallbacks(t *testing.T) {
	p, f := newAsync(t, false)
	r0, a0 := f.reads.Load(), f.applies.Load()
	r := async(p, func(ctx context.Context, s mlsidb.Store) (any, error) {
		if err := s.WriteTree(ctx, []byte("g"), []byte("t1")); err != nil {
			return nil, err
		}
		return s.Tree(ctx, []byte("g"))
	})
	if r.err != nil || string(r.v.([]byte)) != "t1" {
		t.Fatalf("write then read: %q, %v", r.v, r.err)
	}
	// It ran the ordinary way: no asynchronous read or batch. (Not checked
	// by whether Async returned first: the goroutine may finish before.)
	if dr, da := f.reads.Load()-r0, f.applies.Load()-a0; dr != 0 || da != 0 {
		t.Errorf("write then read: %d asynchronous reads and %d batches, want none", dr, da)
	}
	a0 = f.applies.Load()
	r = async(p, func(ctx context.Context, s mlsidb.Store) (any, error) {
		return nil, errors.Join(s.WriteTree(ctx, []byte("g"), []byte("t2")), s.WriteContext(ctx, []byte("g"), []byte("c2")))
	})
	if r.err != nil || f.applies.Load() != a0 {
		t.Fatalf("two writes: %v, %d async batches (want none: they run the ordinary way)", r.err, f.applies.Load()-a0)
	}
	for _, m := range []func(context.Context, []byte) ([]byte, error){p.Tree, p.GroupContext} {
		if _, err := m(context.Background(), []byte("g")); err != nil {
			t.Fatal(err)
		}
	}
}

// Errors: a failed backend read is named after the call; a panic becomes
// an error; a backend without AsyncBackend still works.
func TestAsyncErrors(t *testing.T) {
	p, f := newAsync(t, false)
	f.failGet = mlsidb.ErrUnavailable
	r := async(p, func(ctx context.Context, s mlsidb.Store) (any, error) { return s.Tree(ctx, []byte("g")) })
	var e *mlsidb.Error
	if !errors.As(r.err, &e) || e.Op != "Tree" || !errors.Is(r.err, mlsidb.ErrUnavailable) {
		t.Errorf("failed read: %v", r.err)
	}
	r = async(p, func(ctx context.Context, s mlsidb.Store) (any, error) { panic("boom") })
	if r.err == nil {
		t.Error("a panicking call succeeded")
	}
	r = async(p, func(ctx context.Context, s mlsidb.Store) (any, error) { return nil, s.WriteTree(ctx, nil, nil) })
	if !errors.Is(r.err, mlsidb.ErrInvalidArgument) {
		t.Errorf("bad input: %v", r.err)
	}

	plain, err := mlsidb.New(context.Background(), memstore.New(), mlsidb.Options{})
	must(t, err)
	defer plain.Close()
	s := asyncStore{plain}
	must(t, s.WriteTree(context.Background(), []byte("g"), []byte("t")))
	if v, err := s.Tree(context.Background(), []byte("g")); err != nil || string(v) != "t" {
		t.Fatalf("over memstore: %q, %v", v, err)
	}
	must(t, plain.Close())
	if err := s.WriteTree(context.Background(), []byte("g"), []byte("t")); !errors.Is(err, mlsidb.ErrClosed) {
		t.Fatalf("closed: %v", err)
	}
}

// Transactions begun with TryBegin: calls on the view complete at once
// (they only buffer), reads see the buffer, CommitAsync writes one batch,
// nested transactions commit into their parent, Rollback writes nothing.
func TestTxAsync(t *testing.T) {
	p, f := newAsync(t, false)
	ctx := context.Background()
	must(t, p.WriteGroupState(ctx, []byte("g"), []byte("old")))
	tx, ok, err := p.TryBegin()
	if !ok || err != nil {
		t.Fatalf("TryBegin: %v %v", ok, err)
	}
	view := tx.Store()
	a0 := f.applies.Load()
	r := async(view, func(ctx context.Context, s mlsidb.Store) (any, error) {
		return nil, s.WriteTree(ctx, []byte("g"), []byte("tree"))
	})
	if r.err != nil || r.returned || f.applies.Load() != a0 {
		t.Fatalf("write on the view: %v, after return %v, %d batches", r.err, r.returned, f.applies.Load()-a0)
	}
	r = async(view, func(ctx context.Context, s mlsidb.Store) (any, error) { return s.LoadGroup(ctx, []byte("g")) })
	if l := r.v.(*mlsidb.LoadedGroup); r.err != nil || string(l.Tree) != "tree" || string(l.GroupState) != "old" {
		t.Fatalf("LoadGroup on the view: %+v, %v", r.v, r.err)
	}
	r = async(view, func(ctx context.Context, s mlsidb.Store) (any, error) {
		return nil, s.AppendOwnLeafNode(ctx, []byte("g"), []byte("leaf"))
	})
	must(t, r.err)

	child, ok, err := view.TryBegin()
	if !ok || err != nil {
		t.Fatalf("nested TryBegin: %v %v", ok, err)
	}
	must(t, child.Store().WriteContext(ctx, []byte("g"), []byte("ctx")))
	done := make(chan error, 1)
	child.CommitAsync(func(err error) { done <- err })
	must(t, <-done)
	rolled, _, _ := view.TryBegin()
	must(t, rolled.Store().WritePsk(ctx, []byte("psk"), []byte("dropped")))
	rolled.Rollback()
	if _, err := view.Psk(ctx, []byte("psk")); !errors.Is(err, mlsidb.ErrNotFound) {
		t.Fatalf("a rolled back nested write is visible: %v", err)
	}
	if _, err := p.Tree(ctx, []byte("g")); !errors.Is(err, mlsidb.ErrNotFound) {
		t.Fatalf("the transaction's write is visible outside before the commit: %v", err)
	}
	tx.CommitAsync(func(err error) { done <- err })
	must(t, <-done)
	if f.applies.Load() != a0+1 {
		t.Errorf("the commit made %d batches, want 1", f.applies.Load()-a0)
	}
	l, err := p.LoadGroup(ctx, []byte("g"))
	must(t, err)
	if string(l.Tree) != "tree" || string(l.Context) != "ctx" || len(l.OwnLeafNodes) != 1 {
		t.Fatalf("after the commit: tree %q, context %q, %d leaf nodes", l.Tree, l.Context, len(l.OwnLeafNodes))
	}
	if err := view.WriteTree(ctx, []byte("g"), nil); !errors.Is(err, mlsidb.ErrClosed) {
		t.Errorf("the view after the commit: %v, want ErrClosed", err)
	}
	tx.CommitAsync(func(err error) { done <- err })
	if err := <-done; !errors.Is(err, mlsidb.ErrClosed) {
		t.Errorf("a second commit: %v, want ErrClosed", err)
	}
	tx.Rollback() // does nothing
	if tx2, ok, _ := p.TryBegin(); !ok {
		t.Error("the lock is still held after the commit")
	} else {
		tx2.Rollback()
	}
}

// Begin and Commit, the blocking forms.
func TestTxBlocking(t *testing.T) {
	p, err := mlsidb.New(context.Background(), memstore.New(), mlsidb.Options{})
	must(t, err)
	defer p.Close()
	ctx := context.Background()
	tx, err := p.Begin(ctx)
	must(t, err)
	must(t, tx.Store().QueueProposal(ctx, []byte("g"), []byte("r"), []byte("p")))
	must(t, tx.Commit(ctx))
	refs, err := p.QueuedProposalRefs(ctx, []byte("g"))
	must(t, err)
	if !slices.EqualFunc(refs, [][]byte{[]byte("r")}, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Fatalf("refs = %q", refs)
	}
	cctx, cancel := context.WithCancel(ctx)
	tx, err = p.Begin(ctx)
	must(t, err)
	must(t, tx.Store().ClearProposalQueue(ctx, []byte("g")))
	cancel()
	if err := tx.Commit(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Commit with a cancelled context: %v", err)
	}
	if refs, _ := p.QueuedProposalRefs(ctx, []byte("g")); len(refs) != 1 {
		t.Fatal("a cancelled commit wrote")
	}
}

// asyncStore is a StorageProvider whose every call goes through
// Provider.Async. Its methods pass the Store method they stand for, as a
// method expression (mlsidb.Store.Tree), to do1, do2 or get1; the context
// they are given is not used, as Async hands the call its own.
type asyncStore struct{ p *mlsidb.Provider }

var _ mlsidb.StorageProvider = asyncStore{}

// do1 calls m(st, ctx, a) through Async.
func do1(s asyncStore, m func(mlsidb.Store, context.Context, []byte) error, a []byte) error {
	return do(s, func(ctx context.Context, st mlsidb.Store) error { return m(st, ctx, a) })
}

// do2 calls m(st, ctx, a, b) through Async.
func do2(s asyncStore, m func(mlsidb.Store, context.Context, []byte, []byte) error, a, b []byte) error {
	return do(s, func(ctx context.Context, st mlsidb.Store) error { return m(st, ctx, a, b) })
}

// get1 calls m(st, ctx, a) through Async and returns its result.
func get1[T any](s asyncStore, m func(mlsidb.Store, context.Context, []byte) (T, error), a []byte) (T, error) {
	return get(s, func(ctx context.Context, st mlsidb.Store) (T, error) { return m(st, ctx, a) })
}

func (s asyncStore) WriteMlsJoinConfig(_ context.Context, groupID, config []byte) error {
	return do2(s, mlsidb.Store.WriteMlsJoinConfig, groupID, config)
}

func (s asyncStore) MlsGroupJoinConfig(_ context.Context, groupID []byte) ([]byte, error) {
	return get1(s, mlsidb.Store.MlsGroupJoinConfig, groupID)
}

func (s asyncStore) DeleteGroupConfig(_ context.Context, groupID []byte) error {
	return do1(s, mlsidb.Store.DeleteGroupConfig, groupID)
}

func (s asyncStore) WriteTree(_ context.Context, groupID, tree []byte) error {
	return do2(s, mlsidb.Store.WriteTree, groupID, tree)
}

func (s asyncStore) Tree(_ context.Context, groupID []byte) ([]byte, error) {
	return get1(s, mlsidb.Store.Tree, groupID)
}

func (s asyncStore) DeleteTree(_ context.Context, groupID []byte) error {
	return do1(s, mlsidb.Store.DeleteTree, groupID)
}

func (s asyncStore) WriteContext(_ context.Context, groupID, groupContext []byte) error {
	return do2(s, mlsidb.Store.WriteContext, groupID, groupContext)
}

func (s asyncStore) GroupContext(_ context.Context, groupID []byte) ([]byte, error) {
	return get1(s, mlsidb.Store.GroupContext, groupID)
}

func (s asyncStore) DeleteContext(_ context.Context, groupID []byte) error {
	return do1(s, mlsidb.Store.DeleteContext, groupID)
}

func (s asyncStore) WriteInterimTranscriptHash(_ context.Context, groupID, hash []byte) error {
	return do2(s, mlsidb.Store.WriteInterimTranscriptHash, groupID, hash)
}

func (s asyncStore) InterimTranscriptHash(_ context.Context, groupID []byte) ([]byte, error) {
	return get1(s, mlsidb.Store.InterimTranscriptHash, groupID)
}

func (s asyncStore) DeleteInterimTranscriptHash(_ context.Context, groupID []byte) error {
	return do1(s, mlsidb.Store.DeleteInterimTranscriptHash, groupID)
}

func (s asyncStore) WriteConfirmationTag(_ context.Context, groupID, tag []byte) error {
	return do2(s, mlsidb.Store.WriteConfirmationTag, groupID, tag)
}

func (s asyncStore) ConfirmationTag(_ context.Context, groupID []byte) ([]byte, error) {
	return get1(s, mlsidb.Store.ConfirmationTag, groupID)
}

func (s asyncStore) DeleteConfirmationTag(_ context.Context, groupID []byte) error {
	return do1(s, mlsidb.Store.DeleteConfirmationTag, groupID)
}

func (s asyncStore) WriteGroupState(_ context.Context, groupID, state []byte) error {
	return do2(s, mlsidb.Store.WriteGroupState, groupID, state)
}

func (s asyncStore) GroupState(_ context.Context, groupID []byte) ([]byte, error) {
	return get1(s, mlsidb.Store.GroupState, groupID)
}

func (s asyncStore) DeleteGroupState(_ context.Context, groupID []byte) error {
	return do1(s, mlsidb.Store.DeleteGroupState, groupID)
}

func (s asyncStore) WriteMessageSecrets(_ context.Context, groupID, secrets []byte) error {
	return do2(s, mlsidb.Store.WriteMessageSecrets, groupID, secrets)
}

func (s asyncStore) MessageSecrets(_ context.Context, groupID []byte) ([]byte, error) {
	return get1(s, mlsidb.Store.MessageSecrets, groupID)
}

func (s asyncStore) DeleteMessageSecrets(_ context.Context, groupID []byte) error {
	return do1(s, mlsidb.Store.DeleteMessageSecrets, groupID)
}

func (s asyncStore) WriteResumptionPskStore(_ context.Context, groupID, store []byte) error {
	return do2(s, mlsidb.Store.WriteResumptionPskStore, groupID, store)
}

func (s asyncStore) ResumptionPskStore(_ context.Context, groupID []byte) ([]byte, error) {
	return get1(s, mlsidb.Store.ResumptionPskStore, groupID)
}

func (s asyncStore) DeleteAllResumptionPskSecrets(_ context.Context, groupID []byte) error {
	return do1(s, mlsidb.Store.DeleteAllResumptionPskSecrets, groupID)
}

func (s asyncStore) WriteOwnLeafIndex(_ context.Context, groupID, index []byte) error {
	return do2(s, mlsidb.Store.WriteOwnLeafIndex, groupID, index)
}

func (s asyncStore) OwnLeafIndex(_ context.Context, groupID []byte) ([]byte, error) {
	return get1(s, mlsidb.Store.OwnLeafIndex, groupID)
}

func (s asyncStore) DeleteOwnLeafIndex(_ context.Context, groupID []byte) error {
	return do1(s, mlsidb.Store.DeleteOwnLeafIndex, groupID)
}

func (s asyncStore) WriteGroupEpochSecrets(_ context.Context, groupID, secrets []byte) error {
	return do2(s, mlsidb.Store.WriteGroupEpochSecrets, groupID, secrets)
}

func (s asyncStore) GroupEpochSecrets(_ context.Context, groupID []byte) ([]byte, error) {
	return get1(s, mlsidb.Store.GroupEpochSecrets, groupID)
}

func (s asyncStore) DeleteGroupEpochSecrets(_ context.Context, groupID []byte) error {
	return do1(s, mlsidb.Store.DeleteGroupEpochSecrets, groupID)
}

func (s asyncStore) WriteApplicationExportTree(_ context.Context, groupID, tree []byte) error {
	return do2(s, mlsidb.Store.WriteApplicationExportTree, groupID, tree)
}

func (s asyncStore) ApplicationExportTree(_ context.Context, groupID []byte) ([]byte, error) {
	return get1(s, mlsidb.Store.ApplicationExportTree, groupID)
}

func (s asyncStore) DeleteApplicationExportTree(_ context.Context, groupID []byte) error {
	return do1(s, mlsidb.Store.DeleteApplicationExportTree, groupID)
}

func (s asyncStore) AppendOwnLeafNode(_ context.Context, groupID, leafNode []byte) error {
	return do2(s, mlsidb.Store.AppendOwnLeafNode, groupID, leafNode)
}

func (s asyncStore) OwnLeafNodes(_ context.Context, groupID []byte) ([][]byte, error) {
	return get1(s, mlsidb.Store.OwnLeafNodes, groupID)
}

func (s asyncStore) DeleteOwnLeafNodes(_ context.Context, groupID []byte) error {
	return do1(s, mlsidb.Store.DeleteOwnLeafNodes, groupID)
}

func (s asyncStore) QueueProposal(_ context.Context, groupID, proposalRef, proposal []byte) error {
	return do(s, func(ctx context.Context, st mlsidb.Store) error {
		return st.QueueProposal(ctx, groupID, proposalRef, proposal)
	})
}

func (s asyncStore) QueuedProposalRefs(_ context.Context, groupID []byte) ([][]byte, error) {
	return get1(s, mlsidb.Store.QueuedProposalRefs, groupID)
}

func (s asyncStore) QueuedProposals(_ context.Context, groupID []byte) ([]mlsidb.QueuedProposal, error) {
	return get1(s, mlsidb.Store.QueuedProposals, groupID)
}

func (s asyncStore) RemoveProposal(_ context.Context, groupID, proposalRef []byte) error {
	return do2(s, mlsidb.Store.RemoveProposal, groupID, proposalRef)
}

func (s asyncStore) ClearProposalQueue(_ context.Context, groupID []byte) error {
	return do1(s, mlsidb.Store.ClearProposalQueue, groupID)
}

func (s asyncStore) WriteEncryptionEpochKeyPairs(_ context.Context, groupID, epoch []byte, leafIndex uint32, keyPairs [][]byte) error {
	return do(s, func(ctx context.Context, st mlsidb.Store) error {
		return st.WriteEncryptionEpochKeyPairs(ctx, groupID, epoch, leafIndex, keyPairs)
	})
}

func (s asyncStore) EncryptionEpochKeyPairs(_ context.Context, groupID, epoch []byte, leafIndex uint32) ([][]byte, error) {
	return get(s, func(ctx context.Context, st mlsidb.Store) ([][]byte, error) {
		return st.EncryptionEpochKeyPairs(ctx, groupID, epoch, leafIndex)
	})
}

func (s asyncStore) DeleteEncryptionEpochKeyPairs(_ context.Context, groupID, epoch []byte, leafIndex uint32) error {
	return do(s, func(ctx context.Context, st mlsidb.Store) error {
		return st.DeleteEncryptionEpochKeyPairs(ctx, groupID, epoch, leafIndex)
	})
}

func (s asyncStore) WriteSignatureKeyPair(_ context.Context, publicKey, signatureKeyPair []byte) error {
	return do2(s, mlsidb.Store.WriteSignatureKeyPair, publicKey, signatureKeyPair)
}

func (s asyncStore) SignatureKeyPair(_ context.Context, publicKey []byte) ([]byte, error) {
	return get1(s, mlsidb.Store.SignatureKeyPair, publicKey)
}

func (s asyncStore) DeleteSignatureKeyPair(_ context.Context, publicKey []byte) error {
	return do1(s, mlsidb.Store.DeleteSignatureKeyPair, publicKey)
}

func (s asyncStore) WriteEncryptionKeyPair(_ context.Context, publicKey, keyPair []byte) error {
	return do2(s, mlsidb.Store.WriteEncryptionKeyPair, publicKey, keyPair)
}

func (s asyncStore) EncryptionKeyPair(_ context.Context, publicKey []byte) ([]byte, error) {
	return get1(s, mlsidb.Store.EncryptionKeyPair, publicKey)
}

func (s asyncStore) DeleteEncryptionKeyPair(_ context.Context, publicKey []byte) error {
	return do1(s, mlsidb.Store.DeleteEncryptionKeyPair, publicKey)
}

func (s asyncStore) WriteKeyPackage(_ context.Context, hashRef, keyPackage []byte) error {
	return do2(s, mlsidb.Store.WriteKeyPackage, hashRef, keyPackage)
}

func (s asyncStore) KeyPackage(_ context.Context, hashRef []byte) ([]byte, error) {
	return get1(s, mlsidb.Store.KeyPackage, hashRef)
}

func (s asyncStore) DeleteKeyPackage(_ context.Context, hashRef []byte) error {
	return do1(s, mlsidb.Store.DeleteKeyPackage, hashRef)
}

func (s asyncStore) WritePsk(_ context.Context, pskID, pskBundle []byte) error {
	return do2(s, mlsidb.Store.WritePsk, pskID, pskBundle)
}

func (s asyncStore) Psk(_ context.Context, pskID []byte) ([]byte, error) {
	return get1(s, mlsidb.Store.Psk, pskID)
}

func (s asyncStore) DeletePsk(_ context.Context, pskID []byte) error {
	return do1(s, mlsidb.Store.DeletePsk, pskID)
}
