// Type declarations for mlsidb.js: the OpenMLS storage contract
// (StorageProvider v1, 56 methods in 18 method groups) for JavaScript.

/**
 * Bytes accepted as input: a Uint8Array (any view; only its own range is
 * read) or an ArrayBuffer. Both are copied when the call is made, so the
 * caller may reuse them at once. Other typed arrays, DataView, strings,
 * numbers, plain arrays and null are refused with InvalidArgument.
 */
export type Bytes = Uint8Array | ArrayBuffer;

/** The stable codes of MlsStorageError. */
export type ErrorCodeName =
  | 'InvalidArgument'
  | 'QuotaExceeded'
  | 'VersionMismatch'
  | 'Closed'
  | 'Unavailable'
  | 'Blocked'
  | 'Internal';

/** The stable codes of MlsStorageError, as constants. */
export declare const ErrorCode: Readonly<{ [K in ErrorCodeName]: K }>;

/**
 * Every rejection of this module is an MlsStorageError, except that a
 * transaction whose callback throws rejects with the callback's own error.
 * The message never contains key or value bytes.
 */
export declare class MlsStorageError extends Error {
  constructor(code: ErrorCodeName, message: string, options?: ErrorOptions);
  readonly name: 'MlsStorageError';
  /**
   * - InvalidArgument: bad input (wrong type, wrong argument count, empty or
   *   over-long key, leaf index not an integer in [0, 2^32-1]); nothing was written.
   * - QuotaExceeded: the storage quota does not allow the write; nothing of it was stored.
   * - VersionMismatch: the data was written by a newer mlsidb.
   * - Closed: the store was closed, or the transaction has ended.
   * - Unavailable: no IndexedDB here, or the wasm / wasm_exec.js could not be loaded.
   * - Blocked: another connection held up opening or upgrading the database.
   * - Internal: anything else (a bug, or the wasm instance stopped).
   */
  readonly code: ErrorCodeName;
}

/** Options of openStore. */
export interface OpenOptions {
  /** The store's name: one IndexedDB database per name (a user or device profile). */
  name: string;
  /**
   * The wasm module: a URL, a Response (say, from fetch) or a compiled
   * WebAssembly.Module. Default: dist/mlsidb.wasm next to mlsidb.js. Only the
   * first openStore of a page or worker loads it; later ones share it.
   */
  wasm?: string | URL | Response | WebAssembly.Module;
  /**
   * The URL of wasm_exec.js (it must come from the Go toolchain that built
   * the wasm). Default: dist/wasm_exec.js next to mlsidb.js, unless the app
   * already loaded one (globalThis.Go), which is then used.
   */
  wasmExec?: string | URL;
  /**
   * IndexedDB durability of writes: 'strict' (the default: a write resolves
   * once the browser has flushed it to disk, which MLS state needs, since a
   * lost epoch secret cannot be recovered), 'relaxed' (faster; a crash may
   * lose writes reported as done) or 'default' (the browser's choice).
   */
  durability?: 'strict' | 'relaxed' | 'default';
  /**
   * How long (in milliseconds) the open waits, once other connections block
   * it (an older tab that does not let a schema upgrade go on), before it
   * rejects with code Blocked. Default 5000.
   */
  blockedTimeout?: number;
}

/** One entry of the contract's method table. */
export interface ContractMethod {
  /** JavaScript name, e.g. "writeTree". */
  readonly name: string;
  /** Go name on mlsidb.StorageProvider, e.g. "WriteTree". */
  readonly go: string;
  /** OpenMLS trait name, e.g. "write_tree". */
  readonly openmls: string;
  /** Method group (IndexedDB object store), e.g. "tree". */
  readonly group: string;
  /** Kinds of the arguments. */
  readonly args: ReadonlyArray<'bytes' | 'u32' | 'bytesList'>;
  /** Kind of the result. */
  readonly result: 'none' | 'bytes' | 'bytesList' | 'proposals';
}

