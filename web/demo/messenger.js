// The demo's two-person MLS messenger: ts-mls does the protocol, mlsidb
// keeps every person's MLS state (one store per person). Each MLS operation
// on a group runs under the group's lock (store.withGroupLock, held across
// tabs), starts from the state in the store (another tab may have moved the
// group on), is computed, and is then stored in one store.transaction; the
// person's in-memory state moves on only once the transaction committed.
import {
  acceptAll, createApplicationMessage, createCommit, createGroup, decodeMlsMessage, defaultCapabilities,
  defaultLifetime, emptyPskIndex, encodeMlsMessage, generateKeyPackageWithKey, joinGroup, processMessage,
  processPrivateMessage, zeroOutUint8Array,
} from 'ts-mls';
import { decodeRatchetTree, encodeRatchetTree } from 'ts-mls/ratchetTree.js';
import {
  createIdentity, decodeKeyPackageMessage, deleteUsedKeyPackage, keyPackageForWelcome, loadGroup,
  publishKeyPackage, saveGroup, signatureKeyPair,
} from './mls-state.js';

export const b64 = {
  to: (b) => btoa(String.fromCharCode(...b)),
  from: (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0)),
};

function decodeMessage(bytes, wireformat) {
  const m = decodeMlsMessage(bytes, 0)?.[0];
  if (m?.wireformat !== wireformat) throw new Error(`expected ${wireformat}, got ${m?.wireformat}`);
  return m;
}

/**
 * One person: a name, an mlsidb store, and `meta`, the little the app
 * remembers outside MLS state (its signature public key and group id, no
 * secrets), which the caller persists.
 */
export class Person {
  constructor(name, store, impl, meta) {
    this.name = name;
    this.store = store;
    this.impl = impl;
    this.meta = meta;
    /** The ts-mls ClientState of the person's group, once in one. */
    this.state = undefined;
  }

  /** Creates the identity on first use; resumes the group from the store. */
  async init() {
    if (!this.meta.signaturePublicKey) {
      this.meta.signaturePublicKey = b64.to(await createIdentity(this.store, this.impl));
    }
    await this.reload();
  }

  /** Loads the group's state from the store (another tab may have advanced it). */
  async reload() {
    if (!this.meta.groupId) return;
    this.state = await loadGroup(this.store, b64.from(this.meta.groupId));
    if (!this.state) throw new Error(`${this.name}'s group is missing from the store`);
  }

  /** Runs an operation on the group under its lock, from the stored state. */
  #locked(fn) {
    return this.store.withGroupLock(b64.from(this.meta.groupId), async () => {
      await this.reload();
      return fn();
    });
  }

  get epoch() { return this.state ? Number(this.state.groupContext.epoch) : undefined; }
  get leafIndex() { return this.state?.privatePath.leafIndex; }
  get members() {
    if (!this.state) return [];
    return this.state.ratchetTree
      .filter((n) => n?.nodeType === 'leaf')
      .map((n) => new TextDecoder().decode(n.leaf.credential.identity));
  }

  /** Generates a key package, keeps its private parts, returns the public message. */
  publishKeyPackage() {
    return publishKeyPackage(this.store, this.impl, this.name, b64.from(this.meta.signaturePublicKey));
  }

  async #commitState(newState, extra) {
    const previous = this.state;
    await this.store.transaction(async (tx) => {
      await saveGroup(tx, newState, this.impl, previous);
      if (extra) await extra(tx);
    });
    this.state = newState;
    this.meta.groupId = b64.to(newState.groupContext.groupId);
  }

  /**
   * Creates a group and adds the owner of a published key package; returns
   * what the delivery service carries to them: the Welcome and the ratchet tree.
   */
  async createGroupWith(keyPackageMessage) {
    const { impl } = this;
    const sig = await signatureKeyPair(this.store, b64.from(this.meta.signaturePublicKey));
    const credential = { credentialType: 'basic', identity: new TextEncoder().encode(this.name) };
    const own = await generateKeyPackageWithKey(credential, defaultCapabilities(), defaultLifetime, [], sig, impl);
    const groupId = crypto.getRandomValues(new Uint8Array(16));
    const created = await createGroup(groupId, own.publicPackage, own.privatePackage, [], impl);
    const add = { proposalType: 'add', add: { keyPackage: decodeKeyPackageMessage(keyPackageMessage) } };
    const result = await createCommit({ state: created, cipherSuite: impl }, { extraProposals: [add] });
    await this.#commitState(result.newState);
    result.consumed.forEach(zeroOutUint8Array);
    return {
      welcome: encodeMlsMessage({ welcome: result.welcome, wireformat: 'mls_welcome', version: 'mls10' }),
      ratchetTree: encodeRatchetTree(result.newState.ratchetTree),
    };
  }

  /** Joins a group from a Welcome, with the key package it was made for. */
  async join(welcomeMessage, ratchetTreeBytes) {
    const { welcome } = decodeMessage(welcomeMessage, 'mls_welcome');
    const used = await keyPackageForWelcome(this.store, welcome);
    if (!used) throw new Error(`${this.name} has no key package for this Welcome`);
    const tree = decodeRatchetTree(ratchetTreeBytes, 0)?.[0];
    const state = await joinGroup(welcome, used.keyPackage, used.privatePackage, emptyPskIndex, this.impl, tree);
    await this.#commitState(state, (tx) => deleteUsedKeyPackage(tx, used));
  }

  /** Encrypts an application message; returns the MLS message to deliver. */
  send(text) {
    return this.#locked(async () => {
      const r = await createApplicationMessage(this.state, new TextEncoder().encode(text), this.impl);
      await this.#commitState(r.newState);
      r.consumed.forEach(zeroOutUint8Array);
      return encodeMlsMessage({ privateMessage: r.privateMessage, wireformat: 'mls_private_message', version: 'mls10' });
    });
  }

  /** Commits a key update (a new epoch); returns the commit to deliver. */
  updateKeys() {
    return this.#locked(async () => {
      const r = await createCommit({ state: this.state, cipherSuite: this.impl });
      await this.#commitState(r.newState);
      r.consumed.forEach(zeroOutUint8Array);
      return encodeMlsMessage(r.commit);
    });
  }

  /** Processes a delivered message: returns the text of an application message, or undefined for a commit. */
  receive(bytes) {
    return this.#locked(() => this.#process(bytes));
  }

  async #process(bytes) {
    const m = decodeMlsMessage(bytes, 0)?.[0];
    let r;
    if (m?.wireformat === 'mls_private_message') {
      r = await processPrivateMessage(this.state, m.privateMessage, emptyPskIndex, this.impl);
    } else if (m?.wireformat === 'mls_public_message') {
      r = await processMessage(m, this.state, emptyPskIndex, acceptAll, this.impl);
    } else {
      throw new Error(`cannot process ${m?.wireformat}`);
    }
    await this.#commitState(r.newState);
    r.consumed.forEach(zeroOutUint8Array);
    return r.kind === 'applicationMessage' ? new TextDecoder().decode(r.message) : undefined;
  }
}
