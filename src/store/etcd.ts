/**
 * The cluster's shared Store on etcd (DESIGN.md §4, §9), with the `etcd3` client: ranges for
 * get and list, transactions comparing each key's mod revision for compare-and-swap, etcd's
 * leases, and a level-based watch (etcd-watch.ts).
 *
 * Revisions are etcd's minus one: an empty etcd is at revision 1, and every store starts at
 * revision 0. Keys live under `prefix` in etcd.
 */
import { CompareResult, CompareTarget, EtcdLeaseInvalidError, type Etcd3, type ICompare, type IKeyValue, type IRequestOp } from 'etcd3';
import { NetdError } from '../errors.js';
import { checkOps, checkTtl, conflictError, leaseNotFound, parseRecord, singleOp } from './common.js';
import { connectEtcd, etcdCall, type EtcdConnectOptions } from './etcd-connect.js';
import { watchEtcd } from './etcd-watch.js';
import type { Condition, KeyValue, Leases, Op, Store, TxnResult, Watch, WatchEvent, WatchReset, WriteOptions } from './store.js';

export interface EtcdStoreOptions extends EtcdConnectOptions {
  /** Every key is stored under this prefix (e.g. "/netd/"). */
  readonly prefix?: string;
}

export async function openEtcdStore(opts: EtcdStoreOptions): Promise<EtcdStore> {
  const { client, endpoint } = await connectEtcd(opts);
  return new EtcdStore(client, endpoint, opts.prefix ?? '');
}

const toStore = (etcdRevision: string | number): number => Number(etcdRevision) - 1;
/** A condition's or expectRevision's store revision in etcd; 0 (absent) stays 0. */
const toEtcd = (rev: number): number => (rev === 0 ? 0 : rev + 1);

export class EtcdStore implements Store {
  readonly leases: Leases;
  readonly #client: Etcd3;
  readonly #call: Call;
  readonly #prefix: Buffer;
  readonly #watches = new Set<Watch>();

