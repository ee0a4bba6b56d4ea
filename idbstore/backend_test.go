//go:build js && wasm

package idbstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/conformance"
	"github.com/mlsidb/mlsidb/jsbridge"
	"github.com/mlsidb/mlsidb/memstore"
)

// The conformance suite, with the executor (as mlsidb.js runs it) and
// with Go issuing every request.
func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts func() Options
	}{
		{"executor", func() Options { return Options{Executor: testExecutor()} }},
		{"go", func() Options { return Options{} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conformance.Run(t, conformance.Options{
				New: func(t *testing.T) mlsidb.Backend {
					b, err := Open(testCtx(t), uniqueName(t), tc.opts())
					if err != nil {
						t.Fatalf("Open: %v", err)
					}
					return b
				},
				Reopen: func(t *testing.T, b mlsidb.Backend) mlsidb.Backend {
					old := b.(*Backend)
					_ = old.Close()
					nb, err := Open(testCtx(t), old.Name(), tc.opts())
					if err != nil {
						t.Fatalf("reopen: %v", err)
					}
					return nb
				},
				// A second connection to the same database, as a second tab opens.
				Share: func(t *testing.T, b mlsidb.Backend) mlsidb.Backend {
					nb, err := Open(testCtx(t), b.(*Backend).Name(), tc.opts())
					if err != nil {
						t.Fatalf("second connection: %v", err)
					}
					return nb
				},
			})
		})
	}
}

const store = "tree" // a record store the tests write to

func put(k, v []byte) mlsidb.Op { return mlsidb.Op{Kind: mlsidb.OpPut, Store: store, Key: k, Value: v} }

// pair is a backend under test with the reference backend beside it;
// every write goes to both, and reads are compared.
type pair struct {
	t   *testing.T
	idb *Backend
	ref *memstore.Backend
}

func newPair(t *testing.T) *pair {
	return &pair{t: t, idb: openTest(t, Options{}), ref: memstore.New()}
}

func (p *pair) apply(ops ...mlsidb.Op) {
	p.t.Helper()
	ctx := testCtx(p.t)
	if err := p.idb.Apply(ctx, ops); err != nil {
		p.t.Fatalf("Apply: %v", err)
	}
	if err := p.ref.Apply(ctx, ops); err != nil {
		p.t.Fatalf("reference Apply: %v", err)
	}
}

// scan compares a scan of both backends and returns its keys.
func (p *pair) scan(r mlsidb.KeyRange, reverse bool, limit int) [][]byte {
	p.t.Helper()
	ctx := testCtx(p.t)
	got, err := p.idb.Scan(ctx, store, r, reverse, limit)
	if err != nil {
		p.t.Fatalf("Scan: %v", err)
	}
	want, err := p.ref.Scan(ctx, store, r, reverse, limit)
	if err != nil {
		p.t.Fatalf("reference Scan: %v", err)
	}
	if !equalRecords(got, want) {
		p.t.Fatalf("Scan([%x, %x), reverse=%v, limit=%d) = %s, want %s", r.Start, r.End, reverse, limit, keysOf(got), keysOf(want))
	}
	var keys [][]byte
	for _, rec := range got {
		keys = append(keys, rec.Key)
	}
	return keys
}

func equalRecords(a, b []mlsidb.Record) bool {
	return slices.EqualFunc(a, b, func(x, y mlsidb.Record) bool {
		return bytes.Equal(x.Key, y.Key) && bytes.Equal(x.Value, y.Value) && x.Value != nil
	})
}

func keysOf(recs []mlsidb.Record) string {
	var s []string
	for _, r := range recs {
		s = append(s, fmt.Sprintf("%x", r.Key))
	}
	return "[" + strings.Join(s, " ") + "]"
}

