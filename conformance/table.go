package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/mlsidb/mlsidb"
)

// The method group table: for each of the 18 method groups, closures that
// write, read and delete one "slot" (the address of one value: a group's
// value, a global key's value, a group's leaf node list, one queued
// proposal, one epoch key pair list), and every contract method with the
// key parts it takes. The rules run over this table, so every case runs
// per method group.

// kind says how a method group stores its slots.
type kind uint8

const (
	kindValue     kind = iota + 1 // one value per group
	kindGlobal                    // one value per global key
	kindLeafNodes                 // one append-only list per group
	kindQueue                     // one queued proposal per group and ref
	kindEpoch                     // one list per group, epoch and leaf index
)

// part is a key argument of a contract method.
type part uint8

const (
	partGroup part = iota + 1 // group id
	partKey                   // public key, hash reference or PSK id
	partRef                   // proposal ref
	partEpoch                 // epoch
)

// slot is the address of one slot: the key arguments of its calls.
type slot struct {
	group []byte // group id (group-scoped method groups)
	key   []byte // global key, or proposal ref
	epoch []byte // epoch (epoch key pairs)
	leaf  uint32 // leaf index (epoch key pairs)
}

// method is one contract method, called with a slot's key arguments.
type method struct {
	name  string // Go name
	parts []part // the key arguments it takes
	write bool   // it changes the store
	// call calls the method; v is the value (or the only list item) of
	// writes. Results other than the error are dropped.
	call func(ctx context.Context, s mlsidb.Store, k slot, v []byte) error
}

// deleter is one way to delete a slot.
type deleter struct {
	name string
	// whole: it deletes every slot of the slot's group, not just one.
	whole bool
	call  func(ctx context.Context, s mlsidb.Store, k slot) error
}

// mgCase is one method group of the table.
type mgCase struct {
	info    mlsidb.MethodGroupInfo
	name    string // the store name, used in subtest names
	kind    kind
	keyName string // what the global key is ("public key", ...)
	methods []method
	// put writes v into the slot: an upsert, except for own leaf nodes
	// where it appends.
	put func(ctx context.Context, s mlsidb.Store, k slot, v []byte) error
	// get reads the slot: a single value as a list of one, or
	// ErrNotFound; a list (empty when missing); the proposal of a ref as a
	// list of one (empty when not queued, more when the ref is queued more
	// than once).
	get  func(ctx context.Context, s mlsidb.Store, k slot) ([][]byte, error)
	dels []deleter
}

// single reports whether the method group holds single values (which are
// ErrNotFound when missing) rather than lists.
func (c *mgCase) single() bool { return c.kind == kindValue || c.kind == kindGlobal }

// groupScoped reports whether the method group is keyed by group id.
func (c *mgCase) groupScoped() bool { return c.kind != kindGlobal }

// appends reports whether put appends instead of replacing.
func (c *mgCase) appends() bool { return c.kind == kindLeafNodes }

// multi reports whether a group (or, for global method groups, a key
// family) holds more than one slot.
func (c *mgCase) multi() bool {
	return c.kind == kindQueue || c.kind == kindEpoch || c.kind == kindGlobal
}

// slot returns the i-th slot of group g. For global method groups g is the
// key (suffixed for i > 0); value groups and own leaf nodes have one slot
// per group and ignore i.
func (c *mgCase) slot(g []byte, i int) slot {
	g = bytes.Clone(g)
	switch c.kind {
	case kindGlobal:
		if i > 0 {
			g = append(g, "/"+strconv.Itoa(i)...)
		}
		return slot{key: g}
	case kindQueue:
		return slot{group: g, key: []byte("ref:" + strconv.Itoa(i))}
	case kindEpoch:
		return slot{group: g, epoch: EpochKey(uint64(i)), leaf: uint32(i % 3)}
	}
	return slot{group: g}
}

// with returns k with part p replaced by b.
func (k slot) with(p part, b []byte) slot {
	switch p {
	case partGroup:
		k.group = b
	case partKey, partRef:
		k.key = b
	case partEpoch:
		k.epoch = b
	}
	return k
}

// parts returns the key parts of the method group's slots.
func (c *mgCase) parts() []part {
	switch c.kind {
	case kindGlobal:
		return []part{partKey}
	case kindQueue:
		return []part{partGroup, partRef}
	case kindEpoch:
		return []part{partGroup, partEpoch}
	}
	return []part{partGroup}
}

func (p part) String() string {
	switch p {
	case partGroup:
		return "group-id"
	case partKey:
		return "key"
	case partRef:
		return "proposal-ref"
	case partEpoch:
		return "epoch"
	}
	return "part" + strconv.Itoa(int(p))
}

// errNilList reports a list read that returned nil instead of an empty
// list.
var errNilList = errors.New("conformance: a list read returned a nil list, want an empty list")

