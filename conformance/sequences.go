package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/mlsidb/mlsidb"
)

// Group is the storage state of one MLS group as OpenMLS keeps it, with
// values sized like real state (tree 8 KiB, message secrets 4 KiB, group
// state 2 KiB, the others 32 to 512 bytes). The replay functions below
// write and read it the way OpenMLS does; benchmarks reuse them.
type Group struct {
	ID        []byte // serialized group id
	Epoch     uint64 // current epoch
	LeafIndex uint32 // own leaf index

	JoinConfig            []byte
	Tree                  []byte
	Context               []byte
	InterimTranscriptHash []byte
	ConfirmationTag       []byte
	GroupState            []byte
	MessageSecrets        []byte
	ResumptionPskStore    []byte
	OwnLeafIndex          []byte
	EpochSecrets          []byte
	ApplicationExportTree []byte

	EpochKeyPairs []byte // one serialized key pair list item per epoch
	OwnLeafNodes  [][]byte
	Proposals     []mlsidb.QueuedProposal
}

// EpochKey returns the serialized epoch key of an epoch (serde_json of a
// u64, as OpenMLS writes it).
func EpochKey(epoch uint64) []byte { return []byte(strconv.FormatUint(epoch, 10)) }

// GroupID returns an OpenMLS-style serialized group id for n.
func GroupID(n int) []byte { return []byte(`{"value":{"vec":[` + strconv.Itoa(n) + `,7,7]}}`) }

// NewGroup returns the state of a freshly created group, filled with
// pseudo-random bytes derived from seed.
func NewGroup(id []byte, seed uint64) *Group {
	r := rand.New(rand.NewPCG(seed, 0x6d6c7369))
	g := &Group{ID: append([]byte(nil), id...), LeafIndex: uint32(seed % 7)}
	g.fill(r)
	g.JoinConfig = randBytes(r, 64)
	g.OwnLeafIndex = []byte(strconv.FormatUint(uint64(g.LeafIndex), 10))
	return g
}

// fill draws the per-epoch values.
func (g *Group) fill(r *rand.Rand) {
	g.Tree = randBytes(r, 8<<10)
	g.Context = randBytes(r, 256)
	g.InterimTranscriptHash = randBytes(r, 64)
	g.ConfirmationTag = randBytes(r, 64)
	g.GroupState = randBytes(r, 2<<10)
	g.MessageSecrets = randBytes(r, 4<<10)
	g.ResumptionPskStore = randBytes(r, 512)
	g.EpochSecrets = randBytes(r, 512)
	g.ApplicationExportTree = randBytes(r, 256)
	g.EpochKeyPairs = randBytes(r, 128)
}

// Next returns the group's state after a commit: epoch + 1, new secrets,
// an empty proposal queue and no own leaf nodes.
func (g *Group) Next() *Group {
	n := *g
	n.Epoch++
	n.Proposals, n.OwnLeafNodes = nil, nil
	n.fill(rand.New(rand.NewPCG(n.Epoch, uint64(len(g.ID))+uint64(g.Tree[0]))))
	return &n
}

// KeyPairs returns the epoch key pair list the group writes for its epoch.
func (g *Group) KeyPairs() [][]byte { return [][]byte{g.EpochKeyPairs} }

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// writeGroup is the block of writes OpenMLS makes when it creates or joins
// a group.
func writeGroup(ctx context.Context, s mlsidb.StorageProvider, g *Group) error {
	return firstErr(
		s.WriteTree(ctx, g.ID, g.Tree),
		s.WriteConfirmationTag(ctx, g.ID, g.ConfirmationTag),
		s.WriteContext(ctx, g.ID, g.Context),
		s.WriteInterimTranscriptHash(ctx, g.ID, g.InterimTranscriptHash),
		s.WriteGroupEpochSecrets(ctx, g.ID, g.EpochSecrets),
		s.WriteOwnLeafIndex(ctx, g.ID, g.OwnLeafIndex),
		s.WriteMessageSecrets(ctx, g.ID, g.MessageSecrets),
		s.WriteResumptionPskStore(ctx, g.ID, g.ResumptionPskStore),
		s.WriteMlsJoinConfig(ctx, g.ID, g.JoinConfig),
		s.WriteGroupState(ctx, g.ID, g.GroupState),
		s.WriteApplicationExportTree(ctx, g.ID, g.ApplicationExportTree),
	)
}

// firstErr returns the first non-nil error. The calls have all run; OpenMLS
// stops at the first error, which matters only when a call fails.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// CreateGroup replays what OpenMLS writes when it creates a group: the
// group's records, then the epoch key pairs of epoch 0.
func CreateGroup(ctx context.Context, s mlsidb.StorageProvider, g *Group) error {
	if err := writeGroup(ctx, s, g); err != nil {
		return err
	}
	return s.WriteEncryptionEpochKeyPairs(ctx, g.ID, EpochKey(g.Epoch), g.LeafIndex, g.KeyPairs())
}

