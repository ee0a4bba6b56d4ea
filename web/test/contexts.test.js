// mlsidb.js in the places apps use it: a Web Worker, a reloaded page, two
// tabs at once, an import map, an app that depends on it by package name
// (node resolution, esbuild, tsc).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { openPage, outputDir, setup, startServer, WEB_DIR } from './harness.js';

const run = promisify(execFile);

const h = setup();
const blank = h.blank;

describe('where mlsidb.js runs', () => {
  test('in a module Web Worker, sharing IndexedDB with the page', async () => {
    const context = await h.browser.newContext();
    try {
      const page = await openPage(context, blank());
      const r = await page.evaluate(() => new Promise((resolve) => {
        const w = new Worker('/test/pages/worker.js', { type: 'module' });
        const timer = setTimeout(() => resolve({ ok: false, error: 'worker timed out' }), 20_000);
        w.onmessage = ({ data }) => { clearTimeout(timer); w.terminate(); resolve(data); };
        w.onerror = (e) => { clearTimeout(timer); resolve({ ok: false, error: e.message }); };
        w.postMessage({ name: 'from-worker' });
      }));
      assert.equal(r.ok, true, r.error);
      assert.deepEqual(r.result, {
        isWorker: true, tree: 'tree from the worker', refs: ['r1'], pairs: ['k1'], rollback: 'stop',
        bad: { code: 'InvalidArgument', isMls: true }, leakedGo: false,
      });
      // The page sees what the worker committed.
      const fromPage = await page.evaluate(async () => {
        const { openStore } = await import('/mlsidb.js');
        const st = await openStore({ name: 'from-worker' });
        const tree = await st.tree(new TextEncoder().encode('worker-group'));
        await st.close();
        return new TextDecoder().decode(tree);
      });
      assert.equal(fromPage, 'tree from the worker');
    } finally {
      await context.close();
    }
  });

  test('data survives a page reload', async () => {
    const context = await h.browser.newContext();
    try {
      const page = await openPage(context, blank());
      await page.evaluate(async () => {
        const { openStore } = await import('/mlsidb.js');
        const enc = (s) => new TextEncoder().encode(s);
        const st = await openStore({ name: 'reload' });
        const g = enc('g');
        await st.transaction(async (tx) => {
          await tx.writeGroupState(g, enc('state'));
          await tx.queueProposal(g, enc('r1'), enc('p1'));
          await tx.queueProposal(g, enc('r2'), enc('p2'));
          await tx.appendOwnLeafNode(g, enc('leaf'));
        });
        await st.writeSignatureKeyPair(enc('pub'), enc('pair'));
        // Not closed: the page just goes away.
      });
      await page.reload({ waitUntil: 'load' });
      const r = await page.evaluate(async () => {
        const { openStore } = await import('/mlsidb.js');
        const enc = (s) => new TextEncoder().encode(s);
        const dec = (u) => u && new TextDecoder().decode(u);
        const st = await openStore({ name: 'reload' });
        const g = enc('g');
        const out = {
          state: dec(await st.groupState(g)),
          queue: (await st.queuedProposals(g)).map(([r, p]) => dec(r) + '=' + dec(p)),
          leaves: (await st.ownLeafNodes(g)).map(dec),
          sig: dec(await st.signatureKeyPair(enc('pub'))),
        };
        await st.close();
        return out;
      });
      assert.deepEqual(r, { state: 'state', queue: ['r1=p1', 'r2=p2'], leaves: ['leaf'], sig: 'pair' });
    } finally {
      await context.close();
    }
  });

  test('one store used from two tabs at once', async () => {
    const context = await h.browser.newContext();
    try {
      const [a, b] = [await openPage(context, blank()), await openPage(context, blank())];
      const open = (page) => page.evaluate(async () => {
        const { openStore } = await import('/mlsidb.js');
        window.st = await openStore({ name: 'two-tabs' });
      });
      await Promise.all([open(a), open(b)]);
      // What one tab commits, the other reads.
      await a.evaluate(() => window.st.writeTree(new TextEncoder().encode('g'), new TextEncoder().encode('from A')));
      const seenByB = await b.evaluate(async () => new TextDecoder().decode(await window.st.tree(new TextEncoder().encode('g'))));
      // Both tabs run transactions at the same time on their own keys.
      const work = (page, who) => page.evaluate(async (who) => {
        const enc = (s) => new TextEncoder().encode(s);
        const jobs = [];
        for (let i = 0; i < 10; i++) {
          jobs.push(window.st.transaction(async (tx) => {
            await tx.writeGroupState(enc(`${who}-${i}`), enc(`state ${who} ${i}`));
            await tx.queueProposal(enc(`${who}-${i}`), enc('ref'), enc(`proposal ${who} ${i}`));
          }));
        }
        await Promise.all(jobs);
      }, who);
      await Promise.all([work(a, 'A'), work(b, 'B')]);
      const readAll = (page) => page.evaluate(async () => {
        const enc = (s) => new TextEncoder().encode(s);
        const dec = (u) => u && new TextDecoder().decode(u);
        const out = [];
        for (const who of ['A', 'B']) {
          for (let i = 0; i < 10; i++) {
            const g = enc(`${who}-${i}`);
            const q = await window.st.queuedProposals(g);
            out.push(`${dec(await window.st.groupState(g))}|${q.map(([, p]) => dec(p)).join()}`);
          }
        }
        return out;
      });
      const [fromA, fromB] = await Promise.all([readAll(a), readAll(b)]);
      // Both tabs append to one list at the same time: nothing is lost, and
      // each tab's appends keep their order.
      const append = (page, who) => page.evaluate(async (who) => {
        const enc = (s) => new TextEncoder().encode(s);
        const jobs = [];
        for (let i = 0; i < 20; i++) jobs.push(window.st.appendOwnLeafNode(enc('shared'), enc(`${who}${i}`)));
        jobs.push(window.st.transaction(async (tx) => {
          await tx.appendOwnLeafNode(enc('shared'), enc(`${who}-tx-1`));
          await tx.appendOwnLeafNode(enc('shared'), enc(`${who}-tx-2`));
        }));
        await Promise.all(jobs);
      }, who);
      await Promise.all([append(a, 'A'), append(b, 'B')]);
      const leaves = await b.evaluate(async () => (await window.st.ownLeafNodes(new TextEncoder().encode('shared')))
        .map((u) => new TextDecoder().decode(u)));
      assert.equal(leaves.length, 44, `appends lost across tabs: ${leaves.length} of 44`);
      for (const who of ['A', 'B']) {
        const mine = leaves.filter((l) => l.startsWith(who) && !l.includes('-tx-'));
        assert.deepEqual(mine, Array.from({ length: 20 }, (_, i) => `${who}${i}`));
        const tx = leaves.filter((l) => l.startsWith(`${who}-tx-`));
        assert.deepEqual(tx, [`${who}-tx-1`, `${who}-tx-2`]);
      }
      const want = ['A', 'B'].flatMap((who) => Array.from({ length: 10 }, (_, i) => `state ${who} ${i}|proposal ${who} ${i}`));
      assert.equal(seenByB, 'from A');
      assert.deepEqual(fromA, want);
      assert.deepEqual(fromB, want);
      await Promise.all([a.evaluate(() => window.st.close()), b.evaluate(() => window.st.close())]);
    } finally {
      await context.close();
    }
  });

  test('imported by package name through an import map', async () => {
    const context = await h.browser.newContext();
    try {
      const page = await openPage(context, h.server.url + '/test/pages/importmap.html');
      await page.waitForFunction(() => window.result !== undefined);
      assert.deepEqual(await page.evaluate(() => window.result), { psk: 'bundle', errorClass: 'function' });
      assert.deepEqual(page.errors, []);
    } finally {
      await context.close();
    }
  });

  describe('an app that depends on mlsidb', () => {
    let dir;
    before(async () => {
      // A fresh copy of the fixture app, depending on web/ through file:.
      dir = mkdtempSync(join(outputDir(), 'fixture-app-'));
      cpSync(join(WEB_DIR, 'test', 'fixture-app'), dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({
        name: 'fixture-app', private: true, type: 'module', dependencies: { mlsidb: `file:${WEB_DIR}` },
      }, null, 2));
      await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'],
        { cwd: dir, timeout: 120_000 });
    });
    after(() => dir && rmSync(dir, { recursive: true, force: true }));

    test('node resolves it by name to the ES module and its types', async () => {
      const script = `
        const m = await import('mlsidb');
        console.log(JSON.stringify({
          url: import.meta.resolve('mlsidb'),
          exports: Object.keys(m).sort(),
        }));`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, timeout: 30_000 });
      const r = JSON.parse(stdout);
      assert.match(r.url, /\/mlsidb\.js$/);
      assert.deepEqual(r.exports, ['ErrorCode', 'MlsStorageError', 'MlsStore', 'MlsTransaction', 'contractMethods', 'openStore']);
      const pkg = JSON.parse(readFileSync(join(WEB_DIR, 'package.json'), 'utf8'));
      assert.equal(pkg.exports['.'].types, './mlsidb.d.ts');
    });

    test('tsc type-checks an app against mlsidb.d.ts', async () => {
      const tsc = join(WEB_DIR, 'node_modules', 'typescript', 'bin', 'tsc');
      const args = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
        '--lib', 'es2022,dom', 'typecheck.ts'];
      const r = await run(process.execPath, [tsc, ...args], { cwd: dir, timeout: 120_000 }).catch((e) => e);
      assert.equal(r.code ?? 0, 0, `${r.stdout}${r.stderr}`);
    });

    test('esbuild bundles it and the bundle runs in Chromium', async () => {
      const esbuild = await import('esbuild');
      await esbuild.build({
        entryPoints: [join(dir, 'app.js')], bundle: true, format: 'esm', outfile: join(dir, 'out', 'app.js'),
        absWorkingDir: dir, logLevel: 'silent',
      });
      const bundled = readFileSync(join(dir, 'out', 'app.js'), 'utf8');
      assert.ok(bundled.includes('MlsStorageError'), 'the bundle holds mlsidb.js');
      const srv = await startServer({ mounts: { '/app/': join(dir, 'out') } });
      const context = await h.browser.newContext();
      try {
        const page = await openPage(context, srv.url + '/test/pages/blank.html');
        const r = await page.evaluate(async () => (await import('/app/app.js')).run());
        assert.deepEqual(r, { kp: 'key package', code: 'InvalidArgument' });
      } finally {
        await context.close();
        await srv.close();
      }
    });
  });
});
