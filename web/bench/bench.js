// The benchmark page: every case of `make bench`, done twice in the same
// page, (a) by hand-written JavaScript on raw IndexedDB, one object store per
// method group, as efficiently as IndexedDB allows, and (b) by mlsidb through
// its JS module. web/bench/run.js drives it (rounds alternate a and b) and
// does the statistics; every function here times one round and returns
// milliseconds per operation.
//
// Values are sized like real MLS state (conformance.Group): ratchet tree
// 8 KiB, message secrets 4 KiB, group state 2 KiB, epoch and resumption
// secrets 512 B, group context and application export tree 256 B, join
// config, interim transcript hash and confirmation tag 64 B, one 128 B epoch
// key pair, own leaf index a few bytes; in the load fixture also one own leaf
// node (256 B) and two queued proposals (32 B refs, 512 B bodies). Every
// value is random bytes, in its own ArrayBuffer.

// The wasm instance's memory, captured when mlsidb.js instantiates the wasm
// (mlsidb.js does not expose it; the page wraps WebAssembly's loaders).
let wasmMem = null;
for (const fn of ['instantiateStreaming', 'instantiate']) {
  const orig = WebAssembly[fn];
  if (typeof orig !== 'function') continue;
  WebAssembly[fn] = async function (...args) {
    const r = await orig.apply(this, args);
    const inst = r instanceof WebAssembly.Instance ? r : r.instance;
    if (inst?.exports?.mem instanceof WebAssembly.Memory) wasmMem = inst.exports.mem;
    return r;
  };
}

const mlsidb = await import('/mlsidb.js');

/** Bytes of the wasm instance's linear memory (0 before it is loaded). */
export function wasmMemoryBytes() {
  return wasmMem ? wasmMem.buffer.byteLength : 0;
}

// ---------------------------------------------------------------------------
// Fixtures.

const POOL = new Uint8Array(4 << 20);
for (let i = 0; i < POOL.length; i += 65536) crypto.getRandomValues(POOL.subarray(i, i + 65536));
let poolAt = 0;

/** n random bytes in a fresh ArrayBuffer. */
function rand(n) {
  if (poolAt + n > POOL.length) poolAt = (poolAt * 7 + 13) % 4096;
  const b = POOL.slice(poolAt, poolAt + n);
  poolAt += n;
  return b;
}

const enc = (s) => new TextEncoder().encode(s);

function epochValues() {
  return {
    tree: rand(8192), context: rand(256), interim: rand(64), confTag: rand(64), groupState: rand(2048),
    messageSecrets: rand(4096), resumptionPsk: rand(512), epochSecrets: rand(512), appExportTree: rand(256),
    keyPairs: [rand(128)],
  };
}

// A ring of per-epoch values that merges cycle through (their content does
// not matter, their sizes do).
const RING = Array.from({ length: 4 }, epochValues);

/** The state of group n at epoch 0 (as conformance.NewGroup, in JS). */
export function makeGroup(n) {
  const leafIndex = n % 7;
  return {
    n, id: enc(`{"value":{"vec":[${n},7,7]}}`), epoch: 0, leafIndex,
    joinConfig: rand(64), ownLeafIndex: enc(String(leafIndex)), ...epochValues(),
  };
}

/** The group's state after a commit (conformance.Group.Next). */
function nextOf(g) {
  return { ...g, epoch: g.epoch + 1, ...RING[(g.epoch + 1) % RING.length] };
}

const epochKey = (epoch) => enc(String(epoch));
const USED_KEY = rand(32);

// ---------------------------------------------------------------------------
// (a) Raw IndexedDB: the record layout of mlsidb (docs/semantics.md), one
// object store per method group, values stored as they are.

