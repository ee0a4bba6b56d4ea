//go:build js && wasm

package idbstore

import (
	"context"
	"encoding/binary"
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
	b.Cleanup(func() { p.Close() })
	return p
}

func fill(n int, seed byte) []byte {
	v := make([]byte, n)
	for i := range v {
		v[i] = byte(i) ^ seed
	}
	return v
}

func idOf(i int) []byte { return binary.BigEndian.AppendUint64([]byte("group-"), uint64(i)) }

// groupBench is how the benchmarks write and read one method group, with
// realistically sized values: tree 8 KiB, message secrets 4 KiB, group
// state 2 KiB, the others 32 to 512 bytes. write(i) writes a record the
// earlier iterations did not (lists get a new group each time, so they
// do not grow); read reads a record that setup stored.
type groupBench struct {
	write func(ctx context.Context, p *mlsidb.Provider, i int) error
	read  func(ctx context.Context, p *mlsidb.Provider) error
}

// value builds the bench of a group-scoped single value.
func value(size int, w func(*mlsidb.Provider, context.Context, []byte, []byte) error, r func(*mlsidb.Provider, context.Context, []byte) ([]byte, error)) groupBench {
	v := fill(size, 1)
	return groupBench{
		write: func(ctx context.Context, p *mlsidb.Provider, i int) error { return w(p, ctx, idOf(i), v) },
		read: func(ctx context.Context, p *mlsidb.Provider) error {
			_, err := r(p, ctx, idOf(0))
			return err
		},
	}
}

var (
	epoch     = []byte("42")
	benchRefs = [][]byte{fill(32, 1), fill(32, 2), fill(32, 3)}
	leafNode  = fill(256, 2)
	proposal  = fill(512, 3)
	keyPairs  = [][]byte{fill(128, 4)}
)

var groupBenches = map[mlsidb.MethodGroup]groupBench{
	mlsidb.MethodGroupJoinConfig:            value(64, (*mlsidb.Provider).WriteMlsJoinConfig, (*mlsidb.Provider).MlsGroupJoinConfig),
	mlsidb.MethodGroupTree:                  value(8<<10, (*mlsidb.Provider).WriteTree, (*mlsidb.Provider).Tree),
	mlsidb.MethodGroupContext:               value(256, (*mlsidb.Provider).WriteContext, (*mlsidb.Provider).GroupContext),
	mlsidb.MethodGroupInterimTranscriptHash: value(64, (*mlsidb.Provider).WriteInterimTranscriptHash, (*mlsidb.Provider).InterimTranscriptHash),
	mlsidb.MethodGroupConfirmationTag:       value(64, (*mlsidb.Provider).WriteConfirmationTag, (*mlsidb.Provider).ConfirmationTag),
	mlsidb.MethodGroupGroupState:            value(2<<10, (*mlsidb.Provider).WriteGroupState, (*mlsidb.Provider).GroupState),
	mlsidb.MethodGroupMessageSecrets:        value(4<<10, (*mlsidb.Provider).WriteMessageSecrets, (*mlsidb.Provider).MessageSecrets),
	mlsidb.MethodGroupResumptionPskStore:    value(512, (*mlsidb.Provider).WriteResumptionPskStore, (*mlsidb.Provider).ResumptionPskStore),
	mlsidb.MethodGroupOwnLeafIndex:          value(32, (*mlsidb.Provider).WriteOwnLeafIndex, (*mlsidb.Provider).OwnLeafIndex),
	mlsidb.MethodGroupEpochSecrets:          value(512, (*mlsidb.Provider).WriteGroupEpochSecrets, (*mlsidb.Provider).GroupEpochSecrets),
	mlsidb.MethodGroupApplicationExportTree: value(256, (*mlsidb.Provider).WriteApplicationExportTree, (*mlsidb.Provider).ApplicationExportTree),
	mlsidb.MethodGroupOwnLeafNodes: {
		write: func(ctx context.Context, p *mlsidb.Provider, i int) error {
			return p.AppendOwnLeafNode(ctx, idOf(i), leafNode)
		},
		read: func(ctx context.Context, p *mlsidb.Provider) error {
			_, err := p.OwnLeafNodes(ctx, idOf(0))
			return err
		},
	},
	mlsidb.MethodGroupProposalQueue: {
		write: func(ctx context.Context, p *mlsidb.Provider, i int) error {
			return p.QueueProposal(ctx, idOf(i), benchRefs[0], proposal)
		},
		read: func(ctx context.Context, p *mlsidb.Provider) error {
			_, err := p.QueuedProposals(ctx, idOf(0))
			return err
		},
	},
	mlsidb.MethodGroupEpochKeyPairs: {
		write: func(ctx context.Context, p *mlsidb.Provider, i int) error {
			return p.WriteEncryptionEpochKeyPairs(ctx, idOf(i), epoch, 3, keyPairs)
		},
		read: func(ctx context.Context, p *mlsidb.Provider) error {
			_, err := p.EncryptionEpochKeyPairs(ctx, idOf(0), epoch, 3)
			return err
		},
	},
	mlsidb.MethodGroupSignatureKeyPair:  value(128, (*mlsidb.Provider).WriteSignatureKeyPair, (*mlsidb.Provider).SignatureKeyPair),
	mlsidb.MethodGroupEncryptionKeyPair: value(96, (*mlsidb.Provider).WriteEncryptionKeyPair, (*mlsidb.Provider).EncryptionKeyPair),
	mlsidb.MethodGroupKeyPackage:        value(512, (*mlsidb.Provider).WriteKeyPackage, (*mlsidb.Provider).KeyPackage),
	mlsidb.MethodGroupPsk:               value(64, (*mlsidb.Provider).WritePsk, (*mlsidb.Provider).Psk),
}