  constructor(client: Etcd3, endpoint: string, prefix: string) {
    this.#client = client;
    this.#call = (what, fn) => etcdCall(endpoint, what, fn);
    this.#prefix = Buffer.from(prefix);
    this.leases = new EtcdLeases(client, this.#call);
  }

  async get<V = unknown>(key: string): Promise<KeyValue<V> | undefined> {
    const res = await this.#call(`get "${key}"`, () => this.#client.kv.range({ key: this.#key(key) }));
    return res.kvs[0] && this.#kv<V>(res.kvs[0]);
  }

  async list<V = unknown>(prefix: string): Promise<KeyValue<V>[]> {
    const range = { ...this.#range(prefix), sort_order: 'Ascend', sort_target: 'Key' } as const;
    const res = await this.#call(`list "${prefix}"`, () => this.#client.kv.range(range));
    return res.kvs.map((kv) => this.#kv<V>(kv));
  }

  async put(key: string, value: unknown, opts: WriteOptions = {}): Promise<number> {
    return this.#single('put', key, value, opts);
  }

  async delete(key: string, opts: WriteOptions = {}): Promise<number> {
    return this.#single('delete', key, undefined, opts);
  }

  async txn(conditions: readonly Condition[], ops: readonly Op[]): Promise<TxnResult> {
    const r = await this.#txn(conditions, ops, []);
    return { succeeded: r.succeeded, revision: r.revision };
  }

  watch(prefix: string, fromRevision: number, onEvent: (e: WatchEvent | WatchReset) => void): Watch {
    const range = this.#range(prefix);
    const spec = { start: range.key, end: range.range_end, strip: this.#prefix.length, startRevision: fromRevision + 2, revision: toStore };
    const inner = watchEtcd(this.#client, spec, onEvent);
    const w: Watch = {
      close: () => {
        this.#watches.delete(w);
        inner.close();
      },
    };
    this.#watches.add(w);
    return w;
  }

  async revision(): Promise<number> {
    // etcd refuses an empty key: without a prefix, ask for the (absent) key "\0".
    const key = this.#prefix.length > 0 ? this.#key('') : Buffer.from([0]);
    const res = await this.#call('revision', () => this.#client.kv.range({ key, limit: 1, keys_only: true }));
    return toStore(res.header.revision);
  }

  close(): Promise<void> {
    for (const w of [...this.#watches]) w.close();
    this.#client.close();
    return Promise.resolve();
  }

  async #single(what: 'put' | 'delete', key: string, value: unknown, opts: WriteOptions): Promise<number> {
    const { conds, ops } = singleOp(what, key, value, opts);
    // On failure the same transaction reads the key, for the conflict message.
    const r = await this.#txn(conds, ops, [{ request_range: { key: this.#key(key) } }]);
    if (!r.succeeded) {
      const kv = r.failure?.[0]?.response_range.kvs[0];
      throw conflictError(what, key, opts.expectRevision!, kv ? toStore(kv.mod_revision) : 0);
    }
    return r.revision;
  }

  async #txn(conditions: readonly Condition[], ops: readonly Op[], failure: IRequestOp[]) {
    checkOps(ops);
    const compare: ICompare[] = conditions.map((c) => ({
      key: this.#key(c.key),
      target: CompareTarget.Mod,
      result: CompareResult.Equal,
      mod_revision: toEtcd(c.modRevision),
    }));
    const success: IRequestOp[] = ops.map((op) => (op.type === 'put' ? { request_put: this.#put(op) } : { request_delete_range: { key: this.#key(op.key) } }));
    const res = await this.#call('transaction', async () => {
      try {
        return await this.#client.kv.txn({ compare, success, failure });
      } catch (e) {
        const lease = ops.find((op) => op.type === 'put' && op.lease !== undefined);
        if (e instanceof EtcdLeaseInvalidError && lease?.type === 'put') throw leaseNotFound(lease.lease!);
        throw e;
      }
    });
    return { succeeded: res.succeeded, revision: toStore(res.header.revision), failure: res.succeeded ? undefined : res.responses };
  }

  #put(op: Extract<Op, { type: 'put' }>) {
    const json = JSON.stringify(op.value);
    if (json === undefined) throw new NetdError('invalid', `put "${op.key}": value is not JSON`);
    return { key: this.#key(op.key), value: Buffer.from(json), ...(op.lease !== undefined && { lease: op.lease }) };
  }

  #key(key: string): Buffer {
    return Buffer.concat([this.#prefix, Buffer.from(key)]);
  }

  /** The etcd range holding every key under prefix; etcd refuses an empty key, so "" is "\0". */
  #range(prefix: string): { key: Buffer; range_end: Buffer } {
    const start = this.#key(prefix);
    return { key: start.length === 0 ? Buffer.from([0]) : start, range_end: prefixEnd(start) };
  }

  #kv<V>(kv: IKeyValue): KeyValue<V> {
    const key = kv.key.subarray(this.#prefix.length).toString();
    const out = { key, value: parseRecord(key, kv.value.toString()) as V, modRevision: toStore(kv.mod_revision), createRevision: toStore(kv.create_revision) };
    return kv.lease === '0' ? out : { ...out, lease: kv.lease };
  }
}

/** etcd's range end for a prefix: the prefix with its last byte below 0xff incremented ("\0" = to the end). */
function prefixEnd(prefix: Buffer): Buffer {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i]! < 0xff) return Buffer.concat([prefix.subarray(0, i), Buffer.from([prefix[i]! + 1])]);
  }
  return Buffer.from([0]);
}

type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

class EtcdLeases implements Leases {
  readonly #client: Etcd3;
  readonly #call: Call;
  constructor(client: Etcd3, call: Call) {
    this.#client = client;
    this.#call = call;
  }

  async grant(ttlSeconds: number): Promise<string> {
    checkTtl(ttlSeconds);
    return (await this.#call('lease grant', () => this.#client.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: 0 }))).ID;
  }

  keepAlive(id: string): Promise<number> {
    return this.#call(`lease ${id} keepalive`, () => this.#keepAlive(id));
  }

  async #keepAlive(id: string): Promise<number> {
    const stream = await this.#client.leaseClient.leaseKeepAlive();
    try {
      const res = await new Promise<{ TTL: string }>((resolve, reject) => {
        stream.on('data', resolve);
        stream.on('error', reject);
        stream.write({ ID: id });
      });
      const ttl = Number(res.TTL);
      if (ttl <= 0) throw leaseNotFound(id); // etcd answers TTL 0 for a lease it does not have
      return ttl;
    } finally {
      stream.end();
    }
  }

  async revoke(id: string): Promise<void> {
    await this.#call(`lease ${id} revoke`, async () => {
      try {
        await this.#client.leaseClient.leaseRevoke({ ID: id });
      } catch (e) {
        if (!(e instanceof EtcdLeaseInvalidError)) throw e;
      }
    });
  }

  async timeToLive(id: string): Promise<number | undefined> {
    const res = await this.#call(`lease ${id} time to live`, () => this.#client.leaseClient.leaseTimeToLive({ ID: id }));
    const ttl = Number(res.TTL);
    return ttl < 0 ? undefined : ttl; // etcd answers -1 for a lease it does not have
  }
}
