package openmlsmem_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/openmlsmem"
)

// Markers that must never show in an error: key bytes and value bytes.
const (
	keyMark   = "KEYMARK"
	valueMark = "SECRET"
)

// gidM is a group id carrying the key marker.
var gidM = `{"value":{"vec":[75,69,89]},"m":"` + keyMark + `"}`

// good entries placed before the bad ones, so that positions are not 0.
func good() []ent {
	return []ent{e("Tree", gidM, valueMark+"-tree"), e("GroupState", gidM, valueMark+"-state")}
}

type badCase struct {
	name    string
	entries []ent  // entries after good() (run in both encodings)
	raw     []byte // or a raw snapshot
	entry   int    // the position the error names (-1: the snapshot)
	label   string
	reason  string // a part of the reason
}

func badCases() []badCase {
	long := `{"v":"` + strings.Repeat("a", mlsidb.MaxKeyLen) + `"}`
	pair := func(g, r string) string { return "[" + g + "," + r + "]" }
	return []badCase{
		{name: "unknown label", entries: []ent{e("UseRatchetTree", gidM, "true")}, entry: 2, reason: `unknown label "UseRatchetTree"`},
		{name: "no label", entries: []ent{{"aad" + keyMark + "\x00\x01", valueMark}}, entry: 2, reason: "does not start with a MemoryStorage label"},
		{name: "version 2", entries: []ent{{"Tree" + gidM + "\x00\x02", valueMark}}, entry: 2, label: "Tree", reason: "version suffix 2 is not supported"},
		{name: "version 0", entries: []ent{{"Psk" + gidM + "\x00\x00", valueMark}}, entry: 2, label: "Psk", reason: "version suffix 0"},
		{name: "no version", entries: []ent{{"Tree{", valueMark}}, entry: 2, label: "Tree", reason: "no 2-byte version suffix"},
		{name: "no key bytes", entries: []ent{{"Tree\x00\x01", valueMark}}, entry: 2, label: "Tree", reason: "no key bytes"},
		{name: "key too long", entries: []ent{e("ConfirmationTag", long, valueMark)}, entry: 2, label: "ConfirmationTag", reason: "longer than mlsidb's limit"},

		{name: "leaf nodes: unclosed", entries: []ent{e("OwnLeafNodes", gidM, "[[1,2],[3")}, entry: 2, label: "OwnLeafNodes", reason: "not a JSON list of byte arrays"},
		{name: "leaf nodes: byte 256", entries: []ent{e("OwnLeafNodes", gidM, "[[1],[256]]")}, entry: 2, label: "OwnLeafNodes", reason: "item 1 of the value"},
		{name: "leaf nodes: leading zero", entries: []ent{e("OwnLeafNodes", gidM, "[[01]]")}, entry: 2, label: "OwnLeafNodes", reason: "item 0 of the value"},
		{name: "leaf nodes: whitespace", entries: []ent{e("OwnLeafNodes", gidM, "[ [1]]")}, entry: 2, label: "OwnLeafNodes", reason: "item 0"},
		{name: "leaf nodes: trailing comma", entries: []ent{e("OwnLeafNodes", gidM, "[[1,]]")}, entry: 2, label: "OwnLeafNodes", reason: "item 0"},
		{name: "leaf nodes: not bytes", entries: []ent{e("OwnLeafNodes", gidM, `["`+valueMark+`"]`)}, entry: 2, label: "OwnLeafNodes", reason: "item 0"},
		{name: "leaf nodes: object", entries: []ent{e("OwnLeafNodes", gidM, `{"`+valueMark+`":1}`)}, entry: 2, label: "OwnLeafNodes", reason: "not a JSON list"},
		{name: "leaf nodes: flat list", entries: []ent{e("OwnLeafNodes", gidM, "[1,2]")}, entry: 2, label: "OwnLeafNodes", reason: "item 0"},

		{name: "refs: malformed", entries: []ent{e("ProposalQueueRefs", gidM, "[[1]")}, entry: 2, label: "ProposalQueueRefs", reason: "not a JSON list"},
		{name: "refs: duplicate", entries: []ent{
			e("ProposalQueueRefs", gidM, byteArrays(ref(1), ref(2), ref(1))),
			e("QueuedProposal", pair(gidM, ref(1)), valueMark),
			e("QueuedProposal", pair(gidM, ref(2)), valueMark),
		}, entry: 2, label: "ProposalQueueRefs", reason: "items 0 and 2 are the same proposal ref"},
		{name: "refs: empty ref", entries: []ent{e("ProposalQueueRefs", gidM, "[[]]")}, entry: 2, label: "ProposalQueueRefs", reason: "proposal ref (item 0) is empty"},
		{name: "ref without body", entries: []ent{
			e("QueuedProposal", pair(gidM, ref(1)), valueMark),
			e("ProposalQueueRefs", gidM, byteArrays(ref(1), ref(2))),
		}, entry: 3, label: "ProposalQueueRefs", reason: "item 1 is a proposal ref without a QueuedProposal entry"},
		{name: "body without ref", entries: []ent{
			e("ProposalQueueRefs", gidM, byteArrays(ref(1))),
			e("QueuedProposal", pair(gidM, ref(1)), valueMark),
			e("QueuedProposal", pair(gidM, ref(2)), valueMark),
		}, entry: 4, label: "QueuedProposal", reason: "not in its group's ProposalQueueRefs list"},
		{name: "body under another group", entries: []ent{
			e("ProposalQueueRefs", gidM, byteArrays(ref(1))),
			e("QueuedProposal", pair(gidM, ref(1)), valueMark),
			e("QueuedProposal", pair(gid(8), ref(1)), valueMark),
		}, entry: 4, label: "QueuedProposal", reason: "not in its group's ProposalQueueRefs list"},
		{name: "proposal key: one item", entries: []ent{e("QueuedProposal", "["+gidM+"]", valueMark)}, entry: 2, label: "QueuedProposal", reason: "not the JSON pair"},
		{name: "proposal key: three items", entries: []ent{e("QueuedProposal", "["+gidM+","+ref(1)+",1]", valueMark)}, entry: 2, label: "QueuedProposal", reason: "not the JSON pair"},
		{name: "proposal key: bare group id", entries: []ent{e("QueuedProposal", gidM, valueMark)}, entry: 2, label: "QueuedProposal", reason: "not the JSON pair"},
		{name: "proposal key: whitespace", entries: []ent{e("QueuedProposal", "[ "+gidM+","+ref(1)+"]", valueMark)}, entry: 2, label: "QueuedProposal", reason: "not the JSON pair"},

		{name: "epoch: ambiguous, no own leaf index", entries: []ent{e("EpochKeyPairs", gidM+"911", `[{"k":"`+valueMark+`"}]`)},
			entry: 2, label: "EpochKeyPairs", reason: "2 possible readings, and the group has no OwnLeafNodeIndex entry"},
		{name: "epoch: ambiguous, own leaf index fits none", entries: []ent{
			e("EpochKeyPairs", gidM+"911", `[{"k":"`+valueMark+`"}]`),
			e("OwnLeafNodeIndex", gidM, "5"),
		}, entry: 2, label: "EpochKeyPairs", reason: "none of their 2 possible readings has the group's own leaf index"},
		{name: "epoch: ambiguous, own leaf index of another group", entries: []ent{
			e("OwnLeafNodeIndex", gid(1), "11"),
			e("EpochKeyPairs", gidM+"911", `[{"k":"`+valueMark+`"}]`),
		}, entry: 3, label: "EpochKeyPairs", reason: "no OwnLeafNodeIndex entry"},
		{name: "epoch: ambiguous, own leaf index not a number", entries: []ent{
			e("OwnLeafNodeIndex", gidM, `"11"`),
			e("EpochKeyPairs", gidM+"911", `[{"k":"`+valueMark+`"}]`),
		}, entry: 3, label: "EpochKeyPairs", reason: "no OwnLeafNodeIndex entry"},
		{name: "epoch: nothing after the group id", entries: []ent{e("EpochKeyPairs", gidM, "[]")}, entry: 2, label: "EpochKeyPairs", reason: "no epoch and leaf index"},
		{name: "epoch: one digit", entries: []ent{e("EpochKeyPairs", gidM+"5", "[]")}, entry: 2, label: "EpochKeyPairs", reason: "not an epoch (u64) followed by a leaf index (u32)"},
		{name: "epoch: leaf index too big", entries: []ent{e("EpochKeyPairs", gidM+`"e"4294967296`, "[]")}, entry: 2, label: "EpochKeyPairs", reason: "does not end with a leaf index"},
		{name: "epoch: no leaf index", entries: []ent{e("EpochKeyPairs", gidM+`"e"`, "[]")}, entry: 2, label: "EpochKeyPairs", reason: "does not end with a leaf index"},
		{name: "epoch: group id not JSON", entries: []ent{e("EpochKeyPairs", keyMark+"911", "[]")}, entry: 2, label: "EpochKeyPairs", reason: "do not start with a JSON group id"},
		{name: "epoch: epoch not JSON", entries: []ent{e("EpochKeyPairs", gidM+`"e`, "[]")}, entry: 2, label: "EpochKeyPairs", reason: "epoch after the group id is not a JSON value"},
		{name: "epoch: value not a list", entries: []ent{e("EpochKeyPairs", gidM+"10", `{"`+valueMark+`":1}`)}, entry: 2, label: "EpochKeyPairs", reason: "not a JSON list of key pairs"},
		{name: "epoch: value with whitespace", entries: []ent{e("EpochKeyPairs", gidM+"10", `[{"a":1}, {"b":2}]`)}, entry: 2, label: "EpochKeyPairs", reason: "not a JSON list of key pairs"},
		{name: "epoch: value truncated", entries: []ent{e("EpochKeyPairs", gidM+"10", `[{"a":1},`)}, entry: 2, label: "EpochKeyPairs", reason: "not a JSON list of key pairs"},
		{name: "global: empty key", entries: []ent{{"KeyPackage\x00\x01", valueMark}}, entry: 2, label: "KeyPackage", reason: "no key bytes"},

		{name: "empty input", raw: []byte{}, entry: -1, reason: "the snapshot is empty"},
		{name: "binary: short count", raw: []byte{0, 0, 0, 0, 0, 0, 1}, entry: -1, reason: "shorter than its 8-byte entry count"},
		{name: "binary: count without entries", raw: []byte{0, 0, 0, 0, 0, 0, 0, 1}, entry: -1, reason: "does not fit"},
		{name: "binary: huge count", raw: append([]byte{0xFF, 0, 0, 0, 0, 0, 0, 0}, make([]byte, 32)...), entry: -1, reason: "does not fit"},
		{name: "binary: key past the end", raw: binaryLens(2, 1, "ab", []uint64{1 << 40, 0}), entry: 1, reason: "run past the end"},
		{name: "binary: value past the end", raw: binaryLens(2, 1, "ab", []uint64{0, 1<<64 - 1}), entry: 1, reason: "run past the end"},
		{name: "binary: trailing bytes", raw: append(binarySnap(good()), 0), entry: -1, reason: "1 bytes after the last of its 2 entries"},
		{name: "binary: same key twice", raw: binarySnap(append(good(), good()[0])), entry: 2, reason: "its key is the key of entry 0"},
		{name: "json: key not base64", raw: []byte(`{"values":{"!!!!":"QQ=="}}`), entry: 0, reason: "the key is not standard padded base64"},
		{name: "json: value not base64", raw: []byte(`{"values":{"QQ==":"` + valueMark + `"}}`), entry: 0, reason: "the value is not standard padded base64"},
		{name: "json: no padding", raw: []byte(`{"values":{"QQ":"QQ=="}}`), entry: 0, reason: "the key is not standard padded base64"},
		{name: "json: non-zero padding bits", raw: []byte(`{"values":{"QR==":"QQ=="}}`), entry: 0, reason: "the key is not standard padded base64"},
		{name: "json: line break in base64", raw: []byte(`{"values":{"QUJD\nREVG":"QQ=="}}`), entry: 0, reason: "the key is not standard padded base64"},
		{name: "json: url alphabet", raw: []byte(`{"values":{"QQ==":"-_-_"}}`), entry: 0, reason: "the value is not standard padded base64"},
		{name: "json: value not a string", raw: []byte(`{"values":{"QQ==":1}}`), entry: 0, reason: "the value is not a string"},
		{name: "json: same key twice", raw: []byte(`{"values":{"QQ==":"QQ==","QQ==":"Qg=="}}`), entry: 1, reason: "its key is the key of entry 0"},
		{name: "json: other member", raw: []byte(`{"values":{},"x":1}`), entry: -1, reason: `a member other than one "values"`},
		{name: "json: values twice", raw: []byte(`{"values":{},"values":{}}`), entry: -1, reason: `a member other than one "values"`},
		{name: "json: no values", raw: []byte(`{}`), entry: -1, reason: `no "values" member`},
		{name: "json: values null", raw: []byte(`{"values":null}`), entry: -1, reason: `"values" is not a JSON object`},
		{name: "json: values array", raw: []byte(`{"values":[]}`), entry: -1, reason: `"values" is not a JSON object`},
		{name: "json: truncated", raw: []byte(`{"values":{"QQ==":`), entry: 0, reason: "malformed JSON"},
		{name: "json: more after", raw: []byte(`{"values":{}} {}`), entry: -1, reason: "more after the object"},
		{name: "json: garbage after", raw: []byte(`{"values":{}}x`), entry: -1, reason: "more after the object"},
	}
}

