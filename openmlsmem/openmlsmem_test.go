package openmlsmem_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strconv"
	"testing"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/openmlsmem"
)

func bs(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, x := range s {
		out[i] = []byte(x)
	}
	return out
}

func TestFixtureCoversEveryLabel(t *testing.T) {
	got := labelsOf(fixture())
	for _, l := range []string{"KeyPackage", "Psk", "EncryptionKeyPair", "SignatureKeyPair", "EpochKeyPairs", "Tree",
		"GroupContext", "InterimTranscriptHash", "ConfirmationTag", "ApplicationExportTree", "MlsGroupJoinConfig",
		"OwnLeafNodes", "GroupState", "QueuedProposal", "ProposalQueueRefs", "OwnLeafNodeIndex", "EpochSecrets",
		"ResumptionPsk", "MessageSecrets"} {
		if !got[l] {
			t.Errorf("the fixture has no %s entry", l)
		}
	}
	if len(got) != 19 {
		t.Errorf("the fixture uses %d labels, want 19", len(got))
	}
}

// An imported entry is found by the contract call OpenMLS would make, with
// the key bytes OpenMLS uses; lists keep their order; the ambiguous epoch
// key pairs keys are read with each group's own leaf index.
func TestImportIsFoundByOpenMLSCalls(t *testing.T) {
	for _, enc := range encodings {
		t.Run(enc.name, func(t *testing.T) {
			ctx := context.Background()
			p, _ := newStore(t)
			if err := openmlsmem.Import(ctx, p, enc.snap(fixture())); err != nil {
				t.Fatalf("Import: %v", err)
			}
			g1, g2, g3 := []byte(gid(1)), []byte(gid(2)), []byte(gid(3))
			single := []struct {
				name string
				call func() ([]byte, error)
				want string
			}{
				{"KeyPackage", func() ([]byte, error) { return p.KeyPackage(ctx, []byte(`{"value":{"vec":[1,1]}}`)) }, `{"key_package":"kp1","private_init_key":"SECRET-init"}`},
				{"Psk", func() ([]byte, error) {
					return p.Psk(ctx, []byte(`{"psk":{"External":{"psk_id":{"vec":[5]}}},"psk_nonce":{"vec":[]}}`))
				}, `{"secret":"SECRET-psk"}`},
				{"EncryptionKeyPair", func() ([]byte, error) { return p.EncryptionKeyPair(ctx, []byte(`{"key":{"vec":[4,4]}}`)) }, `{"public_key":{"key":{"vec":[4,4]}},"private_key":"SECRET-hpke"}`},
				{"SignatureKeyPair", func() ([]byte, error) { return p.SignatureKeyPair(ctx, []byte(`{"value":{"vec":[3,3]}}`)) }, `{"private":"SECRET-sig","public":[3,3],"signature_scheme":"ED25519"}`},
				{"Tree", func() ([]byte, error) { return p.Tree(ctx, g1) }, `{"tree":"one"}`},
				{"Tree g2", func() ([]byte, error) { return p.Tree(ctx, g2) }, `{"tree":"two"}`},
				{"Tree g3", func() ([]byte, error) { return p.Tree(ctx, g3) }, `{"tree":"three"}`},
				{"GroupContext", func() ([]byte, error) { return p.GroupContext(ctx, g1) }, `{"epoch":9}`},
				{"InterimTranscriptHash", func() ([]byte, error) { return p.InterimTranscriptHash(ctx, g1) }, `{"vec":[1]}`},
				{"ConfirmationTag", func() ([]byte, error) { return p.ConfirmationTag(ctx, g1) }, `{"mac_value":{"vec":[2]}}`},
				{"ApplicationExportTree", func() ([]byte, error) { return p.ApplicationExportTree(ctx, g1) }, `{"aet":true}`},
				{"MlsGroupJoinConfig", func() ([]byte, error) { return p.MlsGroupJoinConfig(ctx, g1) }, `{"wire_format_policy":"x"}`},
				{"GroupState", func() ([]byte, error) { return p.GroupState(ctx, g1) }, `"Operational"`},
				{"OwnLeafNodeIndex", func() ([]byte, error) { return p.OwnLeafIndex(ctx, g1) }, `11`},
				{"EpochSecrets", func() ([]byte, error) { return p.GroupEpochSecrets(ctx, g1) }, `{"init_secret":"SECRET-epoch"}`},
				{"ResumptionPsk", func() ([]byte, error) { return p.ResumptionPskStore(ctx, g1) }, `{"max_number_of_secrets":32}`},
				{"MessageSecrets", func() ([]byte, error) { return p.MessageSecrets(ctx, g1) }, `{"sender_data_secret":"SECRET-msg"}`},
			}
			for _, c := range single {
				got, err := c.call()
				if err != nil || string(got) != c.want {
					t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
				}
			}
			if _, err := p.GroupContext(ctx, g3); !errors.Is(err, mlsidb.ErrNotFound) {
				t.Errorf("g3 has no group context: %v", err)
			}

			lists := []struct {
				name string
				call func() ([][]byte, error)
				want [][]byte
			}{
				{"OwnLeafNodes g1", func() ([][]byte, error) { return p.OwnLeafNodes(ctx, g1) }, bs(`{"leaf":"b"}`, `{"leaf":"a"}`, `{"leaf":"b"}`)},
				{"OwnLeafNodes g2", func() ([][]byte, error) { return p.OwnLeafNodes(ctx, g2) }, bs(`{"leaf":"z"}`)},
				{"QueuedProposalRefs g1", func() ([][]byte, error) { return p.QueuedProposalRefs(ctx, g1) }, bs(ref(9), ref(1), ref(5))},
				{"EpochKeyPairs g1 epoch 9 leaf 11", func() ([][]byte, error) { return p.EncryptionEpochKeyPairs(ctx, g1, []byte("9"), 11) },
					bs(`{"public_key":"pk1","private_key":"SECRET-ekp1"}`, `{"public_key":"pk2"}`)},
				{"EpochKeyPairs g1 epoch 8 leaf 11", func() ([][]byte, error) { return p.EncryptionEpochKeyPairs(ctx, g1, []byte("8"), 11) }, bs(`{"public_key":"pk0"}`)},
				{"EpochKeyPairs g2 epoch 91 leaf 1", func() ([][]byte, error) { return p.EncryptionEpochKeyPairs(ctx, g2, []byte("91"), 1) }, bs(`{"public_key":"pk3"}`)},
				{"EpochKeyPairs g2 epoch 10 leaf 0", func() ([][]byte, error) { return p.EncryptionEpochKeyPairs(ctx, g2, []byte("10"), 0) }, bs(`{"public_key":"pk4"}`)},
				{"EpochKeyPairs g3 epoch \"e\" leaf 4", func() ([][]byte, error) { return p.EncryptionEpochKeyPairs(ctx, g3, []byte(`"e"`), 4) }, bs(`{"public_key":"pk5"}`)},
				{"no EpochKeyPairs g1 epoch 91 leaf 1", func() ([][]byte, error) { return p.EncryptionEpochKeyPairs(ctx, g1, []byte("91"), 1) }, bs()},
				{"no EpochKeyPairs g2 epoch 9 leaf 11", func() ([][]byte, error) { return p.EncryptionEpochKeyPairs(ctx, g2, []byte("9"), 11) }, bs()},
			}
			for _, c := range lists {
				got, err := c.call()
				if err != nil || !reflect.DeepEqual(got, c.want) {
					t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
				}
			}
			q, err := p.QueuedProposals(ctx, g1)
			want := []mlsidb.QueuedProposal{
				{Ref: []byte(ref(9)), Proposal: []byte(`{"proposal":"p9"}`)},
				{Ref: []byte(ref(1)), Proposal: []byte(`{"proposal":"p1"}`)},
				{Ref: []byte(ref(5)), Proposal: []byte(`{"proposal":"p5"}`)},
			}
			if err != nil || !reflect.DeepEqual(q, want) {
				t.Errorf("QueuedProposals g1: %q, %v", q, err)
			}
		})
	}
}