type (
	writeFn  = func(mlsidb.Store, context.Context, []byte, []byte) error
	readFn   = func(mlsidb.Store, context.Context, []byte) ([]byte, error)
	deleteFn = func(mlsidb.Store, context.Context, []byte) error
)

// singleCase is a value or global method group: write, read, delete.
func singleCase(k kind, keyName, wn string, w writeFn, rn string, rd readFn, dn string, d deleteFn) *mgCase {
	p := partGroup
	arg := func(s slot) []byte { return s.group }
	if k == kindGlobal {
		p = partKey
		arg = func(s slot) []byte { return s.key }
	}
	c := &mgCase{kind: k, keyName: keyName}
	c.put = func(ctx context.Context, s mlsidb.Store, sl slot, v []byte) error { return w(s, ctx, arg(sl), v) }
	c.get = func(ctx context.Context, s mlsidb.Store, sl slot) ([][]byte, error) {
		v, err := rd(s, ctx, arg(sl))
		if err != nil {
			return nil, err
		}
		return [][]byte{v}, nil
	}
	del := func(ctx context.Context, s mlsidb.Store, sl slot) error { return d(s, ctx, arg(sl)) }
	c.methods = []method{
		{name: wn, parts: []part{p}, write: true, call: c.put},
		{name: rn, parts: []part{p}, call: func(ctx context.Context, s mlsidb.Store, sl slot, _ []byte) error {
			_, err := rd(s, ctx, arg(sl))
			return err
		}},
		{name: dn, parts: []part{p}, write: true, call: func(ctx context.Context, s mlsidb.Store, sl slot, _ []byte) error { return del(ctx, s, sl) }},
	}
	c.dels = []deleter{{name: "delete", call: del}}
	return c
}

func leafNodesCase() *mgCase {
	c := &mgCase{kind: kindLeafNodes}
	c.put = func(ctx context.Context, s mlsidb.Store, k slot, v []byte) error {
		return s.AppendOwnLeafNode(ctx, k.group, v)
	}
	c.get = func(ctx context.Context, s mlsidb.Store, k slot) ([][]byte, error) {
		l, err := s.OwnLeafNodes(ctx, k.group)
		if err == nil && l == nil {
			err = errNilList
		}
		return l, err
	}
	del := func(ctx context.Context, s mlsidb.Store, k slot) error { return s.DeleteOwnLeafNodes(ctx, k.group) }
	g := []part{partGroup}
	c.methods = []method{
		{name: "AppendOwnLeafNode", parts: g, write: true, call: c.put},
		{name: "OwnLeafNodes", parts: g, call: func(ctx context.Context, s mlsidb.Store, k slot, _ []byte) error {
			_, err := s.OwnLeafNodes(ctx, k.group)
			return err
		}},
		{name: "DeleteOwnLeafNodes", parts: g, write: true, call: func(ctx context.Context, s mlsidb.Store, k slot, _ []byte) error { return del(ctx, s, k) }},
	}
	c.dels = []deleter{{name: "delete", whole: true, call: del}}
	return c
}

// readQueue reads the group's queue through both QueuedProposalRefs and
// QueuedProposals and checks that they agree.
func readQueue(ctx context.Context, s mlsidb.Store, group []byte) ([]mlsidb.QueuedProposal, error) {
	refs, err := s.QueuedProposalRefs(ctx, group)
	if err != nil {
		return nil, err
	}
	props, err := s.QueuedProposals(ctx, group)
	if err != nil {
		return nil, err
	}
	if refs == nil || props == nil {
		return nil, errNilList
	}
	if len(refs) != len(props) {
		return nil, fmt.Errorf("conformance: QueuedProposalRefs returned %d refs, QueuedProposals %d proposals", len(refs), len(props))
	}
	for i := range refs {
		if !bytes.Equal(refs[i], props[i].Ref) {
			return nil, fmt.Errorf("conformance: QueuedProposalRefs and QueuedProposals disagree at position %d: %s vs %s", i, show(refs[i]), show(props[i].Ref))
		}
	}
	return props, nil
}

