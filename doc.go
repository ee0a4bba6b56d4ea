// Package mlsidb is a client-state store for MLS (RFC 9420) clients that run in
// web browsers.
//
// It implements the storage contract of OpenMLS (its StorageProvider trait,
// version 1) once, in [Provider], over a small [Backend] interface. Backends
// only store ordered key/value records: memstore keeps them in memory,
// idbstore keeps them in the browser's IndexedDB. All OpenMLS semantics (key
// layout, version tagging, list order, validation, atomic group deletion and
// transactions) live in this package, so every backend behaves the same; the
// conformance package checks that.
//
// Keys and entities cross the contract as their serialized bytes: the caller
// hands over the encoded form (OpenMLS uses serde_json), the provider never
// decodes it.
//
// Several connections may share the data (tabs and workers over one
// IndexedDB database). Backends that say so through optional interfaces
// get more from the provider: a [Locker] serializes the writers of every
// connection, a [GroupLocker] makes [Provider.WithGroupLock] hold across
// connections, and a [Notifier] carries the changes of each commit (see
// [Provider.Watch]) to the other connections.
//
//	p, err := mlsidb.New(ctx, memstore.New(), mlsidb.Options{})
//	if err != nil { ... }
//	defer p.Close()
//	err = p.Update(ctx, func(tx mlsidb.Store) error {
//		if err := tx.WriteTree(ctx, groupID, tree); err != nil {
//			return err
//		}
//		return tx.WriteContext(ctx, groupID, groupContext)
//	})
//	tree, err := p.Tree(ctx, groupID)
//	if errors.Is(err, mlsidb.ErrNotFound) { ... }
package mlsidb