// JoinFromWelcome replays what OpenMLS does when it joins from a Welcome:
// read and delete the key package (it must exist), write the epoch key
// pairs, then the group's records.
func JoinFromWelcome(ctx context.Context, s mlsidb.StorageProvider, keyPackageRef []byte, g *Group) error {
	if _, err := s.KeyPackage(ctx, keyPackageRef); err != nil {
		return fmt.Errorf("reading the key package: %w", err)
	}
	if err := s.DeleteKeyPackage(ctx, keyPackageRef); err != nil {
		return err
	}
	if err := s.WriteEncryptionEpochKeyPairs(ctx, g.ID, EpochKey(g.Epoch), g.LeafIndex, g.KeyPairs()); err != nil {
		return err
	}
	return writeGroup(ctx, s, g)
}

// MergeCommit replays what OpenMLS does when it merges a commit that takes
// the group from old to next: 15 writes and deletes and one read.
// usedEncryptionKey is the public key of the encryption key pair the commit
// retired.
func MergeCommit(ctx context.Context, s mlsidb.StorageProvider, old, next *Group, usedEncryptionKey []byte) error {
	if err := s.WriteGroupState(ctx, next.ID, old.GroupState); err != nil {
		return err
	}
	if _, err := s.EncryptionEpochKeyPairs(ctx, old.ID, EpochKey(old.Epoch), old.LeafIndex); err != nil {
		return err
	}
	return firstErr(
		s.WriteApplicationExportTree(ctx, next.ID, next.ApplicationExportTree),
		s.WriteTree(ctx, next.ID, next.Tree),
		s.WriteConfirmationTag(ctx, next.ID, next.ConfirmationTag),
		s.WriteContext(ctx, next.ID, next.Context),
		s.WriteInterimTranscriptHash(ctx, next.ID, next.InterimTranscriptHash),
		s.WriteOwnLeafIndex(ctx, next.ID, next.OwnLeafIndex),
		s.WriteGroupEpochSecrets(ctx, next.ID, next.EpochSecrets),
		s.WriteMessageSecrets(ctx, next.ID, next.MessageSecrets),
		s.WriteEncryptionEpochKeyPairs(ctx, next.ID, EpochKey(next.Epoch), next.LeafIndex, next.KeyPairs()),
		s.DeleteEncryptionEpochKeyPairs(ctx, old.ID, EpochKey(old.Epoch), old.LeafIndex),
		s.DeleteEncryptionKeyPair(ctx, usedEncryptionKey),
		s.ClearProposalQueue(ctx, next.ID),
		s.WriteResumptionPskStore(ctx, next.ID, next.ResumptionPskStore),
		s.DeleteOwnLeafNodes(ctx, next.ID),
		s.WriteGroupState(ctx, next.ID, next.GroupState),
	)
}

// SelfUpdate replays what OpenMLS writes when a member proposes to update
// its own leaf: a new encryption key pair, the new own leaf node, and the
// queued proposal. It records the leaf node and proposal in g.
func SelfUpdate(ctx context.Context, s mlsidb.StorageProvider, g *Group, encPublicKey, encKeyPair, leafNode []byte, p mlsidb.QueuedProposal) error {
	err := firstErr(
		s.WriteEncryptionKeyPair(ctx, encPublicKey, encKeyPair),
		s.AppendOwnLeafNode(ctx, g.ID, leafNode),
		s.QueueProposal(ctx, g.ID, p.Ref, p.Proposal),
	)
	if err == nil {
		g.OwnLeafNodes = append(g.OwnLeafNodes, leafNode)
		g.Proposals = append(g.Proposals, p)
	}
	return err
}

