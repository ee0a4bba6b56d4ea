package conformance

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"

	"github.com/mlsidb/mlsidb"
)

// expect checks what slot k of c reads through st. A nil want means
// missing: ErrNotFound for single values, an empty list for lists.
func expect(r reporter, ctx context.Context, st mlsidb.Store, c *mgCase, k slot, want [][]byte, what string) {
	r.Helper()
	got, err := c.get(ctx, st, k)
	if want == nil {
		if c.single() {
			if !errors.Is(err, mlsidb.ErrNotFound) {
				r.Errorf("%s: %s reads %s, error %v; want ErrNotFound", what, c.name, showList(got), err)
			}
			return
		}
		if err != nil || len(got) != 0 {
			r.Errorf("%s: %s reads %s, error %v; want an empty list", what, c.name, showList(got), err)
		}
		return
	}
	if err != nil {
		r.Errorf("%s: %s: %v", what, c.name, err)
		return
	}
	if !equalLists(got, want) {
		r.Errorf("%s: %s reads %s, want %s", what, c.name, showList(got), showList(want))
	}
}

// entry is a slot written by fill and what it must read.
type entry struct {
	c    *mgCase
	k    slot
	want [][]byte
}

// fill writes into every method group through st: for group g in the
// group-scoped ones (two leaf nodes, two queued proposals, two epoch key
// pair lists) and under keys derived from g in the global ones (two keys).
// It returns the slots written and what they read.
func (s *suite) fill(ctx context.Context, st mlsidb.Store, g []byte, label string) ([]entry, error) {
	var out []entry
	for _, c := range s.cases {
		n := 1
		if c.multi() {
			n = 2
		}
		for i := 0; i < n; i++ {
			k := c.slot(g, i)
			var want [][]byte
			items := 1
			if c.appends() {
				items = 2
			}
			for j := 0; j < items; j++ {
				v := val(label, c.name, string(rune('a'+i)), string(rune('0'+j)))
				if err := c.put(ctx, st, k, v); err != nil {
					return nil, err
				}
				want = append(want, v)
			}
			out = append(out, entry{c: c, k: k, want: want})
		}
	}
	return out, nil
}

// mustFill is fill that fails the test on error.
func (e *env) mustFill(st mlsidb.Store, g []byte, label string) []entry {
	e.r.Helper()
	entries, err := e.s.fill(e.ctx, st, g, label)
	e.must(err, "writing group "+label)
	return entries
}

// check checks that every entry reads what was written.
func check(r reporter, ctx context.Context, st mlsidb.Store, entries []entry, what string) {
	r.Helper()
	for _, en := range entries {
		expect(r, ctx, st, en.c, en.k, en.want, what)
	}
}

// checkGone checks that every entry reads as missing.
func checkGone(r reporter, ctx context.Context, st mlsidb.Store, entries []entry, what string) {
	r.Helper()
	for _, en := range entries {
		expect(r, ctx, st, en.c, en.k, nil, what)
	}
}

// split returns the group-scoped and the global entries.
func split(entries []entry) (scoped, global []entry) {
	for _, en := range entries {
		if en.c.groupScoped() {
			scoped = append(scoped, en)
		} else {
			global = append(global, en)
		}
	}
	return scoped, global
}

// roundTrip: a value comes back as written; the caller may reuse the
// slices it passed and modify the slices it got; keys of exactly
// MaxKeyLen bytes work.
func (s *suite) roundTrip(r reporter, c *mgCase) {
	e := s.newEnv(r)
	k := c.slot([]byte("group-round-trip"), 0)
	v := make([]byte, 600)
	for i := range v {
		v[i] = byte(i)
	}
	in := bytes.Clone(v)
	e.must(c.put(e.ctx, e.p, k, in), "write")
	for i := range in {
		in[i] = 0xAA
	}
	expect(r, e.ctx, e.p, c, k, [][]byte{v}, "after a write (and the caller reusing its slice)")
	got, err := c.get(e.ctx, e.p, k)
	e.must(err, "read")
	for _, item := range got {
		for i := range item {
			item[i] = 0x55
		}
	}
	expect(r, e.ctx, e.p, c, k, [][]byte{v}, "after the caller modified what a read returned")

	long := k
	for _, p := range c.parts() {
		long = long.with(p, bytes.Repeat([]byte{byte('0' + p)}, mlsidb.MaxKeyLen))
	}
	w := val("max-len-key")
	e.must(c.put(e.ctx, e.p, long, w), "write with keys of MaxKeyLen bytes")
	expect(r, e.ctx, e.p, c, long, [][]byte{w}, "keys of MaxKeyLen bytes")
	expect(r, e.ctx, e.p, c, k, [][]byte{v}, "the other slot, after writing keys of MaxKeyLen bytes")
	for _, d := range c.dels[:1] {
		e.must(d.call(e.ctx, e.p, long), d.name+" with keys of MaxKeyLen bytes")
	}
	expect(r, e.ctx, e.p, c, long, nil, "keys of MaxKeyLen bytes, deleted")
}

