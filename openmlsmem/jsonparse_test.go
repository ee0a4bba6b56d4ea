package openmlsmem

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

// parseJSONStd is the reference reader of the JSON snapshot, on
// encoding/json's tokenizer (what parseJSON replaced, to keep encoding/json
// out of mlsidb.wasm). It decodes each entry's base64 with the package's
// own appendJSONEntry, as parseJSON does: what it checks is the JSON reading.
func parseJSONStd(b []byte) ([]Entry, error) {
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
			if entries, err = appendJSONEntry(entries, i, ks, vs); err != nil {
				return nil, err
			}
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

var jsonCases = []string{
	`{"values":{}}`, ` { "values" : { } } `, "\t{\n\"values\"\r:{}}\n", `{"values":{"QQ==":"Qg=="}}`,
	`{"values":{"QQ==":"Qg==","Qw==":""}}`, `{"values":{"QQ==" : "Qg==" , "Qw==":"RA=="}}`,
	`{"values":{"Q\u0051==":"Q\/=="}}`, `{"valu\u0065s":{}}`, `{"values":{"QQ==":"Qg\u003d\u003d"}}`,
	`{"values":{"\ud83d\ude00":"QQ=="}}`, `{"values":{"\ud83d":"QQ=="}}`, `{"values":{"\uZZZZ":"QQ=="}}`,
	`{"values":{"QQ==":"Qg=="},}`, `{"values":{"QQ==":"Qg==",}}`, `{"values":{,}}`, `{,"values":{}}`,
	`{"values":{}}{}`, `{"values":{}} `, `{"values":{}}x`, `{"values":{}`, `{"values":`, `{"values"`, `{`, ``,
	`[]`, `"x"`, `{"values":null}`, `{"values":[]}`, `{"values":"x"}`, `{"x":{}}`, `{"values":{},"values":{}}`,
	`{"values":{"QQ==":1}}`, `{"values":{"QQ==":true}}`, `{"values":{"QQ==":null}}`, `{"values":{"QQ==":{}}}`,
	`{"values":{"QQ==":[1,2]}}`, `{"values":{"QQ==":x}}`, `{"values":{"QQ==":}}`, `{"values":{"QQ=="}}`,
	`{"values":{"QQ==":"Qg==" "Qw==":"RA=="}}`, `{"values":{1:"QQ=="}}`, `{"values":{"QQ==":"a` + "\n" + `"}}`,
	`{"values":{"QQ==":"\x"}}`, "{\"values\":{\"\xff\":\"QQ==\"}}", `{"values":{"QQ":"QQ=="}}`,
	`{"values":{"QUJD\nREVG":"QQ=="}}`, `{"values":{"QQ==":"-_-_"}}`, `{"values":{}} {}`,
}

// parseJSON reads what encoding/json's tokenizer reads, the same way.
func TestParseJSONMatchesEncodingJSON(t *testing.T) {
	for _, c := range jsonCases {
		checkJSONParsers(t, []byte(c))
	}
}

func checkJSONParsers(t *testing.T, b []byte) {
	t.Helper()
	got, gerr := parseJSON(b)
	want, werr := parseJSONStd(b)
	if (gerr == nil) != (werr == nil) {
		t.Fatalf("%q: parseJSON: %v; encoding/json: %v", b, gerr, werr)
	}
	if gerr != nil {
		var ge, we *Error
		if !errors.As(gerr, &ge) || !errors.As(werr, &we) {
			t.Fatalf("%q: parseJSON: %v; encoding/json: %v", b, gerr, werr)
		}
		// The reasons are the same, but that encoding/json refuses numbers
		// out of float64's range as malformed, where parseJSON says the
		// value is not a string.
		sameReason := ge.Reason == we.Reason ||
			strings.HasSuffix(ge.Reason, "not a string") && strings.HasSuffix(we.Reason, "malformed JSON")
		if ge.Entry != we.Entry || !sameReason {
			t.Errorf("%q: parseJSON: %v; encoding/json: %v", b, gerr, werr)
		}
		return
	}
	if len(got) != len(want) {
		t.Fatalf("%q: %d entries, want %d", b, len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].Key, want[i].Key) || !bytes.Equal(got[i].Value, want[i].Value) {
			t.Fatalf("%q: entry %d differs", b, i)
		}
	}
}

// FuzzParseJSON compares parseJSON with the encoding/json reader (run it
// with go test -fuzz FuzzParseJSON ./openmlsmem/).
func FuzzParseJSON(f *testing.F) {
	for _, c := range jsonCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 0 && b[0] == '{' {
			checkJSONParsers(t, b)
		}
	})
}