// LoadGroup replays the 13 reads OpenMLS makes when it loads a group and
// returns what it read. A missing single value is left nil. Epoch,
// LeafIndex and EpochKeyPairs are not among those reads and are left zero;
// Diff ignores them (check epoch key pairs with EncryptionEpochKeyPairs).
func LoadGroup(ctx context.Context, s mlsidb.StorageProvider, groupID []byte) (*Group, error) {
	g := &Group{ID: groupID}
	var err error
	read := func(dst *[]byte, f func(context.Context, []byte) ([]byte, error)) {
		if err != nil {
			return
		}
		v, e := f(ctx, groupID)
		switch {
		case errors.Is(e, mlsidb.ErrNotFound):
		case e != nil:
			err = e
		default:
			*dst = v
		}
	}
	read(&g.Tree, s.Tree)
	if err == nil {
		g.Proposals, err = s.QueuedProposals(ctx, groupID)
	}
	read(&g.Context, s.GroupContext)
	read(&g.InterimTranscriptHash, s.InterimTranscriptHash)
	read(&g.ConfirmationTag, s.ConfirmationTag)
	read(&g.EpochSecrets, s.GroupEpochSecrets)
	read(&g.OwnLeafIndex, s.OwnLeafIndex)
	read(&g.MessageSecrets, s.MessageSecrets)
	read(&g.ResumptionPskStore, s.ResumptionPskStore)
	read(&g.JoinConfig, s.MlsGroupJoinConfig)
	if err == nil {
		g.OwnLeafNodes, err = s.OwnLeafNodes(ctx, groupID)
	}
	read(&g.GroupState, s.GroupState)
	read(&g.ApplicationExportTree, s.ApplicationExportTree)
	if err != nil {
		return nil, err
	}
	return g, nil
}

// DeleteGroupLikeOpenMLS replays how OpenMLS deletes a group: every
// per-group delete, plus the current epoch's key pairs.
func DeleteGroupLikeOpenMLS(ctx context.Context, s mlsidb.StorageProvider, g *Group) error {
	return firstErr(
		s.DeleteTree(ctx, g.ID),
		s.DeleteConfirmationTag(ctx, g.ID),
		s.DeleteContext(ctx, g.ID),
		s.DeleteInterimTranscriptHash(ctx, g.ID),
		s.DeleteGroupEpochSecrets(ctx, g.ID),
		s.DeleteOwnLeafIndex(ctx, g.ID),
		s.DeleteMessageSecrets(ctx, g.ID),
		s.DeleteAllResumptionPskSecrets(ctx, g.ID),
		s.DeleteGroupConfig(ctx, g.ID),
		s.DeleteGroupState(ctx, g.ID),
		s.DeleteApplicationExportTree(ctx, g.ID),
		s.DeleteOwnLeafNodes(ctx, g.ID),
		s.ClearProposalQueue(ctx, g.ID),
		s.DeleteEncryptionEpochKeyPairs(ctx, g.ID, EpochKey(g.Epoch), g.LeafIndex),
	)
}

// Diff compares what LoadGroup read (got) with the expected state and
// returns the names of the fields that differ, empty when they match. A nil
// value (missing) differs from an empty one (stored empty). It never
// prints the bytes.
func Diff(got, want *Group) []string {
	var out []string
	cmp := func(name string, a, b []byte) {
		if (a == nil) != (b == nil) || !bytes.Equal(a, b) {
			out = append(out, name)
		}
	}
	cmp("Tree", got.Tree, want.Tree)
	cmp("Context", got.Context, want.Context)
	cmp("InterimTranscriptHash", got.InterimTranscriptHash, want.InterimTranscriptHash)
	cmp("ConfirmationTag", got.ConfirmationTag, want.ConfirmationTag)
	cmp("EpochSecrets", got.EpochSecrets, want.EpochSecrets)
	cmp("OwnLeafIndex", got.OwnLeafIndex, want.OwnLeafIndex)
	cmp("MessageSecrets", got.MessageSecrets, want.MessageSecrets)
	cmp("ResumptionPskStore", got.ResumptionPskStore, want.ResumptionPskStore)
	cmp("JoinConfig", got.JoinConfig, want.JoinConfig)
	cmp("GroupState", got.GroupState, want.GroupState)
	cmp("ApplicationExportTree", got.ApplicationExportTree, want.ApplicationExportTree)
	if len(got.OwnLeafNodes) != len(want.OwnLeafNodes) {
		out = append(out, "OwnLeafNodes (length)")
	} else {
		for i := range got.OwnLeafNodes {
			if !bytes.Equal(got.OwnLeafNodes[i], want.OwnLeafNodes[i]) {
				out = append(out, "OwnLeafNodes["+strconv.Itoa(i)+"]")
			}
		}
	}
	if len(got.Proposals) != len(want.Proposals) {
		out = append(out, "Proposals (length)")
	} else {
		for i := range got.Proposals {
			if !bytes.Equal(got.Proposals[i].Ref, want.Proposals[i].Ref) || !bytes.Equal(got.Proposals[i].Proposal, want.Proposals[i].Proposal) {
				out = append(out, "Proposals["+strconv.Itoa(i)+"]")
			}
		}
	}
	return out
}

// Empty returns the state LoadGroup reads for a group that is not stored.
func Empty(groupID []byte) *Group {
	return &Group{ID: groupID, OwnLeafNodes: [][]byte{}, Proposals: []mlsidb.QueuedProposal{}}
}
