// End-to-end tests of the OpenMLS MemoryStorage calls of mlsidb.js
// (importOpenMls, exportOpenMls, syncOpenMls) in headless Chromium.
// Snapshots are built here, in Node, straight from the MemoryStorage format.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setup } from './harness.js';

const { freshPage } = setup();

// --- The MemoryStorage format -------------------------------------------

const gid = (n) => `{"value":{"vec":[${n},7,7]}}`;
const ref = (n) => `{"value":{"vec":[${n},9]}}`;
const byteArrays = (...items) => JSON.stringify(items.map((s) => [...Buffer.from(s)]));
// An entry: label ‖ key bytes ‖ 00 01, and its value.
const e = (label, key, value) => [Buffer.concat([Buffer.from(label + key), Buffer.from([0, 1])]), Buffer.from(value)];

function binary(entries) {
  const parts = [u64(entries.length)];
  for (const [k, v] of entries) parts.push(u64(k.length), u64(v.length), k, v);
  return Buffer.concat(parts);
}

function u64(n) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

function json(entries) {
  const values = {};
  for (const [k, v] of entries) values[k.toString('base64')] = v.toString('base64');
  return JSON.stringify({ values }, null, 2);
}

/** The entries of a snapshot (either encoding) as a Map of hex key to hex value. */
function entrySet(snapshot) {
  const out = new Map();
  if (typeof snapshot === 'string') {
    for (const [k, v] of Object.entries(JSON.parse(snapshot).values)) {
      out.set(Buffer.from(k, 'base64').toString('hex'), Buffer.from(v, 'base64').toString('hex'));
    }
    return out;
  }
  const b = Buffer.from(snapshot);
  let n = Number(b.readBigUInt64BE(0));
  let at = 8;
  while (n-- > 0) {
    const kl = Number(b.readBigUInt64BE(at));
    const vl = Number(b.readBigUInt64BE(at + 8));
    at += 16;
    out.set(b.subarray(at, at + kl).toString('hex'), b.subarray(at + kl, at + kl + vl).toString('hex'));
    at += kl + vl;
  }
  assert.equal(at, b.length, 'no bytes after the last entry');
  return out;
}

const setOf = (entries) => new Map(entries.map(([k, v]) => [k.toString('hex'), v.toString('hex')]));

/** Two groups' worth of state: every label, list order, and "911" read two ways. */
function fixture() {
  const g1 = gid(1);
  const g2 = gid(2);
  return [
    e('KeyPackage', '{"value":{"vec":[1,1]}}', '{"kp":"SECRET-1"}'),
    e('Psk', '{"psk_id":[5]}', '{"psk":"SECRET-2"}'),
    e('EncryptionKeyPair', '{"key":{"vec":[4]}}', '{"private":"SECRET-3"}'),
    e('SignatureKeyPair', '{"value":{"vec":[3]}}', '{"private":"SECRET-4"}'),
    e('Tree', g1, '{"tree":1}'),
    e('GroupContext', g1, '{"epoch":9}'),
    e('InterimTranscriptHash', g1, '[1]'),
    e('ConfirmationTag', g1, '[2]'),
    e('ApplicationExportTree', g1, '{"aet":1}'),
    e('MlsGroupJoinConfig', g1, '{"cfg":1}'),
    e('GroupState', g1, '"Operational"'),
    e('OwnLeafNodeIndex', g1, '11'),
    e('EpochSecrets', g1, '{"s":"SECRET-5"}'),
    e('ResumptionPsk', g1, '{"r":1}'),
    e('MessageSecrets', g1, '{"m":"SECRET-6"}'),
    e('OwnLeafNodes', g1, byteArrays('{"leaf":"b"}', '{"leaf":"a"}')),
    e('ProposalQueueRefs', g1, byteArrays(ref(9), ref(1))),
    e('QueuedProposal', `[${g1},${ref(9)}]`, '{"p":9}'),
    e('QueuedProposal', `[${g1},${ref(1)}]`, '{"p":1}'),
    e('EpochKeyPairs', g1 + '911', '[{"kp":"SECRET-7"},{"kp":"b"}]'), // epoch 9, leaf 11
    e('Tree', g2, '{"tree":2}'),
    e('OwnLeafNodeIndex', g2, '1'),
    e('EpochKeyPairs', g2 + '911', '[{"kp":"c"}]'), // epoch 91, leaf 1
  ];
}