// Export(Import(s)) is s as a set of entries, for both encodings, and the
// export is the same whichever encoding was imported.
func TestExportImportRoundTrip(t *testing.T) {
	ctx := context.Background()
	want := setOf(fixture())
	var exports [][]byte
	for _, in := range encodings {
		for _, out := range encodings {
			t.Run(in.name+"-to-"+out.name, func(t *testing.T) {
				p, _ := newStore(t)
				if err := openmlsmem.Import(ctx, p, in.snap(fixture())); err != nil {
					t.Fatal(err)
				}
				got, err := openmlsmem.Export(ctx, p, out.f)
				if err != nil {
					t.Fatal(err)
				}
				if _, f, _ := openmlsmem.Parse(got); f != out.f {
					t.Errorf("exported %v, want %v", f, out.f)
				}
				if d := diffSets(entrySet(t, got), want); d != "" {
					t.Errorf("export differs from the snapshot:\n%s", d)
				}
				if out.f == openmlsmem.Binary {
					exports = append(exports, got)
				}
				// Imported again into a fresh store, the export is the same bytes.
				p2, _ := newStore(t)
				if err := openmlsmem.Import(ctx, p2, got); err != nil {
					t.Fatal(err)
				}
				again, err := openmlsmem.Export(ctx, p2, out.f)
				if err != nil || !bytes.Equal(again, got) {
					t.Errorf("second export differs (%v)", err)
				}
			})
		}
	}
	if len(exports) == 2 && !bytes.Equal(exports[0], exports[1]) {
		t.Error("the binary exports of the binary and JSON imports differ")
	}
}

