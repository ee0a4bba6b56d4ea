// End-to-end tests of mlsidb.js in headless Chromium: every contract
// method, transactions, bad input, errors, several stores on one page.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setup, WEB_DIR } from './harness.js';

const { freshPage } = setup();

/** The names of StorageProvider's methods in mlsidb.d.ts. */
function declaredMethods() {
  const dts = readFileSync(join(WEB_DIR, 'mlsidb.d.ts'), 'utf8');
  const body = dts.slice(dts.indexOf('export interface StorageProvider {'));
  const block = body.slice(0, body.indexOf('\n}\n'));
  return [...block.matchAll(/^ {2}(\w+)\(/gm)].map((m) => m[1]);
}

describe('the contract through mlsidb.js', () => {
  test('openStore resolves to a usable store (and how long it takes, logged)', async (t) => {
    const times = [];
    for (let i = 0; i < 3; i++) {
      const { page, close } = await freshPage();
      try {
        times.push(await page.evaluate(async () => {
          const t0 = performance.now();
          const { openStore } = await import('/mlsidb.js');
          const st = await openStore({ name: 'timing' });
          const ready = performance.now() - t0;
          const t1 = performance.now();
          const again = await openStore({ name: 'timing-2' });
          const second = performance.now() - t1;
          const g = new Uint8Array([7]);
          await st.writeTree(g, new Uint8Array([1, 2]));
          const works = [(await st.tree(g))?.length, await again.tree(g)];
          await Promise.all([st.close(), again.close()]);
          return { ready, second, works };
        }));
      } finally {
        await close();
      }
    }
    for (const { ready, second, works } of times) {
      t.diagnostic(`fresh page: openStore ready ${ready.toFixed(1)} ms after import (fetch + compile wasm, start Go, open IndexedDB); a second store ${second.toFixed(1)} ms`);
      assert.deepEqual(works, [2, undefined], 'a store is usable once openStore resolved');
    }
  });

  test('the method table has the 56 OpenMLS methods, as declared in mlsidb.d.ts', async (t) => {
    const { page, close } = await freshPage();
    try {
      const info = await page.evaluate(async () => {
        const t0 = performance.now();
        const { openStore, contractMethods } = await import('/mlsidb.js');
        const store = await openStore({ name: 'table' });
        const ready = performance.now() - t0;
        const table = await contractMethods();
        return {
          ready,
          table: table.map((m) => ({ ...m, args: [...m.args] })),
          onStore: table.filter((m) => typeof store[m.name] === 'function').length,
        };
      });
      t.diagnostic(`openStore ready ${info.ready.toFixed(1)} ms after import in a fresh page (wasm fetch, compile, IndexedDB open)`);
      assert.equal(info.table.length, 56);
      assert.equal(info.onStore, 56);
      assert.deepEqual(info.table.map((m) => m.name), declaredMethods());
      assert.equal(new Set(info.table.map((m) => m.group)).size, 18);
      for (const m of info.table) {
        // The JS name is the Go name in lowerCamelCase.
        assert.equal(m.go[0].toLowerCase() + m.go.slice(1), m.name);
        assert.match(m.openmls, /^[a-z_]+$/);
      }
      const byName = Object.fromEntries(info.table.map((m) => [m.name, m]));
      assert.deepEqual(byName.writeEncryptionEpochKeyPairs.args, ['bytes', 'bytes', 'u32', 'bytesList']);
      assert.equal(byName.queuedProposals.result, 'proposals');
      assert.equal(byName.deleteAllResumptionPskSecrets.openmls, 'delete_all_resumption_psk_secrets');
    } finally {
      await close();
    }
  });

  test('every method works: values, lists, queue, epoch key pairs, deleteGroup', async () => {
    const { page, close } = await freshPage();
    try {
      const r = await page.evaluate(async () => {
        const { openStore, contractMethods } = await import('/mlsidb.js');
        const { enc, dec, recording } = await import('/test/pages/util.js');
        const called = new Set();
        const raw = await openStore({ name: 'every-method' });
        const st = recording(raw, called);
        const table = await contractMethods();
        const byGroup = new Map();
        for (const m of table) byGroup.set(m.group, [...(byGroup.get(m.group) ?? []), m]);

        // Single values (11 group-scoped, 4 global): write / read / delete.
        const values = [];
        const key = enc('key-1');
        for (const [group, [w, r, d]] of byGroup) {
          if (w.args.join() !== 'bytes,bytes' || r.result !== 'bytes') continue;
          const missing = await st[r.name](key);
          await st[w.name](key, enc('first ' + group));
          await st[w.name](key, enc('second ' + group)); // upsert
          values.push({ group, missing, got: dec(await st[r.name](key)) });
        }
        // Each method group kept its own value under the same key.
        const isolated = [];
        for (const [group, [, r]] of byGroup) {
          if (r.result === 'bytes') isolated.push(dec(await st[r.name](key)) === 'second ' + group);
        }
        // A stored empty value is not missing.
        await st.writeTree(enc('g-empty'), new Uint8Array(0));
        const empty = await st.tree(enc('g-empty'));
        // A returned array is the caller's: changing it changes nothing stored.
        (await st.tree(key))[0] ^= 0xff;
        const afterMutation = dec(await st.tree(key));

        const deleted = [];
        for (const [, [w, r, d]] of byGroup) {
          if (w.args.join() !== 'bytes,bytes' || r.result !== 'bytes') continue;
          await st[d.name](key);
          await st[d.name](key); // deleting what is not there succeeds
          deleted.push(await st[r.name](key));
        }

        // Own leaf nodes: order and duplicates kept.
        const g = enc('group-lists');
        const noLeaves = await st.ownLeafNodes(g);
        for (const leaf of ['a', 'b', 'a']) await st.appendOwnLeafNode(g, enc(leaf));
        const leaves = (await st.ownLeafNodes(g)).map(dec);
        await st.deleteOwnLeafNodes(g);
        const leavesAfter = await st.ownLeafNodes(g);

        // Proposal queue: order kept, re-queuing replaces the body in place.
        for (const [ref, body] of [['r1', 'p1'], ['r2', 'p2'], ['r3', 'p3'], ['r2', 'p2 again']]) {
          await st.queueProposal(g, enc(ref), enc(body));
        }
        const refs = (await st.queuedProposalRefs(g)).map(dec);
        const proposals = (await st.queuedProposals(g)).map(([ref, p]) => [dec(ref), dec(p)]);
        await st.removeProposal(g, enc('r1'));
        await st.removeProposal(g, enc('no-such-ref'));
        const afterRemove = (await st.queuedProposalRefs(g)).map(dec);
        await st.clearProposalQueue(g);
        const afterClear = [await st.queuedProposalRefs(g), await st.queuedProposals(g)];

        // Epoch key pairs: per (group, epoch, leaf index); a write replaces the list.
        const epoch = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 5]);
        await st.writeEncryptionEpochKeyPairs(g, epoch, 7, [enc('k1'), enc('k2'), enc('k3')]);
        await st.writeEncryptionEpochKeyPairs(g, epoch, 7, [enc('k4'), enc('k5')]);
        await st.writeEncryptionEpochKeyPairs(g, epoch, 0xffffffff, [enc('max')]);
        const pairs = (await st.encryptionEpochKeyPairs(g, epoch, 7)).map(dec);
        const maxLeaf = (await st.encryptionEpochKeyPairs(g, epoch, 0xffffffff)).map(dec);
        const otherLeaf = await st.encryptionEpochKeyPairs(g, epoch, 8);
        const otherEpoch = await st.encryptionEpochKeyPairs(g, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 6]), 7);
        await st.deleteEncryptionEpochKeyPairs(g, epoch, 7);
        const pairsAfter = await st.encryptionEpochKeyPairs(g, epoch, 7);

        // deleteGroup: every group-scoped record of that group, nothing else.
        const g2 = enc('group-2');
        await st.writeTree(g, enc('t'));
        await st.writeGroupState(g, enc('s'));
        await st.appendOwnLeafNode(g, enc('leaf'));
        await st.queueProposal(g, enc('r'), enc('p'));
        await st.writeEncryptionEpochKeyPairs(g, epoch, 1, [enc('k')]);
        await st.writeTree(g2, enc('t2'));
        await st.writeSignatureKeyPair(g, enc('sig')); // global, keyed by bytes equal to the group id
        await st.deleteGroup(g);
        const afterDeleteGroup = {
          tree: await st.tree(g), state: await st.groupState(g), leaves: (await st.ownLeafNodes(g)).length,
          queue: (await st.queuedProposals(g)).length, pairs: (await st.encryptionEpochKeyPairs(g, epoch, 1)).length,
          otherGroup: dec(await st.tree(g2)), global: dec(await st.signatureKeyPair(g)),
        };
        await raw.close();
        return {
          values, isolated, empty: empty && { isU8: empty instanceof Uint8Array, length: empty.length },
          afterMutation, deleted, noLeaves, leaves, leavesAfter, refs, proposals, afterRemove, afterClear,
          pairs, maxLeaf, otherLeaf, otherEpoch, pairsAfter, afterDeleteGroup,
          called: [...called], table: table.map((m) => m.name),
        };
      });
      assert.equal(r.values.length, 15);
      for (const v of r.values) {
        assert.equal(v.missing, undefined, v.group);
        assert.equal(v.got, 'second ' + v.group);
      }
      assert.equal(r.isolated.length, 15);
      assert.ok(r.isolated.every(Boolean), 'method groups see each other');
      assert.deepEqual(r.empty, { isU8: true, length: 0 });
      assert.equal(r.afterMutation, 'second tree');
      assert.deepEqual(r.deleted, Array(15).fill(undefined));
      assert.deepEqual(r.noLeaves, []);
      assert.deepEqual(r.leaves, ['a', 'b', 'a']);
      assert.deepEqual(r.leavesAfter, []);
      assert.deepEqual(r.refs, ['r1', 'r2', 'r3']);
      assert.deepEqual(r.proposals, [['r1', 'p1'], ['r2', 'p2 again'], ['r3', 'p3']]);
      assert.deepEqual(r.afterRemove, ['r2', 'r3']);
      assert.deepEqual(r.afterClear, [[], []]);
      assert.deepEqual(r.pairs, ['k4', 'k5']);
      assert.deepEqual(r.maxLeaf, ['max']);
      assert.deepEqual(r.otherLeaf, []);
      assert.deepEqual(r.otherEpoch, []);
      assert.deepEqual(r.pairsAfter, []);
      assert.deepEqual(r.afterDeleteGroup, {
        tree: undefined, state: undefined, leaves: 0, queue: 0, pairs: 0, otherGroup: 't2', global: 'sig',
      });
      const missed = r.table.filter((n) => !r.called.includes(n));
      assert.deepEqual(missed, [], 'methods not exercised');
      assert.equal(page.errors.length, 0, page.errors.join('\n'));
    } finally {
      await close();
    }
  });

  test('bytes: Uint8Array views and ArrayBuffers are copied when the call is made', async () => {
    const { page, close } = await freshPage();
    try {
      const r = await page.evaluate(async () => {
        const { openStore } = await import('/mlsidb.js');
        const { enc, dec } = await import('/test/pages/util.js');
        const st = await openStore({ name: 'bytes' });
        const whole = enc('xxhelloyy');
        await st.writeTree(whole.subarray(2, 4), whole.subarray(2, 7)); // key "he", value "hello"
        const view = dec(await st.tree(enc('he')));
        await st.writeTree(enc('ab').buffer, enc('from an ArrayBuffer').buffer);
        const buffer = dec(await st.tree(enc('ab')));
        const value = enc('original');
        const p = st.writeTree(enc('k'), value);
        value.set(enc('CHANGED!')); // after the call, before it finished
        await p;
        const copied = dec(await st.tree(enc('k')));
        await st.close();
        return { view, buffer, copied };
      });
      assert.deepEqual(r, { view: 'hello', buffer: 'from an ArrayBuffer', copied: 'original' });
    } finally {
      await close();
    }
  });

  test('transactions commit together, see their own writes, and return the callback result', async () => {
    const { page, close } = await freshPage();
    try {
      const r = await page.evaluate(async () => {
        const { openStore } = await import('/mlsidb.js');
        const { enc, dec } = await import('/test/pages/util.js');
        const st = await openStore({ name: 'tx-commit' });
        const g = enc('g');
        let outsideDuring;
        const result = await st.transaction(async (tx) => {
          await tx.writeTree(g, enc('tree'));
          await tx.writeContext(g, enc('ctx'));
          await tx.queueProposal(g, enc('r1'), enc('p1'));
          await tx.appendOwnLeafNode(g, enc('leaf'));
          const own = { tree: dec(await tx.tree(g)), refs: (await tx.queuedProposalRefs(g)).map(dec) };
          outsideDuring = await st.groupContext(g); // reads of the store do not see the open transaction
          tx.writeGroupState(g, enc('not awaited')); // finishes before the commit
          return own;
        });
        const committed = {
          tree: dec(await st.tree(g)), ctx: dec(await st.groupContext(g)), state: dec(await st.groupState(g)),
          refs: (await st.queuedProposalRefs(g)).map(dec), leaves: (await st.ownLeafNodes(g)).map(dec),
        };
        // A transaction that writes nothing, and one returning a plain value.
        const plain = await st.transaction(() => 42);
        await st.close();
        return { result, outsideDuring, committed, plain };
      });
      assert.deepEqual(r.result, { tree: 'tree', refs: ['r1'] });
      assert.equal(r.outsideDuring, undefined);
      assert.deepEqual(r.committed, { tree: 'tree', ctx: 'ctx', state: 'not awaited', refs: ['r1'], leaves: ['leaf'] });
      assert.equal(r.plain, 42);
    } finally {
      await close();
    }
  });

  test('a transaction whose callback throws rolls back and rejects with that error', async () => {
    const { page, close } = await freshPage();
    try {
      const r = await page.evaluate(async () => {
        const { openStore, MlsStorageError } = await import('/mlsidb.js');
        const { enc, dec, rejection } = await import('/test/pages/util.js');
        const st = await openStore({ name: 'tx-rollback' });
        const g = enc('g');
        await st.writeTree(g, enc('before'));
        const mine = new Error('callback failed');
        let leaked;
        let caught;
        try {
          await st.transaction(async (tx) => {
            leaked = tx;
            await tx.writeTree(g, enc('inside'));
            await tx.queueProposal(g, enc('r'), enc('p'));
            await tx.writeKeyPackage(enc('hash-ref'), enc('kp'));
            throw mine;
          });
        } catch (e) {
          caught = e;
        }
        // A rejected promise rolls back too; so does a non-Error value.
        const rejected = await rejection(st.transaction((tx) => tx.writeTree(g, enc('x')).then(() => Promise.reject(new TypeError('nope')))));
        let thrownValue;
        try {
          await st.transaction(async (tx) => { await tx.writePsk(enc('psk'), enc('v')); throw 'a string'; });
        } catch (e) {
          thrownValue = e;
        }
        // A failed call inside the callback, caught there, does not stop the commit.
        await st.transaction(async (tx) => {
          await tx.writeTree(g, 'not bytes').catch(() => {});
          await tx.writeContext(g, enc('committed'));
        });
        // Nested: the inner transaction's writes are dropped when it fails.
        const nested = await st.transaction(async (tx) => {
          await tx.writeConfirmationTag(g, enc('outer'));
          const inner = await rejection(tx.transaction(async (tx2) => {
            await tx2.writeInterimTranscriptHash(g, enc('inner'));
            throw new Error('inner fails');
          }));
          await tx.transaction(async (tx2) => { await tx2.writeOwnLeafIndex(g, enc('inner ok')); });
          return inner;
        });
        const afterEnd = await rejection(leaked.tree(g));
        const state = {
          tree: dec(await st.tree(g)), refs: (await st.queuedProposalRefs(g)).length,
          kp: await st.keyPackage(enc('hash-ref')), psk: await st.psk(enc('psk')), ctx: dec(await st.groupContext(g)),
          tag: dec(await st.confirmationTag(g)), hash: await st.interimTranscriptHash(g), leaf: dec(await st.ownLeafIndex(g)),
        };
        await st.close();
        return {
          same: caught === mine, isMls: caught instanceof MlsStorageError, rejected, thrownValue, nested, afterEnd, state,
        };
      });
      assert.equal(r.same, true, 'rejects with the callback\'s own error');
      assert.equal(r.isMls, false);
      assert.equal(r.rejected.name, 'TypeError');
      assert.equal(r.rejected.message, 'nope');
      assert.equal(r.thrownValue, 'a string');
      assert.equal(r.nested.message, 'inner fails');
      assert.equal(r.afterEnd.code, 'Closed');
      assert.deepEqual(r.state, {
        tree: 'before', refs: 0, kp: undefined, psk: undefined, ctx: 'committed', tag: 'outer', hash: undefined, leaf: 'inner ok',
      });
    } finally {
      await close();
    }
  });

  test('bad input is refused with InvalidArgument before anything is written', async () => {
    const { page, close } = await freshPage();
    try {
      const r = await page.evaluate(async () => {
        const { openStore } = await import('/mlsidb.js');
        const { enc, rejection } = await import('/test/pages/util.js');
        const st = await openStore({ name: 'bad-input' });
        const g = enc('g');
        const epoch = enc('epoch');
        const notBytes = {
          string: 'abc', number: 42, array: [1, 2, 3], null: null, undefined: undefined, object: { length: 1 },
          dataView: new DataView(new ArrayBuffer(4)), int8: new Int8Array(4), uint16: new Uint16Array(2),
          clamped: new Uint8ClampedArray(2), bigint: 1n,
        };
        const out = [];
        const check = async (label, p) => out.push({ label, ...(await rejection(p)) });
        for (const [kind, v] of Object.entries(notBytes)) {
          await check(`writeTree group id ${kind}`, st.writeTree(v, enc('v')));
          await check(`writeTree value ${kind}`, st.writeTree(g, v));
          await check(`queueProposal ref ${kind}`, st.queueProposal(g, v, enc('p')));
          await check(`writeKeyPackage value ${kind}`, st.writeKeyPackage(enc('ref'), v));
          await check(`writeEncryptionEpochKeyPairs list item ${kind}`, st.writeEncryptionEpochKeyPairs(g, epoch, 1, [enc('ok'), v]));
          if (!Array.isArray(v)) await check(`writeEncryptionEpochKeyPairs list ${kind}`, st.writeEncryptionEpochKeyPairs(g, epoch, 1, v));
          await check(`tree read ${kind}`, st.tree(v));
        }
        for (const leaf of [-1, 1.5, 2 ** 32, NaN, Infinity, '1', null, undefined, 1n]) {
          await check(`leaf index ${String(leaf)}`, st.writeEncryptionEpochKeyPairs(g, epoch, leaf, [enc('k')]));
          await check(`leaf index read ${String(leaf)}`, st.encryptionEpochKeyPairs(g, epoch, leaf));
        }
        await check('too few arguments', st.writeTree(g));
        await check('too many arguments', st.writeTree(g, enc('v'), enc('extra')));
        await check('no arguments', st.queueProposal());
        await check('read with extra argument', st.tree(g, g));
        await check('deleteGroup without id', st.deleteGroup());
        await check('empty group id', st.writeTree(new Uint8Array(0), enc('v')));
        await check('empty public key', st.writeSignatureKeyPair(new Uint8Array(0), enc('v')));
        await check('empty epoch', st.writeEncryptionEpochKeyPairs(g, new Uint8Array(0), 1, [enc('k')]));
        await check('transaction without function', st.transaction('not a function'));
        // A key over the limit: the message must not contain its bytes.
        const long = new Uint8Array(64 * 1024 + 1).fill(0x41);
        const secret = enc('SECRET-VALUE-BYTES');
        await check('over-long key', st.writeEncryptionKeyPair(long, secret));
        await check('over-long ref in a transaction', st.transaction((tx) => tx.queueProposal(g, long, secret)));
        // Nothing was written.
        const written = [
          await st.tree(g), await st.tree(enc('abc')), (await st.queuedProposalRefs(g)).length,
          await st.keyPackage(enc('ref')), (await st.encryptionEpochKeyPairs(g, epoch, 1)).length,
          await st.signatureKeyPair(new Uint8Array(1)), await st.encryptionKeyPair(long.subarray(0, 10)),
        ];
        await st.close();
        return { out, written };
      });
      assert.ok(r.out.length > 80, `only ${r.out.length} cases ran`);
      for (const c of r.out) {
        assert.equal(c.code, 'InvalidArgument', `${c.label}: ${JSON.stringify(c)}`);
        assert.equal(c.isMls, true, c.label);
        assert.equal(c.isError, true, c.label);
        assert.equal(c.name, 'MlsStorageError', c.label);
        assert.ok(!c.message.includes('AAAA') && !c.message.includes('SECRET'), `${c.label}: message leaks bytes: ${c.message}`);
        assert.ok(c.message.length < 300, `${c.label}: message too long`);
      }
      assert.deepEqual(r.written, [undefined, undefined, 0, undefined, 0, undefined, undefined]);
    } finally {
      await close();
    }
  });

  test('closed stores and bad options reject with stable codes', async () => {
    const { page, close } = await freshPage();
    try {
      const r = await page.evaluate(async () => {
        const { openStore } = await import('/mlsidb.js');
        const { enc, rejection } = await import('/test/pages/util.js');
        const out = {};
        out.noOptions = await rejection(openStore());
        out.emptyName = await rejection(openStore({ name: '' }));
        out.numberName = await rejection(openStore({ name: 7 }));
        out.badDurability = await rejection(openStore({ name: 'x', durability: 'fast' }));
        out.badWasm = await rejection(openStore({ name: 'x', wasm: 12 }));
        const st = await openStore({ name: 'closing', durability: 'strict' });
        await st.writeTree(enc('g'), enc('t'));
        const inflight = st.tree(enc('g')); // made before close: finishes
        const closing = st.close();
        out.closedFlag = st.closed;
        out.inflight = new TextDecoder().decode(await inflight);
        await closing;
        await st.close(); // again: nothing happens
        out.read = await rejection(st.tree(enc('g')));
        out.write = await rejection(st.writeTree(enc('g'), enc('t')));
        out.tx = await rejection(st.transaction(async () => {}));
        out.deleteGroup = await rejection(st.deleteGroup(enc('g')));
        const again = await openStore({ name: 'closing', durability: 'strict' });
        out.reopened = new TextDecoder().decode(await again.tree(enc('g')));
        out.otherDurability = await rejection(openStore({ name: 'closing', durability: 'relaxed' }));
        await again.close();
        out.durabilities = [];
        for (const durability of ['relaxed', 'default', undefined]) {
          const st2 = await openStore({ name: 'durability-' + durability, durability });
          await st2.transaction((tx) => tx.writePsk(enc('id'), enc(String(durability))));
          out.durabilities.push(new TextDecoder().decode(await st2.psk(enc('id'))));
          await st2.close();
        }
        return out;
      });
      for (const k of ['noOptions', 'emptyName', 'numberName', 'badDurability', 'badWasm']) {
        assert.equal(r[k].code, 'InvalidArgument', k);
      }
      assert.equal(r.closedFlag, true);
      assert.equal(r.inflight, 't');
      for (const k of ['read', 'write', 'tx', 'deleteGroup']) assert.equal(r[k].code, 'Closed', k);
      assert.equal(r.reopened, 't');
      assert.equal(r.otherDurability.code, 'InvalidArgument');
      assert.deepEqual(r.durabilities, ['relaxed', 'default', 'undefined']);
    } finally {
      await close();
    }
  });

  test('a wasm that cannot be loaded rejects with Unavailable, and a later open may retry', async () => {
    const { page, close } = await freshPage();
    try {
      const r = await page.evaluate(async () => {
        const { openStore } = await import('/mlsidb.js');
        const { rejection } = await import('/test/pages/util.js');
        const missing = await rejection(openStore({ name: 'x', wasm: '/no/such.wasm' }));
        const badExec = await rejection(openStore({ name: 'x', wasmExec: '/no/such.js' }));
        const ok = await openStore({ name: 'x' });
        await ok.close();
        return { missing, badExec };
      });
      assert.equal(r.missing.code, 'Unavailable');
      assert.match(r.missing.message, /404/);
      assert.equal(r.badExec.code, 'Unavailable');
    } finally {
      await close();
    }
  });

  test('a wasm from another build (another API version) is refused with Unavailable', async () => {
    const { page, close } = await freshPage();
    try {
      const r = await page.evaluate(async () => {
        const { rejection } = await import('/test/pages/util.js');
        // mlsidb.js as a newer build would have it: the same module
        // expecting another version of the wasm's API.
        const src = await (await fetch('/mlsidb.js')).text();
        const newer = src.replace(/\nconst API_VERSION = (\d+);\n/, (_, v) => `\nconst API_VERSION = ${Number(v) + 1};\n`);
        const url = URL.createObjectURL(new Blob([newer], { type: 'text/javascript' }));
        const { openStore } = await import(url);
        const opts = { wasm: new URL('/dist/mlsidb.wasm', location.href), wasmExec: new URL('/dist/wasm_exec.js', location.href) };
        return { changed: newer !== src, refused: await rejection(openStore({ name: 'other-build', ...opts })) };
      });
      assert.equal(r.changed, true, 'the test found API_VERSION in mlsidb.js');
      assert.equal(r.refused.code, 'Unavailable');
      assert.match(r.refused.message, /different builds/);
    } finally {
      await close();
    }
  });

  test('two stores on one page are independent; one name opened twice shares its data', async () => {
    const { page, close } = await freshPage();
    try {
      const r = await page.evaluate(async () => {
        const { openStore } = await import('/mlsidb.js');
        const { enc, dec, rejection } = await import('/test/pages/util.js');
        const [alice, bob] = await Promise.all([openStore({ name: 'alice' }), openStore({ name: 'bob' })]);
        const g = enc('shared-group-id');
        await Promise.all([alice.writeTree(g, enc('alice tree')), bob.writeTree(g, enc('bob tree'))]);
        await Promise.all([
          alice.transaction(async (tx) => { await tx.appendOwnLeafNode(g, enc('a1')); await tx.appendOwnLeafNode(g, enc('a2')); }),
          bob.transaction(async (tx) => { await tx.appendOwnLeafNode(g, enc('b1')); }),
        ]);
        const trees = [dec(await alice.tree(g)), dec(await bob.tree(g))];
        const leaves = [(await alice.ownLeafNodes(g)).map(dec), (await bob.ownLeafNodes(g)).map(dec)];
        await bob.deleteGroup(g);
        const afterBobDeletes = [dec(await alice.tree(g)), await bob.tree(g)];
        const alice2 = await openStore({ name: 'alice' });
        const sharedRead = dec(await alice2.tree(g));
        await alice.close();
        const stillOpen = dec(await alice2.tree(g));
        const closedOne = await rejection(alice.tree(g));
        await bob.close();
        await alice2.close();
        return { trees, leaves, afterBobDeletes, sharedRead, stillOpen, closedOne };
      });
      assert.deepEqual(r.trees, ['alice tree', 'bob tree']);
      assert.deepEqual(r.leaves, [['a1', 'a2'], ['b1']]);
      assert.deepEqual(r.afterBobDeletes, ['alice tree', undefined]);
      assert.equal(r.sharedRead, 'alice tree');
      assert.equal(r.stillOpen, 'alice tree');
      assert.equal(r.closedOne.code, 'Closed');
    } finally {
      await close();
    }
  });

  test('created and id tell a new (or lost) database from one that was there, across a reload', async () => {
    const { page, close } = await freshPage();
    try {
      const open = () => page.evaluate(async () => {
        const { openStore } = await import('/mlsidb.js');
        const { enc, dec } = await import('/test/pages/util.js');
        const st = await openStore({ name: 'lives' });
        const second = await openStore({ name: 'lives' });
        const psk = dec(await st.psk(enc('id')));
        await st.writePsk(enc('id'), enc('kept'));
        const out = { created: st.created, secondCreated: second.created, psk, id: st.id, sameId: second.id === st.id };
        await second.close();
        await st.close();
        return out;
      });
      const first = await open();
      await page.reload();
      const afterReload = await open();
      await page.evaluate(() => new Promise((resolve, reject) => {
        const r = indexedDB.deleteDatabase('lives');
        r.onsuccess = resolve;
        r.onerror = () => reject(r.error);
      }));
      await page.reload();
      const afterDelete = await open();
      assert.match(first.id, /^[0-9a-f]{32}$/);
      assert.deepEqual(first, { created: true, secondCreated: false, psk: undefined, id: first.id, sameId: true });
      assert.deepEqual(afterReload, { created: false, secondCreated: false, psk: 'kept', id: first.id, sameId: true });
      assert.match(afterDelete.id, /^[0-9a-f]{32}$/);
      assert.notEqual(afterDelete.id, first.id, 'a store made again has a new ID');
      assert.deepEqual(afterDelete, { created: true, secondCreated: false, psk: undefined, id: afterDelete.id, sameId: true });
    } finally {
      await close();
    }
  });

  test('loadGroup reads what the 13 read calls read, in one call, also inside a transaction', async () => {
    const { page, close } = await freshPage();
    try {
      const r = await page.evaluate(async () => {
        const { openStore } = await import('/mlsidb.js');
        const { enc, dec, rejection } = await import('/test/pages/util.js');
        const st = await openStore({ name: 'load-group' });
        const g = enc('group');
        const names = ['tree', 'groupContext', 'interimTranscriptHash', 'confirmationTag', 'groupEpochSecrets',
          'ownLeafIndex', 'messageSecrets', 'resumptionPskStore', 'mlsGroupJoinConfig', 'groupState',
          'applicationExportTree'];
        const writers = {
          tree: 'writeTree', groupContext: 'writeContext', interimTranscriptHash: 'writeInterimTranscriptHash',
          confirmationTag: 'writeConfirmationTag', groupEpochSecrets: 'writeGroupEpochSecrets',
          ownLeafIndex: 'writeOwnLeafIndex', messageSecrets: 'writeMessageSecrets',
          resumptionPskStore: 'writeResumptionPskStore', mlsGroupJoinConfig: 'writeMlsJoinConfig',
          groupState: 'writeGroupState', applicationExportTree: 'writeApplicationExportTree',
        };
        for (const n of names) if (n !== 'groupContext') await st[writers[n]](g, enc(n));
        await st.writeGroupState(g, new Uint8Array(0)); // stored empty, not missing
        await st.appendOwnLeafNode(g, enc('leaf-1'));
        await st.appendOwnLeafNode(g, enc('leaf-2'));
        await st.queueProposal(g, enc('r1'), enc('p1'));
        await st.queueProposal(g, enc('r2'), enc('p2'));
        const show = (l) => Object.fromEntries(Object.entries(l).map(([k, v]) => [k,
          v === undefined ? 'undefined' : Array.isArray(v) ? v.map((x) => (Array.isArray(x) ? x.map(dec) : dec(x))) : dec(v)]));
        const calls = async (s) => {
          const out = {};
          for (const n of names) out[n] = await s[n](g);
          out.ownLeafNodes = await s.ownLeafNodes(g);
          out.queuedProposals = await s.queuedProposals(g);
          return show(out);
        };
        const batch = show(await st.loadGroup(g));
        const single = await calls(st);
        const inTx = await st.transaction(async (tx) => {
          await tx.writeContext(g, enc('context in tx'));
          await tx.deleteTree(g);
          await tx.appendOwnLeafNode(g, enc('leaf-3'));
          await tx.removeProposal(g, enc('r1'));
          return { batch: show(await tx.loadGroup(g)), single: await calls(tx) };
        });
        const missing = show(await st.loadGroup(enc('no-such-group')));
        const bad = await rejection(st.loadGroup('group'));
        await st.close();
        return { batch, single, inTx, missing, bad };
      });
      assert.deepEqual(r.batch, r.single);
      assert.equal(r.batch.tree, 'tree');
      assert.equal(r.batch.groupContext, 'undefined');
      assert.equal(r.batch.groupState, '');
      assert.deepEqual(r.batch.ownLeafNodes, ['leaf-1', 'leaf-2']);
      assert.deepEqual(r.batch.queuedProposals, [['r1', 'p1'], ['r2', 'p2']]);
      assert.deepEqual(r.inTx.batch, r.inTx.single);
      assert.equal(r.inTx.batch.groupContext, 'context in tx');
      assert.equal(r.inTx.batch.tree, 'undefined');
      assert.deepEqual(r.inTx.batch.ownLeafNodes, ['leaf-1', 'leaf-2', 'leaf-3']);
      assert.deepEqual(r.inTx.batch.queuedProposals, [['r2', 'p2']]);
      assert.deepEqual(r.missing.ownLeafNodes, []);
      assert.deepEqual(r.missing.queuedProposals, []);
      assert.equal(r.missing.tree, 'undefined');
      assert.equal(r.bad.code, 'InvalidArgument');
    } finally {
      await close();
    }
  });

  test('the Go API checks arguments too, and rejects with {code, message}', async () => {
    const { page, close } = await freshPage();
    try {
      const r = await page.evaluate(async () => {
        // Load the wasm by hand, as mlsidb.js does, to reach the raw Go API.
        await import('/dist/wasm_exec.js');
        const go = new globalThis.Go();
        go.env = { MLSIDB_API: '__raw_api' };
        const { instance } = await WebAssembly.instantiateStreaming(fetch('/dist/mlsidb.wasm'), go.importObject);
        go.run(instance);
        const api = globalThis.__raw_api;
        const u8 = new Uint8Array([1, 2, 3]);
        const secret = new TextEncoder().encode('SECRET');
        const outcome = async (p) => {
          try {
            const v = await p;
            return { value: v === undefined ? 'undefined' : String(v) };
          } catch (e) {
            return { code: e.code, message: e.message, plain: Object.getPrototypeOf(e) === Object.prototype };
          }
        };
        const { handle: h } = await api.open('raw', undefined);
        // Contract calls go through invoke: calls packed as mlsidb.js's
        // Batch packs them, settled through the function given to init.
        const index = (name) => api.methods.findIndex((m) => m.name === name);
        const pack = (name, ...args) => {
          const m = api.methods[index(name)];
          const parts = [];
          const u32 = (v) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); parts.push(b); };
          const bytes = (b) => { u32(b.length); parts.push(b); };
          const head = new Uint8Array(2);
          new DataView(head.buffer).setUint16(0, index(name), true);
          parts.push(head);
          m.args.forEach((kind, i) => {
            if (kind === 'bytes') bytes(args[i]);
            else if (kind === 'u32') u32(args[i]);
            else { u32(args[i].length); args[i].forEach(bytes); }
          });
          const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
          let at = 0;
          for (const p of parts) { out.set(p, at); at += p.length; }
          return out;
        };
        const concat = (...bs) => { const out = new Uint8Array(bs.reduce((n, b) => n + b.length, 0)); let at = 0; for (const b of bs) { out.set(b, at); at += b.length; } return out; };
        const beforeInit = api.invoke(h, pack('tree', u8), 1);
        const calls = new Map();
        let next = 0;
        api.init((id, ok, v, failedAt) => {
          const [resolve, reject] = calls.get(id);
          calls.delete(id);
          if (ok) resolve(v);
          else reject(Object.assign(v, { failedAt }));
        });
        const invoke = (handle, batch) => new Promise((resolve, reject) => {
          const id = ++next;
          calls.set(id, [resolve, reject]);
          const r = api.invoke(handle, batch, id);
          if (r !== undefined) { calls.delete(id); reject(r); }
        });
        const good = pack('writeTree', u8, u8);
        const emptyKey = pack('writeTree', new Uint8Array(0), secret);
        const twoCalls = await outcome(invoke(h, concat(good, emptyKey)).catch((e) => { throw Object.assign(e, { message: e.message + ' at ' + e.failedAt }); }));
        return {
          methods: api.methods.length,
          beforeInit: { code: beforeInit?.code, plain: Object.getPrototypeOf(beforeInit ?? {}) === Object.prototype, message: String(beforeInit?.message) },
          notBytes: await outcome(invoke(h, 'str')),
          dataView: await outcome(invoke(h, new DataView(new ArrayBuffer(2)))),
          empty: await outcome(invoke(h, new Uint8Array(0))),
          method: await outcome(invoke(h, new Uint8Array([0xff, 0x7f]))),
          truncated: await outcome(invoke(h, pack('writeTree', u8, secret).subarray(0, 12))),
          emptyKey: await outcome(invoke(h, emptyKey)),
          longKey: await outcome(invoke(h, pack('writeTree', new Uint8Array(api.maxKeyLen + 1), secret))),
          twoCalls,
          handle: await outcome(invoke(9999, pack('tree', u8))),
          end: await outcome(api.end(9999, true)),
          name: await outcome(api.open('', undefined)),
          durability: await outcome(api.open('x', 'fast')),
          missing: await outcome(invoke(h, pack('tree', secret))),
          tree: await outcome(invoke(h, pack('tree', u8))),
          written: await outcome(invoke(h, pack('encryptionEpochKeyPairs', u8, u8, 1))),
        };
      });
      assert.equal(r.methods, 58);
      for (const k of ['beforeInit', 'notBytes', 'dataView', 'empty', 'method', 'truncated', 'emptyKey', 'longKey', 'twoCalls', 'name', 'durability']) {
        assert.equal(r[k].code, 'InvalidArgument', `${k}: ${JSON.stringify(r[k])}`);
        assert.equal(r[k].plain, true, k);
        assert.doesNotMatch(r[k].message, /SECRET|83, 69/, k);
      }
      assert.match(r.twoCalls.message, / at 1$/, 'the second call of the batch failed');
      assert.equal(r.handle.code, 'Closed');
      assert.equal(r.end.code, 'Closed');
      assert.deepEqual(r.missing, { value: 'undefined' });
      assert.deepEqual(r.tree, { value: '1,2,3' }, 'the first call of the batch was made');
      // Lists cross packed (a u32 count, then the items): an empty list.
      assert.deepEqual(r.written, { value: '0,0,0,0' }, 'nothing was written');
    } finally {
      await close();
    }
  });

  test('loading leaks no globals but wasm_exec.js\'s fs', async () => {
    const { page, close } = await freshPage();
    try {
      const added = await page.evaluate(async () => {
        const before = new Set(Object.getOwnPropertyNames(globalThis));
        const { openStore } = await import('/mlsidb.js');
        const st = await openStore({ name: 'globals' });
        await st.writeTree(new Uint8Array([1]), new Uint8Array([2]));
        await st.close();
        return Object.getOwnPropertyNames(globalThis).filter((k) => !before.has(k));
      });
      assert.deepEqual(added, ['fs']);
    } finally {
      await close();
    }
  });
});
