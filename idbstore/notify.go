//go:build js && wasm

package idbstore

import (
	"syscall/js"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/jsbridge"
)

var jsBroadcastChannel = js.Global().Get("BroadcastChannel")

// channelName is the BroadcastChannel of database name's changes.
func channelName(name string) string { return "mlsidb:" + name }

// changeMessageVersion tags the messages on the channel, so that a newer
// format is ignored instead of misread.
const changeMessageVersion = 1

// endpoint is one Notify: a BroadcastChannel and its message handler.
type endpoint struct {
	ch        js.Value
	onMessage js.Func
}

// Notify implements [mlsidb.Notifier] with a BroadcastChannel named
// "mlsidb:<name>": every provider over the database, in any tab or worker
// of the origin, opens one; what one posts, all the others receive (a
// BroadcastChannel never receives its own messages). A message is
// {v: 1, groups: [Uint8Array...], methodGroups: ["tree", ...]}; messages
// of other formats are ignored. Without BroadcastChannel (some old
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
	publish = func(c mlsidb.Change) {
		if b.Err() != nil {
			return
		}
		msg := encodeChange(c)
		_ = jsbridge.Catch(func() { ch.Call("postMessage", msg) })
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

func (e *endpoint) close() {
	_ = jsbridge.Catch(func() {
		e.ch.Set("onmessage", js.Null())
		e.ch.Call("close")
	})
	e.onMessage.Release()
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

// encodeChange returns the message of a change.
func encodeChange(c mlsidb.Change) js.Value {
	groups := make([]any, len(c.Groups))
	for i, g := range c.Groups {
		groups[i] = jsbridge.BytesToJS(g)
	}
	mgs := make([]any, len(c.MethodGroups))
	for i, g := range c.MethodGroups {
		mgs[i] = g.String()
	}
	return js.ValueOf(map[string]any{"v": changeMessageVersion, "groups": groups, "methodGroups": mgs})
}

// decodeChange reads a message; ok is false for anything that is not a
// message of this format. Method groups it does not know are skipped.
func decodeChange(v js.Value) (c mlsidb.Change, ok bool) {
	err := jsbridge.Catch(func() {
		if v.Type() != js.TypeObject || v.Get("v").Type() != js.TypeNumber || v.Get("v").Int() != changeMessageVersion {
			return
		}
		groups, mgs := v.Get("groups"), v.Get("methodGroups")
		if groups.Type() != js.TypeObject || mgs.Type() != js.TypeObject {
			return
		}
		for i, n := 0, groups.Length(); i < n; i++ {
			g, err := jsbridge.BytesFromJS(groups.Index(i))
			if err != nil || len(g) == 0 {
				return
			}
			c.Groups = append(c.Groups, g)
		}
		for i, n := 0, mgs.Length(); i < n; i++ {
			if s := mgs.Index(i); s.Type() == js.TypeString {
				if g, known := mlsidb.MethodGroupOf(s.String()); known {
					c.MethodGroups = append(c.MethodGroups, g)
				}
			}
		}
		ok = len(c.Groups) > 0 || len(c.MethodGroups) > 0
	})
	return c, ok && err == nil
}
