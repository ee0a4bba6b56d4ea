package conformance

import (
	"context"
	"errors"

	"github.com/mlsidb/mlsidb"
)

// persistence: everything written (lists in order, empty and large values,
// deletes, Update commits) is there again, record for record, after the
// backend is closed and reopened, and so is the store's ID; appends and
// queueing continue where they left off.
func (s *suite) persistence(r reporter) {
	if s.cfg.reopen == nil {
		r.Skip("backend does not persist (Options.Reopen is nil)")
		return
	}
	e := s.newEnv(r)
	ctx := e.ctx
	entries := append(e.mustFill(e.p, GroupID(1), "g"), e.mustFill(e.p, GroupID(2), "h")...)
	e.must(e.p.Update(ctx, func(tx mlsidb.Store) error {
		for _, l := range []string{"l3", "l1", "l2", "l1"} {
			if err := tx.AppendOwnLeafNode(ctx, []byte("P"), []byte(l)); err != nil {
				return err
			}
		}
		return nil
	}), "Update")
	for _, q := range [][2]string{{"r3", "p3"}, {"r1", "p1"}, {"r2", "p2"}, {"r1", "p1b"}} {
		e.must(e.p.QueueProposal(ctx, []byte("P"), []byte(q[0]), []byte(q[1])), "QueueProposal")
	}
	e.must(e.p.WriteEncryptionEpochKeyPairs(ctx, []byte("P"), []byte("5"), 2, bs("b", "a", "", "a")), "WriteEncryptionEpochKeyPairs")
	e.must(e.p.WriteTree(ctx, []byte("E"), []byte{}), "WriteTree of an empty value")
	large := make([]byte, 1<<20)
	for i := range large {
		large[i] = byte(i * 7)
	}
	e.must(e.p.WritePsk(ctx, []byte("large"), large), "WritePsk of 1 MiB")
	e.must(e.p.WriteTree(ctx, []byte("D"), []byte("deleted")), "WriteTree")
	e.must(e.p.DeleteTree(ctx, []byte("D")), "DeleteTree")
	e.must(e.p.DeleteOwnLeafNodes(ctx, GroupID(2)), "DeleteOwnLeafNodes")
	for i := range entries {
		if entries[i].c.kind == kindLeafNodes && string(entries[i].k.group) == string(GroupID(2)) {
			entries[i].want = nil
		}
	}
	before := e.snap()
	id := e.p.ID()

	reopen := func(r reporter, old *mlsidb.Provider, b mlsidb.Backend) (*mlsidb.Provider, mlsidb.Backend) {
		r.Helper()
		if err := old.Close(); err != nil {
			r.Fatalf("closing the provider before reopening: %v", err)
		}
		b2 := s.cfg.reopen(r, b)
		if b2 == nil {
			r.Fatalf("Options.Reopen returned a nil backend")
		}
		p2, err := mlsidb.New(ctx, b2, mlsidb.Options{})
		if err != nil {
			_ = b2.Close()
			r.Fatalf("mlsidb.New over the reopened backend: %v", err)
		}
		r.Cleanup(func() { _ = p2.Close() })
		return p2, b2
	}
	p2, b2 := reopen(r, e.p, e.b)
	sameSnap(r, before, snapOf(r, ctx, b2), "after reopening")
	if got, err := b2.Get(ctx, mlsidb.MetaStore, mlsidb.MetaVersionKey); err != nil || string(got) != string(mlsidb.VersionPrefix(mlsidb.CurrentVersion)) {
		r.Errorf("meta record after reopening: %s, %v", show(got), err)
	}
	if got := p2.ID(); string(got) != string(id) {
		r.Errorf("the store's ID after reopening is %s, want %s (the ID the store got when it was made)", show(got), show(id))
	}
	for _, c := range s.cases {
		r.Run(c.name, func(r reporter) {
			for _, en := range entries {
				if en.c == c {
					expect(r, ctx, p2, c, en.k, en.want, "after reopening")
				}
			}
		})
	}
	r.Run("lists-and-values", func(r reporter) {
		wantLeaves(r, ctx, p2, "P", "l3", "l1", "l2", "l1")
		wantQueue(r, ctx, p2, "P", "r3=p3", "r1=p1b", "r2=p2")
		wantPairs(r, ctx, p2, "P", "5", 2, "b", "a", "", "a")
		if v, err := p2.Tree(ctx, []byte("E")); err != nil || v == nil || len(v) != 0 {
			r.Errorf("stored empty tree after reopening: %s, %v", show(v), err)
		}
		if v, err := p2.Psk(ctx, []byte("large")); err != nil || string(v) != string(large) {
			r.Errorf("1 MiB psk after reopening: %d bytes, %v", len(v), err)
		}
		if v, err := p2.Tree(ctx, []byte("D")); !errors.Is(err, mlsidb.ErrNotFound) {
			r.Errorf("deleted tree after reopening: %s, %v; want ErrNotFound", show(v), err)
		}
	})
	r.Run("continue-after-reopen", func(r reporter) {
		do(r, p2.AppendOwnLeafNode(ctx, []byte("P"), []byte("l4")), "AppendOwnLeafNode")
		do(r, p2.QueueProposal(ctx, []byte("P"), []byte("r0"), []byte("p0")), "QueueProposal")
		do(r, p2.QueueProposal(ctx, []byte("P"), []byte("r3"), []byte("p3b")), "QueueProposal")
		p3, _ := reopen(r, p2, b2)
		wantLeaves(r, ctx, p3, "P", "l3", "l1", "l2", "l1", "l4")
		wantQueue(r, ctx, p3, "P", "r3=p3b", "r1=p1b", "r2=p2", "r0=p0")
		check(r, context.Background(), p3, entries, "after reopening twice")
	})
}
