// Package memstore is the in-memory [mlsidb.Backend]: the reference
// backend, and what native Go programs and tests use. Nothing survives the
// process.
//
//	p, err := mlsidb.New(ctx, memstore.New(), mlsidb.Options{})
//
// [Backend.Share] opens a second handle over the same records, as a second
// tab opens a second connection to one IndexedDB database: the handles
// share the writer lock ([mlsidb.Locker]), the group locks
// ([mlsidb.GroupLocker]) and change notifications ([mlsidb.Notifier]), so
// providers over them behave like providers in two tabs.
package memstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/mlsidb/mlsidb"
)

// Compile-time check.
var _ mlsidb.BatchReader = (*Backend)(nil)

// Backend is one handle on in-memory records, ordered by key. It is safe
// for concurrent use; every Apply is atomic. The zero value is not usable;
// call [New] or [Backend.Share].
type Backend struct {
	d      *data
	closed bool // guarded by d.mu
}

// data is what the handles of one store share.
type data struct {
	mu     sync.RWMutex
	stores map[string]*table

	writer chan struct{} // the writer lock: a mutex whose wait a ctx can end
	groups lockTable

	notifyMu  sync.Mutex
	endpoints map[*endpoint]struct{}
}

// table is one record store: keys kept sorted beside a map of values.
type table struct {
	keys []string
	vals map[string][]byte
}

// New returns an empty in-memory backend.
func New() *Backend {
	return &Backend{d: &data{
		stores:    map[string]*table{},
		writer:    make(chan struct{}, 1),
		endpoints: map[*endpoint]struct{}{},
	}}
}

// Share returns another handle over the same records. Closing one handle
// leaves the others open.
func (b *Backend) Share() *Backend {
	return &Backend{d: b.d}
}

var errClosed = closedError{}

var errBadOp = fmt.Errorf("memstore: %w: unknown op kind", mlsidb.ErrInvalidArgument)

type closedError struct{}

func (closedError) Error() string { return "memstore: " + mlsidb.ErrClosed.Error() }
func (closedError) Unwrap() error { return mlsidb.ErrClosed }

// Get implements [mlsidb.Backend].
func (b *Backend) Get(ctx context.Context, store string, key []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.d.mu.RLock()
	defer b.d.mu.RUnlock()
	if b.closed {
		return nil, errClosed
	}
	v, ok := b.get(store, key)
	if !ok {
		return nil, mlsidb.ErrNotFound
	}
	return v, nil
}

// get returns a copy of the value under key; the caller holds b.d.mu.
func (b *Backend) get(store string, key []byte) ([]byte, bool) {
	t := b.d.stores[store]
	if t == nil {
		return nil, false
	}
	v, ok := t.vals[string(key)]
	if !ok {
		return nil, false
	}
	return bytes.Clone(nonNil(v)), true
}

func nonNil(v []byte) []byte {
	if v == nil {
		return []byte{}
	}
	return v
}

// Scan implements [mlsidb.Backend].
func (b *Backend) Scan(ctx context.Context, store string, r mlsidb.KeyRange, reverse bool, limit int) ([]mlsidb.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.d.mu.RLock()
	defer b.d.mu.RUnlock()
	if b.closed {
		return nil, errClosed
	}
	return b.scan(store, r, reverse, limit), nil
}

// scan returns copies of the records in r; the caller holds b.d.mu.
func (b *Backend) scan(store string, r mlsidb.KeyRange, reverse bool, limit int) []mlsidb.Record {
	t := b.d.stores[store]
	if t == nil {
		return []mlsidb.Record{}
	}
	lo, hi := t.bounds(r)
	n := hi - lo
	if limit > 0 && n > limit {
		n = limit
	}
	out := make([]mlsidb.Record, 0, n)
	for i := 0; i < n; i++ {
		j := lo + i
		if reverse {
			j = hi - 1 - i
		}
		k := t.keys[j]
		out = append(out, mlsidb.Record{Key: []byte(k), Value: bytes.Clone(nonNil(t.vals[k]))})
	}
	return out
}

// ReadBatch implements [mlsidb.BatchReader]: every read under one lock.
func (b *Backend) ReadBatch(ctx context.Context, reads []mlsidb.Read) ([]mlsidb.ReadResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.d.mu.RLock()
	defer b.d.mu.RUnlock()
	if b.closed {
		return nil, errClosed
	}
	out := make([]mlsidb.ReadResult, len(reads))
	for i, r := range reads {
		if r.Scan {
			out[i].Records = b.scan(r.Store, r.Range, r.Reverse, r.Limit)
			continue
		}
		out[i].Value, out[i].Found = b.get(r.Store, r.Key)
	}
	return out, nil
}

// bounds returns the index range of keys inside r.
func (t *table) bounds(r mlsidb.KeyRange) (lo, hi int) {
	if r.Start != nil {
		lo = sort.SearchStrings(t.keys, string(r.Start))
	}
	hi = len(t.keys)
	if r.End != nil {
		hi = sort.SearchStrings(t.keys, string(r.End))
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// Apply implements [mlsidb.Backend]: the ops take effect together, under
// one lock.
func (b *Backend) Apply(ctx context.Context, ops []mlsidb.Op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.d.mu.Lock()
	defer b.d.mu.Unlock()
	if b.closed {
		return errClosed
	}
	for _, op := range ops {
		if op.Kind < mlsidb.OpPut || op.Kind > mlsidb.OpDeleteRange {
			return errBadOp
		}
	}
	for _, op := range ops {
		t := b.d.stores[op.Store]
		if t == nil {
			if op.Kind != mlsidb.OpPut {
				continue
			}
			t = &table{vals: map[string][]byte{}}
			b.d.stores[op.Store] = t
		}
		switch op.Kind {
		case mlsidb.OpPut:
			k := string(op.Key)
			if _, ok := t.vals[k]; !ok {
				i := sort.SearchStrings(t.keys, k)
				t.keys = slices.Insert(t.keys, i, k)
			}
			t.vals[k] = bytes.Clone(nonNil(op.Value))
		case mlsidb.OpDelete:
			k := string(op.Key)
			if _, ok := t.vals[k]; ok {
				delete(t.vals, k)
				i := sort.SearchStrings(t.keys, k)
				t.keys = slices.Delete(t.keys, i, i+1)
			}
		case mlsidb.OpDeleteRange:
			lo, hi := t.bounds(op.Range)
			for _, k := range t.keys[lo:hi] {
				delete(t.vals, k)
			}
			t.keys = slices.Delete(t.keys, lo, hi)
		}
	}
	return nil
}

// Close implements [mlsidb.Backend]: later calls of this handle fail
// with ErrClosed. Other handles (see [Backend.Share]) stay open.
func (b *Backend) Close() error {
	b.d.mu.Lock()
	defer b.d.mu.Unlock()
	b.closed = true
	return nil
}

// Len returns how many records the backend holds in all stores; tests use
// it to check that nothing is left behind.
func (b *Backend) Len() int {
	b.d.mu.RLock()
	defer b.d.mu.RUnlock()
	n := 0
	for _, t := range b.d.stores {
		n += len(t.keys)
	}
	return n
}
