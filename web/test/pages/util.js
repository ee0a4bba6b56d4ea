// Helpers the test pages import.
import { MlsStorageError } from '/mlsidb.js';

export const enc = (s) => new TextEncoder().encode(s);
export const dec = (u) => (u === undefined ? undefined : new TextDecoder().decode(u));

/** Awaits p and describes how it rejected, or returns null when it resolved. */
export async function rejection(p) {
  try {
    await p;
    return null;
  } catch (e) {
    return {
      name: e?.name, code: e?.code, message: e?.message,
      isMls: e instanceof MlsStorageError, isError: e instanceof Error,
    };
  }
}

/** Wraps a store so that the names of the methods called are recorded. */
export function recording(store, called) {
  return new Proxy(store, {
    get(target, prop) {
      const v = target[prop];
      if (typeof v !== 'function') return v;
      return (...args) => {
        called.add(prop);
        return v.apply(target, args);
      };
    },
  });
}