/**
 * The OpenMLS StorageProvider contract (v1). Keys and entities are their
 * serialized bytes. Reads resolve to a fresh Uint8Array, or undefined when
 * nothing is stored (a stored empty value is an empty Uint8Array); lists
 * resolve to arrays (empty when none). Every write is an upsert and atomic
 * on its own; deleting what is not there succeeds.
 */
export interface StorageProvider {
  /** Stores the group's MlsGroupJoinConfig, replacing any earlier value. */
  writeMlsJoinConfig(groupId: Bytes, config: Bytes): Promise<void>;
  /** Returns the group's MlsGroupJoinConfig, or undefined. */
  mlsGroupJoinConfig(groupId: Bytes): Promise<Uint8Array | undefined>;
  /** Deletes the group's MlsGroupJoinConfig. */
  deleteGroupConfig(groupId: Bytes): Promise<void>;

  /** Stores the group's ratchet tree, replacing any earlier value. */
  writeTree(groupId: Bytes, tree: Bytes): Promise<void>;
  /** Returns the group's ratchet tree, or undefined. */
  tree(groupId: Bytes): Promise<Uint8Array | undefined>;
  /** Deletes the group's ratchet tree. */
  deleteTree(groupId: Bytes): Promise<void>;

  /** Stores the group's GroupContext, replacing any earlier value. */
  writeContext(groupId: Bytes, groupContext: Bytes): Promise<void>;
  /** Returns the group's GroupContext, or undefined. */
  groupContext(groupId: Bytes): Promise<Uint8Array | undefined>;
  /** Deletes the group's GroupContext. */
  deleteContext(groupId: Bytes): Promise<void>;

  /** Stores the group's interim transcript hash, replacing any earlier value. */
  writeInterimTranscriptHash(groupId: Bytes, hash: Bytes): Promise<void>;
  /** Returns the group's interim transcript hash, or undefined. */
  interimTranscriptHash(groupId: Bytes): Promise<Uint8Array | undefined>;
  /** Deletes the group's interim transcript hash. */
  deleteInterimTranscriptHash(groupId: Bytes): Promise<void>;

  /** Stores the group's confirmation tag, replacing any earlier value. */
  writeConfirmationTag(groupId: Bytes, tag: Bytes): Promise<void>;
  /** Returns the group's confirmation tag, or undefined. */
  confirmationTag(groupId: Bytes): Promise<Uint8Array | undefined>;
  /** Deletes the group's confirmation tag. */
  deleteConfirmationTag(groupId: Bytes): Promise<void>;

  /** Stores the group's state, replacing any earlier value. */
  writeGroupState(groupId: Bytes, state: Bytes): Promise<void>;
  /** Returns the group's state, or undefined. */
  groupState(groupId: Bytes): Promise<Uint8Array | undefined>;
  /** Deletes the group's state. */
  deleteGroupState(groupId: Bytes): Promise<void>;

  /** Stores the group's message secrets, replacing any earlier value. */
  writeMessageSecrets(groupId: Bytes, secrets: Bytes): Promise<void>;
  /** Returns the group's message secrets, or undefined. */
  messageSecrets(groupId: Bytes): Promise<Uint8Array | undefined>;
  /** Deletes the group's message secrets. */
  deleteMessageSecrets(groupId: Bytes): Promise<void>;

  /** Stores the group's resumption PSK store, replacing any earlier value. */
  writeResumptionPskStore(groupId: Bytes, store: Bytes): Promise<void>;
  /** Returns the group's resumption PSK store, or undefined. */
  resumptionPskStore(groupId: Bytes): Promise<Uint8Array | undefined>;
  /** Deletes the group's resumption PSK store. */
  deleteAllResumptionPskSecrets(groupId: Bytes): Promise<void>;

  /** Stores the group's own leaf index, replacing any earlier value. */
  writeOwnLeafIndex(groupId: Bytes, index: Bytes): Promise<void>;
  /** Returns the group's own leaf index, or undefined. */
  ownLeafIndex(groupId: Bytes): Promise<Uint8Array | undefined>;
  /** Deletes the group's own leaf index. */
  deleteOwnLeafIndex(groupId: Bytes): Promise<void>;

