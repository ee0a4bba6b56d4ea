//go:build js && wasm

package idbstore

import (
	"sync"
	"syscall/js"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/jsbridge"
)

// With an executor, a read batch or a write batch crosses from Go into
// JavaScript once, packed into one Uint8Array, and its outcome crosses
// back once; see exec.js for the packing.

// execCalls are the batches the executor is running, by id; execDone is
// the one callback every batch reports to.
var (
	execMu    sync.Mutex
	execNext  uint32
	execCalls = map[uint32]func(ok bool, v js.Value){}
	execDone  = js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) < 3 {
			return nil
		}
		id := uint32(args[0].Int())
		execMu.Lock()
		f := execCalls[id]
		delete(execCalls, id)
		execMu.Unlock()
		if f != nil {
			f(args[1].Truthy(), args[2])
		}
		return nil
	})
)

func execRegister(f func(ok bool, v js.Value)) uint32 {
	execMu.Lock()
	defer execMu.Unlock()
	execNext++
	execCalls[execNext] = f
	return execNext
}

func execForget(id uint32) {
	execMu.Lock()
	delete(execCalls, id)
	execMu.Unlock()
}

// executor checks opts.Executor: an object with read and write functions,
// or undefined.
func executor(v js.Value) (js.Value, error) {
	if v.IsUndefined() || v.IsNull() {
		return js.Undefined(), nil
	}
	if v.Type() != js.TypeObject || v.Get("read").Type() != js.TypeFunction || v.Get("write").Type() != js.TypeFunction {
		return js.Undefined(), detailf(mlsidb.ErrInvalidArgument, "Options.Executor is not idbExec (no read and write functions)")
	}
	return v, nil
}

// packer builds a packed batch.
type packer struct{ b []byte }

func (p *packer) u8(v byte) { p.b = append(p.b, v) }

func (p *packer) u32(v int) { p.b = append(p.b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24)) }

func (p *packer) bytes(v []byte) {
	p.u32(len(v))
	p.b = append(p.b, v...)
}

// scope packs the store indexes of names (each once).
func (p *packer) scope(b *Backend, names []string) {
	p.u8(byte(len(names)))
	for _, s := range names {
		p.u8(b.storeIndex[s])
	}
}

// rangeOf packs a range of kind k (not RangeEmpty).
func (p *packer) rangeOf(k jsbridge.RangeKind, r mlsidb.KeyRange) {
	switch k {
	case jsbridge.RangeLower:
		p.u8(1)
		p.bytes(r.Start)
	case jsbridge.RangeUpper:
		p.u8(2)
		p.bytes(r.End)
	case jsbridge.RangeBound:
		p.u8(3)
		p.bytes(r.Start)
		p.bytes(r.End)
	default:
		p.u8(0)
	}
}

// unpacker reads the executor's packed results.
type unpacker struct {
	b   []byte
	bad bool
}

func (u *unpacker) u8() byte {
	if len(u.b) < 1 {
		u.bad = true
		return 0
	}
	v := u.b[0]
	u.b = u.b[1:]
	return v
}

func (u *unpacker) u32() int {
	if len(u.b) < 4 {
		u.bad = true
		return 0
	}
	v := int(u.b[0]) | int(u.b[1])<<8 | int(u.b[2])<<16 | int(u.b[3])<<24
	u.b = u.b[4:]
	return v
}

// bytes returns the next bytes field, sharing the packed buffer's memory
// (capacity cut, so that an append never runs into the next field).
func (u *unpacker) bytes() []byte {
	n := u.u32()
	if u.bad || n > len(u.b) {
		u.bad = true
		return nil
	}
	v := u.b[:n:n]
	u.b = u.b[n:]
	return v
}