func TestEveryByteValue(t *testing.T) {
	p := newPair(t)
	var ops []mlsidb.Op
	for i := 0; i < 256; i++ {
		ops = append(ops, put([]byte{byte(i)}, []byte{byte(i), 0xff, 0x00}))
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	special := [][]byte{{}, {0x00, 0x00}, {0x00, 0xff}, {0xff, 0x00}, {0xff, 0xff}, {0xff, 0xff, 0xff}, all}
	for _, k := range special {
		ops = append(ops, put(k, k))
	}
	p.apply(ops...)

	keys := p.scan(mlsidb.KeyRange{}, false, 0)
	if len(keys) != 256+len(special) {
		t.Fatalf("scan found %d keys, want %d", len(keys), 256+len(special))
	}
	if !slices.IsSortedFunc(keys, bytes.Compare) {
		t.Fatal("keys are not in bytewise order")
	}
	p.scan(mlsidb.KeyRange{}, true, 0)
	ctx := testCtx(t)
	for _, op := range ops {
		v, err := p.idb.Get(ctx, store, op.Key)
		if err != nil || !bytes.Equal(v, op.Value) {
			t.Fatalf("Get(%x) = %x, %v; want %x", op.Key, v, err, op.Value)
		}
	}
}

func TestRanges(t *testing.T) {
	p := newPair(t)
	keys := []string{"a", "a\x00", "a\x00\x00", "a\x00\xff", "a\x01", "a\xff", "a\xff\xff", "ab", "abc", "b", "\x00", "\xff", "\xff\xff"}
	var ops []mlsidb.Op
	for i, k := range keys {
		ops = append(ops, put([]byte(k), []byte{byte(i)}))
	}
	p.apply(ops...)
	b := func(s string) []byte { return []byte(s) }
	ranges := []struct {
		name string
		r    mlsidb.KeyRange
		want int
	}{
		{"all", mlsidb.KeyRange{}, len(keys)},
		{"prefix a", mlsidb.PrefixRange(b("a")), 9},
		{"prefix a00 does not bleed into a01", mlsidb.PrefixRange(b("a\x00")), 3},
		{"prefix aff", mlsidb.PrefixRange(b("a\xff")), 2},
		{"prefix ff (no upper bound)", mlsidb.PrefixRange(b("\xff")), 2},
		{"prefix ab", mlsidb.PrefixRange(b("ab")), 2},
		{"exact key only", mlsidb.KeyRange{Start: b("a"), End: b("a\x00")}, 1},
		{"end is exclusive", mlsidb.KeyRange{Start: b("a"), End: b("ab")}, 5},
		{"lower bound only", mlsidb.KeyRange{Start: b("ab")}, 7},
		{"upper bound only", mlsidb.KeyRange{End: b("a\x00")}, 2},
		{"empty start", mlsidb.KeyRange{Start: b("")}, len(keys)},
		{"empty end", mlsidb.KeyRange{End: b("")}, 0},
		{"start equals end", mlsidb.KeyRange{Start: b("a"), End: b("a")}, 0},
		{"start after end", mlsidb.KeyRange{Start: b("b"), End: b("a")}, 0},
		{"nothing stored in range", mlsidb.PrefixRange(b("c")), 0},
	}
	for _, tt := range ranges {
		t.Run(tt.name, func(t *testing.T) {
			p.t = t
			if got := p.scan(tt.r, false, 0); len(got) != tt.want {
				t.Fatalf("found %d keys, want %d", len(got), tt.want)
			}
			for _, limit := range []int{0, 1, 2, 3, 100} {
				p.scan(tt.r, false, limit)
				p.scan(tt.r, true, limit)
			}
		})
	}
	// Range deletes do not bleed either.
	t.Run("delete range", func(t *testing.T) {
		p.t = t
		p.apply(mlsidb.Op{Kind: mlsidb.OpDeleteRange, Store: store, Range: mlsidb.PrefixRange(b("a\x00"))})
		p.apply(mlsidb.Op{Kind: mlsidb.OpDeleteRange, Store: store, Range: mlsidb.KeyRange{Start: b("b"), End: b("a")}})
		if got := p.scan(mlsidb.KeyRange{}, false, 0); len(got) != len(keys)-3 {
			t.Fatalf("%d keys left, want %d", len(got), len(keys)-3)
		}
		p.apply(mlsidb.Op{Kind: mlsidb.OpDeleteRange, Store: store, Range: mlsidb.KeyRange{End: b("a\x01")}})
		p.apply(mlsidb.Op{Kind: mlsidb.OpDeleteRange, Store: store, Range: mlsidb.PrefixRange(b("\xff"))})
		if got := p.scan(mlsidb.KeyRange{}, false, 0); len(got) != len(keys)-3-2-2 {
			t.Fatalf("%d keys left, want %d", len(got), len(keys)-7)
		}
		p.apply(mlsidb.Op{Kind: mlsidb.OpDeleteRange, Store: store})
		if got := p.scan(mlsidb.KeyRange{}, false, 0); len(got) != 0 {
			t.Fatalf("%d keys left after deleting everything", len(got))
		}
	})
}

func TestReverseScanLimit(t *testing.T) {
	p := newPair(t)
	var ops []mlsidb.Op
	for i := 0; i < 50; i++ {
		ops = append(ops, put([]byte{'g', 0, byte(i)}, []byte{byte(i)}), put([]byte{'h', byte(i)}, nil))
	}
	p.apply(ops...)
	tests := []struct {
		limit int
		want  []byte // last byte of the keys, in order
	}{
		{1, []byte{49}},
		{3, []byte{49, 48, 47}},
		{50, nil},
		{0, nil},
		{51, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.limit), func(t *testing.T) {
			p.t = t
			keys := p.scan(mlsidb.PrefixRange([]byte{'g'}), true, tt.limit)
			if tt.want != nil {
				var last []byte
				for _, k := range keys {
					last = append(last, k[len(k)-1])
				}
				if !bytes.Equal(last, tt.want) {
					t.Fatalf("got %v, want %v", last, tt.want)
				}
			} else if len(keys) != 50 {
				t.Fatalf("got %d keys, want 50", len(keys))
			}
		})
	}
}

