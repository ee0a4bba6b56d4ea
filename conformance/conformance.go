// Package conformance is the suite every mlsidb backend runs: it checks,
// for every method group, each rule of the contract's semantics through a
// [mlsidb.Provider] built over the backend, and looks at the backend's raw
// records to prove that nothing is left behind. It uses the standard
// library only, because it is compiled into every backend's test binary
// (wasm included).
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, conformance.Options{
//			New: func(t *testing.T) mlsidb.Backend { return memstore.New() },
//		})
//	}
//
// Subtests are named rule/method group/case, for example
// "upsert/tree" or "no-leftovers/proposal_queue/clear". The rule families:
//
//   - backend: the [mlsidb.Backend] contract itself (order, ranges,
//     reverse, limit, atomic batches, owned values).
//   - round-trip, upsert, atomic: values come back as written, every
//     write is an upsert, calls and batches are atomic.
//   - missing, empty-value, large-value: ErrNotFound for a missing value,
//     an empty list for a missing list, stored empty values and 1 MiB values
//     come back.
//   - delete-absent, no-leftovers, delete-group: deleting succeeds always
//     and leaves no record behind, checked on the backend's raw records.
//   - version: other versions' records are invisible and untouched, newer
//     tags are ErrVersionMismatch, a newer store is refused.
//   - isolation: groups, method groups and keys that are prefixes of each
//     other never meet.
//   - lists: order, duplicates, queue places, epoch key pair lists.
//   - concurrency: concurrent appends, queueing and transactions lose
//     nothing.
//   - group-lock: Provider.WithGroupLock is exclusive per group, independent
//     between groups, bounded by its context, released whatever its
//     function does, not re-entrant, and (with Options.Share) holds across
//     connections.
//   - shared: two providers over two connections to the same data (two
//     tabs) lose none of each other's read-modify-writes, and learn of each
//     other's commits when the backend is an [mlsidb.Notifier] (skipped
//     when Options.Share is nil).
//   - update: transactions commit all or nothing, see their own writes,
//     nest, and run StorageProvider code unchanged.
//   - persistence: everything, the store's ID included, survives a reopen
//     (skipped for backends that do not persist).
//   - bad-input, closed: bad keys, nil functions, cancelled contexts and
//     closed stores are refused, nothing is written, no bytes leak into
//     errors.
//   - openmls: the call sequences OpenMLS makes (see [CreateGroup] and the
//     other replay functions).
package conformance

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mlsidb/mlsidb"
)

// Options describe the backend under test.
type Options struct {
	// New returns a fresh, empty backend, isolated from every other one it
	// returned. Required. The suite closes it (through the provider it
	// builds over it) when the subtest ends.
	New func(t *testing.T) mlsidb.Backend
	// Reopen returns a new backend over the data stored in b. The suite has
	// closed b (through the provider) before it calls Reopen. Nil for
	// backends that do not persist; the persistence cases are then skipped
	// with that reason.
	Reopen func(t *testing.T, b mlsidb.Backend) mlsidb.Backend
	// Share returns a second connection to the data of b, as a second tab
	// or worker would open it: a backend over the same records, open at
	// the same time as b, closed apart from it. Nil for backends that
	// cannot be shared; the cases of two connections are then skipped.
	Share func(t *testing.T, b mlsidb.Backend) mlsidb.Backend
}

// Run runs the whole suite against the backend. Subtests are named
// rule/method group/case, so a failure says which rule and which method
// group broke.
func Run(t *testing.T, opts Options) {
	t.Helper()
	if opts.New == nil {
		t.Fatal("conformance: Options.New is required")
	}
	cfg := config{newBackend: func(r reporter) mlsidb.Backend { return opts.New(r.(tReporter).T) }}
	if opts.Reopen != nil {
		cfg.reopen = func(r reporter, b mlsidb.Backend) mlsidb.Backend { return opts.Reopen(r.(tReporter).T, b) }
	}
	if opts.Share != nil {
		cfg.share = func(r reporter, b mlsidb.Backend) mlsidb.Backend { return opts.Share(r.(tReporter).T, b) }
	}
	run(tReporter{t}, cfg)
}

// reporter is the part of *testing.T the suite uses. Run wraps a
// *testing.T; the suite's own tests use a recording fake, so they can run
// the suite against broken backends and check that it fails.
type reporter interface {
	Helper()
	Name() string
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Skip(args ...any)
	Failed() bool
	Cleanup(f func())
	// Run runs f as a subtest called name and waits for it; it reports
	// whether the subtest passed.
	Run(name string, f func(r reporter)) bool
}