const STORES = [
  'mls_group_join_config', 'tree', 'group_context', 'interim_transcript_hash', 'confirmation_tag',
  'group_state', 'message_secrets', 'resumption_psk_store', 'own_leaf_index', 'group_epoch_secrets',
  'application_export_tree', 'own_leaf_nodes', 'proposal_queue', 'encryption_epoch_key_pairs',
  'signature_key_pair', 'encryption_key_pair', 'key_package', 'psk', 'meta',
];
const MERGE_STORES = [
  'group_state', 'encryption_epoch_key_pairs', 'application_export_tree', 'tree', 'confirmation_tag',
  'group_context', 'interim_transcript_hash', 'own_leaf_index', 'group_epoch_secrets', 'message_secrets',
  'encryption_key_pair', 'proposal_queue', 'resumption_psk_store', 'own_leaf_nodes',
];
const LIST_STORES = ['own_leaf_nodes', 'proposal_queue', 'encryption_epoch_key_pairs'];
const GROUP_STORES = STORES.slice(0, 14);
const LOAD_STORES = [
  'tree', 'proposal_queue', 'group_context', 'interim_transcript_hash', 'confirmation_tag',
  'group_epoch_secrets', 'own_leaf_index', 'message_secrets', 'resumption_psk_store',
  'mls_group_join_config', 'own_leaf_nodes', 'group_state', 'application_export_tree',
];

function groupPrefix(id) {
  const k = new Uint8Array(6 + id.length);
  k[1] = 1; // provider version 1
  new DataView(k.buffer).setUint32(2, id.length);
  k.set(id, 6);
  return k;
}

function prefixRange(p) {
  const end = p.slice();
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return IDBKeyRange.bound(p, end.slice(0, i + 1), false, true);
    }
  }
  return IDBKeyRange.lowerBound(p);
}

function rawEpochKey(prefix, epoch, leaf) {
  const e = epochKey(epoch);
  const k = new Uint8Array(prefix.length + 8 + e.length);
  k.set(prefix);
  const dv = new DataView(k.buffer);
  dv.setUint32(prefix.length, e.length);
  k.set(e, prefix.length + 4);
  dv.setUint32(prefix.length + 4 + e.length, leaf);
  return k;
}

function globalKey(key) {
  const k = new Uint8Array(2 + key.length);
  k[1] = 1;
  k.set(key, 2);
  return k;
}

function seqKey(prefix, seq) {
  const k = new Uint8Array(prefix.length + 8);
  k.set(prefix);
  new DataView(k.buffer).setBigUint64(prefix.length, BigInt(seq));
  return k;
}

function openRaw(name) {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => { for (const s of STORES) req.result.createObjectStore(s); };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function txDone(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('aborted'));
  });
}

