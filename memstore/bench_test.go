package memstore_test

import (
	"context"
	"testing"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/conformance"
	"github.com/mlsidb/mlsidb/memstore"
)

// BenchmarkProvider: every method group's write and read, the merge and
// load sequences, through a provider over memstore.
func BenchmarkProvider(b *testing.B) {
	conformance.Benchmark(b, func(b *testing.B) *mlsidb.Provider {
		p, err := mlsidb.New(context.Background(), memstore.New(), mlsidb.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return p
	})
}
