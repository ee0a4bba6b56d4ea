package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/jsbridge"
	"github.com/mlsidb/mlsidb/memstore"
)

func TestTableCoversTheContract(t *testing.T) {
	table, err := buildTable()
	if err != nil {
		t.Fatal(err)
	}
	contract := 0
	seen := map[string]bool{}
	for _, s := range table {
		if seen[s.JS] {
			t.Errorf("duplicate JS name %s", s.JS)
		}
		seen[s.JS] = true
		if s.OpenMLS != "" {
			contract++
		}
	}
	if contract != 56 {
		t.Errorf("table has %d contract methods, want 56", contract)
	}
	if n := len(table); n < 2 || table[n-2].JS != "deleteGroup" || table[n-1].JS != "loadGroup" ||
		table[n-2].OpenMLS != "" || table[n-1].OpenMLS != "" {
		t.Errorf("the table ends with %+v, want deleteGroup and loadGroup", table[max(0, n-2):])
	}
	// Every method of Store is in the table.
	storeType := reflect.TypeFor[mlsidb.Store]()
	for i := 0; i < storeType.NumMethod(); i++ {
		name := storeType.Method(i).Name
		if name == "Update" {
			continue
		}
		if !seen[jsName(name)] {
			t.Errorf("Store.%s is missing from the table", name)
		}
	}
}

func TestSpecsFollowGoSignatures(t *testing.T) {
	table, err := buildTable()
	if err != nil {
		t.Fatal(err)
	}
	byJS := map[string]methodSpec{}
	for _, s := range table {
		byJS[s.JS] = s
	}
	tests := []struct {
		js     string
		args   []argKind
		result resultKind
	}{
		{"writeTree", []argKind{argBytes, argBytes}, resultNone},
		{"tree", []argKind{argBytes}, resultBytes},
		{"mlsGroupJoinConfig", []argKind{argBytes}, resultBytes},
		{"ownLeafNodes", []argKind{argBytes}, resultBytesList},
		{"queueProposal", []argKind{argBytes, argBytes, argBytes}, resultNone},
		{"queuedProposals", []argKind{argBytes}, resultProposals},
		{"queuedProposalRefs", []argKind{argBytes}, resultBytesList},
		{"writeEncryptionEpochKeyPairs", []argKind{argBytes, argBytes, argLeafIndex, argBytesList}, resultNone},
		{"encryptionEpochKeyPairs", []argKind{argBytes, argBytes, argLeafIndex}, resultBytesList},
		{"deleteAllResumptionPskSecrets", []argKind{argBytes}, resultNone},
		{"psk", []argKind{argBytes}, resultBytes},
		{"deleteGroup", []argKind{argBytes}, resultNone},
		{"loadGroup", []argKind{argBytes}, resultGroup},
	}
	for _, tt := range tests {
		s, ok := byJS[tt.js]
		if !ok {
			t.Errorf("%s missing", tt.js)
			continue
		}
		if !slices.Equal(s.Args, tt.args) || s.Result != tt.result {
			t.Errorf("%s: args %v result %s, want %v %s", tt.js, s.Args, s.Result, tt.args, tt.result)
		}
	}
}

// The kinds the table announces to JavaScript are those of the Go
// signatures, checked here by reflection (which the wasm binary avoids).
func TestSpecsMatchReflection(t *testing.T) {
	table, err := buildTable()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[reflect.Type]argKind{
		reflect.TypeFor[[]byte](): argBytes, reflect.TypeFor[uint32](): argLeafIndex, reflect.TypeFor[[][]byte](): argBytesList,
	}
	results := map[reflect.Type]resultKind{
		reflect.TypeFor[[]byte](): resultBytes, reflect.TypeFor[[][]byte](): resultBytesList,
		reflect.TypeFor[[]mlsidb.QueuedProposal](): resultProposals,
		reflect.TypeFor[*mlsidb.LoadedGroup]():     resultGroup,
	}
	storeType := reflect.TypeFor[mlsidb.Store]()
	for _, s := range table {
		m, ok := storeType.MethodByName(s.Go)
		if !ok {
			t.Errorf("Store has no method %s", s.Go)
			continue
		}
		var want []argKind
		for i := 1; i < m.Type.NumIn(); i++ {
			want = append(want, kinds[m.Type.In(i)])
		}
		wantResult := resultNone
		if m.Type.NumOut() == 2 {
			wantResult = results[m.Type.Out(0)]
		}
		if !slices.Equal(s.Args, want) || s.Result != wantResult {
			t.Errorf("%s: table says %v -> %s, Go says %v -> %s", s.Go, s.Args, s.Result, want, wantResult)
		}
	}
}

