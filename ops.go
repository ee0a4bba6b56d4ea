package mlsidb

import (
	"bytes"
	"context"
	"encoding/binary"
	"sort"
)

// begin checks the context and the key of a call.
func begin(ctx context.Context, op string, g MethodGroup, what string, key []byte) error {
	if err := ctx.Err(); err != nil {
		return &Error{Op: op, Group: g, Err: err}
	}
	if err := checkKey(what, key); err != nil {
		return &Error{Op: op, Group: g, Err: err}
	}
	return nil
}

func (p *Provider) putGroupValue(ctx context.Context, op string, g MethodGroup, groupID, value []byte) error {
	if err := begin(ctx, op, g, "group id", groupID); err != nil {
		return err
	}
	return p.write(ctx, op, g, []Op{{Kind: OpPut, Store: g.store(), Key: GroupPrefix(p.version, groupID), Value: p.encode(value)}})
}

func (p *Provider) getGroupValue(ctx context.Context, op string, g MethodGroup, groupID []byte) ([]byte, error) {
	if err := begin(ctx, op, g, "group id", groupID); err != nil {
		return nil, err
	}
	return p.read(ctx, op, g, GroupPrefix(p.version, groupID))
}

func (p *Provider) deleteGroupValue(ctx context.Context, op string, g MethodGroup, groupID []byte) error {
	if err := begin(ctx, op, g, "group id", groupID); err != nil {
		return err
	}
	return p.write(ctx, op, g, []Op{{Kind: OpDelete, Store: g.store(), Key: GroupPrefix(p.version, groupID)}})
}

func (p *Provider) putGlobal(ctx context.Context, op string, g MethodGroup, what string, key, value []byte) error {
	if err := begin(ctx, op, g, what, key); err != nil {
		return err
	}
	return p.write(ctx, op, g, []Op{{Kind: OpPut, Store: g.store(), Key: p.globalKey(key), Value: p.encode(value)}})
}

func (p *Provider) getGlobal(ctx context.Context, op string, g MethodGroup, what string, key []byte) ([]byte, error) {
	if err := begin(ctx, op, g, what, key); err != nil {
		return nil, err
	}
	return p.read(ctx, op, g, p.globalKey(key))
}

func (p *Provider) deleteGlobal(ctx context.Context, op string, g MethodGroup, what string, key []byte) error {
	if err := begin(ctx, op, g, what, key); err != nil {
		return err
	}
	return p.write(ctx, op, g, []Op{{Kind: OpDelete, Store: g.store(), Key: p.globalKey(key)}})
}

// read returns the payload of one stored value.
func (p *Provider) read(ctx context.Context, op string, g MethodGroup, key []byte) ([]byte, error) {
	v, err := p.kv.get(ctx, g.store(), key)
	if err != nil {
		return nil, wrap(op, g, err)
	}
	payload, err := p.decode(v)
	if err != nil {
		return nil, &Error{Op: op, Group: g, Err: err}
	}
	return payload, nil
}

// scanGroup returns every record of the group in g, in key order.
func (p *Provider) scanGroup(ctx context.Context, op string, g MethodGroup, prefix []byte) ([]Record, error) {
	recs, err := p.kv.scan(ctx, g.store(), PrefixRange(prefix), false, 0)
	if err != nil {
		return nil, wrap(op, g, err)
	}
	return recs, nil
}

// AppendOwnLeafNode implements [StorageProvider].
func (p *Provider) AppendOwnLeafNode(ctx context.Context, groupID, leafNode []byte) error {
	const op, g = "AppendOwnLeafNode", MethodGroupOwnLeafNodes
	if err := begin(ctx, op, g, "group id", groupID); err != nil {
		return err
	}
	unlock, err := p.kv.lock(ctx)
	if err != nil {
		return wrap(op, g, err)
	}
	defer unlock()
	prefix := GroupPrefix(p.version, groupID)
	last, err := p.kv.scan(ctx, g.store(), PrefixRange(prefix), true, 1)
	if err != nil {
		return wrap(op, g, err)
	}
	var seq uint64
	if len(last) == 1 {
		k := last[0].Key
		if len(k) != len(prefix)+8 {
			return &Error{Op: op, Group: g, Err: errCorrupt}
		}
		seq = binary.BigEndian.Uint64(k[len(prefix):]) + 1
	}
	return p.apply(ctx, op, g, []Op{{Kind: OpPut, Store: g.store(), Key: leafNodeKey(prefix, seq), Value: p.encode(leafNode)}})
}

