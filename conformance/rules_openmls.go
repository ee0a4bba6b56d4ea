package conformance

import (
	"context"
	"errors"

	"github.com/mlsidb/mlsidb"
)

// openmlsRules: the call sequences OpenMLS makes give back, byte for
// byte, the state they wrote, and leave nothing of a deleted group.
func (s *suite) openmlsRules(r reporter) {
	r.Run("create-load", s.openmlsCreateLoad)
	r.Run("join-from-welcome", s.openmlsJoin)
	r.Run("join-without-key-package", s.openmlsJoinWithoutKeyPackage)
	r.Run("self-update", s.openmlsSelfUpdate)
	r.Run("merge-commit", s.openmlsMergeCommit)
	r.Run("delete-like-openmls", func(r reporter) { s.openmlsDelete(r, false) })
	r.Run("delete-group", func(r reporter) { s.openmlsDelete(r, true) })
	r.Run("load-group", s.openmlsLoadGroup)
}

// load checks that LoadGroup (the 13 calls) and Store.LoadGroup (one
// batch) read want.
func (e *env) load(want *Group, what string) {
	e.r.Helper()
	loadBoth(e.r, e.ctx, e.p, want, what)
}

func loadBoth(r reporter, ctx context.Context, st mlsidb.Store, want *Group, what string) {
	r.Helper()
	got, err := LoadGroup(ctx, st, want.ID)
	if err != nil {
		r.Errorf("%s: LoadGroup: %v", what, err)
		return
	}
	if d := Diff(got, want); len(d) > 0 {
		r.Errorf("%s: LoadGroup differs in %v", what, d)
	}
	batch, err := st.LoadGroup(ctx, want.ID)
	if err != nil {
		r.Errorf("%s: Store.LoadGroup: %v", what, err)
		return
	}
	if d := Diff(FromLoaded(want.ID, batch), want); len(d) > 0 {
		r.Errorf("%s: Store.LoadGroup differs in %v", what, d)
	}
}

// FromLoaded returns what [mlsidb.Store.LoadGroup] read as a Group, to
// compare with [Diff] (Epoch, LeafIndex and EpochKeyPairs are left zero,
// as LoadGroup leaves them).
func FromLoaded(id []byte, l *mlsidb.LoadedGroup) *Group {
	return &Group{
		ID: id, JoinConfig: l.JoinConfig, Tree: l.Tree, Context: l.Context,
		InterimTranscriptHash: l.InterimTranscriptHash, ConfirmationTag: l.ConfirmationTag,
		GroupState: l.GroupState, MessageSecrets: l.MessageSecrets, ResumptionPskStore: l.ResumptionPskStore,
		OwnLeafIndex: l.OwnLeafIndex, EpochSecrets: l.EpochSecrets, ApplicationExportTree: l.ApplicationExportTree,
		OwnLeafNodes: l.OwnLeafNodes, Proposals: l.QueuedProposals,
	}
}

// openmlsLoadGroup: Store.LoadGroup inside a transaction sees the
// transaction's writes (values, list appends, clears, deletes) over the
// stored state; it refuses a bad group id and a closed store.
func (s *suite) openmlsLoadGroup(r reporter) {
	e := s.newEnv(r)
	g := NewGroup(GroupID(1), 1)
	e.must(CreateGroup(e.ctx, e.p, g), "CreateGroup")
	p1 := mlsidb.QueuedProposal{Ref: []byte("ref-1"), Proposal: []byte("proposal 1")}
	e.must(SelfUpdate(e.ctx, e.p, g, []byte("enc-pub-1"), []byte("enc-pair-1"), []byte("leaf-1"), p1), "SelfUpdate")
	e.load(g, "before the transaction")
	e.must(e.p.Update(e.ctx, func(tx mlsidb.Store) error {
		want := *g
		want.Tree = []byte("tree written in the transaction")
		want.Context = nil
		want.MessageSecrets = []byte{}
		p2 := mlsidb.QueuedProposal{Ref: []byte("ref-2"), Proposal: []byte("proposal 2")}
		want.Proposals = append(append([]mlsidb.QueuedProposal(nil), g.Proposals...), p2)
		want.OwnLeafNodes = [][]byte{}
		err := firstErr(
			tx.WriteTree(e.ctx, g.ID, want.Tree),
			tx.DeleteContext(e.ctx, g.ID),
			tx.WriteMessageSecrets(e.ctx, g.ID, want.MessageSecrets),
			tx.QueueProposal(e.ctx, g.ID, p2.Ref, p2.Proposal),
			tx.DeleteOwnLeafNodes(e.ctx, g.ID),
		)
		if err != nil {
			return err
		}
		loadBoth(r, e.ctx, tx, &want, "inside a transaction")
		return nil
	}), "Update")
	if _, err := e.p.LoadGroup(e.ctx, nil); !errors.Is(err, mlsidb.ErrInvalidArgument) {
		r.Errorf("LoadGroup with an empty group id: %v, want ErrInvalidArgument", err)
	}
	e.must(e.p.Close(), "Close")
	if _, err := e.p.LoadGroup(e.ctx, g.ID); !errors.Is(err, mlsidb.ErrClosed) {
		r.Errorf("LoadGroup on a closed store: %v, want ErrClosed", err)
	}
}

