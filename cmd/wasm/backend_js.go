//go:build js && wasm

package main

import (
	"context"
	"syscall/js"
	"time"

	"github.com/mlsidb/mlsidb/idbstore"
)

// openBackend opens the IndexedDB database of the store called name.
// durability is "strict" (also for ""), "relaxed" or "default" (the
// browser's choice); blocked bounds a blocked open (0: the default);
// executor is mlsidb.js's idbExec, or undefined.
func openBackend(ctx context.Context, name, durability string, blocked time.Duration, executor js.Value) (*idbstore.Backend, error) {
	opts := idbstore.Options{BlockedTimeout: blocked, Executor: executor}
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