func queueCase() *mgCase {
	c := &mgCase{kind: kindQueue}
	c.put = func(ctx context.Context, s mlsidb.Store, k slot, v []byte) error {
		return s.QueueProposal(ctx, k.group, k.key, v)
	}
	c.get = func(ctx context.Context, s mlsidb.Store, k slot) ([][]byte, error) {
		q, err := readQueue(ctx, s, k.group)
		if err != nil {
			return nil, err
		}
		out := [][]byte{}
		for _, e := range q {
			if bytes.Equal(e.Ref, k.key) {
				out = append(out, e.Proposal)
			}
		}
		return out, nil
	}
	remove := func(ctx context.Context, s mlsidb.Store, k slot) error { return s.RemoveProposal(ctx, k.group, k.key) }
	clear := func(ctx context.Context, s mlsidb.Store, k slot) error { return s.ClearProposalQueue(ctx, k.group) }
	g, gr := []part{partGroup}, []part{partGroup, partRef}
	c.methods = []method{
		{name: "QueueProposal", parts: gr, write: true, call: c.put},
		{name: "QueuedProposalRefs", parts: g, call: func(ctx context.Context, s mlsidb.Store, k slot, _ []byte) error {
			_, err := s.QueuedProposalRefs(ctx, k.group)
			return err
		}},
		{name: "QueuedProposals", parts: g, call: func(ctx context.Context, s mlsidb.Store, k slot, _ []byte) error {
			_, err := s.QueuedProposals(ctx, k.group)
			return err
		}},
		{name: "RemoveProposal", parts: gr, write: true, call: func(ctx context.Context, s mlsidb.Store, k slot, _ []byte) error { return remove(ctx, s, k) }},
		{name: "ClearProposalQueue", parts: g, write: true, call: func(ctx context.Context, s mlsidb.Store, k slot, _ []byte) error { return clear(ctx, s, k) }},
	}
	c.dels = []deleter{{name: "remove", call: remove}, {name: "clear", whole: true, call: clear}}
	return c
}

func epochCase() *mgCase {
	c := &mgCase{kind: kindEpoch}
	c.put = func(ctx context.Context, s mlsidb.Store, k slot, v []byte) error {
		return s.WriteEncryptionEpochKeyPairs(ctx, k.group, k.epoch, k.leaf, [][]byte{v})
	}
	c.get = func(ctx context.Context, s mlsidb.Store, k slot) ([][]byte, error) {
		l, err := s.EncryptionEpochKeyPairs(ctx, k.group, k.epoch, k.leaf)
		if err == nil && l == nil {
			err = errNilList
		}
		return l, err
	}
	del := func(ctx context.Context, s mlsidb.Store, k slot) error {
		return s.DeleteEncryptionEpochKeyPairs(ctx, k.group, k.epoch, k.leaf)
	}
	ge := []part{partGroup, partEpoch}
	c.methods = []method{
		{name: "WriteEncryptionEpochKeyPairs", parts: ge, write: true, call: c.put},
		{name: "EncryptionEpochKeyPairs", parts: ge, call: func(ctx context.Context, s mlsidb.Store, k slot, _ []byte) error {
			_, err := s.EncryptionEpochKeyPairs(ctx, k.group, k.epoch, k.leaf)
			return err
		}},
		{name: "DeleteEncryptionEpochKeyPairs", parts: ge, write: true, call: func(ctx context.Context, s mlsidb.Store, k slot, _ []byte) error { return del(ctx, s, k) }},
	}
	c.dels = []deleter{
		{name: "delete", call: del},
		{name: "write-empty", call: func(ctx context.Context, s mlsidb.Store, k slot) error {
			return s.WriteEncryptionEpochKeyPairs(ctx, k.group, k.epoch, k.leaf, [][]byte{})
		}},
		{name: "write-nil", call: func(ctx context.Context, s mlsidb.Store, k slot) error {
			return s.WriteEncryptionEpochKeyPairs(ctx, k.group, k.epoch, k.leaf, nil)
		}},
	}
	return c
}

