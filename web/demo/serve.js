#!/usr/bin/env node
// Serves web/ (the demo, mlsidb.js, the built wasm, node_modules for the
// import map) on 127.0.0.1 and prints the demo's URL.
//   node demo/serve.js [--port 8080]      (make demo PORT=8080)
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, WEB_DIR } from '../test/server.js';

const i = process.argv.indexOf('--port');
const port = Number(i > 0 ? process.argv[i + 1] : process.env.PORT ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('bad port');
  process.exit(2);
}
for (const f of ['dist/mlsidb.wasm', 'node_modules/ts-mls']) {
  if (!existsSync(join(WEB_DIR, f))) {
    console.error(`web/${f} is missing: run make demo (it builds the wasm and installs the npm packages)`);
    process.exit(1);
  }
}
const server = await startServer({ port });
console.log(`mlsidb demo: ${server.url}/demo/  (Ctrl-C to stop)`);
const stop = async () => { await server.close(); process.exit(0); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
