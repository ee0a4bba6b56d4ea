//go:build js && wasm

package jsbridge

import (
	"context"
	"errors"
	"slices"
	"syscall/js"
	"testing"
	"time"
)

// lockNames returns the names of the Web Locks held and pending in this
// origin (navigator.locks.query).
func lockNames(t *testing.T) (held, pending []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	snap, err := AwaitPromise(ctx, LockManager().Call("query"))
	if err != nil {
		t.Fatal(err)
	}
	names := func(list js.Value) []string {
		var out []string
		for i := 0; i < list.Length(); i++ {
			out = append(out, list.Index(i).Get("name").String())
		}
		return out
	}
	return names(snap.Get("held")), names(snap.Get("pending"))
}

// waitReleased waits until no lock called name is held or pending: a
// release takes effect a few event loop turns after unlock.
func waitReleased(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		held, pending := lockNames(t)
		if !slices.Contains(held, name) && !slices.Contains(pending, name) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("lock %q still held (%q) or pending (%q)", name, held, pending)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWebLock(t *testing.T) {
	locks := LockManager()
	if locks.IsUndefined() {
		t.Fatal("no navigator.locks in this browser")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const name = "jsbridge-test-lock"
	unlock, err := WebLock(ctx, locks, name)
	if err != nil {
		t.Fatal(err)
	}
	if held, _ := lockNames(t); !slices.Contains(held, name) {
		t.Fatalf("held locks %q do not include %q", held, name)
	}

	// A second request waits; its context ends the wait, and nothing of
	// it stays pending.
	short, cancelShort := context.WithTimeout(ctx, 30*time.Millisecond)
	_, err = WebLock(short, locks, name)
	cancelShort()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second request while held: %v, want DeadlineExceeded", err)
	}
	if _, pending := lockNames(t); slices.Contains(pending, name) {
		t.Fatalf("an abandoned request is still pending: %q", pending)
	}

	// A waiting request gets the lock once it is released.
	got := make(chan error, 1)
	var second func()
	go func() {
		var err error
		second, err = WebLock(ctx, locks, name)
		got <- err
	}()
	time.Sleep(10 * time.Millisecond) // let it queue (the test holds either way)
	unlock()
	unlock() // a second call does nothing
	if err := <-got; err != nil {
		t.Fatalf("waiting request after release: %v", err)
	}
	second()
	waitReleased(t, name)

	// A cancelled context never asks.
	done, cancelDone := context.WithCancel(ctx)
	cancelDone()
	if _, err := WebLock(done, locks, name); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
}

// Many goroutines taking one Web Lock never hold it at once, and many
// abandoned waits leave nothing behind.
func TestWebLockExclusive(t *testing.T) {
	locks := LockManager()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const name = "jsbridge-test-exclusive"
	inside := 0
	counter := 0
	errs := make(chan error, 40)
	for w := 0; w < 8; w++ {
		go func() {
			for i := 0; i < 5; i++ {
				unlock, err := WebLock(ctx, locks, name)
				if err != nil {
					errs <- err
					return
				}
				inside++
				if inside != 1 {
					errs <- errors.New("two holders at once")
				}
				v := counter
				time.Sleep(time.Millisecond) // yields to the event loop
				counter = v + 1
				inside--
				unlock()
				errs <- nil
			}
		}()
	}
	for i := 0; i < 40; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if counter != 40 {
		t.Fatalf("counter %d, want 40", counter)
	}
	// Abandon waits at random moments around grants.
	unlock, err := WebLock(ctx, locks, name)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		c, cancel := context.WithTimeout(ctx, time.Duration(i%4)*time.Millisecond)
		if u, err := WebLock(c, locks, name); err == nil {
			u()
			t.Fatal("a request got a held lock")
		}
		cancel()
	}
	unlock()
	for i := 0; i < 20; i++ {
		c, cancel := context.WithTimeout(ctx, time.Duration(i%3)*time.Millisecond)
		if u, err := WebLock(c, locks, name); err == nil {
			u()
		}
		cancel()
	}
	waitReleased(t, name)
}

func TestSignalContext(t *testing.T) {
	ctrl := js.Global().Get("AbortController").New()
	ctx, cancel := SignalContext(context.Background(), ctrl.Get("signal"))
	defer cancel()
	if ctx.Err() != nil {
		t.Fatal("cancelled before the signal aborted")
	}
	ctrl.Call("abort")
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the abort did not cancel the context")
	}
	// Already aborted.
	ctx2, cancel2 := SignalContext(context.Background(), ctrl.Get("signal"))
	defer cancel2()
	if ctx2.Err() == nil {
		t.Fatal("an aborted signal gave a live context")
	}
	// No signal.
	ctx3, cancel3 := SignalContext(context.Background(), js.Undefined())
	if ctx3.Err() != nil {
		t.Fatal("no signal gave a cancelled context")
	}
	cancel3()
	if ctx3.Err() == nil {
		t.Fatal("cancel did nothing")
	}
}

// WebLockAsync: granted from the lock's callback; a second request waits
// for the first's unlock (also against the blocking WebLock); unlock is
// idempotent; a refused request reports its error.
func TestWebLockAsync(t *testing.T) {
	locks := LockManager()
	const name = "jsbridge-test-lock-async"
	type grant struct {
		unlock func()
		err    error
	}
	first, second := make(chan grant, 1), make(chan grant, 1)
	WebLockAsync(locks, name, func(unlock func(), err error) { first <- grant{unlock, err} })
	WebLockAsync(locks, name, func(unlock func(), err error) { second <- grant{unlock, err} })
	g1 := <-first
	if g1.err != nil {
		t.Fatal(g1.err)
	}
	select {
	case <-second:
		t.Fatal("the second request was granted while the first held the lock")
	case <-time.After(50 * time.Millisecond):
	}
	g1.unlock()
	g1.unlock()
	g2 := <-second
	if g2.err != nil {
		t.Fatal(g2.err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := WebLock(ctx, locks, name); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WebLock while WebLockAsync holds the lock: %v", err)
	}
	g2.unlock()
	waitReleased(t, name)

	failed := make(chan error, 1)
	WebLockAsync(locks, "-names starting with a dash are refused", func(_ func(), err error) { failed <- err })
	if err := <-failed; err == nil {
		t.Fatal("a refused request reported no error")
	}
}

// WebLockTryAsync: granted at once when the lock is free; a nil unlock and
// no error while another holder has it.
func TestWebLockTryAsync(t *testing.T) {
	locks := LockManager()
	const name = "jsbridge-test-lock-try"
	type grant struct {
		unlock func()
		err    error
	}
	try := func() grant {
		ch := make(chan grant, 1)
		WebLockTryAsync(locks, name, func(unlock func(), err error) { ch <- grant{unlock, err} })
		return <-ch
	}
	g := try()
	if g.err != nil || g.unlock == nil {
		t.Fatalf("free lock: unlock %v, err %v", g.unlock != nil, g.err)
	}
	if busy := try(); busy.err != nil || busy.unlock != nil {
		t.Fatalf("held lock: unlock %v (want nil), err %v", busy.unlock != nil, busy.err)
	}
	g.unlock()
	waitReleased(t, name)
	if again := try(); again.err != nil || again.unlock == nil {
		t.Fatalf("released lock: unlock %v, err %v", again.unlock != nil, again.err)
	} else {
		again.unlock()
	}
	waitReleased(t, name)
}
