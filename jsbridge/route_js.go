//go:build js && wasm

package jsbridge

import (
	"sync"
	"syscall/js"
)

// Routing events without a js.Func per request.
//
// js.FuncOf and Release cost a JS closure, a map entry and several
// crossings each; made per IndexedDB request they are a large part of a
// call's cost. Route instead sets two handlers made once (one for the
// success event, one for the failure event) and an id on the target, and
// looks the Go callback up by that id when an event comes.

// routeProp is the property of a routed target that holds its route id.
const routeProp = "__mlsidbRoute"

// Settled is the callback of a routed target: ok tells the success event
// (success, complete) from the failure event (error, abort); target is the
// object the event fired on. It runs inside the JS event handler, so it
// must not block; it may read the target's result and issue requests. It
// returns whether it wants more events of the target (a cursor that
// continues); after false the route is dropped.
type Settled func(ok bool, target js.Value) (more bool)

var routes struct {
	mu     sync.Mutex
	next   uint32
	m      map[uint32]Settled
	onOK   js.Func
	onFail js.Func
}

func routeHandler(ok bool) js.Func {
	return js.FuncOf(func(this js.Value, _ []js.Value) any {
		id := this.Get(routeProp)
		if id.Type() != js.TypeNumber {
			return nil
		}
		key := uint32(id.Int())
		routes.mu.Lock()
		f := routes.m[key]
		routes.mu.Unlock()
		if f == nil {
			return nil
		}
		more := false
		if err := Guard(func() error {
			more = f(ok, this)
			return nil
		}); err != nil {
			js.Global().Get("console").Call("error", "mlsidb: an event handler failed: "+err.Error())
		}
		if !more {
			routes.mu.Lock()
			delete(routes.m, key)
			routes.mu.Unlock()
		}
		return nil
	})
}

// Route sets target's okEvent and failEvent handler properties (for
// example "onsuccess" and "onerror" of an IDBRequest, "oncomplete" and
// "onabort" of an IDBTransaction) so that their events call f. The
// handlers are made once for the program.
func Route(target js.Value, okEvent, failEvent string, f Settled) {
	routes.mu.Lock()
	if routes.m == nil {
		routes.m = map[uint32]Settled{}
		routes.onOK = routeHandler(true)
		routes.onFail = routeHandler(false)
	}
	routes.next++
	if routes.next == 0 {
		routes.next++
	}
	id := routes.next
	routes.m[id] = f
	onOK, onFail := routes.onOK, routes.onFail
	routes.mu.Unlock()
	target.Set(routeProp, id)
	target.Set(okEvent, onOK)
	target.Set(failEvent, onFail)
}

// routeCount returns how many routes wait for an event (tests).
func routeCount() int {
	routes.mu.Lock()
	defer routes.mu.Unlock()
	return len(routes.m)
}