// The invokers pass their arguments in order and return the method's
// result, checked against the in-memory backend.
func TestInvokersRoundTrip(t *testing.T) {
	ctx := context.Background()
	p, err := mlsidb.New(ctx, memstore.New(), mlsidb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	table, _ := buildTable()
	by := map[string]methodSpec{}
	for _, s := range table {
		by[s.JS] = s
	}
	g, epoch := []byte("g"), []byte{0, 0, 0, 0, 0, 0, 0, 7}
	mustCall := func(name string, args ...any) any {
		t.Helper()
		v, err := by[name].call(ctx, p, args)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v
	}
	mustCall("writeTree", g, []byte("tree"))
	if v := mustCall("tree", g); string(v.([]byte)) != "tree" {
		t.Errorf("tree = %q", v)
	}
	mustCall("queueProposal", g, []byte("r1"), []byte("p1"))
	if v := mustCall("queuedProposals", g).([]mlsidb.QueuedProposal); len(v) != 1 || string(v[0].Ref) != "r1" || string(v[0].Proposal) != "p1" {
		t.Errorf("queuedProposals = %v", v)
	}
	mustCall("writeEncryptionEpochKeyPairs", g, epoch, uint32(3), [][]byte{[]byte("a"), []byte("b")})
	if v := mustCall("encryptionEpochKeyPairs", g, epoch, uint32(3)).([][]byte); len(v) != 2 || string(v[1]) != "b" {
		t.Errorf("encryptionEpochKeyPairs = %q", v)
	}
	if v := mustCall("encryptionEpochKeyPairs", g, epoch, uint32(4)).([][]byte); len(v) != 0 {
		t.Errorf("other leaf index sees %q", v)
	}
	if v := mustCall("loadGroup", g).(*mlsidb.LoadedGroup); string(v.Tree) != "tree" || len(v.QueuedProposals) != 1 || v.Context != nil {
		t.Errorf("loadGroup = %+v", v)
	}
	mustCall("deleteGroup", g)
	if _, err := by["tree"].call(ctx, p, []any{g}); !errors.Is(err, mlsidb.ErrNotFound) {
		t.Errorf("tree after deleteGroup: %v, want ErrNotFound", err)
	}
}

func TestSpecForRejectsUnknown(t *testing.T) {
	if _, err := specFor("NoSuchMethod", "", ""); err == nil {
		t.Error("specFor accepted a method Store does not have")
	}
	if _, err := specFor("Update", "", ""); err == nil {
		t.Error("specFor accepted Update, whose function argument cannot cross the dispatcher")
	}
}

// Bad arguments reach JavaScript with code InvalidArgument (the mapping
// itself is jsbridge.Code's, tested there) and a message without the
// argument's value.
func TestArgErrorCode(t *testing.T) {
	err := badArg("writeTree", "argument 1 must be a Uint8Array or ArrayBuffer, got string")
	if got := jsbridge.Code(err); got != jsbridge.CodeInvalidArgument {
		t.Errorf("Code(badArg) = %s, want InvalidArgument", got)
	}
	if !errors.Is(err, mlsidb.ErrInvalidArgument) {
		t.Errorf("%v does not wrap ErrInvalidArgument", err)
	}
	const want = "mlsidb: writeTree: invalid argument: argument 1 must be a Uint8Array or ArrayBuffer, got string"
	if err.Error() != want {
		t.Errorf("message = %q, want %q", err.Error(), want)
	}
}

func TestJSName(t *testing.T) {
	for in, want := range map[string]string{
		"WriteMlsJoinConfig": "writeMlsJoinConfig",
		"Psk":                "psk",
		"DeleteGroup":        "deleteGroup",
	} {
		if got := jsName(in); got != want {
			t.Errorf("jsName(%s) = %s, want %s", in, got, want)
		}
	}
}

// Keys lists exactly the arguments the provider refuses when empty: the
// JS module checks those itself for the writes it queues.
func TestKeysAreWhatTheProviderChecks(t *testing.T) {
	ctx := context.Background()
	p, err := mlsidb.New(ctx, memstore.New(), mlsidb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	table, _ := buildTable()
	for _, s := range table {
		valid := func() []any {
			in := make([]any, len(s.Args))
			for i, k := range s.Args {
				switch k {
				case argBytes:
					in[i] = []byte("x")
				case argLeafIndex:
					in[i] = uint32(1)
				case argBytesList:
					in[i] = [][]byte{[]byte("x")}
				}
			}
			return in
		}
		if _, err := s.call(ctx, p, valid()); err != nil && !errors.Is(err, mlsidb.ErrNotFound) {
			t.Fatalf("%s with valid arguments: %v", s.JS, err)
		}
		for i, k := range s.Args {
			if k != argBytes {
				continue
			}
			in := valid()
			in[i] = []byte{}
			_, err := s.call(ctx, p, in)
			refused := errors.Is(err, mlsidb.ErrInvalidArgument)
			if refused != slices.Contains(s.Keys, i) {
				t.Errorf("%s: argument %d empty: %v, but Keys = %v", s.JS, i+1, err, s.Keys)
			}
		}
	}
}

// decodeCalls reads the format of mlsidb.js's Batch and refuses
// anything truncated.
func TestDecodeCalls(t *testing.T) {
	table, _ := buildTable()
	index := map[string]int{}
	for i, s := range table {
		index[s.JS] = i
	}
	var b []byte
	u16 := func(v int) { b = binary.LittleEndian.AppendUint16(b, uint16(v)) }
	u32 := func(v int) { b = binary.LittleEndian.AppendUint32(b, uint32(v)) }
	bs := func(s string) { u32(len(s)); b = append(b, s...) }
	u16(index["writeTree"])
	bs("g")
	bs("tree")
	u16(index["writeEncryptionEpochKeyPairs"])
	bs("g")
	bs("e")
	u32(7)
	u32(2)
	bs("k1")
	bs("")
	u16(index["deleteGroup"])
	bs("g2")
	calls, err := decodeCalls(table, b)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%s %q | %s %q | %s %q", calls[0].spec.JS, calls[0].in, calls[1].spec.JS, calls[1].in, calls[2].spec.JS, calls[2].in)
	want := `writeTree ["g" "tree"] | writeEncryptionEpochKeyPairs ["g" "e" '\a' ["k1" ""]] | deleteGroup ["g2"]`
	if got != want {
		t.Fatalf("decoded %s\nwant    %s", got, want)
	}
	if calls, err := decodeCalls(table, nil); err != nil || len(calls) != 0 {
		t.Fatalf("empty batch: %v, %v", calls, err)
	}
	for _, cut := range []int{1, 3, 8, len(b) - 1} {
		if _, err := decodeCalls(table, b[:cut]); !errors.Is(err, mlsidb.ErrInvalidArgument) {
			t.Errorf("cut at %d: %v, want ErrInvalidArgument", cut, err)
		}
	}
	if _, err := decodeCalls(table, []byte{0xff, 0xff}); !errors.Is(err, mlsidb.ErrInvalidArgument) {
		t.Errorf("unknown method: %v", err)
	}
}

// web/mlsidb.js speaks the API version this wasm registers.
func TestJSModuleAPIVersion(t *testing.T) {
	if runtime.GOOS == "js" {
		t.Skip("reads files of the repository: runs natively")
	}
	src, err := os.ReadFile("../../web/mlsidb.js")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("\nconst API_VERSION = %d;\n", apiVersion)
	if !strings.Contains(string(src), want) {
		t.Fatalf("web/mlsidb.js does not declare %q (cmd/wasm's apiVersion)", strings.TrimSpace(want))
	}
}
