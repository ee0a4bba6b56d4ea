package mlsidb_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/memstore"
)

func newProvider(t *testing.T) (*mlsidb.Provider, *memstore.Backend) {
	t.Helper()
	b := memstore.New()
	p, err := mlsidb.New(context.Background(), b, mlsidb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, b
}

func walkAll(t *testing.T, ctx context.Context, w mlsidb.EntryStore) []mlsidb.Entry {
	t.Helper()
	var out []mlsidb.Entry
	if err := w.Walk(ctx, func(e mlsidb.Entry) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return out
}

func bs(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, x := range s {
		out[i] = []byte(x)
	}
	return out
}

// Every method group's entries come back, in catalogue order, lists in
// their order, the queue in queue order (not ref order).
func TestWalkYieldsEveryEntry(t *testing.T) {
	ctx := context.Background()
	p, _ := newProvider(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	g1, g2 := []byte("g1"), []byte("g2longer")
	must(p.WriteMlsJoinConfig(ctx, g1, []byte("cfg")))
	must(p.WriteTree(ctx, g1, []byte("tree1")))
	must(p.WriteTree(ctx, g2, []byte("tree2")))
	must(p.WriteContext(ctx, g1, []byte{}))
	must(p.WriteInterimTranscriptHash(ctx, g1, []byte("ith")))
	must(p.WriteConfirmationTag(ctx, g1, []byte("tag")))
	must(p.WriteGroupState(ctx, g1, []byte("state")))
	must(p.WriteMessageSecrets(ctx, g1, []byte("ms")))
	must(p.WriteResumptionPskStore(ctx, g1, []byte("rps")))
	must(p.WriteOwnLeafIndex(ctx, g1, []byte("3")))
	must(p.WriteGroupEpochSecrets(ctx, g1, []byte("es")))
	must(p.WriteApplicationExportTree(ctx, g1, []byte("aet")))
	for _, l := range []string{"b", "a", "b"} {
		must(p.AppendOwnLeafNode(ctx, g1, []byte(l)))
	}
	must(p.AppendOwnLeafNode(ctx, g2, []byte("z")))
	must(p.QueueProposal(ctx, g1, []byte("r9"), []byte("p9")))
	must(p.QueueProposal(ctx, g1, []byte("r1"), []byte("p1")))
	must(p.QueueProposal(ctx, g1, []byte("r5"), []byte("p5")))
	must(p.QueueProposal(ctx, g1, []byte("r9"), []byte("p9b"))) // keeps its place
	must(p.WriteEncryptionEpochKeyPairs(ctx, g1, []byte("7"), 3, bs("k1", "k2")))
	must(p.WriteEncryptionEpochKeyPairs(ctx, g1, []byte("8"), 3, bs("k3")))
	must(p.WriteSignatureKeyPair(ctx, []byte("spk"), []byte("skp")))
	must(p.WriteEncryptionKeyPair(ctx, []byte("epk"), []byte("ekp")))
	must(p.WriteKeyPackage(ctx, []byte("kpref"), []byte("kp")))
	must(p.WritePsk(ctx, []byte("pskid"), []byte("psk")))

	want := []mlsidb.Entry{
		{Group: mlsidb.MethodGroupJoinConfig, GroupID: g1, Value: []byte("cfg")},
		{Group: mlsidb.MethodGroupTree, GroupID: g1, Value: []byte("tree1")},
		{Group: mlsidb.MethodGroupTree, GroupID: g2, Value: []byte("tree2")},
		{Group: mlsidb.MethodGroupContext, GroupID: g1, Value: []byte{}},
		{Group: mlsidb.MethodGroupInterimTranscriptHash, GroupID: g1, Value: []byte("ith")},
		{Group: mlsidb.MethodGroupConfirmationTag, GroupID: g1, Value: []byte("tag")},
		{Group: mlsidb.MethodGroupGroupState, GroupID: g1, Value: []byte("state")},
		{Group: mlsidb.MethodGroupMessageSecrets, GroupID: g1, Value: []byte("ms")},
		{Group: mlsidb.MethodGroupResumptionPskStore, GroupID: g1, Value: []byte("rps")},
		{Group: mlsidb.MethodGroupOwnLeafIndex, GroupID: g1, Value: []byte("3")},
		{Group: mlsidb.MethodGroupEpochSecrets, GroupID: g1, Value: []byte("es")},
		{Group: mlsidb.MethodGroupApplicationExportTree, GroupID: g1, Value: []byte("aet")},
		{Group: mlsidb.MethodGroupOwnLeafNodes, GroupID: g1, List: bs("b", "a", "b")},
		{Group: mlsidb.MethodGroupOwnLeafNodes, GroupID: g2, List: bs("z")},
		{Group: mlsidb.MethodGroupProposalQueue, GroupID: g1, Proposals: []mlsidb.QueuedProposal{
			{Ref: []byte("r9"), Proposal: []byte("p9b")},
			{Ref: []byte("r1"), Proposal: []byte("p1")},
			{Ref: []byte("r5"), Proposal: []byte("p5")},
		}},
		{Group: mlsidb.MethodGroupEpochKeyPairs, GroupID: g1, Key: []byte("7"), LeafIndex: 3, List: bs("k1", "k2")},
		{Group: mlsidb.MethodGroupEpochKeyPairs, GroupID: g1, Key: []byte("8"), LeafIndex: 3, List: bs("k3")},
		{Group: mlsidb.MethodGroupSignatureKeyPair, Key: []byte("spk"), Value: []byte("skp")},
		{Group: mlsidb.MethodGroupEncryptionKeyPair, Key: []byte("epk"), Value: []byte("ekp")},
		{Group: mlsidb.MethodGroupKeyPackage, Key: []byte("kpref"), Value: []byte("kp")},
		{Group: mlsidb.MethodGroupPsk, Key: []byte("pskid"), Value: []byte("psk")},
	}
	got := walkAll(t, ctx, p)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Walk:\n got %s\nwant %s", describe(got), describe(want))
	}
}

// describe prints entries for a failure message (test data only).
func describe(es []mlsidb.Entry) string {
	var b bytes.Buffer
	for _, e := range es {
		fmt.Fprintf(&b, "\n  %v g=%q k=%q leaf=%d v=%q list=%q props=%q", e.Group, e.GroupID, e.Key, e.LeafIndex, e.Value, e.List, e.Proposals)
	}
	return b.String()
}

// Lists longer than a page arrive whole, in order, one entry per group.
func TestWalkListsAcrossPages(t *testing.T) {
	ctx := context.Background()
	p, _ := newProvider(t)
	const n = 700
	var leaves [][]byte
	var props []mlsidb.QueuedProposal
	err := p.Update(ctx, func(tx mlsidb.Store) error {
		for i := 0; i < n; i++ {
			leaf := []byte(fmt.Sprintf("leaf%d", i))
			leaves = append(leaves, leaf)
			if err := tx.AppendOwnLeafNode(ctx, []byte("g"), leaf); err != nil {
				return err
			}
			// refs in descending byte order: queue order is not key order
			qp := mlsidb.QueuedProposal{Ref: []byte(fmt.Sprintf("r%04d", n-i)), Proposal: []byte(fmt.Sprint(i))}
			props = append(props, qp)
			if err := tx.QueueProposal(ctx, []byte("g"), qp.Ref, qp.Proposal); err != nil {
				return err
			}
		}
		for i := 0; i < n; i++ {
			if err := tx.WriteTree(ctx, []byte(fmt.Sprintf("t%04d", i)), []byte("x")); err != nil {
				return err
			}
		}
		return tx.AppendOwnLeafNode(ctx, []byte("h"), []byte("last"))
	})
	if err != nil {
		t.Fatal(err)
	}
	trees, lists := 0, map[string][][]byte{}
	var queue []mlsidb.QueuedProposal
	for _, e := range walkAll(t, ctx, p) {
		switch e.Group {
		case mlsidb.MethodGroupTree:
			trees++
		case mlsidb.MethodGroupOwnLeafNodes:
			if _, dup := lists[string(e.GroupID)]; dup {
				t.Errorf("group %q yielded twice", e.GroupID)
			}
			lists[string(e.GroupID)] = e.List
		case mlsidb.MethodGroupProposalQueue:
			if queue != nil {
				t.Error("queue yielded twice")
			}
			queue = e.Proposals
		}
	}
	if trees != n {
		t.Errorf("%d trees, want %d", trees, n)
	}
	if !reflect.DeepEqual(lists["g"], leaves) || !reflect.DeepEqual(lists["h"], bs("last")) || len(lists) != 2 {
		t.Errorf("own leaf nodes: %d groups, g has %d items", len(lists), len(lists["g"]))
	}
	if !reflect.DeepEqual(queue, props) {
		t.Errorf("queue has %d proposals, want %d in queue order", len(queue), len(props))
	}
}

// Inside Update the view walks what the transaction sees: its own writes
// and deletes over the committed state.
func TestWalkInsideUpdate(t *testing.T) {
	ctx := context.Background()
	p, _ := newProvider(t)
	if err := p.WriteTree(ctx, []byte("a"), []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := p.WritePsk(ctx, []byte("gone"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	var inTx []mlsidb.Entry
	err := p.Update(ctx, func(tx mlsidb.Store) error {
		if err := tx.WriteTree(ctx, []byte("a"), []byte("new")); err != nil {
			return err
		}
		if err := tx.DeletePsk(ctx, []byte("gone")); err != nil {
			return err
		}
		if err := tx.AppendOwnLeafNode(ctx, []byte("a"), []byte("l")); err != nil {
			return err
		}
		w, ok := tx.(mlsidb.EntryStore)
		if !ok {
			t.Fatal("the Update view is not an EntryStore")
		}
		inTx = walkAll(t, ctx, w)
		return errors.New("roll back")
	})
	if err == nil {
		t.Fatal("Update did not return fn's error")
	}
	want := []mlsidb.Entry{
		{Group: mlsidb.MethodGroupTree, GroupID: []byte("a"), Value: []byte("new")},
		{Group: mlsidb.MethodGroupOwnLeafNodes, GroupID: []byte("a"), List: bs("l")},
	}
	if !reflect.DeepEqual(inTx, want) {
		t.Errorf("inside Update:%s\nwant%s", describe(inTx), describe(want))
	}
	after := walkAll(t, ctx, p)
	want = []mlsidb.Entry{
		{Group: mlsidb.MethodGroupTree, GroupID: []byte("a"), Value: []byte("old")},
		{Group: mlsidb.MethodGroupPsk, Key: []byte("gone"), Value: []byte("x")},
	}
	if !reflect.DeepEqual(after, want) {
		t.Errorf("after rollback:%s\nwant%s", describe(after), describe(want))
	}
}

// fn's error stops the walk and comes back unchanged; a nil fn, a closed
// provider, a cancelled context and records that do not decode are errors;
// records of other versions are not seen.
func TestWalkErrors(t *testing.T) {
	ctx := context.Background()
	p, b := newProvider(t)
	for i := 0; i < 3; i++ {
		if err := p.WritePsk(ctx, []byte{byte('a' + i)}, []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	stop := errors.New("stop")
	calls := 0
	err := p.Walk(ctx, func(mlsidb.Entry) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("fn error: got %v after %d calls, want it unchanged after 1", err, calls)
	}
	if err := p.Walk(ctx, nil); !errors.Is(err, mlsidb.ErrInvalidArgument) {
		t.Errorf("nil fn: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.Walk(cctx, func(mlsidb.Entry) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}

	// A record of another version is invisible; a record that does not
	// decode is a version mismatch naming Walk and the method group.
	v2 := append(mlsidb.VersionPrefix(2), 'x')
	if err := b.Apply(ctx, []mlsidb.Op{{Kind: mlsidb.OpPut, Store: "psk", Key: v2, Value: []byte{0, 2, 1}}}); err != nil {
		t.Fatal(err)
	}
	if n := len(walkAll(t, ctx, p)); n != 3 {
		t.Errorf("walk saw %d entries, want 3 (not the version-2 record)", n)
	}
	bad := append(mlsidb.GroupPrefix(1, []byte("g")), 1, 2, 3) // own leaf node key without an 8-byte sequence
	if err := b.Apply(ctx, []mlsidb.Op{{Kind: mlsidb.OpPut, Store: "own_leaf_nodes", Key: bad, Value: []byte{0, 1}}}); err != nil {
		t.Fatal(err)
	}
	err = p.Walk(ctx, func(mlsidb.Entry) error { return nil })
	var e *mlsidb.Error
	if !errors.Is(err, mlsidb.ErrVersionMismatch) || !errors.As(err, &e) || e.Op != "Walk" || e.Group != mlsidb.MethodGroupOwnLeafNodes {
		t.Errorf("corrupt record: %v", err)
	}

	p.Close()
	if err := p.Walk(ctx, func(mlsidb.Entry) error { return nil }); !errors.Is(err, mlsidb.ErrClosed) {
		t.Errorf("closed: %v", err)
	}
}

// countingBackend counts the batches the provider commits.
type countingBackend struct {
	*memstore.Backend
	applies int
}

func (c *countingBackend) Apply(ctx context.Context, ops []mlsidb.Op) error {
	c.applies++
	return c.Backend.Apply(ctx, ops)
}

// Putting every entry a walk yields into an empty store gives an equal
// store, each entry in one batch.
func TestPutEntryReplaysAWalk(t *testing.T) {
	ctx := context.Background()
	src, _ := newProvider(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	g := []byte("g")
	must(src.WriteTree(ctx, g, []byte("t")))
	must(src.WriteGroupState(ctx, g, nil))
	must(src.WritePsk(ctx, []byte("id"), []byte("psk")))
	for i := 0; i < 300; i++ {
		must(src.AppendOwnLeafNode(ctx, g, []byte(fmt.Sprint(i))))
	}
	must(src.QueueProposal(ctx, g, []byte("z"), []byte("1")))
	must(src.QueueProposal(ctx, g, []byte("a"), []byte("2")))
	must(src.WriteEncryptionEpochKeyPairs(ctx, g, []byte("3"), 1, bs("k")))
	entries := walkAll(t, ctx, src)

	cb := &countingBackend{Backend: memstore.New()}
	dst, err := mlsidb.New(ctx, cb, mlsidb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	cb.applies = 0
	for _, e := range entries {
		must(dst.PutEntry(ctx, e))
	}
	if cb.applies != len(entries) {
		t.Errorf("%d batches for %d entries", cb.applies, len(entries))
	}
	if got := walkAll(t, ctx, dst); !reflect.DeepEqual(got, entries) {
		t.Errorf("replayed store differs:%s\nwant%s", describe(got), describe(entries))
	}
	// The contract goes on from what PutEntry wrote.
	must(dst.AppendOwnLeafNode(ctx, g, []byte("next")))
	must(dst.QueueProposal(ctx, g, []byte("m"), []byte("3")))
	leaves, _ := dst.OwnLeafNodes(ctx, g)
	refs, _ := dst.QueuedProposalRefs(ctx, g)
	if len(leaves) != 301 || string(leaves[300]) != "next" || !reflect.DeepEqual(refs, bs("z", "a", "m")) {
		t.Errorf("after PutEntry: %d leaves (last %q), refs %q", len(leaves), leaves[len(leaves)-1], refs)
	}
}

// A list replaces the stored one; an empty list deletes it.
func TestPutEntryReplacesLists(t *testing.T) {
	ctx := context.Background()
	p, b := newProvider(t)
	g := []byte("g")
	for _, l := range []string{"a", "b", "c"} {
		if err := p.AppendOwnLeafNode(ctx, g, []byte(l)); err != nil {
			t.Fatal(err)
		}
		if err := p.QueueProposal(ctx, g, []byte("r"+l), []byte(l)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.WriteEncryptionEpochKeyPairs(ctx, g, []byte("1"), 0, bs("x", "y")); err != nil {
		t.Fatal(err)
	}
	puts := []mlsidb.Entry{
		{Group: mlsidb.MethodGroupOwnLeafNodes, GroupID: g, List: bs("z")},
		{Group: mlsidb.MethodGroupProposalQueue, GroupID: g, Proposals: []mlsidb.QueuedProposal{{Ref: []byte("rc"), Proposal: []byte("new")}}},
		{Group: mlsidb.MethodGroupEpochKeyPairs, GroupID: g, Key: []byte("1"), LeafIndex: 0, List: bs("w")},
	}
	for _, e := range puts {
		if err := p.PutEntry(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if got := walkAll(t, ctx, p); !reflect.DeepEqual(got, puts) {
		t.Errorf("after replacing:%s\nwant%s", describe(got), describe(puts))
	}
	for _, e := range puts {
		e.List, e.Proposals = nil, nil
		if err := p.PutEntry(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if n := b.Len(); n != metaRecords {
		t.Errorf("after putting empty lists the backend holds %d records, want only the %d meta records", n, metaRecords)
	}
}

// Bad entries are refused with ErrInvalidArgument and write nothing; inside
// Update, PutEntry joins the transaction.
func TestPutEntryErrors(t *testing.T) {
	ctx := context.Background()
	p, b := newProvider(t)
	g := []byte("g")
	big := make([]byte, mlsidb.MaxKeyLen+1)
	bad := []mlsidb.Entry{
		{Group: mlsidb.NoMethodGroup, GroupID: g},
		{Group: mlsidb.MethodGroup(200), GroupID: g},
		{Group: mlsidb.MethodGroupTree},
		{Group: mlsidb.MethodGroupTree, GroupID: big},
		{Group: mlsidb.MethodGroupPsk, GroupID: g}, // global: the key is Key
		{Group: mlsidb.MethodGroupEpochKeyPairs, GroupID: g, List: bs("x")},
		{Group: mlsidb.MethodGroupProposalQueue, GroupID: g, Proposals: []mlsidb.QueuedProposal{{Ref: nil, Proposal: []byte("p")}}},
		{Group: mlsidb.MethodGroupProposalQueue, GroupID: g, Proposals: []mlsidb.QueuedProposal{
			{Ref: []byte("r"), Proposal: []byte("p")}, {Ref: []byte("r"), Proposal: []byte("q")}}},
	}
	for i, e := range bad {
		var me *mlsidb.Error
		if err := p.PutEntry(ctx, e); !errors.Is(err, mlsidb.ErrInvalidArgument) || !errors.As(err, &me) || me.Op != "PutEntry" {
			t.Errorf("entry %d: %v, want ErrInvalidArgument from PutEntry", i, err)
		}
	}
	if n := b.Len(); n != metaRecords {
		t.Errorf("the backend holds %d records after refused entries, want only the %d meta records", n, metaRecords)
	}
	err := p.Update(ctx, func(tx mlsidb.Store) error {
		es := tx.(mlsidb.EntryStore)
		if err := es.PutEntry(ctx, mlsidb.Entry{Group: mlsidb.MethodGroupTree, GroupID: g, Value: []byte("t")}); err != nil {
			return err
		}
		if v, err := tx.Tree(ctx, g); err != nil || string(v) != "t" {
			t.Errorf("the view does not see its PutEntry: %q, %v", v, err)
		}
		return errors.New("roll back")
	})
	if err == nil || b.Len() != metaRecords {
		t.Errorf("rolled-back PutEntry: %v, %d records", err, b.Len())
	}
}
