/**
 * An in-process Store, for unit tests and as the empty store read-only commands see when there
 * is no state dir yet: the same semantics as the SQLite and etcd stores
 * (one store-wide revision, compare-and-swap, atomic transactions, watch with replay), no
 * durability. Values are copied in and out so callers never share objects with the store.
 */
import type { Condition, KeyValue, Op, Store, TxnResult, Watch, WatchEvent, WriteOptions } from './store.js';
import { checkOps, conflictError, WatchHub } from './common.js';

interface Entry {
  readonly value: unknown;
  readonly modRevision: number;
  readonly createRevision: number;
}

export class MemoryStore implements Store {
  #data = new Map<string, Entry>();
  #rev = 0;
  #log: WatchEvent[] = [];
  #hub = new WatchHub();
  #closed = false;

  async get<V = unknown>(key: string): Promise<KeyValue<V> | undefined> {
    const e = this.#data.get(key);
    return e && kv<V>(key, e);
  }

  async list<V = unknown>(prefix: string): Promise<KeyValue<V>[]> {
    const out: KeyValue<V>[] = [];
    for (const [key, e] of this.#data) if (key.startsWith(prefix)) out.push(kv<V>(key, e));
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async put(key: string, value: unknown, opts: WriteOptions = {}): Promise<number> {
    const conds = opts.expectRevision === undefined ? [] : [{ key, modRevision: opts.expectRevision }];
    const r = this.#apply(conds, [{ type: 'put', key, value }]);
    if (!r.succeeded) throw conflictError('put', key, opts.expectRevision!, this.#data.get(key)?.modRevision ?? 0);
    return r.revision;
  }

  async delete(key: string, opts: WriteOptions = {}): Promise<number> {
    const conds = opts.expectRevision === undefined ? [] : [{ key, modRevision: opts.expectRevision }];
    const r = this.#apply(conds, [{ type: 'delete', key }]);
    if (!r.succeeded) throw conflictError('delete', key, opts.expectRevision!, this.#data.get(key)?.modRevision ?? 0);
    return r.revision;
  }

  async txn(conditions: readonly Condition[], ops: readonly Op[]): Promise<TxnResult> {
    return this.#apply(conditions, ops);
  }

  watch(prefix: string, fromRevision: number, onEvent: (e: WatchEvent) => void): Watch {
    const backlog = this.#log.filter((e) => e.revision > fromRevision && e.key.startsWith(prefix));
    return this.#hub.add(prefix, backlog, onEvent);
  }

  async revision(): Promise<number> {
    return this.#rev;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#hub.closeAll();
  }

  #apply(conditions: readonly Condition[], ops: readonly Op[]): TxnResult {
    if (this.#closed) throw new Error('store is closed');
    checkOps(ops);
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
        this.#data.set(op.key, { value, modRevision: rev, createRevision });
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
  return { key, value: structuredClone(e.value) as V, modRevision: e.modRevision, createRevision: e.createRevision };
}
