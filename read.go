package mlsidb

import (
	"context"
	"errors"
)

// Read is one read of a batch: a Get of Key, or (Scan set) a Scan of Range.
type Read struct {
	// Store is the record store to read.
	Store string
	// Key is the key a Get reads.
	Key []byte
	// Scan makes the read a Scan of Range (with Reverse and Limit as in
	// [Backend.Scan]) instead of a Get.
	Scan    bool
	Range   KeyRange
	Reverse bool
	Limit   int
}

// ReadResult is the result of one [Read].
type ReadResult struct {
	// Found reports whether a Get found its key; Value is then its value.
	Found bool
	Value []byte
	// Records are the records a Scan found (never nil for a Scan).
	Records []Record
}

// BatchReader is an optional interface of a [Backend]: ReadBatch performs
// several reads in one snapshot (for IndexedDB, one readonly transaction
// whose requests are issued back to back), which is much cheaper than as
// many Gets and Scans. [Provider.LoadGroup] uses it when the backend has it.
type BatchReader interface {
	// ReadBatch returns one result per read, in order. A failure of any
	// read fails the batch.
	ReadBatch(ctx context.Context, reads []Read) ([]ReadResult, error)
}

// readBackend performs reads with ReadBatch when b has it, and with Get
// and Scan otherwise.
func readBackend(ctx context.Context, b Backend, reads []Read) ([]ReadResult, error) {
	if br, ok := b.(BatchReader); ok {
		return br.ReadBatch(ctx, reads)
	}
	out := make([]ReadResult, len(reads))
	for i, r := range reads {
		if r.Scan {
			recs, err := b.Scan(ctx, r.Store, r.Range, r.Reverse, r.Limit)
			if err != nil {
				return nil, err
			}
			out[i].Records = recs
			continue
		}
		v, err := b.Get(ctx, r.Store, r.Key)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return nil, err
		default:
			out[i] = ReadResult{Found: true, Value: v}
		}
	}
	return out, nil
}

// LoadedGroup is everything OpenMLS reads to load a group (MlsGroup::load),
// as [Store.LoadGroup] returns it. A missing single value is nil (a stored
// empty value is empty, not nil); a missing list is empty.
type LoadedGroup struct {
	JoinConfig            []byte // MlsGroupJoinConfig
	Tree                  []byte // Tree
	Context               []byte // GroupContext
	InterimTranscriptHash []byte // InterimTranscriptHash
	ConfirmationTag       []byte // ConfirmationTag
	GroupState            []byte // GroupState
	MessageSecrets        []byte // MessageSecrets
	ResumptionPskStore    []byte // ResumptionPskStore
	OwnLeafIndex          []byte // OwnLeafIndex
	EpochSecrets          []byte // GroupEpochSecrets
	ApplicationExportTree []byte // ApplicationExportTree
	OwnLeafNodes          [][]byte
	QueuedProposals       []QueuedProposal
}

// loadGroupValues are the value method groups LoadGroup reads, with where
// each result goes.
var loadGroupValues = [...]struct {
	g   MethodGroup
	dst func(*LoadedGroup) *[]byte
}{
	{MethodGroupTree, func(l *LoadedGroup) *[]byte { return &l.Tree }},
	{MethodGroupContext, func(l *LoadedGroup) *[]byte { return &l.Context }},
	{MethodGroupInterimTranscriptHash, func(l *LoadedGroup) *[]byte { return &l.InterimTranscriptHash }},
	{MethodGroupConfirmationTag, func(l *LoadedGroup) *[]byte { return &l.ConfirmationTag }},
	{MethodGroupEpochSecrets, func(l *LoadedGroup) *[]byte { return &l.EpochSecrets }},
	{MethodGroupOwnLeafIndex, func(l *LoadedGroup) *[]byte { return &l.OwnLeafIndex }},
	{MethodGroupMessageSecrets, func(l *LoadedGroup) *[]byte { return &l.MessageSecrets }},
	{MethodGroupResumptionPskStore, func(l *LoadedGroup) *[]byte { return &l.ResumptionPskStore }},
	{MethodGroupJoinConfig, func(l *LoadedGroup) *[]byte { return &l.JoinConfig }},
	{MethodGroupGroupState, func(l *LoadedGroup) *[]byte { return &l.GroupState }},
	{MethodGroupApplicationExportTree, func(l *LoadedGroup) *[]byte { return &l.ApplicationExportTree }},
}

// LoadGroup implements [Store]: the 13 reads of loading a group in one
// batch (one snapshot; one IndexedDB transaction).
func (p *Provider) LoadGroup(ctx context.Context, groupID []byte) (*LoadedGroup, error) {
	const op = "LoadGroup"
	if err := begin(ctx, op, NoMethodGroup, "group id", groupID); err != nil {
		return nil, err
	}
	prefix := GroupPrefix(p.version, groupID)
	n := len(loadGroupValues)
	reads := make([]Read, n+2)
	for i, v := range loadGroupValues {
		reads[i] = Read{Store: v.g.store(), Key: prefix}
	}
	r := PrefixRange(prefix)
	reads[n] = Read{Store: MethodGroupOwnLeafNodes.store(), Scan: true, Range: r}
	reads[n+1] = Read{Store: MethodGroupProposalQueue.store(), Scan: true, Range: r}
	res, err := p.kv.read(ctx, reads)
	if err != nil {
		return nil, wrap(op, NoMethodGroup, err)
	}
	out := &LoadedGroup{}
	for i, v := range loadGroupValues {
		if !res[i].Found {
			continue
		}
		payload, err := p.decode(res[i].Value)
		if err != nil {
			return nil, &Error{Op: op, Group: v.g, Err: err}
		}
		*v.dst(out) = payload
	}
	if out.OwnLeafNodes, err = p.decodeLeafNodes(op, res[n].Records); err != nil {
		return nil, err
	}
	q, err := p.decodeQueue(op, prefix, res[n+1].Records)
	if err != nil {
		return nil, err
	}
	out.QueuedProposals = make([]QueuedProposal, len(q))
	for i, e := range q {
		out.QueuedProposals[i] = e.QueuedProposal
	}
	return out, nil
}
