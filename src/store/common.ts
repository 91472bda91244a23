/** Pieces shared by the Store implementations. */
import { NetdError, escapeControls } from '../errors.js';
import type { Condition, Op, Watch, WatchEvent, WriteOptions } from './store.js';

export function conflictError(what: 'put' | 'delete', key: string, expected: number, actual: number): NetdError {
  const want = expected === 0 ? 'absent' : `at revision ${expected}`;
  const have = actual === 0 ? 'absent' : `at revision ${actual}`;
  return new NetdError('conflict', `${what} "${key}": expected ${want}, found ${have}`);
}

export function checkTtl(ttlSeconds: number): void {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new NetdError('invalid', `lease ttl ${ttlSeconds}: must be a positive whole number of seconds`);
}

export function leaseNotFound(id: string): NetdError {
  return new NetdError('not-found', `lease ${id}: not found (it expired or was revoked); grant a new one`);
}

/** A stored JSON value; a record that does not parse is a store error naming its key. */
export function parseRecord(key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new NetdError('internal', `store: record "${escapeControls(key)}" is not valid JSON (netd doctor tells how to repair it)`, { cause: e });
  }
}

/**
 * Like etcd, one transaction may touch a key only once: the outcome would depend on op order.
 * A store without leases refuses a write bound to one rather than keep the key forever.
 */
export function checkOps(ops: readonly Op[], leases = true): void {
  const seen = new Set<string>();
  for (const op of ops) {
    if (seen.has(op.key)) throw new NetdError('internal', `transaction touches key "${op.key}" more than once`);
    if (!leases && op.type === 'put' && op.lease !== undefined) {
      throw new NetdError('internal', `put "${op.key}": this store has no leases (leases are for the cluster's shared state in etcd)`);
    }
    seen.add(op.key);
  }
}

/** The ops of a single put or delete with its options. */
export function singleOp(what: 'put' | 'delete', key: string, value: unknown, opts: WriteOptions): { conds: Condition[]; ops: Op[] } {
  const conds = opts.expectRevision === undefined ? [] : [{ key, modRevision: opts.expectRevision }];
  const op: Op =
    what === 'delete' ? { type: 'delete', key } : opts.lease === undefined ? { type: 'put', key, value } : { type: 'put', key, value, lease: opts.lease };
  return { conds, ops: [op] };
}

/** The end of the key range that holds every key starting with prefix (for SQL range scans). */
export function prefixEnd(prefix: string): string {
  return `${prefix}\u{10FFFF}`;
}

interface Watcher {
  readonly prefix: string;
  readonly onEvent: (e: WatchEvent) => void;
  queue: WatchEvent[];
  scheduled: boolean;
  closed: boolean;
}

/**
 * Fans committed events out to watchers. Delivery is asynchronous (never inside the write
 * that caused it) and in revision order, the backlog first.
 */
export class WatchHub {
  #watchers = new Set<Watcher>();

  add(prefix: string, backlog: WatchEvent[], onEvent: (e: WatchEvent) => void): Watch {
    const w: Watcher = { prefix, onEvent, queue: backlog, scheduled: false, closed: false };
    this.#watchers.add(w);
    this.#schedule(w);
    return {
      close: () => {
        w.closed = true;
        this.#watchers.delete(w);
      },
    };
  }

  publish(events: readonly WatchEvent[]): void {
    for (const w of this.#watchers) {
      const mine = events.filter((e) => e.key.startsWith(w.prefix));
      if (mine.length === 0) continue;
      w.queue.push(...mine);
      this.#schedule(w);
    }
  }

  closeAll(): void {
    for (const w of this.#watchers) w.closed = true;
    this.#watchers.clear();
  }

  #schedule(w: Watcher): void {
    if (w.scheduled || w.queue.length === 0) return;
    w.scheduled = true;
    queueMicrotask(() => {
      w.scheduled = false;
      const batch = w.queue;
      w.queue = [];
      for (const e of batch) {
        if (w.closed) return;
        w.onEvent(e);
      }
    });
  }
}
