package mlsidb

import (
	"bytes"
	"context"
	"encoding/binary"
	"sort"
	"strconv"
)

// Entry is one unit of stored state in the contract's terms: what one
// write call stores and one read call returns. [Provider.Walk] yields
// them and [Provider.PutEntry] writes them. Which fields are set depends on the method group's [Scope]:
//
//   - 11 value method groups: GroupID and Value.
//   - 4 global method groups: Key (public key, hash reference or PSK id)
//     and Value.
//   - MethodGroupOwnLeafNodes: GroupID and List (the leaf nodes in order).
//   - MethodGroupProposalQueue: GroupID and Proposals (in queue order).
//   - MethodGroupEpochKeyPairs: GroupID, Key (the serialized epoch),
//     LeafIndex and List (the key pairs in order).
//
// Walk never yields empty lists: the provider stores none.
type Entry struct {
	// Group is the method group the entry belongs to.
	Group MethodGroup
	// GroupID is the serialized group id of group-scoped entries; nil for
	// global ones.
	GroupID []byte
	// Key is the key of a global entry, or the serialized epoch of an
	// epoch key pairs entry; nil otherwise.
	Key []byte
	// LeafIndex is the leaf index of an epoch key pairs entry.
	LeafIndex uint32
	// Value is the stored value of value and global entries.
	Value []byte
	// List is the list of own leaf nodes or epoch key pairs entries.
	List [][]byte
	// Proposals is the proposal queue of a proposal queue entry.
	Proposals []QueuedProposal
}

// EntryStore is implemented by stores that read and write whole entries:
// [*Provider], and therefore also the view an [Store.Update] function gets
// (tx.(mlsidb.EntryStore)), which sees the transaction's own writes. A
// walk inside Update is a consistent picture: the provider's writers wait
// until the transaction ends.
type EntryStore interface {
	// Walk calls fn once for every entry the store holds, in a stable
	// order: method groups in catalogue order, then the record layout's key
	// order. fn owns the slices it gets. An error from fn stops the walk
	// and is returned unchanged. fn must not write to the store it walks.
	Walk(ctx context.Context, fn func(Entry) error) error
	// PutEntry writes e whole, in one atomic step, replacing what is
	// stored under its keys: a list replaces the stored list, and an empty
	// list deletes it. Walking a store and putting every entry into an
	// empty one gives an equal store.
	PutEntry(ctx context.Context, e Entry) error
}

var _ EntryStore = (*Provider)(nil)

// walkPage is how many records one scan of a walk reads.
const walkPage = 256

// Walk implements [EntryStore]: it yields every entry of the provider's
// version, reading the backend a page of records at a time. Records of
// other versions are not seen. A record that does not decode fails the
// walk with ErrVersionMismatch.
func (p *Provider) Walk(ctx context.Context, fn func(Entry) error) error {
	const op = "Walk"
	if fn == nil {
		return &Error{Op: op, Err: invalid("function is nil")}
	}
	for _, info := range catalogue {
		w := &walker{p: p, g: info.Group, fn: fn}
		if err := w.run(ctx, info.Scope); err != nil {
			return err
		}
	}
	return nil
}

// walker walks one method group. Lists spread over several records (own
// leaf nodes, the proposal queue) are gathered per group id and handed to
// fn when the group id changes, or at the end.
type walker struct {
	p  *Provider
	g  MethodGroup
	fn func(Entry) error

	cur      *Entry // the list being gathered
	curQueue []queued
}

func (w *walker) fail(err error) error { return wrap("Walk", w.g, err) }

func (w *walker) run(ctx context.Context, scope Scope) error {
	r := PrefixRange(w.p.prefix)
	for {
		if err := ctx.Err(); err != nil {
			return &Error{Op: "Walk", Group: w.g, Err: err}
		}
		recs, err := w.p.kv.scan(ctx, w.g.store(), r, false, walkPage)
		if err != nil {
			return w.fail(err)
		}
		for _, rec := range recs {
			if err := w.record(scope, rec); err != nil {
				return err
			}
		}
		if len(recs) < walkPage {
			return w.flush()
		}
		r.Start = append(bytes.Clone(recs[len(recs)-1].Key), 0)
	}
}

// record handles one record; the errors it returns are final (fn's own
// errors unchanged, others wrapped).
func (w *walker) record(scope Scope, rec Record) error {
	v, err := w.p.decode(rec.Value)
	if err != nil {
		return w.fail(err)
	}
	if scope == ScopeGlobal {
		if len(rec.Key) <= 2 {
			return w.fail(errCorrupt)
		}
		return w.fn(Entry{Group: w.g, Key: rec.Key[2:], Value: v})
	}
	groupID, rest, ok := splitGroupKey(rec.Key)
	if !ok {
		return w.fail(errCorrupt)
	}
	switch w.g {
	case MethodGroupOwnLeafNodes:
		if len(rest) != 8 {
			return w.fail(errCorrupt)
		}
		if err := w.switchGroup(groupID); err != nil {
			return err
		}
		w.cur.List = append(w.cur.List, v)
		return nil
	case MethodGroupProposalQueue:
		if len(rest) == 0 || len(v) < 8 {
			return w.fail(errCorrupt)
		}
		if err := w.switchGroup(groupID); err != nil {
			return err
		}
		w.curQueue = append(w.curQueue, queued{seq: binary.BigEndian.Uint64(v),
			QueuedProposal: QueuedProposal{Ref: rest, Proposal: v[8:]}})
		return nil
	case MethodGroupEpochKeyPairs:
		epoch, leaf, ok := splitEpochKey(rest)
		if !ok {
			return w.fail(errCorrupt)
		}
		list, err := decodeList(v)
		if err != nil {
			return w.fail(err)
		}
		return w.fn(Entry{Group: w.g, GroupID: groupID, Key: epoch, LeafIndex: leaf, List: list})
	default:
		if len(rest) != 0 {
			return w.fail(errCorrupt)
		}
		return w.fn(Entry{Group: w.g, GroupID: groupID, Value: v})
	}
}

