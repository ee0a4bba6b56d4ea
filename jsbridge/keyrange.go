package jsbridge

import (
	"bytes"

	"github.com/mlsidb/mlsidb"
)

// RangeKind says which IDBKeyRange a [mlsidb.KeyRange] becomes; see
// [PlanRange].
type RangeKind uint8

const (
	// RangeAll is a range without bounds: no IDBKeyRange, the query is
	// null (every record).
	RangeAll RangeKind = iota + 1
	// RangeLower is IDBKeyRange.lowerBound(start): every key >= start.
	RangeLower
	// RangeUpper is IDBKeyRange.upperBound(end, true): every key < end.
	RangeUpper
	// RangeBound is IDBKeyRange.bound(start, end, false, true): start <=
	// key < end.
	RangeBound
	// RangeEmpty is a range no binary key lies in (end <= start, or an
	// empty end). IDBKeyRange.bound would throw a DataError for it, so a
	// scan of it returns nothing and a delete of it does nothing, without
	// asking IndexedDB.
	RangeEmpty
)

// String returns the kind's name.
func (k RangeKind) String() string {
	switch k {
	case RangeAll:
		return "all"
	case RangeLower:
		return "lower"
	case RangeUpper:
		return "upper"
	case RangeBound:
		return "bound"
	case RangeEmpty:
		return "empty"
	}
	return "unknown"
}

// PlanRange returns the kind of IDBKeyRange that selects exactly the binary
// keys of the half-open range r = [r.Start, r.End), nil meaning unbounded.
func PlanRange(r mlsidb.KeyRange) RangeKind {
	switch {
	case r.End != nil && len(r.End) == 0:
		return RangeEmpty // no byte string sorts before the empty one
	case r.Start == nil && r.End == nil:
		return RangeAll
	case r.End == nil:
		return RangeLower
	case r.Start == nil:
		return RangeUpper
	case bytes.Compare(r.Start, r.End) >= 0:
		return RangeEmpty
	}
	return RangeBound
}
