// The demo messenger end to end: Bob publishes a key package, Alice creates
// the group and adds him, they talk, Alice updates her keys, the page
// reloads and the conversation goes on from IndexedDB. Saves a screenshot.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openPage, outputDir, setup } from './harness.js';

const h = setup();

async function ready(page) {
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
}

/** Clicks (or submits) and waits until the step finished; fails on a failed step. */
async function doStep(page, action) {
  const before = Number(await page.evaluate(() => document.body.dataset.steps ?? 0));
  await action();
  await page.waitForFunction((n) => Number(document.body.dataset.steps ?? 0) > n, before, { timeout: 30_000 });
  const status = await page.textContent('#status');
  assert.doesNotMatch(status, /failed/, status);
  return status;
}

const send = (page, who, text) => doStep(page, async () => {
  await page.fill(`#${who} input`, text);
  await page.press(`#${who} input`, 'Enter');
});

const chat = (page, who) => page.$$eval(`#${who} .chat li`, (lis) => lis.map((li) => ({
  cls: li.className, text: li.firstChild?.textContent ?? '',
})));

const storage = (page) => page.$$eval('#storage tbody tr', (trs) => Object.fromEntries(trs.map((tr) => {
  const [, a, b] = [...tr.querySelectorAll('td')].map((td) => td.textContent);
  const count = (s) => (s === '–' ? 0 : Number(s.split(' · ')[0]));
  return [tr.dataset.group, { alice: count(a), bob: count(b) }];
})));

test('the demo messenger: create, add, talk, update keys, reload, talk on', async (t) => {
  const context = await h.browser.newContext({ viewport: { width: 1200, height: 900 } });
  try {
    const page = await openPage(context, h.server.url + '/demo/');
    await ready(page);
    t.diagnostic(await page.textContent('#status'));
    assert.equal(await page.isDisabled('#create'), true, 'nothing to add before Bob publishes');

    await doStep(page, () => page.click('#publish'));
    let s = await storage(page);
    assert.equal(s.key_package.bob, 1, 'Bob keeps his key package');
    assert.equal(s.encryption_key_pair.bob, 1);
    assert.equal(s.signature_key_pair.alice, 1);
    assert.equal(s.signature_key_pair.bob, 1);

    await doStep(page, () => page.click('#create'));
    s = await storage(page);
    assert.equal(s.key_package.bob, 0, 'the used key package is gone');
    assert.equal(s.encryption_key_pair.bob, 0);
    for (const g of ['tree', 'group_context', 'confirmation_tag', 'interim_transcript_hash', 'group_state',
      'message_secrets', 'group_epoch_secrets', 'own_leaf_index', 'mls_group_join_config', 'encryption_epoch_key_pairs']) {
      assert.deepEqual(s[g], { alice: 1, bob: 1 }, g);
    }
    assert.match(await page.textContent('#alice .meta'), /epoch 1 · leaf 0 · members: alice, bob/);
    assert.match(await page.textContent('#bob .meta'), /epoch 1 · leaf 1/);

    await send(page, 'alice', 'Hello Bob, this is MLS over mlsidb.');
    await send(page, 'bob', 'Hi Alice! My keys are in IndexedDB.');
    await doStep(page, () => page.click('#update-alice'));
    assert.match(await page.textContent('#bob .meta'), /epoch 2/);
    await send(page, 'alice', 'A message in the new epoch.');
    assert.deepEqual(await page.evaluate(() => window.demo.verifyStored()), { alice: 'same', bob: 'same' });

    await page.reload({ waitUntil: 'load' });
    await ready(page);
    assert.match(await page.textContent('#status'), /resumed their group from IndexedDB/);
    assert.match(await page.textContent('#alice .meta'), /epoch 2/);
    await send(page, 'bob', 'Sent after the reload, and decrypted.');
    await send(page, 'alice', 'Still talking.');
    assert.deepEqual(await page.evaluate(() => window.demo.verifyStored()), { alice: 'same', bob: 'same' });

    const aliceChat = await chat(page, 'alice');
    const bobChat = await chat(page, 'bob');
    assert.deepEqual(aliceChat.filter((m) => m.cls === 'theirs').map((m) => m.text),
      ['Hi Alice! My keys are in IndexedDB.', 'Sent after the reload, and decrypted.']);
    assert.deepEqual(bobChat.filter((m) => m.cls === 'theirs').map((m) => m.text),
      ['Hello Bob, this is MLS over mlsidb.', 'A message in the new epoch.', 'Still talking.']);
    s = await storage(page);
    assert.deepEqual(s.encryption_epoch_key_pairs, { alice: 1, bob: 1 }, 'old epochs\' key pairs are deleted');

    const file = join(outputDir('demo'), 'demo.png');
    await page.screenshot({ path: file, fullPage: true });
    t.diagnostic(`screenshot: ${file}`);
    assert.deepEqual(page.errors, []);
  } finally {
    await context.close();
  }
});

