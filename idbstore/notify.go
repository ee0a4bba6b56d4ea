//go:build js && wasm

package idbstore

import (
	"sync"
	"syscall/js"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/jsbridge"
)

var (
	jsBroadcastChannel = js.Global().Get("BroadcastChannel")
	jsSetTimeout       = js.Global().Get("setTimeout")
	jsClearTimeout     = js.Global().Get("clearTimeout")
	jsUint8Array       = js.Global().Get("Uint8Array")
)

// channelName is the BroadcastChannel of database name's changes.
func channelName(name string) string { return "mlsidb:" + name }

// notifyDelayMs is how long a change waits for others to go out with it:
// the commits of a burst (a tab catching up on its messages) become one
// message, posted a few milliseconds after the first.
const notifyDelayMs = 4

// changeMessageVersion tags the messages on the channel, so that a newer
// format is ignored instead of misread.
const changeMessageVersion = 2

// endpoint is one Notify: a BroadcastChannel, its message handler, and
// the changes published but not posted yet.
type endpoint struct {
	ch        js.Value
	onMessage js.Func
	onFlush   js.Func // posts pending; run by setTimeout

	mu      sync.Mutex
	pending pendingChange
	timer   js.Value // the setTimeout id of the scheduled flush, or undefined
}

// pendingChange is the union of the changes published since the last post:
// each group and method group once.
type pendingChange struct {
	groups  [][]byte
	seen    map[string]struct{}
	methods uint64 // bit i: method group i
}

func (p *pendingChange) add(c mlsidb.Change) {
	for _, g := range c.Groups {
		if _, ok := p.seen[string(g)]; ok {
			continue
		}
		if p.seen == nil {
			p.seen = map[string]struct{}{}
		}
		p.seen[string(g)] = struct{}{}
		p.groups = append(p.groups, append([]byte(nil), g...))
	}
	for _, g := range c.MethodGroups {
		p.methods |= 1 << uint(g)
	}
}

func (p *pendingChange) empty() bool { return len(p.groups) == 0 && p.methods == 0 }

// change returns the union as one Change.
func (p *pendingChange) change() mlsidb.Change {
	c := mlsidb.Change{Groups: p.groups}
	for g := 0; g < 64; g++ {
		if p.methods&(1<<uint(g)) != 0 {
			c.MethodGroups = append(c.MethodGroups, mlsidb.MethodGroup(g))
		}
	}
	return c
}

// Notify implements [mlsidb.Notifier] with a BroadcastChannel named
// "mlsidb:<name>": every provider over the database, in any tab or worker
// of the origin, opens one; what one posts, all the others receive (a
// BroadcastChannel never receives its own messages). A message is one
// Uint8Array, version 2 (see encodeChange); messages of other formats
// are ignored. Without BroadcastChannel (some old
// browsers) nothing is sent or received. The endpoint closes with the
// backend.
func (b *Backend) Notify(receive func(mlsidb.Change)) (publish func(mlsidb.Change), stop func()) {
	noop := func() {}
	if jsBroadcastChannel.Type() != js.TypeFunction || b.Err() != nil {
		return func(mlsidb.Change) {}, noop
	}
	ch, err := jsbridge.New(jsBroadcastChannel, channelName(b.name))
	if err != nil {
		return func(mlsidb.Change) {}, noop
	}
	e := &endpoint{ch: ch}
	e.onMessage = js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) == 0 {
			return nil
		}
		if c, ok := decodeChange(args[0].Get("data")); ok {
			receive(c)
		}
		return nil
	})
	ch.Set("onmessage", e.onMessage)
	b.notifyMu.Lock()
	if b.Err() != nil { // closed meanwhile
		b.notifyMu.Unlock()
		e.close()
		return func(mlsidb.Change) {}, noop
	}
	b.endpoints[e] = struct{}{}
	b.notifyMu.Unlock()
	e.onFlush = js.FuncOf(func(js.Value, []js.Value) any {
		e.flush()
		return nil
	})
	// publish does not post at once: posting costs the page about a tenth
	// of a millisecond, more than the rest of a small write, and the write
	// would wait for it. The change is added to the pending ones and a
	// task (setTimeout notifyDelayMs) posts their union, after the
	// write's caller has gone on; a burst of commits becomes one message.
	publish = func(c mlsidb.Change) {
		if b.Err() != nil {
			return
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		e.pending.add(c)
		if e.timer.IsUndefined() {
			if err := jsbridge.Catch(func() { e.timer = jsSetTimeout.Invoke(e.onFlush, notifyDelayMs) }); err != nil {
				e.timer = js.Undefined()
				e.postLocked()
			}
		}
	}
	stop = func() {
		b.notifyMu.Lock()
		_, open := b.endpoints[e]
		delete(b.endpoints, e)
		b.notifyMu.Unlock()
		if open {
			e.close()
		}
	}
	return publish, stop
}

