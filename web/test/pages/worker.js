// A module worker that uses mlsidb.js and reports what it saw.
import { openStore, MlsStorageError } from '/mlsidb.js';

const enc = (s) => new TextEncoder().encode(s);
const dec = (u) => (u === undefined ? undefined : new TextDecoder().decode(u));

self.onmessage = async ({ data }) => {
  try {
    const st = await openStore({ name: data.name });
    const g = enc('worker-group');
    await st.transaction(async (tx) => {
      await tx.writeTree(g, enc('tree from the worker'));
      await tx.queueProposal(g, enc('r1'), enc('p1'));
      await tx.writeEncryptionEpochKeyPairs(g, enc('e1'), 3, [enc('k1')]);
    });
    let rollback;
    try {
      await st.transaction(async (tx) => {
        await tx.writeTree(g, enc('rolled back'));
        throw new Error('stop');
      });
    } catch (e) {
      rollback = e.message;
    }
    let bad;
    try {
      await st.writeTree('not bytes', enc('x'));
    } catch (e) {
      bad = { code: e.code, isMls: e instanceof MlsStorageError };
    }
    const result = {
      isWorker: typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope,
      tree: dec(await st.tree(g)),
      refs: (await st.queuedProposalRefs(g)).map(dec),
      pairs: (await st.encryptionEpochKeyPairs(g, enc('e1'), 3)).map(dec),
      rollback,
      bad,
      leakedGo: 'Go' in self,
    };
    await st.close();
    self.postMessage({ ok: true, result });
  } catch (e) {
    self.postMessage({ ok: false, error: `${e?.name}: ${e?.code}: ${e?.message}` });
  }
};