// binaryLens writes a binary snapshot that announces count entries: n
// entries with the given key and an empty value, then the raw lengths
// lens, then a few bytes.
func binaryLens(count uint64, n int, key string, lens []uint64) []byte {
	out := binary.BigEndian.AppendUint64(nil, count)
	for i := 0; i < n; i++ {
		out = binary.BigEndian.AppendUint64(out, uint64(len(key)))
		out = binary.BigEndian.AppendUint64(out, 0)
		out = append(out, key...)
	}
	for _, l := range lens {
		out = binary.BigEndian.AppendUint64(out, l)
	}
	return append(out, "some bytes"...)
}

// Every malformed snapshot is refused with an *Error wrapping
// ErrInvalidArgument that names the entry's position and label and none
// of its bytes, by Import and Sync, and nothing is written.
func TestMalformedSnapshots(t *testing.T) {
	ctx := context.Background()
	for _, c := range badCases() {
		type run struct {
			name string
			snap []byte
		}
		var runs []run
		if c.raw != nil {
			runs = []run{{"raw", c.raw}}
		} else {
			for _, enc := range encodings {
				runs = append(runs, run{enc.name, enc.snap(append(good(), c.entries...))})
			}
		}
		for _, r := range runs {
			t.Run(c.name+"/"+r.name, func(t *testing.T) {
				p, b := newStore(t)
				if err := openmlsmem.Import(ctx, p, binarySnap(fixture())); err != nil {
					t.Fatal(err)
				}
				records := b.Len()
				before, err := openmlsmem.Export(ctx, p, openmlsmem.Binary)
				if err != nil {
					t.Fatal(err)
				}

				check := func(what string, err error) {
					t.Helper()
					if !errors.Is(err, mlsidb.ErrInvalidArgument) {
						t.Fatalf("%s: %v, want ErrInvalidArgument", what, err)
					}
					var e *openmlsmem.Error
					if !errors.As(err, &e) {
						t.Fatalf("%s: %T is not an *openmlsmem.Error", what, err)
					}
					if e.Entry != c.entry || e.Label != c.label || !strings.Contains(e.Reason, c.reason) {
						t.Errorf("%s: entry %d label %q reason %q; want entry %d label %q reason with %q",
							what, e.Entry, e.Label, e.Reason, c.entry, c.label, c.reason)
					}
					msg := err.Error()
					if strings.Contains(msg, keyMark) || strings.Contains(msg, valueMark) {
						t.Errorf("%s: the error shows snapshot bytes: %s", what, msg)
					}
					if !strings.HasPrefix(msg, "openmlsmem: invalid argument: ") {
						t.Errorf("%s: error %q does not say where it comes from", what, msg)
					}
				}
				check("Import", openmlsmem.Import(ctx, p, r.snap))
				w, d, err := openmlsmem.Sync(ctx, p, r.snap)
				check("Sync", err)
				if w != 0 || d != 0 {
					t.Errorf("Sync counted %d written, %d deleted on error", w, d)
				}
				_, _, err = openmlsmem.Parse(r.snap)
				if c.raw != nil {
					check("Parse", err)
				}
				if n := b.Len(); n != records {
					t.Errorf("the backend holds %d records, %d before", n, records)
				}
				after, err := openmlsmem.Export(ctx, p, openmlsmem.Binary)
				if err != nil || !bytes.Equal(after, before) {
					t.Errorf("the store changed (%v)", err)
				}
			})
		}
	}
}

