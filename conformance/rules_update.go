package conformance

import (
	"context"
	"errors"

	"github.com/mlsidb/mlsidb"
)

// updateRules: Update commits everything or nothing, sees its own writes,
// nests, ends its view, and runs StorageProvider code unchanged.
func (s *suite) updateRules(r reporter) {
	r.Run("commit", s.updateCommit)
	r.Run("error", func(r reporter) { s.updateRollback(r, false) })
	r.Run("panic", func(r reporter) { s.updateRollback(r, true) })
	r.Run("cancelled-inside", s.updateCancelledInside)
	s.perGroup(r, "read-own-writes", nil, s.updateReadOwnWrites)
	r.Run("delete-group", s.updateDeleteGroup)
	r.Run("nested", s.updateNested)
	r.Run("nested-panic", s.updateNestedPanic)
	s.perGroup(r, "view-after-return", nil, s.updateViewAfterReturn)
	r.Run("view-after-return-store", s.updateViewAfterReturnStore)
	r.Run("storage-provider-code", s.updateStorageProviderCode)
}

// updateCommit: what an Update writes reaches the backend only when it
// returns, and then exactly as the same calls made directly would have
// written it.
func (s *suite) updateCommit(r reporter) {
	e := s.newEnv(r)
	ref := s.newEnv(r)
	base := func(st mlsidb.Store) error {
		_, err := s.fill(e.ctx, st, GroupID(1), "one")
		return err
	}
	calls := func(st mlsidb.Store) error {
		if _, err := s.fill(e.ctx, st, GroupID(2), "two"); err != nil {
			return err
		}
		if _, err := s.fill(e.ctx, st, GroupID(1), "one-again"); err != nil {
			return err
		}
		if err := st.DeleteTree(e.ctx, GroupID(1)); err != nil {
			return err
		}
		if err := st.RemoveProposal(e.ctx, GroupID(1), []byte("ref:0")); err != nil {
			return err
		}
		return st.DeleteOwnLeafNodes(e.ctx, GroupID(2))
	}
	e.must(base(e.p), "writing the base")
	e.must(base(ref.p), "writing the base")
	e.must(calls(ref.p), "the calls made directly")
	before := e.snap()
	e.must(e.p.Update(e.ctx, func(tx mlsidb.Store) error {
		if err := calls(tx); err != nil {
			return err
		}
		e.same(before, "inside Update, before it returned")
		return nil
	}), "Update")
	e.same(ref.snap(), "after Update, against the same calls made directly")
}

// updateRollback: an Update whose function returns an error (which Update
// returns unchanged) or panics (which Update re-raises) writes nothing,
// and the provider works afterwards.
func (s *suite) updateRollback(r reporter, panics bool) {
	e := s.newEnv(r)
	e.mustFill(e.p, GroupID(1), "one")
	before := e.snap()
	errFn := errors.New("conformance: the function's own error")
	panicValue := &struct{ s string }{"conformance: the function's own panic"}
	var err error
	recovered := func() (v any) {
		defer func() { v = recover() }()
		err = e.p.Update(e.ctx, func(tx mlsidb.Store) error {
			if _, err := s.fill(e.ctx, tx, GroupID(2), "two"); err != nil {
				return err
			}
			if err := tx.DeleteGroup(e.ctx, GroupID(1)); err != nil {
				return err
			}
			if _, err := s.fill(e.ctx, tx, GroupID(1), "one-again"); err != nil {
				return err
			}
			if panics {
				panic(panicValue)
			}
			return errFn
		})
		return nil
	}()
	if panics {
		if recovered != any(panicValue) {
			r.Errorf("Update with a panicking function: recovered %v, error %v; want the function's panic value re-raised", recovered, err)
		}
	} else if err != errFn {
		r.Errorf("Update returned %v, want the function's error unchanged", err)
	}
	e.same(before, "after an Update that failed")
	ctx, cancel := context.WithTimeout(e.ctx, deadlockTimeout)
	defer cancel()
	if err := e.p.WriteTree(ctx, GroupID(3), []byte("after")); err != nil {
		r.Errorf("a write after the failed Update: %v", err)
	}
}

