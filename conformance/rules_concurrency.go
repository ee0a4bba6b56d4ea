package conformance

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mlsidb/mlsidb"
)

// concurrencyRules: many goroutines appending, queueing and running
// Updates on one provider lose nothing and duplicate nothing, and readers
// running meanwhile never see a broken list.
func (s *suite) concurrencyRules(r reporter) {
	r.Run("own_leaf_nodes+proposal_queue", s.concurrentLists)
	r.Run("updates", s.concurrentUpdates)
}

const (
	workers     = 8
	perWorker   = 50
	readerPause = 2 * time.Millisecond
)

// errorLimit reports at most a few errors from many goroutines.
type errorLimit struct {
	r reporter
	n atomic.Int32
}

func (l *errorLimit) Errorf(format string, args ...any) {
	if l.n.Add(1) <= 5 {
		l.r.Errorf(format, args...)
	}
}

func item(w, i int) string { return fmt.Sprintf("w%d-%03d", w, i) }

// checkWorkerOrder checks items named by item(): no duplicates, each
// worker's items in the order it wrote them. It returns how many it saw.
func checkWorkerOrder(l *errorLimit, what string, items []string) int {
	last := map[int]int{}
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it] {
			l.Errorf("%s: %q appears twice", what, it)
			continue
		}
		seen[it] = true
		ws, is, ok := strings.Cut(strings.TrimPrefix(it, "w"), "-")
		w, err1 := strconv.Atoi(ws)
		i, err2 := strconv.Atoi(is)
		if !ok || err1 != nil || err2 != nil {
			l.Errorf("%s: unexpected item %q", what, it)
			continue
		}
		if prev, ok := last[w]; ok && i <= prev {
			l.Errorf("%s: worker %d's item %d follows its item %d", what, w, i, prev)
		}
		last[w] = i
	}
	return len(seen)
}

func (s *suite) concurrentLists(r reporter) {
	e := s.newEnv(r)
	ctx := e.ctx
	g := []byte("group-concurrent")
	l := &errorLimit{r: r}
	done := make(chan struct{})
	var readers sync.WaitGroup
	for n := 0; n < 2; n++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				// Pause between reads: it lets the writers run where
				// goroutines are not preempted (wasm) and the backend
				// never blocks (memstore), and keeps the reads from
				// dominating on slow backends.
				select {
				case <-done:
					return
				case <-time.After(readerPause):
				}
				leaves, err := e.p.OwnLeafNodes(ctx, g)
				if err != nil {
					l.Errorf("concurrent OwnLeafNodes: %v", err)
					return
				}
				checkWorkerOrder(l, "OwnLeafNodes read during the writes", strs(leaves))
				q, err := e.p.QueuedProposals(ctx, g)
				if err != nil {
					l.Errorf("concurrent QueuedProposals: %v", err)
					return
				}
				checkWorkerOrder(l, "QueuedProposals read during the writes", refs(q))
			}
		}()
	}
	var writers sync.WaitGroup
	for w := 0; w < workers; w++ {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := 0; i < perWorker; i++ {
				it := item(w, i)
				var err error
				if i%5 == 4 {
					err = e.p.Update(ctx, func(tx mlsidb.Store) error {
						if err := tx.AppendOwnLeafNode(ctx, g, []byte(it)); err != nil {
							return err
						}
						return tx.QueueProposal(ctx, g, []byte(it), []byte("body-"+it))
					})
				} else if err = e.p.AppendOwnLeafNode(ctx, g, []byte(it)); err == nil {
					err = e.p.QueueProposal(ctx, g, []byte(it), []byte("body-"+it))
				}
				if err != nil {
					l.Errorf("worker %d, item %d: %v", w, i, err)
					return
				}
			}
		}()
	}
	writers.Wait()
	close(done)
	readers.Wait()

	leaves, err := e.p.OwnLeafNodes(ctx, g)
	e.must(err, "OwnLeafNodes")
	if n := checkWorkerOrder(l, "OwnLeafNodes", strs(leaves)); n != workers*perWorker || len(leaves) != n {
		r.Errorf("OwnLeafNodes holds %d items (%d distinct), want %d", len(leaves), n, workers*perWorker)
	}
	q, err := readQueue(ctx, e.p, g)
	e.must(err, "queue")
	if n := checkWorkerOrder(l, "QueuedProposals", refs(q)); n != workers*perWorker || len(q) != n {
		r.Errorf("the queue holds %d proposals (%d distinct), want %d", len(q), n, workers*perWorker)
	}
	for _, p := range q {
		if string(p.Proposal) != "body-"+string(p.Ref) {
			l.Errorf("queued %q holds %s", p.Ref, show(p.Proposal))
		}
	}

	// Requeue some refs concurrently: bodies change, places do not.
	var requeue sync.WaitGroup
	for w := 0; w < workers; w++ {
		requeue.Add(1)
		go func() {
			defer requeue.Done()
			for i := 0; i < perWorker; i += 10 {
				it := item(w, i)
				if err := e.p.QueueProposal(ctx, g, []byte(it), []byte("again-"+it)); err != nil {
					l.Errorf("requeue %s: %v", it, err)
					return
				}
			}
		}()
	}
	requeue.Wait()
	q2, err := readQueue(ctx, e.p, g)
	e.must(err, "queue after requeueing")
	if strings.Join(refs(q2), " ") != strings.Join(refs(q), " ") {
		r.Errorf("requeueing changed the queue order or length (%d entries, was %d)", len(q2), len(q))
	}
	for _, p := range q2 {
		var w, i int
		_, _ = fmt.Sscanf(string(p.Ref), "w%d-%d", &w, &i)
		want := "body-" + string(p.Ref)
		if i%10 == 0 {
			want = "again-" + string(p.Ref)
		}
		if string(p.Proposal) != want {
			l.Errorf("after requeueing, %q holds %s, want %q", p.Ref, show(p.Proposal), want)
		}
	}
}

