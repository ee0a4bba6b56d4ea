package openmlsmem_test

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/memstore"
	"github.com/mlsidb/mlsidb/openmlsmem"
)

// recBackend records the batches the provider commits.
type recBackend struct {
	*memstore.Backend
	mu      sync.Mutex
	batches [][]mlsidb.Op
}

func (r *recBackend) Apply(ctx context.Context, ops []mlsidb.Op) error {
	r.mu.Lock()
	r.batches = append(r.batches, slices.Clone(ops))
	r.mu.Unlock()
	return r.Backend.Apply(ctx, ops)
}

// take returns the batches since the last call, each as "kind store".
func (r *recBackend) take() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out [][]string
	for _, b := range r.batches {
		var ops []string
		for _, op := range b {
			kind := map[mlsidb.OpKind]string{mlsidb.OpPut: "put", mlsidb.OpDelete: "delete", mlsidb.OpDeleteRange: "deleteRange"}[op.Kind]
			ops = append(ops, kind+" "+op.Store)
		}
		slices.Sort(ops)
		out = append(out, ops)
	}
	r.batches = nil
	return out
}

// replace returns es with the entry of key (label+keyBytes) set to value,
// or added at the end.
func replace(es []ent, label, keyBytes, value string) []ent {
	k := label + keyBytes + "\x00\x01"
	out := slices.Clone(es)
	for i := range out {
		if out[i].key == k {
			out[i].value = value
			return out
		}
	}
	return append(out, ent{k, value})
}

func drop(es []ent, label, keyBytes string) []ent {
	k := label + keyBytes + "\x00\x01"
	return without(es, func(x ent) bool { return x.key == k })
}

