package openmlsmem_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/openmlsmem"
)

// seeds is the small seed corpus of both fuzz targets: the fixture in both
// encodings, empty snapshots, and a few near misses.
func seeds(f *testing.F) {
	f.Add(binarySnap(fixture()))
	f.Add(jsonSnap(fixture()))
	f.Add(make([]byte, 8))
	f.Add([]byte(`{"values":{}}`))
	g := gid(1)
	f.Add(binarySnap([]ent{
		e("OwnLeafNodeIndex", g, "1"),
		e("EpochKeyPairs", g+"911", `[{"k":1},"x"]`),
		e("OwnLeafNodes", g, "[[1,2],[]]"),
		e("ProposalQueueRefs", g, byteArrays(ref(1))),
		e("QueuedProposal", "["+g+","+ref(1)+"]", "p"),
	}))
	f.Add(jsonSnap([]ent{e("EpochKeyPairs", g+`"e"4`, `[]`), e("ProposalQueueRefs", g, "[]")}))
	f.Add(binarySnap([]ent{e("EpochKeyPairs", g+"911", `[1]`)}))
	f.Add(binarySnap([]ent{{"Tree\x00\x02", "x"}}))
	f.Add([]byte(`{"values":{"VHJlZXt9AAE=":"eA=="}}`))
}

// listLabels are the labels whose "[]" entries mean an empty list, which
// mlsidb does not store and so does not export.
var listLabels = []string{"OwnLeafNodes", "ProposalQueueRefs", "EpochKeyPairs"}

func isEmptyList(x openmlsmem.Entry) bool {
	if string(x.Value) != "[]" {
		return false
	}
	for _, l := range listLabels {
		if len(x.Key) >= len(l) && string(x.Key[:len(l)]) == l {
			return true
		}
	}
	return false
}

// FuzzParse: Parse never panics; what it accepts encodes back, in both
// encodings, to the same entries; what ToContract accepts maps back with
// FromContract to the same entries (less the empty lists).
func FuzzParse(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, format, err := openmlsmem.Parse(data)
		if err != nil {
			var e *openmlsmem.Error
			if !errors.As(err, &e) || !errors.Is(err, mlsidb.ErrInvalidArgument) {
				t.Fatalf("Parse error %v is not an *Error wrapping ErrInvalidArgument", err)
			}
			return
		}
		if format != openmlsmem.Binary && format != openmlsmem.JSON {
			t.Fatalf("format %v", format)
		}
		want := map[string]string{}
		for _, x := range entries {
			want[string(x.Key)] = string(x.Value)
		}
		for _, f := range []openmlsmem.Format{openmlsmem.Binary, openmlsmem.JSON} {
			enc, err := openmlsmem.Encode(entries, f)
			if err != nil {
				t.Fatalf("Encode %v: %v", f, err)
			}
			again, f2, err := openmlsmem.Parse(enc)
			if err != nil || f2 != f {
				t.Fatalf("Parse(Encode %v): %v, %v", f, f2, err)
			}
			if len(again) != len(entries) {
				t.Fatalf("Encode %v: %d entries, want %d", f, len(again), len(entries))
			}
			for _, x := range again {
				if v, ok := want[string(x.Key)]; !ok || v != string(x.Value) {
					t.Fatalf("Encode %v changed an entry", f)
				}
			}
		}
		for _, opts := range [][]openmlsmem.Option{nil, {openmlsmem.DropOrphanProposals()}} {
			units, err := openmlsmem.ToContract(entries, opts...)
			if err != nil {
				if !errors.Is(err, mlsidb.ErrInvalidArgument) {
					t.Fatalf("ToContract error %v does not wrap ErrInvalidArgument", err)
				}
				continue
			}
			back, err := openmlsmem.FromContract(units)
			if err != nil {
				t.Fatalf("FromContract(ToContract): %v", err)
			}
			got := map[string]string{}
			for _, x := range back {
				got[string(x.Key)] = string(x.Value)
			}
			for _, x := range entries {
				v, ok := got[string(x.Key)]
				switch {
				case isEmptyList(x) && ok:
					t.Fatal("an empty list came back")
				case isEmptyList(x):
				case !ok && opts == nil:
					t.Fatal("an entry did not come back")
				case ok && v != string(x.Value):
					t.Fatal("an entry came back changed")
				}
				delete(got, string(x.Key))
			}
			if len(got) != 0 {
				t.Fatalf("%d entries came back that were not there", len(got))
			}
		}
	})
}

// FuzzImport: Import and Sync never panic and write nothing when they
// fail; what Import accepts exports to the same entries (less the empty
// lists) and syncs again with nothing to do.
func FuzzImport(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		p, b := newStore(t)
		records := b.Len()
		err := openmlsmem.Import(ctx, p, data)
		if err != nil {
			if !errors.Is(err, mlsidb.ErrInvalidArgument) {
				t.Fatalf("Import error %v does not wrap ErrInvalidArgument", err)
			}
			if n := b.Len(); n != records {
				t.Fatalf("failed Import left %d records, %d before", n, records)
			}
			w, d, err := openmlsmem.Sync(ctx, p, data)
			if err == nil || w != 0 || d != 0 || b.Len() != records {
				t.Fatalf("Sync of what Import refused: %d, %d, %v, %d records", w, d, err, b.Len())
			}
			return
		}
		entries, _, err := openmlsmem.Parse(data)
		if err != nil {
			t.Fatalf("Import accepted what Parse refuses: %v", err)
		}
		exp, err := openmlsmem.Export(ctx, p, openmlsmem.Binary)
		if err != nil {
			t.Fatalf("Export after Import: %v", err)
		}
		got, _, err := openmlsmem.Parse(exp)
		if err != nil {
			t.Fatalf("Parse(Export): %v", err)
		}
		have := map[string]string{}
		for _, x := range got {
			have[string(x.Key)] = string(x.Value)
		}
		n := 0
		for _, x := range entries {
			if isEmptyList(x) {
				continue
			}
			n++
			if v, ok := have[string(x.Key)]; !ok || v != string(x.Value) {
				t.Fatal("the export lost or changed an entry")
			}
		}
		if n != len(have) {
			t.Fatalf("the export has %d entries, want %d", len(have), n)
		}
		w, d, err := openmlsmem.Sync(ctx, p, data)
		if err != nil || w != 0 || d != 0 {
			t.Fatalf("Sync after Import: %d written, %d deleted, %v", w, d, err)
		}
	})
}
