package openmlsmem

import (
	"reflect"
	"strings"
	"testing"

	"github.com/mlsidb/mlsidb"
)

// The label table: 19 labels, none a prefix of another (so a key's label
// is never in doubt), every method group reached, and a write and a delete
// call for every single-value method group.
func TestLabelTable(t *testing.T) {
	if len(labels) != 19 {
		t.Errorf("%d labels, want 19", len(labels))
	}
	groups := map[mlsidb.MethodGroup]bool{}
	for i, a := range labels {
		groups[a.group] = true
		for j, b := range labels {
			if i != j && strings.HasPrefix(b.name, a.name) {
				t.Errorf("label %s is a prefix of %s", a.name, b.name)
			}
		}
	}
	for _, g := range mlsidb.MethodGroups() {
		if !groups[g.Group] {
			t.Errorf("no label maps to %s", g.Store)
		}
		_, hasOps := valueOps[g.Group]
		if single := g.Scope != mlsidb.ScopeGroupList; single != hasOps {
			t.Errorf("%s: write/delete calls %v, single value %v", g.Store, hasOps, single)
		}
		if k := kindOf[g.Group]; (g.Scope == mlsidb.ScopeGlobal) != (k == kindGlobal) {
			t.Errorf("%s: kind %d, scope %d", g.Store, k, g.Scope)
		}
	}
}

func TestSplitKey(t *testing.T) {
	tests := []struct {
		key, label, kb, reason string
	}{
		{"Tree{}\x00\x01", "Tree", "{}", ""},
		{"ResumptionPsk1\x00\x01", "ResumptionPsk", "1", ""},
		{"Psk\"x\"\x00\x01", "Psk", `"x"`, ""},
		{"OwnLeafNodeIndex{}\x00\x01", "OwnLeafNodeIndex", "{}", ""},
		{"OwnLeafNodes{}\x00\x01", "OwnLeafNodes", "{}", ""},
		{"Tree{}\x01\x00", "Tree", "", "version suffix 256"},
		{"AAD{}\x00\x01", "", "", `unknown label "AAD"`},
		{"aad\x00\x01", "", "", "does not start with a MemoryStorage label"},
		{"", "", "", "does not start with a MemoryStorage label"},
	}
	for _, tt := range tests {
		l, kb, reason := splitKey([]byte(tt.key))
		name := ""
		if l != nil {
			name = l.name
		}
		if name != tt.label || string(kb) != tt.kb || !strings.Contains(reason, tt.reason) || (tt.reason == "") != (reason == "") {
			t.Errorf("splitKey(%q) = %q, %q, %q; want %q, %q, %q", tt.key, name, kb, reason, tt.label, tt.kb, tt.reason)
		}
	}
}

func TestSplitEpochLeaf(t *testing.T) {
	tests := []struct {
		rest    string
		own     uint32
		haveOwn bool
		epoch   string
		leaf    uint32
		bad     string
	}{
		{rest: "911", own: 11, haveOwn: true, epoch: "9", leaf: 11},
		{rest: "911", own: 1, haveOwn: true, epoch: "91", leaf: 1},
		{rest: "911", haveOwn: false, bad: "2 possible readings"},
		{rest: "911", own: 7, haveOwn: true, bad: "none of their 2"},
		{rest: "100", epoch: "10", leaf: 0},
		{rest: "00", epoch: "0", leaf: 0},
		{rest: "05", epoch: "0", leaf: 5},
		{rest: "1234", own: 234, haveOwn: true, epoch: "1", leaf: 234},
		{rest: "1234", own: 4, haveOwn: true, epoch: "123", leaf: 4},
		{rest: "184467440737095516154294967295", epoch: "18446744073709551615", leaf: 4294967295},
		{rest: strings.Repeat("9", 30), bad: "not an epoch"}, // at most 19 + 9 nines fit a u64 and a u32
		{rest: "5", bad: "not an epoch"},
		{rest: "", bad: "no epoch"},
		{rest: `"e"4`, epoch: `"e"`, leaf: 4},
		{rest: `{"epoch":3}12`, epoch: `{"epoch":3}`, leaf: 12},
		{rest: `"e"`, bad: "does not end with a leaf index"},
		{rest: `"e"04`, bad: "does not end with a leaf index"},
		{rest: `"e`, bad: "not a JSON value"},
		{rest: `-14`, bad: "does not end with a leaf index"},
	}
	for _, tt := range tests {
		epoch, leaf, bad := splitEpochLeaf([]byte(tt.rest), tt.own, tt.haveOwn)
		if tt.bad != "" {
			if !strings.Contains(bad, tt.bad) {
				t.Errorf("%q: %q, %d, %q; want an error with %q", tt.rest, epoch, leaf, bad, tt.bad)
			}
			continue
		}
		if bad != "" || string(epoch) != tt.epoch || leaf != tt.leaf {
			t.Errorf("%q (own %d %v): %q, %d, %q; want %q, %d", tt.rest, tt.own, tt.haveOwn, epoch, leaf, bad, tt.epoch, tt.leaf)
		}
	}
}

