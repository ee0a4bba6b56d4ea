package jsbridge

import (
	"errors"

	"github.com/mlsidb/mlsidb"
)

// maxMessageLen caps the JS message kept in an [Error]. Browser messages
// are short; the cap keeps a hostile or buggy script from putting
// arbitrary amounts of text into Go errors.
const maxMessageLen = 512

// Error is a JavaScript exception or error value (usually a DOMException)
// converted to Go. It wraps the mlsidb sentinel error its name maps to (see
// [Sentinel]), if any, so errors.Is works on it.
type Error struct {
	// Name is the JS error's name, for example "QuotaExceededError" or
	// "TypeError".
	Name string
	// Message is the JS error's message, truncated to a bounded length.
	Message string
	// Err is the sentinel error Name maps to, or nil.
	Err error
}

// NewError returns the [Error] for a JS error name and message, wrapping
// the sentinel that [Sentinel] maps the name to.
func NewError(name, message string) *Error {
	if name == "" {
		name = "Error"
	}
	if len(message) > maxMessageLen {
		message = message[:maxMessageLen] + "..."
	}
	return &Error{Name: name, Message: message, Err: Sentinel(name)}
}

// Error returns "<sentinel>: <name>: <message>", leaving out the parts
// that are empty.
func (e *Error) Error() string {
	s := e.Name
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s = e.Err.Error() + ": " + s
	}
	return s
}

// Unwrap returns the sentinel error the name maps to, or nil.
func (e *Error) Unwrap() error { return e.Err }

// sentinels maps DOMException names to the mlsidb sentinel errors.
var sentinels = map[string]error{
	// The write does not fit the origin's storage quota.
	"QuotaExceededError": mlsidb.ErrQuotaExceeded,
	// IndexedDB throws it when a transaction is started on a closed (or
	// closing) connection; that is how a closed store shows.
	"InvalidStateError": mlsidb.ErrClosed,
	// A request on a transaction that has already finished.
	"TransactionInactiveError": mlsidb.ErrClosed,
	// Opening a database with a lower version than it has.
	"VersionError": mlsidb.ErrVersionMismatch,
	// An invalid key or key range.
	"DataError": mlsidb.ErrInvalidArgument,
	// Storage access denied (opaque origin, sandboxed frame, policy).
	"SecurityError": mlsidb.ErrUnavailable,
}

// Sentinel returns the mlsidb sentinel error that a DOMException name maps
// to, or nil for names with no sentinel:
//
//	QuotaExceededError        ErrQuotaExceeded
//	InvalidStateError         ErrClosed (a transaction on a closed connection)
//	TransactionInactiveError  ErrClosed
//	VersionError              ErrVersionMismatch
//	DataError                 ErrInvalidArgument
//	SecurityError             ErrUnavailable
func Sentinel(name string) error { return sentinels[name] }

// Codes are the stable error codes JavaScript sees on a rejected Promise
// (the `code` property of the rejection; see [Code] and [ErrorToJS]).
// They are the codes of web/mlsidb.js (its ErrorCode) and web/mlsidb.d.ts
// (ErrorCodeName); a test keeps the three lists equal.
const (
	CodeInvalidArgument = "InvalidArgument"
	CodeQuotaExceeded   = "QuotaExceeded"
	CodeVersionMismatch = "VersionMismatch"
	CodeClosed          = "Closed"
	CodeUnavailable     = "Unavailable"
	CodeBlocked         = "Blocked"
	CodeInternal        = "Internal"
)

// codes maps the mlsidb sentinels to their codes, in order of precedence:
// an error that wraps two sentinels gets the code of the first.
var codes = []struct {
	err  error
	code string
}{
	{mlsidb.ErrInvalidArgument, CodeInvalidArgument},
	{mlsidb.ErrQuotaExceeded, CodeQuotaExceeded},
	{mlsidb.ErrVersionMismatch, CodeVersionMismatch},
	{mlsidb.ErrClosed, CodeClosed},
	{mlsidb.ErrUnavailable, CodeUnavailable},
	{mlsidb.ErrBlocked, CodeBlocked},
}

// Code returns the stable code of err for JavaScript: the code of the
// first sentinel err wraps (in the order of the constants above), "" for
// nil, and [CodeInternal] for any other error. Errors with no code of
// their own are Internal too: mlsidb.ErrNotFound (a missing value reaches
// JavaScript as undefined, never as a rejection), context errors and
// recovered panics.
func Code(err error) string {
	if err == nil {
		return ""
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return CodeInternal
}

// Guard runs f and returns its error. A panic in f is recovered and
// returned as an error (code [CodeInternal]) that reads "mlsidb: internal
// error: panic: ..." and wraps a [*PanicError], so a bug in one call
// rejects that call instead of ending the wasm program (and every store
// on the page with it).
func Guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &internalError{NewPanicError(r)}
		}
	}()
	return f()
}

// internalError reads "mlsidb: internal error: <err>" and wraps err.
type internalError struct{ err error }

func (e *internalError) Error() string { return "mlsidb: internal error: " + e.err.Error() }
func (e *internalError) Unwrap() error { return e.err }

// typeName names the type of a panic value, for the few kinds a panic
// carries (without fmt's %T, which needs reflection: fmt would be a tenth
// of the wasm).
func typeName(v any) string {
	switch v.(type) {
	case []byte:
		return "[]uint8"
	case int:
		return "int"
	case int64:
		return "int64"
	case uint32:
		return "uint32"
	case uint64:
		return "uint64"
	case float64:
		return "float64"
	case bool:
		return "bool"
	case nil:
		return "nil"
	}
	return "other than error or string"
}

// PanicError is a recovered Go panic turned into an error (code
// [CodeInternal]); see [Guard].
type PanicError struct {
	// Value describes the panic value: an error's or a string's text, and
	// only the type of any other value (whose formatting could hold bytes
	// the caller passed in).
	Value string
}

// Error returns "panic: <value>".
func (e *PanicError) Error() string { return "panic: " + e.Value }

// NewPanicError describes a recovered panic value v.
func NewPanicError(v any) *PanicError {
	var s string
	switch v := v.(type) {
	case error:
		s = v.Error()
	case string:
		s = v
	default:
		s = "value of type " + typeName(v) + " (not printed)"
	}
	if len(s) > maxMessageLen {
		s = s[:maxMessageLen] + "..."
	}
	return &PanicError{Value: s}
}
