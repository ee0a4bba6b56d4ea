package jsbridge

import (
	"context"
	"errors"
	"fmt"
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
		{mlsidb.ErrNotFound, CodeNotFound},
		{&mlsidb.Error{Op: "Tree", Err: mlsidb.ErrNotFound}, CodeNotFound},
		{fmt.Errorf("x: %w", mlsidb.ErrInvalidArgument), CodeInvalidArgument},
		{mlsidb.ErrVersionMismatch, CodeVersionMismatch},
		{NewError("InvalidStateError", ""), CodeClosed},
		{NewError("QuotaExceededError", ""), CodeQuotaExceeded},
		{mlsidb.ErrUnavailable, CodeUnavailable},
		{mlsidb.ErrBlocked, CodeBlocked},
		{context.Canceled, CodeCanceled},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), CodeTimeout},
		{errors.New("boom"), CodeInternal},
		{NewError("ConstraintError", ""), CodeInternal},
		{NewPanicError("boom"), CodeInternal},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.err), func(t *testing.T) {
			if got := Code(tt.err); got != tt.want {
				t.Fatalf("Code(%v) = %q, want %q", tt.err, got, tt.want)
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
		{"bytes are not printed", secret, "panic: value of type []uint8"},
		{"struct is not printed", struct{ K []byte }{secret}, "panic: value of type struct { K []uint8 }"},
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
