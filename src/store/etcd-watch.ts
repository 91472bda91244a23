/**
 * A level-based watch on etcd. etcd3's watcher cannot be trusted to replay: it surfaces a
 * compaction only as a generic "Watcher canceled" error, and after an etcd restart it resumed
 * past 2,000 undelivered events (both measured). So every reconnect and every error is
 * delivered as a reset — the caller re-lists and diffs — and nothing is replayed.
 */
import type { Etcd3, IWatchResponse, Watcher } from 'etcd3';
import { messageOf } from '../errors.js';
import { parseRecord } from './common.js';
import type { Watch, WatchEvent, WatchReset } from './store.js';

export interface EtcdWatchSpec {
  /** The key range, with the store's key prefix (start is never empty: etcd refuses that). */
  readonly start: Buffer;
  readonly end: Buffer;
  /** Length of the store's key prefix, cut from every key delivered. */
  readonly strip: number;
  /** etcd's first revision to deliver. */
  readonly startRevision: number;
  /** etcd's revision → the store's. */
  readonly revision: (etcdRevision: string) => number;
}

export function watchEtcd(client: Etcd3, spec: EtcdWatchSpec, onEvent: (e: WatchEvent | WatchReset) => void): Watch {
  let closed = false;
  const emit = (e: WatchEvent | WatchReset): void => {
    if (!closed) onEvent(e);
  };
  const start = (startRevision: number | undefined, resetWhenConnected: string | undefined): Watcher => {
    const b = client.watch().inRange({ start: spec.start, end: spec.end });
    if (startRevision !== undefined) b.startRevision(String(startRevision));
    const w = b.watcher();
    let reset = resetWhenConnected;
    // The reset is delivered once the new stream is attached: a re-list after it sees every
    // write the stream does not deliver.
    w.on('connected', () => {
      if (reset === undefined) return;
      emit({ type: 'reset', reason: reset });
      reset = undefined;
    });
    w.on('disconnected', (err: unknown) => {
      reset ??= `etcd watch reconnected after: ${messageOf(err)}`;
    });
    w.on('data', (res: IWatchResponse) => {
      for (const ev of res.events) {
        const key = ev.kv.key.subarray(spec.strip).toString();
        const revision = spec.revision(ev.kv.mod_revision);
        emit(ev.type === 'Put' ? { type: 'put', key, value: parseRecord(key, ev.kv.value.toString()), revision } : { type: 'delete', key, revision });
      }
    });
    // etcd has canceled this watch (a compaction, or another server-side reason); etcd3 has
    // already dropped it, so a new one starts from the current revision.
    w.on('error', (err: unknown) => {
      if (closed) return;
      current = start(undefined, `etcd watch canceled: ${messageOf(err)}`);
    });
    return w;
  };
  let current = start(spec.startRevision, undefined);
  return {
    close: () => {
      if (closed) return;
      closed = true;
      current.cancel().catch(() => {}); // the client may already be closed
    },
  };
}
