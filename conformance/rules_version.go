package conformance

import (
	"context"
	"encoding/binary"
	"errors"

	"github.com/mlsidb/mlsidb"
)

// newer is a provider version newer than the code knows.
const newer = mlsidb.CurrentVersion + 1

// retag returns a copy of a raw key or value with its 2-byte version
// prefix (tag) replaced by v.
func retag(b []byte, v uint16) []byte {
	out := append([]byte(nil), b...)
	binary.BigEndian.PutUint16(out, v)
	return out
}

// versionRules: version tagging, per method group, and the meta record.
func (s *suite) versionRules(r reporter) {
	for _, c := range s.cases {
		r.Run(c.name, func(r reporter) {
			r.Run("other-version-invisible", func(r reporter) { s.otherVersion(r, c) })
			r.Run("newer-tag", func(r reporter) { s.newerTag(r, c) })
		})
	}
	r.Run("meta", func(r reporter) {
		r.Run("newer", func(r reporter) { s.metaRefused(r, mlsidb.VersionPrefix(newer)) })
		r.Run("garbled", func(r reporter) { s.metaRefused(r, []byte{0, 1, 2}) })
		r.Run("current", s.metaCurrent)
	})
}

// otherVersion: records of another version (the provider's own records,
// moved to version CurrentVersion+1 in key and value) are invisible to the
// provider and survive its deletes, DeleteGroup and writes.
func (s *suite) otherVersion(r reporter, c *mgCase) {
	e := s.newEnv(r)
	g := []byte("group-version")
	slots := []slot{c.slot(g, 0)}
	if c.multi() {
		slots = append(slots, c.slot(g, 1))
	}
	empty := e.snap()
	for i, k := range slots {
		e.must(c.put(e.ctx, e.p, k, val("v1", string(rune('a'+i)))), "write")
		if c.appends() {
			e.must(c.put(e.ctx, e.p, k, val("v1-more")), "append")
		}
	}
	written := added(empty, e.snap())
	var deletes, puts []mlsidb.Op
	for store, recs := range written {
		for _, rec := range recs {
			if len(rec.Key) < 2 || len(rec.Value) < 2 {
				r.Fatalf("store %s: record %s is shorter than its version tag", store, showKey(rec.Key))
			}
			deletes = append(deletes, mlsidb.Op{Kind: mlsidb.OpDelete, Store: store, Key: rec.Key})
			puts = append(puts, mlsidb.Op{Kind: mlsidb.OpPut, Store: store, Key: retag(rec.Key, newer), Value: retag(rec.Value, newer)})
		}
	}
	if len(puts) == 0 {
		r.Fatalf("writing %s stored no record", c.name)
	}
	e.must(e.b.Apply(e.ctx, append(deletes, puts...)), "backend Apply moving the records to another version")
	v2 := e.snap()
	for _, k := range slots {
		expect(r, e.ctx, e.p, c, k, nil, "records of another version")
	}
	for _, d := range c.dels {
		for _, k := range slots {
			if err := d.call(e.ctx, e.p, k); err != nil {
				r.Errorf("%s next to records of another version: %v", d.name, err)
			}
		}
		e.same(v2, d.name+" by the current version must leave records of another version")
	}
	w := val("v1-again")
	e.must(c.put(e.ctx, e.p, slots[0], w), "write next to records of another version")
	expect(r, e.ctx, e.p, c, slots[0], [][]byte{w}, "a write next to records of another version")
	for _, d := range c.dels {
		e.must(d.call(e.ctx, e.p, slots[0]), d.name)
	}
	e.same(v2, "deleting the current version's write must leave records of another version")
}