// OwnLeafNodes implements [StorageProvider].
func (p *Provider) OwnLeafNodes(ctx context.Context, groupID []byte) ([][]byte, error) {
	const op, g = "OwnLeafNodes", MethodGroupOwnLeafNodes
	if err := begin(ctx, op, g, "group id", groupID); err != nil {
		return nil, err
	}
	recs, err := p.scanGroup(ctx, op, g, GroupPrefix(p.version, groupID))
	if err != nil {
		return nil, err
	}
	return p.decodeLeafNodes(op, recs)
}

// decodeLeafNodes returns the leaf nodes of a group's own leaf node records.
func (p *Provider) decodeLeafNodes(op string, recs []Record) ([][]byte, error) {
	out := make([][]byte, 0, len(recs))
	for _, r := range recs {
		v, err := p.decode(r.Value)
		if err != nil {
			return nil, &Error{Op: op, Group: MethodGroupOwnLeafNodes, Err: err}
		}
		out = append(out, v)
	}
	return out, nil
}

// DeleteOwnLeafNodes implements [StorageProvider].
func (p *Provider) DeleteOwnLeafNodes(ctx context.Context, groupID []byte) error {
	return p.deleteGroupRange(ctx, "DeleteOwnLeafNodes", MethodGroupOwnLeafNodes, groupID)
}

func (p *Provider) deleteGroupRange(ctx context.Context, op string, g MethodGroup, groupID []byte) error {
	if err := begin(ctx, op, g, "group id", groupID); err != nil {
		return err
	}
	return p.write(ctx, op, g, []Op{{Kind: OpDeleteRange, Store: g.store(), Range: PrefixRange(GroupPrefix(p.version, groupID))}})
}

// queued is a decoded proposal queue record.
type queued struct {
	seq uint64
	QueuedProposal
}

// queue returns the group's proposal queue in queue order.
func (p *Provider) queue(ctx context.Context, op string, prefix []byte) ([]queued, error) {
	const g = MethodGroupProposalQueue
	recs, err := p.scanGroup(ctx, op, g, prefix)
	if err != nil {
		return nil, err
	}
	return p.decodeQueue(op, prefix, recs)
}

// decodeQueue returns the proposal queue records of the group with key
// prefix prefix, in queue order.
func (p *Provider) decodeQueue(op string, prefix []byte, recs []Record) ([]queued, error) {
	const g = MethodGroupProposalQueue
	out := make([]queued, 0, len(recs))
	for _, r := range recs {
		v, err := p.decode(r.Value)
		if err == nil && len(v) < 8 {
			err = errCorrupt
		}
		if err != nil {
			return nil, &Error{Op: op, Group: g, Err: err}
		}
		out = append(out, queued{seq: binary.BigEndian.Uint64(v), QueuedProposal: QueuedProposal{Ref: r.Key[len(prefix):], Proposal: v[8:]}})
	}
	sort.Sort(bySeq(out))
	return out, nil
}

// bySeq sorts queue records by queue position. (sort.Sort, not
// slices.SortFunc: each generic sort is kilobytes of wasm of its own.)
type bySeq []queued

func (s bySeq) Len() int           { return len(s) }
func (s bySeq) Less(i, j int) bool { return s[i].seq < s[j].seq }
func (s bySeq) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }

// QueueProposal implements [StorageProvider].
func (p *Provider) QueueProposal(ctx context.Context, groupID, proposalRef, proposal []byte) error {
	const op, g = "QueueProposal", MethodGroupProposalQueue
	if err := begin(ctx, op, g, "group id", groupID); err != nil {
		return err
	}
	if err := begin(ctx, op, g, "proposal ref", proposalRef); err != nil {
		return err
	}
	unlock, err := p.kv.lock(ctx)
	if err != nil {
		return wrap(op, g, err)
	}
	defer unlock()
	prefix := GroupPrefix(p.version, groupID)
	q, err := p.queue(ctx, op, prefix)
	if err != nil {
		return err
	}
	var seq uint64
	if n := len(q); n > 0 {
		seq = q[n-1].seq + 1
	}
	for _, e := range q {
		if bytes.Equal(e.Ref, proposalRef) {
			seq = e.seq
			break
		}
	}
	value := p.encode(binary.BigEndian.AppendUint64(nil, seq), proposal)
	return p.apply(ctx, op, g, []Op{{Kind: OpPut, Store: g.store(), Key: proposalKey(prefix, proposalRef), Value: value}})
}