// updateCancelledInside: a context cancelled while the function runs makes
// Update fail with the context's error and commit nothing.
func (s *suite) updateCancelledInside(r reporter) {
	e := s.newEnv(r)
	before := e.snap()
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	err := e.p.Update(ctx, func(tx mlsidb.Store) error {
		if _, err := s.fill(ctx, tx, GroupID(1), "one"); err != nil {
			return err
		}
		cancel()
		return nil
	})
	isErr(r, err, context.Canceled, "Update whose context was cancelled inside the function")
	e.same(before, "after the cancelled Update")
}

// updateReadOwnWrites: inside an Update, reads of each method group see
// the view's writes over what was stored before, deletes included; the
// commit leaves what the same calls made directly leave.
func (s *suite) updateReadOwnWrites(r reporter, c *mgCase) {
	for _, d := range c.dels {
		r.Run(d.name, func(r reporter) {
			e := s.newEnv(r)
			ref := s.newEnv(r)
			g := []byte("group-own-writes")
			k0, k1 := c.slot(g, 0), c.slot(g, 1)
			v0, v1, v2, v3 := val("stored"), val("first"), val("second"), val("third")
			e.must(c.put(e.ctx, e.p, k0, v0), "write before the Update")
			after := func(prev [][]byte, v []byte) [][]byte {
				if c.appends() {
					return append(append([][]byte(nil), prev...), v)
				}
				return [][]byte{v}
			}
			body := func(st mlsidb.Store, checks bool) error {
				x := func(k slot, want [][]byte, what string) {
					if checks {
						expect(r, e.ctx, st, c, k, want, what)
					}
				}
				x(k0, [][]byte{v0}, "inside Update, before any write")
				if err := c.put(e.ctx, st, k0, v1); err != nil {
					return err
				}
				x(k0, after([][]byte{v0}, v1), "inside Update, after a write")
				if c.multi() {
					if err := c.put(e.ctx, st, k1, v2); err != nil {
						return err
					}
					x(k1, [][]byte{v2}, "inside Update, another slot")
				}
				if err := d.call(e.ctx, st, k0); err != nil {
					return err
				}
				x(k0, nil, "inside Update, after "+d.name)
				if c.multi() {
					want := [][]byte{v2}
					if d.whole {
						want = nil
					}
					x(k1, want, "inside Update, the other slot after "+d.name)
				}
				if err := c.put(e.ctx, st, k0, v3); err != nil {
					return err
				}
				x(k0, [][]byte{v3}, "inside Update, a write after "+d.name)
				return nil
			}
			e.must(c.put(e.ctx, ref.p, k0, v0), "write before")
			e.must(body(ref.p, false), "the calls made directly")
			e.must(e.p.Update(e.ctx, func(tx mlsidb.Store) error { return body(tx, true) }), "Update")
			expect(r, e.ctx, e.p, c, k0, [][]byte{v3}, "after the Update")
			e.same(ref.snap(), "after the Update, against the same calls made directly")
		})
	}
}

// updateDeleteGroup: DeleteGroup inside an Update hides the group from the
// view at once, leaves other groups and global method groups, and later
// writes to the group in the same Update survive.
func (s *suite) updateDeleteGroup(r reporter) {
	e := s.newEnv(r)
	ref := s.newEnv(r)
	var gEntries, hEntries []entry
	for _, x := range []*env{e, ref} {
		gEntries = x.mustFill(x.p, GroupID(1), "g")
		hEntries = x.mustFill(x.p, GroupID(2), "h")
	}
	scoped, global := split(gEntries)
	tree := []byte("tree after DeleteGroup")
	e.must(ref.p.DeleteGroup(e.ctx, GroupID(1)), "DeleteGroup")
	e.must(ref.p.WriteTree(e.ctx, GroupID(1), tree), "WriteTree")
	e.must(e.p.Update(e.ctx, func(tx mlsidb.Store) error {
		if err := tx.DeleteGroup(e.ctx, GroupID(1)); err != nil {
			return err
		}
		checkGone(r, e.ctx, tx, scoped, "inside Update, after DeleteGroup")
		check(r, e.ctx, tx, global, "inside Update, global method groups after DeleteGroup")
		check(r, e.ctx, tx, hEntries, "inside Update, the other group after DeleteGroup")
		return tx.WriteTree(e.ctx, GroupID(1), tree)
	}), "Update")
	got, err := e.p.Tree(e.ctx, GroupID(1))
	if err != nil || string(got) != string(tree) {
		r.Errorf("the tree written after DeleteGroup in the Update: %s, %v", show(got), err)
	}
	e.same(ref.snap(), "after the Update, against the same calls made directly")
}

