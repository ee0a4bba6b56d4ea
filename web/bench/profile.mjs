// Profiling aid (not part of make bench): runs one bench case under
// Chrome's CPU profiler (CDP) and prints where the time goes.
//   node web/bench/profile.mjs CASE VARIANT [ITERS] [durability]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchPersistent, openPage, startServer } from '../test/harness.js';

const [caseName = 'single', variant = 'mlsidb', itersArg = '300', durability = 'strict'] = process.argv.slice(2);
const iters = Number(itersArg);
const server = await startServer();
const dir = mkdtempSync(join(tmpdir(), 'mlsidb-prof-'));
const context = await launchPersistent(dir);
try {
  const page = await openPage(context, server.url + '/bench/index.html');
  page.setDefaultTimeout(600_000);
  await page.waitForFunction(() => globalThis.benchReady === true);
  await page.evaluate((o) => globalThis.bench.setup(o), { durability, tag: 'prof' });
  await page.evaluate(([c, v, n]) => globalThis.bench.round(c, v, n), [caseName, variant, 30]);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
  await cdp.send('Profiler.start');
  const ms = await page.evaluate(([c, v, n]) => globalThis.bench.round(c, v, n), [caseName, variant, iters]);
  const { profile } = await cdp.send('Profiler.stop');
  writeFileSync('/tmp/prof/last.cpuprofile', JSON.stringify(profile));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  let total = 0;
  profile.samples.forEach((id, i) => {
    const n = byId.get(id);
    const f = n.callFrame;
    const url = f.url.split('/').pop();
    const key = `${f.functionName || '(anon)'} ${url}`;
    const d = dt[i] ?? 0;
    total += d;
    self.set(key, (self.get(key) ?? 0) + d);
  });
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 45);
  console.log(`${caseName}/${variant}: ${ms.toFixed(3)} ms/op over ${iters}; profile ${(total / 1000).toFixed(0)} ms`);
  for (const [k, v] of rows) console.log(`${(v / 1000 / iters).toFixed(4)} ms/op  ${(100 * v / total).toFixed(1)}%  ${k}`);
} finally {
  await context.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
