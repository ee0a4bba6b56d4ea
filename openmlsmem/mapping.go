package openmlsmem

import (
	"bytes"
	"encoding/binary"
	"sort"
	"strconv"

	"github.com/mlsidb/mlsidb"
)

// Option changes how a snapshot is read by [ToContract], [Import] and
// [Sync].
type Option func(*options)

type options struct {
	dropOrphans bool
}

// DropOrphanProposals skips QueuedProposal entries whose proposal ref is
// not in their group's ProposalQueueRefs list, instead of failing on them.
// OpenMLS's MemoryStorage leaves such bodies behind when it clears a
// proposal queue (clear_proposal_queue removes the refs list but not the
// bodies), so a MemoryStorage that merged a commit while proposals were
// queued holds some; OpenMLS never reads them again. Without this option
// they are an error, as the snapshot does not describe one proposal queue.
func DropOrphanProposals() Option {
	return func(o *options) { o.dropOrphans = true }
}

func collect(opts []Option) options {
	var o options
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}

// ToContract maps MemoryStorage entries onto the contract: one
// [mlsidb.Entry] per unit a contract call writes, with the key bytes of
// each entry as the contract's key bytes (so an entry is found by the call
// OpenMLS would make, for example Tree(ctx, <group id json>)) and values
// as they are. Lists become lists in order: an OwnLeafNodes entry one own
// leaf nodes list, an EpochKeyPairs value (a JSON list of key pairs) one
// epoch key pairs list of the items' JSON bytes, and each group's
// ProposalQueueRefs list joins the QueuedProposal bodies of its refs, in
// queue order. An entry that holds an empty list yields a unit with an
// empty list (mlsidb stores no empty lists: writing one deletes).
//
// The epoch key pairs key is group id json ‖ epoch json ‖ leaf index json.
// The group id is the JSON value it starts with; when the epoch is a
// number, epoch and leaf index are two concatenated numbers, and when more
// than one split of the digits is a valid (u64 epoch, u32 leaf index)
// pair, the group's OwnLeafNodeIndex entry picks the one whose leaf index
// is the group's own.
//
// Every problem is an [*Error] naming the entry's position and label.
// Units come sorted by method group, group id, key and leaf index.
func ToContract(entries []Entry, opts ...Option) ([]mlsidb.Entry, error) {
	m := &mapper{o: collect(opts), units: map[string]*mlsidb.Entry{},
		ownLeaf: map[string]uint32{}, refsAt: map[string]int{}, bodies: map[string]map[string]*body{}}
	for i, e := range entries {
		if err := m.entry(i, e); err != nil {
			return nil, err
		}
	}
	for _, p := range m.pendingEpochs {
		if err := m.epochKeyPairs(p); err != nil {
			return nil, err
		}
	}
	if err := m.joinQueues(); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(m.units))
	for id := range m.units {
		ids = append(ids, id)
	}
	sort.Sort(sort.StringSlice(ids)) // not slices.Sort: a generic sort of its own in the wasm
	out := make([]mlsidb.Entry, len(ids))
	for i, id := range ids {
		out[i] = *m.units[id]
	}
	return out, nil
}

type mapper struct {
	o     options
	units map[string]*mlsidb.Entry

	ownLeaf       map[string]uint32 // group id → own leaf index, when it reads as one
	pendingEpochs []pendingEpoch

	refs   []groupRefs
	refsAt map[string]int              // group id → index in refs
	bodies map[string]map[string]*body // group id → ref → body
}

type pendingEpoch struct {
	at      int
	groupID []byte
	rest    []byte // epoch json ‖ leaf index json
	value   []byte
}

type groupRefs struct {
	at      int
	groupID []byte
	refs    [][]byte
}

type body struct {
	at       int
	proposal []byte
	used     bool
}

func (m *mapper) add(at int, l *label, u *mlsidb.Entry) error {
	id := unitID(u)
	if _, dup := m.units[id]; dup {
		return &Error{Entry: at, Label: l.name, Reason: "another entry maps to the same contract key"}
	}
	m.units[id] = u
	return nil
}

