package mlsidb

import "context"

// Backend is what a storage engine implements for [Provider]: ordered
// binary key/value records in named record stores (see [StoreNames]). It
// knows nothing of OpenMLS. Keys order bytewise (as bytes.Compare does, and
// as IndexedDB orders binary keys).
//
// Implementations must be safe for concurrent use. Values passed in and
// returned are owned by the receiver: a backend copies what it keeps, and
// a caller may keep what it gets.
type Backend interface {
	// Get returns the value stored under key, or an error wrapping
	// [ErrNotFound].
	Get(ctx context.Context, store string, key []byte) ([]byte, error)
	// Scan returns the records of store whose keys lie in r, in ascending
	// key order (descending when reverse is set), at most limit records
	// when limit > 0.
	Scan(ctx context.Context, store string, r KeyRange, reverse bool, limit int) ([]Record, error)
	// Apply performs ops in order as one atomic batch: after it returns,
	// either every op took effect or none did. A batch without ops
	// succeeds.
	Apply(ctx context.Context, ops []Op) error
	// Close releases the backend. Later calls fail with [ErrClosed].
	Close() error
}

// Record is one key/value record of a record store.
type Record struct {
	// Key is the record's key.
	Key []byte
	// Value is the record's value.
	Value []byte
}

// KeyRange is the half-open range of keys [Start, End). A nil Start is
// unbounded below, a nil End unbounded above.
type KeyRange struct {
	// Start is the first key of the range (inclusive).
	Start []byte
	// End is the first key after the range (exclusive).
	End []byte
}

// PrefixRange returns the range of every key that starts with prefix.
func PrefixRange(prefix []byte) KeyRange {
	return KeyRange{Start: prefix, End: prefixEnd(prefix)}
}

// Contains reports whether key lies in r.
func (r KeyRange) Contains(key []byte) bool {
	if r.Start != nil && string(key) < string(r.Start) {
		return false
	}
	return r.End == nil || string(key) < string(r.End)
}

// prefixEnd returns the smallest key greater than every key starting with
// prefix, or nil when there is none (prefix is empty or all 0xFF).
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// OpKind is the kind of a write in a batch.
type OpKind uint8

const (
	// OpPut stores Value under Key, replacing any earlier value.
	OpPut OpKind = iota + 1
	// OpDelete deletes the record under Key, if any.
	OpDelete
	// OpDeleteRange deletes every record whose key lies in Range.
	OpDeleteRange
)

// Op is one write of a batch given to [Backend.Apply].
type Op struct {
	// Kind is what the op does.
	Kind OpKind
	// Store is the record store it writes to.
	Store string
	// Key is the key of OpPut and OpDelete.
	Key []byte
	// Value is the value of OpPut.
	Value []byte
	// Range is the range of OpDeleteRange.
	Range KeyRange
}
