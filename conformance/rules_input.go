package conformance

import (
	"context"
	"errors"

	"github.com/mlsidb/mlsidb"
)

var (
	secretKey = []byte("KEY-SECRET-bad-input")
	secretVal = []byte("VALUE-SECRET-bad-input")
)

// badKey is a key every method refuses.
type badKey struct {
	name string
	key  []byte
}

// badKeys returns nil, empty and over-long keys; the long one repeats
// secretKey.
func badKeys() []badKey {
	long := make([]byte, 0, mlsidb.MaxKeyLen+len(secretKey))
	for len(long) <= mlsidb.MaxKeyLen {
		long = append(long, secretKey...)
	}
	return []badKey{{"nil", nil}, {"empty", []byte{}}, {"too-long", long[:mlsidb.MaxKeyLen+1]}}
}

// badInputRules: bad keys, nil functions and cancelled contexts are
// refused, write nothing, and leak no key or value bytes into errors.
func (s *suite) badInputRules(r reporter) {
	for _, c := range s.cases {
		r.Run(c.name, func(r reporter) {
			r.Run("keys", func(r reporter) { s.badKeysCase(r, c) })
			r.Run("cancelled-ctx", func(r reporter) { s.cancelledCase(r, c) })
		})
	}
	r.Run("delete-group", s.badDeleteGroup)
	r.Run("update", s.badUpdate)
	r.Run("new", s.badNew)
}

// secretSlot returns a valid slot of c whose key parts hold secretKey.
func secretSlot(c *mgCase) slot {
	k := c.slot(secretKey, 0)
	for _, p := range c.parts() {
		k = k.with(p, append([]byte(nil), secretKey...))
	}
	return k
}

func (s *suite) badKeysCase(r reporter, c *mgCase) {
	e := s.newEnv(r)
	e.mustFill(e.p, GroupID(1), "g")
	before := e.snap()
	good := secretSlot(c)
	for _, m := range c.methods {
		for _, p := range m.parts {
			for _, bad := range badKeys() {
				what := m.name + " with a " + bad.name + " " + p.String()
				err := m.call(e.ctx, e.p, good.with(p, bad.key), secretVal)
				if !isErr(r, err, mlsidb.ErrInvalidArgument, what) {
					continue
				}
				noBytes(r, err, what, secretKey, secretVal)
				var me *mlsidb.Error
				if !errors.As(err, &me) || me.Op != m.name || me.Group != c.info.Group {
					r.Errorf("%s: error %#v does not name the method and method group", what, err)
				}
			}
		}
	}
	e.same(before, "after calls with bad keys")
}

func (s *suite) cancelledCase(r reporter, c *mgCase) {
	e := s.newEnv(r)
	e.mustFill(e.p, GroupID(1), "g")
	before := e.snap()
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	for _, m := range c.methods {
		for _, k := range []slot{c.slot(GroupID(1), 0), c.slot(GroupID(2), 0)} {
			err := m.call(ctx, e.p, k, secretVal)
			isErr(r, err, context.Canceled, m.name+" with a cancelled context")
		}
	}
	e.same(before, "after calls with a cancelled context")
}

func (s *suite) badDeleteGroup(r reporter) {
	e := s.newEnv(r)
	e.mustFill(e.p, GroupID(1), "g")
	before := e.snap()
	for _, bad := range badKeys() {
		err := e.p.DeleteGroup(e.ctx, bad.key)
		if isErr(r, err, mlsidb.ErrInvalidArgument, "DeleteGroup with a "+bad.name+" group id") {
			noBytes(r, err, "DeleteGroup", secretKey)
		}
	}
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	isErr(r, e.p.DeleteGroup(ctx, GroupID(1)), context.Canceled, "DeleteGroup with a cancelled context")
	e.same(before, "after refused DeleteGroup calls")
}

func (s *suite) badUpdate(r reporter) {
	e := s.newEnv(r)
	e.mustFill(e.p, GroupID(1), "g")
	before := e.snap()
	isErr(r, e.p.Update(e.ctx, nil), mlsidb.ErrInvalidArgument, "Update with a nil function")
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	err := e.p.Update(ctx, func(tx mlsidb.Store) error {
		_, err := s.fill(e.ctx, tx, GroupID(2), "h")
		return err
	})
	isErr(r, err, context.Canceled, "Update with a cancelled context")
	e.must(e.p.Update(e.ctx, func(tx mlsidb.Store) error {
		isErr(r, tx.Update(e.ctx, nil), mlsidb.ErrInvalidArgument, "nested Update with a nil function")
		err := tx.WriteTree(e.ctx, nil, secretVal)
		isErr(r, err, mlsidb.ErrInvalidArgument, "WriteTree with a nil group id inside Update")
		return nil
	}), "Update")
	e.same(before, "after refused Updates")
}

func (s *suite) badNew(r reporter) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := s.cfg.newBackend(r)
	r.Cleanup(func() { _ = b.Close() })
	p, err := mlsidb.New(ctx, b, mlsidb.Options{})
	if err == nil {
		_ = p.Close()
	}
	isErr(r, err, context.Canceled, "mlsidb.New with a cancelled context")
	if v, err := b.Get(context.Background(), mlsidb.MetaStore, mlsidb.MetaVersionKey); !errors.Is(err, mlsidb.ErrNotFound) {
		r.Errorf("mlsidb.New with a cancelled context wrote the meta record (%s, %v)", show(v), err)
	}
	if v, err := b.Get(context.Background(), mlsidb.MetaStore, mlsidb.MetaIDKey); !errors.Is(err, mlsidb.ErrNotFound) {
		r.Errorf("mlsidb.New with a cancelled context wrote a store ID (%s, %v)", show(v), err)
	}
	_, err = mlsidb.New(context.Background(), nil, mlsidb.Options{})
	isErr(r, err, mlsidb.ErrInvalidArgument, "mlsidb.New with a nil backend")
}

// closedGroup: every method of a closed provider fails with ErrClosed, as
// do DeleteGroup and Update; closing again succeeds.
func (s *suite) closedGroup(r reporter, c *mgCase) {
	e := s.newEnv(r)
	e.mustFill(e.p, GroupID(1), "g")
	e.must(e.p.Close(), "Close")
	for _, m := range c.methods {
		isErr(r, m.call(e.ctx, e.p, c.slot(GroupID(1), 0), val("closed")), mlsidb.ErrClosed, m.name+" on a closed provider")
	}
	isErr(r, e.p.DeleteGroup(e.ctx, GroupID(1)), mlsidb.ErrClosed, "DeleteGroup on a closed provider")
	called := false
	isErr(r, e.p.Update(e.ctx, func(mlsidb.Store) error { called = true; return nil }), mlsidb.ErrClosed, "Update on a closed provider")
	if called {
		r.Errorf("Update on a closed provider ran its function")
	}
	if err := e.p.Close(); err != nil {
		r.Errorf("closing a closed provider: %v", err)
	}
}
