package openmlsmem

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"

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

func parseJSON(b []byte) ([]Entry, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	bad := func(what string) error { return snapshotErr("JSON snapshot: " + what) }
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, bad("not a JSON object")
	}
	var entries []Entry
	haveValues := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, bad("malformed JSON")
		}
		if name, _ := t.(string); name != "values" || haveValues {
			// serde ignores unknown fields, but a member this code does not
			// know could hold state that an import would silently drop.
			return nil, bad(`the object has a member other than one "values"`)
		}
		haveValues = true
		if t, err := dec.Token(); err != nil || t != json.Delim('{') {
			return nil, bad(`"values" is not a JSON object`)
		}
		for i := 0; dec.More(); i++ {
			kt, err := dec.Token()
			if err != nil {
				return nil, &Error{Entry: i, Reason: "JSON snapshot: malformed JSON"}
			}
			vt, err := dec.Token()
			if err != nil {
				return nil, &Error{Entry: i, Reason: "JSON snapshot: malformed JSON"}
			}
			ks, _ := kt.(string)
			vs, ok := vt.(string)
			if !ok {
				return nil, &Error{Entry: i, Reason: "JSON snapshot: the value is not a string"}
			}
			k, okk := decodeBase64(ks)
			v, okv := decodeBase64(vs)
			switch {
			case !okk:
				return nil, &Error{Entry: i, Reason: "JSON snapshot: the key is not standard padded base64"}
			case !okv:
				return nil, &Error{Entry: i, Reason: "JSON snapshot: the value is not standard padded base64"}
			}
			entries = append(entries, Entry{Key: k, Value: v})
		}
		if _, err := dec.Token(); err != nil {
			return nil, bad("malformed JSON")
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, bad("malformed JSON")
	}
	if !haveValues {
		return nil, bad(`no "values" member`)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, bad("more after the object")
	}
	if entries == nil {
		entries = []Entry{}
	}
	return entries, nil
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

// Encode writes entries as a snapshot in format f, ordered by key (binary)
// or by base64 key (JSON) so that the same entries always give the same
// bytes. It refuses two entries with the same key.
func Encode(entries []Entry, f Format) ([]byte, error) {
	if f != Binary && f != JSON {
		return nil, snapshotErr("unknown snapshot format " + f.String())
	}
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b Entry) int { return bytes.Compare(a.Key, b.Key) })
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
	type kv struct{ k, v string }
	members := make([]kv, len(sorted))
	n := 14
	for i, e := range sorted {
		members[i] = kv{base64.StdEncoding.EncodeToString(e.Key), base64.StdEncoding.EncodeToString(e.Value)}
		n += len(members[i].k) + len(members[i].v) + 6
	}
	slices.SortFunc(members, func(a, b kv) int { return strings.Compare(a.k, b.k) })
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
