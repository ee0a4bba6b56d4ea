package jsbridge

import (
	"bytes"
	"testing"

	"github.com/mlsidb/mlsidb"
)

func TestPlanRange(t *testing.T) {
	b := func(s ...byte) []byte { return append([]byte{}, s...) }
	tests := []struct {
		name string
		r    mlsidb.KeyRange
		want RangeKind
	}{
		{"unbounded", mlsidb.KeyRange{}, RangeAll},
		{"lower only", mlsidb.KeyRange{Start: b(1)}, RangeLower},
		{"empty lower only", mlsidb.KeyRange{Start: b()}, RangeLower},
		{"upper only", mlsidb.KeyRange{End: b(1)}, RangeUpper},
		{"empty upper", mlsidb.KeyRange{End: b()}, RangeEmpty},
		{"empty upper with lower", mlsidb.KeyRange{Start: b(), End: b()}, RangeEmpty},
		{"bound", mlsidb.KeyRange{Start: b(1), End: b(2)}, RangeBound},
		{"bound prefix", mlsidb.KeyRange{Start: b(1), End: b(1, 0)}, RangeBound},
		{"start equals end", mlsidb.KeyRange{Start: b(1), End: b(1)}, RangeEmpty},
		{"start after end", mlsidb.KeyRange{Start: b(2), End: b(1)}, RangeEmpty},
		{"longer start after end", mlsidb.KeyRange{Start: b(1, 0), End: b(1)}, RangeEmpty},
		{"prefix range", mlsidb.PrefixRange(b(0, 0xff)), RangeBound},
		{"prefix range of 0xff", mlsidb.PrefixRange(b(0xff, 0xff)), RangeLower},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PlanRange(tt.r); got != tt.want {
				t.Fatalf("PlanRange = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestPlanRangeAgreesWithContains checks, over many ranges and keys, that
// a range planned empty contains no key, and that the plan's bounds select
// exactly the keys KeyRange.Contains accepts.
func TestPlanRangeAgreesWithContains(t *testing.T) {
	var keys [][]byte
	for _, k := range []string{"", "\x00", "\x00\x00", "\x01", "\x01\x00", "\x7f", "\xff", "\xff\x00", "\xff\xff", "a", "ab", "b"} {
		keys = append(keys, []byte(k))
	}
	bounds := append([][]byte{nil}, keys...)
	for _, s := range bounds {
		for _, e := range bounds {
			r := mlsidb.KeyRange{Start: s, End: e}
			kind := PlanRange(r)
			for _, k := range keys {
				var in bool
				switch kind {
				case RangeAll:
					in = true
				case RangeLower:
					in = bytes.Compare(k, s) >= 0
				case RangeUpper:
					in = bytes.Compare(k, e) < 0
				case RangeBound:
					in = bytes.Compare(k, s) >= 0 && bytes.Compare(k, e) < 0
				case RangeEmpty:
					in = false
				}
				if in != r.Contains(k) {
					t.Fatalf("range [%x, %x) planned %v: key %x selected=%v, Contains=%v", s, e, kind, k, in, r.Contains(k))
				}
			}
		}
	}
}

func TestRangeKindString(t *testing.T) {
	for k, want := range map[RangeKind]string{RangeAll: "all", RangeLower: "lower", RangeUpper: "upper", RangeBound: "bound", RangeEmpty: "empty", 0: "unknown"} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", k, got, want)
		}
	}
}
