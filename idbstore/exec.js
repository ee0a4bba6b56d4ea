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