// flush posts the pending changes (the scheduled flush ran).
func (e *endpoint) flush() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.timer = js.Undefined()
	e.postLocked()
}

// postLocked posts the pending changes, if any, as one message; e.mu is
// held.
func (e *endpoint) postLocked() {
	p := e.pending
	e.pending = pendingChange{}
	if p.empty() {
		return
	}
	msg := encodeChange(p.change())
	_ = jsbridge.Catch(func() { e.ch.Call("postMessage", msg) })
}

// close posts what is pending at once, then closes the channel.
func (e *endpoint) close() {
	e.mu.Lock()
	if !e.timer.IsUndefined() {
		_ = jsbridge.Catch(func() { jsClearTimeout.Invoke(e.timer) })
		e.timer = js.Undefined()
	}
	e.postLocked()
	e.mu.Unlock()
	closeChannel(e.ch, e.onMessage)
	if e.onFlush.Truthy() {
		e.onFlush.Release()
	}
}

// closeChannel closes a BroadcastChannel and releases its message handler.
func closeChannel(ch js.Value, onMessage js.Func) {
	_ = jsbridge.Catch(func() {
		ch.Set("onmessage", js.Null())
		ch.Call("close")
	})
	onMessage.Release()
}

// closeEndpoints closes every endpoint; the backend has closed.
func (b *Backend) closeEndpoints() {
	b.notifyMu.Lock()
	list := make([]*endpoint, 0, len(b.endpoints))
	for e := range b.endpoints {
		list = append(list, e)
	}
	clear(b.endpoints)
	b.notifyMu.Unlock()
	for _, e := range list {
		e.close()
	}
}

// encodeChange returns the message of a change: one Uint8Array (cheap to
// post and to clone), little-endian: the version byte, a u8 count of
// method groups and each one's name (a u8 length and the name), then a u32
// count of groups and each group id (a u32 length and the id).
func encodeChange(c mlsidb.Change) js.Value {
	p := packer{b: []byte{changeMessageVersion, byte(len(c.MethodGroups))}}
	for _, g := range c.MethodGroups {
		name := g.String()
		p.u8(byte(len(name)))
		p.b = append(p.b, name...)
	}
	p.u32(len(c.Groups))
	for _, g := range c.Groups {
		p.bytes(g)
	}
	return jsbridge.BytesToJS(p.b)
}

// decodeChange reads a message; ok is false for anything that is not a
// message of this format. Method groups it does not know are skipped.
func decodeChange(v js.Value) (c mlsidb.Change, ok bool) {
	if v.Type() != js.TypeObject || !v.InstanceOf(jsUint8Array) {
		return c, false
	}
	b, err := jsbridge.BytesFromJS(v)
	if err != nil || len(b) < 2 || b[0] != changeMessageVersion {
		return c, false
	}
	u := unpacker{b: b[2:]}
	for i := 0; i < int(b[1]); i++ {
		n := int(u.u8())
		if u.bad || n > len(u.b) {
			return mlsidb.Change{}, false
		}
		if g, known := mlsidb.MethodGroupOf(string(u.b[:n])); known {
			c.MethodGroups = append(c.MethodGroups, g)
		}
		u.b = u.b[n:]
	}
	for i, n := 0, u.u32(); i < n && !u.bad; i++ {
		g := u.bytes()
		if len(g) == 0 {
			return mlsidb.Change{}, false
		}
		c.Groups = append(c.Groups, g)
	}
	if u.bad || len(u.b) != 0 {
		return mlsidb.Change{}, false
	}
	return c, len(c.Groups) > 0 || len(c.MethodGroups) > 0
}