func (m *mapper) entry(at int, e Entry) error {
	l, kb, reason := splitKey(e.Key)
	if reason != "" {
		name := ""
		if l != nil {
			name = l.name
		}
		return &Error{Entry: at, Label: name, Reason: reason}
	}
	fail := func(reason string) error { return &Error{Entry: at, Label: l.name, Reason: reason} }
	switch l.kind {
	case kindGroupValue, kindGlobal, kindLeafNodes, kindRefs:
		what := "group id"
		if l.kind == kindGlobal {
			what = "key"
		}
		if r := checkKey(what, kb); r != "" {
			return fail(r)
		}
	}
	switch l.kind {
	case kindGroupValue:
		if l.group == mlsidb.MethodGroupOwnLeafIndex {
			if n, ok := parseUint(e.Value, 32); ok {
				m.ownLeaf[string(kb)] = uint32(n)
			}
		}
		return m.add(at, l, &mlsidb.Entry{Group: l.group, GroupID: kb, Value: e.Value})
	case kindGlobal:
		return m.add(at, l, &mlsidb.Entry{Group: l.group, Key: kb, Value: e.Value})
	case kindLeafNodes, kindRefs:
		items, bad, ok := parseByteLists(e.Value)
		if !ok {
			if bad < 0 {
				return fail("the value is not a JSON list of byte arrays as serde_json writes it")
			}
			return fail("item " + strconv.Itoa(bad) + " of the value is not a JSON byte array as serde_json writes it")
		}
		if l.kind == kindLeafNodes {
			return m.add(at, l, &mlsidb.Entry{Group: l.group, GroupID: kb, List: items})
		}
		seen := map[string]int{}
		for i, ref := range items {
			if r := checkKey("proposal ref (item "+strconv.Itoa(i)+")", ref); r != "" {
				return fail(r)
			}
			if j, dup := seen[string(ref)]; dup {
				return fail("items " + strconv.Itoa(j) + " and " + strconv.Itoa(i) +
					" are the same proposal ref (mlsidb keeps one queue entry per ref)")
			}
			seen[string(ref)] = i
		}
		m.refsAt[string(kb)] = len(m.refs)
		m.refs = append(m.refs, groupRefs{at: at, groupID: kb, refs: items})
		return nil
	case kindProposal:
		groupID, ref, ok := splitPair(kb)
		if !ok {
			return fail("the key bytes are not the JSON pair [group id, proposal ref] as serde_json writes it")
		}
		if r := checkKey("group id", groupID); r != "" {
			return fail(r)
		}
		if r := checkKey("proposal ref", ref); r != "" {
			return fail(r)
		}
		g := m.bodies[string(groupID)]
		if g == nil {
			g = map[string]*body{}
			m.bodies[string(groupID)] = g
		}
		g[string(ref)] = &body{at: at, proposal: e.Value}
		return nil
	case kindEpochKeyPairs:
		end := scanValue(kb, 0)
		if end < 0 {
			return fail("the key bytes do not start with a JSON group id")
		}
		if r := checkKey("group id", kb[:end]); r != "" {
			return fail(r)
		}
		m.pendingEpochs = append(m.pendingEpochs, pendingEpoch{at: at, groupID: kb[:end:end], rest: kb[end:], value: e.Value})
		return nil
	}
	return fail("unhandled label")
}

// checkKey returns why k cannot be a contract key, or "".
func checkKey(what string, k []byte) string {
	switch {
	case len(k) == 0:
		return "the " + what + " is empty"
	case len(k) > mlsidb.MaxKeyLen:
		return "the " + what + " is " + strconv.Itoa(len(k)) + " bytes, longer than mlsidb's limit of " + strconv.Itoa(mlsidb.MaxKeyLen)
	}
	return ""
}

// splitPair splits the serde_json of a pair, "[a,b]", into a and b.
func splitPair(b []byte) (first, second []byte, ok bool) {
	items, ok := splitValues(b)
	if !ok || len(items) != 2 {
		return nil, nil, false
	}
	return items[0], items[1], true
}

func (m *mapper) epochKeyPairs(p pendingEpoch) error {
	const name = "EpochKeyPairs"
	fail := func(reason string) error { return &Error{Entry: p.at, Label: name, Reason: reason} }
	own, haveOwn := m.ownLeaf[string(p.groupID)]
	epoch, leaf, reason := splitEpochLeaf(p.rest, own, haveOwn)
	if reason != "" {
		return fail(reason)
	}
	if r := checkKey("epoch", epoch); r != "" {
		return fail(r)
	}
	items, ok := splitValues(p.value)
	if !ok {
		return fail("the value is not a JSON list of key pairs as serde_json writes it")
	}
	return m.add(p.at, &label{name: name}, &mlsidb.Entry{Group: mlsidb.MethodGroupEpochKeyPairs,
		GroupID: p.groupID, Key: epoch, LeafIndex: leaf, List: items})
}

