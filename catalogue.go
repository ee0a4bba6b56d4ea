package mlsidb

// CurrentVersion is the OpenMLS storage provider version this code
// implements. Data is tagged with the version that wrote it.
const CurrentVersion uint16 = 1

// MethodGroup names one of the 18 method groups of the OpenMLS storage
// contract. Each method group is stored apart from the others (one object
// store in IndexedDB).
type MethodGroup uint8

// The method groups of the contract, in the order of the OpenMLS trait.
const (
	// NoMethodGroup is used by errors of operations that span method groups.
	NoMethodGroup MethodGroup = iota
	// MethodGroupJoinConfig holds the MlsGroupJoinConfig of a group.
	MethodGroupJoinConfig
	// MethodGroupTree holds the ratchet tree of a group.
	MethodGroupTree
	// MethodGroupContext holds the group context of a group.
	MethodGroupContext
	// MethodGroupInterimTranscriptHash holds the interim transcript hash of a group.
	MethodGroupInterimTranscriptHash
	// MethodGroupConfirmationTag holds the confirmation tag of a group.
	MethodGroupConfirmationTag
	// MethodGroupGroupState holds the state (operational, inactive, ...) of a group.
	MethodGroupGroupState
	// MethodGroupMessageSecrets holds the message secrets of a group.
	MethodGroupMessageSecrets
	// MethodGroupResumptionPskStore holds the resumption PSK store of a group.
	MethodGroupResumptionPskStore
	// MethodGroupOwnLeafIndex holds the own leaf index of a group.
	MethodGroupOwnLeafIndex
	// MethodGroupEpochSecrets holds the group epoch secrets of a group.
	MethodGroupEpochSecrets
	// MethodGroupApplicationExportTree holds the application export tree of a group.
	MethodGroupApplicationExportTree
	// MethodGroupOwnLeafNodes holds the list of own leaf nodes of a group.
	MethodGroupOwnLeafNodes
	// MethodGroupProposalQueue holds the queue of pending proposals of a group.
	MethodGroupProposalQueue
	// MethodGroupEpochKeyPairs holds the encryption key pairs of a group per epoch and leaf index.
	MethodGroupEpochKeyPairs
	// MethodGroupSignatureKeyPair holds signature key pairs by public key.
	MethodGroupSignatureKeyPair
	// MethodGroupEncryptionKeyPair holds HPKE encryption key pairs by public key.
	MethodGroupEncryptionKeyPair
	// MethodGroupKeyPackage holds key packages (with their private parts) by hash reference.
	MethodGroupKeyPackage
	// MethodGroupPsk holds PSK bundles by PSK id.
	MethodGroupPsk
	methodGroupEnd
)

// Scope says how a method group keys its records.
type Scope uint8

const (
	// ScopeGroupValue method groups hold one value per group id.
	ScopeGroupValue Scope = iota + 1
	// ScopeGroupList method groups hold lists keyed by group id (and more).
	ScopeGroupList
	// ScopeGlobal method groups are not group-scoped: they are keyed by a
	// public key, a hash reference or a PSK id.
	ScopeGlobal
)

// Method is one method of the contract.
type Method struct {
	// Go is the method's name in [StorageProvider].
	Go string
	// OpenMLS is the method's name in the OpenMLS StorageProvider trait.
	OpenMLS string
}

// MethodGroupInfo describes one method group.
type MethodGroupInfo struct {
	// Group is the method group.
	Group MethodGroup
	// Store is the name of the record store (IndexedDB object store) that
	// holds the method group's records. It is also the method group's name
	// in errors.
	Store string
	// Scope says how the method group keys its records.
	Scope Scope
	// Methods are the method group's contract methods.
	Methods []Method
}

// MetaStore is the name of the record store that holds the store's own
// metadata (the highest provider version that opened it). It belongs to no
// method group.
const MetaStore = "meta"

func m(goName, openmls string) Method { return Method{Go: goName, OpenMLS: openmls} }

func valueGroup(g MethodGroup, store string, methods ...Method) MethodGroupInfo {
	return MethodGroupInfo{Group: g, Store: store, Scope: ScopeGroupValue, Methods: methods}
}