// keyPairs checks the group's epoch key pairs of an epoch.
func (e *env) keyPairs(g *Group, epoch uint64, want [][]byte, what string) {
	e.r.Helper()
	got, err := e.p.EncryptionEpochKeyPairs(e.ctx, g.ID, EpochKey(epoch), g.LeafIndex)
	if err != nil || !equalLists(got, want) {
		e.r.Errorf("%s: epoch %d key pairs = %s, %v; want %s", what, epoch, showList(got), err, showList(want))
	}
}

func (s *suite) openmlsCreateLoad(r reporter) {
	e := s.newEnv(r)
	g, h := NewGroup(GroupID(1), 1), NewGroup(GroupID(2), 2)
	e.must(CreateGroup(e.ctx, e.p, g), "CreateGroup")
	e.must(CreateGroup(e.ctx, e.p, h), "CreateGroup")
	e.load(g, "created group")
	e.load(h, "second created group")
	e.keyPairs(g, 0, g.KeyPairs(), "created group")
	e.load(Empty(GroupID(3)), "group never created")
}

func (s *suite) openmlsJoin(r reporter) {
	e := s.newEnv(r)
	kp, other := []byte("key-package-ref"), []byte("other-key-package-ref")
	e.must(e.p.WriteKeyPackage(e.ctx, kp, []byte("key package")), "WriteKeyPackage")
	e.must(e.p.WriteKeyPackage(e.ctx, other, []byte("other key package")), "WriteKeyPackage")
	g := NewGroup(GroupID(1), 3)
	g.Epoch = 4
	e.must(JoinFromWelcome(e.ctx, e.p, kp, g), "JoinFromWelcome")
	if v, err := e.p.KeyPackage(e.ctx, kp); !errors.Is(err, mlsidb.ErrNotFound) {
		r.Errorf("the key package used to join: %s, %v; want ErrNotFound", show(v), err)
	}
	if v, err := e.p.KeyPackage(e.ctx, other); err != nil || string(v) != "other key package" {
		r.Errorf("the other key package: %s, %v", show(v), err)
	}
	e.load(g, "joined group")
	e.keyPairs(g, 4, g.KeyPairs(), "joined group")
}

func (s *suite) openmlsJoinWithoutKeyPackage(r reporter) {
	e := s.newEnv(r)
	before := e.snap()
	err := JoinFromWelcome(e.ctx, e.p, []byte("absent"), NewGroup(GroupID(1), 1))
	isErr(r, err, mlsidb.ErrNotFound, "JoinFromWelcome without its key package")
	e.same(before, "after a JoinFromWelcome that failed")
}

func (s *suite) openmlsSelfUpdate(r reporter) {
	e := s.newEnv(r)
	g := NewGroup(GroupID(1), 1)
	e.must(CreateGroup(e.ctx, e.p, g), "CreateGroup")
	for i, x := range []string{"1", "2"} {
		p := mlsidb.QueuedProposal{Ref: []byte("update-ref-" + x), Proposal: []byte("update proposal " + x)}
		e.must(SelfUpdate(e.ctx, e.p, g, []byte("enc-pub-"+x), []byte("enc-pair-"+x), []byte("leaf-node-"+x), p), "SelfUpdate")
		if len(g.OwnLeafNodes) != i+1 || len(g.Proposals) != i+1 {
			r.Fatalf("SelfUpdate did not record its leaf node and proposal in the group")
		}
		e.load(g, "after SelfUpdate "+x)
		if v, err := e.p.EncryptionKeyPair(e.ctx, []byte("enc-pub-"+x)); err != nil || string(v) != "enc-pair-"+x {
			r.Errorf("the encryption key pair of SelfUpdate %s: %s, %v", x, show(v), err)
		}
	}
}

// groupRecords returns how many records of the group each list store
// holds, read from the backend.
func (e *env) groupRecords(id []byte) map[string]int {
	e.r.Helper()
	out := map[string]int{}
	for _, c := range e.s.cases {
		if !c.groupScoped() {
			continue
		}
		recs, err := e.b.Scan(e.ctx, c.name, mlsidb.PrefixRange(mlsidb.GroupPrefix(mlsidb.CurrentVersion, id)), false, 0)
		e.must(err, "backend Scan")
		out[c.name] = len(recs)
	}
	return out
}

