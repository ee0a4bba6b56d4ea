//go:build js && wasm

package idbstore

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/jsbridge"
)

func TestLockNames(t *testing.T) {
	long := bytes.Repeat([]byte{0xab}, mlsidb.MaxKeyLen)
	a := GroupLockName("alice", []byte("group"))
	b := GroupLockName("alice", long)
	if !strings.HasPrefix(a, "mlsidb:alice:group:") || len(a) != len("mlsidb:alice:group:")+64 || len(b) != len(a) {
		t.Fatalf("group lock names %q, %q: want mlsidb:alice:group: and 64 hex digits", a, b[:40])
	}
	if strings.Contains(b, "abab") {
		t.Fatal("a group lock name shows the group id")
	}
	if a == GroupLockName("alice", []byte("group2")) || a == GroupLockName("alice2", []byte("group")) {
		t.Fatal("two groups or two databases share a group lock name")
	}
	if w := writerLockName("alice"); w != "mlsidb:alice:store" || w == a {
		t.Fatalf("writer lock name %q", w)
	}
}

// The writer lock and the group locks hold across two connections (two
// tabs); a wait ends with its context; a backend without Web Locks holds
// nothing.
func TestWebLocksAcrossConnections(t *testing.T) {
	name := uniqueName(t)
	b1 := openNamed(t, name, Options{})
	b2 := openNamed(t, name, Options{})
	if !b1.WebLocks() {
		t.Fatal("WebLocks() is false in a browser with navigator.locks")
	}
	ctx := testCtx(t)
	for _, tc := range []struct {
		what string
		lock func(b *Backend, ctx context.Context) (func(), error)
	}{
		{"writer lock", func(b *Backend, ctx context.Context) (func(), error) { return b.Lock(ctx) }},
		{"group lock", func(b *Backend, ctx context.Context) (func(), error) { return b.LockGroup(ctx, []byte("g")) }},
	} {
		unlock, err := tc.lock(b1, ctx)
		if err != nil {
			t.Fatalf("%s: %v", tc.what, err)
		}
		short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		if _, err := tc.lock(b2, short); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: the second connection got it while held: %v", tc.what, err)
		}
		cancel()
		unlock()
		unlock2, err := tc.lock(b2, ctx)
		if err != nil {
			t.Fatalf("%s after release: %v", tc.what, err)
		}
		unlock2()
	}
	// Another group is independent.
	unlock, err := b1.LockGroup(ctx, []byte("g"))
	if err != nil {
		t.Fatal(err)
	}
	unlockOther, err := b2.LockGroup(ctx, []byte("other"))
	if err != nil {
		t.Fatal(err)
	}
	unlockOther()
	unlock()

	off := openNamed(t, name, Options{LockManager: js.Null()})
	if off.WebLocks() {
		t.Fatal("WebLocks() with LockManager null")
	}
	held, err := b1.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, err := off.Lock(ctx) // holds nothing, so it does not wait
	if err != nil {
		t.Fatal(err)
	}
	u()
	held()

	b1.Close()
	if _, err := b1.Lock(ctx); !errors.Is(err, mlsidb.ErrClosed) {
		t.Fatalf("Lock on a closed backend: %v", err)
	}
	if _, err := b1.LockGroup(ctx, []byte("g")); !errors.Is(err, mlsidb.ErrClosed) {
		t.Fatalf("LockGroup on a closed backend: %v", err)
	}
}

// changeChan opens an endpoint of b whose changes arrive on a channel.
func changeChan(b *Backend) (<-chan mlsidb.Change, func(mlsidb.Change), func()) {
	ch := make(chan mlsidb.Change, 16)
	publish, stop := b.Notify(func(c mlsidb.Change) {
		select {
		case ch <- c:
		default:
		}
	})
	return ch, publish, stop
}

func nextChange(t *testing.T, ch <-chan mlsidb.Change) mlsidb.Change {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no change arrived")
		return mlsidb.Change{}
	}
}

func noChange(t *testing.T, ch <-chan mlsidb.Change, what string) {
	t.Helper()
	select {
	case c := <-ch:
		t.Fatalf("%s: got %+v", what, c)
	case <-time.After(50 * time.Millisecond):
	}
}

