//go:build js && wasm

package idbstore

import "strconv"

// Errors are built without fmt: fmt, and the reflection it makes the
// linker keep, would be a tenth of mlsidb.wasm.

// wrapError reads "<prefix>: <err>" and wraps err (fmt.Errorf's "%s: %w").
type wrapError struct {
	prefix string
	err    error
}

func (e *wrapError) Error() string { return e.prefix + ": " + e.err.Error() }
func (e *wrapError) Unwrap() error { return e.err }

func wrapf(prefix string, err error) error { return &wrapError{prefix: prefix, err: err} }

// detailError reads "<sentinel>: <detail>" and wraps sentinel
// (fmt.Errorf's "%w: %s").
type detailError struct {
	sentinel error
	detail   string
}

func (e *detailError) Error() string { return e.sentinel.Error() + ": " + e.detail }
func (e *detailError) Unwrap() error { return e.sentinel }

func detailf(sentinel error, detail string) error {
	return &detailError{sentinel: sentinel, detail: detail}
}

func itoa(i int) string { return strconv.Itoa(i) }

// quote is strconv.Quote for names in error messages, ASCII only (strconv's
// quoting brings Unicode tables into the wasm): printable ASCII as it is,
// quotes and backslashes escaped, every other byte as \xNN.
func quote(s string) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, len(s)+2)
	out = append(out, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			out = append(out, '\\', c)
		case c >= 0x20 && c < 0x7f:
			out = append(out, c)
		default:
			out = append(out, '\\', 'x', digits[c>>4], digits[c&15])
		}
	}
	return string(append(out, '"'))
}
