//go:build js && wasm

package idbstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/conformance"
)

// benchProvider returns a provider over a fresh database.
func benchProvider(b *testing.B, opts Options) *mlsidb.Provider {
	b.Helper()
	be := openTest(b, opts)
	p, err := mlsidb.New(context.Background(), be, mlsidb.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkProvider runs the shared provider benchmarks (every method
// group's write and read, the merge and load sequences) over idbstore,
// with strict and with relaxed durability.
func BenchmarkProvider(b *testing.B) {
	for _, d := range []Durability{DurabilityStrict, DurabilityRelaxed} {
		b.Run(d.String(), func(b *testing.B) {
			conformance.Benchmark(b, func(b *testing.B) *mlsidb.Provider { return benchProvider(b, Options{Durability: d}) })
		})
	}
}

// BenchmarkBackend measures the backend alone: a put then a get of 256
// bytes, one transaction each, comparable to the raw IndexedDB figures.
func BenchmarkBackend(b *testing.B) {
	for _, d := range []Durability{DurabilityStrict, DurabilityRelaxed} {
		b.Run(fmt.Sprintf("put-get/%s", d), func(b *testing.B) {
			be := openTest(b, Options{Durability: d})
			ctx := context.Background()
			v := conformance.BenchValue(256, 5)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k := conformance.BenchID(i % 64)
				if err := be.Apply(ctx, []mlsidb.Op{{Kind: mlsidb.OpPut, Store: "tree", Key: k, Value: v}}); err != nil {
					b.Fatal(err)
				}
				if _, err := be.Get(ctx, "tree", k); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