  /** Stores the group's epoch secrets, replacing any earlier value. */
  writeGroupEpochSecrets(groupId: Bytes, secrets: Bytes): Promise<void>;
  /** Returns the group's epoch secrets, or undefined. */
  groupEpochSecrets(groupId: Bytes): Promise<Uint8Array | undefined>;
  /** Deletes the group's epoch secrets. */
  deleteGroupEpochSecrets(groupId: Bytes): Promise<void>;

  /** Stores the group's application export tree, replacing any earlier value. */
  writeApplicationExportTree(groupId: Bytes, tree: Bytes): Promise<void>;
  /** Returns the group's application export tree, or undefined. */
  applicationExportTree(groupId: Bytes): Promise<Uint8Array | undefined>;
  /** Deletes the group's application export tree. */
  deleteApplicationExportTree(groupId: Bytes): Promise<void>;

  /** Appends leafNode to the group's list of own leaf nodes. Order of appends is kept; duplicates are kept. */
  appendOwnLeafNode(groupId: Bytes, leafNode: Bytes): Promise<void>;
  /** Returns the group's own leaf nodes in the order they were appended; an empty list when there are none. */
  ownLeafNodes(groupId: Bytes): Promise<Uint8Array[]>;
  /** Deletes the group's list of own leaf nodes. */
  deleteOwnLeafNodes(groupId: Bytes): Promise<void>;

  /** Adds a proposal to the end of the group's proposal queue. Queuing a ref that is already queued replaces its proposal and keeps its place. The proposal and its place are written together. */
  queueProposal(groupId: Bytes, proposalRef: Bytes, proposal: Bytes): Promise<void>;
  /** Returns the refs of the group's queued proposals in queue order. */
  queuedProposalRefs(groupId: Bytes): Promise<Uint8Array[]>;
  /** Returns the group's queued proposals with their refs, in queue order. */
  queuedProposals(groupId: Bytes): Promise<[ref: Uint8Array, proposal: Uint8Array][]>;
  /** Removes one proposal, body and place, from the group's queue. */
  removeProposal(groupId: Bytes, proposalRef: Bytes): Promise<void>;
  /** Removes every queued proposal of the group, bodies included. */
  clearProposalQueue(groupId: Bytes): Promise<void>;

  /** Stores the HPKE key pairs of the group for one epoch and leaf index, replacing the whole earlier list. The epoch is the serialized epoch key. Writing an empty list deletes it. */
  writeEncryptionEpochKeyPairs(groupId: Bytes, epoch: Bytes, leafIndex: number, keyPairs: Bytes[]): Promise<void>;
  /** Returns the key pairs of the group for one epoch and leaf index, in the order written; an empty list when none. */
  encryptionEpochKeyPairs(groupId: Bytes, epoch: Bytes, leafIndex: number): Promise<Uint8Array[]>;
  /** Deletes the key pairs of the group for one epoch and leaf index. */
  deleteEncryptionEpochKeyPairs(groupId: Bytes, epoch: Bytes, leafIndex: number): Promise<void>;

  /** Stores the signature key pair of a public key, replacing any earlier value. */
  writeSignatureKeyPair(publicKey: Bytes, signatureKeyPair: Bytes): Promise<void>;
  /** Returns the signature key pair of a public key, or undefined. */
  signatureKeyPair(publicKey: Bytes): Promise<Uint8Array | undefined>;
  /** Deletes the signature key pair of a public key. */
  deleteSignatureKeyPair(publicKey: Bytes): Promise<void>;

  /** Stores the HPKE encryption key pair of a public key, replacing any earlier value. */
  writeEncryptionKeyPair(publicKey: Bytes, keyPair: Bytes): Promise<void>;
  /** Returns the HPKE encryption key pair of a public key, or undefined. */
  encryptionKeyPair(publicKey: Bytes): Promise<Uint8Array | undefined>;
  /** Deletes the HPKE encryption key pair of a public key. */
  deleteEncryptionKeyPair(publicKey: Bytes): Promise<void>;

