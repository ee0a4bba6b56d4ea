package mlsidb

// The 56 contract methods. Each one is a thin call of a helper in ops.go;
// see StorageProvider for what each does.

import "context"

// WriteMlsJoinConfig implements [StorageProvider].
func (p *Provider) WriteMlsJoinConfig(ctx context.Context, groupID, config []byte) error {
	return p.putGroupValue(ctx, "WriteMlsJoinConfig", MethodGroupJoinConfig, groupID, config)
}

// MlsGroupJoinConfig implements [StorageProvider].
func (p *Provider) MlsGroupJoinConfig(ctx context.Context, groupID []byte) ([]byte, error) {
	return p.getGroupValue(ctx, "MlsGroupJoinConfig", MethodGroupJoinConfig, groupID)
}

// DeleteGroupConfig implements [StorageProvider].
func (p *Provider) DeleteGroupConfig(ctx context.Context, groupID []byte) error {
	return p.deleteGroupValue(ctx, "DeleteGroupConfig", MethodGroupJoinConfig, groupID)
}

// WriteTree implements [StorageProvider].
func (p *Provider) WriteTree(ctx context.Context, groupID, tree []byte) error {
	return p.putGroupValue(ctx, "WriteTree", MethodGroupTree, groupID, tree)
}

// Tree implements [StorageProvider].
func (p *Provider) Tree(ctx context.Context, groupID []byte) ([]byte, error) {
	return p.getGroupValue(ctx, "Tree", MethodGroupTree, groupID)
}

// DeleteTree implements [StorageProvider].
func (p *Provider) DeleteTree(ctx context.Context, groupID []byte) error {
	return p.deleteGroupValue(ctx, "DeleteTree", MethodGroupTree, groupID)
}

// WriteContext implements [StorageProvider].
func (p *Provider) WriteContext(ctx context.Context, groupID, groupContext []byte) error {
	return p.putGroupValue(ctx, "WriteContext", MethodGroupContext, groupID, groupContext)
}

// GroupContext implements [StorageProvider].
func (p *Provider) GroupContext(ctx context.Context, groupID []byte) ([]byte, error) {
	return p.getGroupValue(ctx, "GroupContext", MethodGroupContext, groupID)
}

// DeleteContext implements [StorageProvider].
func (p *Provider) DeleteContext(ctx context.Context, groupID []byte) error {
	return p.deleteGroupValue(ctx, "DeleteContext", MethodGroupContext, groupID)
}

// WriteInterimTranscriptHash implements [StorageProvider].
func (p *Provider) WriteInterimTranscriptHash(ctx context.Context, groupID, hash []byte) error {
	return p.putGroupValue(ctx, "WriteInterimTranscriptHash", MethodGroupInterimTranscriptHash, groupID, hash)
}

// InterimTranscriptHash implements [StorageProvider].
func (p *Provider) InterimTranscriptHash(ctx context.Context, groupID []byte) ([]byte, error) {
	return p.getGroupValue(ctx, "InterimTranscriptHash", MethodGroupInterimTranscriptHash, groupID)
}

// DeleteInterimTranscriptHash implements [StorageProvider].
func (p *Provider) DeleteInterimTranscriptHash(ctx context.Context, groupID []byte) error {
	return p.deleteGroupValue(ctx, "DeleteInterimTranscriptHash", MethodGroupInterimTranscriptHash, groupID)
}

// WriteConfirmationTag implements [StorageProvider].
func (p *Provider) WriteConfirmationTag(ctx context.Context, groupID, tag []byte) error {
	return p.putGroupValue(ctx, "WriteConfirmationTag", MethodGroupConfirmationTag, groupID, tag)
}

// ConfirmationTag implements [StorageProvider].
func (p *Provider) ConfirmationTag(ctx context.Context, groupID []byte) ([]byte, error) {
	return p.getGroupValue(ctx, "ConfirmationTag", MethodGroupConfirmationTag, groupID)
}

// DeleteConfirmationTag implements [StorageProvider].
func (p *Provider) DeleteConfirmationTag(ctx context.Context, groupID []byte) error {
	return p.deleteGroupValue(ctx, "DeleteConfirmationTag", MethodGroupConfirmationTag, groupID)
}

