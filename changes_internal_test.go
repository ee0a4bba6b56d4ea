package mlsidb

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// recordingKV is a kv that records what it applies, to get the ops of
// real calls.
type recordingKV struct {
	ops []Op
}

func (r *recordingKV) get(context.Context, string, []byte) ([]byte, error) { return nil, ErrNotFound }
func (r *recordingKV) scan(context.Context, string, KeyRange, bool, int) ([]Record, error) {
	return nil, nil
}
func (r *recordingKV) apply(_ context.Context, ops []Op) error {
	r.ops = append(r.ops, ops...)
	return nil
}
func (r *recordingKV) lock(context.Context) (func(), error) { return func() {}, nil }
func (r *recordingKV) read(_ context.Context, reads []Read) ([]ReadResult, error) {
	return make([]ReadResult, len(reads)), nil
}
func (r *recordingKV) tryLock() (func(), bool, error) { return func() {}, true, nil }
func (r *recordingKV) root() *direct                  { return nil }

// opsOf returns the ops the calls of do make.
func opsOf(t *testing.T, do func(p *Provider) error) []Op {
	t.Helper()
	rec := &recordingKV{}
	p := &Provider{kv: rec, version: CurrentVersion, prefix: VersionPrefix(CurrentVersion)}
	if err := do(p); err != nil {
		t.Fatal(err)
	}
	return rec.ops
}

func TestChangeOf(t *testing.T) {
	ctx := context.Background()
	g1, g2 := []byte("group-1"), []byte("g\x00\xff")
	every := func(p *Provider) error {
		for _, g := range [][]byte{g1, g2} {
			for _, err := range []error{
				p.WriteMlsJoinConfig(ctx, g, nil), p.WriteTree(ctx, g, nil), p.WriteContext(ctx, g, nil),
				p.WriteInterimTranscriptHash(ctx, g, nil), p.WriteConfirmationTag(ctx, g, nil),
				p.WriteGroupState(ctx, g, nil), p.WriteMessageSecrets(ctx, g, nil), p.WriteResumptionPskStore(ctx, g, nil),
				p.WriteOwnLeafIndex(ctx, g, nil), p.WriteGroupEpochSecrets(ctx, g, nil), p.WriteApplicationExportTree(ctx, g, nil),
				p.AppendOwnLeafNode(ctx, g, nil), p.QueueProposal(ctx, g, []byte("ref"), nil),
				p.WriteEncryptionEpochKeyPairs(ctx, g, []byte("epoch"), 3, [][]byte{{1}}),
			} {
				if err != nil {
					return err
				}
			}
		}
		return nil
	}
	var allGroupScoped, all []MethodGroup
	for _, info := range catalogue {
		all = append(all, info.Group)
		if info.Scope != ScopeGlobal {
			allGroupScoped = append(allGroupScoped, info.Group)
		}
	}
	for _, tc := range []struct {
		name   string
		do     func(p *Provider) error
		groups [][]byte
		mgs    []MethodGroup
		ok     bool
	}{
		{"every group-scoped write", every, [][]byte{g2, g1}, allGroupScoped, true},
		{"DeleteGroup", func(p *Provider) error { return p.DeleteGroup(ctx, g1) }, [][]byte{g1}, allGroupScoped, true},
		{"ClearProposalQueue", func(p *Provider) error { return p.ClearProposalQueue(ctx, g2) }, [][]byte{g2}, []MethodGroup{MethodGroupProposalQueue}, true},
		{"DeleteOwnLeafNodes", func(p *Provider) error { return p.DeleteOwnLeafNodes(ctx, g1) }, [][]byte{g1}, []MethodGroup{MethodGroupOwnLeafNodes}, true},
		{"RemoveProposal", func(p *Provider) error { return p.RemoveProposal(ctx, g1, []byte("r")) }, [][]byte{g1}, []MethodGroup{MethodGroupProposalQueue}, true},
		{"deletes of epoch key pairs", func(p *Provider) error {
			if err := p.DeleteEncryptionEpochKeyPairs(ctx, g1, []byte("e"), 1); err != nil {
				return err
			}
			return p.WriteEncryptionEpochKeyPairs(ctx, g2, []byte("e"), 1, nil)
		}, [][]byte{g2, g1}, []MethodGroup{MethodGroupEpochKeyPairs}, true},
		{"global method groups", func(p *Provider) error {
			for _, err := range []error{
				p.WriteSignatureKeyPair(ctx, g1, nil), p.DeleteEncryptionKeyPair(ctx, g1),
				p.WriteKeyPackage(ctx, g1, nil), p.DeletePsk(ctx, g1),
			} {
				if err != nil {
					return err
				}
			}
			return nil
		}, nil, []MethodGroup{MethodGroupSignatureKeyPair, MethodGroupEncryptionKeyPair, MethodGroupKeyPackage, MethodGroupPsk}, true},
		{"everything", func(p *Provider) error {
			if err := every(p); err != nil {
				return err
			}
			return p.WritePsk(ctx, []byte("psk"), nil)
		}, [][]byte{g2, g1}, slices.DeleteFunc(slices.Clone(all), func(g MethodGroup) bool {
			return catalogue[g-1].Scope == ScopeGlobal && g != MethodGroupPsk
		}), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := changeOf(opsOf(t, tc.do))
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v", ok, tc.ok)
			}
			want := slices.Clone(tc.groups)
			slices.SortFunc(want, func(a, b []byte) int { return slices.Compare(a, b) })
			if !slices.EqualFunc(c.Groups, want, slices.Equal) {
				t.Errorf("groups %q, want %q", c.Groups, want)
			}
			if !slices.Equal(c.MethodGroups, tc.mgs) {
				t.Errorf("method groups %v, want %v", c.MethodGroups, tc.mgs)
			}
			if c.Local {
				t.Error("changeOf returned a local change")
			}
			for _, g := range tc.groups {
				if !c.HasGroup(g) {
					t.Errorf("HasGroup(%q) is false", g)
				}
			}
			if c.HasGroup([]byte("group")) || c.HasGroup([]byte("group-10")) {
				t.Error("HasGroup is true for a prefix or an extension of a group id")
			}
		})
	}
}