func TestEmptyValue(t *testing.T) {
	b := openTest(t, Options{})
	ctx := testCtx(t)
	if err := b.Apply(ctx, []mlsidb.Op{put([]byte("k"), nil), put([]byte("e"), []byte{})}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"k", "e"} {
		v, err := b.Get(ctx, store, []byte(k))
		if err != nil || v == nil || len(v) != 0 {
			t.Fatalf("Get(%s) = %v (nil: %v), %v; want a stored empty value", k, v, v == nil, err)
		}
	}
	if _, err := b.Get(ctx, store, []byte("missing")); !errors.Is(err, mlsidb.ErrNotFound) {
		t.Fatalf("Get(missing): err = %v, want ErrNotFound", err)
	}
}

func TestLargeValues(t *testing.T) {
	b := openTest(t, Options{})
	ctx := testCtx(t)
	for _, size := range []int{1 << 20, 8 << 20} {
		t.Run(fmt.Sprintf("%dMiB", size>>20), func(t *testing.T) {
			v := make([]byte, size)
			for i := range v {
				v[i] = byte(i*7 + i>>11)
			}
			k := []byte(fmt.Sprintf("large-%d", size))
			if err := b.Apply(ctx, []mlsidb.Op{put(k, v)}); err != nil {
				t.Fatal(err)
			}
			got, err := b.Get(ctx, store, k)
			if err != nil || !bytes.Equal(got, v) {
				t.Fatalf("Get: %d bytes, %v; want %d bytes back", len(got), err, size)
			}
			recs, err := b.Scan(ctx, store, mlsidb.PrefixRange(k), true, 1)
			if err != nil || len(recs) != 1 || !bytes.Equal(recs[0].Value, v) {
				t.Fatalf("Scan: %d records, %v", len(recs), err)
			}
		})
	}
}

