package main

import (
	"context"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mlsidb/mlsidb"
)

// argKind is the JavaScript type an argument of a method must have.
type argKind string

const (
	// argBytes is a Uint8Array (or an ArrayBuffer, which the JS module
	// turns into one): a key or a serialized entity.
	argBytes argKind = "bytes"
	// argLeafIndex is a JS number that is an integer in [0, 2^32-1].
	argLeafIndex argKind = "u32"
	// argBytesList is an array of Uint8Arrays.
	argBytesList argKind = "bytesList"
)

// resultKind is what a method resolves to in JavaScript.
type resultKind string

const (
	// resultNone resolves to undefined.
	resultNone resultKind = "none"
	// resultBytes resolves to a Uint8Array, or undefined when not found.
	resultBytes resultKind = "bytes"
	// resultBytesList resolves to an array of Uint8Arrays.
	resultBytesList resultKind = "bytesList"
	// resultProposals resolves to an array of [ref, proposal] pairs.
	resultProposals resultKind = "proposals"
	// resultGroup resolves to an object holding what LoadGroup read: one
	// property per read method, named as the method (a Uint8Array or
	// undefined, ownLeafNodes an array, queuedProposals pairs).
	resultGroup resultKind = "group"
)

// methodSpec describes one method the JS module can call through the
// dispatcher: a contract method, DeleteGroup or LoadGroup.
type methodSpec struct {
	// JS is the camelCase name JavaScript uses, for example "writeTree".
	JS string
	// Go is the method's name on [mlsidb.Store], for example "WriteTree".
	Go string
	// OpenMLS is the method's name in the OpenMLS trait; empty for
	// DeleteGroup, which is not part of it.
	OpenMLS string
	// Group is the store name of the method group; empty for DeleteGroup.
	Group string
	// Args are the kinds of the arguments after the context.
	Args []argKind
	// Keys are the positions in Args of the keys (group ids, refs, epochs,
	// public keys, hash references, PSK ids): every bytes argument but the
	// entity a write stores. The provider refuses an empty or over-long
	// key; the JS module checks them too, for the writes it queues.
	Keys []int
	// Result is what the call resolves to.
	Result resultKind
	// call runs the method.
	call invoker
}

// methodFuncs holds every method JavaScript can call, as method
// expressions on [mlsidb.Store]: the compiler checks each name and
// signature, and a test checks that every method of the catalogue is here.
// (No reflection at run time: reflect's MethodByName would make the linker
// keep every method of every type in the binary. An array, not a map: its
// literal is data, where a map literal is code.)
var methodFuncs = [...]struct {
	name string
	f    any
}{
	{"WriteMlsJoinConfig", mlsidb.Store.WriteMlsJoinConfig},
	{"MlsGroupJoinConfig", mlsidb.Store.MlsGroupJoinConfig},
	{"DeleteGroupConfig", mlsidb.Store.DeleteGroupConfig},
	{"WriteTree", mlsidb.Store.WriteTree},
	{"Tree", mlsidb.Store.Tree},
	{"DeleteTree", mlsidb.Store.DeleteTree},
	{"WriteContext", mlsidb.Store.WriteContext},
	{"GroupContext", mlsidb.Store.GroupContext},
	{"DeleteContext", mlsidb.Store.DeleteContext},
	{"WriteInterimTranscriptHash", mlsidb.Store.WriteInterimTranscriptHash},
	{"InterimTranscriptHash", mlsidb.Store.InterimTranscriptHash},
	{"DeleteInterimTranscriptHash", mlsidb.Store.DeleteInterimTranscriptHash},
	{"WriteConfirmationTag", mlsidb.Store.WriteConfirmationTag},
	{"ConfirmationTag", mlsidb.Store.ConfirmationTag},
	{"DeleteConfirmationTag", mlsidb.Store.DeleteConfirmationTag},
	{"WriteGroupState", mlsidb.Store.WriteGroupState},
	{"GroupState", mlsidb.Store.GroupState},
	{"DeleteGroupState", mlsidb.Store.DeleteGroupState},
	{"WriteMessageSecrets", mlsidb.Store.WriteMessageSecrets},
	{"MessageSecrets", mlsidb.Store.MessageSecrets},
	{"DeleteMessageSecrets", mlsidb.Store.DeleteMessageSecrets},
	{"WriteResumptionPskStore", mlsidb.Store.WriteResumptionPskStore},
	{"ResumptionPskStore", mlsidb.Store.ResumptionPskStore},
	{"DeleteAllResumptionPskSecrets", mlsidb.Store.DeleteAllResumptionPskSecrets},
	{"WriteOwnLeafIndex", mlsidb.Store.WriteOwnLeafIndex},
	{"OwnLeafIndex", mlsidb.Store.OwnLeafIndex},
	{"DeleteOwnLeafIndex", mlsidb.Store.DeleteOwnLeafIndex},
	{"WriteGroupEpochSecrets", mlsidb.Store.WriteGroupEpochSecrets},
	{"GroupEpochSecrets", mlsidb.Store.GroupEpochSecrets},
	{"DeleteGroupEpochSecrets", mlsidb.Store.DeleteGroupEpochSecrets},
	{"WriteApplicationExportTree", mlsidb.Store.WriteApplicationExportTree},
	{"ApplicationExportTree", mlsidb.Store.ApplicationExportTree},
	{"DeleteApplicationExportTree", mlsidb.Store.DeleteApplicationExportTree},
	{"AppendOwnLeafNode", mlsidb.Store.AppendOwnLeafNode},
	{"OwnLeafNodes", mlsidb.Store.OwnLeafNodes},
	{"DeleteOwnLeafNodes", mlsidb.Store.DeleteOwnLeafNodes},
	{"QueueProposal", mlsidb.Store.QueueProposal},
	{"QueuedProposalRefs", mlsidb.Store.QueuedProposalRefs},
	{"QueuedProposals", mlsidb.Store.QueuedProposals},
	{"RemoveProposal", mlsidb.Store.RemoveProposal},
	{"ClearProposalQueue", mlsidb.Store.ClearProposalQueue},
	{"WriteEncryptionEpochKeyPairs", mlsidb.Store.WriteEncryptionEpochKeyPairs},
	{"EncryptionEpochKeyPairs", mlsidb.Store.EncryptionEpochKeyPairs},
	{"DeleteEncryptionEpochKeyPairs", mlsidb.Store.DeleteEncryptionEpochKeyPairs},
	{"WriteSignatureKeyPair", mlsidb.Store.WriteSignatureKeyPair},
	{"SignatureKeyPair", mlsidb.Store.SignatureKeyPair},
	{"DeleteSignatureKeyPair", mlsidb.Store.DeleteSignatureKeyPair},
	{"WriteEncryptionKeyPair", mlsidb.Store.WriteEncryptionKeyPair},
	{"EncryptionKeyPair", mlsidb.Store.EncryptionKeyPair},
	{"DeleteEncryptionKeyPair", mlsidb.Store.DeleteEncryptionKeyPair},
	{"WriteKeyPackage", mlsidb.Store.WriteKeyPackage},
	{"KeyPackage", mlsidb.Store.KeyPackage},
	{"DeleteKeyPackage", mlsidb.Store.DeleteKeyPackage},
	{"WritePsk", mlsidb.Store.WritePsk},
	{"Psk", mlsidb.Store.Psk},
	{"DeletePsk", mlsidb.Store.DeletePsk},
	{"DeleteGroup", mlsidb.Store.DeleteGroup},
	{"LoadGroup", mlsidb.Store.LoadGroup},
}

