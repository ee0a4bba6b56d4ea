package conformance

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mlsidb/mlsidb"
)

// groupLockRules: Provider.WithGroupLock over the backend gives exclusive
// access per group, independent between groups, a wait that a context
// bounds, a lock released whatever fn does, and no re-entry.
func (s *suite) groupLockRules(r reporter) {
	r.Run("exclusive", s.groupLockExclusive)
	r.Run("independent-groups", s.groupLockIndependent)
	r.Run("wait-ends-with-ctx", s.groupLockWaitEnds)
	r.Run("released", s.groupLockReleased)
	r.Run("not-reentrant", s.groupLockNotReentrant)
	r.Run("bad-input", s.groupLockBadInput)
	r.Run("writes-not-blocked", s.groupLockWritesGoOn)
	r.Run("shared", s.groupLockShared)
}

// lockWait is how long a contended WithGroupLock waits in the cases that
// expect it to give up: the lock is held all along, so the wait fails
// however long it is; it only needs to be short.
const lockWait = 50 * time.Millisecond

// holdLock takes the group's lock in a goroutine and keeps it until the
// returned release is called. It fails the test when the lock cannot be
// taken within deadlockTimeout.
func holdLock(r reporter, p *mlsidb.Provider, g []byte) (release func()) {
	r.Helper()
	held := make(chan error, 1)
	done := make(chan struct{})
	ended := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), deadlockTimeout)
	go func() {
		defer close(ended)
		err := p.WithGroupLock(ctx, g, func(context.Context) error {
			held <- nil
			<-done
			return nil
		})
		if err != nil {
			held <- err
		}
	}()
	if err := <-held; err != nil {
		cancel()
		r.Fatalf("WithGroupLock to hold the lock: %v", err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-ended
			cancel()
		})
	}
}

