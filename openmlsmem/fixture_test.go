package openmlsmem_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/memstore"
	"github.com/mlsidb/mlsidb/openmlsmem"
)

// The fixtures below are written straight from the MemoryStorage format
// (label ‖ serde_json key ‖ 00 01; lists as JSON arrays of byte arrays),
// not through the package's own encoder.

// gid returns a serde_json group id, as OpenMLS writes GroupId.
func gid(n int) string { return fmt.Sprintf(`{"value":{"vec":[%d,7,7]}}`, n) }

// ref returns a serde_json proposal ref (a HashReference).
func ref(n int) string { return fmt.Sprintf(`{"value":{"vec":[%d,9]}}`, n) }

// byteArrays writes items as serde_json writes a Vec<Vec<u8>>.
func byteArrays(items ...string) string {
	parts := make([]string, len(items))
	for i, it := range items {
		nums := make([]string, len(it))
		for j := 0; j < len(it); j++ {
			nums[j] = strconv.Itoa(int(it[j]))
		}
		parts[i] = "[" + strings.Join(nums, ",") + "]"
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// ent is one MemoryStorage entry of a fixture.
type ent struct{ key, value string }

// e builds an entry with the version 1 suffix.
func e(label, keyBytes, value string) ent { return ent{label + keyBytes + "\x00\x01", value} }

// binarySnap writes entries in the binary encoding, in the given order.
func binarySnap(es []ent) []byte {
	out := binary.BigEndian.AppendUint64(nil, uint64(len(es)))
	for _, x := range es {
		out = binary.BigEndian.AppendUint64(out, uint64(len(x.key)))
		out = binary.BigEndian.AppendUint64(out, uint64(len(x.value)))
		out = append(out, x.key...)
		out = append(out, x.value...)
	}
	return out
}

// jsonSnap writes entries in the JSON encoding, pretty-printed as
// OpenMLS's save_to_file does (serde_json::to_writer_pretty).
func jsonSnap(es []ent) []byte {
	var b bytes.Buffer
	b.WriteString("{\n  \"values\": {")
	for i, x := range es {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n    %q: %q", base64.StdEncoding.EncodeToString([]byte(x.key)), base64.StdEncoding.EncodeToString([]byte(x.value)))
	}
	b.WriteString("\n  }\n}")
	return b.Bytes()
}

// encodings run a test over both encodings of the same entries.
var encodings = []struct {
	name string
	snap func([]ent) []byte
	f    openmlsmem.Format
}{
	{"binary", binarySnap, openmlsmem.Binary},
	{"json", jsonSnap, openmlsmem.JSON},
}

// fixture is a MemoryStorage of two members' worth of state: every label,
// three groups, lists of several items, a proposal queue whose order is not
// its key order, and the two readings of the epoch key pairs key "911".
func fixture() []ent {
	g1, g2, g3 := gid(1), gid(2), gid(3)
	return []ent{
		e("KeyPackage", `{"value":{"vec":[1,1]}}`, `{"key_package":"kp1","private_init_key":"SECRET-init"}`),
		e("KeyPackage", `{"value":{"vec":[1,2]}}`, `{"key_package":"kp2"}`),
		e("Psk", `{"psk":{"External":{"psk_id":{"vec":[5]}}},"psk_nonce":{"vec":[]}}`, `{"secret":"SECRET-psk"}`),
		e("EncryptionKeyPair", `{"key":{"vec":[4,4]}}`, `{"public_key":{"key":{"vec":[4,4]}},"private_key":"SECRET-hpke"}`),
		e("SignatureKeyPair", `{"value":{"vec":[3,3]}}`, `{"private":"SECRET-sig","public":[3,3],"signature_scheme":"ED25519"}`),

		e("Tree", g1, `{"tree":"one"}`),
		e("GroupContext", g1, `{"epoch":9}`),
		e("InterimTranscriptHash", g1, `{"vec":[1]}`),
		e("ConfirmationTag", g1, `{"mac_value":{"vec":[2]}}`),
		e("ApplicationExportTree", g1, `{"aet":true}`),
		e("MlsGroupJoinConfig", g1, `{"wire_format_policy":"x"}`),
		e("GroupState", g1, `"Operational"`),
		e("OwnLeafNodeIndex", g1, `11`),
		e("EpochSecrets", g1, `{"init_secret":"SECRET-epoch"}`),
		e("ResumptionPsk", g1, `{"max_number_of_secrets":32}`),
		e("MessageSecrets", g1, `{"sender_data_secret":"SECRET-msg"}`),
		e("OwnLeafNodes", g1, byteArrays(`{"leaf":"b"}`, `{"leaf":"a"}`, `{"leaf":"b"}`)),
		e("ProposalQueueRefs", g1, byteArrays(ref(9), ref(1), ref(5))),
		e("QueuedProposal", "["+g1+","+ref(9)+"]", `{"proposal":"p9"}`),
		e("QueuedProposal", "["+g1+","+ref(1)+"]", `{"proposal":"p1"}`),
		e("QueuedProposal", "["+g1+","+ref(5)+"]", `{"proposal":"p5"}`),
		// epoch 9, leaf 11 (the group's own leaf index is 11)
		e("EpochKeyPairs", g1+"9"+"11", `[{"public_key":"pk1","private_key":"SECRET-ekp1"},{"public_key":"pk2"}]`),
		// epoch 8, leaf 11: "811" reads as 8|11 or 81|1
		e("EpochKeyPairs", g1+"8"+"11", `[{"public_key":"pk0"}]`),

		e("Tree", g2, `{"tree":"two"}`),
		e("GroupContext", g2, `{"epoch":91}`),
		e("OwnLeafNodeIndex", g2, `1`),
		e("GroupState", g2, `"Operational"`),
		// epoch 91, leaf 1: the same digits as g1's epoch 9, leaf 11
		e("EpochKeyPairs", g2+"91"+"1", `[{"public_key":"pk3"}]`),
		// epoch 10, leaf 0: "100" has only one reading (10|0)
		e("EpochKeyPairs", g2+"10"+"0", `[{"public_key":"pk4"}]`),
		e("OwnLeafNodes", g2, byteArrays(`{"leaf":"z"}`)),
		e("ProposalQueueRefs", g2, byteArrays(ref(3))),
		e("QueuedProposal", "["+g2+","+ref(3)+"]", `{"proposal":"p3"}`),

		// a group with a non-numeric epoch key (no ambiguity) and no own leaf index
		e("Tree", g3, `{"tree":"three"}`),
		e("EpochKeyPairs", g3+`"e"`+"4", `[{"public_key":"pk5"}]`),
	}
}

// labelsOf lists the labels a fixture uses.
func labelsOf(es []ent) map[string]bool {
	out := map[string]bool{}
	for _, x := range es {
		i := strings.IndexAny(x.key, `{["0123456789`)
		out[x.key[:i]] = true
	}
	return out
}

// entrySet is a snapshot's entries as a set.
func entrySet(t *testing.T, snapshot []byte) map[string]string {
	t.Helper()
	entries, _, err := openmlsmem.Parse(snapshot)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	out := map[string]string{}
	for _, x := range entries {
		out[string(x.Key)] = string(x.Value)
	}
	return out
}

func setOf(es []ent) map[string]string {
	out := map[string]string{}
	for _, x := range es {
		out[x.key] = x.value
	}
	return out
}

// diffSets describes how two entry sets differ, by label and position in
// the key order (test data only).
func diffSets(got, want map[string]string) string {
	var out []string
	for k, v := range want {
		g, ok := got[k]
		switch {
		case !ok:
			out = append(out, "missing "+strconv.Quote(k))
		case g != v:
			out = append(out, "different value of "+strconv.Quote(k))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			out = append(out, "unexpected "+strconv.Quote(k))
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

// newStore returns a provider over a fresh memstore backend.
func newStore(t testing.TB) (*mlsidb.Provider, *memstore.Backend) {
	t.Helper()
	b := memstore.New()
	p, err := mlsidb.New(context.Background(), b, mlsidb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, b
}

func without(es []ent, drop func(ent) bool) []ent {
	var out []ent
	for _, x := range es {
		if !drop(x) {
			out = append(out, x)
		}
	}
	return out
}

// canonicalJSON re-marshals v compactly (used to compare JSON texts).
func canonicalJSON(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	out, _ := json.Marshal(v)
	return string(out)
}
