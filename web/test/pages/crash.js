// What the crash test runs in its page: a loop of transactions, each
// writing a known set of records across all 18 method groups, that logs
// "committed <tag>" once a transaction's Promise resolved; and the check
// run after the browser was killed and started again.
import { openStore } from '/mlsidb.js';
import { enc, dec } from '/test/pages/util.js';

export const STORE = 'crash';

/** The state group: every transaction overwrites all of it with its tag. */
const STATE = enc('state-group');
const EPOCH = enc('epoch');

/** The 11 value method groups: [write, read] method names. */
const VALUES = [
  ['writeMlsJoinConfig', 'mlsGroupJoinConfig'], ['writeTree', 'tree'], ['writeContext', 'groupContext'],
  ['writeInterimTranscriptHash', 'interimTranscriptHash'], ['writeConfirmationTag', 'confirmationTag'],
  ['writeGroupState', 'groupState'], ['writeMessageSecrets', 'messageSecrets'],
  ['writeResumptionPskStore', 'resumptionPskStore'], ['writeOwnLeafIndex', 'ownLeafIndex'],
  ['writeGroupEpochSecrets', 'groupEpochSecrets'], ['writeApplicationExportTree', 'applicationExportTree'],
];
/** The 4 global method groups: [write, read] method names. */
const GLOBALS = [
  ['writeSignatureKeyPair', 'signatureKeyPair'], ['writeEncryptionKeyPair', 'encryptionKeyPair'],
  ['writeKeyPackage', 'keyPackage'], ['writePsk', 'psk'],
];

/** How many records of its own a transaction writes (beside the state group). */
export const OWN_RECORDS = VALUES.length + 2 + 1 + 1 + GLOBALS.length;

const groupOf = (tag) => enc('tx-' + tag);
const keyOf = (tag, what) => enc(`${what}-${tag}`);

/** Writes transaction tag's records through tx: its own group and keys, and the state group. */
async function writeTransaction(tx, tag) {
  const g = groupOf(tag);
  const v = enc(tag);
  for (const [w] of VALUES) await tx[w](g, v);
  await tx.appendOwnLeafNode(g, enc(tag + '/1'));
  await tx.appendOwnLeafNode(g, enc(tag + '/2'));
  await tx.queueProposal(g, enc('ref-' + tag), v);
  await tx.writeEncryptionEpochKeyPairs(g, EPOCH, 1, [v, v]);
  for (const [w] of GLOBALS) await tx[w](keyOf(tag, w), v);
  // The state group is advanced as a whole, as an MLS commit advances a
  // group: every value overwritten, the queue and the leaf nodes replaced.
  for (const [w] of VALUES) await tx[w](STATE, v);
  await tx.clearProposalQueue(STATE);
  await tx.queueProposal(STATE, enc('ref-' + tag), v);
  await tx.deleteOwnLeafNodes(STATE);
  await tx.appendOwnLeafNode(STATE, v);
}

const WARM_UP = enc('written before the first kill');

/** Creates the store and writes one record, before any kill. */
export async function warmUp() {
  const st = await openStore({ name: STORE });
  await st.writePsk(WARM_UP, enc('warm-up'));
  await st.close();
}

/** Starts the loop of round; it runs until the browser dies. */
export async function loop(round) {
  const st = await openStore({ name: STORE }); // strict durability, the default
  console.log('opened created=' + st.created);
  for (let i = 0; ; i++) {
    const tag = `${round}.${i}`;
    await st.transaction((tx) => writeTransaction(tx, tag));
    console.log('committed ' + tag);
  }
}

/** How many of transaction tag's own records are there, and whether they hold the tag. */
async function presence(st, tag) {
  const g = groupOf(tag);
  let n = 0;
  const wrong = [];
  const check = (what, got, want) => {
    if (got === undefined) return;
    n++;
    if (got !== want) wrong.push(what);
  };
  for (const [, r] of VALUES) check(r, dec(await st[r](g)), tag);
  for (const [i, l] of (await st.ownLeafNodes(g)).entries()) check('ownLeafNodes', dec(l), `${tag}/${i + 1}`);
  for (const [ref, p] of await st.queuedProposals(g)) check('queuedProposals', dec(ref) + '=' + dec(p), `ref-${tag}=${tag}`);
  const pairs = await st.encryptionEpochKeyPairs(g, EPOCH, 1);
  if (pairs.length) check('encryptionEpochKeyPairs', pairs.map(dec).join(), `${tag},${tag}`);
  for (const [w, r] of GLOBALS) check(r, dec(await st[r](keyOf(tag, w))), tag);
  return { n, wrong };
}

/**
 * Checks the store after a crash: whether opening it created it (the
 * database was gone), and, for each round, transactions 0, 1, ...
 * until several in a row are wholly absent. Returns, per round, the tags
 * wholly present, and every problem found: a transaction partly present,
 * a present one after an absent one, a state group that is not wholly one
 * transaction's.
 */
export async function verify(rounds) {
  const st = await openStore({ name: STORE });
  const out = { created: st.created, present: {}, problems: [], state: null, warmUp: dec(await st.psk(WARM_UP)) };
  for (const round of rounds) {
    const present = [];
    let absentRun = 0;
    let sawAbsent = false;
    for (let i = 0; absentRun < 5; i++) {
      const tag = `${round}.${i}`;
      const { n, wrong } = await presence(st, tag);
      if (n === 0) {
        absentRun++;
        sawAbsent = true;
        continue;
      }
      absentRun = 0;
      if (n !== OWN_RECORDS) out.problems.push(`transaction ${tag}: ${n} of its ${OWN_RECORDS} records are there`);
      if (wrong.length) out.problems.push(`transaction ${tag}: wrong values in ${wrong.join(', ')}`);
      if (sawAbsent) out.problems.push(`transaction ${tag} is there after an absent one`);
      present.push(tag);
    }
    out.present[round] = present;
  }
  // The state group holds exactly one transaction's tag, in every part.
  const parts = {};
  for (const [, r] of VALUES) parts[r] = dec(await st[r](STATE));
  parts.queue = (await st.queuedProposals(STATE)).map(([ref, p]) => dec(ref) + '=' + dec(p)).join('|');
  parts.leaves = (await st.ownLeafNodes(STATE)).map(dec).join('|');
  const tag = parts.tree;
  out.state = tag;
  const want = Object.fromEntries(VALUES.map(([, r]) => [r, tag]));
  want.queue = `ref-${tag}=${tag}`;
  want.leaves = tag;
  for (const [k, v] of Object.entries(want)) {
    if (parts[k] !== v) out.problems.push(`state group: ${k} holds ${parts[k]}, the tree holds ${tag}`);
  }
  await st.close();
  return out;
}