// groupLockExclusive: goroutines that increment a plain counter inside the
// lock never overlap (the race detector would also see them).
func (s *suite) groupLockExclusive(r reporter) {
	e := s.newEnv(r)
	g := []byte("group-locked")
	var (
		counter int // guarded by the group lock only
		inside  atomic.Int32
		wg      sync.WaitGroup
	)
	l := &errorLimit{r: r}
	const goroutines, rounds = 6, 20
	for w := 0; w < goroutines; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				ctx, cancel := context.WithTimeout(e.ctx, deadlockTimeout)
				err := e.p.WithGroupLock(ctx, g, func(context.Context) error {
					if n := inside.Add(1); n != 1 {
						l.Errorf("%d goroutines inside the group lock at once", n)
					}
					v := counter
					runtime.Gosched()
					counter = v + 1
					inside.Add(-1)
					return nil
				})
				cancel()
				if err != nil {
					l.Errorf("WithGroupLock: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if counter != goroutines*rounds {
		r.Errorf("the counter incremented under the group lock is %d, want %d: sections overlapped", counter, goroutines*rounds)
	}
}

// groupLockIndependent: holding one group's lock does not hold up another
// group's, even one whose id starts with the first.
func (s *suite) groupLockIndependent(r reporter) {
	e := s.newEnv(r)
	release := holdLock(r, e.p, []byte("group"))
	defer release()
	for _, other := range [][]byte{[]byte("group-2"), []byte("grou"), []byte("Group")} {
		ctx, cancel := context.WithTimeout(e.ctx, deadlockTimeout)
		ran := false
		err := e.p.WithGroupLock(ctx, other, func(context.Context) error { ran = true; return nil })
		cancel()
		if err != nil || !ran {
			r.Errorf("WithGroupLock of %q while %q is held: ran %v, %v", other, "group", ran, err)
		}
	}
}

// groupLockWaitEnds: a wait for a held lock ends with its context, fn does
// not run, and the abandoned wait leaves the lock usable.
func (s *suite) groupLockWaitEnds(r reporter) {
	e := s.newEnv(r)
	g := []byte("group-contended")
	release := holdLock(r, e.p, g)
	ctx, cancel := context.WithTimeout(e.ctx, lockWait)
	ran := false
	err := e.p.WithGroupLock(ctx, g, func(context.Context) error { ran = true; return nil })
	cancel()
	if ran || !errors.Is(err, context.DeadlineExceeded) {
		r.Errorf("WithGroupLock of a held group with a %v deadline: ran %v, error %v; want context.DeadlineExceeded", lockWait, ran, err)
	}
	var me *mlsidb.Error
	if !errors.As(err, &me) || me.Op != "WithGroupLock" {
		r.Errorf("the error of a wait that ended is %T %v; want an *mlsidb.Error of WithGroupLock", err, err)
	}
	cancelled, cancelNow := context.WithCancel(e.ctx)
	cancelNow()
	if err := e.p.WithGroupLock(cancelled, []byte("group-free"), func(context.Context) error { ran = true; return nil }); ran || !errors.Is(err, context.Canceled) {
		r.Errorf("WithGroupLock with a cancelled context: ran %v, %v; want context.Canceled", ran, err)
	}
	release()
	ctx, cancel = context.WithTimeout(e.ctx, deadlockTimeout)
	defer cancel()
	if err := e.p.WithGroupLock(ctx, g, func(context.Context) error { ran = true; return nil }); err != nil || !ran {
		r.Errorf("WithGroupLock after an abandoned wait: ran %v, %v", ran, err)
	}
}

var errInFn = errors.New("conformance: fn fails on purpose")

// groupLockReleased: fn's error comes back unchanged, and the lock is
// free again after fn returned an error or panicked.
func (s *suite) groupLockReleased(r reporter) {
	e := s.newEnv(r)
	g := []byte("group-release")
	again := func(what string) {
		r.Helper()
		ctx, cancel := context.WithTimeout(e.ctx, deadlockTimeout)
		defer cancel()
		if err := e.p.WithGroupLock(ctx, g, func(context.Context) error { return nil }); err != nil {
			r.Errorf("WithGroupLock after %s: %v", what, err)
		}
	}
	if err := e.p.WithGroupLock(e.ctx, g, func(context.Context) error { return errInFn }); err != errInFn {
		r.Errorf("WithGroupLock returned %v, want fn's own error unchanged", err)
	}
	again("fn returned an error")
	func() {
		defer func() {
			if v := recover(); v != "conformance: panic in fn" {
				r.Errorf("the panic of fn came back as %v", v)
			}
		}()
		_ = e.p.WithGroupLock(e.ctx, g, func(context.Context) error { panic("conformance: panic in fn") })
	}()
	again("fn panicked")
}

// groupLockNotReentrant: taking the same group's lock again with fn's
// context fails at once; taking another group's works; inside Update it is
// refused.
func (s *suite) groupLockNotReentrant(r reporter) {
	e := s.newEnv(r)
	g := []byte("group-outer")
	ctx, cancel := context.WithTimeout(e.ctx, deadlockTimeout)
	defer cancel()
	err := e.p.WithGroupLock(ctx, g, func(ctx context.Context) error {
		inner := e.p.WithGroupLock(ctx, g, func(context.Context) error {
			r.Errorf("a nested WithGroupLock of the same group ran its function")
			return nil
		})
		isErr(r, inner, mlsidb.ErrInvalidArgument, "nested WithGroupLock of the same group")
		ran := false
		if err := e.p.WithGroupLock(ctx, []byte("group-inner"), func(context.Context) error { ran = true; return nil }); err != nil || !ran {
			r.Errorf("nested WithGroupLock of another group: ran %v, %v", ran, err)
		}
		return nil
	})
	if err != nil {
		r.Errorf("outer WithGroupLock: %v", err)
	}
	type groupLocker interface {
		WithGroupLock(ctx context.Context, groupID []byte, fn func(context.Context) error) error
	}
	err = e.p.Update(ctx, func(tx mlsidb.Store) error {
		gl, ok := tx.(groupLocker)
		if !ok {
			return nil // the view has no WithGroupLock at all: fine
		}
		return gl.WithGroupLock(ctx, g, func(context.Context) error {
			r.Errorf("WithGroupLock inside Update ran its function")
			return nil
		})
	})
	if err != nil {
		isErr(r, err, mlsidb.ErrInvalidArgument, "WithGroupLock inside Update")
	}
}

// groupLockBadInput: an empty group id, a nil function and a closed
// provider are refused.
func (s *suite) groupLockBadInput(r reporter) {
	e := s.newEnv(r)
	fn := func(context.Context) error { r.Errorf("WithGroupLock ran fn despite bad input"); return nil }
	isErr(r, e.p.WithGroupLock(e.ctx, nil, fn), mlsidb.ErrInvalidArgument, "WithGroupLock with an empty group id")
	isErr(r, e.p.WithGroupLock(e.ctx, []byte("g"), nil), mlsidb.ErrInvalidArgument, "WithGroupLock with a nil function")
	isErr(r, e.p.WithGroupLock(e.ctx, make([]byte, mlsidb.MaxKeyLen+1), fn), mlsidb.ErrInvalidArgument, "WithGroupLock with an over-long group id")
	e.must(e.p.Close(), "Close")
	isErr(r, e.p.WithGroupLock(e.ctx, []byte("g"), fn), mlsidb.ErrClosed, "WithGroupLock on a closed provider")
}

// groupLockWritesGoOn: the group lock is advisory: writes to the group
// (through the provider, and inside fn) do not wait for it.
func (s *suite) groupLockWritesGoOn(r reporter) {
	e := s.newEnv(r)
	g := []byte("group-writes")
	ctx, cancel := context.WithTimeout(e.ctx, deadlockTimeout)
	defer cancel()
	err := e.p.WithGroupLock(ctx, g, func(ctx context.Context) error {
		if err := e.p.WriteTree(ctx, g, []byte("tree")); err != nil {
			return err
		}
		return e.p.Update(ctx, func(tx mlsidb.Store) error { return tx.AppendOwnLeafNode(ctx, g, []byte("leaf")) })
	})
	if err != nil {
		r.Errorf("writes inside WithGroupLock: %v", err)
	}
	if tree, err := e.p.Tree(ctx, g); err != nil || string(tree) != "tree" {
		r.Errorf("tree written inside WithGroupLock: %s, %v", show(tree), err)
	}
}

// groupLockShared: a provider over a second connection to the same data
// waits for a group lock the first holds.
func (s *suite) groupLockShared(r reporter) {
	if s.cfg.share == nil {
		r.Skip("backend cannot be shared (Options.Share is nil)")
	}
	e := s.newEnv(r)
	e2 := s.shareEnv(r, e)
	g := []byte("group-two-connections")
	release := holdLock(r, e.p, g)
	ctx, cancel := context.WithTimeout(e.ctx, lockWait)
	ran := false
	err := e2.p.WithGroupLock(ctx, g, func(context.Context) error { ran = true; return nil })
	cancel()
	if ran || !errors.Is(err, context.DeadlineExceeded) {
		r.Errorf("the second connection took a group lock the first holds: ran %v, %v", ran, err)
	}
	release()
	ctx, cancel = context.WithTimeout(e.ctx, deadlockTimeout)
	defer cancel()
	if err := e2.p.WithGroupLock(ctx, g, func(context.Context) error { ran = true; return nil }); err != nil || !ran {
		r.Errorf("the second connection after the first released the group: ran %v, %v", ran, err)
	}
}
