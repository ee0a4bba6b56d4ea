//go:build js && wasm

package idbstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/mlsidb/mlsidb"
)

// ReadBatch (and so ReadAsync) reads any mix of Gets and Scans over
// several object stores in one transaction, as the reference does.
func TestReadBatch(t *testing.T) {
	p := newPair(t)
	ctx := testCtx(t)
	var ops []mlsidb.Op
	for i := 0; i < 6; i++ {
		ops = append(ops, put([]byte{'k', byte(i)}, []byte{'v', byte(i)}))
		ops = append(ops, mlsidb.Op{Kind: mlsidb.OpPut, Store: "psk", Key: []byte{'p', byte(i)}, Value: []byte{byte(i)}})
	}
	ops = append(ops, put([]byte("empty"), nil))
	p.apply(ops...)
	all := mlsidb.PrefixRange([]byte("k"))
	reads := []mlsidb.Read{
		{Store: store, Key: []byte{'k', 2}},
		{Store: store, Key: []byte("missing")},
		{Store: store, Key: []byte("empty")},
		{Store: "psk", Scan: true, Range: mlsidb.PrefixRange([]byte("p"))},
		{Store: store, Scan: true, Range: all, Reverse: true, Limit: 1},
		{Store: store, Scan: true, Range: all, Reverse: true},
		{Store: store, Scan: true, Range: all, Reverse: true, Limit: 2},
		{Store: store, Scan: true, Range: all, Limit: 3},
		{Store: store, Scan: true, Range: mlsidb.KeyRange{Start: []byte{2}, End: []byte{1}}},
		{Store: "psk", Key: []byte{'p', 5}},
		{Store: store, Scan: true, Range: mlsidb.PrefixRange([]byte("none")), Reverse: true, Limit: 1},
	}
	check := func(name string, reads []mlsidb.Read) {
		t.Helper()
		got, err := p.idb.ReadBatch(ctx, reads)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := p.ref.ReadBatch(ctx, reads)
		if err != nil {
			t.Fatal(err)
		}
		for i := range reads {
			g, w := got[i], want[i]
			if g.Found != w.Found || !bytes.Equal(g.Value, w.Value) || (g.Found && g.Value == nil) {
				t.Errorf("%s: read %d: found %v %x, want %v %x", name, i, g.Found, g.Value, w.Found, w.Value)
			}
			if reads[i].Scan && (g.Records == nil || !equalRecords(g.Records, w.Records)) {
				t.Errorf("%s: read %d: records %s, want %s", name, i, keysOf(g.Records), keysOf(w.Records))
			}
		}
	}
	check("all", reads)
	for i := range reads { // each alone, and the walk last, first, in the middle
		check(fmt.Sprint("read ", i), reads[i:i+1])
	}
	check("walks only", []mlsidb.Read{reads[5], reads[6]})
	check("walk first", append([]mlsidb.Read{reads[5]}, reads[:2]...))
	if res, err := p.idb.ReadBatch(ctx, nil); err != nil || len(res) != 0 {
		t.Errorf("no reads: %v, %v", res, err)
	}
	if _, err := p.idb.ReadBatch(ctx, []mlsidb.Read{reads[0], {Store: "nope", Key: []byte("k")}}); !errors.Is(err, mlsidb.ErrInvalidArgument) {
		t.Errorf("unknown store: %v", err)
	}
}

// ReadAsync and ApplyAsync report from the requests' event handlers, once;
// a closed backend reports at once.
func TestAsyncMethods(t *testing.T) {
	b := openTest(t, Options{})
	type outcome struct {
		res []mlsidb.ReadResult
		err error
	}
	ch := make(chan outcome, 2)
	b.ApplyAsync([]mlsidb.Op{put([]byte("a"), []byte("1"))}, func(err error) { ch <- outcome{nil, err} })
	b.ReadAsync([]mlsidb.Read{{Store: store, Key: []byte("a")}}, func(res []mlsidb.ReadResult, err error) { ch <- outcome{res, err} })
	select {
	case o := <-ch:
		t.Fatalf("reported before returning to the event loop: %+v", o)
	default:
	}
	if o := <-ch; o.err != nil {
		t.Fatalf("ApplyAsync: %v", o.err)
	}
	if o := <-ch; o.err != nil || !o.res[0].Found || string(o.res[0].Value) != "1" {
		t.Fatalf("ReadAsync after ApplyAsync: %+v", o)
	}
	b.ApplyAsync([]mlsidb.Op{{Kind: 99, Store: store}}, func(err error) { ch <- outcome{nil, err} })
	if o := <-ch; !errors.Is(o.err, mlsidb.ErrInvalidArgument) {
		t.Fatalf("bad op: %v", o.err)
	}
	b.Close()
	b.ApplyAsync([]mlsidb.Op{put([]byte("a"), []byte("2"))}, func(err error) { ch <- outcome{nil, err} })
	b.ReadAsync([]mlsidb.Read{{Store: store, Key: []byte("a")}}, func(res []mlsidb.ReadResult, err error) { ch <- outcome{res, err} })
	for i := 0; i < 2; i++ {
		select {
		case o := <-ch:
			if !errors.Is(o.err, mlsidb.ErrClosed) {
				t.Errorf("closed backend: %v", o.err)
			}
		default:
			t.Fatal("a closed backend did not report at once")
		}
	}
}

// A provider over idbstore runs calls through Provider.Async: done comes
// from event handlers, and the results are those of ordinary calls.
func TestProviderAsync(t *testing.T) {
	b := openTest(t, Options{})
	ctx := testCtx(t)
	p, err := mlsidb.New(ctx, b, mlsidb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		v   any
		err error
	}
	run := func(call func(ctx context.Context, s mlsidb.Store) (any, error)) outcome {
		ch := make(chan outcome, 1)
		p.Async(call, func(v any, err error) { ch <- outcome{v, err} })
		return <-ch
	}
	g := []byte("group")
	for i := 0; i < 3; i++ {
		if o := run(func(ctx context.Context, s mlsidb.Store) (any, error) {
			return nil, s.AppendOwnLeafNode(ctx, g, []byte{byte(i)})
		}); o.err != nil {
			t.Fatal(o.err)
		}
	}
	if o := run(func(ctx context.Context, s mlsidb.Store) (any, error) {
		return nil, s.WriteTree(ctx, g, []byte("tree"))
	}); o.err != nil {
		t.Fatal(o.err)
	}
	o := run(func(ctx context.Context, s mlsidb.Store) (any, error) { return s.LoadGroup(ctx, g) })
	l, _ := o.v.(*mlsidb.LoadedGroup)
	if o.err != nil || string(l.Tree) != "tree" || len(l.OwnLeafNodes) != 3 || l.OwnLeafNodes[2][0] != 2 {
		t.Fatalf("LoadGroup: %+v, %v", o.v, o.err)
	}
	if o := run(func(ctx context.Context, s mlsidb.Store) (any, error) { return s.Tree(ctx, []byte("none")) }); !errors.Is(o.err, mlsidb.ErrNotFound) {
		t.Fatalf("missing: %v", o.err)
	}
}
