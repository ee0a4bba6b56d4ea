//go:build js && wasm

package main

import (
	"context"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/memstore"
)

// openBackend opens the backend of the store called name.
// TEMPORARY: memstore until idbstore lands.
func openBackend(ctx context.Context, name, durability string) (mlsidb.Backend, error) {
	return memstore.New(), nil
}
