/**
 * The resolver's life: it opens the state dir's store read-only, and every `pollMs` compares
 * the store revision (one row of SQLite's meta table: cheap) with the one it served; when it
 * moved, it reads the networks, sandboxes and endpoints again and rebinds (DESIGN.md §10:
 * changes are followed within a second). It also retries addresses that failed to bind.
 * Before the state dir has a database (watch's first pass has not run), it waits for one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import { openStoreForReading } from '../store/health.js';
import { loadRecorded } from '../store/recorded.js';
import { stateFileExists } from '../store/statedir.js';
import { DB_FILE } from '../store/sqlite.js';
import type { Store } from '../store/store.js';
import { join } from 'node:path';
import { DnsServer } from './server.js';
import { HostResolvers } from './upstream.js';
import { buildZones } from './zone.js';

export interface ServeOptions {
  readonly stateDir: string;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly pollMs?: number;
  /** Where the host's nameservers are read (default /etc/resolv.conf). */
  readonly resolvConf?: string;
  /** Told after each rebind: the addresses now served and the store revision they follow. */
  readonly onServe?: (bound: readonly string[], revision: number) => void;
}

/** Serves until the signal aborts; read errors are logged and retried, never fatal. */
export async function serveDns(o: ServeOptions): Promise<void> {
  const server = new DnsServer(o.log, new HostResolvers(o.resolvConf));
  const pollMs = o.pollMs ?? 200;
  let store: Store | undefined;
  let served = -1;
  let lastError = '';
  try {
    while (!o.signal.aborted) {
      try {
        store ??= stateFileExists(join(o.stateDir, DB_FILE), 'read') ? openStoreForReading(o.stateDir) : undefined;
        const rev = store ? await store.revision() : -1;
        if (store && (rev !== served || server.pending)) {
          await server.update(buildZones(await loadRecorded(store)));
          served = rev;
          o.onServe?.(server.bound, rev);
        }
        lastError = '';
      } catch (e) {
        // A database replaced or migrated underneath: open it again next time.
        await store?.close().catch(() => undefined);
        store = undefined;
        if (messageOf(e) !== lastError) o.log.warn(`dns: reading the records: ${messageOf(e)}`);
        lastError = messageOf(e);
      }
      await sleep(pollMs, undefined, { signal: o.signal }).catch(() => undefined);
    }
  } finally {
    await server.close();
    await store?.close();
  }
}