function reqDone(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

class Raw {
  constructor(db, durability) {
    this.db = db;
    this.opts = { durability };
  }

  async put(store, key, value) {
    const tx = this.db.transaction(store, 'readwrite', this.opts);
    tx.objectStore(store).put(value, key);
    tx.commit();
    await txDone(tx);
  }

  get(store, key) {
    return reqDone(this.db.transaction(store, 'readonly').objectStore(store).get(key));
  }

  /** The merge-commit sequence in one readwrite transaction. */
  merge(old, next) {
    const tx = this.db.transaction(MERGE_STORES, 'readwrite', this.opts);
    const os = (s) => tx.objectStore(s);
    const gk = groupPrefix(next.id);
    const oldEk = rawEpochKey(gk, old.epoch, old.leafIndex);
    os('group_state').put(old.groupState, gk);
    const read = os('encryption_epoch_key_pairs').get(oldEk);
    os('application_export_tree').put(next.appExportTree, gk);
    os('tree').put(next.tree, gk);
    os('confirmation_tag').put(next.confTag, gk);
    os('group_context').put(next.context, gk);
    os('interim_transcript_hash').put(next.interim, gk);
    os('own_leaf_index').put(next.ownLeafIndex, gk);
    os('group_epoch_secrets').put(next.epochSecrets, gk);
    os('message_secrets').put(next.messageSecrets, gk);
    os('encryption_epoch_key_pairs').put(next.keyPairs, rawEpochKey(gk, next.epoch, next.leafIndex));
    os('encryption_epoch_key_pairs').delete(oldEk);
    os('encryption_key_pair').delete(globalKey(USED_KEY));
    const range = prefixRange(gk);
    os('proposal_queue').delete(range);
    os('resumption_psk_store').put(next.resumptionPsk, gk);
    os('own_leaf_nodes').delete(range);
    os('group_state').put(next.groupState, gk);
    tx.commit();
    return txDone(tx).then(() => {
      if (read.result === undefined) throw new Error('raw merge: the old epoch key pairs are missing');
    });
  }

  /** The 13 reads of loading a group: one readonly transaction, requests
   * issued back to back, only the last one awaited. */
  load(id) {
    const gk = groupPrefix(id);
    const range = prefixRange(gk);
    const tx = this.db.transaction(LOAD_STORES, 'readonly');
    const get = (s) => tx.objectStore(s).get(gk);
    const tree = get('tree');
    const pq = tx.objectStore('proposal_queue');
    const pKeys = pq.getAllKeys(range);
    const pVals = pq.getAll(range);
    const context = get('group_context');
    const interim = get('interim_transcript_hash');
    const confTag = get('confirmation_tag');
    const epochSecrets = get('group_epoch_secrets');
    const ownLeafIndex = get('own_leaf_index');
    const messageSecrets = get('message_secrets');
    const resumptionPsk = get('resumption_psk_store');
    const joinConfig = get('mls_group_join_config');
    const leaves = tx.objectStore('own_leaf_nodes').getAll(range);
    const groupState = get('group_state');
    const last = get('application_export_tree');
    return new Promise((resolve, reject) => {
      tx.onabort = () => reject(tx.error);
      last.onsuccess = () => {
        const keys = pKeys.result;
        const proposals = pVals.result.map((v, i) => [keys[i], v])
          .sort((a, b) => Number(a[1].seq - b[1].seq))
          .map(([k, v]) => [new Uint8Array(k).slice(gk.length), v.proposal]);
        resolve({
          tree: tree.result, queuedProposals: proposals, groupContext: context.result,
          interimTranscriptHash: interim.result, confirmationTag: confTag.result,
          groupEpochSecrets: epochSecrets.result, ownLeafIndex: ownLeafIndex.result,
          messageSecrets: messageSecrets.result, resumptionPskStore: resumptionPsk.result,
          mlsGroupJoinConfig: joinConfig.result, ownLeafNodes: leaves.result, groupState: groupState.result,
          applicationExportTree: last.result,
        });
      };
    });
  }

  /** DeleteGroup: every group-scoped record of the group, one transaction. */
  deleteGroup(id) {
    const gk = groupPrefix(id);
    const range = prefixRange(gk);
    const tx = this.db.transaction(GROUP_STORES, 'readwrite', this.opts);
    for (const s of GROUP_STORES) {
      tx.objectStore(s).delete(LIST_STORES.includes(s) ? range : gk);
    }
    tx.commit();
    return txDone(tx);
  }

  /** What CreateGroup writes, plus an own leaf node and two proposals. */
  async create(g, kp) {
    const gk = groupPrefix(g.id);
    const tx = this.db.transaction(STORES, 'readwrite', this.opts);
    this.createIn(tx, g, kp);
    tx.commit();
    await txDone(tx);
  }

  /** Issues create's requests in tx. */
  createIn(tx, g, kp) {
    const gk = groupPrefix(g.id);
    const os = (s) => tx.objectStore(s);
    os('tree').put(g.tree, gk);
    os('confirmation_tag').put(g.confTag, gk);
    os('group_context').put(g.context, gk);
    os('interim_transcript_hash').put(g.interim, gk);
    os('group_epoch_secrets').put(g.epochSecrets, gk);
    os('own_leaf_index').put(g.ownLeafIndex, gk);
    os('message_secrets').put(g.messageSecrets, gk);
    os('resumption_psk_store').put(g.resumptionPsk, gk);
    os('mls_group_join_config').put(g.joinConfig, gk);
    os('group_state').put(g.groupState, gk);
    os('application_export_tree').put(g.appExportTree, gk);
    os('encryption_epoch_key_pairs').put(g.keyPairs, rawEpochKey(gk, g.epoch, g.leafIndex));
    for (const [i, leaf] of (g.leaves ?? []).entries()) os('own_leaf_nodes').put(leaf, seqKey(gk, i));
    for (const [i, [ref, p]] of (g.proposals ?? []).entries()) {
      const k = new Uint8Array(gk.length + ref.length);
      k.set(gk);
      k.set(ref, gk.length);
      os('proposal_queue').put({ seq: BigInt(i), proposal: p }, k);
    }
    if (kp) os('key_package').put(kp.value, globalKey(kp.ref));
  }
}

// ---------------------------------------------------------------------------
// (b) mlsidb through its JS module.

/** OpenMLS's merge-commit sequence (conformance.MergeCommit): 16 writes and
 * deletes and one read, each awaited, on a store or a transaction. */
async function mlsMerge(s, old, next) {
  await s.writeGroupState(next.id, old.groupState);
  const pairs = await s.encryptionEpochKeyPairs(old.id, epochKey(old.epoch), old.leafIndex);
  if (pairs.length === 0) throw new Error('mlsidb merge: the old epoch key pairs are missing');
  await s.writeApplicationExportTree(next.id, next.appExportTree);
  await s.writeTree(next.id, next.tree);
  await s.writeConfirmationTag(next.id, next.confTag);
  await s.writeContext(next.id, next.context);
  await s.writeInterimTranscriptHash(next.id, next.interim);
  await s.writeOwnLeafIndex(next.id, next.ownLeafIndex);
  await s.writeGroupEpochSecrets(next.id, next.epochSecrets);
  await s.writeMessageSecrets(next.id, next.messageSecrets);
  await s.writeEncryptionEpochKeyPairs(next.id, epochKey(next.epoch), next.leafIndex, next.keyPairs);
  await s.deleteEncryptionEpochKeyPairs(old.id, epochKey(old.epoch), old.leafIndex);
  await s.deleteEncryptionKeyPair(USED_KEY);
  await s.clearProposalQueue(next.id);
  await s.writeResumptionPskStore(next.id, next.resumptionPsk);
  await s.deleteOwnLeafNodes(next.id);
  await s.writeGroupState(next.id, next.groupState);
}

/** OpenMLS's 13 reads of loading a group (conformance.LoadGroup), each
 * awaited. */
async function mlsLoadCalls(s, id) {
  return {
    tree: await s.tree(id), queuedProposals: await s.queuedProposals(id), groupContext: await s.groupContext(id),
    interimTranscriptHash: await s.interimTranscriptHash(id), confirmationTag: await s.confirmationTag(id),
    groupEpochSecrets: await s.groupEpochSecrets(id), ownLeafIndex: await s.ownLeafIndex(id),
    messageSecrets: await s.messageSecrets(id), resumptionPskStore: await s.resumptionPskStore(id),
    mlsGroupJoinConfig: await s.mlsGroupJoinConfig(id), ownLeafNodes: await s.ownLeafNodes(id),
    groupState: await s.groupState(id), applicationExportTree: await s.applicationExportTree(id),
  };
}

/** The fastest documented way to load a group: store.loadGroup (one
 * crossing, one readonly transaction) when the module has it. */
function mlsLoad(s, id) {
  return typeof s.loadGroup === 'function' ? s.loadGroup(id) : mlsLoadCalls(s, id);
}

/** CreateGroup's writes (plus a key package when kp is given), issued
 * without awaiting each (inside a transaction). */
function mlsCreateCalls(s, g, kp) {
  const calls = [
    s.writeTree(g.id, g.tree), s.writeConfirmationTag(g.id, g.confTag), s.writeContext(g.id, g.context),
    s.writeInterimTranscriptHash(g.id, g.interim), s.writeGroupEpochSecrets(g.id, g.epochSecrets),
    s.writeOwnLeafIndex(g.id, g.ownLeafIndex), s.writeMessageSecrets(g.id, g.messageSecrets),
    s.writeResumptionPskStore(g.id, g.resumptionPsk), s.writeMlsJoinConfig(g.id, g.joinConfig),
    s.writeGroupState(g.id, g.groupState), s.writeApplicationExportTree(g.id, g.appExportTree),
    s.writeEncryptionEpochKeyPairs(g.id, epochKey(g.epoch), g.leafIndex, g.keyPairs),
  ];
  if (kp) calls.push(s.writeKeyPackage(kp.ref, kp.value));
  return calls;
}

async function mlsCreate(s, g) {
  await s.transaction(async (tx) => {
    await Promise.all(mlsCreateCalls(tx, g));
    for (const leaf of g.leaves ?? []) await tx.appendOwnLeafNode(g.id, leaf);
    for (const [ref, p] of g.proposals ?? []) await tx.queueProposal(g.id, ref, p);
  });
}

// noLocks runs fn with navigator.locks.request granting every lock without
// asking the browser, on the next microtask (fn must not run concurrently
// with other users of locks): it measures what the cross-tab Web Lock, a
// round trip to the browser process, costs a write.
async function noLocks(fn) {
  const proto = Object.getPrototypeOf(navigator.locks);
  const request = proto.request;
  proto.request = async function (name, opts, cb) {
    await null;
    return (typeof opts === 'function' ? opts : cb)();
  };
  try {
    return await fn();
  } finally {
    proto.request = request;
  }
}

// ---------------------------------------------------------------------------
// The cases.

let state = null;

/**
 * Opens the raw database and the mlsidb store for one durability and writes
 * the fixtures. Names are unique per call.
 * @param {{durability: 'strict' | 'relaxed', tag: string}} opts
 */
export async function setup({ durability, tag }) {
  if (state) await teardown();
  const raw = new Raw(await openRaw(`raw-${tag}`), durability);
  const store = await mlsidb.openStore({ name: `mlsidb-${tag}`, durability });
  const loadGroup = makeGroup(1);
  loadGroup.leaves = [rand(256)];
  loadGroup.proposals = [[rand(32), rand(512)], [rand(32), rand(512)]];
  await raw.create(loadGroup);
  await mlsCreate(store, loadGroup);
  const mergeGroup = { raw: makeGroup(2), tx: makeGroup(3), calls: makeGroup(4) };
  await raw.create(mergeGroup.raw);
  await mlsCreate(store, mergeGroup.tx);
  await mlsCreate(store, mergeGroup.calls);
  // The load results must match (the benchmark compares like with like).
  const a = await raw.load(loadGroup.id);
  const b = await mlsLoad(store, loadGroup.id);
  checkLoad(a, loadGroup, 'raw');
  checkLoad(b, loadGroup, 'mlsidb');
  state = { raw, store, durability, loadGroup, mergeGroup, singleKeys: [], value: rand(256), i: 0 };
  for (let i = 0; i < 64; i++) state.singleKeys.push(enc(`single-group-${i}`));
  return { durability, wasmMemoryBytes: wasmMemoryBytes() };
}

function same(a, b) {
  if (!(a instanceof Uint8Array) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkLoad(got, g, who) {
  const pairs = [['tree', 'tree'], ['groupContext', 'context'], ['interimTranscriptHash', 'interim'],
    ['confirmationTag', 'confTag'], ['groupEpochSecrets', 'epochSecrets'], ['ownLeafIndex', 'ownLeafIndex'],
    ['messageSecrets', 'messageSecrets'], ['resumptionPskStore', 'resumptionPsk'],
    ['mlsGroupJoinConfig', 'joinConfig'], ['groupState', 'groupState'], ['applicationExportTree', 'appExportTree']];
  for (const [k, f] of pairs) {
    if (!same(got[k], g[f])) throw new Error(`${who} load: ${k} differs`);
  }
  if (got.ownLeafNodes.length !== g.leaves.length || !same(got.ownLeafNodes[0], g.leaves[0])) {
    throw new Error(`${who} load: own leaf nodes differ`);
  }
  const ps = got.queuedProposals;
  if (ps.length !== 2 || !same(ps[0][0], g.proposals[0][0]) || !same(ps[1][1], g.proposals[1][1])) {
    throw new Error(`${who} load: proposals differ`);
  }
}

export async function teardown() {
  if (!state) return;
  state.raw.db.close();
  await state.store.close();
  state = null;
}

/**
 * Runs one round of a case variant: iters operations, timed; returns
 * milliseconds per operation.
 */
export async function round(caseName, variant, iters) {
  const s = state;
  const key = () => s.singleKeys[s.i++ % s.singleKeys.length];
  let body;
  switch (`${caseName}/${variant}`) {
    case 'single/raw':
      body = async () => {
        const k = groupPrefix(key());
        await s.raw.put('group_context', k, s.value);
        if ((await s.raw.get('group_context', k))?.length !== 256) throw new Error('raw single: read back failed');
      };
      break;
    case 'single/mlsidb':
      body = async () => {
        const k = key();
        await s.store.writeContext(k, s.value);
        if ((await s.store.groupContext(k))?.length !== 256) throw new Error('mlsidb single: read back failed');
      };
      break;
    case 'single/mlsidb-nolock':
      // The same, without the cross-tab Web Lock mlsidb.js takes around each
      // write (see noLocks): what the write costs without it.
      body = () => noLocks(async () => {
        const k = key();
        await s.store.writeContext(k, s.value);
        if ((await s.store.groupContext(k))?.length !== 256) throw new Error('mlsidb single: read back failed');
      });
      break;
    case 'merge/tx-nolock':
      body = () => noLocks(async () => {
        const old = s.mergeGroup.tx;
        const next = nextOf(old);
        await s.store.transaction((tx) => mlsMerge(tx, old, next));
        s.mergeGroup.tx = next;
      });
      break;
    case 'merge/raw':
      body = async () => {
        const next = nextOf(s.mergeGroup.raw);
        await s.raw.merge(s.mergeGroup.raw, next);
        s.mergeGroup.raw = next;
      };
      break;
    case 'merge/tx':
      body = async () => {
        const old = s.mergeGroup.tx;
        const next = nextOf(old);
        await s.store.transaction((tx) => mlsMerge(tx, old, next));
        s.mergeGroup.tx = next;
      };
      break;
    case 'merge/calls':
      body = async () => {
        const old = s.mergeGroup.calls;
        const next = nextOf(old);
        await mlsMerge(s.store, old, next);
        s.mergeGroup.calls = next;
      };
      break;
    case 'load/raw':
      body = async () => {
        if (!(await s.raw.load(s.loadGroup.id)).tree) throw new Error('raw load: no tree');
      };
      break;
    case 'load/mlsidb':
      body = async () => {
        if (!(await mlsLoad(s.store, s.loadGroup.id)).tree) throw new Error('mlsidb load: no tree');
      };
      break;
    case 'load/calls':
      body = async () => {
        if (!(await mlsLoadCalls(s.store, s.loadGroup.id)).tree) throw new Error('mlsidb load: no tree');
      };
      break;
    case 'lock/webLock': {
      // What a cross-tab Web Lock costs a call: acquire and release an
      // exclusive navigator.locks lock nobody else holds.
      const name = 'mlsidb-bench-lock';
      body = () => navigator.locks.request(name, { mode: 'exclusive' }, () => {});
      break;
    }
    default:
      throw new Error(`no such case ${caseName}/${variant}`);
  }
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) await body();
  return (performance.now() - t0) / iters;
}

// ---------------------------------------------------------------------------
// Scale: a store filled with n groups (and n key packages of 1 KiB).

const scales = new Map();

/**
 * Fills the store called name with groups [0, n) and n key packages, in
 * transactions of batch groups each; returns the fill time and the wasm
 * memory afterwards.
 */
export async function scaleFill(name, n, batch = 10) {
  const store = await mlsidb.openStore({ name });
  const t0 = performance.now();
  for (let first = 0; first < n; first += batch) {
    await store.transaction(async (tx) => {
      const calls = [];
      for (let i = first; i < Math.min(n, first + batch); i++) {
        calls.push(...mlsCreateCalls(tx, makeGroup(i), { ref: enc(`key-package-${i}`), value: rand(1024) }));
      }
      await Promise.all(calls);
    });
  }
  const fillMs = performance.now() - t0;
  await store.close();
  return { fillMs, wasmMemoryBytes: wasmMemoryBytes() };
}

/** scaleFill for raw IndexedDB: the same records, as Raw stores them. */
export async function rawScaleFill(name, n, batch = 10) {
  const raw = new Raw(await openRaw(name), 'strict');
  const t0 = performance.now();
  for (let first = 0; first < n; first += batch) {
    const tx = raw.db.transaction(STORES, 'readwrite', raw.opts);
    for (let i = first; i < Math.min(n, first + batch); i++) {
      raw.createIn(tx, makeGroup(i), { ref: enc(`key-package-${i}`), value: rand(1024) });
    }
    tx.commit();
    await txDone(tx);
  }
  const fillMs = performance.now() - t0;
  raw.db.close();
  return { fillMs };
}

const rawScales = new Map();

/** Opens the raw database of a scale store (untimed) for rawScaleRound. */
export async function rawScaleOpen(name, n) {
  rawScales.set(name, { raw: new Raw(await openRaw(name), 'strict'), n, epochs: new Map(), deleted: new Set() });
}

/** scaleRound on raw IndexedDB: the same operations on random groups. */
export async function rawScaleRound(name, op, iters) {
  const rawScale = rawScales.get(name);
  const { raw } = rawScale;
  let total = 0;
  for (let k = 0; k < iters; k++) {
    const i = randomGroup(rawScale);
    let t0;
    switch (op) {
      case 'load': {
        t0 = performance.now();
        const g = await raw.load(makeGroupId(i));
        total += performance.now() - t0;
        if (!g.tree) throw new Error(`raw scale load: group ${i} has no tree`);
        break;
      }
      case 'merge': {
        const epoch = rawScale.epochs.get(i) ?? 0;
        const old = { ...makeGroupShape(i), epoch, ...RING[epoch % RING.length] };
        const next = nextOf(old);
        t0 = performance.now();
        await raw.merge(old, next);
        total += performance.now() - t0;
        rawScale.epochs.set(i, next.epoch);
        break;
      }
      case 'deleteGroup':
        t0 = performance.now();
        await raw.deleteGroup(makeGroupId(i));
        total += performance.now() - t0;
        rawScale.deleted.add(i);
        break;
      default:
        throw new Error(`no such scale op ${op}`);
    }
  }
  return total / iters;
}

export function rawScaleClose(name) {
  rawScales.get(name)?.raw.db.close();
  rawScales.delete(name);
}

/** Times openStore until ready (in a fresh page: fetch, compile and start
 * the wasm, open IndexedDB) and keeps the store for scaleRound. */
export async function scaleOpen(name, n) {
  const t0 = performance.now();
  const store = await mlsidb.openStore({ name });
  const openMs = performance.now() - t0;
  const t1 = performance.now();
  const first = await store.tree(makeGroup(0).id);
  const firstReadMs = performance.now() - t1;
  if (!first && !scales.get(name)?.deleted.has(0)) throw new Error('scale: group 0 is missing');
  const old = scales.get(name);
  if (old) await old.store.close();
  scales.set(name, { store, n, epochs: old?.epochs ?? new Map(), deleted: old?.deleted ?? new Set() });
  return { openMs, firstReadMs };
}

function randomGroup(st) {
  if (st.deleted.size >= st.n) throw new Error('scale: every group was deleted');
  for (;;) {
    const i = Math.floor(Math.random() * st.n);
    if (!st.deleted.has(i)) return i;
  }
}

/** One round of a per-group operation on random groups of the scale store. */
export async function scaleRound(name, op, iters) {
  const scale = scales.get(name);
  const { store } = scale;
  let total = 0;
  for (let k = 0; k < iters; k++) {
    const i = randomGroup(scale);
    let t0;
    switch (op) {
      case 'load': {
        const id = makeGroupId(i);
        t0 = performance.now();
        const g = await mlsLoad(store, id);
        total += performance.now() - t0;
        if (!g.tree) throw new Error(`scale load: group ${i} has no tree`);
        break;
      }
      case 'merge': {
        const epoch = scale.epochs.get(i) ?? 0;
        const old = { ...makeGroupShape(i), epoch, ...RING[epoch % RING.length] };
        const next = nextOf(old);
        t0 = performance.now();
        await store.transaction((tx) => mlsMerge(tx, old, next));
        total += performance.now() - t0;
        scale.epochs.set(i, next.epoch);
        break;
      }
      case 'deleteGroup': {
        const id = makeGroupId(i);
        t0 = performance.now();
        await store.deleteGroup(id);
        total += performance.now() - t0;
        scale.deleted.add(i);
        break;
      }
      default:
        throw new Error(`no such scale op ${op}`);
    }
  }
  return total / iters;
}

const makeGroupId = (n) => enc(`{"value":{"vec":[${n},7,7]}}`);
const makeGroupShape = (n) => ({ n, id: makeGroupId(n), leafIndex: n % 7, ownLeafIndex: enc(String(n % 7)) });

export async function scaleClose(name) {
  await scales.get(name)?.store.close();
  scales.delete(name);
  return { wasmMemoryBytes: wasmMemoryBytes() };
}
