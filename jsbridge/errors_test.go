package jsbridge

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/mlsidb/mlsidb"
)

func TestSentinel(t *testing.T) {
	tests := []struct {
		name string
		want error
	}{
		{"QuotaExceededError", mlsidb.ErrQuotaExceeded},
		{"InvalidStateError", mlsidb.ErrClosed},
		{"TransactionInactiveError", mlsidb.ErrClosed},
		{"VersionError", mlsidb.ErrVersionMismatch},
		{"DataError", mlsidb.ErrInvalidArgument},
		{"SecurityError", mlsidb.ErrUnavailable},
		{"ConstraintError", nil},
		{"AbortError", nil},
		{"UnknownError", nil},
		{"TypeError", nil},
		{"", nil},
		{"quotaexceedederror", nil}, // names are case-sensitive
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sentinel(tt.name); got != tt.want {
				t.Fatalf("Sentinel(%q) = %v, want %v", tt.name, got, tt.want)
			}
			err := NewError(tt.name, "msg")
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("NewError(%q) = %v, does not wrap %v", tt.name, err, tt.want)
			}
			for _, s := range []error{mlsidb.ErrQuotaExceeded, mlsidb.ErrClosed, mlsidb.ErrVersionMismatch, mlsidb.ErrInvalidArgument, mlsidb.ErrUnavailable, mlsidb.ErrNotFound, mlsidb.ErrBlocked} {
				if s != tt.want && errors.Is(err, s) {
					t.Fatalf("NewError(%q) = %v wraps %v too", tt.name, err, s)
				}
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		name, msg, want string
	}{
		{"QuotaExceededError", "The quota has been exceeded.", "storage quota exceeded: QuotaExceededError: The quota has been exceeded."},
		{"ConstraintError", "Key already exists.", "ConstraintError: Key already exists."},
		{"UnknownError", "", "UnknownError"},
		{"", "", "Error"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := NewError(tt.name, tt.msg).Error(); got != tt.want {
				t.Fatalf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorMessageBounded(t *testing.T) {
	err := NewError("TypeError", strings.Repeat("x", 10*maxMessageLen))
	if n := len(err.Message); n > maxMessageLen+3 {
		t.Fatalf("message kept %d bytes, want at most %d", n, maxMessageLen+3)
	}
}

func TestCode(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{fmt.Errorf("x: %w", mlsidb.ErrInvalidArgument), CodeInvalidArgument},
		{&mlsidb.Error{Op: "WriteTree", Err: mlsidb.ErrInvalidArgument}, CodeInvalidArgument},
		{NewError("DataError", ""), CodeInvalidArgument},
		{fmt.Errorf("x: %w", mlsidb.ErrQuotaExceeded), CodeQuotaExceeded},
		{NewError("QuotaExceededError", ""), CodeQuotaExceeded},
		{mlsidb.ErrVersionMismatch, CodeVersionMismatch},
		{&mlsidb.Error{Op: "Tree", Err: mlsidb.ErrClosed}, CodeClosed},
		{NewError("InvalidStateError", ""), CodeClosed},
		{mlsidb.ErrUnavailable, CodeUnavailable},
		{mlsidb.ErrBlocked, CodeBlocked},
		// No code of their own: Internal.
		{mlsidb.ErrNotFound, CodeInternal},
		{&mlsidb.Error{Op: "Tree", Err: mlsidb.ErrNotFound}, CodeInternal},
		{context.Canceled, CodeInternal},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), CodeInternal},
		{errors.New("boom"), CodeInternal},
		{NewError("ConstraintError", ""), CodeInternal},
		{NewPanicError("boom"), CodeInternal},
		{Guard(func() error { panic("boom") }), CodeInternal},
		// Precedence, for an error that wraps two sentinels.
		{errors.Join(mlsidb.ErrUnavailable, mlsidb.ErrInvalidArgument), CodeInvalidArgument},
		{errors.Join(mlsidb.ErrClosed, mlsidb.ErrQuotaExceeded), CodeQuotaExceeded},
		{errors.Join(mlsidb.ErrClosed, mlsidb.ErrVersionMismatch), CodeVersionMismatch},
		{errors.Join(mlsidb.ErrBlocked, mlsidb.ErrClosed), CodeClosed},
		{errors.Join(mlsidb.ErrBlocked, mlsidb.ErrUnavailable), CodeUnavailable},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.err), func(t *testing.T) {
			if got := Code(tt.err); got != tt.want {
				t.Fatalf("Code(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

// TestCodesMatchTheJSModule checks that the codes Go rejects with are
// exactly those web/mlsidb.js (ErrorCode) and web/mlsidb.d.ts
// (ErrorCodeName) know: the JS module turns any other code into Internal.
func TestCodesMatchTheJSModule(t *testing.T) {
	if runtime.GOOS == "js" {
		t.Skip("reads files of the repository: runs natively")
	}
	goCodes := []string{CodeInvalidArgument, CodeQuotaExceeded, CodeVersionMismatch, CodeClosed, CodeUnavailable, CodeBlocked, CodeInternal}
	for _, c := range codes {
		if !slices.Contains(goCodes, c.code) {
			t.Errorf("the mapping uses code %q, which is not in the list above", c.code)
		}
	}
	sources := []struct {
		file, block string
		item        *regexp.Regexp
	}{
		{"../web/mlsidb.js", `export const ErrorCode = Object.freeze\(\{([^}]*)\}\)`, regexp.MustCompile(`(\w+): '(\w+)'`)},
		{"../web/mlsidb.d.ts", `export type ErrorCodeName =([^;]*);`, regexp.MustCompile(`()'(\w+)'`)},
	}
	for _, src := range sources {
		text, err := os.ReadFile(src.file)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(src.block).FindSubmatch(text)
		if m == nil {
			t.Fatalf("%s: no match for %s", src.file, src.block)
		}
		var jsCodes []string
		for _, it := range src.item.FindAllSubmatch(m[1], -1) {
			if len(it[1]) > 0 && string(it[1]) != string(it[2]) {
				t.Errorf("%s: ErrorCode.%s = %q", src.file, it[1], it[2])
			}
			jsCodes = append(jsCodes, string(it[2]))
		}
		if !slices.Equal(jsCodes, goCodes) {
			t.Errorf("%s has the codes %q, Go has %q", src.file, jsCodes, goCodes)
		}
	}
}

func TestGuard(t *testing.T) {
	boom := errors.New("boom")
	if err := Guard(func() error { return boom }); err != boom {
		t.Fatalf("Guard returned %v, want the function's error", err)
	}
	if err := Guard(func() error { return nil }); err != nil {
		t.Fatalf("Guard returned %v, want nil", err)
	}
	secret := []byte{0xde, 0xad}
	tests := []struct {
		name string
		f    func() error
		want string
	}{
		{"string", func() error { panic("bad state") }, "mlsidb: internal error: panic: bad state"},
		{"error", func() error { panic(boom) }, "mlsidb: internal error: panic: boom"},
		{"runtime error", func() error {
			var m map[string]int
			m["x"] = 1
			return nil
		}, "mlsidb: internal error: panic: assignment to entry in nil map"},
		{"bytes are not printed", func() error { panic(secret) }, "mlsidb: internal error: panic: value of type []uint8 (not printed)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Guard(tt.f)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Guard = %v, want %q", err, tt.want)
			}
			var pe *PanicError
			if !errors.As(err, &pe) {
				t.Fatalf("%v does not wrap a *PanicError", err)
			}
			if Code(err) != CodeInternal {
				t.Fatalf("Code = %q", Code(err))
			}
		})
	}
}

func TestNewPanicError(t *testing.T) {
	secret := []byte{0xde, 0xad, 0xbe, 0xef}
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"string", "index out of range", "panic: index out of range"},
		{"error", errors.New("boom"), "panic: boom"},
		{"bytes are not printed", secret, "panic: value of type []uint8 (not printed)"},
		{"struct is not printed", struct{ K []byte }{secret}, "panic: value of type other than error or string (not printed)"},
		{"long string is cut", strings.Repeat("p", 2*maxMessageLen), "panic: " + strings.Repeat("p", maxMessageLen) + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewPanicError(tt.v).Error(); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