// invoker calls one method on a store with converted arguments and returns
// its Go result: nil, []byte, [][]byte or []mlsidb.QueuedProposal.
type invoker func(ctx context.Context, st mlsidb.Store, in []any) (any, error)

type (
	bb  = []byte
	bbs = [][]byte
	qps = []mlsidb.QueuedProposal
	lg  = *mlsidb.LoadedGroup
	ctx = context.Context
	sto = mlsidb.Store
)

// shapeOf returns the argument kinds, result kind and invoker of a method
// expression; ok is false for a signature the dispatcher cannot carry.
func shapeOf(f any) (args []argKind, result resultKind, call invoker, ok bool) {
	B, U, L := argBytes, argLeafIndex, argBytesList
	switch f := f.(type) {
	case func(sto, ctx, bb) error:
		return []argKind{B}, resultNone, func(c ctx, s sto, a []any) (any, error) {
			return nil, f(s, c, a[0].(bb))
		}, true
	case func(sto, ctx, bb, bb) error:
		return []argKind{B, B}, resultNone, func(c ctx, s sto, a []any) (any, error) {
			return nil, f(s, c, a[0].(bb), a[1].(bb))
		}, true
	case func(sto, ctx, bb, bb, bb) error:
		return []argKind{B, B, B}, resultNone, func(c ctx, s sto, a []any) (any, error) {
			return nil, f(s, c, a[0].(bb), a[1].(bb), a[2].(bb))
		}, true
	case func(sto, ctx, bb) (bb, error):
		return []argKind{B}, resultBytes, func(c ctx, s sto, a []any) (any, error) {
			return f(s, c, a[0].(bb))
		}, true
	case func(sto, ctx, bb) (bbs, error):
		return []argKind{B}, resultBytesList, func(c ctx, s sto, a []any) (any, error) {
			return f(s, c, a[0].(bb))
		}, true
	case func(sto, ctx, bb) (lg, error):
		return []argKind{B}, resultGroup, func(c ctx, s sto, a []any) (any, error) {
			return f(s, c, a[0].(bb))
		}, true
	case func(sto, ctx, bb) (qps, error):
		return []argKind{B}, resultProposals, func(c ctx, s sto, a []any) (any, error) {
			return f(s, c, a[0].(bb))
		}, true
	case func(sto, ctx, bb, bb, uint32, bbs) error:
		return []argKind{B, B, U, L}, resultNone, func(c ctx, s sto, a []any) (any, error) {
			return nil, f(s, c, a[0].(bb), a[1].(bb), a[2].(uint32), a[3].(bbs))
		}, true
	case func(sto, ctx, bb, bb, uint32) (bbs, error):
		return []argKind{B, B, U}, resultBytesList, func(c ctx, s sto, a []any) (any, error) {
			return f(s, c, a[0].(bb), a[1].(bb), a[2].(uint32))
		}, true
	case func(sto, ctx, bb, bb, uint32) error:
		return []argKind{B, B, U}, resultNone, func(c ctx, s sto, a []any) (any, error) {
			return nil, f(s, c, a[0].(bb), a[1].(bb), a[2].(uint32))
		}, true
	}
	return nil, "", nil, false
}

