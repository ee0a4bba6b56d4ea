//go:build js && wasm

package main

import (
	"context"
	"errors"
	"syscall/js"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/jsbridge"
)

var arrayCtor = js.Global().Get("Array")

// typeName names the JS type of v for an error message (never its
// contents): "null", "array", its constructor's name, or its typeof.
func typeName(v js.Value) string {
	switch v.Type() {
	case js.TypeObject:
		if v.IsNull() {
			return "null"
		}
		if arrayCtor.Call("isArray", v).Bool() {
			return "array"
		}
		if c := v.Get("constructor"); c.Type() == js.TypeFunction {
			if n := c.Get("name"); n.Type() == js.TypeString && n.String() != "" {
				return n.String()
			}
		}
		return "object"
	default:
		return v.Type().String()
	}
}

// invoke calls the method of spec on st and converts its result for JS.
// Results with many byte strings (lists, a loaded group) cross as one
// packed Uint8Array, which mlsidb.js unpacks (unpackResult): one copy and
// one JS value instead of one per byte string.
func invoke(ctx context.Context, st mlsidb.Store, spec *methodSpec, args []any) (any, error) {
	out, err := spec.call(ctx, st, args)
	if err != nil {
		if spec.Result == resultBytes && errors.Is(err, mlsidb.ErrNotFound) {
			return js.Undefined(), nil
		}
		return nil, err
	}
	var p packed
	switch v := out.(type) {
	case []byte:
		return jsbridge.BytesToJS(v), nil
	case [][]byte:
		p.list(v)
	case []mlsidb.QueuedProposal:
		p.proposals(v)
	case *mlsidb.LoadedGroup:
		p.group(v)
	default:
		return js.Undefined(), nil
	}
	return jsbridge.BytesToJS(p.b), nil
}

// packed is a result packed for mlsidb.js's unpackResult, little-endian:
// a byte string is a u32 length and the bytes; a list is a u32 count and
// its byte strings; proposals are a u32 count and a reference and a
// proposal each; a loaded group is, for each of its 11 values in the
// order of groupFields, a u8 (1 present, 0 missing) and the value when
// present, then the own leaf nodes (a list) and the queued proposals.
type packed struct{ b []byte }

func (p *packed) bytes(v []byte) {
	n := len(v)
	p.b = append(p.b, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	p.b = append(p.b, v...)
}

func (p *packed) count(n int) { p.b = append(p.b, byte(n), byte(n>>8), byte(n>>16), byte(n>>24)) }

func (p *packed) list(v [][]byte) {
	p.count(len(v))
	for _, b := range v {
		p.bytes(b)
	}
}

func (p *packed) proposals(v []mlsidb.QueuedProposal) {
	p.count(len(v))
	for _, q := range v {
		p.bytes(q.Ref)
		p.bytes(q.Proposal)
	}
}

// group packs l; mlsidb.js names the 11 values (GROUP_FIELDS) in this
// order.
func (p *packed) group(l *mlsidb.LoadedGroup) {
	for _, v := range [...][]byte{
		l.Tree, l.Context, l.InterimTranscriptHash, l.ConfirmationTag, l.EpochSecrets, l.OwnLeafIndex,
		l.MessageSecrets, l.ResumptionPskStore, l.JoinConfig, l.GroupState, l.ApplicationExportTree,
	} {
		if v == nil {
			p.b = append(p.b, 0)
			continue
		}
		p.b = append(p.b, 1)
		p.bytes(v)
	}
	p.list(l.OwnLeafNodes)
	p.proposals(l.QueuedProposals)
}
