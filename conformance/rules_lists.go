package conformance

import (
	"context"
	"fmt"
	"strings"

	"github.com/mlsidb/mlsidb"
)

// listScenario is a sequence of list calls with its checks. It runs
// directly on a provider and inside one Update (checking the view reads
// its own writes); both must end with the same records.
type listScenario struct {
	mg   mlsidb.MethodGroup
	name string
	// records is how many records the method group's store holds at the
	// end.
	records int
	run     func(r reporter, ctx context.Context, st mlsidb.Store)
}

func bs(items ...string) [][]byte {
	out := make([][]byte, len(items))
	for i, s := range items {
		out[i] = []byte(s)
	}
	return out
}

func wantLeaves(r reporter, ctx context.Context, st mlsidb.Store, g string, want ...string) {
	r.Helper()
	got, err := st.OwnLeafNodes(ctx, []byte(g))
	switch {
	case err != nil:
		r.Errorf("OwnLeafNodes(%q): %v", g, err)
	case got == nil:
		r.Errorf("OwnLeafNodes(%q) returned a nil list", g)
	case !equalLists(got, bs(want...)):
		r.Errorf("OwnLeafNodes(%q) = %s, want %s", g, showList(got), showList(bs(want...)))
	}
}

// wantQueue checks the group's queue; each want item is "ref=proposal".
func wantQueue(r reporter, ctx context.Context, st mlsidb.Store, g string, want ...string) {
	r.Helper()
	q, err := readQueue(ctx, st, []byte(g))
	if err != nil {
		r.Errorf("queue of %q: %v", g, err)
		return
	}
	got := make([]string, len(q))
	for i, e := range q {
		got[i] = string(e.Ref) + "=" + string(e.Proposal)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") || len(got) != len(want) {
		r.Errorf("queue of %q = %q, want %q", g, got, want)
	}
}

func wantPairs(r reporter, ctx context.Context, st mlsidb.Store, g, epoch string, leaf uint32, want ...string) {
	r.Helper()
	got, err := st.EncryptionEpochKeyPairs(ctx, []byte(g), []byte(epoch), leaf)
	switch {
	case err != nil:
		r.Errorf("EncryptionEpochKeyPairs(%q, %q, %d): %v", g, epoch, leaf, err)
	case got == nil:
		r.Errorf("EncryptionEpochKeyPairs(%q, %q, %d) returned a nil list", g, epoch, leaf)
	case !equalLists(got, bs(want...)):
		r.Errorf("EncryptionEpochKeyPairs(%q, %q, %d) = %s, want %s", g, epoch, leaf, showList(got), showList(bs(want...)))
	}
}

// do fails the test when a call fails.
func do(r reporter, err error, what string) {
	r.Helper()
	if err != nil {
		r.Fatalf("%s: %v", what, err)
	}
}