// keysOf returns the positions of the keys among args: every bytes
// argument, but the last one of a method that stores an entity given as
// bytes (Write..., AppendOwnLeafNode, QueueProposal).
func keysOf(goName string, args []argKind) []int {
	stores := strings.HasPrefix(goName, "Write") || goName == "AppendOwnLeafNode" || goName == "QueueProposal"
	entity := -1
	if stores && len(args) > 0 && args[len(args)-1] == argBytes {
		entity = len(args) - 1
	}
	keys := []int{}
	for i, k := range args {
		if k == argBytes && i != entity {
			keys = append(keys, i)
		}
	}
	return keys
}

// jsName returns the lowerCamelCase form of a Go method name.
func jsName(goName string) string {
	r, n := utf8.DecodeRuneInString(goName)
	return string(unicode.ToLower(r)) + goName[n:]
}

// specFor returns the spec of a method of [mlsidb.Store].
func specFor(goName, openmls, group string) (methodSpec, error) {
	var f any
	for _, m := range methodFuncs {
		if m.name == goName {
			f = m.f
		}
	}
	if f == nil {
		return methodSpec{}, errors.New("the dispatcher has no method " + goName)
	}
	args, result, call, ok := shapeOf(f)
	if !ok {
		return methodSpec{}, errors.New(goName + ": unsupported signature")
	}
	return methodSpec{JS: jsName(goName), Go: goName, OpenMLS: openmls, Group: group,
		Args: args, Keys: keysOf(goName, args), Result: result, call: call}, nil
}

// buildTable returns the dispatch table: every contract method of the
// catalogue, in catalogue order, then DeleteGroup and LoadGroup.
func buildTable() ([]methodSpec, error) {
	var out []methodSpec
	for _, g := range mlsidb.MethodGroups() {
		for _, m := range g.Methods {
			s, err := specFor(m.Go, m.OpenMLS, g.Store)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
	}
	for _, name := range []string{"DeleteGroup", "LoadGroup"} {
		s, err := specFor(name, "", "")
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// argError is bad input found by the dispatcher before any call was
// made. It wraps mlsidb.ErrInvalidArgument (code InvalidArgument, see
// jsbridge.Code) and names the method and the argument's position, never
// its value.
type argError struct {
	method string
	detail string
}

func (e *argError) Error() string {
	return "mlsidb: " + e.method + ": " + mlsidb.ErrInvalidArgument.Error() + ": " + e.detail
}

func (e *argError) Unwrap() error { return mlsidb.ErrInvalidArgument }

func badArg(method, detail string) error { return &argError{method: method, detail: detail} }

// call is one call of a batch: a method and its converted arguments.
type call struct {
	spec *methodSpec
	in   []any
}

// decodeCalls reads a batch of calls as web/mlsidb.js's Batch packs
// it, little-endian: per call the method's index in the table (u16), then
// per argument, by kind: bytes as a u32 length and the bytes, a leaf
// index as a u32, a list as a u32 count and each item as bytes. Byte
// arguments are slices of b.
func decodeCalls(table []methodSpec, b []byte) ([]call, error) {
	bad := func(what string) error { return badArg("batch", "the batch does not decode: "+what) }
	u32 := func() (uint32, bool) {
		if len(b) < 4 {
			return 0, false
		}
		v := binary.LittleEndian.Uint32(b)
		b = b[4:]
		return v, true
	}
	bytesArg := func() ([]byte, bool) {
		n, ok := u32()
		if !ok || uint64(n) > uint64(len(b)) {
			return nil, false
		}
		v := b[:n:n]
		b = b[n:]
		return v, true
	}
	var out []call
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, bad("truncated method index")
		}
		i := int(binary.LittleEndian.Uint16(b))
		b = b[2:]
		if i >= len(table) {
			return nil, bad("no method " + strconv.Itoa(i))
		}
		spec := &table[i]
		in := make([]any, len(spec.Args))
		for j, k := range spec.Args {
			var ok bool
			switch k {
			case argBytes:
				in[j], ok = bytesArg()
			case argLeafIndex:
				in[j], ok = u32()
			case argBytesList:
				var n uint32
				if n, ok = u32(); ok && uint64(n)*4 <= uint64(len(b)) {
					list := make([][]byte, n)
					for x := range list {
						if list[x], ok = bytesArg(); !ok {
							break
						}
					}
					in[j] = list
				} else {
					ok = false
				}
			}
			if !ok {
				return nil, bad(spec.JS + ": argument " + strconv.Itoa(j+1) + " is truncated")
			}
		}
		out = append(out, call{spec, in})
	}
	return out, nil
}
