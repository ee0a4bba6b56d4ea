// What the several-tabs tests run inside their pages.
import { openStore } from '/mlsidb.js';
import { enc, dec, rejection } from '/test/pages/util.js';

export { enc, dec, rejection };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Opens the store and keeps it on window.st; events go to window.events. */
export async function open(name, options = {}) {
  window.st = await openStore({ name, ...options });
  window.events = [];
  for (const type of ['change', 'close']) {
    window.st.addEventListener(type, (e) => {
      window.events.push({
        type,
        groups: e.detail.groups ? e.detail.groups.map(dec) : undefined,
        methodGroups: e.detail.methodGroups,
        reason: e.detail.reason,
        code: e.detail.code,
        isCustomEvent: e instanceof CustomEvent,
        target: e.target === window.st,
      });
    });
  }
  return window.st.name;
}

/** Increments the decimal counter stored as the PSK of id, through st. */
async function bump(st, id) {
  const v = await st.psk(id);
  await st.writePsk(id, enc(String(Number(dec(v) ?? '0') + 1)));
}

/**
 * Runs `loops` concurrent loops of `rounds` each: mostly transactions that
 * append an own leaf node, queue a proposal for the shared group and bump
 * a counter; every fourth round does the three as single calls (the
 * counter still in a transaction: it is a read-modify-write).
 */
export async function hammer(who, loops, rounds) {
  const st = window.st;
  const g = enc('shared-group');
  const counter = enc('counter');
  const one = async (w) => {
    for (let i = 0; i < rounds; i++) {
      const it = `${who}-${w}-${String(i).padStart(3, '0')}`;
      if (i % 4 === 3) {
        await st.appendOwnLeafNode(g, enc(it));
        await st.queueProposal(g, enc(it), enc('body ' + it));
        await st.transaction((tx) => bump(tx, counter));
      } else {
        await st.transaction(async (tx) => {
          await tx.appendOwnLeafNode(g, enc(it));
          await tx.queueProposal(g, enc(it), enc('body ' + it));
          await bump(tx, counter);
        });
      }
    }
  };
  await Promise.all(Array.from({ length: loops }, (_, w) => one(w)));
}

/** What hammer left in the store. */
export async function hammered() {
  const st = window.st;
  const g = enc('shared-group');
  return {
    leaves: (await st.ownLeafNodes(g)).map(dec),
    queue: (await st.queuedProposals(g)).map(([r, p]) => [dec(r), dec(p)]),
    counter: Number(dec(await st.psk(enc('counter')))),
  };
}

/**
 * Runs `loops` concurrent loops that each take the group's lock `rounds`
 * times. Inside the lock: check and set a marker record, read the
 * counter, wait a little, write it back plus one, clear the marker. Only
 * the group lock protects this; any overlap shows as a marker found set or
 * as a lost increment. Returns how many overlaps it saw.
 */
export async function contend(who, loops, rounds) {
  const st = window.st;
  const g = enc('locked-group');
  const marker = enc('marker');
  const counter = enc('lock-counter');
  let overlaps = 0;
  const one = async (w) => {
    for (let i = 0; i < rounds; i++) {
      await st.withGroupLock(g, async () => {
        if (await st.psk(marker) !== undefined) overlaps++;
        await st.writePsk(marker, enc(`${who}-${w}`));
        const n = Number(dec(await st.psk(counter)) ?? '0');
        await sleep((i * 7 + w) % 3);
        await st.writePsk(counter, enc(String(n + 1)));
        await st.deletePsk(marker);
      });
    }
  };
  await Promise.all(Array.from({ length: loops }, (_, w) => one(w)));
  return overlaps;
}

/** Takes the group's lock and keeps it until window.releaseLock() is called. */
export function holdLock(groupName) {
  return new Promise((held) => {
    window.lockDone = window.st.withGroupLock(enc(groupName), () => new Promise((release) => {
      window.releaseLock = release;
      held();
    }));
  });
}

/** Tries to take the group's lock within ms; returns 'ran' or how it failed. */
export async function tryLock(groupName, ms) {
  try {
    return await window.st.withGroupLock(enc(groupName), () => 'ran', { signal: AbortSignal.timeout(ms) });
  } catch (e) {
    return e.name;
  }
}

/**
 * Opens a raw IndexedDB connection to name at version, creating the object
 * stores named in stores (default: one that only newer code would have).
 * With keep, the connection stays open on window.raw, deaf to versionchange.
 */
export function rawOpen(name, version, { keep = true, stores = ['from-newer-code'] } = {}) {
  return new Promise((resolve) => {
    const req = indexedDB.open(name, version);
    let blocked = false;
    req.onblocked = () => { blocked = true; };
    req.onupgradeneeded = () => {
      const db = req.result;
      for (const s of stores) if (!db.objectStoreNames.contains(s)) db.createObjectStore(s);
    };
    req.onsuccess = () => {
      if (keep) window.raw = req.result; // no onversionchange: it never lets go
      else req.result.close();
      resolve({ ok: true, version: req.result.version, blocked });
    };
    req.onerror = () => resolve({ ok: false, error: req.error?.name, blocked });
  });
}