// Sync counts per MemoryStorage entry, writes only what changed (checked
// on the batches the backend receives), and leaves the store equal to
// the snapshot.
func TestSyncCountsAndWritesOnlyChanges(t *testing.T) {
	ctx := context.Background()
	g1, g2, g5 := gid(1), gid(2), gid(5)
	pair := func(g, r string) string { return "[" + g + "," + r + "]" }

	s0 := fixture()
	// s1: a changed value, one own leaf node appended, a proposal removed,
	// one added, one body changed, a key package and an epoch key pairs
	// list gone, a new group, g2's proposal queue gone.
	s1 := replace(s0, "Tree", g1, `{"tree":"one, next"}`)
	s1 = replace(s1, "OwnLeafNodes", g1, byteArrays(`{"leaf":"b"}`, `{"leaf":"a"}`, `{"leaf":"b"}`, `{"leaf":"c"}`))
	s1 = replace(s1, "ProposalQueueRefs", g1, byteArrays(ref(9), ref(5), ref(6)))
	s1 = drop(s1, "QueuedProposal", pair(g1, ref(1)))
	s1 = replace(s1, "QueuedProposal", pair(g1, ref(6)), `{"proposal":"p6"}`)
	s1 = replace(s1, "QueuedProposal", pair(g1, ref(5)), `{"proposal":"p5 changed"}`)
	s1 = drop(s1, "KeyPackage", `{"value":{"vec":[1,2]}}`)
	s1 = drop(s1, "EpochKeyPairs", g2+"10"+"0")
	s1 = replace(s1, "Tree", g5, `{"tree":"five"}`)
	s1 = drop(s1, "ProposalQueueRefs", g2)
	s1 = drop(s1, "QueuedProposal", pair(g2, ref(3)))

	// s2: the queue of g1 reordered (refs entry only).
	s2 := replace(s1, "ProposalQueueRefs", g1, byteArrays(ref(5), ref(9), ref(6)))
	// s3: g1's own leaf nodes replaced by a list that does not extend it.
	s3 := replace(s2, "OwnLeafNodes", g1, byteArrays(`{"leaf":"x"}`))
	// s4: g1's own leaf nodes and g1's queue emptied as OpenMLS leaves
	// them ("[]"), an epoch key pairs list emptied.
	s4 := replace(s3, "OwnLeafNodes", g1, "[]")
	s4 = replace(s4, "ProposalQueueRefs", g1, "[]")
	for _, r := range []int{5, 9, 6} {
		s4 = drop(s4, "QueuedProposal", pair(g1, ref(r)))
	}
	s4 = replace(s4, "EpochKeyPairs", g1+"8"+"11", "[]")
	notEmpty := func(es []ent) []ent {
		return without(es, func(x ent) bool { return x.value == "[]" })
	}

	steps := []struct {
		name             string
		snap             []ent
		written, deleted int
		batch            []string // the ops of the one commit; nil: no commit
	}{
		{"into an empty store", s0, len(s0), 0, nil},
		{"the same again", s0, 0, 0, nil},
		{"changes", s1, 6, 5, []string{
			"delete encryption_epoch_key_pairs", "delete key_package",
			"delete proposal_queue",                    // g1's ref(1)
			"deleteRange proposal_queue",               // g2's queue
			"put own_leaf_nodes",                       // the appended leaf
			"put proposal_queue", "put proposal_queue", // ref(5) body, ref(6)
			"put tree", "put tree"}}, // g1 changed, g5 new
		{"reordered queue", s2, 1, 0, []string{"deleteRange proposal_queue", "put proposal_queue", "put proposal_queue", "put proposal_queue"}},
		{"replaced own leaf nodes", s3, 1, 0, []string{"deleteRange own_leaf_nodes", "put own_leaf_nodes"}},
		{"emptied lists", s4, 3, 3, []string{
			"delete encryption_epoch_key_pairs",
			"delete proposal_queue", "delete proposal_queue", "delete proposal_queue",
			"deleteRange own_leaf_nodes"}},
		{"the same again", s4, 0, 0, nil},
		{"everything gone", nil, 0, len(notEmpty(s4)), nil},
	}
	rb := &recBackend{Backend: memstore.New()}
	p, err := mlsidb.New(ctx, rb, mlsidb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	rb.take()
	for _, enc := range encodings[:1] {
		for _, st := range steps {
			w, d, err := openmlsmem.Sync(ctx, p, enc.snap(st.snap))
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if w != st.written || d != st.deleted {
				t.Errorf("%s: %d written, %d deleted; want %d, %d", st.name, w, d, st.written, st.deleted)
			}
			batches := rb.take()
			switch {
			case st.name == "into an empty store" || st.name == "everything gone":
				if len(batches) != 1 {
					t.Errorf("%s: %d commits, want 1", st.name, len(batches))
				}
			case st.batch == nil && len(batches) != 0:
				t.Errorf("%s: committed %v, want nothing", st.name, batches)
			case st.batch != nil && (len(batches) != 1 || !reflect.DeepEqual(batches[0], st.batch)):
				t.Errorf("%s: committed %q\nwant one batch %q", st.name, batches, st.batch)
			}
			got, err := openmlsmem.Export(ctx, p, openmlsmem.Binary)
			if err != nil {
				t.Fatal(err)
			}
			if diff := diffSets(entrySet(t, got), setOf(notEmpty(st.snap))); diff != "" {
				t.Errorf("%s: the store differs from the snapshot:\n%s", st.name, diff)
			}
		}
	}
	if n := rb.Len(); n != 2 {
		t.Errorf("after syncing an empty snapshot the backend holds %d records, want only its two meta records", n)
	}
	q, err := p.QueuedProposals(ctx, []byte(g1))
	if err != nil || len(q) != 0 {
		t.Errorf("g1's queue after all: %q, %v", q, err)
	}
}

// The queue order after incremental changes is the snapshot's order.
func TestSyncQueueOrder(t *testing.T) {
	ctx := context.Background()
	g := gid(1)
	snap := func(refs ...int) []byte {
		var es []ent
		var rs []string
		for _, r := range refs {
			rs = append(rs, ref(r))
			es = append(es, e("QueuedProposal", "["+g+","+ref(r)+"]", "p"+ref(r)))
		}
		return jsonSnap(append(es, e("ProposalQueueRefs", g, byteArrays(rs...))))
	}
	p, _ := newStore(t)
	for _, order := range [][]int{{3, 1, 2}, {3, 2}, {3, 2, 7, 0}, {2, 7, 0, 4}, {4, 0, 7, 2}, {5}} {
		if _, _, err := openmlsmem.Sync(ctx, p, snap(order...)); err != nil {
			t.Fatal(err)
		}
		refs, err := p.QueuedProposalRefs(ctx, []byte(g))
		if err != nil {
			t.Fatal(err)
		}
		var want [][]byte
		for _, r := range order {
			want = append(want, []byte(ref(r)))
		}
		if !reflect.DeepEqual(refs, want) {
			t.Errorf("after syncing %v the queue is %q", order, refs)
		}
	}
}

// The JSON encoding syncs the same as the binary one.
func TestSyncEncodingsAgree(t *testing.T) {
	ctx := context.Background()
	for _, enc := range encodings {
		t.Run(enc.name, func(t *testing.T) {
			p, _ := newStore(t)
			w, d, err := openmlsmem.Sync(ctx, p, enc.snap(fixture()))
			if err != nil || w != len(fixture()) || d != 0 {
				t.Errorf("first sync: %d, %d, %v", w, d, err)
			}
			w, d, err = openmlsmem.Sync(ctx, p, enc.snap(fixture()[1:]))
			if err != nil || w != 0 || d != 1 {
				t.Errorf("second sync: %d, %d, %v", w, d, err)
			}
		})
	}
}
