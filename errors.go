package mlsidb

import (
	"errors"
	"strings"
)

// Sentinel errors. Every error returned by a [Provider] wraps one of them,
// or a context error; check with [errors.Is].
var (
	// ErrNotFound reports that a single value is not stored. Lists never
	// report it: a missing list is an empty list.
	ErrNotFound = errors.New("not found")
	// ErrInvalidArgument reports bad input (an empty key, a key that is too
	// long, a nil function). Nothing was written.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrVersionMismatch reports data written by a provider version other
	// than the one this provider is bound to, or by a newer version than
	// this code knows.
	ErrVersionMismatch = errors.New("version mismatch")
	// ErrClosed reports a call on a closed store, or on a store that was
	// closed because another connection upgraded its schema.
	ErrClosed = errors.New("store closed")
	// ErrQuotaExceeded reports that the storage quota does not allow the
	// write. Nothing of the failed write was stored.
	ErrQuotaExceeded = errors.New("storage quota exceeded")
	// ErrUnavailable reports that the storage the backend needs is not
	// available in this host (for example no IndexedDB).
	ErrUnavailable = errors.New("storage unavailable")
	// ErrBlocked reports that opening or upgrading the storage was held up
	// by another connection for longer than allowed.
	ErrBlocked = errors.New("storage blocked")
)

// Error is the error type of every failed [Provider] call. It names the
// operation and the method group and wraps one of the sentinel errors. It
// never contains key or value bytes.
type Error struct {
	// Op is the Go name of the contract method, for example "WriteTree",
	// or "Update", "DeleteGroup", "New", "Close".
	Op string
	// Group is the method group the operation belongs to; NoMethodGroup for
	// operations that span method groups.
	Group MethodGroup
	// Err is the underlying error; it wraps a sentinel error.
	Err error
}

// Error returns "mlsidb: <op> (<method group>): <cause>".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("mlsidb: ")
	b.WriteString(e.Op)
	if e.Group != NoMethodGroup {
		b.WriteString(" (")
		b.WriteString(e.Group.String())
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// invalid returns an error wrapping ErrInvalidArgument with a fixed
// description. The description must never contain key or value bytes.
func invalid(what string) error {
	return &detailError{sentinel: ErrInvalidArgument, detail: what}
}

// detailError wraps a sentinel with a short description.
type detailError struct {
	sentinel error
	detail   string
}

func (e *detailError) Error() string { return e.sentinel.Error() + ": " + e.detail }
func (e *detailError) Unwrap() error { return e.sentinel }

// versionMismatch returns an error wrapping ErrVersionMismatch with a fixed
// description (versions are numbers, never stored bytes).
func versionMismatch(what string) error {
	return &detailError{sentinel: ErrVersionMismatch, detail: what}
}

// IsNotFound reports whether err wraps ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