// splitEpochLeaf splits epoch json ‖ leaf index json. When the epoch is a
// JSON value other than a number, its extent tells where the leaf index
// starts. When both are numbers the key holds one run of digits; every
// split into a u64 epoch and a u32 leaf index (no leading zeros) is a
// candidate, and the group's own leaf index decides between several.
func splitEpochLeaf(rest []byte, own uint32, haveOwn bool) (epoch []byte, leaf uint32, reason string) {
	if len(rest) == 0 {
		return nil, 0, "the key has no epoch and leaf index after the group id"
	}
	if !isDigit(rest[0]) {
		end := scanValue(rest, 0)
		if end < 0 {
			return nil, 0, "the epoch after the group id is not a JSON value"
		}
		n, ok := parseUint(rest[end:], 32)
		if !ok {
			return nil, 0, "the key does not end with a leaf index (a u32 JSON number) after the epoch"
		}
		return rest[:end:end], uint32(n), ""
	}
	type split struct {
		at   int
		leaf uint32
	}
	var candidates []split
	for i := 1; i < len(rest); i++ {
		if _, ok := parseUint(rest[:i], 64); !ok {
			continue
		}
		if n, ok := parseUint(rest[i:], 32); ok {
			candidates = append(candidates, split{i, uint32(n)})
		}
	}
	pick := -1
	switch {
	case len(candidates) == 0:
		return nil, 0, "the digits after the group id are not an epoch (u64) followed by a leaf index (u32)"
	case len(candidates) == 1:
		pick = 0
	case !haveOwn:
		return nil, 0, "epoch and leaf index are two concatenated numbers with " + strconv.Itoa(len(candidates)) +
			" possible readings, and the group has no OwnLeafNodeIndex entry (a u32) to tell them apart"
	default:
		for i, c := range candidates {
			if c.leaf == own {
				pick = i
			}
		}
		if pick < 0 {
			return nil, 0, "epoch and leaf index are two concatenated numbers, and none of their " +
				strconv.Itoa(len(candidates)) + " possible readings has the group's own leaf index (its OwnLeafNodeIndex entry)"
		}
	}
	c := candidates[pick]
	return rest[:c.at:c.at], c.leaf, ""
}

// joinQueues joins each group's refs list with the bodies of its refs.
func (m *mapper) joinQueues() error {
	for _, g := range m.refs {
		bodies := m.bodies[string(g.groupID)]
		u := &mlsidb.Entry{Group: mlsidb.MethodGroupProposalQueue, GroupID: g.groupID,
			Proposals: make([]mlsidb.QueuedProposal, len(g.refs))}
		for i, ref := range g.refs {
			b := bodies[string(ref)]
			if b == nil {
				return &Error{Entry: g.at, Label: labelProposalQueueRefs,
					Reason: "item " + strconv.Itoa(i) + " is a proposal ref without a QueuedProposal entry"}
			}
			b.used = true
			u.Proposals[i] = mlsidb.QueuedProposal{Ref: ref, Proposal: b.proposal}
		}
		if err := m.add(g.at, &label{name: labelProposalQueueRefs}, u); err != nil {
			return err
		}
	}
	if m.o.dropOrphans {
		return nil
	}
	first := -1
	for _, g := range m.bodies {
		for _, b := range g {
			if !b.used && (first < 0 || b.at < first) {
				first = b.at
			}
		}
	}
	if first >= 0 {
		return &Error{Entry: first, Label: labelQueuedProposal,
			Reason: "a proposal whose ref is not in its group's ProposalQueueRefs list (see DropOrphanProposals)"}
	}
	return nil
}

// unitID identifies a unit: the method group and its keys.
func unitID(u *mlsidb.Entry) string {
	b := make([]byte, 0, 13+len(u.GroupID)+len(u.Key))
	b = append(b, byte(u.Group))
	b = binary.BigEndian.AppendUint32(b, uint32(len(u.GroupID)))
	b = append(b, u.GroupID...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(u.Key)))
	b = append(b, u.Key...)
	b = binary.BigEndian.AppendUint32(b, u.LeafIndex)
	return string(b)
}