// A store's write failing in the middle of an Import leaves nothing
// behind either: the Update rolls back.
func TestImportRollsBackOnStoreError(t *testing.T) {
	ctx := context.Background()
	p, b := newStore(t)
	records := b.Len()
	stop := errors.New("stop")
	calls := 0
	st := failingStore{Store: p, after: 5, calls: &calls, err: stop}
	if err := openmlsmem.Import(ctx, st, binarySnap(fixture())); !errors.Is(err, stop) {
		t.Fatalf("Import: %v, want the store's error", err)
	}
	if calls <= 5 {
		t.Errorf("only %d calls were made", calls)
	}
	if n := b.Len(); n != records {
		t.Errorf("the backend holds %d records, %d before", n, records)
	}
}

// failingStore fails every write after the first `after` ones made in an
// Update view.
type failingStore struct {
	mlsidb.Store
	after int
	calls *int
	err   error
}

func (f failingStore) Update(ctx context.Context, fn func(mlsidb.Store) error) error {
	return f.Store.Update(ctx, func(tx mlsidb.Store) error {
		return fn(failingStore{Store: tx, after: f.after, calls: f.calls, err: f.err})
	})
}

func (f failingStore) tick() error {
	*f.calls++
	if *f.calls > f.after {
		return f.err
	}
	return nil
}