func TestExportEmptyStore(t *testing.T) {
	ctx := context.Background()
	p, _ := newStore(t)
	got, err := openmlsmem.Export(ctx, p, openmlsmem.Binary)
	if err != nil || !bytes.Equal(got, make([]byte, 8)) {
		t.Errorf("binary export of an empty store: %x, %v", got, err)
	}
	got, err = openmlsmem.Export(ctx, p, openmlsmem.JSON)
	if err != nil || string(got) != `{"values":{}}` {
		t.Errorf("JSON export of an empty store: %s, %v", got, err)
	}
	if _, err := openmlsmem.Export(ctx, p, openmlsmem.Format(9)); !errors.Is(err, mlsidb.ErrInvalidArgument) {
		t.Errorf("unknown format: %v", err)
	}
	// Both empty snapshots import as nothing.
	for _, s := range []string{"\x00\x00\x00\x00\x00\x00\x00\x00", `{"values":{}}`, " \n{ \"values\" : { } }\n"} {
		if err := openmlsmem.Import(ctx, p, []byte(s)); err != nil {
			t.Errorf("Import(%q): %v", s, err)
		}
	}
}

// Entries holding an empty list (OpenMLS leaves "[]" behind after removing
// the last proposal) import as empty lists: they clear what is stored and
// are not exported.
func TestEmptyListEntries(t *testing.T) {
	ctx := context.Background()
	g := gid(1)
	p, _ := newStore(t)
	full := []ent{
		e("OwnLeafNodes", g, byteArrays("x")),
		e("ProposalQueueRefs", g, byteArrays(ref(1))),
		e("QueuedProposal", "["+g+","+ref(1)+"]", "p"),
		e("EpochKeyPairs", g+"5"+"0", `[{"k":1}]`),
		e("Tree", g, "t"),
	}
	if err := openmlsmem.Import(ctx, p, binarySnap(full)); err != nil {
		t.Fatal(err)
	}
	empty := []ent{
		e("OwnLeafNodes", g, "[]"),
		e("ProposalQueueRefs", g, "[]"),
		e("EpochKeyPairs", g+"5"+"0", `[]`),
		e("Tree", g, "t"),
	}
	if err := openmlsmem.Import(ctx, p, binarySnap(empty)); err != nil {
		t.Fatal(err)
	}
	got, err := openmlsmem.Export(ctx, p, openmlsmem.Binary)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffSets(entrySet(t, got), setOf([]ent{e("Tree", g, "t")})); d != "" {
		t.Errorf("after importing empty lists:\n%s", d)
	}
}