  /** Stores the key package (with its private parts) of a hash reference, replacing any earlier value. */
  writeKeyPackage(hashRef: Bytes, keyPackage: Bytes): Promise<void>;
  /** Returns the key package (with its private parts) of a hash reference, or undefined. */
  keyPackage(hashRef: Bytes): Promise<Uint8Array | undefined>;
  /** Deletes the key package (with its private parts) of a hash reference. */
  deleteKeyPackage(hashRef: Bytes): Promise<void>;

  /** Stores the PSK bundle of a PSK id, replacing any earlier value. */
  writePsk(pskId: Bytes, pskBundle: Bytes): Promise<void>;
  /** Returns the PSK bundle of a PSK id, or undefined. */
  psk(pskId: Bytes): Promise<Uint8Array | undefined>;
  /** Deletes the PSK bundle of a PSK id. */
  deletePsk(pskId: Bytes): Promise<void>;
}

/**
 * An OpenMLS MemoryStorage snapshot: the binary encoding
 * (MemoryStorage::serialize) or the JSON encoding (save_to_file,
 * {"values": {"<base64 key>": "<base64 value>"}}) as bytes, or the JSON
 * encoding as a string. The encoding is told from the bytes.
 */
export type OpenMlsSnapshot = Bytes | string;

/** Options of importOpenMls and syncOpenMls. */
export interface OpenMlsReadOptions {
  /**
   * Skip QueuedProposal entries whose ref is not in their group's
   * ProposalQueueRefs list instead of rejecting the snapshot
   * (OpenMLS's clear_proposal_queue leaves such bodies behind).
   */
  dropOrphanProposals?: boolean;
}

/** What syncOpenMls wrote and deleted, in MemoryStorage entries. */
export interface OpenMlsSyncResult {
  /** Entries that were new or changed (a list is one entry, each queued proposal body one). */
  written: number;
  /** Entries the snapshot no longer has. */
  deleted: number;
}

/** The OpenMLS MemoryStorage calls of a store or transaction. */
export interface OpenMlsCalls {
  /**
   * Writes every entry of the snapshot, through the calls OpenMLS would
   * make, in one transaction: all of it or, on any error, nothing. Lists in
   * the snapshot replace the stored ones; records it does not mention stay.
   * A snapshot that cannot be read or mapped rejects with InvalidArgument,
   * naming the entry's position and label (never its bytes).
   */
  importOpenMls(snapshot: OpenMlsSnapshot, options?: OpenMlsReadOptions): Promise<void>;
  /**
   * Makes the store hold exactly what the snapshot holds, in one
   * transaction: writes the entries that are new or changed and deletes the
   * ones that are gone. Call it after each OpenMLS operation.
   */
  syncOpenMls(snapshot: OpenMlsSnapshot, options?: OpenMlsReadOptions): Promise<OpenMlsSyncResult>;
  /** Everything stored, as a MemoryStorage snapshot in the JSON encoding. */
  exportOpenMls(options: { format: 'json' }): Promise<string>;
  /** Everything stored, as a MemoryStorage snapshot in the binary encoding (the default). */
  exportOpenMls(options?: { format?: 'binary' }): Promise<Uint8Array>;
}

/**
 * What store.loadGroup resolves to: the 13 reads OpenMLS makes to load a
 * group, each under the name of its read method. A missing value is
 * undefined, missing lists are empty.
 */
export interface LoadedGroup {
  tree: Uint8Array | undefined;
  queuedProposals: Array<[ref: Uint8Array, proposal: Uint8Array]>;
  groupContext: Uint8Array | undefined;
  interimTranscriptHash: Uint8Array | undefined;
  confirmationTag: Uint8Array | undefined;
  groupEpochSecrets: Uint8Array | undefined;
  ownLeafIndex: Uint8Array | undefined;
  messageSecrets: Uint8Array | undefined;
  resumptionPskStore: Uint8Array | undefined;
  mlsGroupJoinConfig: Uint8Array | undefined;
  ownLeafNodes: Uint8Array[];
  groupState: Uint8Array | undefined;
  applicationExportTree: Uint8Array | undefined;
}