func (f failingStore) WriteTree(ctx context.Context, g, v []byte) error {
	if err := f.tick(); err != nil {
		return err
	}
	return f.Store.WriteTree(ctx, g, v)
}

func (f failingStore) WriteGroupState(ctx context.Context, g, v []byte) error {
	if err := f.tick(); err != nil {
		return err
	}
	return f.Store.WriteGroupState(ctx, g, v)
}

func (f failingStore) WriteKeyPackage(ctx context.Context, k, v []byte) error {
	if err := f.tick(); err != nil {
		return err
	}
	return f.Store.WriteKeyPackage(ctx, k, v)
}

func (f failingStore) AppendOwnLeafNode(ctx context.Context, g, v []byte) error {
	if err := f.tick(); err != nil {
		return err
	}
	return f.Store.AppendOwnLeafNode(ctx, g, v)
}

func (f failingStore) QueueProposal(ctx context.Context, g, r, v []byte) error {
	if err := f.tick(); err != nil {
		return err
	}
	return f.Store.QueueProposal(ctx, g, r, v)
}

func (f failingStore) WriteEncryptionEpochKeyPairs(ctx context.Context, g, ep []byte, l uint32, kp [][]byte) error {
	if err := f.tick(); err != nil {
		return err
	}
	return f.Store.WriteEncryptionEpochKeyPairs(ctx, g, ep, l, kp)
}