// The OpenMLS call sequences of the conformance package, run against a
// provider, export to a snapshot that imports into an equal store.
func TestExportOfContractWrites(t *testing.T) {
	ctx := context.Background()
	p, _ := newStore(t)
	g := []byte(gid(4))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(p.WriteTree(ctx, g, []byte(`{"t":1}`)))
	must(p.WriteOwnLeafIndex(ctx, g, []byte("2")))
	must(p.AppendOwnLeafNode(ctx, g, []byte{0, 255, 7}))
	must(p.QueueProposal(ctx, g, []byte(ref(2)), []byte("body")))
	must(p.WriteEncryptionEpochKeyPairs(ctx, g, []byte("12"), 2, bs(`{"a":1}`, `"b"`)))
	got, err := openmlsmem.Export(ctx, p, openmlsmem.JSON)
	if err != nil {
		t.Fatal(err)
	}
	want := setOf([]ent{
		e("Tree", string(g), `{"t":1}`),
		e("OwnLeafNodeIndex", string(g), "2"),
		e("OwnLeafNodes", string(g), "[[0,255,7]]"),
		e("ProposalQueueRefs", string(g), byteArrays(ref(2))),
		e("QueuedProposal", "["+string(g)+","+ref(2)+"]", "body"),
		e("EpochKeyPairs", string(g)+"12"+"2", `[{"a":1},"b"]`),
	})
	if d := diffSets(entrySet(t, got), want); d != "" {
		t.Errorf("export:\n%s", d)
	}
	if c := canonicalJSON(t, got); c == "" {
		t.Error("export is not JSON")
	}
}

// Data OpenMLS cannot have written (keys that are not JSON where the
// MemoryStorage key needs JSON) is refused by Export.
func TestExportRefusesWhatMemoryStorageCannotHold(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		write func(p *mlsidb.Provider) error
	}{
		{"queue with a non-JSON group id", func(p *mlsidb.Provider) error {
			return p.QueueProposal(ctx, []byte("raw"), []byte(ref(1)), []byte("x"))
		}},
		{"queue with a non-JSON ref", func(p *mlsidb.Provider) error {
			return p.QueueProposal(ctx, []byte(gid(1)), []byte("raw"), []byte("x"))
		}},
		{"epoch key pairs with a non-JSON item", func(p *mlsidb.Provider) error {
			return p.WriteEncryptionEpochKeyPairs(ctx, []byte(gid(1)), []byte("1"), 0, bs("not json"))
		}},
		{"epoch key pairs with a numeric group id", func(p *mlsidb.Provider) error {
			return p.WriteEncryptionEpochKeyPairs(ctx, []byte("5"), []byte("1"), 0, bs("{}"))
		}},
		{"epoch key pairs with a non-JSON epoch", func(p *mlsidb.Provider) error {
			return p.WriteEncryptionEpochKeyPairs(ctx, []byte(gid(1)), []byte{0, 0, 0, 1}, 0, bs("{}"))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, _ := newStore(t)
			if err := c.write(p); err != nil {
				t.Fatal(err)
			}
			if _, err := openmlsmem.Export(ctx, p, openmlsmem.Binary); !errors.Is(err, mlsidb.ErrInvalidArgument) {
				t.Errorf("Export: %v, want ErrInvalidArgument", err)
			}
		})
	}
	// Raw keys are fine for labels whose key bytes need no parsing.
	p, _ := newStore(t)
	if err := p.WriteTree(ctx, []byte("raw group"), []byte("t")); err != nil {
		t.Fatal(err)
	}
	got, err := openmlsmem.Export(ctx, p, openmlsmem.Binary)
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := newStore(t)
	if err := openmlsmem.Import(ctx, p2, got); err != nil {
		t.Fatal(err)
	}
	if v, err := p2.Tree(ctx, []byte("raw group")); err != nil || string(v) != "t" {
		t.Errorf("raw group id round trip: %q, %v", v, err)
	}
}

// plainStore is a store whose Update view is a plain mlsidb.Store: it
// cannot list what it holds, and writes go through the contract calls.
type plainStore struct{ mlsidb.Store }

func (n plainStore) Update(ctx context.Context, fn func(mlsidb.Store) error) error {
	return n.Store.Update(ctx, func(tx mlsidb.Store) error { return fn(plainStore{tx}) })
}

// otherVersion is a store that says it is bound to provider version 2.
type otherVersion struct{ *mlsidb.Provider }

func (otherVersion) Version() uint16 { return 2 }

