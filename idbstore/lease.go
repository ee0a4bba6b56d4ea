//go:build js && wasm

package idbstore

import (
	"context"
	"sync"
	"syscall/js"
	"time"

	"github.com/mlsidb/mlsidb/jsbridge"
)

// The writer lock is leased: once granted, the Web Lock stays with the
// connection after a write ends, so that the next write of the same tab
// takes it without asking the browser (a Web Lock request is a round trip
// to the browser process, a tenth of a millisecond or more, as much as a
// small write costs on its own). The lock is exclusive all the same: while
// the lease is held idle, no other connection writes.
//
// A connection that wants the lock while another holds it says so on the
// BroadcastChannel "mlsidb:<name>:lock" and queues its request; the holder
// gives the lock up as soon as its current write ends (at once when idle).
// The lease is also given up after LeaseIdle without a write, and at the
// end of a write when it has been held for LeaseMax, so a missed message
// delays another connection by LeaseIdle at most and a busy connection
// never keeps the lock from the others for long. LeaseIdle < 0 turns
// leasing off, and so does a host without BroadcastChannel: the lock is
// requested for each write and released after it.

// Default lease timings (Options.LeaseIdle, Options.LeaseMax).
const (
	DefaultLeaseIdle = 8 * time.Millisecond
	DefaultLeaseMax  = 50 * time.Millisecond
)

// wantMessage is what a connection posts on the lock channel when it waits
// for the writer lock.
const wantMessage = "want"

// lockChannelName is the BroadcastChannel on which connections to database
// name ask for the writer lock.
func lockChannelName(name string) string { return "mlsidb:" + name + ":lock" }

// lockWaiter is a write waiting for the writer lock.
type lockWaiter struct {
	done func(unlock func(), err error)
}

// writerLease manages the writer Web Lock of one connection.
type writerLease struct {
	b         *Backend
	idle, max time.Duration

	ch     js.Value // the lock channel, or undefined
	onWant js.Func
	onIdle js.Func

	mu         sync.Mutex
	held       bool   // the Web Lock is this connection's
	release    func() // gives the Web Lock back
	heldSince  time.Time
	lastUsed   time.Time // when the last write ended
	busy       bool      // a write holds it now
	waiters    []*lockWaiter
	requesting bool     // a Web Lock request is on its way
	wanted     bool     // another connection asked for it since it was requested or granted
	timer      js.Value // the idle timer, or undefined
	closed     error
}

func newWriterLease(b *Backend, idle, max time.Duration) *writerLease {
	l := &writerLease{b: b, idle: idle, max: max, ch: js.Undefined(), timer: js.Undefined()}
	if l.idle == 0 {
		l.idle = DefaultLeaseIdle
	}
	if l.max <= 0 {
		l.max = DefaultLeaseMax
	}
	if l.idle < 0 || b.locks.IsUndefined() {
		return l
	}
	l.onIdle = js.FuncOf(func(js.Value, []js.Value) any {
		l.mu.Lock()
		l.timer = js.Undefined()
		if l.held && !l.busy && len(l.waiters) == 0 {
			if left := l.idle - time.Since(l.lastUsed); left > 0 {
				l.armLocked(left) // used meanwhile: idle since lastUsed
			} else {
				l.dropLocked()
			}
		}
		l.mu.Unlock()
		return nil
	})
	if jsBroadcastChannel.Type() == js.TypeFunction {
		if ch, err := jsbridge.New(jsBroadcastChannel, lockChannelName(b.name)); err == nil {
			l.ch = ch
			l.onWant = js.FuncOf(func(_ js.Value, args []js.Value) any {
				if len(args) == 1 && args[0].Get("data").Equal(jsWant) {
					l.want()
				}
				return nil
			})
			ch.Set("onmessage", l.onWant)
		}
	}
	return l
}

var jsWant = js.ValueOf(wantMessage)

// leasing reports whether the lease holds the lock between writes: only
// with a lock channel, on which other connections can ask for it.
func (l *writerLease) leasing() bool {
	return l.idle > 0 && !l.b.locks.IsUndefined() && !l.ch.IsUndefined()
}

// acquire calls done with the writer lock's unlock function once this
// connection holds it for one write: at once (before acquire returns)
// when the lease is held idle, else from the Web Lock's grant.
func (l *writerLease) acquire(done func(unlock func(), err error)) *lockWaiter {
	l.mu.Lock()
	if l.closed != nil {
		err := l.closed
		l.mu.Unlock()
		done(nil, err)
		return nil
	}
	if l.held && !l.busy {
		l.busy = true // the idle timer, if any, finds it busy or used since
		l.mu.Unlock()
		done(l.unlockFunc(), nil)
		return nil
	}
	w := &lockWaiter{done: done}
	l.waiters = append(l.waiters, w)
	start := !l.held && !l.requesting
	if start {
		l.requesting = true
	}
	l.mu.Unlock()
	if start {
		l.request()
	}
	return w
}