// upsert: writing twice replaces (own leaf nodes: appends), and leaves one
// record per slot.
func (s *suite) upsert(r reporter, c *mgCase) {
	e := s.newEnv(r)
	before := e.snap()
	k := c.slot([]byte("group-upsert"), 0)
	v1, v2 := val("first"), val("second")
	e.must(c.put(e.ctx, e.p, k, v1), "first write")
	e.must(c.put(e.ctx, e.p, k, v2), "second write")
	want, records := [][]byte{v2}, 1
	if c.appends() {
		want, records = [][]byte{v1, v2}, 2
	}
	expect(r, e.ctx, e.p, c, k, want, "after two writes")
	if n := e.snap().count() - before.count(); n != records {
		r.Errorf("two writes to one slot left %d records, want %d", n, records)
	}
}

// missing: a missing single value is ErrNotFound (an *mlsidb.Error naming
// the method and method group, without key bytes); a missing list is an
// empty list.
func (s *suite) missing(r reporter, c *mgCase) {
	e := s.newEnv(r)
	secret := []byte("KEY-SECRET-missing")
	other := c.slot([]byte("group-present"), 0)
	e.must(c.put(e.ctx, e.p, other, val("present")), "write another slot")
	k := c.slot(secret, 0)
	k.key = append(k.key, "KEY-SECRET-ref"...)
	expect(r, e.ctx, e.p, c, k, nil, "never written")
	if !c.single() {
		return
	}
	_, err := c.get(e.ctx, e.p, k)
	noBytes(r, err, "ErrNotFound", secret)
	var me *mlsidb.Error
	if !errors.As(err, &me) {
		r.Errorf("ErrNotFound is a %T, want an *mlsidb.Error", err)
	} else if me.Op != c.methods[1].name || me.Group != c.info.Group {
		r.Errorf("ErrNotFound names op %q and method group %v, want %q and %v", me.Op, me.Group, c.methods[1].name, c.info.Group)
	}
}

// emptyValue: a stored empty value (or nil, stored as empty) is not
// missing and reads back as an empty, non-nil slice.
func (s *suite) emptyValue(r reporter, c *mgCase) {
	e := s.newEnv(r)
	for i, in := range [][]byte{{}, nil} {
		what := "stored empty value"
		if in == nil {
			what = "stored nil value"
		}
		k := c.slot([]byte("group-empty"), 0)
		k.group = append(k.group, byte('0'+i))
		if c.kind == kindGlobal {
			k.key = append(k.key, byte('0'+i))
		}
		e.must(c.put(e.ctx, e.p, k, in), "write "+what)
		got, err := c.get(e.ctx, e.p, k)
		switch {
		case errors.Is(err, mlsidb.ErrNotFound):
			r.Errorf("%s reads as missing", what)
		case err != nil:
			r.Errorf("%s: %v", what, err)
		case len(got) != 1:
			r.Errorf("%s: %s reads %s, want one empty item", what, c.name, showList(got))
		case got[0] == nil || len(got[0]) != 0:
			r.Errorf("%s: reads %s, want an empty non-nil slice", what, show(got[0]))
		}
	}
}

// largeValue: 1 MiB values round-trip and leave nothing once deleted.
func (s *suite) largeValue(r reporter, c *mgCase) {
	e := s.newEnv(r)
	before := e.snap()
	var seed [32]byte
	seed[0] = byte(c.info.Group)
	v := make([]byte, 1<<20)
	_, _ = rand.NewChaCha8(seed).Read(v)
	k := c.slot([]byte("group-large"), 0)
	e.must(c.put(e.ctx, e.p, k, v), "write 1 MiB")
	expect(r, e.ctx, e.p, c, k, [][]byte{v}, "1 MiB value")
	e.must(c.dels[0].call(e.ctx, e.p, k), "delete 1 MiB")
	expect(r, e.ctx, e.p, c, k, nil, "1 MiB value, deleted")
	e.same(before, "after deleting a 1 MiB value")
}

// deleteAbsent: every delete of what is not there succeeds and changes
// nothing.
func (s *suite) deleteAbsent(r reporter, c *mgCase) {
	e := s.newEnv(r)
	present := c.slot([]byte("group-present"), 0)
	v := val("present")
	e.must(c.put(e.ctx, e.p, present, v), "write")
	before := e.snap()
	for _, d := range c.dels {
		if err := d.call(e.ctx, e.p, c.slot([]byte("group-absent"), 0)); err != nil {
			r.Errorf("%s of an absent group or key: %v", d.name, err)
		}
		if c.multi() && !d.whole {
			if err := d.call(e.ctx, e.p, c.slot([]byte("group-present"), 5)); err != nil {
				r.Errorf("%s of an absent slot next to a present one: %v", d.name, err)
			}
		}
	}
	e.same(before, "after deleting what is absent")
	expect(r, e.ctx, e.p, c, present, [][]byte{v}, "the present slot")
}

