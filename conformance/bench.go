package conformance

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/mlsidb/mlsidb"
)

// Benchmark measures a provider over the backend under test: a write and a
// read of every method group (one call each), the merge-commit sequence as
// single calls and as one Update, and the load sequence as 13 calls and as
// one LoadGroup. Values are sized
// like real MLS state (see Group). newProvider returns a provider over a
// fresh, empty backend; the benchmark closes it.
//
//	func BenchmarkProvider(b *testing.B) {
//		conformance.Benchmark(b, func(b *testing.B) *mlsidb.Provider { ... })
//	}
func Benchmark(b *testing.B, newProvider func(b *testing.B) *mlsidb.Provider) {
	open := func(b *testing.B) *mlsidb.Provider {
		p := newProvider(b)
		b.Cleanup(func() { p.Close() })
		return p
	}
	b.Run("MethodGroup", func(b *testing.B) { benchMethodGroups(b, open) })
	b.Run("MergeCommit", func(b *testing.B) { benchMerge(b, open) })
	b.Run("LoadGroup", func(b *testing.B) { benchLoad(b, open) })
}

// groupBench writes and reads one method group. write(i) writes a record
// earlier iterations did not (lists get a new group each time, so they do
// not grow); read reads what write(0) stored.
type groupBench struct {
	write func(ctx context.Context, p *mlsidb.Provider, i int) error
	read  func(ctx context.Context, p *mlsidb.Provider) error
}

func benchValue(size int, w func(*mlsidb.Provider, context.Context, []byte, []byte) error, r func(*mlsidb.Provider, context.Context, []byte) ([]byte, error)) groupBench {
	v := BenchValue(size, 1)
	return groupBench{
		write: func(ctx context.Context, p *mlsidb.Provider, i int) error { return w(p, ctx, BenchID(i), v) },
		read: func(ctx context.Context, p *mlsidb.Provider) error {
			_, err := r(p, ctx, BenchID(0))
			return err
		},
	}
}

// BenchValue returns the n bytes of a benchmark value: byte i is i XOR
// seed, so values of other seeds differ.
func BenchValue(n int, seed byte) []byte {
	v := make([]byte, n)
	for i := range v {
		v[i] = byte(i) ^ seed
	}
	return v
}

// BenchID returns the benchmarks' i-th group id (or global key): "group-"
// followed by i as 8 big-endian bytes.
func BenchID(i int) []byte { return binary.BigEndian.AppendUint64([]byte("group-"), uint64(i)) }

var (
	benchEpoch    = []byte("42")
	benchRefs     = [][]byte{BenchValue(32, 1), BenchValue(32, 2), BenchValue(32, 3)}
	benchLeafNode = BenchValue(256, 2)
	benchProposal = BenchValue(512, 3)
	benchKeyPairs = [][]byte{BenchValue(128, 4)}
)

