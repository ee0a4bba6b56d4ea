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
	promiseCtor     = js.Global().Get("Promise")
	uint8ArrayCtor  = js.Global().Get("Uint8Array")
	arrayBufferCtor = js.Global().Get("ArrayBuffer")
	arrayCtor       = js.Global().Get("Array")
	objectCtor      = js.Global().Get("Object")
)

// promise returns a Promise settled by work, which runs in a new goroutine.
// A panic in work rejects the Promise with an Internal error.
//
// (A minimal stand-in for jsbridge's export helper, kept here so the
// entry point has exactly the conversions its JS module expects.)
func promise(work func() (any, error)) js.Value {
	var resolve, reject js.Value
	executor := js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject = args[0], args[1]
		return nil
	})
	p := promiseCtor.New(executor)
	executor.Release()
	go func() {
		var v any
		err := safely(func() error {
			var err error
			v, err = work()
			return err
		})
		if err != nil {
			reject.Invoke(errorObject(err))
			return
		}
		if v == nil {
			v = js.Undefined()
		}
		resolve.Invoke(v)
	}()
	return p
}

// rejected returns a Promise already rejected with err.
func rejected(err error) js.Value {
	return promiseCtor.Call("reject", errorObject(err))
}

// panicError is a recovered panic, described by jsbridge.NewPanicError
// (an error's or a string's text, only the type of any other value).
type panicError struct{ msg string }

func (e *panicError) Error() string { return "mlsidb: internal error: " + e.msg }

// safely runs f and turns a panic into an error.
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{msg: jsbridge.NewPanicError(r).Error()}
		}
	}()
	return f()
}

// errorObject returns the {code, message} object a rejection carries.
func errorObject(err error) js.Value {
	o := objectCtor.New()
	o.Set("code", errorCode(err))
	o.Set("message", err.Error())
	return o
}

// toBytes copies a Uint8Array or ArrayBuffer into a new Go slice.
func toBytes(v js.Value) ([]byte, bool) {
	if v.InstanceOf(arrayBufferCtor) {
		v = uint8ArrayCtor.New(v)
	} else if !v.InstanceOf(uint8ArrayCtor) {
		return nil, false
	}
	b := make([]byte, v.Get("byteLength").Int())
	js.CopyBytesToGo(b, v)
	return b, true
}

// fromBytes copies b into a new Uint8Array.
func fromBytes(b []byte) js.Value { return jsbridge.BytesToJS(b) }

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
			b, ok := toBytes(v)
			if !ok {
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
				b, ok := toBytes(v.Index(j))
				if !ok {
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
		return fromBytes(v), nil
	case [][]byte:
		arr := arrayCtor.New(len(v))
		for i, b := range v {
			arr.SetIndex(i, fromBytes(b))
		}
		return arr, nil
	case []mlsidb.QueuedProposal:
		arr := arrayCtor.New(len(v))
		for i, q := range v {
			pair := arrayCtor.New(2)
			pair.SetIndex(0, fromBytes(q.Ref))
			pair.SetIndex(1, fromBytes(q.Proposal))
			arr.SetIndex(i, pair)
		}
		return arr, nil
	default:
		return js.Undefined(), nil
	}
}