// updateNested: an inner Update's writes join the outer one when it
// succeeds and are dropped when it fails; the inner view sees the outer
// view's writes.
func (s *suite) updateNested(r reporter) {
	e := s.newEnv(r)
	ctx := e.ctx
	g := GroupID(1)
	errInner := errors.New("conformance: the inner function's error")
	e.must(e.p.Update(ctx, func(tx mlsidb.Store) error {
		do(r, tx.WriteTree(ctx, g, []byte("outer")), "outer WriteTree")
		do(r, tx.AppendOwnLeafNode(ctx, g, []byte("outer-leaf")), "outer AppendOwnLeafNode")
		err := tx.Update(ctx, func(in mlsidb.Store) error {
			do(r, in.WriteTree(ctx, g, []byte("inner-failed")), "inner WriteTree")
			do(r, in.WriteContext(ctx, g, []byte("inner-failed")), "inner WriteContext")
			do(r, in.AppendOwnLeafNode(ctx, g, []byte("inner-failed")), "inner AppendOwnLeafNode")
			do(r, in.QueueProposal(ctx, g, []byte("r1"), []byte("inner-failed")), "inner QueueProposal")
			return errInner
		})
		if err != errInner {
			r.Errorf("inner Update returned %v, want its function's error unchanged", err)
		}
		expectTree(r, ctx, tx, g, "outer", "after the failed inner Update")
		if v, err := tx.GroupContext(ctx, g); !errors.Is(err, mlsidb.ErrNotFound) {
			r.Errorf("after the failed inner Update, GroupContext = %s, %v; want ErrNotFound", show(v), err)
		}
		wantLeaves(r, ctx, tx, string(g), "outer-leaf")
		wantQueue(r, ctx, tx, string(g))
		e.must(tx.Update(ctx, func(in mlsidb.Store) error {
			expectTree(r, ctx, in, g, "outer", "the inner view")
			wantLeaves(r, ctx, in, string(g), "outer-leaf")
			do(r, in.WriteContext(ctx, g, []byte("inner-ok")), "inner WriteContext")
			do(r, in.AppendOwnLeafNode(ctx, g, []byte("inner-leaf")), "inner AppendOwnLeafNode")
			return in.QueueProposal(ctx, g, []byte("r2"), []byte("inner-ok"))
		}), "inner Update")
		wantLeaves(r, ctx, tx, string(g), "outer-leaf", "inner-leaf")
		wantQueue(r, ctx, tx, string(g), "r2=inner-ok")
		return nil
	}), "outer Update")
	expectTree(r, ctx, e.p, g, "outer", "after the outer Update")
	if v, err := e.p.GroupContext(ctx, g); err != nil || string(v) != "inner-ok" {
		r.Errorf("GroupContext after the outer Update: %s, %v; want %q", show(v), err, "inner-ok")
	}
	wantLeaves(r, ctx, e.p, string(g), "outer-leaf", "inner-leaf")
	wantQueue(r, ctx, e.p, string(g), "r2=inner-ok")
	if n := e.snap().count(); n != 5 {
		r.Errorf("the backend holds %d records after the nested Updates, want 5", n)
	}
}

func expectTree(r reporter, ctx context.Context, st mlsidb.Store, g []byte, want, what string) {
	r.Helper()
	if v, err := st.Tree(ctx, g); err != nil || string(v) != want {
		r.Errorf("%s: Tree = %s, %v; want %q", what, show(v), err, want)
	}
}