func TestChangeOfOddOps(t *testing.T) {
	// The meta store belongs to no method group: no change.
	if c, ok := changeOf([]Op{{Kind: OpPut, Store: MetaStore, Key: MetaVersionKey, Value: []byte{0, 1}}}); ok {
		t.Fatalf("a meta-only batch is a change: %+v", c)
	}
	if _, ok := changeOf(nil); ok {
		t.Fatal("an empty batch is a change")
	}
	// Keys that do not hold a whole group id name the method group only.
	c, ok := changeOf([]Op{
		{Kind: OpPut, Store: "tree", Key: []byte{0, 1, 0, 0}},
		{Kind: OpPut, Store: "tree", Key: []byte{0, 1, 0, 0, 0, 9, 'a'}},
		{Kind: OpPut, Store: "tree", Key: []byte{0, 1, 0, 0, 0, 0}},
		{Kind: OpDeleteRange, Store: "own_leaf_nodes", Range: KeyRange{}},
		{Kind: OpPut, Store: "no such store", Key: []byte{0, 1, 0, 0, 0, 1, 'x'}},
	})
	if !ok || len(c.Groups) != 0 || !slices.Equal(c.MethodGroups, []MethodGroup{MethodGroupTree, MethodGroupOwnLeafNodes}) {
		t.Fatalf("odd keys: ok %v, %+v", ok, c)
	}
	// The group ids are copies, not views of the keys.
	key := GroupPrefix(1, []byte("abc"))
	c, _ = changeOf([]Op{{Kind: OpPut, Store: "tree", Key: key}})
	key[len(key)-1] = 'X'
	if string(c.Groups[0]) != "abc" {
		t.Fatalf("the change's group id changed with the key: %q", c.Groups[0])
	}
}