// Runs fn(store, helpers, ...args) in the page against a fresh store.
function inPage(page, name, fn, ...args) {
  return page.evaluate(async ([name, src, args]) => {
    const { openStore, MlsStorageError } = await import('/mlsidb.js');
    const util = await import('/test/pages/util.js');
    const store = await openStore({ name });
    const u8 = (a) => new Uint8Array(a);
    // eslint-disable-next-line no-new-func
    const f = new Function('return ' + src)();
    try {
      return await f(store, { ...util, u8, MlsStorageError }, ...args);
    } finally {
      await store.close();
    }
  }, [name, fn.toString(), args]);
}

const arr = (buf) => [...buf];

describe('OpenMLS MemoryStorage through mlsidb.js', () => {
  test('importOpenMls: entries are found by the calls OpenMLS makes; export gives the snapshot back', async () => {
    const { page, close } = await freshPage();
    try {
      const snap = binary(fixture());
      const r = await inPage(page, 'import', async (st, { enc, dec, u8 }, snap, g1, g2, r9, r1) => {
        await st.importOpenMls(u8(snap));
        const pairs = async (g, epoch, leaf) => (await st.encryptionEpochKeyPairs(enc(g), enc(epoch), leaf)).map(dec);
        return {
          tree: dec(await st.tree(enc(g1))),
          tree2: dec(await st.tree(enc(g2))),
          kp: dec(await st.keyPackage(enc('{"value":{"vec":[1,1]}}'))),
          leaves: (await st.ownLeafNodes(enc(g1))).map(dec),
          queue: (await st.queuedProposals(enc(g1))).map(([r, p]) => [dec(r), dec(p)]),
          e9l11: await pairs(g1, '9', 11),
          e91l1: await pairs(g2, '91', 1),
          wrong: [await pairs(g1, '91', 1), await pairs(g2, '9', 11)],
          binary: [...await st.exportOpenMls()],
          binary2: [...await st.exportOpenMls({ format: 'binary' })],
          json: await st.exportOpenMls({ format: 'json' }),
        };
      }, arr(snap), gid(1), gid(2), ref(9), ref(1));
      assert.equal(r.tree, '{"tree":1}');
      assert.equal(r.tree2, '{"tree":2}');
      assert.equal(r.kp, '{"kp":"SECRET-1"}');
      assert.deepEqual(r.leaves, ['{"leaf":"b"}', '{"leaf":"a"}']);
      assert.deepEqual(r.queue, [[ref(9), '{"p":9}'], [ref(1), '{"p":1}']]);
      assert.deepEqual(r.e9l11, ['{"kp":"SECRET-7"}', '{"kp":"b"}']);
      assert.deepEqual(r.e91l1, ['{"kp":"c"}']);
      assert.deepEqual(r.wrong, [[], []]);
      assert.deepEqual(entrySet(Buffer.from(r.binary)), setOf(fixture()));
      assert.deepEqual(r.binary, r.binary2);
      assert.equal(typeof r.json, 'string');
      assert.deepEqual(entrySet(r.json), setOf(fixture()));
    } finally {
      await close();
    }
  });

  test('importOpenMls takes the JSON encoding as a string or bytes, and an ArrayBuffer', async () => {
    const { page, close } = await freshPage();
    try {
      const text = json(fixture());
      const r = await inPage(page, 'json', async (st, { enc, u8 }, text, bin) => {
        await st.importOpenMls(text);
        const a = await st.exportOpenMls({ format: 'json' });
        await st.importOpenMls(enc(text));
        const b = await st.exportOpenMls({ format: 'json' });
        await st.importOpenMls(u8(bin).buffer);
        const c = await st.exportOpenMls({ format: 'json' });
        return [a, b, c];
      }, text, arr(binary(fixture())));
      for (const exp of r) assert.deepEqual(entrySet(exp), setOf(fixture()));
      assert.equal(r[0], r[1]);
    } finally {
      await close();
    }
  });

  test('imported state survives a reload', async () => {
    const { page, close } = await freshPage();
    try {
      await inPage(page, 'durable', async (st, { u8 }, snap) => st.importOpenMls(u8(snap)), arr(binary(fixture())));
      await page.reload({ waitUntil: 'load' });
      const exp = await inPage(page, 'durable', async (st) => [...await st.exportOpenMls()]);
      assert.deepEqual(entrySet(Buffer.from(exp)), setOf(fixture()));
    } finally {
      await close();
    }
  });

  test('syncOpenMls writes what changed, deletes what is gone, and counts entries', async () => {
    const { page, close } = await freshPage();
    try {
      const s0 = fixture();
      const g1 = gid(1);
      const s1 = s0
        .filter(([k]) => !k.toString().startsWith('KeyPackage')) // deleted: 1
        .filter(([k]) => k.toString() !== `QueuedProposal[${g1},${ref(1)}]\x00\x01`) // deleted: 1
        .map(([k, v]) => {
          if (k.toString().startsWith('Tree' + g1)) return [k, Buffer.from('{"tree":"next"}')]; // written: 1
          if (k.toString().startsWith('ProposalQueueRefs')) return [k, Buffer.from(byteArrays(ref(9)))]; // written: 1
          if (k.toString().startsWith('OwnLeafNodes')) return [k, Buffer.from(byteArrays('{"leaf":"b"}', '{"leaf":"a"}', '{"leaf":"c"}'))]; // written: 1
          return [k, v];
        });
      s1.push(e('Tree', gid(3), '{"tree":3}')); // written: 1
      const r = await inPage(page, 'sync', async (st, { u8 }, s0, s1) => {
        const first = await st.syncOpenMls(u8(s0));
        const again = await st.syncOpenMls(u8(s0));
        const changed = await st.syncOpenMls(u8(s1));
        const after = [...await st.exportOpenMls()];
        const emptied = await st.syncOpenMls(u8([0, 0, 0, 0, 0, 0, 0, 0]));
        const none = [...await st.exportOpenMls()];
        return { first, again, changed, after, emptied, none };
      }, arr(binary(s0)), arr(binary(s1)));
      assert.deepEqual(r.first, { written: s0.length, deleted: 0 });
      assert.deepEqual(r.again, { written: 0, deleted: 0 });
      assert.deepEqual(r.changed, { written: 4, deleted: 2 });
      assert.deepEqual(entrySet(Buffer.from(r.after)), setOf(s1));
      assert.deepEqual(r.emptied, { written: 0, deleted: s1.length });
      assert.deepEqual(r.none, [0, 0, 0, 0, 0, 0, 0, 0]);
    } finally {
      await close();
    }
  });

  test('bad snapshots and bad arguments reject with InvalidArgument and write nothing', async () => {
    const { page, close } = await freshPage();
    try {
      const good = binary(fixture());
      const bad = [
        ['unknown label', binary([...fixture(), e('UseRatchetTree', gid(1), 'true')]), /entry 23: unknown label "UseRatchetTree"/],
        ['version 2', binary([[Buffer.from('Tree' + gid(5) + '\x00\x02'), Buffer.from('SECRET-X')]]), /entry 0 \(Tree\): version suffix 2/],
        ['malformed list', binary([e('OwnLeafNodes', gid(5), '[[1,2],[3')]), /entry 0 \(OwnLeafNodes\)/],
        ['ref without body', binary([e('ProposalQueueRefs', gid(5), byteArrays(ref(1)))]), /entry 0 \(ProposalQueueRefs\): item 0 is a proposal ref without a QueuedProposal entry/],
        ['body without ref', binary([e('QueuedProposal', `[${gid(5)},${ref(1)}]`, 'SECRET-X')]), /entry 0 \(QueuedProposal\)/],
        ['ambiguous epoch', binary([e('EpochKeyPairs', gid(5) + '911', '[]')]), /entry 0 \(EpochKeyPairs\).*OwnLeafNodeIndex/],
        ['truncated', good.subarray(0, good.length - 1), /run past the end|does not fit/],
      ];
      const r = await inPage(page, 'bad', async (st, { u8, rejection }, good, bad) => {
        await st.importOpenMls(u8(good));
        const before = [...await st.exportOpenMls()];
        const out = [];
        for (const [name, snap] of bad) {
          out.push([name, await rejection(st.importOpenMls(u8(snap))), await rejection(st.syncOpenMls(u8(snap)))]);
        }
        const args = [
          await rejection(st.importOpenMls()),
          await rejection(st.importOpenMls(42)),
          await rejection(st.importOpenMls(null)),
          await rejection(st.importOpenMls([0, 0, 0, 0, 0, 0, 0, 0])),
          await rejection(st.importOpenMls(new Uint16Array(4))),
          await rejection(st.importOpenMls('not json')),
          await rejection(st.importOpenMls(u8(good), { drop: true })),
          await rejection(st.importOpenMls(u8(good), { dropOrphanProposals: 'yes' })),
          await rejection(st.syncOpenMls(u8(good), 'options')),
          await rejection(st.exportOpenMls({ format: 'xml' })),
          await rejection(st.exportOpenMls({ format: 'binary', extra: 1 })),
          await rejection(st.exportOpenMls('json')),
        ];
        const after = [...await st.exportOpenMls()];
        return { out, args, same: JSON.stringify(before) === JSON.stringify(after) };
      }, arr(good), bad.map(([n, s]) => [n, arr(s)]));
      for (const [name, imp, sync] of r.out) {
        const want = bad.find(([n]) => n === name)[2];
        for (const rej of [imp, sync]) {
          assert.ok(rej, `${name}: resolved`);
          assert.equal(rej.code, 'InvalidArgument', `${name}: ${rej.message}`);
          assert.ok(rej.isMls, `${name}: not an MlsStorageError`);
          assert.match(rej.message, want, name);
          assert.doesNotMatch(rej.message, /SECRET|vec/, `${name}: the message shows snapshot bytes`);
        }
      }
      for (const rej of r.args) {
        assert.ok(rej, 'a bad argument was accepted');
        assert.equal(rej.code, 'InvalidArgument', rej.message);
      }
      assert.ok(r.same, 'nothing was written');
    } finally {
      await close();
    }
  });

  test('inside a transaction: export sees its writes, a failed callback rolls the import back', async () => {
    const { page, close } = await freshPage();
    try {
      const r = await inPage(page, 'tx', async (st, { u8, rejection }, snap) => {
        const seen = await rejection(st.transaction(async (tx) => {
          await tx.importOpenMls(u8(snap));
          const inside = await tx.exportOpenMls({ format: 'json' });
          throw new Error('roll back ' + inside.length);
        }));
        const afterRollback = [...await st.exportOpenMls()];
        const counts = await st.transaction(async (tx) => {
          const c = await tx.syncOpenMls(u8(snap));
          return [c, (await tx.exportOpenMls()).length];
        });
        const closed = await rejection(st.close().then(() => st.importOpenMls(u8(snap))));
        return { seen, afterRollback, counts, closed };
      }, arr(binary(fixture())));
      assert.match(r.seen.message, /^roll back \d+$/);
      assert.ok(Number(r.seen.message.split(' ')[2]) > 100, 'the export inside the transaction saw the import');
      assert.deepEqual(r.afterRollback, [0, 0, 0, 0, 0, 0, 0, 0]);
      assert.deepEqual(r.counts[0], { written: fixture().length, deleted: 0 });
      assert.ok(r.counts[1] > 100);
      assert.equal(r.closed.code, 'Closed');
    } finally {
      await close();
    }
  });

  test('dropOrphanProposals reads the bodies OpenMLS leaves behind after clearing a queue', async () => {
    const { page, close } = await freshPage();
    try {
      const g = gid(1);
      const snap = binary([e('Tree', g, 't'), e('QueuedProposal', `[${g},${ref(1)}]`, 'left behind')]);
      const r = await inPage(page, 'orphans', async (st, { u8, rejection }, snap) => {
        const strict = await rejection(st.importOpenMls(u8(snap)));
        await st.importOpenMls(u8(snap), { dropOrphanProposals: true });
        const sync = await st.syncOpenMls(u8(snap), { dropOrphanProposals: true });
        return { strict, sync, exp: [...await st.exportOpenMls()] };
      }, arr(snap));
      assert.equal(r.strict.code, 'InvalidArgument');
      assert.deepEqual(r.sync, { written: 0, deleted: 0 });
      assert.deepEqual(entrySet(Buffer.from(r.exp)), setOf([e('Tree', g, 't')]));
    } finally {
      await close();
    }
  });
});
