// Type-checked by the tests with tsc against mlsidb.d.ts, resolved by
// package name. Lines marked @ts-expect-error must fail to type-check.
import { openStore, MlsStorageError, ErrorCode, type MlsStore, type ErrorCodeName } from 'mlsidb';

export async function use(): Promise<void> {
  const store: MlsStore = await openStore({ name: 'typed', durability: 'strict' });
  const g = new Uint8Array([1, 2, 3]);
  await store.writeTree(g, new Uint8Array(4));
  await store.writeTree(g, new ArrayBuffer(4));
  const tree: Uint8Array | undefined = await store.tree(g);
  const pairs: Uint8Array[] = await store.encryptionEpochKeyPairs(g, g, 7);
  const queued: [Uint8Array, Uint8Array][] = await store.queuedProposals(g);
  const loaded = await store.loadGroup(g);
  const loadedTree: Uint8Array | undefined = loaded.tree;
  const loadedLeaves: Uint8Array[] = loaded.ownLeafNodes;
  const n: number = await store.transaction(async (tx) => {
    await tx.writeEncryptionEpochKeyPairs(g, g, 0, [g]);
    await tx.deleteGroup(g);
    return 1;
  });
  const locked: string = await store.withGroupLock(g, async () => 'done', { signal: AbortSignal.timeout(1000) });
  store.addEventListener('change', (e) => {
    const groups: Uint8Array[] = e.detail.groups;
    const mgs: string[] = e.detail.methodGroups;
    console.log(groups, mgs, locked);
  });
  store.addEventListener('close', (e) => {
    const reason: 'versionchange' | 'browser' = e.detail.reason;
    console.log(reason, e.detail.code === ErrorCode.Closed);
  });
  await openStore({ name: 'typed', blockedTimeout: 1000 });
  try {
    await store.close();
  } catch (e) {
    if (e instanceof MlsStorageError) {
      const code: ErrorCodeName = e.code;
      console.log(code === ErrorCode.Closed, tree, pairs, queued, n, loadedTree, loadedLeaves);
    }
  }
  // OpenMLS MemoryStorage snapshots: bytes or a JSON string in, the export's type by format.
  const bin: Uint8Array = await store.exportOpenMls();
  const text: string = await store.exportOpenMls({ format: 'json' });
  const bin2: Uint8Array = await store.exportOpenMls({ format: 'binary' });
  await store.importOpenMls(bin);
  await store.importOpenMls(text, { dropOrphanProposals: true });
  const { written, deleted }: { written: number; deleted: number } = await store.syncOpenMls(bin2.buffer as ArrayBuffer);
  await store.transaction(async (tx) => tx.syncOpenMls(text));
  console.log(written + deleted);
  // @ts-expect-error unknown format
  await store.exportOpenMls({ format: 'xml' });
  // @ts-expect-error a JSON export is a string
  const notBytes: Uint8Array = await store.exportOpenMls({ format: 'json' });
  // @ts-expect-error numbers are not snapshots
  await store.importOpenMls(42);
  // @ts-expect-error unknown option
  await store.syncOpenMls(bin, { dropOrphans: true });
  console.log(notBytes);
  // @ts-expect-error strings are not bytes
  await store.writeTree('group', g);
  // @ts-expect-error the leaf index is a number
  await store.encryptionEpochKeyPairs(g, g, '7');
  // @ts-expect-error wrong argument count
  await store.tree();
  // @ts-expect-error no such method
  await store.writeTreee(g, g);
  // @ts-expect-error loadGroup has no such property
  console.log((await store.loadGroup(g)).tre);
  // @ts-expect-error unknown durability
  await openStore({ name: 'x', durability: 'fast' });
  // @ts-expect-error the group lock takes a function
  await store.withGroupLock(g, 'not a function');
  // @ts-expect-error the detail of a change has no such field
  store.addEventListener('change', (e) => console.log(e.detail.epoch));
}
