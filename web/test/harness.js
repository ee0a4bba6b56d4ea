// Test harness: serves web/ and drives headless Chromium (playwright-core,
// the Debian chromium; no browser download).
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
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

/**
 * Launches Chromium with a persistent profile in dir. With logFile, the
 * browser writes its own log (errors and warnings, IndexedDB's among them)
 * to that file.
 */
export function launchPersistent(dir, logFile) {
  requireBuild();
  const args = logFile ? [...CHROMIUM_ARGS, '--enable-logging', `--log-file=${logFile}`] : CHROMIUM_ARGS;
  return chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, args, headless: true, timeout: 60_000,
  });
}

/**
 * Sets up the tests of the calling file, or of the describe block it is
 * called in: before them it starts the test server (unless server is
 * false) and launches headless Chromium (unless browser is false); after
 * them it closes the browser, then the server. It returns the object that
 * holds them, as `server` and `browser`, once the before hook has run.
 */
export function setup({ server: withServer = true, browser: withBrowser = true } = {}) {
  const env = {
    /** The test server ({url, port, close}). */
    server: undefined,
    /** The headless Chromium. */
    browser: undefined,
    /** The URL of the blank test page. */
    blank: () => env.server.url + '/test/pages/blank.html',
    /** A fresh browser context (its own IndexedDB) with a blank page. */
    async freshPage() {
      const context = await env.browser.newContext();
      const page = await openPage(context, env.blank());
      return { context, page, close: () => context.close() };
    },
  };
  before(async () => {
    if (withServer) env.server = await startServer();
    if (withBrowser) env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
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

/** Every process: [{pid, ppid, cmd}]. */
function processes() {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.push({ pid: Number(d), ppid, cmd });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * The PID of the browser process of a persistent context launched (by this
 * process) on profile dir: the child of this process whose command line
 * names the profile.
 */
export function browserPid(dir) {
  const main = processes().filter((p) => p.ppid === process.pid && p.cmd.includes(`--user-data-dir=${dir}`));
  if (main.length !== 1) throw new Error(`found ${main.length} browser processes for ${dir}`);
  return main[0].pid;
}

/** pid and all its descendants. */
function tree(pid) {
  const all = processes();
  const out = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (out.has(p.ppid) && !out.has(p.pid)) {
        out.add(p.pid);
        grew = true;
      }
    }
  }
  return [...out];
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

/**
 * Kills the browser of a persistent context with SIGKILL (a crash: no
 * shutdown, no flush), then its child processes, and waits until they are
 * gone and the context has noticed.
 */
export async function killBrowser(context, dir) {
  const closed = new Promise((r) => context.once('close', r));
  const pid = browserPid(dir);
  const all = tree(pid);
  process.kill(pid, 'SIGKILL');
  for (const p of all) {
    try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
  }
  const deadline = Date.now() + 20_000;
  while (all.some(alive)) {
    if (Date.now() > deadline) throw new Error(`browser processes did not exit: ${all.filter(alive)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await Promise.race([closed, new Promise((r) => setTimeout(r, 10_000))]);
}