var groupBenches = map[mlsidb.MethodGroup]groupBench{
	mlsidb.MethodGroupJoinConfig:            benchValue(64, (*mlsidb.Provider).WriteMlsJoinConfig, (*mlsidb.Provider).MlsGroupJoinConfig),
	mlsidb.MethodGroupTree:                  benchValue(8<<10, (*mlsidb.Provider).WriteTree, (*mlsidb.Provider).Tree),
	mlsidb.MethodGroupContext:               benchValue(256, (*mlsidb.Provider).WriteContext, (*mlsidb.Provider).GroupContext),
	mlsidb.MethodGroupInterimTranscriptHash: benchValue(64, (*mlsidb.Provider).WriteInterimTranscriptHash, (*mlsidb.Provider).InterimTranscriptHash),
	mlsidb.MethodGroupConfirmationTag:       benchValue(64, (*mlsidb.Provider).WriteConfirmationTag, (*mlsidb.Provider).ConfirmationTag),
	mlsidb.MethodGroupGroupState:            benchValue(2<<10, (*mlsidb.Provider).WriteGroupState, (*mlsidb.Provider).GroupState),
	mlsidb.MethodGroupMessageSecrets:        benchValue(4<<10, (*mlsidb.Provider).WriteMessageSecrets, (*mlsidb.Provider).MessageSecrets),
	mlsidb.MethodGroupResumptionPskStore:    benchValue(512, (*mlsidb.Provider).WriteResumptionPskStore, (*mlsidb.Provider).ResumptionPskStore),
	mlsidb.MethodGroupOwnLeafIndex:          benchValue(32, (*mlsidb.Provider).WriteOwnLeafIndex, (*mlsidb.Provider).OwnLeafIndex),
	mlsidb.MethodGroupEpochSecrets:          benchValue(512, (*mlsidb.Provider).WriteGroupEpochSecrets, (*mlsidb.Provider).GroupEpochSecrets),
	mlsidb.MethodGroupApplicationExportTree: benchValue(256, (*mlsidb.Provider).WriteApplicationExportTree, (*mlsidb.Provider).ApplicationExportTree),
	mlsidb.MethodGroupOwnLeafNodes: {
		write: func(ctx context.Context, p *mlsidb.Provider, i int) error {
			return p.AppendOwnLeafNode(ctx, BenchID(i), benchLeafNode)
		},
		read: func(ctx context.Context, p *mlsidb.Provider) error {
			_, err := p.OwnLeafNodes(ctx, BenchID(0))
			return err
		},
	},
	mlsidb.MethodGroupProposalQueue: {
		write: func(ctx context.Context, p *mlsidb.Provider, i int) error {
			return p.QueueProposal(ctx, BenchID(i), benchRefs[0], benchProposal)
		},
		read: func(ctx context.Context, p *mlsidb.Provider) error {
			_, err := p.QueuedProposals(ctx, BenchID(0))
			return err
		},
	},
	mlsidb.MethodGroupEpochKeyPairs: {
		write: func(ctx context.Context, p *mlsidb.Provider, i int) error {
			return p.WriteEncryptionEpochKeyPairs(ctx, BenchID(i), benchEpoch, 3, benchKeyPairs)
		},
		read: func(ctx context.Context, p *mlsidb.Provider) error {
			_, err := p.EncryptionEpochKeyPairs(ctx, BenchID(0), benchEpoch, 3)
			return err
		},
	},
	mlsidb.MethodGroupSignatureKeyPair:  benchValue(128, (*mlsidb.Provider).WriteSignatureKeyPair, (*mlsidb.Provider).SignatureKeyPair),
	mlsidb.MethodGroupEncryptionKeyPair: benchValue(96, (*mlsidb.Provider).WriteEncryptionKeyPair, (*mlsidb.Provider).EncryptionKeyPair),
	mlsidb.MethodGroupKeyPackage:        benchValue(512, (*mlsidb.Provider).WriteKeyPackage, (*mlsidb.Provider).KeyPackage),
	mlsidb.MethodGroupPsk:               benchValue(64, (*mlsidb.Provider).WritePsk, (*mlsidb.Provider).Psk),
}

func benchMethodGroups(b *testing.B, open func(*testing.B) *mlsidb.Provider) {
	ctx := context.Background()
	for _, g := range mlsidb.MethodGroups() {
		gb, ok := groupBenches[g.Group]
		if !ok {
			b.Fatalf("no benchmark for method group %s", g.Store)
		}
		b.Run(g.Store+"/write", func(b *testing.B) {
			p := open(b)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := gb.write(ctx, p, i); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(g.Store+"/read", func(b *testing.B) {
			p := open(b)
			if err := gb.write(ctx, p, 0); err != nil {
				b.Fatal(err)
			}
			if g.Group == mlsidb.MethodGroupProposalQueue { // a queue of three
				for _, ref := range benchRefs[1:] {
					if err := p.QueueProposal(ctx, BenchID(0), ref, benchProposal); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportAllocs()
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
func epochRing(n int) []*Group {
	ring := []*Group{NewGroup(GroupID(1), 1)}
	for len(ring) < n {
		ring = append(ring, ring[len(ring)-1].Next())
	}
	return ring
}

// benchMerge replays MergeCommit as single calls (each its own backend
// batch) and as one Update.
func benchMerge(b *testing.B, open func(*testing.B) *mlsidb.Provider) {
	ctx := context.Background()
	usedKey := BenchValue(32, 9)
	for _, update := range []bool{false, true} {
		name := "single-calls"
		if update {
			name = "update"
		}
		b.Run(name, func(b *testing.B) {
			p := open(b)
			ring := epochRing(16)
			if err := CreateGroup(ctx, p, ring[0]); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				old, next := ring[i%len(ring)], ring[(i+1)%len(ring)]
				var err error
				if update {
					err = p.Update(ctx, func(tx mlsidb.Store) error { return MergeCommit(ctx, tx, old, next, usedKey) })
				} else {
					err = MergeCommit(ctx, p, old, next, usedKey)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchLoad replays the 13 reads of LoadGroup as single calls, and reads
// the same with one Store.LoadGroup (one batch).
func benchLoad(b *testing.B, open func(*testing.B) *mlsidb.Provider) {
	ctx := context.Background()
	p := open(b)
	g := NewGroup(GroupID(1), 1)
	if err := CreateGroup(ctx, p, g); err != nil {
		b.Fatal(err)
	}
	b.Run("calls", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			got, err := LoadGroup(ctx, p, g.ID)
			if err != nil {
				b.Fatal(err)
			}
			if got.Tree == nil {
				b.Fatal("the tree is missing")
			}
		}
	})
	b.Run("batched", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			got, err := p.LoadGroup(ctx, g.ID)
			if err != nil {
				b.Fatal(err)
			}
			if got.Tree == nil {
				b.Fatal("the tree is missing")
			}
		}
	})
}
