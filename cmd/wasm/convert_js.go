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
		arr := arrayCtor.New(len(v))
		for i, b := range v {
			arr.SetIndex(i, jsbridge.BytesToJS(b))
		}
		return arr, nil
	case []mlsidb.QueuedProposal:
		return proposalsToJS(v), nil
	case *mlsidb.LoadedGroup:
		return loadedToJS(v), nil
	default:
		return js.Undefined(), nil
	}
}

// loadedToJS returns what LoadGroup read as a JS object whose properties
// are named after the read methods.
func loadedToJS(l *mlsidb.LoadedGroup) js.Value {
	o := jsObject.New()
	for _, f := range [...]struct {
		name string
		v    []byte
	}{
		{"tree", l.Tree}, {"groupContext", l.Context}, {"interimTranscriptHash", l.InterimTranscriptHash},
		{"confirmationTag", l.ConfirmationTag}, {"groupEpochSecrets", l.EpochSecrets},
		{"ownLeafIndex", l.OwnLeafIndex}, {"messageSecrets", l.MessageSecrets},
		{"resumptionPskStore", l.ResumptionPskStore}, {"mlsGroupJoinConfig", l.JoinConfig},
		{"groupState", l.GroupState}, {"applicationExportTree", l.ApplicationExportTree},
	} {
		if f.v == nil {
			o.Set(f.name, js.Undefined())
		} else {
			o.Set(f.name, jsbridge.BytesToJS(f.v))
		}
	}
	leaves := arrayCtor.New(len(l.OwnLeafNodes))
	for i, b := range l.OwnLeafNodes {
		leaves.SetIndex(i, jsbridge.BytesToJS(b))
	}
	o.Set("ownLeafNodes", leaves)
	o.Set("queuedProposals", proposalsToJS(l.QueuedProposals))
	return o
}

func proposalsToJS(v []mlsidb.QueuedProposal) js.Value {
	arr := arrayCtor.New(len(v))
	for i, q := range v {
		pair := arrayCtor.New(2)
		pair.SetIndex(0, jsbridge.BytesToJS(q.Ref))
		pair.SetIndex(1, jsbridge.BytesToJS(q.Proposal))
		arr.SetIndex(i, pair)
	}
	return arr
}
