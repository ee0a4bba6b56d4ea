package mlsidb_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/memstore"
)

// lockingBackend is a memstore whose writer and group locks are recorded:
// every Get, Scan, Apply, Lock and unlock lands in a log, and Lock and
// LockGroup may be made to fail or to wait for their context.
type lockingBackend struct {
	mlsidb.Backend // a memstore, only its Backend methods

	mu  sync.Mutex
	log []string

	held      atomic.Int32 // holders of the writer lock
	overlap   atomic.Bool  // Lock was granted while held
	lockErr   error        // Lock fails with it
	lockWaits bool         // Lock waits until ctx ends
	groupErr  error        // LockGroup fails with it
}

func newLocking() *lockingBackend { return &lockingBackend{Backend: memstore.New()} }

func (b *lockingBackend) record(s string) {
	b.mu.Lock()
	b.log = append(b.log, s)
	b.mu.Unlock()
}

// take returns the log so far and empties it.
func (b *lockingBackend) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.log
	b.log = nil
	return l
}

func (b *lockingBackend) Get(ctx context.Context, store string, key []byte) ([]byte, error) {
	b.record("get " + store)
	return b.Backend.Get(ctx, store, key)
}

func (b *lockingBackend) Scan(ctx context.Context, store string, r mlsidb.KeyRange, reverse bool, limit int) ([]mlsidb.Record, error) {
	b.record("scan " + store)
	return b.Backend.Scan(ctx, store, r, reverse, limit)
}

func (b *lockingBackend) Apply(ctx context.Context, ops []mlsidb.Op) error {
	b.record("apply")
	return b.Backend.Apply(ctx, ops)
}

