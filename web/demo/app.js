// The demo page: Alice and Bob on one page, each with their own mlsidb
// store; a pretend delivery service hands messages from one to the other.
import { contractMethods, openStore } from 'mlsidb';
import { encodeGroupState, getCiphersuiteFromName, getCiphersuiteImpl } from 'ts-mls';
import { loadGroup } from './mls-state.js';
import { b64, Person } from './messenger.js';

const CIPHERSUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519';
const STORES = { alice: 'mlsidb-demo-alice', bob: 'mlsidb-demo-bob' };
// What the app remembers outside MLS state: public keys, group ids, the
// published key package (public), and the chat transcript.
const META = 'mlsidb-demo';

const $ = (sel, root = document) => root.querySelector(sel);
const meta = JSON.parse(localStorage.getItem(META) ?? 'null') ?? { alice: {}, bob: {}, chat: [] };
const saveMeta = () => localStorage.setItem(META, JSON.stringify(meta));

/** Takes what another tab saved into meta, in place (the people hold meta.alice and meta.bob). */
function refreshMeta() {
  const fresh = JSON.parse(localStorage.getItem(META) ?? 'null');
  if (!fresh) return;
  meta.chat = fresh.chat;
  if (fresh.keyPackage) meta.keyPackage = fresh.keyPackage;
  else delete meta.keyPackage;
  for (const who of ['alice', 'bob']) Object.assign(meta[who], fresh[who]);
}

let people;
let busy = false;
let stepsDone = 0;

function status(text, error = false) {
  $('#status').textContent = text;
  $('#status').classList.toggle('error', error);
}

function log(text) {
  $('#log').textContent = text;
}

let reloads = 0;

/** Shows that another tab changed a group, which this page then reloaded. */
function notice(text) {
  $('#notice').textContent = text;
  $('#notice').hidden = false;
  document.body.dataset.reloads = String(++reloads);
}

// The people whose group another tab changed, waiting to be reloaded (a
// step in progress finishes first), and whether another tab saved the
// chat meanwhile.
const changed = new Set();
let metaStale = false;

/** Takes the chat another tab saved while this one was busy. */
function takeStaleMeta() {
  if (!metaStale) return;
  metaStale = false;
  refreshMeta();
  render();
}

function onChange(who, detail) {
  const groupId = people[who].meta.groupId;
  const mine = detail.groups.some((g) => b64.to(g) === groupId);
  if (mine || !people[who].state) changed.add(who);
  if (!busy) reloadChanged();
}

async function reloadChanged() {
  if (!changed.size) return;
  busy = true;
  try {
    refreshMeta();
    while (changed.size) { // more may come in while reloading
      const [who] = changed;
      changed.delete(who);
      const p = people[who];
      const before = p.epoch;
      await p.reload();
      if (p.state) {
        const epoch = before === p.epoch ? `epoch ${p.epoch}` : `epoch ${before ?? '–'} → ${p.epoch}`;
        notice(`Another tab changed ${title(who)}'s group (${epoch}): reloaded it from the store.`);
      }
    }
  } catch (e) {
    console.error(e);
    status(`Reloading after another tab's change failed: ${e.code ? e.code + ': ' : ''}${e.message}`, true);
  } finally {
    busy = false;
    render();
    takeStaleMeta();
    await renderStorage();
  }
}

const other = (who) => (who === 'alice' ? 'bob' : 'alice');
const title = (who) => who[0].toUpperCase() + who.slice(1);

function render() {
  const { alice, bob } = people;
  const inGroup = Boolean(alice.state && bob.state);
  $('#publish').disabled = busy || Boolean(meta.keyPackage) || Boolean(bob.state);
  $('#create').disabled = busy || !meta.keyPackage || Boolean(alice.state);
  $('#update-alice').disabled = busy || !inGroup;
  $('#update-bob').disabled = busy || !inGroup;
  for (const who of ['alice', 'bob']) {
    const p = people[who];
    const section = $('#' + who);
    $('.meta', section).textContent = p.state
      ? `epoch ${p.epoch} · leaf ${p.leafIndex} · members: ${p.members.join(', ')}`
      : 'not in a group yet';
    for (const el of section.querySelectorAll('.compose input, .compose button')) el.disabled = busy || !inGroup;
    const chat = $('.chat', section);
    chat.replaceChildren(...meta.chat.map((m) => {
      const li = document.createElement('li');
      if (m.system) {
        li.className = 'system';
        li.textContent = m.system;
        return li;
      }
      li.className = m.from === who ? 'mine' : 'theirs';
      li.textContent = m.text;
      const small = document.createElement('small');
      small.textContent = m.from === who
        ? `sent · epoch ${m.epoch} · ${m.size} bytes on the wire`
        : `from ${title(m.from)} · decrypted · epoch ${m.epoch}`;
      li.append(small);
      return li;
    }));
    chat.scrollTop = chat.scrollHeight;
  }
}

