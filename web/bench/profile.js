#!/usr/bin/env node
// Profiles one benchmark case with Chrome's sampling profiler (CDP), to see
// where the time of an mlsidb call goes (JS, wasm_exec.js glue, Go wasm
// functions, IndexedDB). Build the wasm with its name section first, so that
// Go functions have names in the profile:
//
//   GOOS=js GOARCH=wasm go build -o web/dist/mlsidb.wasm ./cmd/wasm
//   node web/bench/profile.js single mlsidb 500 [out.cpuprofile]
//
// Prints the functions with the most self time and their callers' share;
// writes the full profile (load it in Chrome DevTools) when a path is given.
import { writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchPersistent, openPage, startServer } from '../test/harness.js';

const [caseName = 'single', variant = 'mlsidb', itersArg = '300', out] = process.argv.slice(2);
const iters = Number(itersArg);
const durability = process.env.DURABILITY || 'strict';

const server = await startServer();
const profileDir = mkdtempSync(join(tmpdir(), 'mlsidb-profile-'));
const context = await launchPersistent(profileDir);
try {
  const page = await openPage(context, server.url + '/bench/index.html');
  page.setDefaultTimeout(600_000);
  await page.waitForFunction(() => globalThis.benchReady === true);
  await page.evaluate((o) => globalThis.bench.setup(o), { durability, tag: 'profile' });
  // Warm up (tier-up of the wasm and of the JS).
  await page.evaluate(([c, v, n]) => globalThis.bench.round(c, v, n), [caseName, variant, Math.min(iters, 100)]);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
  await cdp.send('Profiler.start');
  const ms = await page.evaluate(([c, v, n]) => globalThis.bench.round(c, v, n), [caseName, variant, iters]);
  const { profile } = await cdp.send('Profiler.stop');
  console.log(`${caseName}/${variant}: ${ms.toFixed(3)} ms per operation over ${iters} (${durability})`);
  if (out) writeFileSync(out, JSON.stringify(profile));
  summarize(profile);
} finally {
  await context.close();
  await server.close();
  rmSync(profileDir, { recursive: true, force: true });
}

function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counts = new Map();
  for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  const total = profile.samples.length;
  const label = (n) => {
    const f = n.callFrame;
    const file = f.url ? f.url.split('/').pop() : '';
    return `${f.functionName || '(anonymous)'}${file ? ' ' + file + ':' + (f.lineNumber + 1) : ''}`;
  };
  const self = new Map();
  const inclusive = new Map();
  for (const [id, c] of counts) {
    const n = byId.get(id);
    const l = label(n);
    self.set(l, (self.get(l) ?? 0) + c);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const cl = label(byId.get(cur));
      if (seen.has(cl)) continue;
      seen.add(cl);
      inclusive.set(cl, (inclusive.get(cl) ?? 0) + c);
    }
  }
  const pct = (c) => ((100 * c) / total).toFixed(1).padStart(5) + '%';
  console.log(`\n${total} samples. Self time:`);
  for (const [l, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 35)) console.log(`${pct(c)}  ${l}`);
  console.log('\nInclusive time:');
  for (const [l, c] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 45)) console.log(`${pct(c)}  ${l}`);
}
