package openmlsmem

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"strconv"

	"github.com/mlsidb/mlsidb"
)

// Import writes every entry of a MemoryStorage snapshot (either encoding,
// see [Parse]) into store through the contract calls OpenMLS would make,
// all in one store.Update: everything or, on any error, nothing. A list in
// the snapshot replaces the store's list (own leaf nodes, a group's
// proposal queue, epoch key pairs); an entry holding an empty list clears
// it. Records of the store that the snapshot does not mention are kept
// (use [Sync] to drop them).
//
// A snapshot that cannot be read or mapped (see [ToContract]) fails with
// an [*Error] wrapping [mlsidb.ErrInvalidArgument] before anything is
// written; errors of the store come back as the store returned them.
func Import(ctx context.Context, store mlsidb.Store, snapshot []byte, opts ...Option) error {
	units, err := decodeSnapshot(snapshot, opts)
	if err != nil {
		return err
	}
	if err := checkStore(store); err != nil {
		return err
	}
	return store.Update(ctx, func(tx mlsidb.Store) error {
		for i := range units {
			if err := put(ctx, tx, &units[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// Export returns everything store holds as a MemoryStorage snapshot in
// format f (entries ordered by key, see [Encode]). It reads the store in
// one store.Update, so the snapshot is a consistent picture; the store's
// Update view must be an [mlsidb.EntryStore] (a [*mlsidb.Provider]'s is). Data
// that OpenMLS cannot have written fails with an [*Error] (see
// [FromContract]).
func Export(ctx context.Context, store mlsidb.Store, f Format) ([]byte, error) {
	if f != Binary && f != JSON {
		return nil, snapshotErr("unknown snapshot format " + f.String())
	}
	if err := checkStore(store); err != nil {
		return nil, err
	}
	var units []mlsidb.Entry
	err := store.Update(ctx, func(tx mlsidb.Store) error {
		units = units[:0]
		return walk(ctx, tx, func(e mlsidb.Entry) { units = append(units, e) })
	})
	if err != nil {
		return nil, err
	}
	entries, err := FromContract(units)
	if err != nil {
		return nil, err
	}
	return Encode(entries, f)
}

// Sync makes store hold exactly what snapshot holds, in one store.Update:
// it writes the entries that are new or changed and deletes what the
// snapshot no longer has, and leaves the rest untouched. An OpenMLS app
// calls it after each operation with a snapshot of its MemoryStorage.
//
// written and deleted count MemoryStorage entries, as a diff of the
// store's export against the snapshot would: a list (OwnLeafNodes,
// ProposalQueueRefs, EpochKeyPairs) is one entry whatever its length, and
// each QueuedProposal body is one entry. An entry holding an empty list
// equals no entry; replacing a stored list by an empty one counts as one
// written entry. Changing a list writes only what changed where the
// contract allows it: new own leaf nodes are appended, removed proposals
// removed, new ones queued at the end (a list that changed otherwise is
// rewritten). On error nothing is written and both counts are 0.
func Sync(ctx context.Context, store mlsidb.Store, snapshot []byte, opts ...Option) (written, deleted int, err error) {
	want, err := decodeSnapshot(snapshot, opts)
	if err != nil {
		return 0, 0, err
	}
	if err := checkStore(store); err != nil {
		return 0, 0, err
	}
	err = store.Update(ctx, func(tx mlsidb.Store) error {
		written, deleted = 0, 0
		have := map[string]*mlsidb.Entry{}
		if err := walk(ctx, tx, func(e mlsidb.Entry) { have[unitID(&e)] = &e }); err != nil {
			return err
		}
		for i := range want {
			w := &want[i]
			id := unitID(w)
			h := have[id]
			delete(have, id)
			wr, del, err := syncUnit(ctx, tx, h, w)
			if err != nil {
				return err
			}
			written += wr
			deleted += del
		}
		gone := make([]string, 0, len(have))
		for id := range have {
			gone = append(gone, id)
		}
		sort.Sort(sort.StringSlice(gone)) // not slices.Sort: a generic sort of its own in the wasm
		for _, id := range gone {
			h := have[id]
			if err := remove(ctx, tx, h); err != nil {
				return err
			}
			deleted++
			if h.Group == mlsidb.MethodGroupProposalQueue {
				deleted += len(h.Proposals)
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return written, deleted, nil
}

func decodeSnapshot(snapshot []byte, opts []Option) ([]mlsidb.Entry, error) {
	entries, _, err := Parse(snapshot)
	if err != nil {
		return nil, err
	}
	return ToContract(entries, opts...)
}

// checkStore refuses a nil store and one bound to another provider
// version than the snapshots' (when the store says which).
func checkStore(store mlsidb.Store) error {
	if store == nil {
		return snapshotErr("the store is nil")
	}
	if v, ok := store.(interface{ Version() uint16 }); ok && v.Version() != Version {
		return snapshotErr("the store is bound to provider version " + strconv.Itoa(int(v.Version())) +
			"; MemoryStorage entries map onto version " + strconv.Itoa(int(Version)))
	}
	return nil
}

// walk lists what the transaction view tx holds.
func walk(ctx context.Context, tx mlsidb.Store, fn func(mlsidb.Entry)) error {
	w, ok := tx.(mlsidb.EntryStore)
	if !ok {
		return snapshotErr("the store cannot list what it holds (its Update view is not an mlsidb.EntryStore)")
	}
	return w.Walk(ctx, func(e mlsidb.Entry) error { fn(e); return nil })
}

// put writes unit u, replacing what is stored under its keys: with one
// PutEntry when the store offers it (one batch, whatever the list's
// length), otherwise through the contract calls OpenMLS makes.
func put(ctx context.Context, s mlsidb.Store, u *mlsidb.Entry) error {
	if es, ok := s.(mlsidb.EntryStore); ok {
		return es.PutEntry(ctx, *u)
	}
	switch u.Group {
	case mlsidb.MethodGroupOwnLeafNodes:
		if err := s.DeleteOwnLeafNodes(ctx, u.GroupID); err != nil {
			return err
		}
		return appendLeaves(ctx, s, u.GroupID, u.List)
	case mlsidb.MethodGroupProposalQueue:
		if err := s.ClearProposalQueue(ctx, u.GroupID); err != nil {
			return err
		}
		return queue(ctx, s, u.GroupID, u.Proposals)
	case mlsidb.MethodGroupEpochKeyPairs:
		return s.WriteEncryptionEpochKeyPairs(ctx, u.GroupID, u.Key, u.LeafIndex, u.List)
	}
	ops := valueOps[u.Group]
	if kindOf[u.Group] == kindGlobal {
		return ops.write(s, ctx, u.Key, u.Value)
	}
	return ops.write(s, ctx, u.GroupID, u.Value)
}

// remove deletes unit u through the contract.
func remove(ctx context.Context, s mlsidb.Store, u *mlsidb.Entry) error {
	switch u.Group {
	case mlsidb.MethodGroupOwnLeafNodes:
		return s.DeleteOwnLeafNodes(ctx, u.GroupID)
	case mlsidb.MethodGroupProposalQueue:
		return s.ClearProposalQueue(ctx, u.GroupID)
	case mlsidb.MethodGroupEpochKeyPairs:
		return s.DeleteEncryptionEpochKeyPairs(ctx, u.GroupID, u.Key, u.LeafIndex)
	}
	ops := valueOps[u.Group]
	if kindOf[u.Group] == kindGlobal {
		return ops.del(s, ctx, u.Key)
	}
	return ops.del(s, ctx, u.GroupID)
}

func appendLeaves(ctx context.Context, s mlsidb.Store, groupID []byte, leaves [][]byte) error {
	for _, l := range leaves {
		if err := s.AppendOwnLeafNode(ctx, groupID, l); err != nil {
			return err
		}
	}
	return nil
}

func queue(ctx context.Context, s mlsidb.Store, groupID []byte, ps []mlsidb.QueuedProposal) error {
	for _, p := range ps {
		if err := s.QueueProposal(ctx, groupID, p.Ref, p.Proposal); err != nil {
			return err
		}
	}
	return nil
}

// syncUnit brings the stored unit h (nil when there is none) to w and
// returns how many MemoryStorage entries that wrote and deleted.
func syncUnit(ctx context.Context, s mlsidb.Store, h, w *mlsidb.Entry) (written, deleted int, err error) {
	switch w.Group {
	case mlsidb.MethodGroupOwnLeafNodes:
		switch {
		case h == nil && len(w.List) == 0, h != nil && equalLists(h.List, w.List):
			return 0, 0, nil
		case h != nil && len(h.List) <= len(w.List) && equalLists(h.List, w.List[:len(h.List)]):
			return 1, 0, appendLeaves(ctx, s, w.GroupID, w.List[len(h.List):])
		}
		return 1, 0, put(ctx, s, w)
	case mlsidb.MethodGroupEpochKeyPairs:
		if (h == nil && len(w.List) == 0) || (h != nil && equalLists(h.List, w.List)) {
			return 0, 0, nil
		}
		return 1, 0, put(ctx, s, w)
	case mlsidb.MethodGroupProposalQueue:
		return syncQueue(ctx, s, h, w)
	}
	if h != nil && bytes.Equal(h.Value, w.Value) {
		return 0, 0, nil
	}
	return 1, 0, put(ctx, s, w)
}

// syncQueue brings a stored proposal queue h (nil when there is none) to
// w. The refs list is one entry, each body another.
func syncQueue(ctx context.Context, s mlsidb.Store, h, w *mlsidb.Entry) (written, deleted int, err error) {
	var have []mlsidb.QueuedProposal
	if h != nil {
		have = h.Proposals
	}
	haveBody := make(map[string][]byte, len(have))
	for _, p := range have {
		haveBody[string(p.Ref)] = p.Proposal
	}
	wanted := make(map[string]bool, len(w.Proposals))
	for _, p := range w.Proposals {
		wanted[string(p.Ref)] = true
	}
	// Count as a diff of entries would.
	if !sameRefs(have, w.Proposals) && !(h == nil && len(w.Proposals) == 0) {
		written++
	}
	for _, p := range w.Proposals {
		if b, ok := haveBody[string(p.Ref)]; !ok || !bytes.Equal(b, p.Proposal) {
			written++
		}
	}
	var kept []mlsidb.QueuedProposal
	for _, p := range have {
		if wanted[string(p.Ref)] {
			kept = append(kept, p)
		} else {
			deleted++
		}
	}
	if written == 0 && deleted == 0 {
		return 0, 0, nil
	}
	// The stored queue minus removed refs must be the start of the wanted
	// queue for an incremental update; otherwise rewrite it.
	if len(kept) > len(w.Proposals) || !sameRefs(kept, w.Proposals[:len(kept)]) {
		return written, deleted, put(ctx, s, w)
	}
	for _, p := range have {
		if !wanted[string(p.Ref)] {
			if err := s.RemoveProposal(ctx, w.GroupID, p.Ref); err != nil {
				return 0, 0, err
			}
		}
	}
	for _, p := range w.Proposals {
		if b, ok := haveBody[string(p.Ref)]; ok && bytes.Equal(b, p.Proposal) {
			continue
		}
		// A queued ref keeps its place; a new one goes to the end, after
		// the kept ones, which is where the wanted queue has it.
		if err := s.QueueProposal(ctx, w.GroupID, p.Ref, p.Proposal); err != nil {
			return 0, 0, err
		}
	}
	return written, deleted, nil
}

func sameRefs(a, b []mlsidb.QueuedProposal) bool {
	return slices.EqualFunc(a, b, func(x, y mlsidb.QueuedProposal) bool { return bytes.Equal(x.Ref, y.Ref) })
}

func equalLists(a, b [][]byte) bool { return slices.EqualFunc(a, b, bytes.Equal) }
