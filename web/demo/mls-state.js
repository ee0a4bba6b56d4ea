// How the demo keeps ts-mls state in mlsidb: each part of a ts-mls
// ClientState goes to the method group of the OpenMLS storage contract
// that holds that part in OpenMLS (see README.md in this folder), and comes
// back from there. Nothing is stored twice; a group is resumed from the
// parts alone.
import {
  decodeMlsMessage, defaultCapabilities, defaultLifetime, encodeMlsMessage, generateKeyPackageWithKey,
} from 'ts-mls';
import { getOwnLeafNode } from 'ts-mls/clientState.js';
import { defaultClientConfig } from 'ts-mls/clientConfig.js';
import { encode } from 'ts-mls/codec/tlsEncoder.js';
import { bigintMapEncoder, decodeBigintMap } from 'ts-mls/codec/variableLength.js';
import { decodeEpochReceiverData, epochReceiverDataEncoder } from 'ts-mls/epochReceiverData.js';
import { decodeGroupActiveState, groupActiveStateEncoder } from 'ts-mls/groupActiveState.js';
import { decodeGroupContext, encodeGroupContext } from 'ts-mls/groupContext.js';
import { decodeKeyPackage, encodeKeyPackage, makeKeyPackageRef } from 'ts-mls/keyPackage.js';
import { decodeKeySchedule, encodeKeySchedule } from 'ts-mls/keySchedule.js';
import { decodeRatchetTree, encodeRatchetTree } from 'ts-mls/ratchetTree.js';
import { decodeSecretTree, secretTreeEncoder } from 'ts-mls/secretTree.js';
import { createInterimHash } from 'ts-mls/transcriptHash.js';
import { decodeProposalWithSender, proposalWithSenderEncoder } from 'ts-mls/unappliedProposals.js';

// --- small codecs -------------------------------------------------------

/** Packs byte strings, each with a 4-byte big-endian length. */
export function pack(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  let o = 0;
  for (const p of parts) {
    view.setUint32(o, p.length);
    out.set(p, o + 4);
    o += 4 + p.length;
  }
  return out;
}

/** Unpacks what pack packed. */
export function unpack(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts = [];
  for (let o = 0; o < bytes.length;) {
    const n = view.getUint32(o);
    parts.push(bytes.slice(o + 4, o + 4 + n));
    o += 4 + n;
  }
  return parts;
}

const u32 = (n) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n); return b; };
const readU32 = (b) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0);
/** The epoch key of the epoch key pairs: the epoch as 8 big-endian bytes. */
export const epochKey = (epoch) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(epoch)); return b; };

function decodeAll(decoder, bytes, what) {
  const r = decoder(bytes, 0);
  if (!r) throw new Error(`stored ${what} does not decode`);
  return r[0];
}

const encodeSecretTree = encode(secretTreeEncoder);
const historyEncoder = encode(bigintMapEncoder(epochReceiverDataEncoder));
const decodeHistory = decodeBigintMap(decodeEpochReceiverData);
const encodeActiveState = encode(groupActiveStateEncoder);
const encodeProposal = encode(proposalWithSenderEncoder);

const b64 = {
  to: (b) => btoa(String.fromCharCode(...b)),
  from: (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0)),
};

// --- identities and key packages ---------------------------------------

/** Creates a signature key pair and stores it under its public key. */
export async function createIdentity(store, impl) {
  const { signKey, publicKey } = await impl.signature.keygen();
  await store.writeSignatureKeyPair(publicKey, pack(publicKey, signKey));
  return publicKey;
}

/** Reads the signature key pair of a public key. */
export async function signatureKeyPair(store, publicKey) {
  const raw = await store.signatureKeyPair(publicKey);
  if (!raw) throw new Error('signature key pair not found');
  const [pub, signKey] = unpack(raw);
  return { publicKey: pub, signKey };
}

/**
 * Generates a key package for the identity, stores its private parts (the
 * key package with its init private key under its hash reference, the leaf's
 * HPKE key pair under its public key) in one transaction, and returns the
 * public key package as an MLS message to publish.
 */
export async function publishKeyPackage(store, impl, name, signaturePublicKey) {
  const sig = await signatureKeyPair(store, signaturePublicKey);
  const credential = { credentialType: 'basic', identity: new TextEncoder().encode(name) };
  const { publicPackage, privatePackage } = await generateKeyPackageWithKey(
    credential, defaultCapabilities(), defaultLifetime, [], sig, impl);
  const ref = await makeKeyPackageRef(publicPackage, impl.hash);
  await store.transaction(async (tx) => {
    await tx.writeKeyPackage(ref, pack(encodeKeyPackage(publicPackage), privatePackage.initPrivateKey));
    await tx.writeEncryptionKeyPair(publicPackage.leafNode.hpkePublicKey, privatePackage.hpkePrivateKey);
  });
  return encodeMlsMessage({ keyPackage: publicPackage, wireformat: 'mls_key_package', version: 'mls10' });
}

/** Decodes a published key package message. */
export function decodeKeyPackageMessage(bytes) {
  const m = decodeMlsMessage(bytes, 0)?.[0];
  if (m?.wireformat !== 'mls_key_package') throw new Error('not a key package message');
  return m.keyPackage;
}

/**
 * Finds the own key package a Welcome is for (its hash reference is in the
 * Welcome), with its private parts; deleteUsedKeyPackage removes them once
 * the join is stored.
 */
