/**
 * The Store seam (DESIGN.md §4), in the spirit of libnetwork's datastore: a key-value store
 * whose every value carries its modification revision, with compare-and-swap writes, atomic
 * multi-key transactions and a watch. Shaped so etcd fits without changing callers:
 * one store-wide revision that increases by one per committed write transaction, and optional
 * leases.
 *
 * Values are JSON-serializable objects.
 */

export interface KeyValue<V = unknown> {
  readonly key: string;
  readonly value: V;
  /** Revision of the transaction that last modified this key. */
  readonly modRevision: number;
  /** Revision of the transaction that created this key. */
  readonly createRevision: number;
  /** The lease the key is bound to (absent: not bound, e.g. a reservation). */
  readonly lease?: string;
}

export interface WriteOptions {
  /** Compare-and-swap: the key's current modRevision must equal this; 0 means "must not exist". */
  readonly expectRevision?: number;
  /** Binds the key to this lease (Store.leases): it is deleted when the lease ends. */
  readonly lease?: string;
}

/** A condition of a transaction: the key's modRevision equals `modRevision` (0: absent). */
export interface Condition {
  readonly key: string;
  readonly modRevision: number;
}

export type Op =
  { readonly type: 'put'; readonly key: string; readonly value: unknown; readonly lease?: string } | { readonly type: 'delete'; readonly key: string };

export interface TxnResult {
  /** false: a condition failed and nothing was written. */
  readonly succeeded: boolean;
  /** The store revision after the transaction (unchanged when it failed). */
  readonly revision: number;
}

export interface WatchEvent<V = unknown> {
  readonly type: 'put' | 'delete';
  readonly key: string;
  readonly value?: V;
  readonly revision: number;
}

/**
 * Watches are level-based: a reset (compaction, watch error, reconnect) means events may have
 * been missed; the caller re-lists and diffs, it is never replayed.
 */
export interface WatchReset {
  readonly type: 'reset';
  readonly reason: string;
}

export interface Watch {
  close(): void;
}

/**
 * An optional capability (etcd, memory): time-bounded leases; keys written with a lease are
 * deleted when it is revoked or expires.
 */
export interface Leases {
  /** Grants a lease of ttlSeconds; returns its id (etcd's lease id as a decimal string). */
  grant(ttlSeconds: number): Promise<string>;
  /** Renews the same lease id; returns the TTL it now has; NetdError('not-found') when it expired or was revoked. */
  keepAlive(id: string): Promise<number>;
  /** Revokes the lease and deletes every key bound to it; revoking an unknown lease is a no-op. */
  revoke(id: string): Promise<void>;
  /** Remaining seconds, or undefined when the lease does not exist. */
  timeToLive(id: string): Promise<number | undefined>;
}

export interface Store {
  /** Present when the store supports leases (not SQLite: leases are for shared cluster state). */
  readonly leases?: Leases;
  get<V = unknown>(key: string): Promise<KeyValue<V> | undefined>;
  /** Every key starting with prefix, sorted by key. */
  list<V = unknown>(prefix: string): Promise<KeyValue<V>[]>;
  /** Throws NetdError('conflict') when expectRevision does not match. Returns the new revision. */
  put(key: string, value: unknown, opts?: WriteOptions): Promise<number>;
  /** Throws NetdError('conflict') when expectRevision does not match; deleting an absent key without a condition is a no-op. */
  delete(key: string, opts?: WriteOptions): Promise<number>;
  /** All conditions hold → all ops applied atomically with one new revision; else nothing. */
  txn(conditions: readonly Condition[], ops: readonly Op[]): Promise<TxnResult>;
  /** Events for keys under prefix with revision > fromRevision, in revision order, then live; or a reset. */
  watch(prefix: string, fromRevision: number, onEvent: (e: WatchEvent | WatchReset) => void): Watch;
  /** The current store revision. */
  revision(): Promise<number>;
  close(): Promise<void>;
}