// WriteGroupState implements [StorageProvider].
func (p *Provider) WriteGroupState(ctx context.Context, groupID, state []byte) error {
	return p.putGroupValue(ctx, "WriteGroupState", MethodGroupGroupState, groupID, state)
}

// GroupState implements [StorageProvider].
func (p *Provider) GroupState(ctx context.Context, groupID []byte) ([]byte, error) {
	return p.getGroupValue(ctx, "GroupState", MethodGroupGroupState, groupID)
}

// DeleteGroupState implements [StorageProvider].
func (p *Provider) DeleteGroupState(ctx context.Context, groupID []byte) error {
	return p.deleteGroupValue(ctx, "DeleteGroupState", MethodGroupGroupState, groupID)
}

// WriteMessageSecrets implements [StorageProvider].
func (p *Provider) WriteMessageSecrets(ctx context.Context, groupID, secrets []byte) error {
	return p.putGroupValue(ctx, "WriteMessageSecrets", MethodGroupMessageSecrets, groupID, secrets)
}

// MessageSecrets implements [StorageProvider].
func (p *Provider) MessageSecrets(ctx context.Context, groupID []byte) ([]byte, error) {
	return p.getGroupValue(ctx, "MessageSecrets", MethodGroupMessageSecrets, groupID)
}

// DeleteMessageSecrets implements [StorageProvider].
func (p *Provider) DeleteMessageSecrets(ctx context.Context, groupID []byte) error {
	return p.deleteGroupValue(ctx, "DeleteMessageSecrets", MethodGroupMessageSecrets, groupID)
}

// WriteResumptionPskStore implements [StorageProvider].
func (p *Provider) WriteResumptionPskStore(ctx context.Context, groupID, store []byte) error {
	return p.putGroupValue(ctx, "WriteResumptionPskStore", MethodGroupResumptionPskStore, groupID, store)
}

// ResumptionPskStore implements [StorageProvider].
func (p *Provider) ResumptionPskStore(ctx context.Context, groupID []byte) ([]byte, error) {
	return p.getGroupValue(ctx, "ResumptionPskStore", MethodGroupResumptionPskStore, groupID)
}

// DeleteAllResumptionPskSecrets implements [StorageProvider].
func (p *Provider) DeleteAllResumptionPskSecrets(ctx context.Context, groupID []byte) error {
	return p.deleteGroupValue(ctx, "DeleteAllResumptionPskSecrets", MethodGroupResumptionPskStore, groupID)
}

// WriteOwnLeafIndex implements [StorageProvider].
func (p *Provider) WriteOwnLeafIndex(ctx context.Context, groupID, index []byte) error {
	return p.putGroupValue(ctx, "WriteOwnLeafIndex", MethodGroupOwnLeafIndex, groupID, index)
}

// OwnLeafIndex implements [StorageProvider].
func (p *Provider) OwnLeafIndex(ctx context.Context, groupID []byte) ([]byte, error) {
	return p.getGroupValue(ctx, "OwnLeafIndex", MethodGroupOwnLeafIndex, groupID)
}

// DeleteOwnLeafIndex implements [StorageProvider].
func (p *Provider) DeleteOwnLeafIndex(ctx context.Context, groupID []byte) error {
	return p.deleteGroupValue(ctx, "DeleteOwnLeafIndex", MethodGroupOwnLeafIndex, groupID)
}

// WriteGroupEpochSecrets implements [StorageProvider].
func (p *Provider) WriteGroupEpochSecrets(ctx context.Context, groupID, secrets []byte) error {
	return p.putGroupValue(ctx, "WriteGroupEpochSecrets", MethodGroupEpochSecrets, groupID, secrets)
}

// GroupEpochSecrets implements [StorageProvider].
func (p *Provider) GroupEpochSecrets(ctx context.Context, groupID []byte) ([]byte, error) {
	return p.getGroupValue(ctx, "GroupEpochSecrets", MethodGroupEpochSecrets, groupID)
}

// DeleteGroupEpochSecrets implements [StorageProvider].
func (p *Provider) DeleteGroupEpochSecrets(ctx context.Context, groupID []byte) error {
	return p.deleteGroupValue(ctx, "DeleteGroupEpochSecrets", MethodGroupEpochSecrets, groupID)
}