// noLeftovers: after each kind of delete, directly, in an Update after a
// direct write, and written and deleted in one Update, the backend holds
// exactly what it held before the write.
func (s *suite) noLeftovers(r reporter, c *mgCase) {
	for _, d := range c.dels {
		for _, mode := range []string{"", "-in-update", "-same-update"} {
			r.Run(d.name+mode, func(r reporter) { s.noLeftoversCase(r, c, d, mode) })
		}
	}
}

func (s *suite) noLeftoversCase(r reporter, c *mgCase, d deleter, mode string) {
	e := s.newEnv(r)
	other := c.slot([]byte("group-other"), 0)
	ov := val("other")
	e.must(c.put(e.ctx, e.p, other, ov), "write another group")
	before := e.snap()
	g := []byte("group-deleted")
	slots := []slot{c.slot(g, 0)}
	if c.multi() {
		slots = append(slots, c.slot(g, 1), c.slot(g, 2))
	}
	write := func(st mlsidb.Store) error {
		for i, k := range slots {
			if err := c.put(e.ctx, st, k, val("doomed", string(rune('a'+i)))); err != nil {
				return err
			}
			if c.appends() {
				for j := 0; j < 2; j++ {
					if err := c.put(e.ctx, st, k, val("doomed-more", string(rune('a'+j)))); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	del := func(st mlsidb.Store) error {
		for _, k := range slots {
			if err := d.call(e.ctx, st, k); err != nil {
				return err
			}
			if d.whole {
				break
			}
		}
		return nil
	}
	switch mode {
	case "":
		e.must(write(e.p), "write")
		e.must(del(e.p), d.name)
	case "-in-update":
		e.must(write(e.p), "write")
		e.must(e.p.Update(e.ctx, func(tx mlsidb.Store) error { return del(tx) }), d.name+" in Update")
	case "-same-update":
		e.must(e.p.Update(e.ctx, func(tx mlsidb.Store) error {
			if err := write(tx); err != nil {
				return err
			}
			return del(tx)
		}), "write and "+d.name+" in one Update")
	}
	e.same(before, "after "+d.name)
	for _, k := range slots {
		expect(r, e.ctx, e.p, c, k, nil, "after "+d.name)
	}
	expect(r, e.ctx, e.p, c, other, [][]byte{ov}, "the other group after "+d.name)
}

// deleteGroupRules: DeleteGroup removes every group-scoped record of one
// group and nothing else.
func (s *suite) deleteGroupRules(r reporter) {
	r.Run("all-method-groups", func(r reporter) {
		e := s.newEnv(r)
		g, h := GroupID(1), GroupID(2)
		hEntries := e.mustFill(e.p, h, "h")
		before := e.snap()
		gEntries := e.mustFill(e.p, g, "g")
		full := e.snap()
		e.must(e.p.DeleteGroup(e.ctx, g), "DeleteGroup")
		// Group-scoped stores are back to before; global stores keep what
		// group g's fill wrote there.
		want := snapshot{}
		for _, c := range s.cases {
			if c.groupScoped() {
				want[c.name] = before[c.name]
			} else {
				want[c.name] = full[c.name]
			}
		}
		e.same(want, "after DeleteGroup")
		scoped, global := split(gEntries)
		checkGone(r, e.ctx, e.p, scoped, "the deleted group")
		check(r, e.ctx, e.p, global, "global method groups after DeleteGroup")
		check(r, e.ctx, e.p, hEntries, "the other group after DeleteGroup")
	})
	r.Run("absent", func(r reporter) {
		e := s.newEnv(r)
		e.mustFill(e.p, GroupID(1), "g")
		before := e.snap()
		e.must(e.p.DeleteGroup(e.ctx, GroupID(3)), "DeleteGroup of an absent group")
		e.same(before, "after DeleteGroup of an absent group")
	})
}

// applyCounter counts the batches a provider hands its backend.
type applyCounter struct {
	mlsidb.Backend
	n atomic.Int32
}

// Apply implements mlsidb.Backend.
func (a *applyCounter) Apply(ctx context.Context, ops []mlsidb.Op) error {
	a.n.Add(1)
	return a.Backend.Apply(ctx, ops)
}

// newCountingEnv is newEnv with the backend wrapped in an applyCounter.
func (s *suite) newCountingEnv(r reporter) (*env, *applyCounter) {
	r.Helper()
	var counter *applyCounter
	inner := s.cfg.newBackend
	s2 := *s
	s2.cfg.newBackend = func(r reporter) mlsidb.Backend {
		b := inner(r)
		if b == nil {
			return nil
		}
		counter = &applyCounter{Backend: b}
		return counter
	}
	e := s2.newEnv(r)
	e.s = s
	return e, counter
}

// singleCall: every write call of the method group, and every delete,
// reaches the backend as at most one batch, so it is atomic on its own
// (a queued proposal's body and place are written together).
func (s *suite) singleCall(r reporter, c *mgCase) {
	e, counter := s.newCountingEnv(r)
	k := c.slot([]byte("group-single-call"), 0)
	e.must(c.put(e.ctx, e.p, k, val("before")), "write")
	calls := append([]method(nil), c.methods...)
	for _, d := range c.dels {
		calls = append(calls, method{name: d.name, write: true, call: func(ctx context.Context, st mlsidb.Store, k slot, _ []byte) error { return d.call(ctx, st, k) }})
	}
	for _, m := range calls {
		if !m.write {
			continue
		}
		for _, v := range [][]byte{val("first"), val("again")} {
			counter.n.Store(0)
			e.must(m.call(e.ctx, e.p, k, v), m.name)
			if n := counter.n.Load(); n > 1 {
				r.Errorf("%s handed the backend %d batches, want at most one", m.name, n)
			}
		}
	}
}

// atomicRules: every call and every Update reaches the backend as one
// batch; a batch the backend cannot complete changes nothing; an Update
// and a DeleteGroup either take effect whole or not at all.
func (s *suite) atomicRules(r reporter) {
	s.perGroup(r, "single-call", nil, s.singleCall)
	r.Run("one-batch", func(r reporter) {
		e, counter := s.newCountingEnv(r)
		e.mustFill(e.p, GroupID(1), "g")
		counter.n.Store(0)
		e.must(e.p.Update(e.ctx, func(tx mlsidb.Store) error {
			if _, err := s.fill(e.ctx, tx, GroupID(2), "h"); err != nil {
				return err
			}
			return tx.DeleteGroup(e.ctx, GroupID(1))
		}), "Update")
		if n := counter.n.Load(); n != 1 {
			r.Errorf("an Update of many writes handed the backend %d batches, want one", n)
		}
		counter.n.Store(0)
		e.must(e.p.DeleteGroup(e.ctx, GroupID(2)), "DeleteGroup")
		if n := counter.n.Load(); n != 1 {
			r.Errorf("DeleteGroup handed the backend %d batches, want one", n)
		}
	})
	r.Run("backend-batch", func(r reporter) {
		e := s.newEnv(r)
		before := e.snap()
		var ops []mlsidb.Op
		for i := 0; i < 5; i++ {
			ops = append(ops, mlsidb.Op{Kind: mlsidb.OpPut, Store: "psk", Key: []byte{0xFF, 0xFE, byte(i)}, Value: []byte{byte(i)}})
		}
		ops = append(ops, mlsidb.Op{Kind: 0, Store: "psk", Key: []byte{0xFF, 0xFE, 9}})
		if err := e.b.Apply(e.ctx, ops); err == nil {
			r.Errorf("Apply of a batch with an op of unknown kind succeeded; want an error")
		}
		e.same(before, "after a batch that failed")
	})
	r.Run("update", func(r reporter) {
		e := s.newEnv(r)
		old := e.mustFill(e.p, GroupID(1), "old")
		before := e.snap()
		var entries []entry
		err := e.p.Update(e.ctx, func(tx mlsidb.Store) error {
			var err error
			if entries, err = s.fill(e.ctx, tx, GroupID(2), "new"); err != nil {
				return err
			}
			return tx.DeleteGroup(e.ctx, GroupID(1))
		})
		if err != nil {
			r.Errorf("Update of %d writes: %v", len(entries), err)
			e.same(before, "after an Update that failed")
			return
		}
		check(r, e.ctx, e.p, entries, "after the Update")
		scoped, _ := split(old)
		checkGone(r, e.ctx, e.p, scoped, "the group deleted in the Update")
	})
	r.Run("delete-group", func(r reporter) {
		e := s.newEnv(r)
		entries := e.mustFill(e.p, GroupID(1), "g")
		before := e.snap()
		if err := e.p.DeleteGroup(e.ctx, GroupID(1)); err != nil {
			r.Errorf("DeleteGroup: %v", err)
			e.same(before, "after a DeleteGroup that failed")
			return
		}
		scoped, _ := split(entries)
		checkGone(r, e.ctx, e.p, scoped, "after DeleteGroup")
	})
}
