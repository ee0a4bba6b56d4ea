package mlsidb_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/memstore"
)

// next returns the next change of ch, or fails after a generous timeout.
func next(t *testing.T, ch <-chan mlsidb.Change) mlsidb.Change {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no change arrived")
		return mlsidb.Change{}
	}
}

func watchChan(p *mlsidb.Provider) (<-chan mlsidb.Change, func()) {
	ch := make(chan mlsidb.Change, 100)
	return ch, p.Watch(func(c mlsidb.Change) { ch <- c })
}

// Watch sees the provider's own commits as local and the other handle's
// as remote, with the groups and method groups they wrote.
func TestWatchLocalAndRemote(t *testing.T) {
	ctx := context.Background()
	m := memstore.New()
	p1, p2 := providerOver(t, m), providerOver(t, m.Share())
	c1, stop1 := watchChan(p1)
	defer stop1()
	c2, stop2 := watchChan(p2)
	defer stop2()

	g := []byte("group")
	if err := p1.Update(ctx, func(tx mlsidb.Store) error {
		if err := tx.WriteTree(ctx, g, []byte("t")); err != nil {
			return err
		}
		return tx.WriteKeyPackage(ctx, []byte("kp"), []byte("v"))
	}); err != nil {
		t.Fatal(err)
	}
	want := []mlsidb.MethodGroup{mlsidb.MethodGroupTree, mlsidb.MethodGroupKeyPackage}
	for _, tc := range []struct {
		who   string
		ch    <-chan mlsidb.Change
		local bool
	}{{"p1", c1, true}, {"p2", c2, false}} {
		c := next(t, tc.ch)
		if c.Local != tc.local || len(c.Groups) != 1 || string(c.Groups[0]) != "group" || !slices.Equal(c.MethodGroups, want) {
			t.Errorf("%s saw %+v", tc.who, c)
		}
	}
	// A read and an Update that fails change nothing.
	if _, err := p2.Tree(ctx, g); err != nil {
		t.Fatal(err)
	}
	_ = p2.Update(ctx, func(tx mlsidb.Store) error {
		_ = tx.WriteTree(ctx, g, []byte("x"))
		return context.Canceled
	})
	if err := p2.DeleteGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	if c := next(t, c1); c.Local || !c.HasGroup(g) || !c.HasMethodGroup(mlsidb.MethodGroupProposalQueue) {
		t.Errorf("p1 saw p2's DeleteGroup as %+v", c)
	}
	if c := next(t, c2); !c.Local || !c.HasGroup(g) {
		t.Errorf("p2 saw its own DeleteGroup as %+v", c)
	}
	select {
	case c := <-c1:
		t.Errorf("an extra change: %+v", c)
	case <-time.After(20 * time.Millisecond):
	}
}

// stop ends a watch; Close ends them all; a view's Watch does nothing.
func TestWatchStopAndClose(t *testing.T) {
	ctx := context.Background()
	p := providerOver(t, memstore.New())
	c, stop := watchChan(p)
	stop()
	if err := p.WriteTree(ctx, []byte("g"), nil); err != nil {
		t.Fatal(err)
	}
	c2, _ := watchChan(p)
	if err := p.Update(ctx, func(tx mlsidb.Store) error {
		tp, ok := tx.(*mlsidb.Provider)
		if !ok {
			t.Fatalf("the view is a %T", tx)
		}
		tp.Watch(func(mlsidb.Change) { t.Error("a view's watcher was called") })()
		return tx.WritePsk(ctx, []byte("psk"), nil)
	}); err != nil {
		t.Fatal(err)
	}
	if got := next(t, c2); !got.HasMethodGroup(mlsidb.MethodGroupPsk) {
		t.Fatalf("got %+v", got)
	}
	p.Close()
	c3, _ := watchChan(p)
	select {
	case got := <-c:
		t.Fatalf("a stopped watcher got %+v", got)
	case got := <-c3:
		t.Fatalf("a watcher of a closed provider got %+v", got)
	case <-time.After(20 * time.Millisecond):
	}
}