// OpenMLS's clear_proposal_queue removes the refs list but leaves the
// bodies; DropOrphanProposals reads such a snapshot, without the bodies.
func TestDropOrphanProposals(t *testing.T) {
	ctx := context.Background()
	g := gid(1)
	snap := binarySnap([]ent{
		e("Tree", g, "t"),
		e("QueuedProposal", "["+g+","+ref(1)+"]", "left behind"),
		e("QueuedProposal", "["+g+","+ref(2)+"]", "left behind"),
		e("ProposalQueueRefs", gid(2), byteArrays(ref(3))),
		e("QueuedProposal", "["+gid(2)+","+ref(3)+"]", "queued"),
		e("QueuedProposal", "["+gid(2)+","+ref(4)+"]", "removed"),
	})
	p, _ := newStore(t)
	if err := openmlsmem.Import(ctx, p, snap); !errors.Is(err, mlsidb.ErrInvalidArgument) {
		t.Fatalf("Import without the option: %v", err)
	}
	if err := openmlsmem.Import(ctx, p, snap, openmlsmem.DropOrphanProposals()); err != nil {
		t.Fatalf("Import with DropOrphanProposals: %v", err)
	}
	got, err := openmlsmem.Export(ctx, p, openmlsmem.Binary)
	if err != nil {
		t.Fatal(err)
	}
	want := setOf([]ent{
		e("Tree", g, "t"),
		e("ProposalQueueRefs", gid(2), byteArrays(ref(3))),
		e("QueuedProposal", "["+gid(2)+","+ref(3)+"]", "queued"),
	})
	if d := diffSets(entrySet(t, got), want); d != "" {
		t.Errorf("export:\n%s", d)
	}
	w, d, err := openmlsmem.Sync(ctx, p, snap, openmlsmem.DropOrphanProposals())
	if err != nil || w != 0 || d != 0 {
		t.Errorf("Sync of the same snapshot: %d written, %d deleted, %v", w, d, err)
	}
}
