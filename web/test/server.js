// A small static file server for the browser tests and the demo: serves a
// directory (web/ by default) on 127.0.0.1 with the right Content-Type
// (application/wasm for .wasm) and no caching.
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The web/ directory. */
export const WEB_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/**
 * Serves the files under root (and, for paths under a mount prefix, the
 * files under its directory) on 127.0.0.1.
 * @param {{root?: string, port?: number, mounts?: Record<string, string>}} [opts]
 * @returns {Promise<{url: string, port: number, close: () => Promise<void>}>}
 */
export function startServer({ root = WEB_DIR, port = 0, mounts = {} } = {}) {
  const bases = Object.entries(mounts).map(([prefix, dir]) => [prefix.replace(/\/?$/, '/'), resolve(dir)]);
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      let base = resolve(root);
      let rel = path;
      for (const [prefix, dir] of bases) {
        if (path.startsWith(prefix)) {
          base = dir;
          rel = path.slice(prefix.length - 1);
          break;
        }
      }
      let file = resolve(join(base, rel));
      if (file !== base && !file.startsWith(base + sep)) throw Object.assign(new Error('outside'), { status: 403 });
      let st = await stat(file);
      if (st.isDirectory()) {
        if (!path.endsWith('/')) {
          res.writeHead(301, { Location: path + '/' });
          res.end();
          return;
        }
        file = join(file, 'index.html');
        st = await stat(file);
      }
      res.writeHead(200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Content-Length': st.size,
        'Cache-Control': 'no-store',
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      createReadStream(file).pipe(res);
    } catch (e) {
      const status = e.status ?? (e.code === 'ENOENT' || e.code === 'ENOTDIR' ? 404 : 500);
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(String(status));
    }
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      const { port: p } = server.address();
      ok({
        url: `http://127.0.0.1:${p}`,
        port: p,
        close: () => new Promise((done) => {
          server.closeAllConnections?.();
          server.close(() => done());
        }),
      });
    });
  });
}