func TestApplyInOrder(t *testing.T) {
	p := newPair(t)
	k := []byte("k")
	p.apply(put(k, []byte{1}), mlsidb.Op{Kind: mlsidb.OpDelete, Store: store, Key: k}, put(k, []byte{2}),
		put([]byte("k2"), []byte{3}), mlsidb.Op{Kind: mlsidb.OpDeleteRange, Store: store, Range: mlsidb.PrefixRange([]byte("k2"))},
		mlsidb.Op{Kind: mlsidb.OpPut, Store: "psk", Key: k, Value: []byte{4}})
	p.scan(mlsidb.KeyRange{}, false, 0)
	v, err := p.idb.Get(testCtx(t), "psk", k)
	if err != nil || !bytes.Equal(v, []byte{4}) {
		t.Fatalf("psk: %v, %v", v, err)
	}
}

func TestApplyIsAtomic(t *testing.T) {
	secret := []byte("SECRET-KEY-BYTES")
	tests := []struct {
		name string
		ops  []mlsidb.Op
		want error
	}{
		{"unknown op kind midway", []mlsidb.Op{put([]byte("a"), secret), {Kind: 99, Store: store, Key: secret}, put([]byte("b"), nil)}, mlsidb.ErrInvalidArgument},
		{"zero op kind", []mlsidb.Op{put([]byte("a"), nil), {Store: store, Key: secret}}, mlsidb.ErrInvalidArgument},
		{"unknown store midway", []mlsidb.Op{put([]byte("a"), nil), {Kind: mlsidb.OpPut, Store: "nope", Key: secret, Value: secret}, put([]byte("b"), nil)}, mlsidb.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := openTest(t, Options{})
			ctx := testCtx(t)
			if err := b.Apply(ctx, []mlsidb.Op{put([]byte("a"), []byte("old"))}); err != nil {
				t.Fatal(err)
			}
			err := b.Apply(ctx, tt.ops)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), string(secret)) {
				t.Fatalf("error %q holds key or value bytes", err)
			}
			assertOnly(t, b, "a", "old")
		})
	}

	// A request that fails inside IndexedDB after others were issued
	// aborts the transaction: add() of an existing key is a
	// ConstraintError.
	t.Run("failing request midway", func(t *testing.T) {
		b := openTest(t, Options{})
		ctx := testCtx(t)
		if err := b.Apply(ctx, []mlsidb.Op{put([]byte("a"), []byte("old"))}); err != nil {
			t.Fatal(err)
		}
		err := b.write(ctx, []string{store, "psk"}, func(os func(string) js.Value) error {
			os(store).Call("put", jsbridge.BytesToJS([]byte("x")), jsbridge.BytesToJS([]byte("b")))
			os("psk").Call("put", jsbridge.BytesToJS([]byte("x")), jsbridge.BytesToJS([]byte("c")))
			os(store).Call("put", jsbridge.BytesToJS([]byte("new")), jsbridge.BytesToJS([]byte("a")))
			os(store).Call("add", jsbridge.BytesToJS([]byte("x")), jsbridge.BytesToJS([]byte("a")))
			os(store).Call("put", jsbridge.BytesToJS([]byte("x")), jsbridge.BytesToJS([]byte("d")))
			return nil
		})
		var je *jsbridge.Error
		if !errors.As(err, &je) || je.Name != "ConstraintError" {
			t.Fatalf("err = %v, want ConstraintError", err)
		}
		assertOnly(t, b, "a", "old")
		if recs, err := b.Scan(ctx, "psk", mlsidb.KeyRange{}, false, 0); err != nil || len(recs) != 0 {
			t.Fatalf("psk holds %d records (%v), want none", len(recs), err)
		}
	})
	// A synchronous throw while issuing (here an invalid key range)
	// aborts the requests already issued.
	t.Run("throw while issuing", func(t *testing.T) {
		b := openTest(t, Options{})
		ctx := testCtx(t)
		err := b.write(ctx, []string{store}, func(os func(string) js.Value) error {
			os(store).Call("put", jsbridge.BytesToJS([]byte("x")), jsbridge.BytesToJS([]byte("b")))
			os(store).Call("delete", jsKeyRange.Call("bound", jsbridge.BytesToJS([]byte{2}), jsbridge.BytesToJS([]byte{1})))
			return nil
		})
		if !errors.Is(err, mlsidb.ErrInvalidArgument) {
			t.Fatalf("err = %v, want DataError as ErrInvalidArgument", err)
		}
		assertOnly(t, b)
	})
	t.Run("empty batches", func(t *testing.T) {
		b := openTest(t, Options{})
		ctx := testCtx(t)
		for _, ops := range [][]mlsidb.Op{nil, {}, {{Kind: mlsidb.OpDeleteRange, Store: store, Range: mlsidb.KeyRange{Start: []byte{1}, End: []byte{1}}}}} {
			if err := b.Apply(ctx, ops); err != nil {
				t.Fatalf("Apply(%d ops) = %v", len(ops), err)
			}
		}
	})
}