// tReporter adapts a *testing.T.
type tReporter struct{ *testing.T }

// Run implements reporter.
func (t tReporter) Run(name string, f func(r reporter)) bool {
	t.T.Helper()
	return t.T.Run(name, func(t *testing.T) { f(tReporter{t}) })
}

// deadlockTimeout bounds calls that would hang if the provider kept a lock
// it should have released.
const deadlockTimeout = 10 * time.Second

// config is what the suite runs against. Run fills it from Options.
type config struct {
	newBackend func(r reporter) mlsidb.Backend
	reopen     func(r reporter, b mlsidb.Backend) mlsidb.Backend // nil: no persistence
	share      func(r reporter, b mlsidb.Backend) mlsidb.Backend // nil: not shareable
}

// suite holds the configuration and the method group table.
type suite struct {
	cfg   config
	cases []*mgCase
}

// run runs every rule family.
func run(r reporter, cfg config) {
	r.Helper()
	cases, err := buildCases()
	if err != nil {
		r.Fatalf("conformance: the method group table does not match the catalogue: %v", err)
		return
	}
	s := &suite{cfg: cfg, cases: cases}
	r.Run("backend", s.backendRules)
	s.perGroup(r, "round-trip", nil, s.roundTrip)
	s.perGroup(r, "upsert", nil, s.upsert)
	r.Run("atomic", s.atomicRules)
	s.perGroup(r, "missing", nil, s.missing)
	s.perGroup(r, "empty-value", nil, s.emptyValue)
	s.perGroup(r, "large-value", nil, s.largeValue)
	s.perGroup(r, "delete-absent", nil, s.deleteAbsent)
	s.perGroup(r, "no-leftovers", nil, s.noLeftovers)
	r.Run("delete-group", s.deleteGroupRules)
	r.Run("version", s.versionRules)
	r.Run("isolation", s.isolationRules)
	r.Run("lists", s.listRules)
	r.Run("concurrency", s.concurrencyRules)
	r.Run("group-lock", s.groupLockRules)
	r.Run("shared", s.sharedRules)
	r.Run("update", s.updateRules)
	r.Run("persistence", s.persistence)
	r.Run("bad-input", s.badInputRules)
	s.perGroup(r, "closed", nil, s.closedGroup)
	r.Run("openmls", s.openmlsRules)
}

// perGroup runs f as subtest name/<method group> for every method group
// that keep accepts (all when keep is nil).
func (s *suite) perGroup(r reporter, name string, keep func(c *mgCase) bool, f func(r reporter, c *mgCase)) {
	r.Helper()
	r.Run(name, func(r reporter) {
		for _, c := range s.cases {
			if keep != nil && !keep(c) {
				continue
			}
			r.Run(c.name, func(r reporter) { f(r, c) })
		}
	})
}

// env is one fresh backend and a provider over it.
type env struct {
	r   reporter
	s   *suite
	ctx context.Context
	b   mlsidb.Backend
	p   *mlsidb.Provider
}

// newEnv returns a provider over a fresh backend, closed when the subtest
// ends.
func (s *suite) newEnv(r reporter) *env {
	r.Helper()
	ctx := context.Background()
	b := s.cfg.newBackend(r)
	if b == nil {
		r.Fatalf("Options.New returned a nil backend")
	}
	p, err := mlsidb.New(ctx, b, mlsidb.Options{})
	if err != nil {
		_ = b.Close()
		r.Fatalf("mlsidb.New over a fresh backend: %v", err)
	}
	r.Cleanup(func() { _ = p.Close() })
	return &env{r: r, s: s, ctx: ctx, b: b, p: p}
}

// must fails the test when err is not nil.
func (e *env) must(err error, what string) {
	e.r.Helper()
	if err != nil {
		e.r.Fatalf("%s: %v", what, err)
	}
}

// snapshot is a copy of every record of every store but the meta store:
// store name, then key, then value.
type snapshot map[string]map[string]string

// snap reads every record of the backend.
func (e *env) snap() snapshot {
	e.r.Helper()
	return snapOf(e.r, e.ctx, e.b)
}