// abandon drops w from the waiters; it reports false when w was already
// granted (or failed): its done has run or is running.
func (l *writerLease) abandon(w *lockWaiter) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, x := range l.waiters {
		if x == w {
			l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
			return true
		}
	}
	return false
}

// request asks for the Web Lock: first only if it is free; when another
// connection holds it, this one says that it wants it and queues.
func (l *writerLease) request() {
	if !l.leasing() {
		jsbridge.WebLockAsync(l.b.locks, l.b.writerLock, l.granted)
		return
	}
	jsbridge.WebLockTryAsync(l.b.locks, l.b.writerLock, func(unlock func(), err error) {
		if err != nil || unlock != nil {
			l.granted(unlock, err)
			return
		}
		_ = jsbridge.Catch(func() { l.ch.Call("postMessage", jsWant) })
		jsbridge.WebLockAsync(l.b.locks, l.b.writerLock, l.granted)
	})
}

// granted takes the Web Lock's grant (or the request's failure).
func (l *writerLease) granted(release func(), err error) {
	l.mu.Lock()
	l.requesting = false
	if err == nil && l.closed != nil {
		l.mu.Unlock()
		release()
		return
	}
	if err != nil {
		waiters := l.waiters
		l.waiters = nil
		l.mu.Unlock()
		for _, w := range waiters {
			w.done(nil, err)
		}
		return
	}
	l.held, l.release, l.heldSince = true, release, time.Now()
	l.next()
}

// next hands the lock to the first waiter, or keeps or gives up the idle
// lease; l.mu is held and next unlocks it.
func (l *writerLease) next() {
	if len(l.waiters) > 0 {
		w := l.waiters[0]
		l.waiters = l.waiters[1:]
		l.busy = true
		l.mu.Unlock()
		w.done(l.unlockFunc(), nil)
		return
	}
	switch {
	case !l.leasing(), l.wanted, l.closed != nil, time.Since(l.heldSince) >= l.max:
		l.dropLocked()
	default:
		l.lastUsed = time.Now()
		if l.timer.IsUndefined() {
			l.armLocked(l.idle)
		}
	}
	l.mu.Unlock()
}

// unlockFunc returns the unlock function of one write; only its first
// call counts.
func (l *writerLease) unlockFunc() func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			l.busy = false
			if len(l.waiters) > 0 && (l.wanted || time.Since(l.heldSince) >= l.max) {
				// Others wait in this tab too: give the other connections
				// their turn first; these request again.
				l.dropLocked()
				l.requesting = true
				l.mu.Unlock()
				l.request()
				return
			}
			l.next()
		})
	}
}

// want handles another connection's request for the lock.
func (l *writerLease) want() {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.held && !l.busy && len(l.waiters) == 0:
		l.dropLocked()
	case l.held || l.requesting:
		l.wanted = true
	}
}

// dropLocked gives the Web Lock back; l.mu is held.
func (l *writerLease) dropLocked() {
	l.stopTimerLocked()
	if !l.held {
		return
	}
	release := l.release
	l.held, l.release, l.wanted = false, nil, false
	release()
}

// armLocked starts the idle timer (none runs); l.mu is held. One timer
// serves a run of writes: it checks, when it fires, how long the lease has
// been idle (re-arming and clearing a timer per write costs more).
func (l *writerLease) armLocked(d time.Duration) {
	ms := float64(d) / float64(time.Millisecond)
	if err := jsbridge.Catch(func() { l.timer = jsSetTimeout.Invoke(l.onIdle, ms) }); err != nil {
		l.timer = js.Undefined()
		l.dropLocked()
	}
}

func (l *writerLease) stopTimerLocked() {
	if !l.timer.IsUndefined() {
		_ = jsbridge.Catch(func() { jsClearTimeout.Invoke(l.timer) })
		l.timer = js.Undefined()
	}
}

// close gives the lock back and fails the waiters with err.
func (l *writerLease) close(err error) {
	l.mu.Lock()
	if l.closed != nil {
		l.mu.Unlock()
		return
	}
	l.closed = err
	waiters := l.waiters
	l.waiters = nil
	if !l.busy {
		l.dropLocked()
	}
	l.stopTimerLocked()
	l.mu.Unlock()
	for _, w := range waiters {
		w.done(nil, err)
	}
	if !l.ch.IsUndefined() {
		closeChannel(l.ch, l.onWant)
	}
	if l.onIdle.Truthy() {
		l.onIdle.Release()
	}
}

// lock is acquire, waited for: until the lock is this connection's or ctx
// ends.
func (l *writerLease) lock(ctx context.Context) (func(), error) {
	type grant struct {
		unlock func()
		err    error
	}
	ch := make(chan grant, 1)
	w := l.acquire(func(unlock func(), err error) { ch <- grant{unlock, err} })
	if w == nil {
		g := <-ch
		return g.unlock, g.err
	}
	select {
	case g := <-ch:
		return g.unlock, g.err
	case <-ctx.Done():
	}
	if l.abandon(w) {
		return nil, ctx.Err()
	}
	if g := <-ch; g.unlock != nil {
		g.unlock()
	}
	return nil, ctx.Err()
}