test('the demo in two tabs: a change in one tab shows a notice in the other, which reloads the group and goes on', async (t) => {
  const context = await h.browser.newContext({ viewport: { width: 1200, height: 900 } });
  try {
    const one = await openPage(context, h.server.url + '/demo/');
    await ready(one);
    await doStep(one, () => one.click('#publish'));
    await doStep(one, () => one.click('#create'));
    await send(one, 'alice', 'Hello from tab one.');

    const two = await openPage(context, h.server.url + '/demo/');
    await ready(two);
    assert.match(await two.textContent('#alice .meta'), /epoch 1/);
    assert.equal(await two.isHidden('#notice'), true);

    // Tab one advances the group: tab two hears of it and reloads.
    const reloads = (page) => page.evaluate(() => Number(document.body.dataset.reloads ?? 0));
    await doStep(one, () => one.click('#update-alice'));
    await two.waitForFunction(() => /epoch 2/.test(document.querySelector('#alice .meta').textContent) &&
      /epoch 2/.test(document.querySelector('#bob .meta').textContent), null, { timeout: 30_000 });
    assert.match(await two.textContent('#notice'), /Another tab changed (Alice|Bob)'s group \(epoch 1 → 2\): reloaded it from the store/);
    assert.ok(await reloads(two) >= 2, 'both people were reloaded');

    // Tab two goes on from the reloaded state: its message decrypts, and
    // tab one, in turn, reloads.
    const before = await reloads(one);
    await send(two, 'bob', 'Hello from tab two, in epoch 2.');
    await one.waitForFunction((n) => Number(document.body.dataset.reloads ?? 0) >= n + 2, before, { timeout: 30_000 });
    await one.waitForFunction(() => [...document.querySelectorAll('#alice .chat li.theirs')]
      .some((li) => li.firstChild.textContent === 'Hello from tab two, in epoch 2.'), null, { timeout: 30_000 });
    const beforeTwo = await reloads(two);
    await send(one, 'alice', 'Back in tab one.');
    await two.waitForFunction((n) => Number(document.body.dataset.reloads ?? 0) >= n + 2, beforeTwo, { timeout: 30_000 });
    await two.waitForFunction(() => [...document.querySelectorAll('#bob .chat li.theirs')]
      .some((li) => li.firstChild.textContent === 'Back in tab one.'), null, { timeout: 30_000 });
    // Both tabs hold what the store holds.
    for (const page of [one, two]) {
      await page.waitForFunction(() => !document.querySelector('#update-alice').disabled, null, { timeout: 30_000 });
      assert.deepEqual(await page.evaluate(() => window.demo.verifyStored()), { alice: 'same', bob: 'same' });
    }
    const file = join(outputDir('demo'), 'demo-two-tabs.png');
    await two.screenshot({ path: file, fullPage: true });
    t.diagnostic(`screenshot: ${file}`);
    assert.deepEqual([...one.errors, ...two.errors], []);
  } finally {
    await context.close();
  }
});

/**
 * Runs the story up to the group (Bob publishes, Alice adds him), then, on a
 * blank page of the origin, runs change (given to page.evaluate) and deletes
 * Bob's database behind the demo's back, as Chromium does with a database
 * it finds corrupt. Resolves to change's result.
 */
async function groupThenLoseBob(page, change = () => undefined) {
  await doStep(page, () => page.click('#publish'));
  await doStep(page, () => page.click('#create'));
  await page.goto(h.server.url + '/test/pages/blank.html');
  const out = await page.evaluate(change);
  await page.evaluate(() => new Promise((resolve, reject) => {
    const r = indexedDB.deleteDatabase('mlsidb-demo-bob');
    r.onsuccess = resolve;
    r.onerror = () => reject(r.error);
  }));
  return out;
}

test('the demo tells a lost store from a new one: a store deleted behind the page is reported, and "Start over" starts over', async () => {
  const context = await h.browser.newContext();
  try {
    const page = await openPage(context, h.server.url + '/demo/');
    await ready(page);
    // Bob's store is gone, while the app's own record (localStorage) says
    // he has a group.
    await groupThenLoseBob(page);
    await page.goto(h.server.url + '/demo/');
    await ready(page);
    assert.equal(await page.evaluate(() => document.body.dataset.lost), 'bob');
    assert.match(await page.textContent('#status'), /^Bob: the MLS state stored before is gone/);
    assert.equal(await page.isDisabled('#publish'), true);
    // Only the open that created the store saw created; the store's ID
    // still differs from the one the page kept, so a reload still tells it.
    await page.reload();
    await ready(page);
    assert.equal(await page.evaluate(() => document.body.dataset.lost), 'bob');
    await page.click('#reset');
    await page.waitForFunction(() => document.body.dataset.ready === 'true' && !document.body.dataset.lost &&
      /^Ready/.test(document.querySelector('#status').textContent), null, { timeout: 30_000 });
    assert.equal(await page.isDisabled('#publish'), false, 'a fresh start: Bob can publish again');
    assert.deepEqual(page.errors, []);
  } finally {
    await context.close();
  }
});

test('the demo and a record from before it kept store IDs: an intact store is adopted, a lost one stays reported across reloads', async () => {
  const context = await h.browser.newContext();
  try {
    const page = await openPage(context, h.server.url + '/demo/');
    await ready(page);
    // What an older demo saved: no storeId. Alice's store is intact; Bob's is gone.
    const ids = await groupThenLoseBob(page, () => {
      const meta = JSON.parse(localStorage.getItem('mlsidb-demo'));
      const ids = { alice: meta.alice.storeId, bob: meta.bob.storeId };
      delete meta.alice.storeId;
      delete meta.bob.storeId;
      localStorage.setItem('mlsidb-demo', JSON.stringify(meta));
      return ids;
    });
    assert.match(ids.alice, /^[0-9a-f]{32}$/, 'the demo kept Alice\'s store ID');
    for (const pass of ['first start', 'after a reload']) {
      await page.goto(h.server.url + '/demo/');
      await ready(page);
      assert.equal(await page.evaluate(() => document.body.dataset.lost), 'bob', pass);
      const kept = await page.evaluate(() => JSON.parse(localStorage.getItem('mlsidb-demo')).alice.storeId);
      assert.equal(kept, ids.alice, `${pass}: Alice's intact store is adopted by its ID`);
    }
    assert.deepEqual(page.errors, []);
  } finally {
    await context.close();
  }
});