// snapOf reads every record of b, store by store, through Scan over the
// full key range, and checks that Scan returns keys in strictly ascending
// order.
func snapOf(r reporter, ctx context.Context, b mlsidb.Backend) snapshot {
	r.Helper()
	out := snapshot{}
	for _, name := range mlsidb.StoreNames() {
		if name == mlsidb.MetaStore {
			continue
		}
		recs, err := b.Scan(ctx, name, mlsidb.KeyRange{}, false, 0)
		if err != nil {
			r.Fatalf("backend Scan of store %q: %v", name, err)
		}
		m := make(map[string]string, len(recs))
		for i, rec := range recs {
			if i > 0 && bytes.Compare(recs[i-1].Key, rec.Key) >= 0 {
				r.Errorf("backend Scan of store %q: key %s follows %s: keys must be strictly ascending", name, showKey(rec.Key), showKey(recs[i-1].Key))
			}
			m[string(rec.Key)] = string(rec.Value)
		}
		out[name] = m
	}
	return out
}

// count returns how many records the snapshot holds.
func (sn snapshot) count() int {
	n := 0
	for _, m := range sn {
		n += len(m)
	}
	return n
}

// diffSnap describes how got differs from want, at most max lines (0: all).
func diffSnap(want, got snapshot, max int) []string {
	var out []string
	add := func(s string) {
		if max == 0 || len(out) < max {
			out = append(out, s)
		} else if len(out) == max {
			out = append(out, "...")
		}
	}
	names := mlsidb.StoreNames()
	for _, name := range names {
		w, g := want[name], got[name]
		keys := make([]string, 0, len(w)+len(g))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			wv, inW := w[k]
			gv, inG := g[k]
			switch {
			case !inW:
				add(fmt.Sprintf("store %s: unexpected record %s", name, showKey([]byte(k))))
			case !inG:
				add(fmt.Sprintf("store %s: record %s is missing", name, showKey([]byte(k))))
			case wv != gv:
				add(fmt.Sprintf("store %s: record %s holds %s, want %s", name, showKey([]byte(k)), show([]byte(gv)), show([]byte(wv))))
			}
		}
	}
	return out
}

// same fails the test when the backend's records differ from want.
func (e *env) same(want snapshot, what string) {
	e.r.Helper()
	sameSnap(e.r, want, e.snap(), what)
}

func sameSnap(r reporter, want, got snapshot, what string) {
	r.Helper()
	if d := diffSnap(want, got, 6); len(d) > 0 {
		r.Errorf("%s: the backend's records differ:\n\t%s", what, strings.Join(d, "\n\t"))
	}
}

// added returns the records of after that are not in before (or hold
// another value), store by store.
func added(before, after snapshot) map[string][]mlsidb.Record {
	out := map[string][]mlsidb.Record{}
	for _, name := range mlsidb.StoreNames() {
		keys := make([]string, 0)
		for k, v := range after[name] {
			if bv, ok := before[name][k]; !ok || bv != v {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			out[name] = append(out[name], mlsidb.Record{Key: []byte(k), Value: []byte(after[name][k])})
		}
	}
	return out
}

// show describes a value in a test message without printing big ones.
func show(b []byte) string {
	if b == nil {
		return "nil"
	}
	if len(b) <= 24 {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%d bytes %q...", len(b), b[:16])
}

// showKey describes a raw key.
func showKey(k []byte) string {
	if len(k) <= 32 {
		return hex.EncodeToString(k)
	}
	return fmt.Sprintf("%s...(%d bytes)", hex.EncodeToString(k[:24]), len(k))
}

// showList describes a list.
func showList(l [][]byte) string {
	if l == nil {
		return "nil"
	}
	parts := make([]string, len(l))
	for i, b := range l {
		parts[i] = show(b)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// equalLists reports whether a and b hold the same items in the same
// order.
func equalLists(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, bytes.Equal)
}

// val returns a distinctive value for the parts, with a 0x00 and a 0xFF
// byte in it.
func val(parts ...string) []byte {
	return []byte("\x00val:" + strings.Join(parts, "/") + "\xff")
}

// noBytes fails the test when err's text contains any of the secrets, raw
// or hex encoded.
func noBytes(r reporter, err error, what string, secrets ...[]byte) {
	r.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, s := range secrets {
		if len(s) < 6 {
			continue
		}
		probe := s[:min(len(s), 16)]
		for _, form := range []string{string(probe), hex.EncodeToString(probe), strings.ToUpper(hex.EncodeToString(probe)), strings.Trim(fmt.Sprint(probe[:6]), "[]")} {
			if strings.Contains(msg, form) {
				r.Errorf("%s: error text contains key or value bytes: %q", what, msg)
				return
			}
		}
	}
}

// isErr fails the test unless errors.Is(err, target).
func isErr(r reporter, err, target error, what string) bool {
	r.Helper()
	if !errors.Is(err, target) {
		r.Errorf("%s: got error %v, want %v", what, err, target)
		return false
	}
	return true
}
