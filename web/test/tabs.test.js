// One store in several tabs (and a worker) at once, in real Chromium:
// transactions that never lose each other's writes, group locks that never
// overlap, change events, and the connection's life across a schema
// upgrade and a blocked open.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openPage, setup } from './harness.js';

const h = setup();
const blank = h.blank;

/** n pages of one fresh context (one origin, one IndexedDB), each with the tabs helpers loaded. */
async function tabs(n) {
  const context = await h.browser.newContext();
  const pages = [];
  for (let i = 0; i < n; i++) {
    const page = await openPage(context, blank());
    await page.evaluate(async () => { window.t = await import('/test/pages/tabs.js'); });
    pages.push(page);
  }
  return { context, pages };
}

/** Waits (polling in the page) until window.events holds an event matching what. */
const waitEvents = (page, count, type = 'change') => page.waitForFunction(
  ([n, t]) => window.events.filter((e) => e.type === t).length >= n, [count, type], { timeout: 20_000 });

describe('several tabs', () => {
  test('two tabs each run hundreds of transactions on one group: every write is there exactly once', async (t) => {
    const { context, pages: [a, b] } = await tabs(2);
    try {
      await Promise.all([a, b].map((p) => p.evaluate(() => window.t.open('hammer'))));
      const loops = 3;
      const rounds = 80;
      const t0 = Date.now();
      await Promise.all([
        a.evaluate(([l, r]) => window.t.hammer('A', l, r), [loops, rounds]),
        b.evaluate(([l, r]) => window.t.hammer('B', l, r), [loops, rounds]),
      ]);
      const total = 2 * loops * rounds;
      t.diagnostic(`${total} rounds (${total * 3 / 4} transactions, the rest single calls) from two tabs in ${Date.now() - t0} ms`);
      const got = await b.evaluate(() => window.t.hammered());
      const want = [];
      for (const who of ['A', 'B']) {
        for (let w = 0; w < loops; w++) {
          for (let i = 0; i < rounds; i++) want.push(`${who}-${w}-${String(i).padStart(3, '0')}`);
        }
      }
      const counts = new Map();
      for (const l of got.leaves) counts.set(l, (counts.get(l) ?? 0) + 1);
      const lost = want.filter((w) => !counts.has(w));
      const twice = [...counts].filter(([, n]) => n > 1).map(([l]) => l);
      assert.deepEqual({ lost: lost.slice(0, 10), twice: twice.slice(0, 10), leaves: got.leaves.length },
        { lost: [], twice: [], leaves: total }, 'own leaf nodes');
      // Each loop's appends keep their order.
      for (const prefix of want.map((w) => w.slice(0, 4)).filter((p, i, all) => all.indexOf(p) === i)) {
        const mine = got.leaves.filter((l) => l.startsWith(prefix));
        assert.deepEqual(mine, [...mine].sort(), `order of ${prefix}`);
      }
      assert.equal(got.queue.length, total, 'queued proposals');
      assert.deepEqual(got.queue.map(([r]) => r).sort(), [...want].sort(), 'every proposal queued exactly once');
      for (const [r, p] of got.queue) assert.equal(p, 'body ' + r);
      assert.equal(got.counter, total, 'the counter bumped in every round');
      assert.deepEqual([...a.errors, ...b.errors], []);
    } finally {
      await context.close();
    }
  });

  test('group locks: two tabs contend for one group and their sections never overlap', async (t) => {
    const { context, pages: [a, b] } = await tabs(2);
    try {
      await Promise.all([a, b].map((p) => p.evaluate(() => window.t.open('locks'))));
      const loops = 2;
      const rounds = 30;
      const [oa, ob] = await Promise.all([
        a.evaluate(([l, r]) => window.t.contend('A', l, r), [loops, rounds]),
        b.evaluate(([l, r]) => window.t.contend('B', l, r), [loops, rounds]),
      ]);
      const counter = await a.evaluate(async () => Number(window.t.dec(await window.st.psk(window.t.enc('lock-counter')))));
      t.diagnostic(`${2 * loops * rounds} sections under one group's lock from two tabs`);
      assert.deepEqual({ overlaps: oa + ob, counter }, { overlaps: 0, counter: 2 * loops * rounds });

      // While A holds a group, B gets other groups at once and this one only
      // after A let go; B's signal ends its wait.
      await a.evaluate(() => window.t.holdLock('held'));
      assert.equal(await b.evaluate(() => window.t.tryLock('other', 10_000)), 'ran');
      assert.equal(await b.evaluate(() => window.t.tryLock('held', 100)), 'TimeoutError');
      const waiting = b.evaluate(() => window.t.tryLock('held', 20_000));
      await a.evaluate(() => { window.releaseLock(); return window.lockDone; });
      assert.equal(await waiting, 'ran');
      // Bad arguments, and a signal that has aborted already.
      const bad = await b.evaluate(async () => {
        const { enc, rejection } = window.t;
        const st = window.st;
        return {
          id: await rejection(st.withGroupLock('g', () => 1)),
          empty: await rejection(st.withGroupLock(new Uint8Array(0), () => 1)),
          fn: await rejection(st.withGroupLock(enc('g'), 'x')),
          signal: await rejection(st.withGroupLock(enc('g'), () => 1, { signal: 'no' })),
          aborted: await rejection(st.withGroupLock(enc('g'), () => 1, { signal: AbortSignal.abort() })),
          result: await st.withGroupLock(enc('g'), async () => 42),
          own: await rejection(st.withGroupLock(enc('g'), async () => { throw new RangeError('mine'); })),
        };
      });
      for (const k of ['id', 'empty', 'fn', 'signal']) assert.equal(bad[k].code, 'InvalidArgument', k);
      assert.equal(bad.aborted.name, 'AbortError');
      assert.equal(bad.result, 42);
      assert.deepEqual([bad.own.name, bad.own.message], ['RangeError', 'mine']);
    } finally {
      await context.close();
    }
  });

  test('a commit in one tab reaches the change listeners of the other tab and of a worker', async () => {
    const { context, pages: [a, b] } = await tabs(2);
    try {
      await Promise.all([a, b].map((p) => p.evaluate(() => window.t.open('changes'))));
      // A worker of tab B with the store open too.
      await b.evaluate(() => new Promise((resolve, reject) => {
        window.workerEvents = [];
        window.worker = new Worker('/test/pages/change-worker.js', { type: 'module' });
        window.worker.onmessage = ({ data }) => {
          if (data.change) window.workerEvents.push(data.change);
          if (data.opened) resolve();
          if (data.committed) window.workerCommitted = true;
          if (data.error) reject(new Error(data.error));
        };
        window.worker.postMessage({ open: 'changes' });
      }));
      await a.evaluate(async () => {
        const { enc } = window.t;
        await window.st.transaction(async (tx) => {
          await tx.writeTree(enc('group-1'), enc('tree'));
          await tx.queueProposal(enc('group-2'), enc('ref'), enc('proposal'));
          await tx.writeKeyPackage(enc('hash-ref'), enc('key package'));
        });
      });
      await waitEvents(b, 1);
      await b.waitForFunction(() => window.workerEvents.length >= 1, null, { timeout: 20_000 });
      const [inB, inWorker] = await b.evaluate(() => [window.events, window.workerEvents]);
      assert.deepEqual(inB, [{
        type: 'change', groups: ['group-1', 'group-2'], methodGroups: ['tree', 'proposal_queue', 'key_package'],
        reason: undefined, code: undefined, isCustomEvent: true, target: true,
      }]);
      assert.deepEqual(inWorker, [{ groups: ['group-1', 'group-2'], methodGroups: ['tree', 'proposal_queue', 'key_package'] }]);

      // B deletes a group: A hears of it, with every group-scoped method group.
      await b.evaluate(() => window.st.deleteGroup(window.t.enc('group-1')));
      await waitEvents(a, 1);
      const inA = await a.evaluate(() => window.events);
      assert.equal(inA.length, 1, 'A heard only B\'s commit, not its own');
      assert.deepEqual(inA[0].groups, ['group-1']);
      assert.deepEqual(inA[0].methodGroups, [
        'mls_group_join_config', 'tree', 'group_context', 'interim_transcript_hash', 'confirmation_tag', 'group_state',
        'message_secrets', 'resumption_psk_store', 'own_leaf_index', 'group_epoch_secrets', 'application_export_tree',
        'own_leaf_nodes', 'proposal_queue', 'encryption_epoch_key_pairs',
      ]);
      // The worker commits: both tabs hear of it.
      await b.evaluate(() => window.worker.postMessage({ commit: 'group-from-worker' }));
      await waitEvents(a, 2);
      await waitEvents(b, 2);
      for (const page of [a, b]) {
        const last = (await page.evaluate(() => window.events)).at(-1);
        assert.deepEqual([last.groups, last.methodGroups], [['group-from-worker'], ['tree']]);
      }
      // B reloads what A changed: the point of the event.
      assert.equal(await b.evaluate(async () => window.t.dec(await window.st.tree(window.t.enc('group-from-worker')))), 'from the worker');
      // A closed store hears nothing more.
      await b.evaluate(() => window.st.close());
      await a.evaluate(() => window.st.writeTree(window.t.enc('group-3'), window.t.enc('t')));
      await a.evaluate(() => window.st.writePsk(window.t.enc('psk'), window.t.enc('p')));
      await b.waitForFunction(() => window.workerEvents.length >= 3, null, { timeout: 20_000 });
      assert.equal((await b.evaluate(() => window.events)).length, 2);
      await b.evaluate(() => window.worker.terminate());
      assert.deepEqual([...a.errors, ...b.errors], []);
    } finally {
      await context.close();
    }
  });

  test('a tab that opens a newer schema closes the older tab\'s store, which reports it', async () => {
    const { context, pages: [a, b] } = await tabs(2);
    try {
      await a.evaluate(async () => {
        await window.t.open('upgrade');
        await window.st.writeTree(window.t.enc('g'), window.t.enc('before the upgrade'));
      });
      // "Newer code" in tab B: a raw open with the next schema version.
      const newer = await b.evaluate(() => window.t.rawOpen('upgrade', 3, { keep: false }));
      assert.deepEqual(newer, { ok: true, version: 3, blocked: false }, 'the newer tab opened at once, never blocked');
      await waitEvents(a, 1, 'close');
      const r = await a.evaluate(async () => {
        const { enc, rejection } = window.t;
        return {
          events: window.events,
          closed: window.st.closed,
          read: await rejection(window.st.tree(enc('g'))),
          write: await rejection(window.st.writeTree(enc('g'), enc('x'))),
          tx: await rejection(window.st.transaction(() => 1)),
          lock: await rejection(window.st.withGroupLock(enc('g'), () => 1)),
          reopen: await rejection(import('/mlsidb.js').then((m) => m.openStore({ name: 'upgrade' }))),
          close: await window.st.close(),
        };
      });
      assert.equal(r.events.length, 1);
      assert.deepEqual(r.events[0], {
        type: 'close', groups: undefined, methodGroups: undefined, reason: 'versionchange', code: 'Closed',
        isCustomEvent: true, target: true,
      });
      assert.equal(r.closed, true);
      for (const k of ['read', 'write', 'tx', 'lock']) {
        assert.equal(r[k].code, 'Closed', k);
        assert.match(r[k].message, /upgrade/, k);
      }
      assert.equal(r.reopen.code, 'VersionMismatch', 'the database is newer than this code now');
    } finally {
      await context.close();
    }
  });

  test('an open that an older connection blocks fails with Blocked after the bounded wait, and works once it lets go', async () => {
    const { context, pages: [a, b] } = await tabs(2);
    try {
      // Tab A: old code holding version 1 of the database (the method
      // group stores, no meta store yet), deaf to versionchange.
      const v1 = await a.evaluate(async () => {
        const { contractMethods } = await import('/mlsidb.js');
        const stores = [...new Set((await contractMethods()).map((m) => m.group))];
        return window.t.rawOpen('blocked', 1, { stores });
      });
      assert.deepEqual(v1, { ok: true, version: 1, blocked: false });
      const r = await b.evaluate(async () => {
        const { openStore } = await import('/mlsidb.js');
        return { failed: await window.t.rejection(openStore({ name: 'blocked', blockedTimeout: 300 })) };
      });
      assert.equal(r.failed.code, 'Blocked', JSON.stringify(r.failed));
      await a.evaluate(() => window.raw.close());
      const tree = await b.evaluate(async () => {
        await window.t.open('blocked');
        await window.st.writeTree(window.t.enc('g'), window.t.enc('after'));
        return window.t.dec(await window.st.tree(window.t.enc('g')));
      });
      assert.equal(tree, 'after');
    } finally {
      await context.close();
    }
  });
});