// FromContract maps contract units (as [mlsidb.Provider.Walk] yields them)
// back to MemoryStorage entries, the inverse of [ToContract]: label ‖ key
// bytes ‖ 00 01 for keys, values as they are, lists as serde_json writes
// them, a proposal queue as its ProposalQueueRefs list plus one
// QueuedProposal entry per proposal. Units with empty lists yield no
// entries (as after an export from mlsidb, which stores no empty lists).
//
// Some units cannot be written in the MemoryStorage format and fail with
// an [*Error]: a proposal queue or epoch key pairs whose group id is not a
// JSON value, a proposal ref or an epoch that is not one, or an epoch key
// pair item that is not one (the list is written as a JSON array of them).
func FromContract(units []mlsidb.Entry) ([]Entry, error) {
	out := make([]Entry, 0, len(units))
	fail := func(u *mlsidb.Entry, reason string) error {
		return &Error{Entry: -1, Reason: "cannot write the " + u.Group.String() + " of a group as MemoryStorage entries: " + reason}
	}
	for i := range units {
		u := &units[i]
		switch u.Group {
		case mlsidb.MethodGroupOwnLeafNodes:
			if len(u.List) > 0 {
				out = append(out, Entry{Key: memKey(labelOf[u.Group], u.GroupID), Value: appendByteLists(nil, u.List)})
			}
		case mlsidb.MethodGroupProposalQueue:
			if len(u.Proposals) == 0 {
				continue
			}
			if !isJSONValue(u.GroupID) {
				return nil, fail(u, "its group id is not a JSON value")
			}
			refs := make([][]byte, len(u.Proposals))
			for j, p := range u.Proposals {
				if !isJSONValue(p.Ref) {
					return nil, fail(u, "proposal ref "+strconv.Itoa(j)+" is not a JSON value")
				}
				refs[j] = p.Ref
				pair := joinValues([][]byte{u.GroupID, p.Ref})
				out = append(out, Entry{Key: memKey(labelQueuedProposal, pair), Value: p.Proposal})
			}
			out = append(out, Entry{Key: memKey(labelProposalQueueRefs, u.GroupID), Value: appendByteLists(nil, refs)})
		case mlsidb.MethodGroupEpochKeyPairs:
			if len(u.List) == 0 {
				continue
			}
			if !isJSONValue(u.GroupID) {
				return nil, fail(u, "its group id is not a JSON value")
			}
			if !isJSONValue(u.Key) {
				return nil, fail(u, "an epoch is not a JSON value")
			}
			if c := u.Key[0]; c == '-' || isDigit(c) {
				if _, ok := parseUint(u.Key, 64); !ok {
					return nil, fail(u, "an epoch is a JSON number but not a u64")
				}
				if c := u.GroupID[0]; c == '-' || isDigit(c) {
					return nil, fail(u, "its group id and an epoch are JSON numbers, which run into each other in the key")
				}
			}
			for j, it := range u.List {
				if !isJSONValue(it) {
					return nil, fail(u, "key pair "+strconv.Itoa(j)+" is not a JSON value")
				}
			}
			kb := make([]byte, 0, len(u.GroupID)+len(u.Key)+10)
			kb = append(append(kb, u.GroupID...), u.Key...)
			kb = strconv.AppendUint(kb, uint64(u.LeafIndex), 10)
			out = append(out, Entry{Key: memKey(labelOf[u.Group], kb), Value: joinValues(u.List)})
		default:
			name, ok := labelOf[u.Group]
			if !ok {
				return nil, &Error{Entry: -1, Reason: "unknown method group " + strconv.Itoa(int(u.Group))}
			}
			k := u.GroupID
			if kindOf[u.Group] == kindGlobal {
				k = u.Key
			}
			if len(k) == 0 {
				return nil, fail(u, "its key is empty")
			}
			out = append(out, Entry{Key: memKey(name, k), Value: bytes.Clone(u.Value)})
		}
	}
	return out, nil
}

// memKey returns label ‖ key bytes ‖ version.
func memKey(label string, keyBytes []byte) []byte {
	k := make([]byte, 0, len(label)+len(keyBytes)+2)
	k = append(k, label...)
	k = append(k, keyBytes...)
	return binary.BigEndian.AppendUint16(k, Version)
}