func (b *lockingBackend) Lock(ctx context.Context) (func(), error) {
	if b.lockWaits {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if b.lockErr != nil {
		return nil, b.lockErr
	}
	if b.held.Add(1) != 1 {
		b.overlap.Store(true)
	}
	b.record("lock")
	return func() {
		b.record("unlock")
		b.held.Add(-1)
	}, nil
}

func (b *lockingBackend) LockGroup(ctx context.Context, groupID []byte) (func(), error) {
	if b.groupErr != nil {
		return nil, b.groupErr
	}
	b.record("lock group " + string(groupID))
	return func() { b.record("unlock group " + string(groupID)) }, nil
}

func providerOver(t *testing.T, b mlsidb.Backend) *mlsidb.Provider {
	t.Helper()
	p, err := mlsidb.New(context.Background(), b, mlsidb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// Every write path holds the backend's writer lock around its reads and
// its Apply; reads outside a write take no lock.
func TestWritesHoldTheBackendLock(t *testing.T) {
	ctx := context.Background()
	b := newLocking()
	p := providerOver(t, b)
	if got := b.take(); !slices.Equal(got, []string{"lock", "get meta", "get meta", "apply", "unlock"}) {
		t.Fatalf("New: %q; want the meta check under the lock", got)
	}
	g := []byte("g")
	for _, tc := range []struct {
		name string
		do   func() error
		want []string
	}{
		{"WriteTree", func() error { return p.WriteTree(ctx, g, []byte("t")) }, []string{"lock", "apply", "unlock"}},
		{"AppendOwnLeafNode", func() error { return p.AppendOwnLeafNode(ctx, g, []byte("l")) }, []string{"lock", "scan own_leaf_nodes", "apply", "unlock"}},
		{"QueueProposal", func() error { return p.QueueProposal(ctx, g, []byte("r"), []byte("p")) }, []string{"lock", "scan proposal_queue", "apply", "unlock"}},
		{"DeleteGroup", func() error { return p.DeleteGroup(ctx, g) }, []string{"lock", "apply", "unlock"}},
		{"Update", func() error {
			return p.Update(ctx, func(tx mlsidb.Store) error {
				if _, err := tx.Tree(ctx, g); err != nil && !errors.Is(err, mlsidb.ErrNotFound) {
					return err
				}
				return tx.WriteTree(ctx, g, []byte("t2"))
			})
		}, []string{"lock", "get tree", "apply", "unlock"}},
		{"Update that fails", func() error {
			if err := p.Update(ctx, func(tx mlsidb.Store) error { return errors.New("no") }); err == nil {
				return errors.New("the Update did not fail")
			}
			return nil
		}, []string{"lock", "unlock"}},
		{"Tree (a read)", func() error { _, err := p.Tree(ctx, g); return err }, []string{"get tree"}},
	} {
		if err := tc.do(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := b.take(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// The provider takes its own lock before the backend's, so its goroutines
// never ask the backend for the lock at once.
func TestBackendLockAfterOwnLock(t *testing.T) {
	ctx := context.Background()
	b := newLocking()
	p := providerOver(t, b)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if err := p.AppendOwnLeafNode(ctx, []byte("g"), []byte{byte(w), byte(i)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if b.overlap.Load() {
		t.Fatal("the backend's Lock was granted to two goroutines at once")
	}
	if l, _ := p.OwnLeafNodes(ctx, []byte("g")); len(l) != 160 {
		t.Fatalf("%d leaf nodes, want 160", len(l))
	}
}

// A backend lock that fails or is not granted in time fails the write,
// writes nothing, and leaves the provider's own lock free.
func TestBackendLockFailure(t *testing.T) {
	ctx := context.Background()
	b := newLocking()
	p := providerOver(t, b)
	b.take()
	b.lockErr = mlsidb.ErrClosed
	err := p.WriteTree(ctx, []byte("g"), []byte("t"))
	var me *mlsidb.Error
	if !errors.Is(err, mlsidb.ErrClosed) || !errors.As(err, &me) || me.Op != "WriteTree" {
		t.Fatalf("WriteTree with a failing lock: %v", err)
	}
	b.lockErr = nil
	b.lockWaits = true
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := p.Update(short, func(tx mlsidb.Store) error {
		t.Error("Update ran its function without the lock")
		return nil
	}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Update while the lock is not granted: %v", err)
	}
	if got := b.take(); slices.Contains(got, "apply") {
		t.Fatalf("something was applied without the lock: %q", got)
	}
	b.lockWaits = false
	if err := p.WriteTree(ctx, []byte("g"), []byte("t")); err != nil {
		t.Fatalf("WriteTree once the lock works again: %v", err)
	}
}

// WithGroupLock takes the backend's group lock inside its own and releases
// it after fn; a failing group lock keeps fn from running.
func TestWithGroupLockUsesGroupLocker(t *testing.T) {
	ctx := context.Background()
	b := newLocking()
	p := providerOver(t, b)
	b.take()
	err := p.WithGroupLock(ctx, []byte("g1"), func(ctx context.Context) error {
		b.record("fn")
		return p.WriteTree(ctx, []byte("g1"), []byte("t"))
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"lock group g1", "fn", "lock", "apply", "unlock", "unlock group g1"}
	if got := b.take(); !slices.Equal(got, want) {
		t.Fatalf("%q, want %q", got, want)
	}
	b.groupErr = errors.New("no lock for you")
	ran := false
	err = p.WithGroupLock(ctx, []byte("g1"), func(context.Context) error { ran = true; return nil })
	if ran || err == nil || !strings.Contains(err.Error(), "no lock for you") {
		t.Fatalf("WithGroupLock with a failing group lock: ran %v, %v", ran, err)
	}
	var me *mlsidb.Error
	if !errors.As(err, &me) || me.Op != "WithGroupLock" {
		t.Fatalf("error %T, want *mlsidb.Error of WithGroupLock", err)
	}
}

// Locks of one group exclude each other across goroutines (run with
// -race: the counter is unprotected but for the lock), and the waits of
// several groups go on independently.
func TestWithGroupLockRace(t *testing.T) {
	ctx := context.Background()
	p := providerOver(t, memstore.New())
	counters := make([]int, 4)
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := w % len(counters)
			for i := 0; i < 50; i++ {
				err := p.WithGroupLock(ctx, []byte{'g', byte(g)}, func(context.Context) error {
					counters[g]++
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for g, n := range counters {
		if n != 4*50 {
			t.Errorf("group %d: counter %d, want %d", g, n, 4*50)
		}
	}
}

// Two providers over two handles of one memstore: the group lock of one
// holds up the other's, and a cancelled wait gives up.
func TestWithGroupLockAcrossHandles(t *testing.T) {
	ctx := context.Background()
	m := memstore.New()
	p1, p2 := providerOver(t, m), providerOver(t, m.Share())
	entered := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- p1.WithGroupLock(ctx, []byte("g"), func(context.Context) error {
			close(entered)
			<-release
			return nil
		})
	}()
	<-entered
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := p2.WithGroupLock(short, []byte("g"), func(context.Context) error { return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("p2 while p1 holds the group: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := p2.WithGroupLock(ctx, []byte("g"), func(context.Context) error { return nil }); err != nil {
		t.Fatalf("p2 after p1 released: %v", err)
	}
}
