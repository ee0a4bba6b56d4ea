package openmlsmem

import (
	"context"
	"strconv"

	"github.com/mlsidb/mlsidb"
)

// Version is the only provider version whose MemoryStorage entries this
// package maps: their keys end in 00 01, and they map onto the contract of
// a provider bound to the same version (mlsidb.CurrentVersion).
const Version uint16 = 1

// kind says how an entry's key bytes and value map onto the contract.
type kind uint8

const (
	// kindGroupValue: key bytes are the group id, the value is stored as is.
	kindGroupValue kind = iota + 1
	// kindGlobal: key bytes are the key (public key, hash reference, PSK
	// id), the value is stored as is.
	kindGlobal
	// kindLeafNodes: key bytes are the group id, the value a JSON list of
	// byte arrays (the own leaf nodes).
	kindLeafNodes
	// kindRefs: key bytes are the group id, the value a JSON list of byte
	// arrays (the proposal refs in queue order).
	kindRefs
	// kindProposal: key bytes are the JSON pair [group id, proposal ref],
	// the value is the proposal.
	kindProposal
	// kindEpochKeyPairs: key bytes are group id ‖ epoch ‖ leaf index (JSON
	// each), the value a JSON list of key pairs.
	kindEpochKeyPairs
)

// label is one of the labels OpenMLS's MemoryStorage puts in front of its
// keys.
type label struct {
	name  string
	group mlsidb.MethodGroup
	kind  kind
}

// labels are the 19 labels of OpenMLS's MemoryStorage (storage provider
// version 1). None is a prefix of another, so the label of a key is the
// one label it starts with.
var labels = [...]label{
	{"KeyPackage", mlsidb.MethodGroupKeyPackage, kindGlobal},
	{"Psk", mlsidb.MethodGroupPsk, kindGlobal},
	{"EncryptionKeyPair", mlsidb.MethodGroupEncryptionKeyPair, kindGlobal},
	{"SignatureKeyPair", mlsidb.MethodGroupSignatureKeyPair, kindGlobal},
	{"EpochKeyPairs", mlsidb.MethodGroupEpochKeyPairs, kindEpochKeyPairs},
	{"Tree", mlsidb.MethodGroupTree, kindGroupValue},
	{"GroupContext", mlsidb.MethodGroupContext, kindGroupValue},
	{"InterimTranscriptHash", mlsidb.MethodGroupInterimTranscriptHash, kindGroupValue},
	{"ConfirmationTag", mlsidb.MethodGroupConfirmationTag, kindGroupValue},
	{"ApplicationExportTree", mlsidb.MethodGroupApplicationExportTree, kindGroupValue},
	{"MlsGroupJoinConfig", mlsidb.MethodGroupJoinConfig, kindGroupValue},
	{"OwnLeafNodes", mlsidb.MethodGroupOwnLeafNodes, kindLeafNodes},
	{"GroupState", mlsidb.MethodGroupGroupState, kindGroupValue},
	{"QueuedProposal", mlsidb.MethodGroupProposalQueue, kindProposal},
	{"ProposalQueueRefs", mlsidb.MethodGroupProposalQueue, kindRefs},
	{"OwnLeafNodeIndex", mlsidb.MethodGroupOwnLeafIndex, kindGroupValue},
	{"EpochSecrets", mlsidb.MethodGroupEpochSecrets, kindGroupValue},
	{"ResumptionPsk", mlsidb.MethodGroupResumptionPskStore, kindGroupValue},
	{"MessageSecrets", mlsidb.MethodGroupMessageSecrets, kindGroupValue},
}

const (
	labelQueuedProposal    = "QueuedProposal"
	labelProposalQueueRefs = "ProposalQueueRefs"
)

// labelOf maps the method groups of single values and of the own leaf
// nodes and epoch key pairs lists to their label.
var labelOf = func() map[mlsidb.MethodGroup]string {
	m := map[mlsidb.MethodGroup]string{}
	for _, l := range labels {
		if l.kind != kindProposal && l.kind != kindRefs {
			m[l.group] = l.name
		}
	}
	return m
}()

// kindOf maps every method group but the proposal queue to the kind of
// its label.
var kindOf = func() map[mlsidb.MethodGroup]kind {
	m := map[mlsidb.MethodGroup]kind{}
	for _, l := range labels {
		if l.kind != kindProposal && l.kind != kindRefs {
			m[l.group] = l.kind
		}
	}
	return m
}()

// valueMethods are the contract calls that write and delete one single
// value.
type valueMethods struct {
	write func(mlsidb.StorageProvider, context.Context, []byte, []byte) error
	del   func(mlsidb.StorageProvider, context.Context, []byte) error
}