/**
 * A store or a transaction: the contract, plus deleteGroup, loadGroup,
 * nested transactions and the OpenMLS MemoryStorage calls.
 */
export interface StoreCalls extends StorageProvider, OpenMlsCalls {
  /** Removes every group-scoped record of the group, in every method group, in one atomic step. */
  deleteGroup(groupId: Bytes): Promise<void>;
  /**
   * Everything OpenMLS reads to load a group (tree, queuedProposals,
   * groupContext, interimTranscriptHash, confirmationTag, groupEpochSecrets,
   * ownLeafIndex, messageSecrets, resumptionPskStore, mlsGroupJoinConfig,
   * ownLeafNodes, groupState, applicationExportTree) in one call and one
   * IndexedDB transaction: the same results as those 13 calls, several
   * times faster. On a transaction it sees the transaction's writes.
   */
  loadGroup(groupId: Bytes): Promise<LoadedGroup>;
  /**
   * Runs fn as one transaction and resolves to what fn resolved to. fn gets a
   * view whose reads see its own writes. When fn resolves, everything written
   * through tx is committed together (calls fn made without awaiting them
   * finish first); when fn throws or rejects, nothing is committed and the
   * transaction rejects with fn's own error. Use tx, not the store, inside fn:
   * the store's writes wait until the transaction ends, so awaiting one inside
   * fn never finishes. Called on a transaction, it nests: the inner writes join
   * the outer transaction when the inner fn succeeds. Inside fn, writes are
   * checked when made (types, argument count, key lengths) and resolve at
   * once; they reach the wasm together before the next read or the commit.
   */
  transaction<T>(fn: (tx: MlsTransaction) => Promise<T> | T): Promise<T>;
}

/** The detail of a "change" event of MlsStore. */
export interface ChangeDetail {
  /**
   * The ids of the groups whose group-scoped records another tab or worker
   * wrote or deleted in one commit (or in several, merged when this page
   * fell behind), each once, in bytewise order.
   */
  readonly groups: Uint8Array[];
  /**
   * The method groups that commit wrote to, as ContractMethod.group names
   * ("tree", "proposal_queue", "key_package", ...). Writes to key packages,
   * PSKs and key pairs name their method group but no group.
   */
  readonly methodGroups: string[];
}

/** The detail of a "close" event of MlsStore. */
export interface CloseDetail {
  /** Always 'Closed': later calls reject with this code. */
  readonly code: 'Closed';
  /**
   * Why: 'versionchange' when another tab or worker opened the store with a
   * newer schema (newer code) or deleted it, 'browser' when the browser
   * closed the connection (site data cleared, storage failure).
   */
  readonly reason: 'versionchange' | 'browser';
  /** A description; it never contains key or value bytes. */
  readonly message: string;
}

/** The events of MlsStore. */
export interface MlsStoreEventMap {
  /**
   * Another tab or worker committed changes to this store (never this page's
   * own commits). A hint to reload the named groups from the store.
   */
  change: CustomEvent<ChangeDetail>;
  /**
   * The connection was closed from outside (a newer schema, a deleted
   * database, the browser). The store is closed: later calls reject with
   * Closed. The app reloads (newer code now owns the data) or reopens.
   */
  close: CustomEvent<CloseDetail>;
}

/** Options of MlsStore.withGroupLock. */
export interface GroupLockOptions {
  /** Ends the wait for the lock: withGroupLock then rejects with signal.reason. */
  signal?: AbortSignal;
}

/**
 * A store opened by openStore. Writes and transactions of every tab and
 * worker of the origin are serialized (the Web Lock "mlsidb:" + name +
 * ":store", taken by the wasm for each write and transaction), so two tabs
 * can use one store at once without losing a read-modify-write such as
 * appendOwnLeafNode; reads take no lock. It is an EventTarget with the
 * events of MlsStoreEventMap.
 */