func TestScanValue(t *testing.T) {
	good := []string{`{}`, `[]`, `""`, `0`, `-1.5e+3`, `true`, `false`, `null`, `{"a":[1,{"b":null}]}`,
		`{ "a" : [ 1 , 2 ] }`, `"\u00e9\n\"\\"`, `"é"`, `[[[]]]`, `123`}
	for _, s := range good {
		if !isJSONValue([]byte(s)) {
			t.Errorf("%q is a JSON value", s)
		}
	}
	bad := []string{``, ` 1`, `1 `, `{`, `[1,]`, `{"a"}`, `{"a":1,}`, `01`, `1.`, `-`, `1e`, `"a`, "\"\x01\"", `"\x"`, `"\u12"`,
		`tru`, `nul`, `{1:2}`, `[1 2]`, `{"a":1}}`, strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)}
	for _, s := range bad {
		if isJSONValue([]byte(s)) {
			t.Errorf("%q is not a JSON value", s)
		}
	}
	if !isJSONValue([]byte(strings.Repeat("[", maxDepth-1) + strings.Repeat("]", maxDepth-1))) {
		t.Error("nesting below the limit is a JSON value")
	}
}

func TestByteLists(t *testing.T) {
	lists := [][][]byte{{}, {{}}, {{0}, {255, 1}}, {[]byte(`{"a":1}`), {}, {7}}}
	for _, l := range lists {
		enc := appendByteLists(nil, l)
		got, _, ok := parseByteLists(enc)
		if !ok || !reflect.DeepEqual(got, l) {
			t.Errorf("%s: read back %v, %v", enc, got, ok)
		}
	}
	for _, s := range []string{``, `[`, `]`, `[[1]`, `[[1]]]`, `[[1],]`, `[[1] ,[2]]`, `[[-1]]`, `[[1.0]]`, `[[1e2]]`, `["a"]`, `[[256]]`, `[[00]]`, `[[1,,2]]`, `[[]`, `[],[]`} {
		if _, _, ok := parseByteLists([]byte(s)); ok {
			t.Errorf("%q read as a byte list", s)
		}
	}
}

func TestValues(t *testing.T) {
	for _, l := range [][]string{{}, {`1`}, {`{"a":[1,2]}`, `"x"`, `[]`}} {
		items := make([][]byte, len(l))
		for i, s := range l {
			items[i] = []byte(s)
		}
		enc := joinValues(items)
		got, ok := splitValues(enc)
		if !ok || !reflect.DeepEqual(got, items) {
			t.Errorf("%s: read back %q, %v", enc, got, ok)
		}
	}
	for _, s := range []string{``, `[`, `[1,]`, `[,1]`, `[ 1]`, `[1 ]`, `[1,2`, `[[]`, `{}`, `[1]]`} {
		if _, ok := splitValues([]byte(s)); ok {
			t.Errorf("%q split as a JSON list", s)
		}
	}
}
