//go:build js && wasm

package idbstore

import (
	"syscall/js"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/jsbridge"
)

// upgradeStep takes a database from one schema version to the next. It
// runs inside the versionchange transaction, synchronously: it may create
// and delete object stores and issue requests on tx, but never wait.
type upgradeStep struct {
	// what describes the step, for errors.
	what string
	run  func(db, tx js.Value) error
}

// schema is the upgrade path: schema[i] takes a database from version i to
// version i+1. Steps are frozen once released: a new schema appends a step,
// it never edits one (a database at version i was made by exactly the
// steps before it).
var schema = []upgradeStep{
	{what: "create the method group object stores", run: createStores(
		"mls_group_join_config", "tree", "group_context", "interim_transcript_hash",
		"confirmation_tag", "group_state", "message_secrets", "resumption_psk_store",
		"own_leaf_index", "group_epoch_secrets", "application_export_tree",
		"own_leaf_nodes", "proposal_queue", "encryption_epoch_key_pairs",
		"signature_key_pair", "encryption_key_pair", "key_package", "psk",
	)},
	{what: "create the meta object store", run: createStores(mlsidb.MetaStore)},
}

// SchemaVersion is the IndexedDB version of the databases this code
// creates and upgrades to: the number of steps of its upgrade path.
const SchemaVersion = 2

// createStores returns a step that creates object stores with out-of-line
// keys.
func createStores(names ...string) func(db, tx js.Value) error {
	return func(db, _ js.Value) error {
		for _, n := range names {
			if _, err := jsbridge.Call(db, "createObjectStore", n); err != nil {
				return err
			}
		}
		return nil
	}
}
