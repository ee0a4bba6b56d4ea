package mlsidb

import "context"

// QueuedProposal is one entry of a group's proposal queue.
type QueuedProposal struct {
	// Ref is the serialized proposal reference.
	Ref []byte
	// Proposal is the serialized queued proposal.
	Proposal []byte
}

// StorageProvider is the OpenMLS storage contract (StorageProvider trait,
// version 1): 56 methods in 18 method groups. Keys (group ids, public keys,
// hash references, PSK ids, epochs) and entities are passed as their
// serialized bytes.
//
// Semantics every implementation shows:
//   - Every write is an upsert, and every call is atomic on its own.
//   - A missing single value is [ErrNotFound]; a stored empty value is not
//     missing. A missing list is an empty list and no error.
//   - Deleting what is not there succeeds, and after a delete, remove or
//     clear nothing of it remains.
//   - Empty or over-long keys are refused with [ErrInvalidArgument] and
//     nothing is written.
//   - Returned slices are the caller's to keep and modify; slices passed in
//     may be reused by the caller after the call returns.
type StorageProvider interface {
	// WriteMlsJoinConfig stores the group's MlsGroupJoinConfig, replacing any earlier value.
	WriteMlsJoinConfig(ctx context.Context, groupID, config []byte) error
	// MlsGroupJoinConfig returns the group's MlsGroupJoinConfig, or [ErrNotFound].
	MlsGroupJoinConfig(ctx context.Context, groupID []byte) ([]byte, error)
	// DeleteGroupConfig deletes the group's MlsGroupJoinConfig.
	DeleteGroupConfig(ctx context.Context, groupID []byte) error

	// WriteTree stores the group's ratchet tree, replacing any earlier value.
	WriteTree(ctx context.Context, groupID, tree []byte) error
	// Tree returns the group's ratchet tree, or [ErrNotFound].
	Tree(ctx context.Context, groupID []byte) ([]byte, error)
	// DeleteTree deletes the group's ratchet tree.
	DeleteTree(ctx context.Context, groupID []byte) error

	// WriteContext stores the group's GroupContext, replacing any earlier value.
	WriteContext(ctx context.Context, groupID, groupContext []byte) error
	// GroupContext returns the group's GroupContext, or [ErrNotFound].
	GroupContext(ctx context.Context, groupID []byte) ([]byte, error)
	// DeleteContext deletes the group's GroupContext.
	DeleteContext(ctx context.Context, groupID []byte) error

	// WriteInterimTranscriptHash stores the group's interim transcript hash, replacing any earlier value.
	WriteInterimTranscriptHash(ctx context.Context, groupID, hash []byte) error
	// InterimTranscriptHash returns the group's interim transcript hash, or [ErrNotFound].
	InterimTranscriptHash(ctx context.Context, groupID []byte) ([]byte, error)
	// DeleteInterimTranscriptHash deletes the group's interim transcript hash.
	DeleteInterimTranscriptHash(ctx context.Context, groupID []byte) error

	// WriteConfirmationTag stores the group's confirmation tag, replacing any earlier value.
	WriteConfirmationTag(ctx context.Context, groupID, tag []byte) error
	// ConfirmationTag returns the group's confirmation tag, or [ErrNotFound].
	ConfirmationTag(ctx context.Context, groupID []byte) ([]byte, error)
	// DeleteConfirmationTag deletes the group's confirmation tag.
	DeleteConfirmationTag(ctx context.Context, groupID []byte) error

	// WriteGroupState stores the group's state, replacing any earlier value.
	WriteGroupState(ctx context.Context, groupID, state []byte) error
	// GroupState returns the group's state, or [ErrNotFound].
	GroupState(ctx context.Context, groupID []byte) ([]byte, error)
	// DeleteGroupState deletes the group's state.
	DeleteGroupState(ctx context.Context, groupID []byte) error

	// WriteMessageSecrets stores the group's message secrets, replacing any earlier value.
	WriteMessageSecrets(ctx context.Context, groupID, secrets []byte) error
	// MessageSecrets returns the group's message secrets, or [ErrNotFound].
	MessageSecrets(ctx context.Context, groupID []byte) ([]byte, error)
	// DeleteMessageSecrets deletes the group's message secrets.
	DeleteMessageSecrets(ctx context.Context, groupID []byte) error

	// WriteResumptionPskStore stores the group's resumption PSK store, replacing any earlier value.
	WriteResumptionPskStore(ctx context.Context, groupID, store []byte) error
	// ResumptionPskStore returns the group's resumption PSK store, or [ErrNotFound].
	ResumptionPskStore(ctx context.Context, groupID []byte) ([]byte, error)
	// DeleteAllResumptionPskSecrets deletes the group's resumption PSK store.
	DeleteAllResumptionPskSecrets(ctx context.Context, groupID []byte) error

	// WriteOwnLeafIndex stores the group's own leaf index, replacing any earlier value.
	WriteOwnLeafIndex(ctx context.Context, groupID, index []byte) error
	// OwnLeafIndex returns the group's own leaf index, or [ErrNotFound].
	OwnLeafIndex(ctx context.Context, groupID []byte) ([]byte, error)
	// DeleteOwnLeafIndex deletes the group's own leaf index.
	DeleteOwnLeafIndex(ctx context.Context, groupID []byte) error

	// WriteGroupEpochSecrets stores the group's epoch secrets, replacing any earlier value.
	WriteGroupEpochSecrets(ctx context.Context, groupID, secrets []byte) error
	// GroupEpochSecrets returns the group's epoch secrets, or [ErrNotFound].
	GroupEpochSecrets(ctx context.Context, groupID []byte) ([]byte, error)
	// DeleteGroupEpochSecrets deletes the group's epoch secrets.
	DeleteGroupEpochSecrets(ctx context.Context, groupID []byte) error

	// WriteApplicationExportTree stores the group's application export tree, replacing any earlier value.
	WriteApplicationExportTree(ctx context.Context, groupID, tree []byte) error
	// ApplicationExportTree returns the group's application export tree, or [ErrNotFound].
	ApplicationExportTree(ctx context.Context, groupID []byte) ([]byte, error)
	// DeleteApplicationExportTree deletes the group's application export tree.
	DeleteApplicationExportTree(ctx context.Context, groupID []byte) error

	// AppendOwnLeafNode appends leafNode to the group's list of own leaf
	// nodes. Order of appends is kept; duplicates are kept.
	AppendOwnLeafNode(ctx context.Context, groupID, leafNode []byte) error
	// OwnLeafNodes returns the group's own leaf nodes in the order they were
	// appended; an empty list when there are none.
	OwnLeafNodes(ctx context.Context, groupID []byte) ([][]byte, error)
	// DeleteOwnLeafNodes deletes the group's list of own leaf nodes.
	DeleteOwnLeafNodes(ctx context.Context, groupID []byte) error

	// QueueProposal adds a proposal to the end of the group's proposal
	// queue. Queuing a ref that is already queued replaces its proposal and
	// keeps its place. The proposal and its place are written together.
	QueueProposal(ctx context.Context, groupID, proposalRef, proposal []byte) error
	// QueuedProposalRefs returns the refs of the group's queued proposals in
	// queue order.
	QueuedProposalRefs(ctx context.Context, groupID []byte) ([][]byte, error)
	// QueuedProposals returns the group's queued proposals with their refs,
	// in queue order.
	QueuedProposals(ctx context.Context, groupID []byte) ([]QueuedProposal, error)
	// RemoveProposal removes one proposal, body and place, from the group's
	// queue.
	RemoveProposal(ctx context.Context, groupID, proposalRef []byte) error
	// ClearProposalQueue removes every queued proposal of the group, bodies
	// included.
	ClearProposalQueue(ctx context.Context, groupID []byte) error

	// WriteEncryptionEpochKeyPairs stores the HPKE key pairs of the group
	// for one epoch and leaf index, replacing the whole earlier list. The
	// epoch is the serialized epoch key. Writing an empty list deletes it.
	WriteEncryptionEpochKeyPairs(ctx context.Context, groupID, epoch []byte, leafIndex uint32, keyPairs [][]byte) error
	// EncryptionEpochKeyPairs returns the key pairs of the group for one
	// epoch and leaf index, in the order written; an empty list when none.
	EncryptionEpochKeyPairs(ctx context.Context, groupID, epoch []byte, leafIndex uint32) ([][]byte, error)
	// DeleteEncryptionEpochKeyPairs deletes the key pairs of the group for
	// one epoch and leaf index.
	DeleteEncryptionEpochKeyPairs(ctx context.Context, groupID, epoch []byte, leafIndex uint32) error

	// WriteSignatureKeyPair stores the signature key pair of a public key, replacing any earlier value.
	WriteSignatureKeyPair(ctx context.Context, publicKey, signatureKeyPair []byte) error
	// SignatureKeyPair returns the signature key pair of a public key, or [ErrNotFound].
	SignatureKeyPair(ctx context.Context, publicKey []byte) ([]byte, error)
	// DeleteSignatureKeyPair deletes the signature key pair of a public key.
	DeleteSignatureKeyPair(ctx context.Context, publicKey []byte) error

	// WriteEncryptionKeyPair stores the HPKE encryption key pair of a public key, replacing any earlier value.
	WriteEncryptionKeyPair(ctx context.Context, publicKey, keyPair []byte) error
	// EncryptionKeyPair returns the HPKE encryption key pair of a public key, or [ErrNotFound].
	EncryptionKeyPair(ctx context.Context, publicKey []byte) ([]byte, error)
	// DeleteEncryptionKeyPair deletes the HPKE encryption key pair of a public key.
	DeleteEncryptionKeyPair(ctx context.Context, publicKey []byte) error

	// WriteKeyPackage stores the key package (with its private parts) of a hash reference, replacing any earlier value.
	WriteKeyPackage(ctx context.Context, hashRef, keyPackage []byte) error
	// KeyPackage returns the key package (with its private parts) of a hash reference, or [ErrNotFound].
	KeyPackage(ctx context.Context, hashRef []byte) ([]byte, error)
	// DeleteKeyPackage deletes the key package (with its private parts) of a hash reference.
	DeleteKeyPackage(ctx context.Context, hashRef []byte) error

	// WritePsk stores the PSK bundle of a PSK id, replacing any earlier value.
	WritePsk(ctx context.Context, pskID, pskBundle []byte) error
	// Psk returns the PSK bundle of a PSK id, or [ErrNotFound].
	Psk(ctx context.Context, pskID []byte) ([]byte, error)
	// DeletePsk deletes the PSK bundle of a PSK id.
	DeletePsk(ctx context.Context, pskID []byte) error
}

// Store is a [StorageProvider] with the operations mlsidb adds to the
// OpenMLS contract. Both [Provider] and the view handed to an [Store.Update]
// function implement it, so code written against StorageProvider runs inside
// Update unchanged.
type Store interface {
	StorageProvider
	// DeleteGroup removes every group-scoped record of the group, in every
	// method group, in one atomic step.
	DeleteGroup(ctx context.Context, groupID []byte) error
	// LoadGroup returns everything OpenMLS reads to load a group (the 13
	// reads of MlsGroup::load: the 11 group values, the own leaf nodes and
	// the proposal queue), read in one batch from one snapshot: the fast
	// way to load a group, the same as making those 13 calls.
	LoadGroup(ctx context.Context, groupID []byte) (*LoadedGroup, error)
	// Update runs fn as one transaction. fn gets a view whose reads see its
	// own writes; everything it wrote is committed together when it returns
	// nil, and nothing is committed when it returns an error or panics (the
	// panic is re-raised after the rollback). Update called on the view
	// nests: the inner function's writes join the outer transaction when
	// it succeeds and are dropped when it fails.
	//
	// fn must use the view it is given, not the outer store: writes through
	// the outer store wait until the transaction ends.
	Update(ctx context.Context, fn func(tx Store) error) error
}
