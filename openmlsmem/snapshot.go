package openmlsmem

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"slices"
	"sort"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mlsidb/mlsidb"
)

// Format is one of the two encodings of a MemoryStorage snapshot.
type Format int

const (
	// Binary is the encoding of MemoryStorage's serialize/deserialize: a
	// u64 big-endian entry count, then per entry a u64 big-endian key
	// length, a u64 big-endian value length, the key bytes and the value
	// bytes.
	Binary Format = iota + 1
	// JSON is the encoding of MemoryStorage's save_to_file/load_from_file:
	// {"values": {"<base64 key>": "<base64 value>", ...}}, standard base64
	// with padding.
	JSON
)

// String returns "binary" or "json".
func (f Format) String() string {
	switch f {
	case Binary:
		return "binary"
	case JSON:
		return "json"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// Entry is one entry of a MemoryStorage map: its full key (label, key
// bytes, version suffix) and its value.
type Entry struct {
	// Key is label ‖ key bytes ‖ provider version (2 bytes big-endian).
	Key []byte
	// Value is the stored value.
	Value []byte
}

// Error reports a snapshot that cannot be read or mapped onto the
// contract. It wraps [mlsidb.ErrInvalidArgument] and names the entry's
// position and label, never key or value bytes.
type Error struct {
	// Entry is the position of the entry in the snapshot, from 0 (binary:
	// the order of the entries; JSON: the order of the members of
	// "values"), or -1 when the error is about the snapshot as a whole.
	Entry int
	// Label is the entry's label when it is known; empty otherwise.
	Label string
	// Reason says what is wrong.
	Reason string
}

// Error returns "openmlsmem: invalid argument: entry <n> (<label>): <reason>".
func (e *Error) Error() string {
	s := "openmlsmem: " + mlsidb.ErrInvalidArgument.Error() + ": "
	if e.Entry >= 0 {
		s += "entry " + strconv.Itoa(e.Entry)
		if e.Label != "" {
			s += " (" + e.Label + ")"
		}
		s += ": "
	}
	return s + e.Reason
}

// Unwrap returns [mlsidb.ErrInvalidArgument].
func (e *Error) Unwrap() error { return mlsidb.ErrInvalidArgument }

func snapshotErr(reason string) error { return &Error{Entry: -1, Reason: reason} }

// Parse reads a snapshot in either encoding into its entries, in snapshot
// order, and says which encoding it was. A snapshot whose first byte after
// any JSON whitespace is '{' is JSON; anything else is binary (a binary
// snapshot starts with a zero byte: no entry count reaches 2^56). The
// entries' slices point into snapshot.
//
// Parse checks the encoding only: lengths, JSON syntax, base64 (standard,
// padded, canonical), and that no key appears twice. It does not look at
// labels or values.
func Parse(snapshot []byte) ([]Entry, Format, error) {
	if len(snapshot) == 0 {
		return nil, 0, snapshotErr("the snapshot is empty (an empty binary snapshot is 8 zero bytes, an empty JSON one {\"values\":{}})")
	}
	var entries []Entry
	var err error
	f := Binary
	if i := skipSpace(snapshot, 0); i < len(snapshot) && snapshot[i] == '{' {
		f = JSON
		entries, err = parseJSON(snapshot)
	} else {
		entries, err = parseBinary(snapshot)
	}
	if err != nil {
		return nil, 0, err
	}
	seen := make(map[string]int, len(entries))
	for i, e := range entries {
		if j, dup := seen[string(e.Key)]; dup {
			return nil, 0, &Error{Entry: i, Reason: "its key is the key of entry " + strconv.Itoa(j)}
		}
		seen[string(e.Key)] = i
	}
	return entries, f, nil
}

func parseBinary(b []byte) ([]Entry, error) {
	if len(b) < 8 {
		return nil, snapshotErr("binary snapshot: shorter than its 8-byte entry count")
	}
	count := binary.BigEndian.Uint64(b)
	rest := b[8:]
	// Every entry takes at least 16 bytes: refuse impossible counts before
	// allocating for them.
	if count > uint64(len(rest))/16 {
		return nil, snapshotErr("binary snapshot: its entry count (" + strconv.FormatUint(count, 10) +
			") does not fit in its " + strconv.Itoa(len(b)) + " bytes")
	}
	entries := make([]Entry, 0, count)
	for i := 0; uint64(i) < count; i++ {
		if len(rest) < 16 {
			return nil, &Error{Entry: i, Reason: "binary snapshot: the entry's lengths run past the end"}
		}
		kl, vl := binary.BigEndian.Uint64(rest), binary.BigEndian.Uint64(rest[8:])
		rest = rest[16:]
		if kl > uint64(len(rest)) || vl > uint64(len(rest))-kl {
			return nil, &Error{Entry: i, Reason: "binary snapshot: the entry's key and value run past the end"}
		}
		k := rest[:kl:kl]
		v := rest[kl : kl+vl : kl+vl]
		rest = rest[kl+vl:]
		entries = append(entries, Entry{Key: k, Value: v})
	}
	if len(rest) != 0 {
		return nil, snapshotErr("binary snapshot: " + strconv.Itoa(len(rest)) + " bytes after the last of its " +
			strconv.FormatUint(count, 10) + " entries")
	}
	return entries, nil
}

// parseJSON reads {"values": {"<base64 key>": "<base64 value>", ...}},
// with any JSON whitespace between tokens and any JSON escapes in the
// strings. It is a hand-written reader of that one shape, not
// encoding/json: encoding/json, with the reflection and fmt it brings,
// would be a quarter of mlsidb.wasm. A test checks it against
// encoding/json's tokenizer.
func parseJSON(b []byte) ([]Entry, error) {
	r := &jsonReader{b: b}
	bad := func(what string) error { return snapshotErr("JSON snapshot: " + what) }
	if r.skip(); !r.eat('{') {
		return nil, bad("not a JSON object")
	}
	var entries []Entry
	var err error
	haveValues := false
	for first := true; ; first = false {
		r.skip()
		if first && r.eat('}') {
			break
		}
		if !first {
			if r.eat('}') {
				break
			}
			if !r.eat(',') {
				return nil, bad("malformed JSON")
			}
			r.skip()
		}
		name, ok := r.str()
		if !ok {
			return nil, bad("malformed JSON")
		}
		if name != "values" || haveValues {
			// serde ignores unknown fields, but a member this code does not
			// know could hold state that an import would silently drop.
			return nil, bad(`the object has a member other than one "values"`)
		}
		haveValues = true
		r.skip()
		if !r.eat(':') {
			return nil, bad(`"values" is not a JSON object`)
		}
		if r.skip(); !r.eat('{') {
			return nil, bad(`"values" is not a JSON object`)
		}
		for i := 0; ; i++ {
			r.skip()
			if c := r.peek(); c < 0 || c == ']' {
				return nil, bad("malformed JSON")
			}
			if i == 0 && r.eat('}') {
				break
			}
			if i > 0 {
				if r.eat('}') {
					break
				}
				if !r.eat(',') {
					return nil, &Error{Entry: i, Reason: "JSON snapshot: malformed JSON"}
				}
				r.skip()
			}
			ks, ok := r.str()
			if r.skip(); !ok || !r.eat(':') {
				return nil, &Error{Entry: i, Reason: "JSON snapshot: malformed JSON"}
			}
			r.skip()
			if r.peek() != '"' {
				// Like encoding/json's tokenizer: an object or array is a
				// value that is no string, whatever follows its first byte;
				// a number or literal must be well formed.
				if c := r.peek(); c == '{' || c == '[' || (c >= 0 && scanValue(b, r.i) > r.i) {
					return nil, &Error{Entry: i, Reason: "JSON snapshot: the value is not a string"}
				}
				return nil, &Error{Entry: i, Reason: "JSON snapshot: malformed JSON"}
			}
			vs, ok := r.str()
			if !ok {
				return nil, &Error{Entry: i, Reason: "JSON snapshot: malformed JSON"}
			}
			if entries, err = appendJSONEntry(entries, i, ks, vs); err != nil {
				return nil, err
			}
		}
	}
	if !haveValues {
		return nil, bad(`no "values" member`)
	}
	if r.skip(); r.i != len(b) {
		return nil, bad("more after the object")
	}
	if entries == nil {
		entries = []Entry{}
	}
	return entries, nil
}

// appendJSONEntry decodes the i-th entry of a JSON snapshot, its key and
// value given as the base64 strings of its member, and appends it to
// entries.
func appendJSONEntry(entries []Entry, i int, ks, vs string) ([]Entry, error) {
	k, okk := decodeBase64(ks)
	v, okv := decodeBase64(vs)
	switch {
	case !okk:
		return nil, &Error{Entry: i, Reason: "JSON snapshot: the key is not standard padded base64"}
	case !okv:
		return nil, &Error{Entry: i, Reason: "JSON snapshot: the value is not standard padded base64"}
	}
	return append(entries, Entry{Key: k, Value: v}), nil
}

// jsonReader reads JSON tokens from b, from i on.
type jsonReader struct {
	b []byte
	i int
}

// skip skips JSON whitespace.
func (r *jsonReader) skip() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// peek returns the next byte, or -1 at the end.
func (r *jsonReader) peek() int {
	if r.i < len(r.b) {
		return int(r.b[r.i])
	}
	return -1
}

// eat consumes c when it comes next.
func (r *jsonReader) eat(c byte) bool {
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// str reads a JSON string and returns its value, escapes decoded (as
// encoding/json does: a lone surrogate becomes U+FFFD, and so does
// invalid UTF-8).
func (r *jsonReader) str() (string, bool) {
	if !r.eat('"') {
		return "", false
	}
	var out []byte
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			r.i++
			return string(out), true
		case c < 0x20:
			return "", false
		case c == '\\':
			if r.i+1 >= len(r.b) {
				return "", false
			}
			e := r.b[r.i+1]
			r.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				c1, ok := r.hex4()
				if !ok {
					return "", false
				}
				if utf16.IsSurrogate(c1) {
					if r.i+1 < len(r.b) && r.b[r.i] == '\\' && r.b[r.i+1] == 'u' {
						save := r.i
						r.i += 2
						if c2, ok := r.hex4(); ok {
							if dec := utf16.DecodeRune(c1, c2); dec != utf8.RuneError {
								out = utf8.AppendRune(out, dec)
								continue
							}
						}
						r.i = save
					}
					c1 = utf8.RuneError
				}
				out = utf8.AppendRune(out, c1)
			default:
				return "", false
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			r.i++
		default:
			ru, size := utf8.DecodeRune(r.b[r.i:])
			out = utf8.AppendRune(out, ru) // invalid UTF-8 becomes U+FFFD
			r.i += size
		}
	}
	return "", false
}

// hex4 reads the 4 hex digits of a \u escape.
func (r *jsonReader) hex4() (rune, bool) {
	if r.i+4 > len(r.b) {
		return 0, false
	}
	var v rune
	for _, c := range r.b[r.i : r.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | rune(c)
	}
	r.i += 4
	return v, true
}

// decodeBase64 decodes standard padded base64 and accepts only the one
// spelling that encodes to the same string (Go's decoder would skip line
// breaks), so an export writes back exactly the strings it read.
func decodeBase64(s string) ([]byte, bool) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || base64.StdEncoding.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}