var catalogue = [...]MethodGroupInfo{
	valueGroup(MethodGroupJoinConfig, "mls_group_join_config",
		m("WriteMlsJoinConfig", "write_mls_join_config"), m("MlsGroupJoinConfig", "mls_group_join_config"), m("DeleteGroupConfig", "delete_group_config")),
	valueGroup(MethodGroupTree, "tree",
		m("WriteTree", "write_tree"), m("Tree", "tree"), m("DeleteTree", "delete_tree")),
	valueGroup(MethodGroupContext, "group_context",
		m("WriteContext", "write_context"), m("GroupContext", "group_context"), m("DeleteContext", "delete_context")),
	valueGroup(MethodGroupInterimTranscriptHash, "interim_transcript_hash",
		m("WriteInterimTranscriptHash", "write_interim_transcript_hash"), m("InterimTranscriptHash", "interim_transcript_hash"), m("DeleteInterimTranscriptHash", "delete_interim_transcript_hash")),
	valueGroup(MethodGroupConfirmationTag, "confirmation_tag",
		m("WriteConfirmationTag", "write_confirmation_tag"), m("ConfirmationTag", "confirmation_tag"), m("DeleteConfirmationTag", "delete_confirmation_tag")),
	valueGroup(MethodGroupGroupState, "group_state",
		m("WriteGroupState", "write_group_state"), m("GroupState", "group_state"), m("DeleteGroupState", "delete_group_state")),
	valueGroup(MethodGroupMessageSecrets, "message_secrets",
		m("WriteMessageSecrets", "write_message_secrets"), m("MessageSecrets", "message_secrets"), m("DeleteMessageSecrets", "delete_message_secrets")),
	valueGroup(MethodGroupResumptionPskStore, "resumption_psk_store",
		m("WriteResumptionPskStore", "write_resumption_psk_store"), m("ResumptionPskStore", "resumption_psk_store"), m("DeleteAllResumptionPskSecrets", "delete_all_resumption_psk_secrets")),
	valueGroup(MethodGroupOwnLeafIndex, "own_leaf_index",
		m("WriteOwnLeafIndex", "write_own_leaf_index"), m("OwnLeafIndex", "own_leaf_index"), m("DeleteOwnLeafIndex", "delete_own_leaf_index")),
	valueGroup(MethodGroupEpochSecrets, "group_epoch_secrets",
		m("WriteGroupEpochSecrets", "write_group_epoch_secrets"), m("GroupEpochSecrets", "group_epoch_secrets"), m("DeleteGroupEpochSecrets", "delete_group_epoch_secrets")),
	valueGroup(MethodGroupApplicationExportTree, "application_export_tree",
		m("WriteApplicationExportTree", "write_application_export_tree"), m("ApplicationExportTree", "application_export_tree"), m("DeleteApplicationExportTree", "delete_application_export_tree")),
	{Group: MethodGroupOwnLeafNodes, Store: "own_leaf_nodes", Scope: ScopeGroupList, Methods: []Method{
		m("AppendOwnLeafNode", "append_own_leaf_node"), m("OwnLeafNodes", "own_leaf_nodes"), m("DeleteOwnLeafNodes", "delete_own_leaf_nodes")}},
	{Group: MethodGroupProposalQueue, Store: "proposal_queue", Scope: ScopeGroupList, Methods: []Method{
		m("QueueProposal", "queue_proposal"), m("QueuedProposalRefs", "queued_proposal_refs"), m("QueuedProposals", "queued_proposals"),
		m("RemoveProposal", "remove_proposal"), m("ClearProposalQueue", "clear_proposal_queue")}},
	{Group: MethodGroupEpochKeyPairs, Store: "encryption_epoch_key_pairs", Scope: ScopeGroupList, Methods: []Method{
		m("WriteEncryptionEpochKeyPairs", "write_encryption_epoch_key_pairs"), m("EncryptionEpochKeyPairs", "encryption_epoch_key_pairs"),
		m("DeleteEncryptionEpochKeyPairs", "delete_encryption_epoch_key_pairs")}},
	{Group: MethodGroupSignatureKeyPair, Store: "signature_key_pair", Scope: ScopeGlobal, Methods: []Method{
		m("WriteSignatureKeyPair", "write_signature_key_pair"), m("SignatureKeyPair", "signature_key_pair"), m("DeleteSignatureKeyPair", "delete_signature_key_pair")}},
	{Group: MethodGroupEncryptionKeyPair, Store: "encryption_key_pair", Scope: ScopeGlobal, Methods: []Method{
		m("WriteEncryptionKeyPair", "write_encryption_key_pair"), m("EncryptionKeyPair", "encryption_key_pair"), m("DeleteEncryptionKeyPair", "delete_encryption_key_pair")}},
	{Group: MethodGroupKeyPackage, Store: "key_package", Scope: ScopeGlobal, Methods: []Method{
		m("WriteKeyPackage", "write_key_package"), m("KeyPackage", "key_package"), m("DeleteKeyPackage", "delete_key_package")}},
	{Group: MethodGroupPsk, Store: "psk", Scope: ScopeGlobal, Methods: []Method{
		m("WritePsk", "write_psk"), m("Psk", "psk"), m("DeletePsk", "delete_psk")}},
}

// MethodGroups returns the catalogue of the 18 method groups, in the order
// of the OpenMLS trait. The result is a fresh copy.
func MethodGroups() []MethodGroupInfo {
	out := make([]MethodGroupInfo, len(catalogue))
	for i, g := range catalogue {
		g.Methods = append([]Method(nil), g.Methods...)
		out[i] = g
	}
	return out
}

// StoreNames returns the names of every record store a backend must hold:
// one per method group, then [MetaStore].
func StoreNames() []string {
	out := make([]string, 0, len(catalogue)+1)
	for _, g := range catalogue {
		out = append(out, g.Store)
	}
	return append(out, MetaStore)
}

// Info returns the catalogue entry of g; ok is false for NoMethodGroup and
// unknown values.
func (g MethodGroup) Info() (info MethodGroupInfo, ok bool) {
	if g == NoMethodGroup || g >= methodGroupEnd {
		return MethodGroupInfo{}, false
	}
	return catalogue[g-1], true
}

// String returns the method group's store name, for example "tree".
func (g MethodGroup) String() string {
	if g == NoMethodGroup {
		return "none"
	}
	if g >= methodGroupEnd {
		return "unknown"
	}
	return catalogue[g-1].Store
}

func (g MethodGroup) store() string { return catalogue[g-1].Store }

// storeGroups maps record store names to their method groups.
var storeGroups = func() map[string]MethodGroup {
	m := make(map[string]MethodGroup, len(catalogue))
	for _, g := range catalogue {
		m[g.Store] = g.Group
	}
	return m
}()

// MethodGroupOf returns the method group whose records the record store
// called store holds; ok is false for [MetaStore] and unknown names.
func MethodGroupOf(store string) (g MethodGroup, ok bool) {
	g, ok = storeGroups[store]
	return g, ok
}
