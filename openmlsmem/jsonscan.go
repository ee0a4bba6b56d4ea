package openmlsmem

import (
	"strconv"
)

// The JSON OpenMLS writes comes from serde_json's compact writer: no
// whitespace between tokens. The helpers below find the extent of JSON
// values (RFC 8259 grammar; whitespace inside a value is accepted, since a
// value is kept as its raw bytes), and read and write the two list shapes
// of MemoryStorage values in exactly the form serde_json writes them, so
// that whatever is accepted is written back byte for byte.

// maxDepth bounds the nesting of JSON values the scanner follows.
const maxDepth = 512

// scanValue returns the end of the JSON value that starts at b[i] (no
// whitespace before it), or -1 when there is none.
func scanValue(b []byte, i int) int {
	return scan(b, i, 0)
}

// isJSONValue reports whether b is exactly one JSON value.
func isJSONValue(b []byte) bool {
	return len(b) > 0 && scanValue(b, 0) == len(b)
}

func scan(b []byte, i, depth int) int {
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case c == '{':
		return scanObject(b, i+1, depth+1)
	case c == '[':
		return scanArray(b, i+1, depth+1)
	case c == '"':
		return scanString(b, i)
	case c == '-' || isDigit(c):
		return scanNumber(b, i)
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	}
	return -1
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func scanLiteral(b []byte, i int, lit string) int {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

func scanObject(b []byte, i, depth int) int { return scanItems(b, i, depth, '}', scanMember) }

func scanArray(b []byte, i, depth int) int { return scanItems(b, i, depth, ']', scan) }

// scanItems scans the comma-separated items of an object or array, from
// b[i] just after its opening byte to past its closing byte end; item
// scans one item (no whitespace before it) and returns its end, or -1.
func scanItems(b []byte, i, depth int, end byte, item func(b []byte, i, depth int) int) int {
	if depth > maxDepth {
		return -1
	}
	i = skipSpace(b, i)
	if i < len(b) && b[i] == end {
		return i + 1
	}
	for {
		if i = item(b, i, depth); i < 0 {
			return -1
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return -1
		}
		switch b[i] {
		case end:
			return i + 1
		case ',':
			i = skipSpace(b, i+1)
		default:
			return -1
		}
	}
}

// scanMember scans an object member, "name": value, that starts at b[i].
func scanMember(b []byte, i, depth int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	if i = scanString(b, i); i < 0 {
		return -1
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return -1
	}
	return scan(b, skipSpace(b, i+1), depth)
}

// scanString scans a string starting at the quote b[i]. Control characters
// must be escaped; other bytes are taken as they are.
func scanString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1
		case c < 0x20:
			return -1
		case c == '\\':
			i++
			if i >= len(b) {
				return -1
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(b)-i < 5 {
					return -1
				}
				for _, h := range b[i+1 : i+5] {
					if !isHex(h) {
						return -1
					}
				}
				i += 4
			default:
				return -1
			}
		}
	}
	return -1
}

func isHex(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func scanNumber(b []byte, i int) int {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && isDigit(b[i]):
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return -1
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return -1
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	return i
}

// parseUint reads b as an unsigned integer written as serde_json writes
// one (decimal, no sign, no leading zeros) that fits in bits.
func parseUint(b []byte, bits int) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 || (b[0] == '0' && len(b) > 1) {
		return 0, false
	}
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(string(b), 10, bits)
	return n, err == nil
}

// splitValues splits a JSON array written without whitespace between its
// elements ("[v,v,v]", "[]") into its elements' raw bytes. ok is false for
// anything else.
func splitValues(b []byte) (items [][]byte, ok bool) {
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, false
	}
	items = [][]byte{}
	if len(b) == 2 {
		return items, true
	}
	i := 1
	for {
		end := scanValue(b, i)
		if end < 0 {
			return nil, false
		}
		if end >= len(b) {
			return nil, false
		}
		items = append(items, b[i:end:end])
		switch {
		case end == len(b)-1:
			return items, true
		case b[end] == ',':
			i = end + 1
		default:
			return nil, false
		}
	}
}

// joinValues is the inverse of splitValues.
func joinValues(items [][]byte) []byte {
	n := 2
	for _, it := range items {
		n += len(it) + 1
	}
	out := make([]byte, 0, n)
	out = append(out, '[')
	for i, it := range items {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, it...)
	}
	return append(out, ']')
}

// parseByteLists reads a JSON array of byte arrays exactly as serde_json
// writes a Vec<Vec<u8>> ("[[1,2],[3]]", "[]"). bad is the index of the
// first item that is not a byte array, or -1 when the outer array itself
// is malformed; it is meaningful only when ok is false.
func parseByteLists(b []byte) (items [][]byte, bad int, ok bool) {
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, -1, false
	}
	items = [][]byte{}
	i := 1
	if len(b) == 2 {
		return items, 0, true
	}
	for {
		if i >= len(b) || b[i] != '[' {
			return nil, len(items), false
		}
		i++
		item := []byte{}
		if i < len(b) && b[i] == ']' {
			i++
		} else {
			for {
				j := i
				for j < len(b) && isDigit(b[j]) {
					j++
				}
				n, okn := parseUint(b[i:j], 8)
				if !okn {
					return nil, len(items), false
				}
				item = append(item, byte(n))
				if j >= len(b) {
					return nil, len(items), false
				}
				i = j + 1
				if b[j] == ']' {
					break
				}
				if b[j] != ',' {
					return nil, len(items), false
				}
			}
		}
		items = append(items, item)
		switch {
		case i == len(b)-1:
			return items, 0, true
		case i < len(b) && b[i] == ',':
			i++
		default:
			return nil, -1, false
		}
	}
}

// appendByteLists writes items as serde_json writes a Vec<Vec<u8>>.
func appendByteLists(out []byte, items [][]byte) []byte {
	out = append(out, '[')
	for i, it := range items {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, '[')
		for j, c := range it {
			if j > 0 {
				out = append(out, ',')
			}
			out = strconv.AppendUint(out, uint64(c), 10)
		}
		out = append(out, ']')
	}
	return append(out, ']')
}