// startReadExec is startRead through the executor.
func (b *Backend) startReadExec(reads []mlsidb.Read, names []string, done func([]mlsidb.ReadResult, error)) js.Value {
	var p packer
	p.scope(b, names)
	for _, r := range reads {
		p.u8(b.storeIndex[r.Store])
		switch {
		case !r.Scan:
			p.u8(0)
			p.bytes(r.Key)
		case jsbridge.PlanRange(r.Range) == jsbridge.RangeEmpty:
			p.u8(3)
		default:
			if r.Reverse {
				p.u8(2)
			} else {
				p.u8(1)
			}
			p.u32(max(r.Limit, 0))
			p.rangeOf(jsbridge.PlanRange(r.Range), r.Range)
		}
	}
	id := execRegister(func(ok bool, v js.Value) {
		if !ok {
			err := jsbridge.FromJS(v)
			if err == nil {
				err = errTxAborted
			}
			done(nil, b.fail("read", "", err))
			return
		}
		buf, err := jsbridge.BytesFromJS(v)
		if err != nil {
			done(nil, b.fail("read", "", err))
			return
		}
		done(b.unpackReads(reads, buf))
	})
	var tx js.Value
	if err := jsbridge.Catch(func() {
		tx = b.exec.Call("read", b.db, b.execNames, jsbridge.BytesToJS(p.b), id, execDone)
	}); err != nil {
		execForget(id)
		done(nil, b.fail("read", "", err))
		return js.Undefined()
	}
	return tx
}

// unpackReads reads the executor's results of reads.
func (b *Backend) unpackReads(reads []mlsidb.Read, buf []byte) ([]mlsidb.ReadResult, error) {
	u := unpacker{b: buf}
	out := make([]mlsidb.ReadResult, len(reads))
	for i, r := range reads {
		status := u.u8()
		if !r.Scan {
			switch status {
			case 0:
			case 1:
				out[i] = mlsidb.ReadResult{Found: true, Value: u.bytes()}
			default:
				return nil, b.fail("get from", r.Store, detailf(mlsidb.ErrVersionMismatch, "stored value is not binary"))
			}
			continue
		}
		if status != 1 {
			return nil, b.fail("scan", r.Store, detailf(mlsidb.ErrVersionMismatch, "stored key or value is not binary"))
		}
		n := u.u32()
		if u.bad || n > len(u.b)/8 {
			u.bad = true
			break
		}
		recs := make([]mlsidb.Record, n)
		for j := range recs {
			recs[j].Key = u.bytes()
			recs[j].Value = u.bytes()
		}
		out[i].Records = recs
	}
	if u.bad || len(u.b) != 0 {
		return nil, b.fail("read", "", detailf(mlsidb.ErrUnavailable, "the executor's results are malformed (is it this version's idbExec?)"))
	}
	return out, nil
}

// startWriteExec is startWrite of ops through the executor.
func (b *Backend) startWriteExec(stores []string, ops []mlsidb.Op, kinds []jsbridge.RangeKind, done func(error)) js.Value {
	if e := b.closed.Load(); e != nil {
		done(e)
		return js.Undefined()
	}
	var p packer
	n := 2 + len(stores)
	for _, op := range ops {
		n += 2 + 8 + len(op.Key) + len(op.Value) + len(op.Range.Start) + len(op.Range.End) + 1
	}
	p.b = make([]byte, 0, n)
	p.scope(b, stores)
	for i, op := range ops {
		switch op.Kind {
		case mlsidb.OpPut:
			p.u8(b.storeIndex[op.Store])
			p.u8(0)
			p.bytes(op.Key)
			p.bytes(op.Value)
		case mlsidb.OpDelete:
			p.u8(b.storeIndex[op.Store])
			p.u8(1)
			p.bytes(op.Key)
		case mlsidb.OpDeleteRange:
			if kinds[i] == jsbridge.RangeEmpty {
				continue
			}
			p.u8(b.storeIndex[op.Store])
			p.u8(2)
			p.rangeOf(kinds[i], op.Range)
		}
	}
	id := execRegister(func(ok bool, v js.Value) {
		if ok {
			done(nil)
			return
		}
		err := jsbridge.FromJS(v)
		if err == nil {
			err = errTxAborted
		}
		done(b.fail("apply", "", err))
	})
	var tx js.Value
	if err := jsbridge.Catch(func() {
		tx = b.exec.Call("write", b.db, b.execNames, b.txOptions, jsbridge.BytesToJS(p.b), id, execDone)
	}); err != nil {
		execForget(id)
		done(b.fail("apply", "", err))
		return js.Undefined()
	}
	return tx
}
