// Package openmlsmem imports, exports and mirrors the contents of OpenMLS's
// in-memory storage provider (MemoryStorage, crate openmls_memory_storage)
// into an mlsidb store, so an OpenMLS app that keeps its state in
// MemoryStorage gets durable state without changing its OpenMLS code.
//
//	err := openmlsmem.Import(ctx, provider, snapshot)           // all or nothing
//	snapshot, err := openmlsmem.Export(ctx, provider, openmlsmem.JSON)
//	written, deleted, err := openmlsmem.Sync(ctx, provider, snapshot)
//
// # The MemoryStorage format
//
// MemoryStorage is a map of byte keys to byte values. A key is label ‖ key
// bytes ‖ provider version (2 bytes big-endian; version 1 is 00 01, the
// only version this package knows). The key bytes are serde_json of the
// key (a group id is {"value":{"vec":[1,2,3]}}), values are serde_json of
// the entity. The 19 labels map onto the contract's method groups; two
// need more than a key and a value:
//
//   - OwnLeafNodes and ProposalQueueRefs hold a JSON array of the items'
//     serde_json bytes, each written as an array of byte numbers.
//   - A queued proposal's body is stored under QueuedProposal with the key
//     bytes [<group id json>,<ref json>]; the queue order is the group's
//     ProposalQueueRefs list.
//   - EpochKeyPairs keys are group id json ‖ epoch json ‖ leaf index json
//     (ambiguous for two numbers; see [ToContract]); the value is the JSON
//     list of key pairs.
//
// Snapshots come in two encodings ([Binary], [JSON]); [Parse] tells them
// apart.
//
// # Mapping onto the contract
//
// The contract's key bytes are exactly the key bytes OpenMLS uses, and
// values are the stored bytes as they are, so an entry imported here is
// found by the call OpenMLS would make: the Tree entry of a group by
// Tree(ctx, <group id json>), its epoch key pairs by
// EncryptionEpochKeyPairs(ctx, <group id json>, <epoch json>, leafIndex).
// Own leaf nodes, refs and epoch key pairs become lists item by item, in
// order.
//
// # Limits
//
//   - Entries must be of provider version 1 and carry one of the 19 labels.
//   - Lists must be exactly as serde_json writes them (compact, canonical
//     numbers), so that an export writes back the very bytes it read.
//   - A proposal ref may be queued once per group (mlsidb keeps one queue
//     entry per ref); a ref without a body and a body without a ref are
//     errors (see [DropOrphanProposals] for the bodies OpenMLS itself
//     leaves behind).
//   - An entry holding an empty list equals no entry: mlsidb stores no
//     empty lists, so an export does not write it back.
//   - Keys are at most [mlsidb.MaxKeyLen] bytes and never empty.
//
// Errors about the snapshot are [*Error]s wrapping
// [mlsidb.ErrInvalidArgument]; they name the entry's position and label,
// never key or value bytes.
package openmlsmem
