package mlsidb

import (
	"bytes"
	"context"
	"sort"
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
	if o.isDone() {
		return nil, errTxDone
	}
	if pl := planOf(ctx); pl != nil {
		return pl.hold(o.rmw)
	}
	return o.rmw.lock(ctx)
}

func (o *overlay) tryLock() (func(), bool, error) {
	if o.isDone() {
		return nil, false, errTxDone
	}
	unlock, ok := o.rmw.tryLock()
	return unlock, ok, nil
}

func (o *overlay) isDone() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.done
}

func (o *overlay) root() *direct { return o.base.root() }

func (o *overlay) get(ctx context.Context, store string, key []byte) ([]byte, error) {
	res, err := o.read(ctx, []Read{{Store: store, Key: key}})
	if err != nil {
		return nil, err
	}
	if !res[0].Found {
		return nil, ErrNotFound
	}
	return res[0].Value, nil
}

func (o *overlay) scan(ctx context.Context, store string, r KeyRange, reverse bool, limit int) ([]Record, error) {
	res, err := o.read(ctx, []Read{{Store: store, Scan: true, Range: r, Reverse: reverse, Limit: limit}})
	if err != nil {
		return nil, err
	}
	return res[0].Records, nil
}

// read answers what the buffer knows and asks the base, in one batch, for
// the rest: Gets of keys the transaction has not written, and Scans, which
// are merged with the buffer (in full, before reverse and limit apply,
// when the transaction wrote to their store).
func (o *overlay) read(ctx context.Context, reads []Read) ([]ReadResult, error) {
	if pl := planOf(ctx); pl != nil {
		if err := pl.reading(); err != nil {
			return nil, err
		}
	}
	out := make([]ReadResult, len(reads))
	var (
		base  []Read
		at    []int  // index in reads of each base read
		merge []bool // whether it is a Scan to merge with the buffer
	)
	o.mu.Lock()
	if o.done {
		o.mu.Unlock()
		return nil, errTxDone
	}
	for i, r := range reads {
		s := o.stores[r.Store]
		full := false
		switch {
		case r.Scan && s != nil:
			r = Read{Store: r.Store, Scan: true, Range: r.Range} // merged below
			full = true
		case r.Scan:
		case s != nil:
			if e, ok := s.entries[string(r.Key)]; ok {
				if !e.deleted {
					out[i] = ReadResult{Found: true, Value: bytes.Clone(e.value)}
				}
				continue
			}
			if inRanges(s.ranges, r.Key) {
				continue
			}
		}
		base = append(base, r)
		at = append(at, i)
		merge = append(merge, full)
	}
	o.mu.Unlock()
	if len(base) == 0 {
		return out, nil
	}
	res, err := o.base.read(ctx, base)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for j, i := range at {
		if !merge[j] {
			out[i] = res[j]
			continue
		}
		r := reads[i]
		out[i] = ReadResult{Records: o.stores[r.Store].merge(res[j].Records, r)}
	}
	return out, nil
}

// merge returns the records of r: base (the base's records of r.Range, in
// key order) with the buffer's writes applied, then reversed and cut to
// r.Limit.
func (s *ovStore) merge(base []Record, r Read) []Record {
	out := make([]Record, 0, len(base))
	for _, rec := range base {
		if _, ok := s.entries[string(rec.Key)]; ok || inRanges(s.ranges, rec.Key) {
			continue
		}
		out = append(out, rec)
	}
	for k, e := range s.entries {
		if !e.deleted && r.Range.Contains([]byte(k)) {
			out = append(out, Record{Key: []byte(k), Value: bytes.Clone(e.value)})
		}
	}
	sort.Sort(byKey(out))
	if r.Reverse {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	if r.Limit > 0 && len(out) > r.Limit {
		out = out[:r.Limit]
	}
	return out
}

// byKey sorts records by key. (sort.Sort, not slices.SortFunc: each
// generic sort is kilobytes of wasm of its own.)
type byKey []Record

func (s byKey) Len() int           { return len(s) }
func (s byKey) Less(i, j int) bool { return bytes.Compare(s[i].Key, s[j].Key) < 0 }
func (s byKey) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }

func inRanges(ranges []KeyRange, key []byte) bool {
	for _, r := range ranges {
		if r.Contains(key) {
			return true
		}
	}
	return false
}

func (o *overlay) apply(ctx context.Context, ops []Op) error {
	if pl := planOf(ctx); pl != nil {
		if o.isDone() {
			return errTxDone
		}
		return pl.record(o, ops)
	}
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
		sort.Sort(sort.StringSlice(keys))
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