func TestStoreChecks(t *testing.T) {
	ctx := context.Background()
	p, b := newStore(t)
	snap := binarySnap(fixture())
	if _, err := openmlsmem.Export(ctx, plainStore{p}, openmlsmem.Binary); !errors.Is(err, mlsidb.ErrInvalidArgument) {
		t.Errorf("Export from a store that cannot walk: %v", err)
	}
	if _, _, err := openmlsmem.Sync(ctx, plainStore{p}, snap); !errors.Is(err, mlsidb.ErrInvalidArgument) {
		t.Errorf("Sync into a store that cannot walk: %v", err)
	}
	if err := openmlsmem.Import(ctx, otherVersion{p}, snap); !errors.Is(err, mlsidb.ErrInvalidArgument) {
		t.Errorf("Import into a version-2 store: %v", err)
	}
	if err := openmlsmem.Import(ctx, nil, snap); !errors.Is(err, mlsidb.ErrInvalidArgument) {
		t.Errorf("Import into nil: %v", err)
	}
	if n := b.Len(); n != 2 {
		t.Errorf("the backend holds %d records, want only its two meta records", n)
	}
	// Import works through a store that cannot walk: it only writes, and
	// through the contract calls it writes what PutEntry writes.
	if err := openmlsmem.Import(ctx, plainStore{p}, snap); err != nil {
		t.Errorf("Import through a plain Store: %v", err)
	}
	got, err := openmlsmem.Export(ctx, p, openmlsmem.Binary)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffSets(entrySet(t, got), setOf(fixture())); d != "" {
		t.Errorf("Import through a plain Store:\n%s", d)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := openmlsmem.Import(cctx, p, snap); !errors.Is(err, context.Canceled) {
		t.Errorf("Import with a cancelled context: %v", err)
	}
}

// Importing over existing lists replaces them, the same through PutEntry
// and through the contract calls.
func TestImportReplacesLists(t *testing.T) {
	ctx := context.Background()
	g1 := gid(1)
	next := []ent{
		e("OwnLeafNodes", g1, byteArrays("new")),
		e("ProposalQueueRefs", g1, byteArrays(ref(5), ref(7))),
		e("QueuedProposal", "["+g1+","+ref(5)+"]", "p5 again"),
		e("QueuedProposal", "["+g1+","+ref(7)+"]", "p7"),
		e("EpochKeyPairs", g1+"9"+"11", `[{"k":"new"}]`),
		e("OwnLeafNodeIndex", g1, "11"),
	}
	// What the store holds after: the fixture, with next's entries over it,
	// and g1's removed proposal bodies gone.
	want := setOf(fixture())
	for k := range want {
		if bytes.HasPrefix([]byte(k), []byte("QueuedProposal["+g1)) {
			delete(want, k)
		}
	}
	for k, v := range setOf(next) {
		want[k] = v
	}
	for _, plain := range []bool{false, true} {
		p, _ := newStore(t)
		var st mlsidb.Store = p
		if plain {
			st = plainStore{p}
		}
		if err := openmlsmem.Import(ctx, st, binarySnap(fixture())); err != nil {
			t.Fatal(err)
		}
		if err := openmlsmem.Import(ctx, st, jsonSnap(next)); err != nil {
			t.Fatal(err)
		}
		got, err := openmlsmem.Export(ctx, p, openmlsmem.Binary)
		if err != nil {
			t.Fatal(err)
		}
		if d := diffSets(entrySet(t, got), want); d != "" {
			t.Errorf("plain store %v:\n%s", plain, d)
		}
	}
}

// Long lists import whole and in order (one batch each, not one read of
// the list per item).
func TestImportLongLists(t *testing.T) {
	ctx := context.Background()
	const n = 20000
	leaves := make([]string, n)
	refs := make([]string, n)
	var es []ent
	for i := range leaves {
		leaves[i] = strconv.Itoa(i)
		refs[i] = strconv.Itoa(n - i)
		es = append(es, e("QueuedProposal", "["+gid(1)+","+refs[i]+"]", "p"+refs[i]))
	}
	es = append(es, e("OwnLeafNodes", gid(1), byteArrays(leaves...)), e("ProposalQueueRefs", gid(1), byteArrays(refs...)))
	p, _ := newStore(t)
	if err := openmlsmem.Import(ctx, p, binarySnap(es)); err != nil {
		t.Fatal(err)
	}
	got, err := p.OwnLeafNodes(ctx, []byte(gid(1)))
	if err != nil || !reflect.DeepEqual(got, bs(leaves...)) {
		t.Errorf("own leaf nodes: %d items, %v", len(got), err)
	}
	q, err := p.QueuedProposalRefs(ctx, []byte(gid(1)))
	if err != nil || !reflect.DeepEqual(q, bs(refs...)) {
		t.Errorf("queue: %d refs, %v", len(q), err)
	}
}