// switchGroup hands the list gathered so far to fn when groupID starts a
// new group, and starts gathering for it.
func (w *walker) switchGroup(groupID []byte) error {
	if w.cur != nil && bytes.Equal(w.cur.GroupID, groupID) {
		return nil
	}
	if err := w.flush(); err != nil {
		return err
	}
	w.cur = &Entry{Group: w.g, GroupID: groupID}
	return nil
}

// flush hands the gathered list, if any, to fn.
func (w *walker) flush() error {
	if w.cur == nil {
		return nil
	}
	e := *w.cur
	w.cur = nil
	if w.g == MethodGroupProposalQueue {
		q := w.curQueue
		w.curQueue = nil
		sort.Sort(bySeq(q))
		e.Proposals = make([]QueuedProposal, len(q))
		for i, it := range q {
			e.Proposals[i] = it.QueuedProposal
		}
	}
	return w.fn(e)
}

// splitGroupKey splits a group-scoped key (version | len | group id | rest)
// into the group id and the rest.
func splitGroupKey(key []byte) (groupID, rest []byte, ok bool) {
	if len(key) < 6 {
		return nil, nil, false
	}
	n := binary.BigEndian.Uint32(key[2:6])
	if n == 0 || uint64(n) > uint64(len(key)-6) {
		return nil, nil, false
	}
	return key[6 : 6+n : 6+n], key[6+n:], true
}

// splitEpochKey splits the rest of an epoch key pairs key (len | epoch |
// leaf index) into its parts.
func splitEpochKey(rest []byte) (epoch []byte, leaf uint32, ok bool) {
	if len(rest) < 8 {
		return nil, 0, false
	}
	n := binary.BigEndian.Uint32(rest)
	if n == 0 || uint64(n) != uint64(len(rest)-8) {
		return nil, 0, false
	}
	return rest[4 : 4+n : 4+n], binary.BigEndian.Uint32(rest[4+n:]), true
}

// PutEntry implements [EntryStore]: one atomic write of e, whatever the
// length of its list (where appending items one call at a time reads the
// list again for every item). The fields e's method group uses are
// checked as the contract checks them (keys 1 to MaxKeyLen bytes; proposal
// refs distinct, since the queue holds one entry per ref); the others are
// ignored. A nil Value is stored as an empty value.
func (p *Provider) PutEntry(ctx context.Context, e Entry) error {
	const op = "PutEntry"
	g := e.Group
	info, ok := g.Info()
	if !ok {
		return &Error{Op: op, Err: invalid("unknown method group")}
	}
	what := "group id"
	if info.Scope == ScopeGlobal {
		what = "key"
	}
	key := e.GroupID
	if info.Scope == ScopeGlobal {
		key = e.Key
	}
	if err := begin(ctx, op, g, what, key); err != nil {
		return err
	}
	switch info.Scope {
	case ScopeGlobal:
		return p.write(ctx, op, g, []Op{{Kind: OpPut, Store: info.Store, Key: p.globalKey(e.Key), Value: p.encode(e.Value)}})
	case ScopeGroupValue:
		return p.write(ctx, op, g, []Op{{Kind: OpPut, Store: info.Store, Key: GroupPrefix(p.version, e.GroupID), Value: p.encode(e.Value)}})
	}
	prefix := GroupPrefix(p.version, e.GroupID)
	switch g {
	case MethodGroupEpochKeyPairs:
		if err := begin(ctx, op, g, "epoch", e.Key); err != nil {
			return err
		}
		k := epochKey(prefix, e.Key, e.LeafIndex)
		if len(e.List) == 0 {
			return p.write(ctx, op, g, []Op{{Kind: OpDelete, Store: info.Store, Key: k}})
		}
		return p.write(ctx, op, g, []Op{{Kind: OpPut, Store: info.Store, Key: k, Value: p.encode(encodeList(e.List))}})
	case MethodGroupOwnLeafNodes:
		ops := make([]Op, 0, 1+len(e.List))
		ops = append(ops, Op{Kind: OpDeleteRange, Store: info.Store, Range: PrefixRange(prefix)})
		for i, leaf := range e.List {
			ops = append(ops, Op{Kind: OpPut, Store: info.Store, Key: leafNodeKey(prefix, uint64(i)), Value: p.encode(leaf)})
		}
		return p.write(ctx, op, g, ops)
	default: // MethodGroupProposalQueue
		ops := make([]Op, 0, 1+len(e.Proposals))
		ops = append(ops, Op{Kind: OpDeleteRange, Store: info.Store, Range: PrefixRange(prefix)})
		seen := make(map[string]bool, len(e.Proposals))
		for i, qp := range e.Proposals {
			if err := begin(ctx, op, g, "proposal ref", qp.Ref); err != nil {
				return err
			}
			if seen[string(qp.Ref)] {
				return &Error{Op: op, Group: g, Err: invalid("proposal " + strconv.Itoa(i) + " has the ref of an earlier one")}
			}
			seen[string(qp.Ref)] = true
			ops = append(ops, Op{Kind: OpPut, Store: info.Store, Key: proposalKey(prefix, qp.Ref),
				Value: p.encode(binary.BigEndian.AppendUint64(nil, uint64(i)), qp.Proposal)})
		}
		return p.write(ctx, op, g, ops)
	}
}
