//go:build js && wasm

package main

import (
	"context"
	"errors"
	"math"
	"strconv"
	"syscall/js"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/jsbridge"
)

var (
	arrayCtor = js.Global().Get("Array")
	jsObject  = js.Global().Get("Object")
)

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

// convertArgs checks the JS arguments of a call against its spec and copies
// them into Go values, before anything runs.
func convertArgs(spec *methodSpec, args []js.Value) ([]any, error) {
	if len(args) != len(spec.Args) {
		return nil, badArg(spec.Go, "want "+strconv.Itoa(len(spec.Args))+" arguments "+
			describeArgs(spec.Args)+", got "+strconv.Itoa(len(args)))
	}
	in := make([]any, len(args))
	for i, v := range args {
		pos := "argument " + strconv.Itoa(i+1)
		switch spec.Args[i] {
		case argBytes:
			b, err := jsbridge.BytesFromJS(v)
			if err != nil {
				return nil, badArg(spec.Go, pos+" must be a Uint8Array or ArrayBuffer, got "+typeName(v))
			}
			in[i] = b
		case argLeafIndex:
			if v.Type() != js.TypeNumber {
				return nil, badArg(spec.Go, pos+" (leaf index) must be a number, got "+typeName(v))
			}
			f := v.Float()
			if !(f >= 0 && f <= math.MaxUint32 && f == math.Trunc(f)) {
				return nil, badArg(spec.Go, pos+" (leaf index) must be an integer from 0 to 4294967295")
			}
			in[i] = uint32(f)
		case argBytesList:
			if v.Type() != js.TypeObject || !arrayCtor.Call("isArray", v).Bool() {
				return nil, badArg(spec.Go, pos+" must be an array of Uint8Array, got "+typeName(v))
			}
			n := v.Length()
			list := make([][]byte, n)
			for j := 0; j < n; j++ {
				b, err := jsbridge.BytesFromJS(v.Index(j))
				if err != nil {
					return nil, badArg(spec.Go, pos+" item "+strconv.Itoa(j)+" must be a Uint8Array or ArrayBuffer, got "+typeName(v.Index(j)))
				}
				list[j] = b
			}
			in[i] = list
		}
	}
	return in, nil
}

// invoke calls the method of spec on st and converts its result for JS.
func invoke(ctx context.Context, st mlsidb.Store, spec *methodSpec, args []any) (any, error) {
	out, err := spec.call(ctx, st, args)
	if err != nil {
		if spec.Result == resultBytes && errors.Is(err, mlsidb.ErrNotFound) {
			return js.Undefined(), nil
		}
		return nil, err
	}
	switch v := out.(type) {
	case []byte:
		return jsbridge.BytesToJS(v), nil
	case [][]byte:
		return bytesListToJS(jsbridge.BytesToJSMany(v)), nil
	case []mlsidb.QueuedProposal:
		return proposalsToJS(v), nil
	case *mlsidb.LoadedGroup:
		return loadedToJS(v), nil
	default:
		return js.Undefined(), nil
	}
}

func bytesListToJS(items []js.Value) js.Value {
	arr := arrayCtor.New(len(items))
	for i, b := range items {
		arr.SetIndex(i, b)
	}
	return arr
}

// loadedToJS returns what LoadGroup read as a JS object whose properties
// are named after the read methods. All its bytes cross in one copy.
func loadedToJS(l *mlsidb.LoadedGroup) js.Value {
	values := [...]struct {
		name string
		v    []byte
	}{
		{"tree", l.Tree}, {"groupContext", l.Context}, {"interimTranscriptHash", l.InterimTranscriptHash},
		{"confirmationTag", l.ConfirmationTag}, {"groupEpochSecrets", l.EpochSecrets},
		{"ownLeafIndex", l.OwnLeafIndex}, {"messageSecrets", l.MessageSecrets},
		{"resumptionPskStore", l.ResumptionPskStore}, {"mlsGroupJoinConfig", l.JoinConfig},
		{"groupState", l.GroupState}, {"applicationExportTree", l.ApplicationExportTree},
	}
	parts := make([][]byte, 0, len(values)+len(l.OwnLeafNodes)+2*len(l.QueuedProposals))
	for _, f := range values {
		if f.v != nil {
			parts = append(parts, f.v)
		}
	}
	parts = append(parts, l.OwnLeafNodes...)
	for _, q := range l.QueuedProposals {
		parts = append(parts, q.Ref, q.Proposal)
	}
	arrays := jsbridge.BytesToJSMany(parts)
	o := jsObject.New()
	for _, f := range values {
		if f.v == nil {
			o.Set(f.name, js.Undefined())
			continue
		}
		o.Set(f.name, arrays[0])
		arrays = arrays[1:]
	}
	o.Set("ownLeafNodes", bytesListToJS(arrays[:len(l.OwnLeafNodes)]))
	o.Set("queuedProposals", pairsToJS(arrays[len(l.OwnLeafNodes):]))
	return o
}

func proposalsToJS(v []mlsidb.QueuedProposal) js.Value {
	parts := make([][]byte, 0, 2*len(v))
	for _, q := range v {
		parts = append(parts, q.Ref, q.Proposal)
	}
	return pairsToJS(jsbridge.BytesToJSMany(parts))
}

// pairsToJS returns [[a, b], [c, d], ...] of [a, b, c, d, ...].
func pairsToJS(flat []js.Value) js.Value {
	arr := arrayCtor.New(len(flat) / 2)
	for i := 0; i+1 < len(flat); i += 2 {
		pair := arrayCtor.New(2)
		pair.SetIndex(0, flat[i])
		pair.SetIndex(1, flat[i+1])
		arr.SetIndex(i/2, pair)
	}
	return arr
}
