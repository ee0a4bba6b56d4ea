// Test harness: serves web/ and drives headless Chromium (playwright-core,
// the Debian chromium; no browser download).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, WEB_DIR } from './server.js';

export { startServer, WEB_DIR };

/** Where tests put screenshots and other output (gitignored). */
export const OUTPUT_DIR = join(WEB_DIR, 'test-output');

export const CHROMIUM = process.env.MLSIDB_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync',
];

/** Fails fast with a clear message when the wasm was not built. */
export function requireBuild() {
  for (const f of ['dist/mlsidb.wasm', 'dist/wasm_exec.js']) {
    if (!existsSync(join(WEB_DIR, f))) throw new Error(`web/${f} is missing: run make wasm first`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (make test-e2e does)`);
}

/** Launches headless Chromium. */
export function launch() {
  requireBuild();
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
}

/** Launches Chromium with a persistent profile in dir. */
export function launchPersistent(dir) {
  requireBuild();
  return chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 60_000,
  });
}

/**
 * Opens a page of context at path, with timeouts, and collects its console
 * errors and uncaught exceptions into page.errors.
 */
export async function openPage(context, url) {
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') page.errors.push(m.text());
  });
  await page.goto(url, { waitUntil: 'load' });
  return page;
}

export function outputDir(...parts) {
  const dir = join(OUTPUT_DIR, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}