export declare class MlsStore extends EventTarget implements StoreCalls {
  private constructor();
  /** The store's name. */
  readonly name: string;
  /**
   * True when this openStore created the database: it did not exist. That is
   * a first run, or the data was deleted since: by the user clearing site
   * data, by the browser evicting the origin's storage, or by Chromium, which
   * deletes a database it finds corrupt when it opens it (seen after repeated
   * browser crashes; see the README's "Crashes"). An app that knows it stored
   * MLS state before (it registered this device with its server, say) tells
   * a lost store from a new one by this, and rejoins its groups. False when
   * the database was there, and for a second openStore of a store this page
   * has open already. Exactly one open sees true: the one that created the
   * database (another tab opening it a moment later, or this page after a
   * reload, sees false), so an app that finds its store lost should record
   * that in its own storage at once.
   */
  readonly created: boolean;
  /**
   * The store's ID, 32 lowercase hex digits: made at random when the store
   * was first opened, and never changed. A store that was deleted (site data
   * cleared, a corrupt database deleted by the browser) and made again has a
   * new ID, which every later open, in every tab and after every reload,
   * sees. Keep the ID of the store your MLS state is in (with your delivery
   * service registration, or in localStorage) and compare it at each start:
   * unlike created, it cannot be missed. Not a secret.
   */
  readonly id: string;
  /** True once close was called, or once the connection was closed from outside ("close" event). */
  readonly closed: boolean;
  /**
   * Closes the store: calls already made finish first, later calls reject
   * with code Closed. Closing again does nothing.
   */
  close(): Promise<void>;
  deleteGroup(groupId: Bytes): Promise<void>;
  loadGroup(groupId: Bytes): Promise<LoadedGroup>;
  transaction<T>(fn: (tx: MlsTransaction) => Promise<T> | T): Promise<T>;
  /**
   * Runs fn while this page holds the exclusive lock of the group, a Web Lock
   * ("mlsidb:" + name + ":group:" + hex SHA-256 of the group id) shared by
   * every tab and worker of the origin: no other withGroupLock of this store
   * and group runs meanwhile. OpenMLS asks for exclusive access per group
   * operation; wrap each MLS operation (load, compute, transaction) in it.
   * Resolves to fn's result; rejects with fn's own error, or with
   * options.signal.reason when the signal aborts the wait. The lock is
   * advisory (writes do not wait for it) and not re-entrant: a nested
   * withGroupLock of the same group waits for itself. Take it outside
   * transactions and run the transaction inside fn (group lock first, then
   * the store's writer lock), never the other way round: two tabs taking
   * them in opposite orders would wait for each other.
   */
  withGroupLock<T>(groupId: Bytes, fn: () => Promise<T> | T, options?: GroupLockOptions): Promise<T>;
  addEventListener<K extends keyof MlsStoreEventMap>(type: K, listener: (this: MlsStore, ev: MlsStoreEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof MlsStoreEventMap>(type: K, listener: (this: MlsStore, ev: MlsStoreEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}
export interface MlsStore extends StorageProvider, OpenMlsCalls {}

/** The view of a store inside store.transaction; it ends when the callback settles. */
export declare class MlsTransaction implements StoreCalls {
  private constructor();
  deleteGroup(groupId: Bytes): Promise<void>;
  loadGroup(groupId: Bytes): Promise<LoadedGroup>;
  transaction<T>(fn: (tx: MlsTransaction) => Promise<T> | T): Promise<T>;
}
export interface MlsTransaction extends StorageProvider, OpenMlsCalls {}

/**
 * Opens (creating it if needed) the store called options.name. The first
 * call of a page or worker loads the wasm; calls made meanwhile wait for it.
 * Several stores may be open at once; opening a name twice on one page
 * shares one store underneath (pass the same durability).
 */
export declare function openStore(options: OpenOptions): Promise<MlsStore>;

/**
 * The contract's 56 methods, in the order of the OpenMLS trait, once the
 * wasm is loaded (loading it if needed).
 */
export declare function contractMethods(options?: Pick<OpenOptions, 'wasm' | 'wasmExec'>): Promise<ReadonlyArray<ContractMethod>>;