func listScenarios() []listScenario {
	type S = mlsidb.Store
	type C = context.Context
	appendAll := func(r reporter, ctx C, st S, g string, items ...string) {
		r.Helper()
		for _, it := range items {
			do(r, st.AppendOwnLeafNode(ctx, []byte(g), []byte(it)), "AppendOwnLeafNode")
		}
	}
	queue := func(r reporter, ctx C, st S, g string, items ...string) {
		r.Helper()
		for _, it := range items {
			ref, prop, _ := strings.Cut(it, "=")
			do(r, st.QueueProposal(ctx, []byte(g), []byte(ref), []byte(prop)), "QueueProposal")
		}
	}
	pairs := func(r reporter, ctx C, st S, g, epoch string, leaf uint32, items [][]byte) {
		r.Helper()
		do(r, st.WriteEncryptionEpochKeyPairs(ctx, []byte(g), []byte(epoch), leaf, items), "WriteEncryptionEpochKeyPairs")
	}
	many := make([]string, 260)
	for i := range many {
		many[i] = fmt.Sprintf("leaf-%03d", i)
	}
	return []listScenario{
		{mlsidb.MethodGroupOwnLeafNodes, "order-and-duplicates", 8, func(r reporter, ctx C, st S) {
			appendAll(r, ctx, st, "G", "a", "b")
			appendAll(r, ctx, st, "H", "x")
			appendAll(r, ctx, st, "G", "a", "c", "b", "")
			appendAll(r, ctx, st, "H", "y")
			wantLeaves(r, ctx, st, "G", "a", "b", "a", "c", "b", "")
			wantLeaves(r, ctx, st, "H", "x", "y")
		}},
		{mlsidb.MethodGroupOwnLeafNodes, "delete-then-append", 1, func(r reporter, ctx C, st S) {
			appendAll(r, ctx, st, "G", "a", "b")
			do(r, st.DeleteOwnLeafNodes(ctx, []byte("G")), "DeleteOwnLeafNodes")
			wantLeaves(r, ctx, st, "G")
			appendAll(r, ctx, st, "G", "c")
			wantLeaves(r, ctx, st, "G", "c")
		}},
		{mlsidb.MethodGroupOwnLeafNodes, "260-appends", 260, func(r reporter, ctx C, st S) {
			appendAll(r, ctx, st, "G", many...)
			wantLeaves(r, ctx, st, "G", many...)
		}},
		{mlsidb.MethodGroupProposalQueue, "order", 5, func(r reporter, ctx C, st S) {
			queue(r, ctx, st, "G", "r3=p3", "r1=p1", "r2=p2", "r0=", "r4=p1")
			wantQueue(r, ctx, st, "G", "r3=p3", "r1=p1", "r2=p2", "r0=", "r4=p1")
		}},
		{mlsidb.MethodGroupProposalQueue, "requeue-keeps-place", 3, func(r reporter, ctx C, st S) {
			queue(r, ctx, st, "G", "r1=p1", "r2=p2", "r3=p3")
			queue(r, ctx, st, "G", "r2=p2b")
			wantQueue(r, ctx, st, "G", "r1=p1", "r2=p2b", "r3=p3")
			queue(r, ctx, st, "G", "r1=p1b")
			wantQueue(r, ctx, st, "G", "r1=p1b", "r2=p2b", "r3=p3")
		}},
		{mlsidb.MethodGroupProposalQueue, "remove", 2, func(r reporter, ctx C, st S) {
			queue(r, ctx, st, "G", "r1=p1", "r2=p2", "r3=p3")
			do(r, st.RemoveProposal(ctx, []byte("G"), []byte("r2")), "RemoveProposal")
			wantQueue(r, ctx, st, "G", "r1=p1", "r3=p3")
			do(r, st.RemoveProposal(ctx, []byte("G"), []byte("r2")), "RemoveProposal of a removed ref")
			do(r, st.RemoveProposal(ctx, []byte("G"), []byte("rX")), "RemoveProposal of an unknown ref")
			wantQueue(r, ctx, st, "G", "r1=p1", "r3=p3")
			queue(r, ctx, st, "G", "r2=p2c")
			wantQueue(r, ctx, st, "G", "r1=p1", "r3=p3", "r2=p2c")
			do(r, st.RemoveProposal(ctx, []byte("G"), []byte("r1")), "RemoveProposal")
			wantQueue(r, ctx, st, "G", "r3=p3", "r2=p2c")
		}},
		{mlsidb.MethodGroupProposalQueue, "clear-then-queue", 2, func(r reporter, ctx C, st S) {
			queue(r, ctx, st, "G", "r1=p1", "r2=p2")
			do(r, st.ClearProposalQueue(ctx, []byte("G")), "ClearProposalQueue")
			wantQueue(r, ctx, st, "G")
			queue(r, ctx, st, "G", "r3=p3", "r1=p1b")
			wantQueue(r, ctx, st, "G", "r3=p3", "r1=p1b")
		}},
		{mlsidb.MethodGroupEpochKeyPairs, "keyed-by-all-parts", 4, func(r reporter, ctx C, st S) {
			pairs(r, ctx, st, "G", "1", 0, bs("a"))
			pairs(r, ctx, st, "G", "1", 1, bs("b"))
			pairs(r, ctx, st, "G", "2", 0, bs("c"))
			pairs(r, ctx, st, "H", "1", 0, bs("d"))
			pairs(r, ctx, st, "G", "1", 7, bs("e"))
			wantPairs(r, ctx, st, "G", "1", 0, "a")
			wantPairs(r, ctx, st, "G", "1", 1, "b")
			wantPairs(r, ctx, st, "G", "2", 0, "c")
			wantPairs(r, ctx, st, "H", "1", 0, "d")
			wantPairs(r, ctx, st, "G", "1", 7, "e")
			wantPairs(r, ctx, st, "G", "2", 1)
			do(r, st.DeleteEncryptionEpochKeyPairs(ctx, []byte("G"), []byte("1"), 1), "DeleteEncryptionEpochKeyPairs")
			wantPairs(r, ctx, st, "G", "1", 1)
			wantPairs(r, ctx, st, "G", "1", 0, "a")
			wantPairs(r, ctx, st, "G", "2", 0, "c")
			wantPairs(r, ctx, st, "H", "1", 0, "d")
			wantPairs(r, ctx, st, "G", "1", 7, "e")
		}},
		{mlsidb.MethodGroupEpochKeyPairs, "replace", 1, func(r reporter, ctx C, st S) {
			pairs(r, ctx, st, "G", "1", 0, bs("a", "b", "c"))
			wantPairs(r, ctx, st, "G", "1", 0, "a", "b", "c")
			pairs(r, ctx, st, "G", "1", 0, bs("d"))
			wantPairs(r, ctx, st, "G", "1", 0, "d")
			pairs(r, ctx, st, "G", "1", 0, bs("x", "x", ""))
			wantPairs(r, ctx, st, "G", "1", 0, "x", "x", "")
		}},
		{mlsidb.MethodGroupEpochKeyPairs, "empty-write", 0, func(r reporter, ctx C, st S) {
			pairs(r, ctx, st, "G", "1", 0, bs("a"))
			pairs(r, ctx, st, "G", "1", 0, bs())
			wantPairs(r, ctx, st, "G", "1", 0)
			pairs(r, ctx, st, "G", "1", 0, bs("b"))
			pairs(r, ctx, st, "G", "1", 0, nil)
			wantPairs(r, ctx, st, "G", "1", 0)
			pairs(r, ctx, st, "G", "9", 9, nil)
			wantPairs(r, ctx, st, "G", "9", 9)
		}},
	}
}