// Changes published by one endpoint reach the endpoints of other
// connections and other endpoints of the same one, never itself; garbage
// on the channel is ignored; stop and Close end the endpoint.
func TestNotify(t *testing.T) {
	name := uniqueName(t)
	b1 := openNamed(t, name, Options{})
	b2 := openNamed(t, name, Options{})
	c1, pub1, stop1 := changeChan(b1)
	defer stop1()
	c2, _, stop2 := changeChan(b2)
	c3, _, stop3 := changeChan(b1)
	defer stop3()
	want := mlsidb.Change{
		Groups:       [][]byte{{0}, []byte("group"), {0xff, 0}},
		MethodGroups: []mlsidb.MethodGroup{mlsidb.MethodGroupTree, mlsidb.MethodGroupPsk},
	}
	pub1(want)
	for i, ch := range []<-chan mlsidb.Change{c2, c3} {
		got := nextChange(t, ch)
		if !slices.EqualFunc(got.Groups, want.Groups, bytes.Equal) || !slices.Equal(got.MethodGroups, want.MethodGroups) || got.Local {
			t.Fatalf("endpoint %d got %+v", i+2, got)
		}
	}
	noChange(t, c1, "the publishing endpoint heard itself")

	// Messages of other formats, from plain JS on the same channel.
	raw := js.Global().Get("BroadcastChannel").New(channelName(name))
	defer raw.Call("close")
	// A well-formed message, with a method group a later version may have.
	later := jsbridge.BytesToJS(append([]byte{changeMessageVersion, 2, 4, 't', 'r', 'e', 'e', 11, 'l', 'a', 't', 'e', 'r', '_', 'g', 'r', 'o', 'u', 'p'},
		1, 0, 0, 0, 1, 0, 0, 0, 'g'))
	for _, msg := range []any{
		"text", 42, nil,
		map[string]any{"v": 1, "groups": []any{jsbridge.BytesToJS([]byte("g"))}, "methodGroups": []any{"tree"}}, // version 1
		jsbridge.BytesToJS([]byte{1, 0, 0, 0, 0, 0}),                                                            // another version
		jsbridge.BytesToJS([]byte{changeMessageVersion}),                                                        // cut short
		jsbridge.BytesToJS([]byte{changeMessageVersion, 0, 1, 0, 0, 0, 0, 0, 0, 0}),                             // an empty group id
		jsbridge.BytesToJS([]byte{changeMessageVersion, 0, 9, 0, 0, 0}),                                         // more groups than bytes
		jsbridge.BytesToJS([]byte{changeMessageVersion, 0, 0, 0, 0, 0, 7}),                                      // trailing bytes
		jsbridge.BytesToJS([]byte{changeMessageVersion, 1, 5, 'n', 'o', 'n', 'e', '!', 0, 0, 0, 0}),             // nothing known
		js.Global().Get("Uint16Array").New(4),
	} {
		raw.Call("postMessage", msg)
	}
	raw.Call("postMessage", later)
	for i, ch := range []<-chan mlsidb.Change{c1, c2, c3} {
		got := nextChange(t, ch)
		if len(got.Groups) != 1 || string(got.Groups[0]) != "g" || !slices.Equal(got.MethodGroups, []mlsidb.MethodGroup{mlsidb.MethodGroupTree}) {
			t.Fatalf("endpoint %d, after garbage, got %+v; want the one well-formed message", i+1, got)
		}
		noChange(t, ch, "garbage became a change")
	}

	stop2()
	stop2()
	pub1(want)
	noChange(t, c2, "a stopped endpoint")
	nextChange(t, c3)

	// Closing a backend closes its endpoints, and it publishes nothing.
	c4, pub4, _ := changeChan(b2)
	b1.Close()
	pub1(want)
	noChange(t, c4, "a closed backend published")
	_, pub5, _ := changeChan(b1) // on a closed backend: does nothing
	pub5(want)
	pub4(want)
	noChange(t, c3, "a closed backend's endpoint received")
}

// Done closes when the backend closes, and Err says why.
func TestDone(t *testing.T) {
	name := uniqueName(t)
	b := openNamed(t, name, Options{})
	select {
	case <-b.Done():
		t.Fatal("Done is closed on an open backend")
	default:
	}
	ctx, cancel := context.WithTimeout(testCtx(t), 5*time.Second)
	defer cancel()
	other, err := rawOpen(ctx, name, SchemaVersion+1, nil)
	if err != nil {
		t.Fatalf("the other connection's open: %v", err)
	}
	other.Call("close")
	select {
	case <-b.Done():
	case <-ctx.Done():
		t.Fatal("Done did not close on versionchange")
	}
	if !errors.Is(b.Err(), ErrVersionChange) || !errors.Is(b.Err(), mlsidb.ErrClosed) {
		t.Fatalf("Err() = %v, want ErrVersionChange", b.Err())
	}
	b2 := openTest(t, Options{})
	b2.Close()
	<-b2.Done()
	if errors.Is(b2.Err(), ErrVersionChange) || errors.Is(b2.Err(), ErrClosedByBrowser) || !errors.Is(b2.Err(), mlsidb.ErrClosed) {
		t.Fatalf("Err() after Close = %v", b2.Err())
	}
}

// Changes published in one turn of the event loop go out as one message:
// the union of their groups (each once) and method groups. What is pending
// when the backend closes is still posted.
func TestNotifyCoalesces(t *testing.T) {
	name := uniqueName(t)
	b1 := openNamed(t, name, Options{})
	b2 := openNamed(t, name, Options{})
	_, pub, stop1 := changeChan(b1)
	defer stop1()
	c2, _, stop2 := changeChan(b2)
	defer stop2()
	pub(mlsidb.Change{Groups: [][]byte{[]byte("a")}, MethodGroups: []mlsidb.MethodGroup{mlsidb.MethodGroupPsk}})
	pub(mlsidb.Change{Groups: [][]byte{[]byte("b"), []byte("a")}, MethodGroups: []mlsidb.MethodGroup{mlsidb.MethodGroupTree}})
	got := nextChange(t, c2)
	wantGroups := [][]byte{[]byte("a"), []byte("b")}
	wantMGs := []mlsidb.MethodGroup{mlsidb.MethodGroupTree, mlsidb.MethodGroupPsk}
	if !slices.EqualFunc(got.Groups, wantGroups, bytes.Equal) || !slices.Equal(got.MethodGroups, wantMGs) {
		t.Fatalf("got %+v; want groups a, b and method groups tree, psk in one change", got)
	}
	noChange(t, c2, "a second message for the same turn")

	pub(mlsidb.Change{Groups: [][]byte{[]byte("c")}})
	b1.Close()
	if got := nextChange(t, c2); len(got.Groups) != 1 || string(got.Groups[0]) != "c" {
		t.Fatalf("the change pending at Close: got %+v", got)
	}
}