func strs(l [][]byte) []string {
	out := make([]string, len(l))
	for i, b := range l {
		out[i] = string(b)
	}
	return out
}

func refs(q []mlsidb.QueuedProposal) []string {
	out := make([]string, len(q))
	for i, p := range q {
		out[i] = string(p.Ref)
	}
	return out
}

var errRollback = errors.New("conformance: this Update fails on purpose")

// concurrentUpdates: concurrent Updates, some failing on purpose, and a
// concurrent DeleteGroup of another group: every successful Update is
// there whole, every failed one not at all.
func (s *suite) concurrentUpdates(r reporter) {
	e := s.newEnv(r)
	ctx := e.ctx
	shared := []byte("group-shared")
	victim := []byte("group-victim")
	e.mustFill(e.p, victim, "victim")
	l := &errorLimit{r: r}
	const updates = 10
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := []byte("group-" + strconv.Itoa(w))
			for i := 0; i < updates; i++ {
				it := item(w, i)
				err := e.p.Update(ctx, func(tx mlsidb.Store) error {
					if err := tx.WriteTree(ctx, own, []byte(it)); err != nil {
						return err
					}
					if err := tx.AppendOwnLeafNode(ctx, shared, []byte(it)); err != nil {
						return err
					}
					if err := tx.WritePsk(ctx, []byte(it), []byte(it)); err != nil {
						return err
					}
					if i%3 == 2 {
						return errRollback
					}
					return nil
				})
				if (i%3 == 2) != (err != nil) || (err != nil && err != errRollback) {
					l.Errorf("Update %s: %v", it, err)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := e.p.DeleteGroup(ctx, victim); err != nil {
			l.Errorf("concurrent DeleteGroup: %v", err)
		}
	}()
	wg.Wait()

	var want []string
	for w := 0; w < workers; w++ {
		tree, err := e.p.Tree(ctx, []byte("group-"+strconv.Itoa(w)))
		if err != nil || string(tree) != item(w, updates-1) {
			l.Errorf("tree of worker %d's group: %s, %v; want %q", w, show(tree), err, item(w, updates-1))
		}
		for i := 0; i < updates; i++ {
			it := item(w, i)
			v, err := e.p.Psk(ctx, []byte(it))
			switch {
			case i%3 == 2:
				if !errors.Is(err, mlsidb.ErrNotFound) {
					l.Errorf("psk %s of a failed Update: %s, %v; want ErrNotFound", it, show(v), err)
				}
			case err != nil || string(v) != it:
				l.Errorf("psk %s: %s, %v", it, show(v), err)
			default:
				want = append(want, it)
			}
		}
	}
	leaves, err := e.p.OwnLeafNodes(ctx, shared)
	e.must(err, "OwnLeafNodes")
	if n := checkWorkerOrder(l, "OwnLeafNodes", strs(leaves)); n != len(want) || len(leaves) != n {
		r.Errorf("the shared group holds %d leaf nodes (%d distinct), want %d", len(leaves), n, len(want))
	}
	got, err := LoadGroup(context.Background(), e.p, victim)
	e.must(err, "LoadGroup of the deleted group")
	if d := Diff(got, Empty(victim)); len(d) > 0 {
		r.Errorf("the group deleted concurrently still has %v", d)
	}
}