// newerTag: a record under the provider's key whose value tag names a
// newer version reads as ErrVersionMismatch, through every read method,
// without value bytes in the error.
func (s *suite) newerTag(r reporter, c *mgCase) {
	e := s.newEnv(r)
	secretKey := []byte("KEY-SECRET-newer-tag")
	secretVal := []byte("VALUE-SECRET-newer-tag")
	k := c.slot(secretKey, 0)
	k.key = append(k.key, secretKey...)
	empty := e.snap()
	e.must(c.put(e.ctx, e.p, k, secretVal), "write")
	var ops []mlsidb.Op
	for store, recs := range added(empty, e.snap()) {
		for _, rec := range recs {
			ops = append(ops, mlsidb.Op{Kind: mlsidb.OpPut, Store: store, Key: rec.Key, Value: retag(rec.Value, newer)})
		}
	}
	if len(ops) == 0 {
		r.Fatalf("writing %s stored no record", c.name)
	}
	e.must(e.b.Apply(e.ctx, ops), "backend Apply retagging the record")
	for _, m := range c.methods {
		if m.write {
			continue
		}
		err := m.call(e.ctx, e.p, k, nil)
		if isErr(r, err, mlsidb.ErrVersionMismatch, m.name+" of a record tagged with a newer version") {
			noBytes(r, err, m.name, secretKey, secretVal)
		}
	}
}

// metaRefused: a store whose meta record names a newer version (or does
// not decode) is refused by mlsidb.New, which then writes nothing.
func (s *suite) metaRefused(r reporter, meta []byte) {
	ctx := context.Background()
	b := s.cfg.newBackend(r)
	r.Cleanup(func() { _ = b.Close() })
	if err := b.Apply(ctx, []mlsidb.Op{{Kind: mlsidb.OpPut, Store: mlsidb.MetaStore, Key: mlsidb.MetaVersionKey, Value: meta}}); err != nil {
		r.Fatalf("backend Apply of the meta record: %v", err)
	}
	p, err := mlsidb.New(ctx, b, mlsidb.Options{})
	if err == nil {
		_ = p.Close()
	}
	isErr(r, err, mlsidb.ErrVersionMismatch, "mlsidb.New over a store with a newer or garbled meta record")
	got, err := b.Get(ctx, mlsidb.MetaStore, mlsidb.MetaVersionKey)
	if err != nil || string(got) != string(meta) {
		r.Errorf("meta record after the refused New: %s, %v; want it unchanged", show(got), err)
	}
	if n := snapOf(r, ctx, b).count(); n != 0 {
		r.Errorf("the refused New wrote %d records", n)
	}
	if id, err := b.Get(ctx, mlsidb.MetaStore, mlsidb.MetaIDKey); !errors.Is(err, mlsidb.ErrNotFound) {
		r.Errorf("the refused New wrote a store ID (%s, %v)", show(id), err)
	}
}

// metaCurrent: New records the current version in the meta record, and a
// second provider over the same backend opens it, sees the data and reports
// the same store ID.
func (s *suite) metaCurrent(r reporter) {
	e := s.newEnv(r)
	got, err := e.b.Get(e.ctx, mlsidb.MetaStore, mlsidb.MetaVersionKey)
	if err != nil || string(got) != string(mlsidb.VersionPrefix(mlsidb.CurrentVersion)) {
		r.Errorf("meta record after New: %s, %v; want %x", show(got), err, mlsidb.VersionPrefix(mlsidb.CurrentVersion))
	}
	entries := e.mustFill(e.p, GroupID(1), "g")
	p2, err := mlsidb.New(e.ctx, e.b, mlsidb.Options{})
	if err != nil {
		r.Fatalf("second mlsidb.New over the same backend: %v", err)
	}
	check(r, e.ctx, p2, entries, "through a second provider")
	if a, b := e.p.ID(), p2.ID(); len(a) != mlsidb.StoreIDLen || string(a) != string(b) {
		r.Errorf("two providers over one store report the IDs %s and %s; want one ID of %d bytes", show(a), show(b), mlsidb.StoreIDLen)
	}
	if _, err := mlsidb.New(e.ctx, e.b, mlsidb.Options{Version: newer}); !errors.Is(err, mlsidb.ErrVersionMismatch) {
		r.Errorf("mlsidb.New bound to version %d: %v, want ErrVersionMismatch", newer, err)
	}
}
