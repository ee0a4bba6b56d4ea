#!/usr/bin/env node
// make bench: drives web/bench/index.html in headless Chromium (the e2e
// harness: Debian's chromium through playwright-core, a persistent profile
// so that IndexedDB lives on disk and durability means what it says), runs
// every case against raw IndexedDB and against mlsidb, rounds alternating,
// prints a table and writes bench/results.json.
//
//   node web/bench/run.js [--quick] [--out FILE] [--rounds N] [--scale 100,1000,10000]
//
// --quick is the smoke test's mode: few rounds, tiny scale, no timing claims.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchPersistent, openPage, startServer, WEB_DIR } from '../test/harness.js';

const ROOT = resolve(WEB_DIR, '..');

function parseArgs(argv) {
  const o = { quick: false, out: join(ROOT, 'bench', 'results.json'), rounds: 0, scale: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--out') o.out = resolve(argv[++i]);
    else if (a === '--rounds') o.rounds = Number(argv[++i]);
    else if (a === '--scale') o.scale = argv[++i].split(',').map(Number);
    else if (a === '--scale-only') o.scaleOnly = true;
    else if (a === '--small-only') o.smallOnly = true; // strict small cases only, no results file

    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const ROUNDS = opts.rounds || (opts.quick ? 2 : 15);
const WARMUP = opts.quick ? 0 : 2;
const SCALE = opts.scale ?? (opts.quick ? [10, 20] : [100, 1000, 10000]);
const SCALE_ROUNDS = opts.quick ? 1 : 11;
const SETTLE_MS = Number(process.env.MLSIDB_BENCH_SETTLE_MS ?? 5000);
// Operations per round, per case.
const ITERS = opts.quick
  ? { single: 2, merge: 1, load: 2, lock: 5, scaleLoad: 2, scaleMerge: 1, scaleDelete: 1 }
  : { single: 30, merge: 6, load: 30, lock: 200, scaleLoad: 20, scaleMerge: 6, scaleDelete: 4 };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r3 = (x) => Math.round(x * 1000) / 1000;
const r2 = (x) => Math.round(x * 100) / 100;
const log = (...a) => console.error(...a);

async function benchPage(context, url) {
  const page = await openPage(context, url + '/bench/index.html');
  page.setDefaultTimeout(600_000);
  await page.waitForFunction(() => globalThis.benchReady === true);
  return page;
}

/** Rounds of the variants of one case, alternating their order; returns
 * the median ms per operation of each variant and every round's value. */
async function runCase(page, name, variants, iters) {
  const samples = Object.fromEntries(variants.map((v) => [v, []]));
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    const order = r % 2 ? [...variants].reverse() : variants;
    for (const v of order) {
      const ms = await page.evaluate(([c, v, n]) => globalThis.bench.round(c, v, n), [name, v, iters]);
      if (r >= WARMUP) samples[v].push(ms);
    }
  }
  const med = Object.fromEntries(variants.map((v) => [v, median(samples[v])]));
  return { med, samples };
}

async function smallCases(page, durability) {
  await page.evaluate((o) => globalThis.bench.setup(o), { durability, tag: `${durability}-${Date.now()}` });
  const single = await runCase(page, 'single', ['raw', 'mlsidb', 'mlsidb-nolock'], ITERS.single);
  const merge = await runCase(page, 'merge', ['raw', 'tx', 'calls', 'tx-nolock'], ITERS.merge);
  const load = await runCase(page, 'load', ['raw', 'mlsidb', 'calls'], ITERS.load);
  await page.evaluate(() => globalThis.bench.teardown());
  return {
    durability,
    single: {
      raw_ms: r3(single.med.raw), mlsidb_ms: r3(single.med.mlsidb), ratio: r2(single.med.mlsidb / single.med.raw),
      no_web_lock_ms: r3(single.med['mlsidb-nolock']), no_web_lock_ratio: r2(single.med['mlsidb-nolock'] / single.med.raw),
    },
    merge: {
      raw_ms: r3(merge.med.raw), tx_ms: r3(merge.med.tx), calls_ms: r3(merge.med.calls),
      ratio: r2(merge.med.tx / merge.med.raw), speedup_vs_calls: r2(merge.med.calls / merge.med.tx),
      tx_no_web_lock_ms: r3(merge.med['tx-nolock']), tx_no_web_lock_ratio: r2(merge.med['tx-nolock'] / merge.med.raw),
    },
    load: {
      raw_ms: r3(load.med.raw), mlsidb_ms: r3(load.med.mlsidb), ratio: r2(load.med.mlsidb / load.med.raw),
      calls_ms: r3(load.med.calls),
    },
  };
}

async function scaleCase(context) {
  // Each size in an origin of its own (a server on a port of its own): the
  // IndexedDB databases of an origin share one backing store, which would
  // make every store as large as the largest.
  // The raw databases get origins of their own too.
  const servers = [];
  for (let i = 0; i < 2 * SCALE.length; i++) servers.push(await startServer());
  try {
    const urls = servers.map((s) => s.url);
    return await scaleRun(context, urls.slice(0, SCALE.length), urls.slice(SCALE.length));
  } finally {
    for (const s of servers) await s.close();
  }
}

async function scaleRun(context, urls, rawUrls) {
  const out = {
    groups: SCALE, open_ms: [], load_ms: [], merge_ms: [], delete_group_ms: [], wasm_memory_bytes: [],
    fill_ms: [], wasm_memory_after_ops_bytes: [],
    raw: { load_ms: [], merge_ms: [], delete_group_ms: [], fill_ms: [] },
  };
  // Fill each store in a page of its own; its wasm memory afterwards is
  // the figure.
  // Largest first, and a pause after the fills: IndexedDB (LevelDB)
  // compacts after a bulk load, which slows writes for a while; the stores
  // are measured at rest.
  const names = SCALE.map((n) => `scale-${n}-${Date.now()}`);
  const fills = new Map();
  for (const i of [...SCALE.keys()].sort((a, b) => SCALE[b] - SCALE[a])) {
    const n = SCALE[i];
    const name = names[i];
    const page = await benchPage(context, urls[i]);
    const fill = await page.evaluate(([name, n]) => globalThis.bench.scaleFill(name, n), [name, n]);
    await page.close();
    log(`  scale ${n}: filled in ${(fill.fillMs / 1000).toFixed(1)} s, wasm memory ${(fill.wasmMemoryBytes / 2 ** 20).toFixed(1)} MiB`);
    const rawPage = await benchPage(context, rawUrls[i]);
    const rawFill = await rawPage.evaluate(([name, n]) => globalThis.bench.rawScaleFill(name, n), ['raw-' + name, n]);
    await rawPage.close();
    fills.set(i, { fill, rawFill });
  }
  for (const i of SCALE.keys()) {
    const { fill, rawFill } = fills.get(i);
    out.fill_ms.push(Math.round(fill.fillMs));
    out.wasm_memory_bytes.push(fill.wasmMemoryBytes);
    out.raw.fill_ms.push(Math.round(rawFill.fillMs));
  }
  await new Promise((r) => setTimeout(r, opts.quick ? 0 : SETTLE_MS));
  // openStore until ready, in a fresh page each time (fetch, compile and
  // start the wasm, open the database); the sizes take turns.
  const samples = SCALE.map(() => ({
    open: [], load: [], merge: [], deleteGroup: [], 'raw-load': [], 'raw-merge': [], 'raw-deleteGroup': [],
  }));
  for (let r = 0; r < SCALE_ROUNDS; r++) {
    for (let k = 0; k < SCALE.length; k++) {
      const i = (k + r) % SCALE.length;
      const page = await benchPage(context, urls[i]);
      const o = await page.evaluate(([name, n]) => globalThis.bench.scaleOpen(name, n), [names[i], SCALE[i]]);
      samples[i].open.push(o.openMs);
      await page.evaluate((name) => globalThis.bench.scaleClose(name), names[i]);
      await page.close();
    }
  }
  // The per-group operations on random groups: one page per size (its
  // origin), with its mlsidb store and raw database open; the sizes take
  // turns, after a round to warm up.
  const pages = [];
  const rawPages = [];
  for (const [i, name] of names.entries()) {
    const page = await benchPage(context, urls[i]);
    await page.evaluate(([name, n]) => globalThis.bench.scaleOpen(name, n), [name, SCALE[i]]);
    pages.push(page);
    const rawPage = await benchPage(context, rawUrls[i]);
    await rawPage.evaluate(([name, n]) => globalThis.bench.rawScaleOpen(name, n), ['raw-' + name, SCALE[i]]);
    rawPages.push(rawPage);
  }
  // deleteGroup deletes groups for good: at most half of the smallest store.
  const deletes = Math.max(1, Math.min(ITERS.scaleDelete, Math.floor(Math.min(...SCALE) / 2 / (SCALE_ROUNDS + 1))));
  const iters = { load: ITERS.scaleLoad, merge: ITERS.scaleMerge, deleteGroup: deletes };
  for (let r = 0; r < SCALE_ROUNDS + 1; r++) {
    for (let k = 0; k < SCALE.length; k++) {
      const i = (k + r) % SCALE.length;
      for (const op of Object.keys(iters)) {
        const order = (r + k) % 2 ? ['raw', 'mlsidb'] : ['mlsidb', 'raw'];
        for (const who of order) {
          const page = who === 'raw' ? rawPages[i] : pages[i];
          const ms = who === 'raw'
            ? await page.evaluate(([n, op, k]) => globalThis.bench.rawScaleRound(n, op, k), ['raw-' + names[i], op, iters[op]])
            : await page.evaluate(([n, op, k]) => globalThis.bench.scaleRound(n, op, k), [names[i], op, iters[op]]);
          if (r > 0 || opts.quick) samples[i][who === 'raw' ? 'raw-' + op : op].push(ms);
        }
      }
    }
  }
  out.wasm_memory_after_ops_bytes = [];
  for (const [i, name] of names.entries()) {
    await rawPages[i].evaluate((name) => globalThis.bench.rawScaleClose(name), 'raw-' + name);
    await rawPages[i].close();
    out.wasm_memory_after_ops_bytes.push((await pages[i].evaluate((name) => globalThis.bench.scaleClose(name), name)).wasmMemoryBytes);
    await pages[i].close();
  }
  samples.forEach((s) => {
    out.open_ms.push(r3(median(s.open)));
    out.load_ms.push(r3(median(s.load)));
    out.merge_ms.push(r3(median(s.merge)));
    out.delete_group_ms.push(r3(median(s.deleteGroup)));
    out.raw.load_ms.push(r3(median(s['raw-load'])));
    out.raw.merge_ms.push(r3(median(s['raw-merge'])));
    out.raw.delete_group_ms.push(r3(median(s['raw-deleteGroup'])));
  });
  const last = SCALE.length - 1;
  const g = (k) => r2(out[k][last] / out[k][0]);
  out.growth = {
    open: g('open_ms'), load: g('load_ms'), merge: g('merge_ms'), delete_group: g('delete_group_ms'),
    wasm_memory: g('wasm_memory_bytes'),
  };
  const rg = (k) => r2(out.raw[k][last] / out.raw[k][0]);
  out.raw.growth = { load: rg('load_ms'), merge: rg('merge_ms'), delete_group: rg('delete_group_ms') };
  return out;
}

function sizes() {
  const wasm = readFileSync(join(WEB_DIR, 'dist', 'mlsidb.wasm'));
  let gz;
  try {
    gz = execFileSync('gzip', ['-9', '-c', join(WEB_DIR, 'dist', 'mlsidb.wasm')], { maxBuffer: 64 << 20 }).length;
  } catch {
    gz = gzipSync(wasm, { level: 9 }).length;
  }
  return {
    wasm_bytes: wasm.length, wasm_gzip_bytes: gz,
    js_bytes: statSync(join(WEB_DIR, 'mlsidb.js')).size,
    wasm_exec_js_bytes: statSync(join(WEB_DIR, 'dist', 'wasm_exec.js')).size,
  };
}

function targets(res) {
  const t = [];
  const add = (name, value, limit, cmp = '<=') => t.push({
    name, value, limit, met: cmp === '<=' ? value <= limit : value >= limit,
  });
  if (res.single) {
    add('single: mlsidb / raw', res.single.ratio, 1.5);
    add('merge: tx / raw', res.merge.ratio, 1.25);
    add('merge: calls / tx (speed-up)', res.merge.speedup_vs_calls, 4, '>=');
    add('load: mlsidb / raw', res.load.ratio, 1.5);
  }
  if (res.scale.growth) {
    const gr = res.scale.growth;
    const span = `${res.scale.groups[0]}->${res.scale.groups.at(-1)} groups`;
    add(`scale open growth, ${span}`, gr.open, 1.3);
    add(`scale load growth, ${span}`, gr.load, 1.3);
    add(`scale merge growth, ${span}`, gr.merge, 1.3);
    add(`scale deleteGroup growth, ${span}`, gr.delete_group, 1.3);
    add(`scale wasm memory growth, ${span}`, gr.wasm_memory, 1.2);
  }
  add('size: mlsidb.wasm gzip -9 bytes', res.size.wasm_gzip_bytes, 1_000_000);
  return t;
}

function table(res) {
  const rows = [];
  const row = (...c) => rows.push(c.map(String));
  const ms = (x) => x.toFixed(3);
  row('case', 'raw IndexedDB', 'mlsidb', 'ratio', 'target');
  for (const d of [res, res.relaxed].filter((d) => d?.single)) {
    const tag = d === res ? res.durability : 'relaxed';
    row(`single (${tag})`, ms(d.single.raw_ms), ms(d.single.mlsidb_ms), d.single.ratio.toFixed(2), d === res ? '<= 1.5' : '');
    row(`single, no cross-tab lock (${tag})`, '', ms(d.single.no_web_lock_ms), d.single.no_web_lock_ratio.toFixed(2), '');
    row(`merge, transaction (${tag})`, ms(d.merge.raw_ms), ms(d.merge.tx_ms), d.merge.ratio.toFixed(2), d === res ? '<= 1.25' : '');
    row(`merge, tx, no cross-tab lock (${tag})`, '', ms(d.merge.tx_no_web_lock_ms), d.merge.tx_no_web_lock_ratio.toFixed(2), '');
    row(`merge, 17 single calls (${tag})`, '', ms(d.merge.calls_ms), `tx ${d.merge.speedup_vs_calls.toFixed(2)}x faster`, d === res ? '>= 4x' : '');
    row(`load, batched (${tag})`, ms(d.load.raw_ms), ms(d.load.mlsidb_ms), d.load.ratio.toFixed(2), d === res ? '<= 1.5' : '');
    row(`load, 13 single calls (${tag})`, '', ms(d.load.calls_ms), (d.load.calls_ms / d.load.raw_ms).toFixed(2), '');
  }
  if (res.web_lock_ms != null) row('navigator.locks acquire+release', '', ms(res.web_lock_ms), '', '');
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const fmt = (r) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  const lines = [fmt(rows[0]), '| ' + widths.map((w) => '-'.repeat(w)).join(' | ') + ' |', ...rows.slice(1).map(fmt)];
  const s = res.scale;
  lines.push('');
  const srows = [['groups', 'openStore ms', 'load ms', 'merge ms', 'deleteGroup ms', 'wasm memory MiB', 'fill s']];
  s.groups.forEach((n, i) => srows.push([String(n), ms(s.open_ms[i]), ms(s.load_ms[i]), ms(s.merge_ms[i]),
    ms(s.delete_group_ms[i]), (s.wasm_memory_bytes[i] / 2 ** 20).toFixed(1), (s.fill_ms[i] / 1000).toFixed(1)]));
  if (s.growth) {
    srows.push(['growth', `${s.growth.open}x`, `${s.growth.load}x`, `${s.growth.merge}x`, `${s.growth.delete_group}x`,
      `${s.growth.wasm_memory}x`, '']);
  }
  s.groups.forEach((n, i) => srows.push([`raw ${n}`, '', ms(s.raw.load_ms[i]), ms(s.raw.merge_ms[i]),
    ms(s.raw.delete_group_ms[i]), '', (s.raw.fill_ms[i] / 1000).toFixed(1)]));
  srows.push(['raw growth', '', `${s.raw.growth.load}x`, `${s.raw.growth.merge}x`, `${s.raw.growth.delete_group}x`, '', '']);
  const sw = srows[0].map((_, i) => Math.max(...srows.map((r) => r[i].length)));
  const sfmt = (r) => '| ' + r.map((c, i) => c.padEnd(sw[i])).join(' | ') + ' |';
  lines.push(sfmt(srows[0]), '| ' + sw.map((w) => '-'.repeat(w)).join(' | ') + ' |', ...srows.slice(1).map(sfmt));
  lines.push('');
  const z = res.size;
  lines.push(`size: mlsidb.wasm ${z.wasm_bytes} bytes, ${z.wasm_gzip_bytes} gzip -9; mlsidb.js ${z.js_bytes} bytes; wasm_exec.js ${z.wasm_exec_js_bytes} bytes`);
  lines.push('');
  for (const t of res.targets) lines.push(`${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${t.value} (target ${t.name.includes('speed') ? '>=' : '<='} ${t.limit})`);
  return lines.join('\n');
}

async function main() {
  const started = Date.now();
  const server = await startServer();
  const profile = mkdtempSync(join(tmpdir(), 'mlsidb-bench-'));
  const context = await launchPersistent(profile);
  let res;
  try {
    const page = await benchPage(context, server.url);
    const ua = await page.evaluate(() => navigator.userAgent);
    const browser = (ua.match(/(HeadlessChrome|Chrome|Chromium)\/[\d.]+/) ?? [ua])[0];
    log(`mlsidb bench: ${browser}, ${cpus().length} cores, ${ROUNDS} rounds${opts.quick ? ' (quick)' : ''}`);
    let strict = null;
    let relaxed = null;
    let lock = null;
    if (opts.smallOnly) {
      const r = await smallCases(page, 'strict');
      console.log(JSON.stringify(r, null, 1));
      return;
    }
    if (!opts.scaleOnly) {
      log('strict durability...');
      strict = await smallCases(page, 'strict');
      log('relaxed durability...');
      relaxed = await smallCases(page, 'relaxed');
      await page.evaluate(() => globalThis.bench.setup({ durability: 'strict', tag: 'lock' }));
      lock = await runCase(page, 'lock', ['webLock'], ITERS.lock);
      await page.evaluate(() => globalThis.bench.teardown());
    }
    await page.close();
    log('scale...');
    const scale = await scaleCase(context);
    res = {
      browser, date: new Date().toISOString(),
      single: strict?.single, merge: strict?.merge, load: strict?.load, scale, size: sizes(),
      durability: 'strict',
      relaxed: relaxed && { single: relaxed.single, merge: relaxed.merge, load: relaxed.load },
      web_lock_ms: lock && r3(lock.med.webLock),
      machine: { cpus: cpus().length, headless: true },
      rounds: ROUNDS, quick: opts.quick,
      notes: 'Medians of rounds alternating raw IndexedDB and mlsidb in one page; ms per operation. single: ' +
        'write a 256-byte value, then read it back, one transaction each. merge: OpenMLS merge-commit sequence ' +
        '(16 writes/deletes and 1 read): raw in one readwrite transaction, mlsidb in one store.transaction (tx) and ' +
        'as 17 awaited single calls (calls). load: the 13 reads of loading a group: raw in one readonly ' +
        'transaction, mlsidb with store.loadGroup (one call), calls = 13 awaited single calls. scale: ' +
        'store filled with N groups and N 1-KiB key packages; open = openStore until ready in a fresh page.',
    };
    res.targets = targets(res);
  } finally {
    await context.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, JSON.stringify(res, null, 2) + '\n');
  console.log(table(res));
  log(`wrote ${opts.out} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

await main();
