package mlsidb

import (
	"bytes"
	"context"
	"slices"
	"sync"
)

// overlay is the write buffer of a transaction: reads see its own writes
// over the base kv; nothing reaches the base until ops() is applied.
type overlay struct {
	base kv
	rmw  sem // serializes read-modify-writes of the transaction's goroutines

	mu     sync.Mutex
	done   bool
	stores map[string]*ovStore
	order  []string // stores in the order first written, for a stable commit
}

type ovStore struct {
	entries map[string]ovEntry
	ranges  []KeyRange // deleted ranges; entries written after them win
}

type ovEntry struct {
	value   []byte
	deleted bool
}

var errTxDone = &detailError{sentinel: ErrClosed, detail: "the transaction has ended"}

func newOverlay(base kv) *overlay {
	return &overlay{base: base, rmw: newSem(), stores: map[string]*ovStore{}}
}

// finish ends the transaction: later use of its view fails with ErrClosed.
func (o *overlay) finish() {
	o.mu.Lock()
	o.done = true
	o.mu.Unlock()
}

// lock serializes the transaction's read-modify-writes. It fails with
// ErrClosed once the transaction has ended, so a nested Update on a
// finished view neither runs its function nor succeeds.
func (o *overlay) lock(ctx context.Context) (func(), error) {
	o.mu.Lock()
	done := o.done
	o.mu.Unlock()
	if done {
		return nil, errTxDone
	}
	return o.rmw.lock(ctx)
}

// state returns the store's buffer (nil when untouched) or errTxDone.
func (o *overlay) state(store string) (*ovStore, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done {
		return nil, errTxDone
	}
	return o.stores[store], nil
}

func (o *overlay) get(ctx context.Context, store string, key []byte) ([]byte, error) {
	o.mu.Lock()
	if o.done {
		o.mu.Unlock()
		return nil, errTxDone
	}
	if s := o.stores[store]; s != nil {
		if e, ok := s.entries[string(key)]; ok {
			o.mu.Unlock()
			if e.deleted {
				return nil, ErrNotFound
			}
			return bytes.Clone(e.value), nil
		}
		for _, r := range s.ranges {
			if r.Contains(key) {
				o.mu.Unlock()
				return nil, ErrNotFound
			}
		}
	}
	o.mu.Unlock()
	return o.base.get(ctx, store, key)
}

func (o *overlay) scan(ctx context.Context, store string, r KeyRange, reverse bool, limit int) ([]Record, error) {
	if s, err := o.state(store); err != nil || s == nil {
		if err != nil {
			return nil, err
		}
		return o.base.scan(ctx, store, r, reverse, limit)
	}
	base, err := o.base.scan(ctx, store, r, false, 0)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	s := o.stores[store]
	out := make([]Record, 0, len(base))
	for _, rec := range base {
		if _, ok := s.entries[string(rec.Key)]; ok || inRanges(s.ranges, rec.Key) {
			continue
		}
		out = append(out, rec)
	}
	for k, e := range s.entries {
		if !e.deleted && r.Contains([]byte(k)) {
			out = append(out, Record{Key: []byte(k), Value: bytes.Clone(e.value)})
		}
	}
	o.mu.Unlock()
	slices.SortFunc(out, func(a, b Record) int { return bytes.Compare(a.Key, b.Key) })
	if reverse {
		slices.Reverse(out)
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func inRanges(ranges []KeyRange, key []byte) bool {
	for _, r := range ranges {
		if r.Contains(key) {
			return true
		}
	}
	return false
}

func (o *overlay) apply(_ context.Context, ops []Op) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done {
		return errTxDone
	}
	for _, op := range ops {
		s := o.stores[op.Store]
		if s == nil {
			s = &ovStore{entries: map[string]ovEntry{}}
			o.stores[op.Store] = s
			o.order = append(o.order, op.Store)
		}
		switch op.Kind {
		case OpPut:
			s.entries[string(op.Key)] = ovEntry{value: op.Value}
		case OpDelete:
			s.entries[string(op.Key)] = ovEntry{deleted: true}
		case OpDeleteRange:
			for k := range s.entries {
				if op.Range.Contains([]byte(k)) {
					delete(s.entries, k)
				}
			}
			s.ranges = append(s.ranges, op.Range)
		}
	}
	return nil
}

// ops returns the batch that commits the buffer: per store, its range
// deletes, then its puts and deletes in key order.
func (o *overlay) ops() []Op {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []Op
	for _, name := range o.order {
		s := o.stores[name]
		for _, r := range s.ranges {
			out = append(out, Op{Kind: OpDeleteRange, Store: name, Range: r})
		}
		keys := make([]string, 0, len(s.entries))
		for k := range s.entries {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			e := s.entries[k]
			if e.deleted {
				out = append(out, Op{Kind: OpDelete, Store: name, Key: []byte(k)})
			} else {
				out = append(out, Op{Kind: OpPut, Store: name, Key: []byte(k), Value: e.value})
			}
		}
	}
	return out
}