async function renderStorage() {
  const groups = [...new Set((await contractMethods()).map((m) => m.group))];
  const [a, b] = await Promise.all([inspect(STORES.alice), inspect(STORES.bob)]);
  const cell = (s) => (s && s.count ? `${s.count} · ${s.bytes.toLocaleString('en')} B` : '–');
  const rows = groups.map((g) => {
    const tr = document.createElement('tr');
    tr.dataset.group = g;
    if (!a[g]?.count && !b[g]?.count) tr.className = 'empty';
    tr.innerHTML = `<td><code>${g}</code></td><td>${cell(a[g])}</td><td>${cell(b[g])}</td>`;
    return tr;
  });
  $('#storage tbody').replaceChildren(...rows);
  const total = (s) => Object.entries(s).filter(([g]) => groups.includes(g))
    .reduce((t, [, v]) => ({ count: t.count + v.count, bytes: t.bytes + v.bytes }), { count: 0, bytes: 0 });
  $('#storage tfoot').innerHTML = `<tr><td>all 18 method groups</td><td>${cell(total(a))}</td><td>${cell(total(b))}</td></tr>`;
}

/**
 * Counts the records and value bytes of every object store of a store's
 * IndexedDB database (read-only, through a connection of its own; the
 * layout is idbstore's: one object store per method group).
 */
function inspect(dbName) {
  return new Promise((resolve) => {
    const req = indexedDB.open(dbName);
    req.onupgradeneeded = () => req.transaction.abort(); // never create it here
    req.onerror = () => resolve({});
    req.onsuccess = () => {
      const db = req.result;
      const names = [...db.objectStoreNames];
      const out = {};
      if (!names.length) {
        db.close();
        resolve(out);
        return;
      }
      const tx = db.transaction(names, 'readonly');
      for (const name of names) {
        out[name] = { count: 0, bytes: 0 };
        const cur = tx.objectStore(name).openCursor();
        cur.onsuccess = () => {
          const c = cur.result;
          if (!c) return;
          out[name].count++;
          out[name].bytes += c.value?.byteLength ?? 0;
          c.continue();
        };
      }
      tx.oncomplete = () => { db.close(); resolve(out); };
      tx.onerror = () => { db.close(); resolve(out); };
    };
  });
}

/** Runs one step of the story with the buttons off, then saves and redraws. */
async function step(what, fn) {
  if (busy) return;
  busy = true;
  render();
  status(what + '…');
  try {
    const t0 = performance.now();
    refreshMeta();
    await fn();
    saveMeta();
    status(`${what}: done in ${Math.round(performance.now() - t0)} ms, state stored.`);
  } catch (e) {
    console.error(e);
    status(`${what} failed: ${e.code ? e.code + ': ' : ''}${e.message}`, true);
  } finally {
    busy = false;
    render();
    await renderStorage();
    document.body.dataset.steps = String(++stepsDone);
    takeStaleMeta();
    await reloadChanged();
  }
}

async function deliver(from, bytes) {
  return people[other(from)].receive(bytes);
}

async function send(who, text) {
  const p = people[who];
  const bytes = await p.send(text);
  const decrypted = await deliver(who, bytes);
  if (decrypted !== text) throw new Error(`${title(other(who))} decrypted something else`);
  meta.chat.push({ from: who, text: decrypted, epoch: p.epoch, size: bytes.length });
}

async function updateKeys(who) {
  const before = people[who].epoch;
  await deliver(who, await people[who].updateKeys());
  meta.chat.push({ system: `${title(who)} updated ${who === 'alice' ? 'her' : 'his'} keys: epoch ${before} → ${people[who].epoch}` });
}

/** Loads both people's state from their stores and checks it equals the live state. */
async function verifyStored() {
  const out = {};
  for (const [who, p] of Object.entries(people)) {
    if (!p.state) {
      out[who] = 'no group';
      continue;
    }
    const loaded = await loadGroup(p.store, p.state.groupContext.groupId);
    const same = b64.to(encodeGroupState(loaded)) === b64.to(encodeGroupState(p.state));
    out[who] = same ? 'same' : 'different';
  }
  return out;
}