// QueuedProposalRefs implements [StorageProvider].
func (p *Provider) QueuedProposalRefs(ctx context.Context, groupID []byte) ([][]byte, error) {
	const op, g = "QueuedProposalRefs", MethodGroupProposalQueue
	if err := begin(ctx, op, g, "group id", groupID); err != nil {
		return nil, err
	}
	q, err := p.queue(ctx, op, GroupPrefix(p.version, groupID))
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(q))
	for i, e := range q {
		out[i] = e.Ref
	}
	return out, nil
}

// QueuedProposals implements [StorageProvider].
func (p *Provider) QueuedProposals(ctx context.Context, groupID []byte) ([]QueuedProposal, error) {
	const op, g = "QueuedProposals", MethodGroupProposalQueue
	if err := begin(ctx, op, g, "group id", groupID); err != nil {
		return nil, err
	}
	q, err := p.queue(ctx, op, GroupPrefix(p.version, groupID))
	if err != nil {
		return nil, err
	}
	out := make([]QueuedProposal, len(q))
	for i, e := range q {
		out[i] = e.QueuedProposal
	}
	return out, nil
}

// RemoveProposal implements [StorageProvider].
func (p *Provider) RemoveProposal(ctx context.Context, groupID, proposalRef []byte) error {
	const op, g = "RemoveProposal", MethodGroupProposalQueue
	if err := begin(ctx, op, g, "group id", groupID); err != nil {
		return err
	}
	if err := begin(ctx, op, g, "proposal ref", proposalRef); err != nil {
		return err
	}
	return p.write(ctx, op, g, []Op{{Kind: OpDelete, Store: g.store(), Key: proposalKey(GroupPrefix(p.version, groupID), proposalRef)}})
}

// ClearProposalQueue implements [StorageProvider].
func (p *Provider) ClearProposalQueue(ctx context.Context, groupID []byte) error {
	return p.deleteGroupRange(ctx, "ClearProposalQueue", MethodGroupProposalQueue, groupID)
}

// epochKeyFor validates the parts of an epoch key pairs key and builds it.
func (p *Provider) epochKeyFor(ctx context.Context, op string, groupID, epoch []byte, leafIndex uint32) ([]byte, error) {
	const g = MethodGroupEpochKeyPairs
	if err := begin(ctx, op, g, "group id", groupID); err != nil {
		return nil, err
	}
	if err := begin(ctx, op, g, "epoch", epoch); err != nil {
		return nil, err
	}
	return epochKey(GroupPrefix(p.version, groupID), epoch, leafIndex), nil
}

// WriteEncryptionEpochKeyPairs implements [StorageProvider].
func (p *Provider) WriteEncryptionEpochKeyPairs(ctx context.Context, groupID, epoch []byte, leafIndex uint32, keyPairs [][]byte) error {
	const op, g = "WriteEncryptionEpochKeyPairs", MethodGroupEpochKeyPairs
	key, err := p.epochKeyFor(ctx, op, groupID, epoch, leafIndex)
	if err != nil {
		return err
	}
	if len(keyPairs) == 0 {
		return p.write(ctx, op, g, []Op{{Kind: OpDelete, Store: g.store(), Key: key}})
	}
	return p.write(ctx, op, g, []Op{{Kind: OpPut, Store: g.store(), Key: key, Value: p.encode(encodeList(keyPairs))}})
}

// EncryptionEpochKeyPairs implements [StorageProvider].
func (p *Provider) EncryptionEpochKeyPairs(ctx context.Context, groupID, epoch []byte, leafIndex uint32) ([][]byte, error) {
	const op, g = "EncryptionEpochKeyPairs", MethodGroupEpochKeyPairs
	key, err := p.epochKeyFor(ctx, op, groupID, epoch, leafIndex)
	if err != nil {
		return nil, err
	}
	raw, err := p.read(ctx, op, g, key)
	switch {
	case IsNotFound(err):
		return [][]byte{}, nil
	case err != nil:
		return nil, err
	}
	list, err := decodeList(raw)
	if err != nil {
		return nil, &Error{Op: op, Group: g, Err: err}
	}
	return list, nil
}

// DeleteEncryptionEpochKeyPairs implements [StorageProvider].
func (p *Provider) DeleteEncryptionEpochKeyPairs(ctx context.Context, groupID, epoch []byte, leafIndex uint32) error {
	const op, g = "DeleteEncryptionEpochKeyPairs", MethodGroupEpochKeyPairs
	key, err := p.epochKeyFor(ctx, op, groupID, epoch, leafIndex)
	if err != nil {
		return err
	}
	return p.write(ctx, op, g, []Op{{Kind: OpDelete, Store: g.store(), Key: key}})
}