// entriesByKey sorts entries by key. (sort.Sort rather than
// slices.SortFunc: every generic sort is kilobytes of wasm of its own.)
type entriesByKey []Entry

func (s entriesByKey) Len() int           { return len(s) }
func (s entriesByKey) Less(i, j int) bool { return bytes.Compare(s[i].Key, s[j].Key) < 0 }
func (s entriesByKey) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }

// member is a member of a JSON snapshot's "values": base64 key and value.
type member struct{ k, v string }

// membersByKey sorts members by their base64 key.
type membersByKey []member

func (s membersByKey) Len() int           { return len(s) }
func (s membersByKey) Less(i, j int) bool { return s[i].k < s[j].k }
func (s membersByKey) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }

// Encode writes entries as a snapshot in format f, ordered by key (binary)
// or by base64 key (JSON) so that the same entries always give the same
// bytes. It refuses two entries with the same key.
func Encode(entries []Entry, f Format) ([]byte, error) {
	if f != Binary && f != JSON {
		return nil, snapshotErr("unknown snapshot format " + f.String())
	}
	sorted := slices.Clone(entries)
	sort.Sort(entriesByKey(sorted))
	for i := 1; i < len(sorted); i++ {
		if bytes.Equal(sorted[i-1].Key, sorted[i].Key) {
			return nil, snapshotErr("two entries have the same key")
		}
	}
	if f == Binary {
		n := 8
		for _, e := range sorted {
			n += 16 + len(e.Key) + len(e.Value)
		}
		out := make([]byte, 0, n)
		out = binary.BigEndian.AppendUint64(out, uint64(len(sorted)))
		for _, e := range sorted {
			out = binary.BigEndian.AppendUint64(out, uint64(len(e.Key)))
			out = binary.BigEndian.AppendUint64(out, uint64(len(e.Value)))
			out = append(out, e.Key...)
			out = append(out, e.Value...)
		}
		return out, nil
	}
	members := make(membersByKey, len(sorted))
	n := 14
	for i, e := range sorted {
		members[i] = member{base64.StdEncoding.EncodeToString(e.Key), base64.StdEncoding.EncodeToString(e.Value)}
		n += len(members[i].k) + len(members[i].v) + 6
	}
	sort.Sort(members)
	out := make([]byte, 0, n)
	out = append(out, `{"values":{`...)
	for i, m := range members {
		if i > 0 {
			out = append(out, ',')
		}
		// base64 needs no JSON escaping.
		out = append(out, '"')
		out = append(out, m.k...)
		out = append(out, `":"`...)
		out = append(out, m.v...)
		out = append(out, '"')
	}
	return append(out, "}}"...), nil
}
