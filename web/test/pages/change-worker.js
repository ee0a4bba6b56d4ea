// A module worker with the store open: it reports the store's change
// events to the page, and commits when the page asks.
import { openStore } from '/mlsidb.js';

const enc = (s) => new TextEncoder().encode(s);
const dec = (u) => new TextDecoder().decode(u);
let st;

self.onmessage = async ({ data }) => {
  try {
    if (data.open) {
      st = await openStore({ name: data.open });
      st.addEventListener('change', (e) => {
        self.postMessage({ change: { groups: e.detail.groups.map(dec), methodGroups: e.detail.methodGroups } });
      });
      self.postMessage({ opened: true });
    } else if (data.commit) {
      await st.transaction((tx) => tx.writeTree(enc(data.commit), enc('from the worker')));
      self.postMessage({ committed: true });
    }
  } catch (e) {
    self.postMessage({ error: `${e?.name}: ${e?.code}: ${e?.message}` });
  }
};
