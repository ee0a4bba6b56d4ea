package conformance

import (
	"bytes"
	"errors"
	"strings"

	"github.com/mlsidb/mlsidb"
)

// The backend rules check the [mlsidb.Backend] contract directly, with raw
// keys under the prefix FF FE (a version no provider has), in the psk
// store of a fresh backend.

func raw(b ...byte) []byte { return append([]byte{0xFF, 0xFE}, b...) }

// keysOf returns the keys of recs, hex encoded and space separated.
func keysOf(recs []mlsidb.Record) string {
	parts := make([]string, len(recs))
	for i, r := range recs {
		parts[i] = showKey(r.Key)
	}
	return strings.Join(parts, " ")
}

func keysList(keys ...[]byte) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = showKey(k)
	}
	return strings.Join(parts, " ")
}

func (s *suite) backendRules(r reporter) {
	const store = "psk"
	r.Run("scan", func(r reporter) {
		e := s.newEnv(r)
		sorted := [][]byte{raw(0), raw(0, 0), raw(1), raw(1, 0xFF), raw(0x7F), raw(0x80), raw(0xFF), raw(0xFF, 0xFF)}
		var ops []mlsidb.Op
		for _, i := range []int{5, 2, 7, 0, 3, 6, 1, 4} {
			ops = append(ops, mlsidb.Op{Kind: mlsidb.OpPut, Store: store, Key: sorted[i], Value: []byte{byte(i)}})
		}
		e.must(e.b.Apply(e.ctx, ops), "Apply")
		rev := func(k [][]byte) [][]byte {
			out := append([][]byte(nil), k...)
			for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
				out[i], out[j] = out[j], out[i]
			}
			return out
		}
		for _, tc := range []struct {
			name    string
			r       mlsidb.KeyRange
			reverse bool
			limit   int
			want    [][]byte
		}{
			{"prefix", mlsidb.PrefixRange(raw()), false, 0, sorted},
			{"full", mlsidb.KeyRange{}, false, 0, sorted},
			{"reverse", mlsidb.PrefixRange(raw()), true, 0, rev(sorted)},
			{"limit", mlsidb.PrefixRange(raw()), false, 3, sorted[:3]},
			{"reverse-limit", mlsidb.PrefixRange(raw()), true, 3, rev(sorted)[:3]},
			{"reverse-limit-1", mlsidb.PrefixRange(raw(1)), true, 1, [][]byte{raw(1, 0xFF)}},
			{"limit-above-count", mlsidb.PrefixRange(raw(1)), false, 10, [][]byte{raw(1), raw(1, 0xFF)}},
			{"half-open", mlsidb.KeyRange{Start: raw(0, 0), End: raw(1, 0xFF)}, false, 0, [][]byte{raw(0, 0), raw(1)}},
			{"prefix-ff", mlsidb.PrefixRange(raw(0xFF)), false, 0, [][]byte{raw(0xFF), raw(0xFF, 0xFF)}},
			{"open-end", mlsidb.KeyRange{Start: raw(0x80)}, false, 0, [][]byte{raw(0x80), raw(0xFF), raw(0xFF, 0xFF)}},
			{"open-start", mlsidb.KeyRange{End: raw(1)}, false, 0, [][]byte{raw(0), raw(0, 0)}},
			{"empty-range", mlsidb.PrefixRange(raw(2)), false, 0, nil},
		} {
			recs, err := e.b.Scan(e.ctx, store, tc.r, tc.reverse, tc.limit)
			if err != nil {
				r.Errorf("Scan %s: %v", tc.name, err)
				continue
			}
			if got, want := keysOf(recs), keysList(tc.want...); got != want {
				r.Errorf("Scan %s returned keys [%s], want [%s]", tc.name, got, want)
			}
		}
		for _, k := range [][]byte{raw(), raw(0, 0, 0), raw(0x7F, 0), raw(2)} {
			if v, err := e.b.Get(e.ctx, store, k); !errors.Is(err, mlsidb.ErrNotFound) {
				r.Errorf("Get of absent key %s: %s, %v; want ErrNotFound", showKey(k), show(v), err)
			}
		}
		e.must(e.b.Apply(e.ctx, []mlsidb.Op{{Kind: mlsidb.OpDeleteRange, Store: store, Range: mlsidb.KeyRange{Start: raw(0), End: raw(1)}}}), "Apply")
		recs, err := e.b.Scan(e.ctx, store, mlsidb.PrefixRange(raw()), false, 0)
		e.must(err, "Scan")
		if got, want := keysOf(recs), keysList(sorted[2:]...); got != want {
			r.Errorf("after deleting the range [%s, %s): keys [%s], want [%s]", showKey(raw(0)), showKey(raw(1)), got, want)
		}
	})
	r.Run("apply-order", func(r reporter) {
		e := s.newEnv(r)
		e.must(e.b.Apply(e.ctx, nil), "Apply of an empty batch")
		e.must(e.b.Apply(e.ctx, []mlsidb.Op{
			{Kind: mlsidb.OpPut, Store: store, Key: raw('a'), Value: []byte("1")},
			{Kind: mlsidb.OpPut, Store: store, Key: raw('a'), Value: []byte("2")},
			{Kind: mlsidb.OpDelete, Store: store, Key: raw('b')},
			{Kind: mlsidb.OpPut, Store: store, Key: raw('b'), Value: []byte("3")},
			{Kind: mlsidb.OpPut, Store: store, Key: raw('c', 1), Value: []byte("4")},
			{Kind: mlsidb.OpDelete, Store: store, Key: raw('a')},
			{Kind: mlsidb.OpDeleteRange, Store: store, Range: mlsidb.PrefixRange(raw('c'))},
			{Kind: mlsidb.OpPut, Store: store, Key: raw('c', 2), Value: []byte("5")},
			{Kind: mlsidb.OpPut, Store: "tree", Key: raw('d'), Value: []byte{}},
		}), "Apply")
		for _, x := range []struct {
			store string
			key   []byte
			want  string
			found bool
		}{{store, raw('a'), "", false}, {store, raw('b'), "3", true}, {store, raw('c', 1), "", false}, {store, raw('c', 2), "5", true}, {"tree", raw('d'), "", true}} {
			v, err := e.b.Get(e.ctx, x.store, x.key)
			switch {
			case !x.found && !errors.Is(err, mlsidb.ErrNotFound):
				r.Errorf("Get %s after the batch: %s, %v; want ErrNotFound", showKey(x.key), show(v), err)
			case x.found && (err != nil || string(v) != x.want || v == nil):
				r.Errorf("Get %s after the batch: %s, %v; want %q", showKey(x.key), show(v), err, x.want)
			}
		}
	})
	r.Run("owned-values", func(r reporter) {
		e := s.newEnv(r)
		in := []byte("value")
		e.must(e.b.Apply(e.ctx, []mlsidb.Op{{Kind: mlsidb.OpPut, Store: store, Key: raw('k'), Value: in}}), "Apply")
		copy(in, "XXXXX")
		got, err := e.b.Get(e.ctx, store, raw('k'))
		e.must(err, "Get")
		if string(got) != "value" {
			r.Errorf("the backend kept the caller's slice: Get = %s after the caller reused it", show(got))
		}
		copy(got, "YYYYY")
		recs, err := e.b.Scan(e.ctx, store, mlsidb.PrefixRange(raw()), false, 0)
		e.must(err, "Scan")
		if len(recs) != 1 || string(recs[0].Value) != "value" {
			r.Errorf("the backend handed out its own slice: Scan = %v after the caller modified what Get returned", recs)
		} else {
			copy(recs[0].Value, "ZZZZZ")
			recs[0].Key[2] = 'j'
		}
		if got, err := e.b.Get(e.ctx, store, raw('k')); err != nil || string(got) != "value" {
			r.Errorf("the backend handed out its own slice: Get = %s, %v after the caller modified what Scan returned", show(got), err)
		}
	})
	r.Run("every-store", func(r reporter) {
		e := s.newEnv(r)
		for _, name := range mlsidb.StoreNames() {
			if name == mlsidb.MetaStore {
				continue
			}
			e.must(e.b.Apply(e.ctx, []mlsidb.Op{{Kind: mlsidb.OpPut, Store: name, Key: raw(1), Value: []byte(name)}}), "Apply to "+name)
		}
		for _, name := range mlsidb.StoreNames() {
			if name == mlsidb.MetaStore {
				continue
			}
			if v, err := e.b.Get(e.ctx, name, raw(1)); err != nil || !bytes.Equal(v, []byte(name)) {
				r.Errorf("store %s holds %s, %v; want its own value", name, show(v), err)
			}
		}
	})
}