async function main() {
  const t0 = performance.now();
  const impl = await getCiphersuiteImpl(getCiphersuiteFromName(CIPHERSUITE));
  const [alice, bob] = await Promise.all([openStore({ name: STORES.alice }), openStore({ name: STORES.bob })]);
  $('#reset').onclick = async () => {
    busy = true;
    if (people) render();
    await Promise.all([alice.close(), bob.close()]);
    await Promise.all(Object.values(STORES).map((n) => new Promise((done) => {
      const r = indexedDB.deleteDatabase(n);
      r.onsuccess = r.onerror = r.onblocked = () => done();
    })));
    localStorage.removeItem(META);
    location.reload();
  };
  // The app keeps the ID of the store each person's MLS state is in. A
  // store with another ID is not the one it stored that state in: the user
  // cleared site data, or the browser deleted the database (Chromium does
  // so with a database it finds corrupt, which a crash can leave), and
  // openStore made a new one. Every later start, in every tab, sees the
  // same mismatch. A messenger would tell the user and rejoin its groups;
  // the demo tells, and offers to start over.
  const lost = [];
  for (const [who, st] of [['alice', alice], ['bob', bob]]) {
    const m = meta[who];
    if (!m.signaturePublicKey) continue; // nothing stored yet
    if (m.storeId === undefined) {
      // A record from before the demo kept IDs: only an open that created
      // the store can tell that the state is gone, so it is written down.
      m.storeId = st.created ? 'lost' : st.id;
      saveMeta();
    }
    if (m.storeId !== st.id) lost.push(who);
  }
  if (lost.length) {
    const names = lost.map(title).join(' and ');
    status(`${names}: the MLS state stored before is gone (the store was created anew: site data cleared, ` +
      'or the browser deleted a corrupt database). A messenger would rejoin its groups here; press "Start over".', true);
    for (const el of document.querySelectorAll('button, input')) el.disabled = el.id !== 'reset';
    document.body.dataset.lost = lost.join(' ');
    document.body.dataset.ready = 'true';
    return;
  }
  people = {
    alice: new Person('alice', alice, impl, meta.alice),
    bob: new Person('bob', bob, impl, meta.bob),
  };
  await Promise.all([people.alice.init(), people.bob.init()]);
  meta.alice.storeId = alice.id;
  meta.bob.storeId = bob.id;
  saveMeta();
  // Another tab with this page open commits to the same stores: reload the
  // group it changed. A newer version of the page closes these stores.
  for (const [who, store] of [['alice', alice], ['bob', bob]]) {
    store.addEventListener('change', (e) => onChange(who, e.detail));
    store.addEventListener('close', (e) => {
      status(`${title(who)}'s store was closed (${e.detail.reason}): a newer version of this page is open in another tab. Reload.`, true);
    });
  }
  // The chat lives in localStorage: take what another tab saved.
  window.addEventListener('storage', (e) => {
    if (e.key !== META) return;
    if (busy) {
      metaStale = true;
      return;
    }
    refreshMeta();
    render();
  });
  const resumed = people.alice.state ? ' Both resumed their group from IndexedDB.' : '';
  status(`Ready in ${Math.round(performance.now() - t0)} ms.${resumed}`);
  log(`Stores: IndexedDB databases "${STORES.alice}" and "${STORES.bob}". Ciphersuite ${CIPHERSUITE}.`);

  $('#publish').onclick = () => step('Bob publishes a key package', async () => {
    meta.keyPackage = b64.to(await people.bob.publishKeyPackage());
  });
  $('#create').onclick = () => step('Alice creates the group and adds Bob', async () => {
    const { welcome, ratchetTree } = await people.alice.createGroupWith(b64.from(meta.keyPackage));
    await people.bob.join(welcome, ratchetTree);
    delete meta.keyPackage; // used up
    meta.chat.push({ system: 'Alice created the group and added Bob; Bob joined from the Welcome' });
  });
  $('#update-alice').onclick = () => step('Alice updates her keys', () => updateKeys('alice'));
  $('#update-bob').onclick = () => step('Bob updates his keys', () => updateKeys('bob'));
  $('#reload').onclick = () => location.reload();
  for (const who of ['alice', 'bob']) {
    $(`#${who} .compose`).onsubmit = (e) => {
      e.preventDefault();
      const input = $(`#${who} input`);
      const text = input.value.trim();
      if (!text) return;
      step(`${title(who)} sends a message`, async () => {
        await send(who, text);
        input.value = '';
      });
    };
  }
  render();
  await renderStorage();
  window.demo = { verifyStored, people, meta };
  document.body.dataset.ready = 'true';
}

main().catch((e) => {
  console.error(e);
  status(`Could not start: ${e.code ? e.code + ': ' : ''}${e.message}`, true);
});
