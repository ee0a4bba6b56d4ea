package conformance

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// recorder is a reporter that records instead of failing the real test,
// so the suite can run against broken backends. Like testing, it runs
// every subtest in its own goroutine and ends it with runtime.Goexit on
// Fatalf and Skip.
type recorder struct {
	name   string
	log    *recordLog
	parent *recorder

	mu       sync.Mutex
	failed   bool
	skipped  bool
	cleanups []func()
}

// recordLog is shared by a recorder and all its subtests.
type recordLog struct {
	mu       sync.Mutex
	failures []string        // "subtest: message", in order
	failed   map[string]bool // subtests that reported a failure themselves
	skipped  []string
	subtests int
}

func newRecorder() *recorder {
	return &recorder{log: &recordLog{failed: map[string]bool{}}}
}

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return r.name }

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	r.failed = true
	r.mu.Unlock()
	r.log.mu.Lock()
	r.log.failures = append(r.log.failures, r.name+": "+fmt.Sprintf(format, args...))
	r.log.failed[r.name] = true
	r.log.mu.Unlock()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Logf(string, ...any) {}

func (r *recorder) Skip(args ...any) {
	r.mu.Lock()
	r.skipped = true
	r.mu.Unlock()
	r.log.mu.Lock()
	r.log.skipped = append(r.log.skipped, r.name+": "+fmt.Sprint(args...))
	r.log.mu.Unlock()
	runtime.Goexit()
}

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

func (r *recorder) Cleanup(f func()) {
	r.mu.Lock()
	r.cleanups = append(r.cleanups, f)
	r.mu.Unlock()
}

func (r *recorder) Run(name string, f func(r reporter)) bool {
	full := name
	if r.name != "" {
		full = r.name + "/" + name
	}
	c := &recorder{name: full, log: r.log, parent: r}
	r.log.mu.Lock()
	r.log.subtests++
	r.log.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer c.runCleanups()
		defer func() {
			if v := recover(); v != nil {
				c.Errorf("panic: %v", v)
			}
		}()
		f(c)
	}()
	<-done
	if c.Failed() {
		r.mu.Lock()
		r.failed = true
		r.mu.Unlock()
	}
	return !c.Failed()
}

func (r *recorder) runCleanups() {
	r.mu.Lock()
	fs := r.cleanups
	r.cleanups = nil
	r.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		func() {
			defer func() {
				if v := recover(); v != nil {
					r.Errorf("panic in cleanup: %v", v)
				}
			}()
			fs[i]()
		}()
	}
}

// failedUnder reports whether a subtest named prefix, or one below it,
// reported a failure.
func (l *recordLog) failedUnder(prefix string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for name := range l.failed {
		if name == prefix || strings.HasPrefix(name, prefix+"/") {
			return true
		}
	}
	return false
}

// families returns the rule families (first two name parts) with
// failures, sorted.
func (l *recordLog) families() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	set := map[string]bool{}
	for name := range l.failed {
		parts := strings.SplitN(name, "/", 3)
		set[strings.Join(parts[:min(2, len(parts))], "/")] = true
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// summary returns the first n failures.
func (l *recordLog) summary(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.failures
	if len(f) > n {
		f = append(f[:n:n], fmt.Sprintf("... and %d more", len(l.failures)-n))
	}
	return strings.Join(f, "\n")
}

// The recorder behaves like testing: Fatalf ends the subtest, failures
// propagate to parents, Skip ends the subtest without failing it, panics
// fail the subtest, cleanups run last first.
func TestRecorder(t *testing.T) {
	rec := newRecorder()
	var order []string
	rec.Run("a", func(r reporter) {
		r.Cleanup(func() { order = append(order, "cleanup 1") })
		r.Cleanup(func() { order = append(order, "cleanup 2") })
		r.Run("fatal", func(r reporter) {
			r.Fatalf("boom %d", 1)
			order = append(order, "after Fatalf")
		})
		r.Run("ok", func(r reporter) { order = append(order, "ok") })
		r.Run("skip", func(r reporter) {
			r.Skip("no reason")
			order = append(order, "after Skip")
		})
		r.Run("panic", func(r reporter) { panic("oops") })
	})
	rec.Run("b", func(r reporter) { r.Run("c", func(r reporter) {}) })
	if got, want := strings.Join(order, ", "), "ok, cleanup 2, cleanup 1"; got != want {
		t.Errorf("order %q, want %q", got, want)
	}
	for _, name := range []string{"a", "a/fatal", "a/panic"} {
		if !rec.log.failedUnder(name) {
			t.Errorf("%s is not recorded as failed", name)
		}
	}
	for _, name := range []string{"b", "a/ok", "a/skip"} {
		if rec.log.failedUnder(name) {
			t.Errorf("%s is recorded as failed", name)
		}
	}
	if !rec.Failed() {
		t.Errorf("the root is not failed")
	}
	if len(rec.log.skipped) != 1 || !strings.HasPrefix(rec.log.skipped[0], "a/skip: ") {
		t.Errorf("skipped %q", rec.log.skipped)
	}
	if rec.log.subtests != 7 {
		t.Errorf("%d subtests counted, want 7", rec.log.subtests)
	}
}
