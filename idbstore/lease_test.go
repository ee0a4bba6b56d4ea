//go:build js && wasm

package idbstore

import (
	"context"
	"errors"
	"syscall/js"
	"testing"
	"time"

	"github.com/mlsidb/mlsidb/jsbridge"
)

// lockFree reports whether the writer Web Lock of the database is free: a
// request with ifAvailable gets it (and gives it back).
func lockFree(t *testing.T, b *Backend) bool {
	t.Helper()
	ch := make(chan func(), 1)
	errc := make(chan error, 1)
	jsbridge.WebLockTryAsync(b.locks, b.writerLock, func(unlock func(), err error) {
		if err != nil {
			errc <- err
			return
		}
		ch <- unlock
	})
	select {
	case err := <-errc:
		t.Fatal(err)
	case unlock := <-ch:
		if unlock != nil {
			unlock()
			return true
		}
	}
	return false
}

// eventually polls cond for up to 10 s (the lease timings in these tests
// are milliseconds or hours, so no result depends on the machine's speed).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal(what)
}

func write(t *testing.T, b *Backend) {
	t.Helper()
	unlock, err := b.Lock(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	unlock()
}

func (l *writerLease) isHeld() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held
}

// The writer lock stays with the connection after a write (no other
// connection can take it meanwhile) until another connection asks for it:
// that one gets it without waiting for the idle timeout (an hour here).
func TestWriterLeaseHandsOverWhenAsked(t *testing.T) {
	name := uniqueName(t)
	b1 := openNamed(t, name, Options{LeaseIdle: time.Hour})
	b2 := openNamed(t, name, Options{LeaseIdle: time.Hour})
	for i := 0; i < 3; i++ {
		write(t, b1)
		if !b1.lease.isHeld() {
			t.Fatal("the lease was given up after a write though nobody asked")
		}
		if lockFree(t, b1) {
			t.Fatal("another request got the writer lock while the lease held it")
		}
		ctx, cancel := context.WithTimeout(testCtx(t), 10*time.Second)
		unlock, err := b2.Lock(ctx) // asks b1 on the lock channel
		cancel()
		if err != nil {
			t.Fatalf("round %d: the second connection did not get the lock: %v", i, err)
		}
		if b1.lease.isHeld() {
			t.Fatal("both connections hold the writer lock")
		}
		unlock()
	}
}

// twoLeasing opens two connections to a new database, with leases that
// never time out, the first holding the writer lock.
func twoLeasing(t *testing.T) (b1, b2 *Backend, unlock1 func()) {
	t.Helper()
	name := uniqueName(t)
	b1 = openNamed(t, name, Options{LeaseIdle: time.Hour})
	b2 = openNamed(t, name, Options{LeaseIdle: time.Hour})
	unlock1, err := b1.Lock(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	return b1, b2, unlock1
}

// A connection busy with a write keeps the lock until the write ends; the
// other gets it then.
func TestWriterLeaseWaitsForTheWrite(t *testing.T) {
	b1, b2, unlock1 := twoLeasing(t)
	ctx := testCtx(t)
	got := make(chan func(), 1)
	go func() {
		u, err := b2.Lock(ctx)
		if err != nil {
			t.Error(err)
			u = func() {}
		}
		got <- u
	}()
	select {
	case u := <-got:
		u()
		t.Fatal("the second connection got the lock during the first one's write")
	case <-time.After(50 * time.Millisecond):
	}
	unlock1()
	unlock2 := <-got
	if b1.lease.isHeld() {
		t.Fatal("the first connection kept its lease though the second asked")
	}
	unlock2()
}

// The idle timeout, LeaseMax, turning the lease off, and Close each give
// the lock back.
func TestWriterLeaseGivesUp(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		// after does what must give the lock up, after one write.
		after func(t *testing.T, b *Backend)
	}{
		{"idle timeout", Options{LeaseIdle: 5 * time.Millisecond}, func(*testing.T, *Backend) {}},
		{"lease off", Options{LeaseIdle: -1}, func(*testing.T, *Backend) {}},
		{"held longer than LeaseMax", Options{LeaseIdle: time.Hour, LeaseMax: time.Millisecond}, func(t *testing.T, b *Backend) {
			time.Sleep(5 * time.Millisecond)
			write(t, b)
		}},
		{"close", Options{LeaseIdle: time.Hour}, func(_ *testing.T, b *Backend) { b.Close() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := openNamed(t, uniqueName(t), tc.opts)
			write(t, b)
			tc.after(t, b)
			eventually(t, "the writer lock was not given back", func() bool { return !b.lease.isHeld() && lockFree(t, b) })
		})
	}
}

// A wait for the lock that its context ends leaves nothing held, and a
// closed backend fails waiting writes with ErrClosed.
func TestWriterLeaseWaitEnds(t *testing.T) {
	b1, b2, unlock1 := twoLeasing(t)
	ctx := testCtx(t)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	if _, err := b2.Lock(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a wait past its deadline: %v", err)
	}
	cancel()
	failed := make(chan error, 1)
	b2.LockAsync(func(unlock func(), err error) {
		if unlock != nil {
			unlock()
		}
		failed <- err
	})
	b2.Close()
	if err := <-failed; err == nil {
		t.Fatal("a write waiting for the lock of a closed backend got it")
	}
	unlock1()
	b1.Close()
	eventually(t, "the writer lock was not given back", func() bool { return lockFree(t, b1) })
}

// Without BroadcastChannel a connection has no way to ask for the lock, so
// it is not leased: each write takes the Web Lock and gives it back, and a
// second connection gets it (rather than failing to post its request).
func TestWriterLeaseWithoutBroadcastChannel(t *testing.T) {
	saved := jsBroadcastChannel
	jsBroadcastChannel = js.Undefined()
	name := uniqueName(t)
	b1 := openNamed(t, name, Options{LeaseIdle: time.Hour})
	b2 := openNamed(t, name, Options{LeaseIdle: time.Hour})
	jsBroadcastChannel = saved
	write(t, b1)
	if b1.lease.isHeld() {
		t.Fatal("the lock was kept after a write with no channel to ask for it on")
	}
	ctx, cancel := context.WithTimeout(testCtx(t), 10*time.Second)
	defer cancel()
	unlock, err := b2.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
}