// listRules runs each list scenario directly and inside an Update, checks
// how many records it leaves, and that both ways leave the same records.
func (s *suite) listRules(r reporter) {
	scenarios := listScenarios()
	for _, c := range s.cases {
		if c.single() {
			continue
		}
		r.Run(c.name, func(r reporter) {
			for _, sc := range scenarios {
				if sc.mg != c.info.Group {
					continue
				}
				r.Run(sc.name, func(r reporter) { s.listScenario(r, c, sc) })
			}
		})
	}
}

func (s *suite) listScenario(r reporter, c *mgCase, sc listScenario) {
	var direct snapshot
	records := func(r reporter, e *env) snapshot {
		r.Helper()
		sn := e.snap()
		if n := len(sn[c.name]); n != sc.records {
			r.Errorf("store %s holds %d records, want %d", c.name, n, sc.records)
		}
		return sn
	}
	r.Run("direct", func(r reporter) {
		e := s.newEnv(r)
		sc.run(r, e.ctx, e.p)
		direct = records(r, e)
	})
	r.Run("in-update", func(r reporter) {
		e := s.newEnv(r)
		e.must(e.p.Update(e.ctx, func(tx mlsidb.Store) error {
			sc.run(r, e.ctx, tx)
			return nil
		}), "Update")
		got := records(r, e)
		if direct != nil {
			sameSnap(r, direct, got, "the scenario in an Update against the scenario run directly")
		}
	})
}