// updateNestedPanic: a panic in an inner Update goes through the outer
// one, which commits nothing.
func (s *suite) updateNestedPanic(r reporter) {
	e := s.newEnv(r)
	before := e.snap()
	v := func() (v any) {
		defer func() { v = recover() }()
		_ = e.p.Update(e.ctx, func(tx mlsidb.Store) error {
			do(r, tx.WriteTree(e.ctx, GroupID(1), []byte("outer")), "outer WriteTree")
			return tx.Update(e.ctx, func(in mlsidb.Store) error {
				do(r, in.WriteTree(e.ctx, GroupID(2), []byte("inner")), "inner WriteTree")
				panic("conformance: inner panic")
			})
		})
		return nil
	}()
	if v != "conformance: inner panic" {
		r.Errorf("recovered %v, want the inner function's panic", v)
	}
	e.same(before, "after a panic in a nested Update")
}

// updateViewAfterReturn: the view handed to an Update function fails with
// ErrClosed for every method once Update has returned, and writes nothing.
func (s *suite) updateViewAfterReturn(r reporter, c *mgCase) {
	e := s.newEnv(r)
	var kept mlsidb.Store
	k := c.slot([]byte("group-view"), 0)
	e.must(e.p.Update(e.ctx, func(tx mlsidb.Store) error {
		kept = tx
		return c.put(e.ctx, tx, k, val("inside"))
	}), "Update")
	before := e.snap()
	for _, m := range c.methods {
		isErr(r, m.call(e.ctx, kept, k, val("after")), mlsidb.ErrClosed, m.name+" on the view after Update returned")
	}
	e.same(before, "after using the view after Update returned")
}

// updateViewAfterReturnStore: DeleteGroup and Update on the view of an
// Update that returned (successfully or not) fail with ErrClosed, and a
// nested Update on it does not run its function.
func (s *suite) updateViewAfterReturnStore(r reporter) {
	e := s.newEnv(r)
	e.mustFill(e.p, GroupID(1), "g")
	errFn := errors.New("conformance: failing on purpose")
	for _, result := range []error{nil, errFn} {
		var kept mlsidb.Store
		if err := e.p.Update(e.ctx, func(tx mlsidb.Store) error { kept = tx; return result }); err != result {
			r.Fatalf("Update returned %v, want %v", err, result)
		}
		before := e.snap()
		isErr(r, kept.DeleteGroup(e.ctx, GroupID(1)), mlsidb.ErrClosed, "DeleteGroup on the view after Update returned")
		called := false
		err := kept.Update(e.ctx, func(mlsidb.Store) error { called = true; return nil })
		isErr(r, err, mlsidb.ErrClosed, "Update on the view after Update returned")
		if called {
			r.Errorf("Update on the view after Update returned ran its function")
		}
		e.same(before, "after using the view after Update returned")
	}
}

// updateStorageProviderCode: the OpenMLS call sequences, written against
// StorageProvider, give the same result inside Update as directly.
func (s *suite) updateStorageProviderCode(r reporter) {
	e := s.newEnv(r)
	ref := s.newEnv(r)
	g := NewGroup(GroupID(1), 1)
	next := g.Next()
	enc := []byte("enc-public-key")
	steps := func(st mlsidb.StorageProvider, g *Group) error {
		if err := CreateGroup(e.ctx, st, g); err != nil {
			return err
		}
		p := mlsidb.QueuedProposal{Ref: []byte("proposal-ref"), Proposal: []byte("proposal")}
		if err := SelfUpdate(e.ctx, st, g, enc, []byte("enc-key-pair"), []byte("leaf-node"), p); err != nil {
			return err
		}
		return MergeCommit(e.ctx, st, g, next, enc)
	}
	e.must(steps(ref.p, NewGroup(GroupID(1), 1)), "the sequences run directly")
	e.must(e.p.Update(e.ctx, func(tx mlsidb.Store) error { return steps(tx, g) }), "the sequences in Update")
	e.same(ref.snap(), "after the sequences in Update, against the sequences run directly")
	got, err := LoadGroup(e.ctx, e.p, next.ID)
	e.must(err, "LoadGroup")
	if d := Diff(got, next); len(d) > 0 {
		r.Errorf("LoadGroup after MergeCommit in Update differs in %v", d)
	}
}
