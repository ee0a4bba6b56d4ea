//go:build js && wasm

package main

import (
	"context"
	"syscall/js"

	"github.com/mlsidb/mlsidb/jsbridge"
	"github.com/mlsidb/mlsidb/openmlsmem"
)

// snapshotArgs checks (handle, snapshot, dropOrphanProposals) and copies
// the snapshot: a string (the JSON encoding) or a Uint8Array or
// ArrayBuffer (either encoding).
func snapshotArgs(op string, args []js.Value) (h int, snapshot []byte, opts []openmlsmem.Option, err error) {
	if len(args) != 3 || args[0].Type() != js.TypeNumber || args[2].Type() != js.TypeBoolean {
		return 0, nil, nil, badArg(op, "want 3 arguments (handle, snapshot, dropOrphanProposals)")
	}
	switch v := args[1]; v.Type() {
	case js.TypeString:
		s := v.String()
		if !isJSONText(s) {
			return 0, nil, nil, badArg(op, "a snapshot given as a string must be the JSON encoding ({\"values\": ...})")
		}
		snapshot = []byte(s)
	default:
		b, err := jsbridge.BytesFromJS(v)
		if err != nil {
			return 0, nil, nil, badArg(op, "the snapshot must be a Uint8Array, an ArrayBuffer or a string, got "+typeName(v))
		}
		snapshot = b
	}
	return args[0].Int(), snapshot, snapshotOptions(args[2].Bool()), nil
}

// importOpenMls(handle, snapshot, dropOrphanProposals) writes every entry
// of a MemoryStorage snapshot into the store or transaction, all or
// nothing (openmlsmem.Import).
func (a *api) importOpenMls(args []js.Value) (func() (any, error), error) {
	h, snapshot, opts, err := snapshotArgs("importOpenMls", args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		st, err := a.target(h)
		if err != nil {
			return nil, err
		}
		return js.Undefined(), openmlsmem.Import(context.Background(), st, snapshot, opts...)
	}, nil
}

// syncOpenMls(handle, snapshot, dropOrphanProposals) makes the store equal
// the snapshot (openmlsmem.Sync) and resolves to {written, deleted}.
func (a *api) syncOpenMls(args []js.Value) (func() (any, error), error) {
	h, snapshot, opts, err := snapshotArgs("syncOpenMls", args)
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		st, err := a.target(h)
		if err != nil {
			return nil, err
		}
		w, d, err := openmlsmem.Sync(context.Background(), st, snapshot, opts...)
		if err != nil {
			return nil, err
		}
		return map[string]any{"written": w, "deleted": d}, nil
	}, nil
}

// exportOpenMls(handle, format) resolves to everything the store holds as
// a MemoryStorage snapshot: a Uint8Array for "binary", a string for "json"
// (openmlsmem.Export).
func (a *api) exportOpenMls(args []js.Value) (func() (any, error), error) {
	const op = "exportOpenMls"
	if len(args) != 2 || args[0].Type() != js.TypeNumber || args[1].Type() != js.TypeString {
		return nil, badArg(op, "want 2 arguments (handle, format)")
	}
	f, ok := snapshotFormat(args[1].String())
	if !ok {
		return nil, badArg(op, `format must be "binary" or "json"`)
	}
	h := args[0].Int()
	return func() (any, error) {
		st, err := a.target(h)
		if err != nil {
			return nil, err
		}
		snap, err := openmlsmem.Export(context.Background(), st, f)
		if err != nil {
			return nil, err
		}
		if f == openmlsmem.JSON {
			return string(snap), nil
		}
		return jsbridge.BytesToJS(snap), nil
	}, nil
}
