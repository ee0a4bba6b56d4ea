package conformance

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/mlsidb/mlsidb"
)

// sharedRules: two providers over two connections to the same data (two
// tabs over one IndexedDB database) never lose each other's writes, and
// learn of each other's commits when the backend is a Notifier. Skipped
// when Options.Share is nil.
func (s *suite) sharedRules(r reporter) {
	r.Run("read-modify-write", s.sharedReadModifyWrite)
	r.Run("concurrent", s.sharedConcurrent)
	r.Run("changes", s.sharedChanges)
}

// shareEnv returns a provider over a second connection to e's data,
// closed when the subtest ends (before e's).
func (s *suite) shareEnv(r reporter, e *env) *env {
	r.Helper()
	b := s.cfg.share(r, e.b)
	if b == nil {
		r.Fatalf("Options.Share returned a nil backend")
	}
	p, err := mlsidb.New(e.ctx, b, mlsidb.Options{})
	if err != nil {
		_ = b.Close()
		r.Fatalf("mlsidb.New over a second connection: %v", err)
	}
	r.Cleanup(func() { _ = p.Close() })
	return &env{r: r, s: s, ctx: e.ctx, b: b, p: p}
}

func (s *suite) needShare(r reporter) {
	if s.cfg.share == nil {
		r.Skip("backend cannot be shared (Options.Share is nil)")
	}
}

// interleaveWait is how long an Update of the first connection waits, in
// the middle of its read-modify-writes, for a write of the second to get
// through. With a working writer lock the write cannot get through and
// the Update goes on after this pause; without one it gets through at
// once and the Update then overwrites it.
const interleaveWait = 100 * time.Millisecond

// sharedReadModifyWrite: an Update of one connection appends and queues;
// meanwhile the other connection appends, queues and bumps a counter.
// Nothing is lost: the second connection's writes wait for the Update.
func (s *suite) sharedReadModifyWrite(r reporter) {
	s.needShare(r)
	e := s.newEnv(r)
	e2 := s.shareEnv(r, e)
	ctx, cancel := context.WithTimeout(e.ctx, deadlockTimeout)
	defer cancel()
	g := []byte("group-rmw")
	counter := []byte("counter")
	e.must(e.p.WritePsk(ctx, counter, []byte("0")), "WritePsk")
	other := make(chan error, 1)
	err := e.p.Update(ctx, func(tx mlsidb.Store) error {
		if err := tx.AppendOwnLeafNode(ctx, g, []byte("first")); err != nil {
			return err
		}
		if err := tx.QueueProposal(ctx, g, []byte("ref-first"), []byte("p1")); err != nil {
			return err
		}
		if err := bump(ctx, tx, counter); err != nil {
			return err
		}
		go func() {
			err := e2.p.AppendOwnLeafNode(ctx, g, []byte("second"))
			if err == nil {
				err = e2.p.QueueProposal(ctx, g, []byte("ref-second"), []byte("p2"))
			}
			if err == nil {
				err = e2.p.Update(ctx, func(tx mlsidb.Store) error { return bump(ctx, tx, counter) })
			}
			other <- err
		}()
		select {
		case err := <-other:
			other <- err // the other connection got through: this commit overwrites it
		case <-time.After(interleaveWait):
		}
		return nil
	})
	e.must(err, "Update of the first connection")
	e.must(<-other, "writes of the second connection")
	leaves, err := e.p.OwnLeafNodes(ctx, g)
	e.must(err, "OwnLeafNodes")
	if got := strs(leaves); !slices.Equal(got, []string{"first", "second"}) {
		r.Errorf("own leaf nodes after two connections appended: %q, want [first second]: a read-modify-write interleaved with the other connection's", got)
	}
	q, err := e.p.QueuedProposalRefs(ctx, g)
	e.must(err, "QueuedProposalRefs")
	if got := strs(q); !slices.Equal(got, []string{"ref-first", "ref-second"}) {
		r.Errorf("queue after two connections queued: %q, want [ref-first ref-second]", got)
	}
	if v, err := e2.p.Psk(ctx, counter); err != nil || string(v) != "2" {
		r.Errorf("counter bumped by both connections: %s, %v; want 2", show(v), err)
	}
}

