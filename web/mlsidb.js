// mlsidb: the OpenMLS storage contract (StorageProvider v1) for JavaScript,
// implemented in Go/WebAssembly and persisted in IndexedDB.
//
// One wasm instance serves every store of a page or worker. By default the
// module loads `dist/mlsidb.wasm` and `dist/wasm_exec.js` next to itself
// (`make wasm` puts them there); pass `wasm` / `wasmExec` to openStore to
// load them from elsewhere (for example when a bundler moved this file).
//
// See mlsidb.d.ts for the API.

/** The stable error codes of MlsStorageError. */
export const ErrorCode = Object.freeze({
  InvalidArgument: 'InvalidArgument',
  QuotaExceeded: 'QuotaExceeded',
  VersionMismatch: 'VersionMismatch',
  Closed: 'Closed',
  Unavailable: 'Unavailable',
  Blocked: 'Blocked',
  Internal: 'Internal',
});

const CODES = new Set(Object.values(ErrorCode));

/** Every rejection of this module is an MlsStorageError (except a transaction
 * callback's own error, which the transaction rejects with unchanged). */
export class MlsStorageError extends Error {
  /**
   * @param {string} code one of ErrorCode
   * @param {string} message never contains key or value bytes
   * @param {ErrorOptions} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = 'MlsStorageError';
    this.code = CODES.has(code) ? code : ErrorCode.Internal;
  }
}

const invalid = (msg) => new MlsStorageError(ErrorCode.InvalidArgument, 'mlsidb: invalid argument: ' + msg);

// toError turns what Go rejected with ({code, message}) or a thrown JS
// value into an MlsStorageError.
function toError(e) {
  if (e instanceof MlsStorageError) return e;
  if (e && typeof e === 'object' && typeof e.code === 'string' && typeof e.message === 'string' && !(e instanceof Error)) {
    return new MlsStorageError(e.code, e.message);
  }
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : 'unknown error';
  return new MlsStorageError(ErrorCode.Internal, 'mlsidb: internal error: ' + msg, { cause: e });
}

// ---------------------------------------------------------------------------
// The wasm runtime: one per realm (page or worker).

/** @type {Promise<Runtime> | null} */
let runtimePromise = null;

/**
 * @typedef {object} Runtime
 * @property {any} api the object Go registered
 * @property {MlsStorageError | null} dead set once the Go program exited
 * @property {Set<(e: Error) => void>} pending rejecters of calls in flight
 */

/** The version of the wasm's API this module speaks (cmd/wasm's apiVersion). */
const API_VERSION = 2;

const defaultWasm = () => new URL('./dist/mlsidb.wasm', import.meta.url);
const defaultWasmExec = () => new URL('./dist/wasm_exec.js', import.meta.url);

// loadGo returns the Go class of wasm_exec.js. wasm_exec.js is a classic
// script that defines globalThis.Go (and fs, process, path when missing);
// it also runs as a module, so it is imported. Go is taken and deleted
// right away; process and path are deleted too, and put back only while
// the Go program starts (it reads them once then). fs stays: the Go runtime
// writes its console output through globalThis.fs.
// A module is evaluated once per URL, so the class is kept for a retry.
const goClasses = new Map();

async function loadGo(wasmExec) {
  if (wasmExec === undefined && typeof globalThis.Go === 'function') {
    return { Go: globalThis.Go, saved: {} }; // the app loaded wasm_exec.js itself
  }
  const url = String(wasmExec ?? defaultWasmExec());
  if (goClasses.has(url)) return goClasses.get(url);
  const had = new Set(['Go', 'process', 'path'].filter((k) => k in globalThis));
  const previousGo = globalThis.Go;
  try {
    await import(/* webpackIgnore: true */ /* @vite-ignore */ url);
  } catch (e) {
    throw new MlsStorageError(ErrorCode.Unavailable, `mlsidb: cannot load wasm_exec.js from ${url}: ${e?.message ?? e}`, { cause: e });
  }
  const Go = globalThis.Go;
  if (typeof Go !== 'function') {
    throw new MlsStorageError(ErrorCode.Unavailable, `mlsidb: ${url} did not define Go (is it wasm_exec.js?)`);
  }
  if (had.has('Go')) globalThis.Go = previousGo;
  else delete globalThis.Go;
  // process and path are put back for the Go program's start-up and
  // removed after it, so that they never stay behind, even when the start fails.
  const saved = {};
  for (const k of ['process', 'path']) {
    if (!had.has(k)) {
      saved[k] = globalThis[k];
      delete globalThis[k];
    }
  }
  const loaded = { Go, saved };
  goClasses.set(url, loaded);
  return loaded;
}

async function instantiate(wasm, imports) {
  if (wasm instanceof WebAssembly.Module) {
    return WebAssembly.instantiate(wasm, imports);
  }
  let response;
  try {
    response = wasm instanceof Response ? wasm : await fetch(wasm);
  } catch (e) {
    throw new MlsStorageError(ErrorCode.Unavailable, `mlsidb: cannot fetch the wasm: ${e?.message ?? e}`, { cause: e });
  }
  if (!response.ok) {
    throw new MlsStorageError(ErrorCode.Unavailable, `mlsidb: cannot fetch the wasm: HTTP ${response.status}`);
  }
  const type = response.headers.get('Content-Type') || '';
  if (typeof WebAssembly.instantiateStreaming === 'function' && type.split(';')[0].trim() === 'application/wasm') {
    return (await WebAssembly.instantiateStreaming(response, imports)).instance;
  }
  return (await WebAssembly.instantiate(await response.arrayBuffer(), imports)).instance;
}

function randomName() {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return '__mlsidb_' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

async function startRuntime(wasm, wasmExec) {
  const { Go, saved } = await loadGo(wasmExec);
  const go = new Go();
  const prop = randomName();
  go.argv = ['mlsidb.wasm'];
  go.env = { MLSIDB_API: prop }; // the property the Go program registers its API under
  let instance;
  try {
    instance = await instantiate(wasm ?? defaultWasm(), go.importObject);
  } catch (e) {
    throw e instanceof MlsStorageError ? e
      : new MlsStorageError(ErrorCode.Unavailable, `mlsidb: cannot instantiate the wasm: ${e?.message ?? e}`, { cause: e });
  }
  /** @type {Runtime} */
  const rt = { api: null, dead: null, pending: new Set(), calls: new Map(), nextCall: 0 };
  Object.assign(globalThis, saved);
  let exited;
  try {
    exited = go.run(instance); // runs main until it waits for calls
  } finally {
    for (const k of Object.keys(saved)) delete globalThis[k];
  }
  const api = globalThis[prop];
  delete globalThis[prop];
  const die = (why) => {
    rt.dead = new MlsStorageError(ErrorCode.Internal, 'mlsidb: the wasm instance stopped: ' + why);
    for (const reject of rt.pending) reject(rt.dead);
    rt.pending.clear();
    for (const [, reject] of rt.calls.values()) reject(rt.dead);
    rt.calls.clear();
  };
  exited.then(() => die('the Go program exited'), (e) => die(String(e?.message ?? e)));
  if (!api || typeof api.invoke !== 'function') {
    throw new MlsStorageError(ErrorCode.Unavailable, 'mlsidb: the wasm did not register its API (is it mlsidb.wasm?)');
  }
  if (api.apiVersion !== API_VERSION) {
    throw new MlsStorageError(ErrorCode.Unavailable, `mlsidb: mlsidb.js speaks version ${API_VERSION} of the wasm's API, ` +
      `and this mlsidb.wasm version ${api.apiVersion ?? 1}: they come from different builds (an old one cached?)`);
  }
  rt.api = api;
  // invoke's calls settle through this one function (see goInvoke).
  api.init((id, ok, v, failed) => {
    const c = rt.calls.get(id);
    if (!c) return;
    rt.calls.delete(id);
    if (ok) c[0](v);
    else c[1](Object.assign(toError(v), { [FAILED_AT]: failed }));
  });
  installMethods(api.methods);
  return rt;
}

function runtime(wasm, wasmExec) {
  if (!runtimePromise) {
    runtimePromise = startRuntime(wasm, wasmExec);
    // A failed load may be retried (say, with another URL).
    runtimePromise.catch(() => { runtimePromise = null; });
  }
  return runtimePromise;
}

// goCall calls a function of the Go API and returns a Promise that settles
// with it, or rejects when the wasm instance stops first.
function goCall(rt, fn, ...args) {
  if (rt.dead) return Promise.reject(rt.dead);
  return new Promise((resolve, reject) => {
    const fail = (e) => { rt.pending.delete(fail); reject(toError(e)); };
    rt.pending.add(fail);
    let p;
    try {
      p = rt.api[fn](...args);
    } catch (e) {
      fail(e);
      return;
    }
    p.then((v) => { rt.pending.delete(fail); resolve(v); }, fail);
  });
}

// goInvoke runs one contract call, packed as Batch packs calls:
// the arguments cross into the wasm with one copy, and the wasm settles
// the call through the function given to init, by id (no Promise or
// function made in Go per call).
function goInvoke(rt, handle, packed) {
  if (rt.dead) return Promise.reject(rt.dead);
  return new Promise((resolve, reject) => {
    const id = ++rt.nextCall;
    rt.calls.set(id, [resolve, reject]);
    let r;
    try {
      r = rt.api.invoke(handle, packed, id);
    } catch (e) {
      r = e;
    }
    if (r !== undefined) {
      rt.calls.delete(id);
      reject(toError(r));
    }
  });
}

// ---------------------------------------------------------------------------
// Argument checks (Go checks again; these give the message first and copy
// the bytes at call time).

const TAG = Object.prototype.toString;

function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return v.constructor?.name || 'object';
  return typeof v;
}

// asBytes returns a Uint8Array (its own range only) or an ArrayBuffer as a
// Uint8Array: a view of the caller's bytes (copy: a copy of them). A
// contract call packs its arguments (one copy) when it is made, so the
// caller may reuse its array at once; what is kept for later is copied.
function asBytes(v, copy = true) {
  if (v instanceof Uint8Array) return copy ? v.slice() : v;
  if (v instanceof ArrayBuffer) return new Uint8Array(copy ? v.slice(0) : v);
  const tag = TAG.call(v);
  if (tag === '[object Uint8Array]') return new Uint8Array(v); // another realm's: copied
  if (tag === '[object ArrayBuffer]') return new Uint8Array(new Uint8Array(v));
  return undefined;
}

// checkArgs checks the arguments of a contract call and returns them as
// Uint8Arrays (views of the caller's bytes: pack them before returning).
function checkArgs(m, args) {
  if (args.length !== m.args.length) {
    throw invalid(`${m.name}: want ${m.args.length} argument${m.args.length === 1 ? '' : 's'}, got ${args.length}`);
  }
  const out = new Array(args.length);
  for (let i = 0; i < args.length; i++) {
    const v = args[i];
    const pos = `${m.name}: argument ${i + 1}`;
    switch (m.args[i]) {
      case 'bytes': {
        const b = asBytes(v, false);
        if (!b) throw invalid(`${pos} must be a Uint8Array or ArrayBuffer, got ${describe(v)}`);
        out[i] = b;
        break;
      }
      case 'u32':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
          throw invalid(`${pos} (leaf index) must be an integer from 0 to 4294967295` +
            (typeof v === 'number' ? '' : `, got ${describe(v)}`));
        }
        out[i] = v;
        break;
      case 'bytesList': {
        if (!Array.isArray(v)) throw invalid(`${pos} must be an array of Uint8Array, got ${describe(v)}`);
        out[i] = v.map((x, j) => {
          const b = asBytes(x, false);
          if (!b) throw invalid(`${pos} item ${j} must be a Uint8Array or ArrayBuffer, got ${describe(x)}`);
          return b;
        });
        break;
      }
      default:
        throw new MlsStorageError(ErrorCode.Internal, `mlsidb: ${m.name}: unknown argument kind`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// The executor of idbstore's IndexedDB batches (idbstore.Options.Executor).

// BEGIN idbstore/exec.js (the same text; make test checks)
// idbExec issues idbstore's IndexedDB batches in JavaScript (idbstore's
// Options.Executor): Go packs a batch into one Uint8Array and makes one
// call; the requests are issued here; the outcome comes back in one call
// with, for reads, every result packed into one Uint8Array. Without it Go
// issues each request itself, and each request, key, value and result is
// a crossing between Go and JavaScript with a js.Value to finalize.
// The packing (little-endian) is idbstore's (exec_js.go); a bytes field is
// a u32 length and the bytes. Source: idbstore/exec.js; web/mlsidb.js
// carries the same text (a test checks).
const idbExec = (() => {
  'use strict';
  const utf8 = new TextDecoder();

  // Reader of a packed batch.
  class In {
    constructor(buf) {
      this.buf = buf;
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      this.at = 0;
    }
    u8() { return this.buf[this.at++]; }
    u32() { const v = this.view.getUint32(this.at, true); this.at += 4; return v; }
    // bytes returns a copy (IndexedDB keeps a value's whole buffer).
    bytes() { const n = this.u32(); const b = this.buf.slice(this.at, this.at + n); this.at += n; return b; }
    done() { return this.at >= this.buf.length; }
  }

  // range reads a range kind and its bounds: 0 all, 1 [start, ∞),
  // 2 (−∞, end), 3 [start, end).
  function range(r) {
    switch (r.u8()) {
      case 0: return null;
      case 1: return IDBKeyRange.lowerBound(r.bytes(), false);
      case 2: return IDBKeyRange.upperBound(r.bytes(), true);
      default: { const start = r.bytes(); return IDBKeyRange.bound(start, r.bytes(), false, true); }
    }
  }

  function scope(r, names) {
    const n = r.u8();
    const out = [];
    for (let i = 0; i < n; i++) out.push(names[r.u8()]);
    return out;
  }

  // asBytes returns a stored value or key as a Uint8Array, or null when it
  // is not binary (written by something else).
  function asBytes(v) {
    if (v instanceof Uint8Array) return v;
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    return null;
  }

  // The error to report for a failed transaction: the first request that
  // failed with something other than AbortError, else the transaction's.
  function firstError(reqs, tx) {
    let abortErr = null;
    for (const q of reqs) {
      if (!q || q.readyState !== 'done' || !q.error) continue;
      if (q.error.name === 'AbortError') abortErr ??= q.error;
      else return q.error;
    }
    return tx.error ?? abortErr ?? new DOMException('the transaction was aborted', 'AbortError');
  }

  // read(db, names, spec, id, cb): the reads of spec in one readonly
  // transaction, requests issued back to back. spec: u8 store count and
  // store indexes, then per read: u8 store index, u8 mode (0 get: bytes
  // key; 1 forward scan, 2 reverse scan: u32 limit (0 none) and a range;
  // 3 empty scan). cb(id, true, results) or cb(id, false, error) once.
  // results, per read: get: u8 status (0 missing, 1 found: bytes value,
  // 2 not binary); scan: u8 status (1: u32 count, then bytes key and bytes
  // value per record; 2 not binary). Returns the transaction (for abort).
  function read(db, names, spec, id, cb) {
    const r = new In(spec);
    const stores = scope(r, names);
    const tx = db.transaction(stores.length === 1 ? stores[0] : stores, 'readonly');
    const reads = [];
    const reqs = [];
    let pending = 1;
    let over = false;
    const fail = (req) => {
      if (over) return;
      over = true;
      cb(id, false, firstError(reqs, tx) ?? req?.error);
    };
    const finished = () => {
      if (--pending === 0 && !over) {
        over = true;
        cb(id, true, pack(reads));
      }
    };
    try {
      let last = null;
      while (!r.done()) {
        const os = tx.objectStore(names[r.u8()]);
        const mode = r.u8();
        if (mode === 0) {
          const q = os.get(r.bytes());
          reads.push({ get: q });
          reqs.push(q);
          last = q;
          continue;
        }
        if (mode === 3) {
          reads.push({ records: [] });
          continue;
        }
        const limit = r.u32();
        const q0 = range(r);
        if (mode === 1) {
          const keys = os.getAllKeys(q0, limit || undefined);
          const vals = os.getAll(q0, limit || undefined);
          reads.push({ keys, vals });
          reqs.push(keys, vals);
          last = vals;
          continue;
        }
        const rd = { walk: [] };
        reads.push(rd);
        const cur = os.openCursor(q0, 'prev');
        reqs.push(cur);
        pending++;
        cur.onerror = () => fail(cur);
        cur.onsuccess = () => {
          if (over) return;
          const c = cur.result;
          if (!c) { finished(); return; }
          rd.walk.push(c.key, c.value);
          if (limit > 0 && rd.walk.length / 2 >= limit) { finished(); return; }
          c.continue();
        };
      }
      if (last) {
        last.onsuccess = finished;
        last.onerror = () => fail(last);
      } else {
        queueMicrotask(finished);
      }
      tx.onabort = () => fail(null);
    } catch (e) {
      try { tx.abort(); } catch { /* already over */ }
      over = true;
      throw e;
    }
    return tx;
  }

  // pack packs the results of reads (see read).
  function pack(reads) {
    const parts = [];
    let n = 0;
    const add = (b) => { parts.push(b); n += 4 + b.length; };
    for (const rd of reads) {
      n++;
      if (rd.get) {
        const v = rd.get.result;
        if (v === undefined) { rd.status = 0; continue; }
        const b = asBytes(v);
        rd.status = b ? 1 : 2;
        if (b) add(b);
        continue;
      }
      const list = (rd.records ?? rd.walk ?? interleave(rd.keys.result, rd.vals.result)).map(asBytes);
      if (list.some((b) => !b)) { rd.status = 2; continue; } // nothing of it is packed
      rd.status = 1;
      n += 4;
      rd.count = list.length / 2;
      list.forEach(add);
    }
    const out = new Uint8Array(n);
    const view = new DataView(out.buffer);
    let at = 0;
    let p = 0;
    const put = () => {
      const b = parts[p++];
      view.setUint32(at, b.length, true);
      out.set(b, at + 4);
      at += 4 + b.length;
    };
    for (const rd of reads) {
      out[at++] = rd.status;
      if (rd.get) {
        if (rd.status === 1) put();
        continue;
      }
      if (rd.status !== 1) continue;
      view.setUint32(at, rd.count, true);
      at += 4;
      for (let i = 0; i < 2 * rd.count; i++) put();
    }
    return out.subarray(0, at);
  }

  function interleave(keys, vals) {
    if (keys.length !== vals.length) return [null];
    const out = new Array(2 * keys.length);
    for (let i = 0; i < keys.length; i++) {
      out[2 * i] = keys[i];
      out[2 * i + 1] = vals[i];
    }
    return out;
  }

  // write(db, names, options, spec, id, cb): the ops of spec in one
  // readwrite transaction, asked to commit at once. spec: u8 store count
  // and store indexes, then per op: u8 store index, u8 kind (0 put: bytes
  // key, bytes value; 1 delete: bytes key; 2 delete range: a range, all
  // meaning clear). cb(id, true) when it commits, cb(id, false, error)
  // when it aborts. Throws (the transaction aborted) when an op cannot be
  // issued. Returns the transaction.
  function write(db, names, options, spec, id, cb) {
    const r = new In(spec);
    const stores = scope(r, names);
    const tx = db.transaction(stores.length === 1 ? stores[0] : stores, 'readwrite', options);
    const reqs = [];
    try {
      while (!r.done()) {
        const os = tx.objectStore(names[r.u8()]);
        switch (r.u8()) {
          case 0: { const key = r.bytes(); reqs.push(os.put(r.bytes(), key)); break; }
          case 1: reqs.push(os.delete(r.bytes())); break;
          default: {
            const q = range(r);
            reqs.push(q === null ? os.clear() : os.delete(q));
          }
        }
      }
    } catch (e) {
      try { tx.abort(); } catch { /* already over */ }
      throw e;
    }
    tx.oncomplete = () => cb(id, true, null);
    tx.onabort = () => cb(id, false, firstError(reqs, tx));
    if (typeof tx.commit === 'function') tx.commit();
    return tx;
  }

  return Object.freeze({ read, write, version: 1, utf8 });
})();
// END idbstore/exec.js

// ---------------------------------------------------------------------------
// Stores and transactions.

// Writes are serialized by the provider in Go: within the page by its own
// lock, and across the pages and workers of the origin by the Web Lock
// "mlsidb:<name>:store" that idbstore takes for every write and every
// transaction (see idbstore's package documentation). Nothing here locks.

const RT = Symbol('runtime');
const FAILED_AT = Symbol('failedAt'); // on an invoke error: the index of the call that failed
const HANDLE = Symbol('handle');
const ENDED = Symbol('ended');
const INFLIGHT = Symbol('inflight');
const LOST = Symbol('lost');
const QUEUE = Symbol('queue');
const SENT = Symbol('sent');
const FAILED = Symbol('failed');

// Inside a transaction a write only reaches the transaction's buffer in Go
// (IndexedDB sees nothing before the commit), so it is checked here
// (types, argument count, key lengths), queued, and resolved at once; the
// queued writes cross into the wasm together, in one call, before the
// transaction's next read, nested transaction or end. An error the wasm
// finds in them then (none of the checks above) rejects that call and the
// transaction. One crossing per call is most of a call's cost.
function sendQueued(tx) {
  if (tx[QUEUE].length) {
    const batch = tx[QUEUE].take();
    tx[SENT] = tx[SENT].then(() => goCall(tx[RT], 'callMany', tx[HANDLE], batch)).catch((e) => {
      tx[FAILED] ??= e;
      throw e;
    });
  }
  return tx[SENT];
}

// sendWith makes a call on a transaction after its queued writes, in the
// same crossing: one invoke runs the queued writes, then the call. When a
// queued write fails, the transaction fails with its error (as sendQueued);
// when the call itself fails, only the call rejects.
function sendWith(tx, spec, args, unpack) {
  const queued = tx[QUEUE].length;
  tx[QUEUE].add(spec, args);
  const batch = tx[QUEUE].take();
  const run = () => goInvoke(tx[RT], tx[HANDLE], batch).catch((e) => {
    if (e?.[FAILED_AT] < queued) tx[FAILED] ??= e;
    throw e;
  });
  const p = tx[SENT].then(run);
  tx[SENT] = p.then(() => undefined, (e) => {
    if (tx[FAILED] === e) throw e;
  });
  return unpack ? p.then(unpack) : p;
}

// Batch packs calls ([method, checked arguments]) into one Uint8Array for
// the wasm's invoke, callMany and end, little-endian: per call the
// method's index in the table (u16), then per argument: bytes as a u32
// length and the bytes, a leaf index as a u32, a list as a u32 count and
// each item as bytes. The bytes are copied in when a call is added.
class Batch {
  constructor(size = 1024) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
    this.at = 0;
    this.length = 0; // calls
  }

  room(n) {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.at));
    this.buf = b;
    this.view = new DataView(b.buffer);
  }

  u32(v) { this.view.setUint32(this.at, v, true); this.at += 4; }

  bytes(b) { this.u32(b.length); this.buf.set(b, this.at); this.at += b.length; }

  /** The packed size of a call. */
  static size(m, args) {
    let n = 2;
    m.args.forEach((kind, i) => {
      if (kind === 'bytes') n += 4 + args[i].length;
      else if (kind === 'u32') n += 4;
      else n += 4 + args[i].reduce((sum, x) => sum + 4 + x.length, 0);
    });
    return n;
  }

  add(m, args) {
    this.room(Batch.size(m, args));
    this.view.setUint16(this.at, m.index, true);
    this.at += 2;
    m.args.forEach((kind, i) => {
      if (kind === 'bytes') this.bytes(args[i]);
      else if (kind === 'u32') this.u32(args[i]);
      else {
        this.u32(args[i].length);
        args[i].forEach((b) => this.bytes(b));
      }
    });
    this.length++;
  }

  /** The packed calls; the batch starts empty again. */
  take() {
    const out = this.buf.subarray(0, this.at);
    this.buf = new Uint8Array(Math.max(1024, Math.min(this.buf.length, 1 << 16)));
    this.view = new DataView(this.buf.buffer);
    this.at = 0;
    this.length = 0;
    return out;
  }
}

// pack packs one call, in an array of its exact size.
function pack(m, args) {
  const b = new Batch(Batch.size(m, args));
  b.add(m, args);
  return b.buf;
}

function checkKeys(m, args, maxKeyLen) {
  for (const i of m.keys) {
    const n = args[i].length;
    if (n === 0 || n > maxKeyLen) {
      throw invalid(`${m.name}: argument ${i + 1} (a key) must be 1 to ${maxKeyLen} bytes, got ${n}`);
    }
  }
}

function track(owner, p) {
  owner[INFLIGHT].add(p);
  const done = () => owner[INFLIGHT].delete(p);
  p.then(done, done);
  return p;
}

function endedError(owner) {
  if (owner[LOST]) return owner[LOST];
  return new MlsStorageError(ErrorCode.Closed, owner instanceof MlsTransaction
    ? 'mlsidb: store closed: the transaction has ended'
    : 'mlsidb: store closed: the store was closed');
}

function initCalls(owner, rt, handle) {
  owner[RT] = rt;
  owner[HANDLE] = handle;
  owner[ENDED] = false;
  owner[LOST] = null;
  owner[INFLIGHT] = new Set();
}

const isDead = (owner) => owner[ENDED] || owner[LOST];

/**
 * Runs fn as one transaction: fn's writes through tx are committed
 * together when fn's Promise resolves and rolled back when it rejects.
 * (Installed on MlsStore and MlsTransaction.)
 * @template T
 * @param {(tx: MlsTransaction) => Promise<T> | T} fn
 * @returns {Promise<T>}
 */
function transaction(fn) {
  if (typeof fn !== 'function') {
    return Promise.reject(invalid('transaction: argument 1 must be a function'));
  }
  if (isDead(this)) return Promise.reject(endedError(this));
  return track(this, runTransaction(this, fn));
}

/**
 * Writes every entry of an OpenMLS MemoryStorage snapshot, all or
 * nothing; lists in the snapshot replace the stored ones. (Installed on
 * MlsStore and MlsTransaction.)
 * @param {Uint8Array | ArrayBuffer | string} snapshot binary or JSON
 *   encoding (a string is the JSON encoding)
 * @param {{dropOrphanProposals?: boolean}} [options]
 * @returns {Promise<void>}
 */
function importOpenMls(...args) {
  return openMlsWrite(this, 'importOpenMls', args).then(() => undefined);
}

/**
 * Makes the store hold exactly what the snapshot holds: writes the
 * entries that are new or changed, deletes the ones that are gone, in
 * one transaction. Resolves to how many MemoryStorage entries it wrote
 * and deleted. (Installed on MlsStore and MlsTransaction.)
 * @param {Uint8Array | ArrayBuffer | string} snapshot
 * @param {{dropOrphanProposals?: boolean}} [options]
 * @returns {Promise<{written: number, deleted: number}>}
 */
function syncOpenMls(...args) {
  return openMlsWrite(this, 'syncOpenMls', args);
}

/**
 * Everything stored, as an OpenMLS MemoryStorage snapshot: a Uint8Array
 * for format 'binary' (the default), a string for 'json'. (Installed on
 * MlsStore and MlsTransaction.)
 * @param {{format?: 'binary' | 'json'}} [options]
 * @returns {Promise<Uint8Array | string>}
 */
function exportOpenMls(...args) {
  if (isDead(this)) return Promise.reject(endedError(this));
  let format = 'binary';
  try {
    if (args.length > 1) throw invalid(`exportOpenMls: want at most 1 argument, got ${args.length}`);
    const options = checkOptions('exportOpenMls', args[0], ['format']);
    if (options.format !== undefined) {
      if (options.format !== 'binary' && options.format !== 'json') {
        throw invalid('exportOpenMls: format must be "binary" or "json"');
      }
      format = options.format;
    }
  } catch (e) {
    return Promise.reject(e);
  }
  const call = () => goCall(this[RT], 'exportOpenMls', this[HANDLE], format);
  return track(this, this[QUEUE] ? sendQueued(this).then(call) : call());
}

// checkOptions checks an optional options object (argument 2 of the
// import and sync calls, 1 of export) and its keys.
function checkOptions(name, options, keys) {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalid(`${name}: options must be an object, got ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!keys.includes(k)) throw invalid(`${name}: unknown option ${JSON.stringify(k)} (known: ${keys.join(', ')})`);
  }
  return options;
}

// openMlsWrite checks (snapshot, options?) and runs importOpenMls or
// syncOpenMls (the provider serializes it with the store's other writes).
function openMlsWrite(owner, name, args) {
  if (isDead(owner)) return Promise.reject(endedError(owner));
  let snapshot;
  let drop;
  try {
    if (args.length < 1 || args.length > 2) throw invalid(`${name}: want 1 or 2 arguments (snapshot, options), got ${args.length}`);
    snapshot = typeof args[0] === 'string' ? args[0] : asBytes(args[0]);
    if (snapshot === undefined) {
      throw invalid(`${name}: argument 1 (snapshot) must be a Uint8Array, an ArrayBuffer or a string, got ${describe(args[0])}`);
    }
    const options = checkOptions(name, args[1], ['dropOrphanProposals']);
    if (options.dropOrphanProposals !== undefined && typeof options.dropOrphanProposals !== 'boolean') {
      throw invalid(`${name}: dropOrphanProposals must be a boolean`);
    }
    drop = options.dropOrphanProposals === true;
  } catch (e) {
    return Promise.reject(e);
  }
  const call = () => goCall(owner[RT], name, owner[HANDLE], snapshot, drop);
  return track(owner, owner[QUEUE] ? sendQueued(owner).then(call) : call());
}

async function runTransaction(owner, fn) {
  const rt = owner[RT];
  if (owner[QUEUE]) await sendQueued(owner);
  const handle = await goCall(rt, 'begin', owner[HANDLE]);
  const tx = new MlsTransaction(rt, handle);
  let result;
  let failed = false;
  let error;
  try {
    result = await fn(tx);
  } catch (e) {
    failed = true;
    error = e;
  }
  // Calls the callback made but did not await finish first.
  while (tx[INFLIGHT].size) await Promise.allSettled([...tx[INFLIGHT]]);
  tx[ENDED] = true;
  if (!failed) {
    try {
      await tx[SENT];
    } catch (e) {
      failed = true;
      error = e;
    }
  }
  if (!failed && tx[FAILED]) {
    failed = true; // queued writes failed, and the callback caught it
    error = tx[FAILED];
  }
  // The last queued writes go with the commit, in one crossing.
  const last = !failed && tx[QUEUE].length ? tx[QUEUE].take() : undefined;
  try {
    await goCall(rt, 'end', handle, !failed, last);
  } catch (e) {
    if (!failed) throw e;
  }
  if (failed) throw error;
  return result;
}

// Results with many byte strings come from the wasm packed into one
// Uint8Array (cmd/wasm's packed type): little-endian, a byte string is a
// u32 length and the bytes (each unpacked into an array of its own).
class Unpacker {
  constructor(buf) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.at = 0;
  }
  u32() { const v = this.view.getUint32(this.at, true); this.at += 4; return v; }
  bytes() { const n = this.u32(); const b = this.buf.slice(this.at, this.at + n); this.at += n; return b; }
  list() { const out = new Array(this.u32()); for (let i = 0; i < out.length; i++) out[i] = this.bytes(); return out; }
  proposals() {
    const out = new Array(this.u32());
    for (let i = 0; i < out.length; i++) out[i] = [this.bytes(), this.bytes()];
    return out;
  }
}

// The 11 values of a loaded group, in the order the wasm packs them.
const GROUP_FIELDS = ['tree', 'groupContext', 'interimTranscriptHash', 'confirmationTag', 'groupEpochSecrets',
  'ownLeafIndex', 'messageSecrets', 'resumptionPskStore', 'mlsGroupJoinConfig', 'groupState', 'applicationExportTree'];

const UNPACK = {
  bytesList: (buf) => new Unpacker(buf).list(),
  proposals: (buf) => new Unpacker(buf).proposals(),
  group: (buf) => {
    const u = new Unpacker(buf);
    const out = {};
    for (const f of GROUP_FIELDS) out[f] = u.buf[u.at++] === 1 ? u.bytes() : undefined;
    out.ownLeafNodes = u.list();
    out.queuedProposals = u.proposals();
    return out;
  },
};

// The prototypes the contract methods and transaction are installed on.
const callPrototypes = () => [MlsStore.prototype, MlsTransaction.prototype];

function installMethods(methods) {
  for (const [index, m] of methods.entries()) {
    const spec = Object.freeze({ ...m, index, args: Object.freeze([...m.args]) });
    const value = function (...args) {
      if (isDead(this)) return Promise.reject(endedError(this));
      let checked;
      try {
        checked = checkArgs(spec, args);
        if (this[QUEUE] && spec.result === 'none') {
          checkKeys(spec, checked, this[RT].api.maxKeyLen);
          this[QUEUE].add(spec, checked);
          return Promise.resolve();
        }
      } catch (e) {
        return Promise.reject(e);
      }
      const unpack = UNPACK[spec.result];
      if (this[QUEUE]) return track(this, sendWith(this, spec, checked, unpack));
      const call = goInvoke(this[RT], this[HANDLE], pack(spec, checked));
      return track(this, unpack ? call.then(unpack) : call);
    };
    for (const proto of callPrototypes()) {
      Object.defineProperty(proto, spec.name, { configurable: true, writable: true, value });
    }
  }
  methodTable = Object.freeze(methods.filter((m) => m.openmls).map((m) => Object.freeze({
    name: m.name, go: m.go, openmls: m.openmls, group: m.group,
    args: Object.freeze([...m.args]), result: m.result,
  })));
}

/** @type {ReadonlyArray<object> | null} */
let methodTable = null;

const isAbortSignal = (v) => typeof AbortSignal === 'function' && v instanceof AbortSignal;

/**
 * A store opened by openStore. It is an EventTarget: "change" events tell
 * which groups and method groups another tab or worker changed (detail:
 * {groups: Uint8Array[], methodGroups: string[]}); a "close" event tells
 * that the connection was closed from outside, for example by a tab that
 * opened the store with a newer schema (detail: {code: 'Closed', reason,
 * message}); later calls then reject with Closed.
 */
export class MlsStore extends EventTarget {
  /**
   * @param {Runtime} rt @param {number} handle @param {string} name
   * @param {boolean} created @param {string} id
   */
  constructor(rt, handle, name, created, id) {
    super();
    initCalls(this, rt, handle);
    /** The store's name (its IndexedDB database). */
    this.name = name;
    /**
     * True when this openStore created the database: it did not exist. That
     * is a first run, or the data was deleted since: by the user clearing
     * site data, by the browser evicting the origin's storage, or by
     * Chromium, which deletes a database it finds corrupt at open (seen
     * after repeated browser crashes). False when the database was there,
     * and for a second openStore of a store this page has open. Exactly one
     * open sees true: record a loss in the app's own storage at once.
     */
    this.created = created;
    /**
     * The store's ID, 32 hex digits: made at random when the store was first
     * opened, never changed. A store deleted and made again has a new one,
     * which every later open in every tab sees: keep the ID of the store
     * your MLS state is in, and compare it at each start. Not a secret.
     */
    this.id = id;
  }

  /** True once close was called, or the connection was closed from outside. */
  get closed() { return Boolean(isDead(this)); }

  /**
   * Runs fn while this page holds the exclusive lock of the group: a Web
   * Lock shared by every tab and worker of the origin, so no other
   * withGroupLock of the same group (of this store) runs meanwhile. Use it
   * around each MLS operation on a group. Resolves to fn's result; rejects
   * with fn's own error, or with signal.reason when the signal aborts the
   * wait. Not re-entrant: a nested withGroupLock of the same group waits
   * for itself (until its signal aborts). Take it outside transactions, and
   * run the transaction inside fn.
   * @template T
   * @param {Uint8Array | ArrayBuffer} groupId
   * @param {() => Promise<T> | T} fn
   * @param {{signal?: AbortSignal}} [options]
   * @returns {Promise<T>}
   */
  withGroupLock(groupId, fn, options = {}) {
    if (isDead(this)) return Promise.reject(endedError(this));
    const id = asBytes(groupId);
    if (!id) return Promise.reject(invalid(`withGroupLock: argument 1 must be a Uint8Array or ArrayBuffer, got ${describe(groupId)}`));
    if (id.length === 0) return Promise.reject(invalid('withGroupLock: the group id is empty'));
    if (typeof fn !== 'function') return Promise.reject(invalid('withGroupLock: argument 2 must be a function'));
    if (options === null || typeof options !== 'object') return Promise.reject(invalid('withGroupLock: options must be an object'));
    const { signal } = options;
    if (signal !== undefined && !isAbortSignal(signal)) return Promise.reject(invalid('withGroupLock: signal must be an AbortSignal'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return (async () => {
      let lock;
      try {
        lock = await goCall(this[RT], 'lockGroup', this[HANDLE], id, signal);
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        throw e;
      }
      try {
        return await fn();
      } finally {
        await goCall(this[RT], 'unlockGroup', lock).catch(() => {});
      }
    })();
  }

  /**
   * Closes the store: later calls reject with code Closed. Calls already
   * made finish first. Closing again does nothing.
   * @returns {Promise<void>}
   */
  async close() {
    if (this[ENDED]) return;
    this[ENDED] = true;
    while (this[INFLIGHT].size) await Promise.allSettled([...this[INFLIGHT]]);
    await goCall(this[RT], 'close', this[HANDLE]);
  }
}

/** The view of a store inside store.transaction: its reads see its own
 * writes; it ends when the callback settles. */
export class MlsTransaction {
  /** @param {Runtime} rt @param {number} handle */
  constructor(rt, handle) {
    initCalls(this, rt, handle);
    this[QUEUE] = new Batch();
    this[SENT] = Promise.resolve();
    this[FAILED] = undefined;
  }
}

for (const proto of callPrototypes()) {
  for (const value of [transaction, importOpenMls, syncOpenMls, exportOpenMls]) {
    Object.defineProperty(proto, value.name, { configurable: true, writable: true, value });
  }
}

// storeListener returns the function Go calls with the store's events. It
// runs inside a call from Go, so it only queues the dispatch.
function storeListener(ref) {
  return (type, detail) => {
    queueMicrotask(() => {
      const store = ref.store;
      if (!store) {
        ref.early.push([type, detail]); // before openStore resolved: replayed then
        return;
      }
      if (store[ENDED]) return;
      if (type === 'change') {
        store.dispatchEvent(new CustomEvent('change', {
          detail: { groups: [...detail.groups], methodGroups: [...detail.methodGroups] },
        }));
      } else if (type === 'close') {
        if (store[LOST]) return;
        store[LOST] = new MlsStorageError(ErrorCode.Closed, String(detail.message));
        store.dispatchEvent(new CustomEvent('close', {
          detail: { code: ErrorCode.Closed, reason: String(detail.reason), message: String(detail.message) },
        }));
      }
    });
  };
}

/**
 * Opens (creating it if needed) the store called name.
 * @param {{name: string, wasm?: string | URL | Response | WebAssembly.Module,
 *   wasmExec?: string | URL, durability?: 'strict' | 'relaxed' | 'default',
 *   blockedTimeout?: number}} options
 * @returns {Promise<MlsStore>}
 */
export async function openStore(options) {
  if (!options || typeof options !== 'object') throw invalid('openStore: options must be an object');
  const { name, wasm, wasmExec, durability, blockedTimeout } = options;
  if (typeof name !== 'string' || name === '') throw invalid('openStore: name must be a non-empty string');
  if (durability !== undefined && !['strict', 'relaxed', 'default'].includes(durability)) {
    throw invalid('openStore: durability must be "strict", "relaxed" or "default"');
  }
  if (blockedTimeout !== undefined && !(typeof blockedTimeout === 'number' && blockedTimeout > 0 && blockedTimeout <= 2 ** 31 - 1)) {
    throw invalid('openStore: blockedTimeout must be a positive number of milliseconds');
  }
  if (wasm !== undefined && !(typeof wasm === 'string' || wasm instanceof URL || wasm instanceof Response ||
      wasm instanceof WebAssembly.Module)) {
    throw invalid('openStore: wasm must be a URL, a string, a Response or a WebAssembly.Module');
  }
  if (wasmExec !== undefined && !(typeof wasmExec === 'string' || wasmExec instanceof URL)) {
    throw invalid('openStore: wasmExec must be a URL or a string');
  }
  const rt = await runtime(wasm, wasmExec);
  const ref = { store: null, early: [] };
  const listener = storeListener(ref);
  const { handle, created, id } = await goCall(rt, 'open', name, durability ?? 'strict', blockedTimeout, listener, idbExec);
  ref.store = new MlsStore(rt, handle, name, created, Array.from(id, (b) => b.toString(16).padStart(2, '0')).join(''));
  for (const [type, detail] of ref.early.splice(0)) listener(type, detail);
  return ref.store;
}

/**
 * Resolves to the contract's method table (56 entries, in the order of the
 * OpenMLS trait) once the wasm is loaded: each entry has the JS name, the
 * Go and OpenMLS names, the method group, the argument kinds and the result
 * kind. Loads the wasm if no openStore did yet.
 * @param {{wasm?: string | URL | Response | WebAssembly.Module, wasmExec?: string | URL}} [options]
 */
export async function contractMethods(options = {}) {
  await runtime(options.wasm, options.wasmExec);
  return methodTable;
}