export async function keyPackageForWelcome(store, welcome) {
  for (const s of welcome.secrets) {
    const raw = await store.keyPackage(s.newMember);
    if (!raw) continue;
    const [kpBytes, initPrivateKey] = unpack(raw);
    const keyPackage = decodeAll(decodeKeyPackage, kpBytes, 'key package');
    const hpkePrivateKey = await store.encryptionKeyPair(keyPackage.leafNode.hpkePublicKey);
    if (!hpkePrivateKey) throw new Error('the key package\'s encryption key pair is missing');
    const sig = await signatureKeyPair(store, keyPackage.leafNode.signaturePublicKey);
    return {
      ref: s.newMember, keyPackage,
      privatePackage: { initPrivateKey, hpkePrivateKey, signaturePrivateKey: sig.signKey },
    };
  }
  return undefined;
}

/** Deletes a used key package (key packages are single use) and its leaf key pair. */
export async function deleteUsedKeyPackage(tx, used) {
  await tx.deleteKeyPackage(used.ref);
  await tx.deleteEncryptionKeyPair(used.keyPackage.leafNode.hpkePublicKey);
}

// --- group state ---------------------------------------------------------

/**
 * Writes a ts-mls ClientState into the group's method groups. Call it in a
 * transaction (tx), with the state of the previous epoch when there was
 * one, so that that epoch's key pairs go.
 */
export async function saveGroup(tx, state, impl, previous) {
  const g = state.groupContext.groupId;
  const leafIndex = state.privatePath.leafIndex;
  await tx.writeMlsJoinConfig(g, new TextEncoder().encode(JSON.stringify({
    library: 'ts-mls', clientConfig: 'defaultClientConfig', cipherSuite: state.groupContext.cipherSuite,
  })));
  await tx.writeTree(g, encodeRatchetTree(state.ratchetTree));
  await tx.writeContext(g, encodeGroupContext(state.groupContext));
  await tx.writeConfirmationTag(g, state.confirmationTag);
  await tx.writeInterimTranscriptHash(g,
    await createInterimHash(state.groupContext.confirmedTranscriptHash, state.confirmationTag, impl.hash));
  await tx.writeGroupEpochSecrets(g, encodeKeySchedule(state.keySchedule));
  await tx.writeMessageSecrets(g, pack(encodeSecretTree(state.secretTree), historyEncoder(state.historicalReceiverData)));
  await tx.writeOwnLeafIndex(g, u32(leafIndex));
  await tx.writeGroupState(g, encodeActiveState(state.groupActiveState));
  // The private keys of the tree path, per epoch and own leaf index.
  if (previous && previous.groupContext.epoch !== state.groupContext.epoch) {
    await tx.deleteEncryptionEpochKeyPairs(g, epochKey(previous.groupContext.epoch), previous.privatePath.leafIndex);
  }
  const pairs = Object.entries(state.privatePath.privateKeys).map(([node, key]) => pack(u32(Number(node)), key));
  await tx.writeEncryptionEpochKeyPairs(g, epochKey(state.groupContext.epoch), leafIndex, pairs);
  // Proposals received but not committed yet.
  await tx.clearProposalQueue(g);
  for (const [ref, p] of Object.entries(state.unappliedProposals)) {
    await tx.queueProposal(g, b64.from(ref), encodeProposal(p));
  }
}

/** Reads a group's ClientState back from its method groups, or undefined. */
export async function loadGroup(store, groupId) {
  const [ctxBytes, treeBytes, secretsBytes, messageBytes, tag, leafBytes, activeBytes, queue] = await Promise.all([
    store.groupContext(groupId), store.tree(groupId), store.groupEpochSecrets(groupId), store.messageSecrets(groupId),
    store.confirmationTag(groupId), store.ownLeafIndex(groupId), store.groupState(groupId), store.queuedProposals(groupId),
  ]);
  if (!ctxBytes) return undefined;
  const groupContext = decodeAll(decodeGroupContext, ctxBytes, 'group context');
  const leafIndex = readU32(leafBytes);
  const [secretTreeBytes, historyBytes] = unpack(messageBytes);
  const pairs = await store.encryptionEpochKeyPairs(groupId, epochKey(groupContext.epoch), leafIndex);
  const privateKeys = {};
  for (const p of pairs) {
    const [node, key] = unpack(p);
    privateKeys[readU32(node)] = key;
  }
  const unappliedProposals = {};
  for (const [ref, p] of queue) unappliedProposals[b64.to(ref)] = decodeAll(decodeProposalWithSender, p, 'proposal');
  const state = {
    groupContext,
    keySchedule: decodeAll(decodeKeySchedule, secretsBytes, 'epoch secrets'),
    secretTree: decodeAll(decodeSecretTree, secretTreeBytes, 'secret tree'),
    ratchetTree: decodeAll(decodeRatchetTree, treeBytes, 'ratchet tree'),
    privatePath: { leafIndex, privateKeys },
    signaturePrivateKey: undefined,
    unappliedProposals,
    confirmationTag: tag,
    historicalReceiverData: decodeAll(decodeHistory, historyBytes, 'message secrets of past epochs'),
    groupActiveState: decodeAll(decodeGroupActiveState, activeBytes, 'group state'),
    clientConfig: defaultClientConfig,
  };
  // The signing key lives with the identity, under the own leaf's public key.
  const own = getOwnLeafNode(state);
  state.signaturePrivateKey = (await signatureKeyPair(store, own.signaturePublicKey)).signKey;
  return state;
}