// assertOnly checks that store holds exactly the given key/value pairs.
func assertOnly(t *testing.T, b *Backend, kv ...string) {
	t.Helper()
	recs, err := b.Scan(testCtx(t), store, mlsidb.KeyRange{}, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, string(r.Key), string(r.Value))
	}
	if !slices.Equal(got, kv) && !(len(got) == 0 && len(kv) == 0) {
		t.Fatalf("store holds %q, want %q", got, kv)
	}
}

func TestUnknownStore(t *testing.T) {
	b := openTest(t, Options{})
	ctx := testCtx(t)
	if _, err := b.Get(ctx, "nope", []byte("k")); !errors.Is(err, mlsidb.ErrInvalidArgument) {
		t.Errorf("Get: err = %v", err)
	}
	if _, err := b.Scan(ctx, "nope", mlsidb.KeyRange{}, false, 0); !errors.Is(err, mlsidb.ErrInvalidArgument) {
		t.Errorf("Scan: err = %v", err)
	}
}

func TestContextCanceled(t *testing.T) {
	b := openTest(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Get(ctx, store, []byte("k")); !errors.Is(err, context.Canceled) {
		t.Errorf("Get: err = %v", err)
	}
	if _, err := b.Scan(ctx, store, mlsidb.KeyRange{}, true, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Scan: err = %v", err)
	}
	if err := b.Apply(ctx, []mlsidb.Op{put([]byte("k"), nil)}); !errors.Is(err, context.Canceled) {
		t.Errorf("Apply: err = %v", err)
	}
	if _, err := Open(ctx, uniqueName(t), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Open: err = %v", err)
	}
	assertOnly(t, b)
}

func TestClosed(t *testing.T) {
	b := openTest(t, Options{})
	if err := b.Err(); err != nil {
		t.Fatalf("Err() = %v on an open backend", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	checkClosed(t, b)
	if !errors.Is(b.Err(), mlsidb.ErrClosed) {
		t.Fatalf("Err() = %v", b.Err())
	}
}

// checkClosed checks that every call fails with ErrClosed, promptly.
func checkClosed(t *testing.T, b *Backend) {
	t.Helper()
	ctx := testCtx(t)
	if _, err := b.Get(ctx, store, []byte("k")); !errors.Is(err, mlsidb.ErrClosed) {
		t.Errorf("Get: err = %v, want ErrClosed", err)
	}
	if _, err := b.Scan(ctx, store, mlsidb.KeyRange{}, false, 0); !errors.Is(err, mlsidb.ErrClosed) {
		t.Errorf("Scan: err = %v, want ErrClosed", err)
	}
	if _, err := b.Scan(ctx, store, mlsidb.KeyRange{}, true, 1); !errors.Is(err, mlsidb.ErrClosed) {
		t.Errorf("reverse Scan: err = %v, want ErrClosed", err)
	}
	if err := b.Apply(ctx, []mlsidb.Op{put([]byte("k"), nil)}); !errors.Is(err, mlsidb.ErrClosed) {
		t.Errorf("Apply: err = %v, want ErrClosed", err)
	}
}

// TestCloseWhileInFlight closes the backend while calls of every kind are
// running: each must end promptly with success or ErrClosed, and a write
// reported as done must be there after a reopen.
func TestCloseWhileInFlight(t *testing.T) {
	name := uniqueName(t)
	b := openNamed(t, name, Options{})
	ctx := testCtx(t)
	var seed []mlsidb.Op
	for i := 0; i < 200; i++ {
		seed = append(seed, put([]byte{'s', byte(i)}, bytes.Repeat([]byte{byte(i)}, 1024)))
	}
	if err := b.Apply(ctx, seed); err != nil {
		t.Fatal(err)
	}
	type result struct {
		what string
		key  []byte // the key an Apply wrote
		err  error
	}
	const n = 10
	results := make(chan result, 4*n)
	started := make(chan struct{}, 4*n)
	for i := 0; i < n; i++ {
		go func() {
			started <- struct{}{}
			k := []byte{'w', byte(i)}
			results <- result{"Apply", k, b.Apply(ctx, []mlsidb.Op{put(k, make([]byte, 64<<10))})}
		}()
		go func() {
			started <- struct{}{}
			_, err := b.Get(ctx, store, []byte{'s', byte(i)})
			results <- result{"Get", nil, err}
		}()
		go func() {
			started <- struct{}{}
			_, err := b.Scan(ctx, store, mlsidb.KeyRange{}, false, 0)
			results <- result{"Scan", nil, err}
		}()
		go func() {
			started <- struct{}{}
			_, err := b.Scan(ctx, store, mlsidb.KeyRange{}, true, 0) // a long cursor walk
			results <- result{"reverse Scan", nil, err}
		}()
	}
	for i := 0; i < 4*n; i++ {
		<-started
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	var written [][]byte
	for i := 0; i < 4*n; i++ {
		select {
		case r := <-results:
			switch {
			case r.err == nil:
				if r.key != nil {
					written = append(written, r.key)
				}
			case errors.Is(r.err, mlsidb.ErrClosed):
			default:
				t.Errorf("%s: err = %v, want nil or ErrClosed", r.what, r.err)
			}
		case <-deadline:
			t.Fatalf("%d calls still running 10 s after Close", 4*n-i)
		}
	}
	t.Logf("%d of %d writes in flight at Close were committed", len(written), n)
	checkClosed(t, b)
	b2 := openNamed(t, name, Options{})
	for _, k := range written {
		if _, err := b2.Get(ctx, store, k); err != nil {
			t.Errorf("write %x reported done is missing after reopen: %v", k, err)
		}
	}
}

func TestDurability(t *testing.T) {
	tests := []struct {
		d    Durability
		want string
	}{
		{DurabilityStrict, "strict"},
		{DurabilityRelaxed, "relaxed"},
		{DurabilityBrowserDefault, "default"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.d.String(); got != tt.want {
				t.Fatalf("String() = %q", got)
			}
			b := openTest(t, Options{Durability: tt.d})
			if got := b.txOptions.Get("durability").String(); got != tt.want {
				t.Fatalf("transactions get durability %q, want %q", got, tt.want)
			}
			ctx := testCtx(t)
			if err := b.Apply(ctx, []mlsidb.Op{put([]byte("k"), []byte("v"))}); err != nil {
				t.Fatal(err)
			}
			assertOnly(t, b, "k", "v")
		})
	}
	if (Options{}).Durability != DurabilityStrict {
		t.Fatal("the zero Options are not strict")
	}
	if _, err := Open(testCtx(t), uniqueName(t), Options{Durability: 9}); !errors.Is(err, mlsidb.ErrInvalidArgument) {
		t.Fatalf("unknown durability: err = %v", err)
	}
}

func TestOpenBadArguments(t *testing.T) {
	ctx := testCtx(t)
	if _, err := Open(ctx, "", Options{}); !errors.Is(err, mlsidb.ErrInvalidArgument) {
		t.Errorf("empty name: err = %v", err)
	}
	if _, err := Open(ctx, uniqueName(t), Options{BlockedTimeout: -1}); !errors.Is(err, mlsidb.ErrInvalidArgument) {
		t.Errorf("negative timeout: err = %v", err)
	}
}