func (s *suite) openmlsMergeCommit(r reporter) {
	e := s.newEnv(r)
	g := NewGroup(GroupID(1), 1)
	e.must(CreateGroup(e.ctx, e.p, g), "CreateGroup")
	for _, x := range []string{"1", "2"} {
		p := mlsidb.QueuedProposal{Ref: []byte("ref-" + x), Proposal: []byte("proposal " + x)}
		e.must(SelfUpdate(e.ctx, e.p, g, []byte("enc-pub-"+x), []byte("enc-pair-"+x), []byte("leaf-"+x), p), "SelfUpdate")
	}
	cur := g
	for _, used := range []string{"enc-pub-1", "enc-pub-2"} {
		next := cur.Next()
		e.must(MergeCommit(e.ctx, e.p, cur, next, []byte(used)), "MergeCommit")
		what := "after merging the commit to epoch " + string(EpochKey(next.Epoch))
		e.load(next, what)
		e.keyPairs(next, cur.Epoch, [][]byte{}, what+", the old epoch")
		e.keyPairs(next, next.Epoch, next.KeyPairs(), what+", the new epoch")
		if v, err := e.p.EncryptionKeyPair(e.ctx, []byte(used)); !errors.Is(err, mlsidb.ErrNotFound) {
			r.Errorf("%s: the used encryption key pair: %s, %v; want ErrNotFound", what, show(v), err)
		}
		n := e.groupRecords(next.ID)
		if n["own_leaf_nodes"] != 0 || n["proposal_queue"] != 0 || n["encryption_epoch_key_pairs"] != 1 {
			r.Errorf("%s: the backend holds %d own leaf nodes, %d queued proposals and %d epoch key pair lists of the group; want 0, 0, 1",
				what, n["own_leaf_nodes"], n["proposal_queue"], n["encryption_epoch_key_pairs"])
		}
		cur = next
	}
	if v, err := e.p.EncryptionKeyPair(e.ctx, []byte("enc-pub-2")); !errors.Is(err, mlsidb.ErrNotFound) {
		r.Errorf("enc-pub-2 after the second merge: %s, %v; want ErrNotFound", show(v), err)
	}
}

// openmlsDelete: a group that went through a commit and a self update,
// deleted the OpenMLS way or with DeleteGroup, leaves nothing group-scoped
// behind; the global records and the other group stay.
func (s *suite) openmlsDelete(r reporter, deleteGroup bool) {
	e := s.newEnv(r)
	other := NewGroup(GroupID(2), 2)
	e.must(CreateGroup(e.ctx, e.p, other), "CreateGroup")
	e.must(e.p.WriteSignatureKeyPair(e.ctx, []byte("sig-pub"), []byte("sig-pair")), "WriteSignatureKeyPair")
	e.must(e.p.WriteKeyPackage(e.ctx, []byte("kp-ref"), []byte("kp")), "WriteKeyPackage")
	e.must(e.p.WritePsk(e.ctx, []byte("psk-id"), []byte("psk")), "WritePsk")
	before := e.snap()

	g := NewGroup(GroupID(1), 1)
	e.must(CreateGroup(e.ctx, e.p, g), "CreateGroup")
	p1 := mlsidb.QueuedProposal{Ref: []byte("ref-1"), Proposal: []byte("proposal 1")}
	e.must(SelfUpdate(e.ctx, e.p, g, []byte("enc-pub-1"), []byte("enc-pair-1"), []byte("leaf-1"), p1), "SelfUpdate")
	next := g.Next()
	e.must(MergeCommit(e.ctx, e.p, g, next, []byte("enc-pub-1")), "MergeCommit")
	p2 := mlsidb.QueuedProposal{Ref: []byte("ref-2"), Proposal: []byte("proposal 2")}
	e.must(SelfUpdate(e.ctx, e.p, next, []byte("enc-pub-2"), []byte("enc-pair-2"), []byte("leaf-2"), p2), "SelfUpdate")
	full := e.snap()

	if deleteGroup {
		e.must(e.p.DeleteGroup(e.ctx, next.ID), "DeleteGroup")
	} else {
		e.must(DeleteGroupLikeOpenMLS(e.ctx, e.p, next), "DeleteGroupLikeOpenMLS")
	}
	want := snapshot{}
	for _, c := range s.cases {
		if c.groupScoped() {
			want[c.name] = before[c.name]
		} else {
			want[c.name] = full[c.name]
		}
	}
	e.same(want, "after deleting the group")
	e.load(Empty(next.ID), "the deleted group")
	e.load(other, "the other group")
	if v, err := e.p.EncryptionKeyPair(e.ctx, []byte("enc-pub-2")); err != nil || string(v) != "enc-pair-2" {
		r.Errorf("the encryption key pair after deleting the group: %s, %v", show(v), err)
	}
}