// WriteApplicationExportTree implements [StorageProvider].
func (p *Provider) WriteApplicationExportTree(ctx context.Context, groupID, tree []byte) error {
	return p.putGroupValue(ctx, "WriteApplicationExportTree", MethodGroupApplicationExportTree, groupID, tree)
}

// ApplicationExportTree implements [StorageProvider].
func (p *Provider) ApplicationExportTree(ctx context.Context, groupID []byte) ([]byte, error) {
	return p.getGroupValue(ctx, "ApplicationExportTree", MethodGroupApplicationExportTree, groupID)
}

// DeleteApplicationExportTree implements [StorageProvider].
func (p *Provider) DeleteApplicationExportTree(ctx context.Context, groupID []byte) error {
	return p.deleteGroupValue(ctx, "DeleteApplicationExportTree", MethodGroupApplicationExportTree, groupID)
}

// WriteSignatureKeyPair implements [StorageProvider].
func (p *Provider) WriteSignatureKeyPair(ctx context.Context, publicKey, signatureKeyPair []byte) error {
	return p.putGlobal(ctx, "WriteSignatureKeyPair", MethodGroupSignatureKeyPair, "public key", publicKey, signatureKeyPair)
}

// SignatureKeyPair implements [StorageProvider].
func (p *Provider) SignatureKeyPair(ctx context.Context, publicKey []byte) ([]byte, error) {
	return p.getGlobal(ctx, "SignatureKeyPair", MethodGroupSignatureKeyPair, "public key", publicKey)
}

// DeleteSignatureKeyPair implements [StorageProvider].
func (p *Provider) DeleteSignatureKeyPair(ctx context.Context, publicKey []byte) error {
	return p.deleteGlobal(ctx, "DeleteSignatureKeyPair", MethodGroupSignatureKeyPair, "public key", publicKey)
}

// WriteEncryptionKeyPair implements [StorageProvider].
func (p *Provider) WriteEncryptionKeyPair(ctx context.Context, publicKey, keyPair []byte) error {
	return p.putGlobal(ctx, "WriteEncryptionKeyPair", MethodGroupEncryptionKeyPair, "public key", publicKey, keyPair)
}

// EncryptionKeyPair implements [StorageProvider].
func (p *Provider) EncryptionKeyPair(ctx context.Context, publicKey []byte) ([]byte, error) {
	return p.getGlobal(ctx, "EncryptionKeyPair", MethodGroupEncryptionKeyPair, "public key", publicKey)
}

// DeleteEncryptionKeyPair implements [StorageProvider].
func (p *Provider) DeleteEncryptionKeyPair(ctx context.Context, publicKey []byte) error {
	return p.deleteGlobal(ctx, "DeleteEncryptionKeyPair", MethodGroupEncryptionKeyPair, "public key", publicKey)
}

// WriteKeyPackage implements [StorageProvider].
func (p *Provider) WriteKeyPackage(ctx context.Context, hashRef, keyPackage []byte) error {
	return p.putGlobal(ctx, "WriteKeyPackage", MethodGroupKeyPackage, "hash reference", hashRef, keyPackage)
}

// KeyPackage implements [StorageProvider].
func (p *Provider) KeyPackage(ctx context.Context, hashRef []byte) ([]byte, error) {
	return p.getGlobal(ctx, "KeyPackage", MethodGroupKeyPackage, "hash reference", hashRef)
}

// DeleteKeyPackage implements [StorageProvider].
func (p *Provider) DeleteKeyPackage(ctx context.Context, hashRef []byte) error {
	return p.deleteGlobal(ctx, "DeleteKeyPackage", MethodGroupKeyPackage, "hash reference", hashRef)
}

// WritePsk implements [StorageProvider].
func (p *Provider) WritePsk(ctx context.Context, pskID, pskBundle []byte) error {
	return p.putGlobal(ctx, "WritePsk", MethodGroupPsk, "psk id", pskID, pskBundle)
}

// Psk implements [StorageProvider].
func (p *Provider) Psk(ctx context.Context, pskID []byte) ([]byte, error) {
	return p.getGlobal(ctx, "Psk", MethodGroupPsk, "psk id", pskID)
}

// DeletePsk implements [StorageProvider].
func (p *Provider) DeletePsk(ctx context.Context, pskID []byte) error {
	return p.deleteGlobal(ctx, "DeletePsk", MethodGroupPsk, "psk id", pskID)
}