// BenchmarkMethodGroup writes and reads each method group through a
// provider over idbstore, one call (one transaction) per operation.
func BenchmarkMethodGroup(b *testing.B) {
	ctx := context.Background()
	for _, g := range mlsidb.MethodGroups() {
		gb, ok := groupBenches[g.Group]
		if !ok {
			b.Fatalf("no benchmark for method group %s", g.Store)
		}
		b.Run(g.Store+"/write", func(b *testing.B) {
			p := benchProvider(b, Options{})
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := gb.write(ctx, p, i); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(g.Store+"/read", func(b *testing.B) {
			p := benchProvider(b, Options{})
			if err := gb.write(ctx, p, 0); err != nil {
				b.Fatal(err)
			}
			if g.Group == mlsidb.MethodGroupProposalQueue { // a queue of three
				for _, ref := range benchRefs[1:] {
					if err := p.QueueProposal(ctx, idOf(0), ref, proposal); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := gb.read(ctx, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// epochRing returns n successive states of one group, to merge commits
// from one to the next (the last wraps to the first).
func epochRing(n int) []*conformance.Group {
	ring := []*conformance.Group{conformance.NewGroup(conformance.GroupID(1), 1)}
	for len(ring) < n {
		ring = append(ring, ring[len(ring)-1].Next())
	}
	return ring
}

// BenchmarkMergeCommit replays what OpenMLS writes when it merges a commit
// (15 writes and deletes and one read, see conformance.MergeCommit): as
// single calls, each its own transaction, and as one provider.Update.
func BenchmarkMergeCommit(b *testing.B) {
	ctx := context.Background()
	usedKey := fill(32, 9)
	cases := []struct {
		name   string
		opts   Options
		update bool
	}{
		{"single-calls", Options{}, false},
		{"update", Options{}, true},
		{"single-calls/relaxed", Options{Durability: DurabilityRelaxed}, false},
		{"update/relaxed", Options{Durability: DurabilityRelaxed}, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			p := benchProvider(b, c.opts)
			ring := epochRing(16)
			if err := conformance.CreateGroup(ctx, p, ring[0]); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				old, next := ring[i%len(ring)], ring[(i+1)%len(ring)]
				var err error
				if c.update {
					err = p.Update(ctx, func(tx mlsidb.Store) error {
						return conformance.MergeCommit(ctx, tx, old, next, usedKey)
					})
				} else {
					err = conformance.MergeCommit(ctx, p, old, next, usedKey)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoadGroup replays the 13 reads OpenMLS makes when it loads a
// group (see conformance.LoadGroup).
func BenchmarkLoadGroup(b *testing.B) {
	ctx := context.Background()
	p := benchProvider(b, Options{})
	g := conformance.NewGroup(conformance.GroupID(1), 1)
	if err := conformance.CreateGroup(ctx, p, g); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := conformance.LoadGroup(ctx, p, g.ID)
		if err != nil {
			b.Fatal(err)
		}
		if got.Tree == nil {
			b.Fatal("the tree is missing")
		}
	}
}

// BenchmarkBackend measures the backend alone: a put then a get of 256
// bytes, one transaction each, comparable to the raw IndexedDB figures.
func BenchmarkBackend(b *testing.B) {
	for _, d := range []Durability{DurabilityStrict, DurabilityRelaxed} {
		b.Run(fmt.Sprintf("put-get/%s", d), func(b *testing.B) {
			be := openTest(b, Options{Durability: d})
			ctx := context.Background()
			v := fill(256, 5)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k := idOf(i % 64)
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
