// Smoke test of make bench: the benchmark page runs every case (a couple of
// rounds, tiny scale) and run.js writes results.json in the documented
// shape. No timing is asserted.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { WEB_DIR, requireBuild } from './harness.js';

const run = promisify(execFile);

test('make bench runs (quick mode) and writes results.json', async () => {
  requireBuild();
  const dir = mkdtempSync(join(tmpdir(), 'mlsidb-bench-smoke-'));
  try {
    const out = join(dir, 'results.json');
    const { stdout } = await run(process.execPath, [join(WEB_DIR, 'bench', 'run.js'), '--quick', '--out', out],
      { timeout: 240_000, maxBuffer: 16 << 20 });
    assert.match(stdout, /single \(strict\)/);
    const r = JSON.parse(readFileSync(out, 'utf8'));
    const num = (v, what) => assert.ok(typeof v === 'number' && Number.isFinite(v) && v >= 0, `${what}: ${v}`);
    assert.equal(typeof r.browser, 'string');
    assert.ok(!Number.isNaN(Date.parse(r.date)));
    for (const k of ['raw_ms', 'mlsidb_ms', 'ratio']) num(r.single[k], `single.${k}`);
    for (const k of ['raw_ms', 'tx_ms', 'calls_ms', 'ratio', 'speedup_vs_calls']) num(r.merge[k], `merge.${k}`);
    for (const k of ['raw_ms', 'mlsidb_ms', 'ratio']) num(r.load[k], `load.${k}`);
    assert.deepEqual(r.scale.groups, [10, 20]);
    for (const k of ['open_ms', 'load_ms', 'merge_ms', 'delete_group_ms', 'wasm_memory_bytes']) {
      assert.equal(r.scale[k].length, 2, `scale.${k}`);
      r.scale[k].forEach((v, i) => num(v, `scale.${k}[${i}]`));
    }
    assert.ok(r.scale.wasm_memory_bytes[0] > 0);
    for (const k of ['wasm_bytes', 'wasm_gzip_bytes', 'js_bytes']) assert.ok(r.size[k] > 0, `size.${k}`);
    assert.ok(r.size.wasm_gzip_bytes < r.size.wasm_bytes);
    assert.ok(Array.isArray(r.targets) && r.targets.length >= 10);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
