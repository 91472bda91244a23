/**
 * The Store seam (DESIGN.md §4), in the spirit of libnetwork's datastore: a key-value store
 * whose every value carries its modification revision, with compare-and-swap writes, atomic
 * multi-key transactions and a watch. Shaped so etcd fits without changing callers:
 * one store-wide revision that increases by one per committed write transaction.
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
}

export interface WriteOptions {
  /** Compare-and-swap: the key's current modRevision must equal this; 0 means "must not exist". */
  readonly expectRevision?: number;
}

/** A condition of a transaction: the key's modRevision equals `modRevision` (0: absent). */
export interface Condition {
  readonly key: string;
  readonly modRevision: number;
}

export type Op = { readonly type: 'put'; readonly key: string; readonly value: unknown } | { readonly type: 'delete'; readonly key: string };

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

export interface Watch {
  close(): void;
}

export interface Store {
  get<V = unknown>(key: string): Promise<KeyValue<V> | undefined>;
  /** Every key starting with prefix, sorted by key. */
  list<V = unknown>(prefix: string): Promise<KeyValue<V>[]>;
  /** Throws NetdError('conflict') when expectRevision does not match. Returns the new revision. */
  put(key: string, value: unknown, opts?: WriteOptions): Promise<number>;
  /** Throws NetdError('conflict') when expectRevision does not match; deleting an absent key without a condition is a no-op. */
  delete(key: string, opts?: WriteOptions): Promise<number>;
  /** All conditions hold → all ops applied atomically with one new revision; else nothing. */
  txn(conditions: readonly Condition[], ops: readonly Op[]): Promise<TxnResult>;
  /** Events for keys under prefix with revision > fromRevision, in revision order, then live. */
  watch(prefix: string, fromRevision: number, onEvent: (e: WatchEvent) => void): Watch;
  /** The current store revision. */
  revision(): Promise<number>;
  close(): Promise<void>;
}