// valueOps holds the write and delete calls of the 11 value and 4 global
// method groups, as method expressions (checked by the compiler).
var valueOps = map[mlsidb.MethodGroup]valueMethods{
	mlsidb.MethodGroupJoinConfig:            {mlsidb.StorageProvider.WriteMlsJoinConfig, mlsidb.StorageProvider.DeleteGroupConfig},
	mlsidb.MethodGroupTree:                  {mlsidb.StorageProvider.WriteTree, mlsidb.StorageProvider.DeleteTree},
	mlsidb.MethodGroupContext:               {mlsidb.StorageProvider.WriteContext, mlsidb.StorageProvider.DeleteContext},
	mlsidb.MethodGroupInterimTranscriptHash: {mlsidb.StorageProvider.WriteInterimTranscriptHash, mlsidb.StorageProvider.DeleteInterimTranscriptHash},
	mlsidb.MethodGroupConfirmationTag:       {mlsidb.StorageProvider.WriteConfirmationTag, mlsidb.StorageProvider.DeleteConfirmationTag},
	mlsidb.MethodGroupGroupState:            {mlsidb.StorageProvider.WriteGroupState, mlsidb.StorageProvider.DeleteGroupState},
	mlsidb.MethodGroupMessageSecrets:        {mlsidb.StorageProvider.WriteMessageSecrets, mlsidb.StorageProvider.DeleteMessageSecrets},
	mlsidb.MethodGroupResumptionPskStore:    {mlsidb.StorageProvider.WriteResumptionPskStore, mlsidb.StorageProvider.DeleteAllResumptionPskSecrets},
	mlsidb.MethodGroupOwnLeafIndex:          {mlsidb.StorageProvider.WriteOwnLeafIndex, mlsidb.StorageProvider.DeleteOwnLeafIndex},
	mlsidb.MethodGroupEpochSecrets:          {mlsidb.StorageProvider.WriteGroupEpochSecrets, mlsidb.StorageProvider.DeleteGroupEpochSecrets},
	mlsidb.MethodGroupApplicationExportTree: {mlsidb.StorageProvider.WriteApplicationExportTree, mlsidb.StorageProvider.DeleteApplicationExportTree},
	mlsidb.MethodGroupSignatureKeyPair:      {mlsidb.StorageProvider.WriteSignatureKeyPair, mlsidb.StorageProvider.DeleteSignatureKeyPair},
	mlsidb.MethodGroupEncryptionKeyPair:     {mlsidb.StorageProvider.WriteEncryptionKeyPair, mlsidb.StorageProvider.DeleteEncryptionKeyPair},
	mlsidb.MethodGroupKeyPackage:            {mlsidb.StorageProvider.WriteKeyPackage, mlsidb.StorageProvider.DeleteKeyPackage},
	mlsidb.MethodGroupPsk:                   {mlsidb.StorageProvider.WritePsk, mlsidb.StorageProvider.DeletePsk},
}

// splitKey splits a MemoryStorage key into its label and key bytes and
// checks its version suffix. The reason never contains key bytes.
func splitKey(key []byte) (l *label, keyBytes []byte, reason string) {
	for i := range labels {
		name := labels[i].name
		if len(key) >= len(name) && string(key[:len(name)]) == name {
			l = &labels[i]
			break
		}
	}
	if l == nil {
		if name := labelLike(key); name != "" { // ASCII letters: quoted as strconv.Quote would
			return nil, nil, "unknown label \"" + name + "\" (mlsidb maps the 19 labels of OpenMLS's StorageProvider version 1)"
		}
		return nil, nil, "the key does not start with a MemoryStorage label"
	}
	rest := key[len(l.name):]
	if len(rest) < 2 {
		return l, nil, "the key has no 2-byte version suffix"
	}
	if v := uint16(rest[len(rest)-2])<<8 | uint16(rest[len(rest)-1]); v != Version {
		return l, nil, "version suffix " + strconv.Itoa(int(v)) + " is not supported (only provider version " +
			strconv.Itoa(int(Version)) + ", suffix 00 01)"
	}
	keyBytes = rest[: len(rest)-2 : len(rest)-2]
	if len(keyBytes) == 0 {
		return l, nil, "the key has no key bytes between label and version"
	}
	return l, keyBytes, ""
}

// labelLike returns the run of ASCII letters a key starts with when what
// follows can only start a JSON key ('{', '[', '"' or a digit), so that
// the run is a label and no key bytes are shown; otherwise "".
func labelLike(key []byte) string {
	i := 0
	for i < len(key) && i <= 64 && (('A' <= key[i] && key[i] <= 'Z') || ('a' <= key[i] && key[i] <= 'z')) {
		i++
	}
	if i == 0 || i > 64 || i >= len(key) {
		return ""
	}
	switch c := key[i]; {
	case c == '{' || c == '[' || c == '"' || isDigit(c):
		return string(key[:i])
	}
	return ""
}