func TestMerge(t *testing.T) {
	a := Change{Groups: [][]byte{[]byte("b"), []byte("d")}, MethodGroups: []MethodGroup{MethodGroupTree, MethodGroupPsk}, Local: true}
	b := Change{Groups: [][]byte{[]byte("a"), []byte("b")}, MethodGroups: []MethodGroup{MethodGroupTree, MethodGroupContext, 0, 200}, Local: false}
	m := merge(a, b)
	if got := [][]byte{[]byte("a"), []byte("b"), []byte("d")}; !slices.EqualFunc(m.Groups, got, slices.Equal) {
		t.Errorf("groups %q", m.Groups)
	}
	if !slices.Equal(m.MethodGroups, []MethodGroup{MethodGroupTree, MethodGroupContext, MethodGroupPsk}) {
		t.Errorf("method groups %v", m.MethodGroups)
	}
	if m.Local {
		t.Error("a merge of a local and a remote change is local")
	}
	if !merge(a, a).Local {
		t.Error("a merge of local changes is not local")
	}
	m.Groups[0][0] = 'Z'
	if string(b.Groups[0]) != "a" {
		t.Error("merge shares group ids with its inputs")
	}
}

// A slow watcher gets the changes it missed merged into one; stop and
// Close end the deliveries.
func TestWatcherMergesAndStops(t *testing.T) {
	var h hub
	block := make(chan struct{})
	got := make(chan Change, 10)
	stop := h.watch(func(c Change) {
		got <- c
		<-block
	})
	h.deliver(Change{Groups: [][]byte{[]byte("1")}, MethodGroups: []MethodGroup{MethodGroupTree}, Local: true})
	first := <-got // the watcher now blocks in fn
	if string(first.Groups[0]) != "1" || !first.Local {
		t.Fatalf("first change %+v", first)
	}
	h.deliver(Change{Groups: [][]byte{[]byte("2")}, MethodGroups: []MethodGroup{MethodGroupTree}, Local: true})
	h.deliver(Change{Groups: [][]byte{[]byte("3")}, MethodGroups: []MethodGroup{MethodGroupPsk}, Local: false})
	block <- struct{}{}
	second := <-got
	if len(second.Groups) != 2 || string(second.Groups[0]) != "2" || string(second.Groups[1]) != "3" || second.Local ||
		!slices.Equal(second.MethodGroups, []MethodGroup{MethodGroupTree, MethodGroupPsk}) {
		t.Fatalf("merged change %+v", second)
	}
	close(block)
	stop()
	stop()
	h.deliver(Change{Groups: [][]byte{[]byte("4")}})
	select {
	case c := <-got:
		t.Fatalf("a stopped watcher got %+v", c)
	case <-time.After(20 * time.Millisecond):
	}
	if h.active() {
		t.Fatal("the hub still counts a stopped watcher")
	}
	h.close()
	if stop := h.watch(func(Change) { t.Error("a watcher of a closed hub was called") }); stop == nil {
		t.Fatal("watch on a closed hub returned a nil stop")
	}
	h.deliver(Change{Groups: [][]byte{[]byte("5")}})
}

// The provider's group lock entries go away once nobody holds or waits for
// them.
func TestGroupLockEntriesAreDropped(t *testing.T) {
	var g groupLocks
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := g.lock(ctx, []byte{byte(i % 5)})
			if err != nil {
				t.Error(err)
				return
			}
			unlock()
			unlock() // a second call does nothing
		}()
	}
	wg.Wait()
	unlock, _ := g.lock(ctx, []byte("held"))
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := g.lock(short, []byte("held")); err == nil {
		t.Fatal("a held group lock was granted twice")
	}
	if n := g.size(); n != 1 {
		t.Fatalf("%d entries while one group is held, want 1", n)
	}
	unlock()
	if n := g.size(); n != 0 {
		t.Fatalf("%d entries left, want 0", n)
	}
}