// buildCases returns the table in catalogue order, and an error when it
// does not cover exactly the catalogue's method groups and methods.
func buildCases() ([]*mgCase, error) {
	type S = mlsidb.Store
	v := func(wn string, w writeFn, rn string, rd readFn, dn string, d deleteFn) *mgCase {
		return singleCase(kindValue, "", wn, w, rn, rd, dn, d)
	}
	gl := func(keyName, wn string, w writeFn, rn string, rd readFn, dn string, d deleteFn) *mgCase {
		return singleCase(kindGlobal, keyName, wn, w, rn, rd, dn, d)
	}
	table := map[mlsidb.MethodGroup]*mgCase{
		mlsidb.MethodGroupJoinConfig:            v("WriteMlsJoinConfig", S.WriteMlsJoinConfig, "MlsGroupJoinConfig", S.MlsGroupJoinConfig, "DeleteGroupConfig", S.DeleteGroupConfig),
		mlsidb.MethodGroupTree:                  v("WriteTree", S.WriteTree, "Tree", S.Tree, "DeleteTree", S.DeleteTree),
		mlsidb.MethodGroupContext:               v("WriteContext", S.WriteContext, "GroupContext", S.GroupContext, "DeleteContext", S.DeleteContext),
		mlsidb.MethodGroupInterimTranscriptHash: v("WriteInterimTranscriptHash", S.WriteInterimTranscriptHash, "InterimTranscriptHash", S.InterimTranscriptHash, "DeleteInterimTranscriptHash", S.DeleteInterimTranscriptHash),
		mlsidb.MethodGroupConfirmationTag:       v("WriteConfirmationTag", S.WriteConfirmationTag, "ConfirmationTag", S.ConfirmationTag, "DeleteConfirmationTag", S.DeleteConfirmationTag),
		mlsidb.MethodGroupGroupState:            v("WriteGroupState", S.WriteGroupState, "GroupState", S.GroupState, "DeleteGroupState", S.DeleteGroupState),
		mlsidb.MethodGroupMessageSecrets:        v("WriteMessageSecrets", S.WriteMessageSecrets, "MessageSecrets", S.MessageSecrets, "DeleteMessageSecrets", S.DeleteMessageSecrets),
		mlsidb.MethodGroupResumptionPskStore:    v("WriteResumptionPskStore", S.WriteResumptionPskStore, "ResumptionPskStore", S.ResumptionPskStore, "DeleteAllResumptionPskSecrets", S.DeleteAllResumptionPskSecrets),
		mlsidb.MethodGroupOwnLeafIndex:          v("WriteOwnLeafIndex", S.WriteOwnLeafIndex, "OwnLeafIndex", S.OwnLeafIndex, "DeleteOwnLeafIndex", S.DeleteOwnLeafIndex),
		mlsidb.MethodGroupEpochSecrets:          v("WriteGroupEpochSecrets", S.WriteGroupEpochSecrets, "GroupEpochSecrets", S.GroupEpochSecrets, "DeleteGroupEpochSecrets", S.DeleteGroupEpochSecrets),
		mlsidb.MethodGroupApplicationExportTree: v("WriteApplicationExportTree", S.WriteApplicationExportTree, "ApplicationExportTree", S.ApplicationExportTree, "DeleteApplicationExportTree", S.DeleteApplicationExportTree),
		mlsidb.MethodGroupOwnLeafNodes:          leafNodesCase(),
		mlsidb.MethodGroupProposalQueue:         queueCase(),
		mlsidb.MethodGroupEpochKeyPairs:         epochCase(),
		mlsidb.MethodGroupSignatureKeyPair:      gl("public key", "WriteSignatureKeyPair", S.WriteSignatureKeyPair, "SignatureKeyPair", S.SignatureKeyPair, "DeleteSignatureKeyPair", S.DeleteSignatureKeyPair),
		mlsidb.MethodGroupEncryptionKeyPair:     gl("public key", "WriteEncryptionKeyPair", S.WriteEncryptionKeyPair, "EncryptionKeyPair", S.EncryptionKeyPair, "DeleteEncryptionKeyPair", S.DeleteEncryptionKeyPair),
		mlsidb.MethodGroupKeyPackage:            gl("hash ref", "WriteKeyPackage", S.WriteKeyPackage, "KeyPackage", S.KeyPackage, "DeleteKeyPackage", S.DeleteKeyPackage),
		mlsidb.MethodGroupPsk:                   gl("psk id", "WritePsk", S.WritePsk, "Psk", S.Psk, "DeletePsk", S.DeletePsk),
	}
	infos := mlsidb.MethodGroups()
	if len(infos) != len(table) {
		return nil, fmt.Errorf("the catalogue has %d method groups, the table %d", len(infos), len(table))
	}
	out := make([]*mgCase, 0, len(infos))
	for _, info := range infos {
		c := table[info.Group]
		if c == nil {
			return nil, fmt.Errorf("method group %s is not in the table", info.Store)
		}
		wantScope := map[kind]mlsidb.Scope{kindValue: mlsidb.ScopeGroupValue, kindGlobal: mlsidb.ScopeGlobal,
			kindLeafNodes: mlsidb.ScopeGroupList, kindQueue: mlsidb.ScopeGroupList, kindEpoch: mlsidb.ScopeGroupList}[c.kind]
		if info.Scope != wantScope {
			return nil, fmt.Errorf("method group %s has scope %d in the catalogue, the table expects %d", info.Store, info.Scope, wantScope)
		}
		var have, want []string
		for _, m := range c.methods {
			have = append(have, m.name)
		}
		for _, m := range info.Methods {
			want = append(want, m.Go)
		}
		slices.Sort(have)
		slices.Sort(want)
		if !slices.Equal(have, want) {
			return nil, fmt.Errorf("method group %s: the catalogue lists methods %v, the table %v", info.Store, want, have)
		}
		c.info = info
		c.name = info.Store
		if c.groupScoped() {
			c.dels = append(c.dels, deleter{name: "delete-group", whole: true, call: func(ctx context.Context, s mlsidb.Store, k slot) error {
				return s.DeleteGroup(ctx, k.group)
			}})
		}
		out = append(out, c)
	}
	return out, nil
}
