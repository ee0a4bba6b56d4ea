//go:build js && wasm

package main

import (
	"context"
	"time"

	"github.com/mlsidb/mlsidb/idbstore"
)

// openBackend opens the IndexedDB database of the store called name.
// durability is "strict" (also for ""), "relaxed" or "default" (the
// browser's choice); blocked bounds a blocked open (0: the default).
func openBackend(ctx context.Context, name, durability string, blocked time.Duration) (*idbstore.Backend, error) {
	opts := idbstore.Options{BlockedTimeout: blocked}
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
