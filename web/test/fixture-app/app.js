// An app that depends on mlsidb by its package name; bundled by esbuild in
// the tests. A bundle lives elsewhere than mlsidb.js, so it names where
// the wasm and wasm_exec.js are served.
import { openStore, MlsStorageError } from 'mlsidb';

const enc = (s) => new TextEncoder().encode(s);

export async function run() {
  const st = await openStore({ name: 'bundled', wasm: '/dist/mlsidb.wasm', wasmExec: '/dist/wasm_exec.js' });
  await st.transaction(async (tx) => {
    await tx.writeKeyPackage(enc('hash-ref'), enc('key package'));
  });
  const kp = new TextDecoder().decode(await st.keyPackage(enc('hash-ref')));
  let code;
  try {
    await st.keyPackage(42);
  } catch (e) {
    code = e instanceof MlsStorageError ? e.code : 'not an MlsStorageError';
  }
  await st.close();
  return { kp, code };
}
