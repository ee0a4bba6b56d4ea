//go:build js && wasm

package main

import (
	"context"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/idbstore"
)

// openBackend opens the IndexedDB database of the store called name.
// durability is "strict" (also for ""), "relaxed" or "default" (the
// browser's choice).
func openBackend(ctx context.Context, name, durability string) (mlsidb.Backend, error) {
	opts := idbstore.Options{}
	switch durability {
	case "relaxed":
		opts.Durability = idbstore.DurabilityRelaxed
	case "default":
		opts.Durability = idbstore.DurabilityBrowserDefault
	default:
		opts.Durability = idbstore.DurabilityStrict
	}
	return idbstore.Open(ctx, name, opts)
}