// bump increments the decimal counter stored as the PSK of id.
func bump(ctx context.Context, st mlsidb.StorageProvider, id []byte) error {
	v, err := st.Psk(ctx, id)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return fmt.Errorf("counter does not decode: %w", err)
	}
	return st.WritePsk(ctx, id, []byte(strconv.Itoa(n+1)))
}

// sharedConcurrent: goroutines on both connections append, queue and bump
// a counter at once; every write is there exactly once.
func (s *suite) sharedConcurrent(r reporter) {
	s.needShare(r)
	e := s.newEnv(r)
	e2 := s.shareEnv(r, e)
	ctx, cancel := context.WithTimeout(e.ctx, 4*deadlockTimeout)
	defer cancel()
	g := []byte("group-two-connections")
	counter := []byte("counter")
	e.must(e.p.WritePsk(ctx, counter, []byte("0")), "WritePsk")
	l := &errorLimit{r: r}
	const perConn, rounds = 3, 10
	var wg sync.WaitGroup
	for c, p := range []*mlsidb.Provider{e.p, e2.p} {
		for w := 0; w < perConn; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := c*perConn + w
				for i := 0; i < rounds; i++ {
					it := item(id, i)
					var err error
					if i%2 == 0 {
						err = p.Update(ctx, func(tx mlsidb.Store) error {
							if err := tx.AppendOwnLeafNode(ctx, g, []byte(it)); err != nil {
								return err
							}
							if err := tx.QueueProposal(ctx, g, []byte(it), []byte("body-"+it)); err != nil {
								return err
							}
							return bump(ctx, tx, counter)
						})
					} else if err = p.AppendOwnLeafNode(ctx, g, []byte(it)); err == nil {
						if err = p.QueueProposal(ctx, g, []byte(it), []byte("body-"+it)); err == nil {
							err = p.Update(ctx, func(tx mlsidb.Store) error { return bump(ctx, tx, counter) })
						}
					}
					if err != nil {
						l.Errorf("connection %d, goroutine %d, item %d: %v", c, w, i, err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	want := 2 * perConn * rounds
	leaves, err := e2.p.OwnLeafNodes(ctx, g)
	e.must(err, "OwnLeafNodes")
	if n := checkWorkerOrder(l, "OwnLeafNodes", strs(leaves)); n != want || len(leaves) != n {
		r.Errorf("own leaf nodes hold %d items (%d distinct), want %d", len(leaves), n, want)
	}
	q, err := e.p.QueuedProposals(ctx, g)
	e.must(err, "QueuedProposals")
	if n := checkWorkerOrder(l, "QueuedProposals", refs(q)); n != want || len(q) != n {
		r.Errorf("the queue holds %d proposals (%d distinct), want %d", len(q), n, want)
	}
	if v, err := e.p.Psk(ctx, counter); err != nil || string(v) != strconv.Itoa(want) {
		r.Errorf("counter: %s, %v; want %d", show(v), err, want)
	}
}

// changeLog collects the changes a watcher saw.
type changeLog struct {
	mu      sync.Mutex
	changes []mlsidb.Change
	signal  chan struct{}
}

func watchLog(p *mlsidb.Provider) (*changeLog, func()) {
	l := &changeLog{signal: make(chan struct{}, 1)}
	stop := p.Watch(func(c mlsidb.Change) {
		l.mu.Lock()
		l.changes = append(l.changes, c)
		l.mu.Unlock()
		select {
		case l.signal <- struct{}{}:
		default:
		}
	})
	return l, stop
}

// union returns the groups, method groups and Local flags seen so far.
func (l *changeLog) union() (groups []string, mgs []mlsidb.MethodGroup, locals []bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.changes {
		for _, g := range c.Groups {
			if !slices.Contains(groups, string(g)) {
				groups = append(groups, string(g))
			}
		}
		for _, m := range c.MethodGroups {
			if !slices.Contains(mgs, m) {
				mgs = append(mgs, m)
			}
		}
		locals = append(locals, c.Local)
	}
	slices.Sort(groups)
	slices.Sort(mgs)
	return groups, mgs, locals
}

// changeTimeout bounds the wait for a change to reach a watcher; a
// backend that loses changes makes the suite wait this long once.
const changeTimeout = 5 * time.Second

// waitFor waits until the log has seen every group and method group of
// want, or until changeTimeout.
func (l *changeLog) waitFor(groups []string, mgs []mlsidb.MethodGroup) bool {
	deadline := time.After(changeTimeout)
	for {
		g, m, _ := l.union()
		if containsAll(g, groups) && containsAll(m, mgs) {
			return true
		}
		select {
		case <-l.signal:
		case <-deadline:
			return false
		}
	}
}

func containsAll[T comparable](have, want []T) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// sharedChanges: the commits of one connection reach the other's
// watchers as remote changes naming the right groups and method groups,
// and the committing provider's own watchers as local ones.
func (s *suite) sharedChanges(r reporter) {
	s.needShare(r)
	e := s.newEnv(r)
	if _, ok := e.b.(mlsidb.Notifier); !ok {
		r.Skip("backend is no mlsidb.Notifier")
	}
	e2 := s.shareEnv(r, e)
	ctx, cancel := context.WithTimeout(e.ctx, deadlockTimeout)
	defer cancel()
	remote, stopRemote := watchLog(e2.p)
	defer stopRemote()
	local, stopLocal := watchLog(e.p)
	defer stopLocal()

	g1, g2 := []byte("group-one"), []byte("group-two\x00\xff")
	e.must(e.p.Update(ctx, func(tx mlsidb.Store) error {
		if err := tx.WriteTree(ctx, g1, []byte("tree")); err != nil {
			return err
		}
		if err := tx.QueueProposal(ctx, g2, []byte("ref"), []byte("p")); err != nil {
			return err
		}
		return tx.WriteKeyPackage(ctx, []byte("hash-ref"), []byte("kp"))
	}), "Update")
	wantGroups := []string{string(g1), string(g2)}
	slices.Sort(wantGroups)
	wantMGs := []mlsidb.MethodGroup{mlsidb.MethodGroupTree, mlsidb.MethodGroupProposalQueue, mlsidb.MethodGroupKeyPackage}
	slices.Sort(wantMGs)
	for _, w := range []struct {
		who   string
		log   *changeLog
		local bool
	}{{"the other connection", remote, false}, {"the committing provider", local, true}} {
		if !w.log.waitFor(wantGroups, wantMGs) {
			g, m, _ := w.log.union()
			r.Fatalf("%s saw groups %q and method groups %v within %v; want %q and %v", w.who, g, m, changeTimeout, wantGroups, wantMGs)
		}
		g, m, locals := w.log.union()
		if !slices.Equal(g, wantGroups) || !slices.Equal(m, wantMGs) {
			r.Errorf("%s saw groups %q and method groups %v; want exactly %q and %v", w.who, g, m, wantGroups, wantMGs)
		}
		for _, l := range locals {
			if l != w.local {
				r.Errorf("%s saw a change with Local %v, want %v", w.who, l, w.local)
				break
			}
		}
	}

	// A DeleteGroup by the other connection names the group and every
	// group-scoped method group, to the first connection's watcher.
	e.must(e2.p.DeleteGroup(ctx, g1), "DeleteGroup")
	var groupScoped []mlsidb.MethodGroup
	for _, info := range mlsidb.MethodGroups() {
		if info.Scope != mlsidb.ScopeGlobal {
			groupScoped = append(groupScoped, info.Group)
		}
	}
	if !local.waitFor([]string{string(g1)}, groupScoped) {
		r.Fatalf("the first connection did not learn of the other's DeleteGroup within %v", changeTimeout)
	}
	local.mu.Lock()
	last := local.changes[len(local.changes)-1]
	local.mu.Unlock()
	if last.Local || !last.HasGroup(g1) || !bytes.Equal(last.Groups[0], g1) {
		r.Errorf("the change of the other's DeleteGroup: Local %v, groups %q", last.Local, last.Groups)
	}
}
