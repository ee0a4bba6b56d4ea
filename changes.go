package mlsidb

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sort"
	"sync"
)

// Change says what one commit changed: the groups whose records it wrote
// or deleted, and the method groups it wrote to. It is a hint to reload,
// never the data itself: read the groups again to see their new state.
type Change struct {
	// Groups are the ids of the groups whose group-scoped records the
	// commit wrote or deleted, each once, in bytewise order.
	Groups [][]byte
	// MethodGroups are the method groups the commit wrote to, each once,
	// in catalogue order. Writes to the global method groups (key
	// packages, PSKs, signature and encryption key pairs) name their
	// method group but no group.
	MethodGroups []MethodGroup
	// Local is true for commits made through this provider and false for
	// commits another connection made (another tab or worker, another
	// provider over the same backend). A change merged from several
	// commits (see [Provider.Watch]) is Local only if all of them were.
	Local bool
}

// HasGroup reports whether the change names the group.
func (c Change) HasGroup(groupID []byte) bool {
	_, ok := slices.BinarySearchFunc(c.Groups, groupID, bytes.Compare)
	return ok
}

// HasMethodGroup reports whether the change names the method group.
func (c Change) HasMethodGroup(g MethodGroup) bool {
	return slices.Contains(c.MethodGroups, g)
}

// Notifier is an optional interface of a [Backend] that several
// connections share (tabs and workers over one IndexedDB database, handles
// over one in-memory store). A provider over it publishes the change of
// every commit it makes and learns of the commits of the others.
type Notifier interface {
	// Notify opens an endpoint of the backend's change notifications.
	// publish sends a change to every other endpoint over the same data,
	// never back to this one; receive is called with each change another
	// endpoint published. Delivery is best effort: a change published
	// while an endpoint is closing may be lost. receive must not block
	// and must not keep the slices of the change; publish must not keep
	// them either. stop closes the endpoint; it is called once.
	Notify(receive func(Change)) (publish func(Change), stop func())
}

// changeOf returns the change a batch of ops makes: the method groups of
// the stores it writes to and the groups of the group-scoped keys (read
// from the layout: version, then the length-prefixed group id). ok is
// false when the batch touches no method group (the meta store only).
func changeOf(ops []Op) (c Change, ok bool) {
	var seen [methodGroupEnd]bool
	var groups [][]byte
	for _, op := range ops {
		g, known := MethodGroupOf(op.Store)
		if !known {
			continue
		}
		seen[g] = true
		if catalogue[g-1].Scope == ScopeGlobal {
			continue
		}
		key := op.Key
		if op.Kind == OpDeleteRange {
			key = op.Range.Start
		}
		if id, ok := groupIDOf(key); ok {
			groups = append(groups, id)
		}
	}
	for g := MethodGroup(1); g < methodGroupEnd; g++ {
		if seen[g] {
			c.MethodGroups = append(c.MethodGroups, g)
		}
	}
	c.Groups = sortedUnique(groups)
	return c, len(c.MethodGroups) > 0
}

// groupIDOf returns the group id of a group-scoped key: the bytes after
// the 2-byte version and the 4-byte length, as long as the length says.
func groupIDOf(key []byte) ([]byte, bool) {
	if len(key) < 6 {
		return nil, false
	}
	n := binary.BigEndian.Uint32(key[2:6])
	if n == 0 || uint64(n) > uint64(len(key)-6) {
		return nil, false
	}
	return bytes.Clone(key[6 : 6+n]), true
}

// sortedUnique sorts byte strings and drops repeats, in place.
func sortedUnique(list [][]byte) [][]byte {
	sort.Sort(byteStrings(list))
	return slices.CompactFunc(list, bytes.Equal)
}

// byteStrings sorts byte strings bytewise. (sort.Sort rather than
// slices.SortFunc: every generic sort is kilobytes of wasm of its own.)
type byteStrings [][]byte

func (s byteStrings) Len() int           { return len(s) }
func (s byteStrings) Less(i, j int) bool { return bytes.Compare(s[i], s[j]) < 0 }
func (s byteStrings) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }

// merge returns the union of two changes; Local only if both are.
func merge(a, b Change) Change {
	out := Change{Local: a.Local && b.Local}
	groups := make([][]byte, 0, len(a.Groups)+len(b.Groups))
	for _, g := range a.Groups {
		groups = append(groups, bytes.Clone(g))
	}
	for _, g := range b.Groups {
		groups = append(groups, bytes.Clone(g))
	}
	out.Groups = sortedUnique(groups)
	var seen [methodGroupEnd]bool
	for _, list := range [][]MethodGroup{a.MethodGroups, b.MethodGroups} {
		for _, g := range list {
			if g > NoMethodGroup && g < methodGroupEnd {
				seen[g] = true
			}
		}
	}
	for g := MethodGroup(1); g < methodGroupEnd; g++ {
		if seen[g] {
			out.MethodGroups = append(out.MethodGroups, g)
		}
	}
	return out
}

// Watch calls fn with what each commit changed, from now until stop is
// called: the commits of this provider (Change.Local) and, when the
// backend implements [Notifier] (idbstore: a BroadcastChannel per
// database), those of other connections to the same data. fn runs on a
// goroutine of its own, one call at a time, in commit order; when it
// falls behind, the changes waiting for it are merged into one. fn may
// call the provider. stop returns at once (a call of fn already running
// finishes); calling it again does nothing. Close stops every watcher.
//
// On the view an Update function gets, Watch does nothing and returns a
// stop that does nothing.
func (p *Provider) Watch(fn func(Change)) (stop func()) {
	if p.top == nil || fn == nil {
		return func() {}
	}
	return p.top.hub.watch(fn)
}

// hub hands changes to a provider's watchers.
type hub struct {
	mu       sync.Mutex
	closed   bool
	watchers map[*watcher]struct{}
}

// watcher is one Watch: a goroutine that calls fn with the merged
// pending change whenever wake is signalled.
type watcher struct {
	fn       func(Change)
	mu       sync.Mutex
	pending  *Change
	wake     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

func (h *hub) watch(fn func(Change)) func() {
	w := &watcher{fn: fn, wake: make(chan struct{}, 1), done: make(chan struct{})}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return func() {}
	}
	if h.watchers == nil {
		h.watchers = map[*watcher]struct{}{}
	}
	h.watchers[w] = struct{}{}
	h.mu.Unlock()
	go w.run()
	return func() {
		h.mu.Lock()
		delete(h.watchers, w)
		h.mu.Unlock()
		w.stop()
	}
}

// active reports whether anyone watches.
func (h *hub) active() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.watchers) > 0
}

// deliver hands c to every watcher. It never blocks on a watcher.
func (h *hub) deliver(c Change) {
	h.mu.Lock()
	ws := make([]*watcher, 0, len(h.watchers))
	for w := range h.watchers {
		ws = append(ws, w)
	}
	h.mu.Unlock()
	for _, w := range ws {
		w.add(c)
	}
}

// close stops every watcher; later watches do nothing.
func (h *hub) close() {
	h.mu.Lock()
	h.closed = true
	ws := h.watchers
	h.watchers = nil
	h.mu.Unlock()
	for w := range ws {
		w.stop()
	}
}

func (w *watcher) add(c Change) {
	w.mu.Lock()
	if w.pending == nil {
		cp := merge(c, Change{Local: c.Local}) // a copy the watcher owns
		w.pending = &cp
	} else {
		m := merge(*w.pending, c)
		w.pending = &m
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *watcher) stop() { w.stopOnce.Do(func() { close(w.done) }) }

func (w *watcher) run() {
	for {
		select {
		case <-w.done:
			return
		case <-w.wake:
		}
		w.mu.Lock()
		c := w.pending
		w.pending = nil
		w.mu.Unlock()
		select {
		case <-w.done:
			return
		default:
		}
		if c != nil {
			w.fn(*c)
		}
	}
}
