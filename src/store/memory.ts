/**
 * An in-process Store, for unit tests and as the empty store read-only commands see when there
 * is no state dir yet: the same semantics as the SQLite and etcd stores
 * (one store-wide revision, compare-and-swap, atomic transactions, watch with replay, leases),
 * no durability. Values are copied in and out so callers never share objects with the store.
 *
 * Leases run on an injectable clock (`now`, ms). Nothing runs in the background: an expired
 * lease is revoked (its keys deleted, with watch events) when time is observed to have passed,
 * at the start of every store call or by `expire()`.
 */
import type { Condition, KeyValue, Leases, Op, Store, TxnResult, Watch, WatchEvent, WatchReset, WriteOptions } from './store.js';
import { checkOps, checkTtl, conflictError, leaseNotFound, singleOp, WatchHub } from './common.js';

interface Entry {
  readonly value: unknown;
  readonly modRevision: number;
  readonly createRevision: number;
  readonly lease?: string;
}

interface Lease {
  readonly ttl: number;
  expiresAt: number;
}

export interface MemoryStoreOptions {
  /** The clock leases run on, in ms (default Date.now). */
  readonly now?: () => number;
}

export class MemoryStore implements Store {
  readonly leases: Leases;
  #data = new Map<string, Entry>();
  #rev = 0;
  #log: WatchEvent[] = [];
  #hub = new WatchHub();
  #closed = false;
  #leases = new Map<string, Lease>();
  #nextLease = 1;
  readonly #now: () => number;

  constructor(opts: MemoryStoreOptions = {}) {
    this.#now = opts.now ?? Date.now;
    this.leases = {
      grant: async (ttl) => this.#grant(ttl),
      keepAlive: async (id) => this.#keepAlive(id),
      revoke: async (id) => {
        this.expire();
        this.#revoke(id);
      },
      timeToLive: async (id) => {
        this.expire();
        const l = this.#leases.get(id);
        return l && Math.ceil((l.expiresAt - this.#now()) / 1000);
      },
    };
  }

  async get<V = unknown>(key: string): Promise<KeyValue<V> | undefined> {
    this.expire();
    const e = this.#data.get(key);
    return e && kv<V>(key, e);
  }

  async list<V = unknown>(prefix: string): Promise<KeyValue<V>[]> {
    this.expire();
    const out: KeyValue<V>[] = [];
    for (const [key, e] of this.#data) if (key.startsWith(prefix)) out.push(kv<V>(key, e));
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async put(key: string, value: unknown, opts: WriteOptions = {}): Promise<number> {
    return this.#single('put', key, value, opts);
  }

  async delete(key: string, opts: WriteOptions = {}): Promise<number> {
    return this.#single('delete', key, undefined, opts);
  }

  async txn(conditions: readonly Condition[], ops: readonly Op[]): Promise<TxnResult> {
    this.expire();
    return this.#apply(conditions, ops);
  }

  /** Never resets: the whole history is kept. */
  watch(prefix: string, fromRevision: number, onEvent: (e: WatchEvent | WatchReset) => void): Watch {
    this.expire();
    const backlog = this.#log.filter((e) => e.revision > fromRevision && e.key.startsWith(prefix));
    return this.#hub.add(prefix, backlog, onEvent);
  }

  async revision(): Promise<number> {
    this.expire();
    return this.#rev;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#hub.closeAll();
  }

  /** Revokes every lease whose time has passed on the clock (each in its own revision, as etcd does). */
  expire(): void {
    if (this.#closed) return;
    const now = this.#now();
    for (const [id, l] of [...this.#leases]) if (l.expiresAt <= now) this.#revoke(id);
  }

  #grant(ttl: number): string {
    this.expire();
    checkTtl(ttl);
    const id = String(this.#nextLease++);
    this.#leases.set(id, { ttl, expiresAt: this.#now() + ttl * 1000 });
    return id;
  }

  #keepAlive(id: string): number {
    this.expire();
    const l = this.#leases.get(id);
    if (!l) throw leaseNotFound(id);
    l.expiresAt = this.#now() + l.ttl * 1000;
    return l.ttl;
  }

  #revoke(id: string): void {
    if (!this.#leases.delete(id)) return;
    const ops: Op[] = [];
    for (const [key, e] of this.#data) if (e.lease === id) ops.push({ type: 'delete', key });
    this.#apply([], ops);
  }

  #single(what: 'put' | 'delete', key: string, value: unknown, opts: WriteOptions): number {
    this.expire();
    const { conds, ops } = singleOp(what, key, value, opts);
    const r = this.#apply(conds, ops);
    if (!r.succeeded) throw conflictError(what, key, opts.expectRevision!, this.#data.get(key)?.modRevision ?? 0);
    return r.revision;
  }

  #apply(conditions: readonly Condition[], ops: readonly Op[]): TxnResult {
    if (this.#closed) throw new Error('store is closed');
    checkOps(ops);
    for (const op of ops) if (op.type === 'put' && op.lease !== undefined && !this.#leases.has(op.lease)) throw leaseNotFound(op.lease);
    for (const c of conditions) {
      if ((this.#data.get(c.key)?.modRevision ?? 0) !== c.modRevision) return { succeeded: false, revision: this.#rev };
    }
    // Like etcd: a transaction that changes nothing does not advance the revision.
    const changes = ops.some((op) => op.type === 'put' || this.#data.has(op.key));
    if (!changes) return { succeeded: true, revision: this.#rev };
    const rev = ++this.#rev;
    const events: WatchEvent[] = [];
    for (const op of ops) {
      if (op.type === 'put') {
        const value = structuredClone(op.value);
        const createRevision = this.#data.get(op.key)?.createRevision ?? rev;
        const entry: Entry =
          op.lease === undefined ? { value, modRevision: rev, createRevision } : { value, modRevision: rev, createRevision, lease: op.lease };
        this.#data.set(op.key, entry);
        events.push({ type: 'put', key: op.key, value: structuredClone(value), revision: rev });
      } else if (this.#data.delete(op.key)) {
        events.push({ type: 'delete', key: op.key, revision: rev });
      }
    }
    this.#log.push(...events);
    this.#hub.publish(events);
    return { succeeded: true, revision: rev };
  }
}

function kv<V>(key: string, e: Entry): KeyValue<V> {
  const out = { key, value: structuredClone(e.value) as V, modRevision: e.modRevision, createRevision: e.createRevision };
  return e.lease === undefined ? out : { ...out, lease: e.lease };
}
