/** After apply and delete: the resolver runs exactly when a recorded network has `dns: true` (dns/supervise.ts). */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { escapeControls, messageOf } from '../errors.js';
import { superviseResolver } from '../dns/supervise.js';
import { NETWORKS, type NetworkRecord } from '../state/records.js';
import { DB_FILE } from '../store/sqlite.js';
import type { Context } from './context.js';
import { withEngine } from './engine.js';

/** Starts, keeps or stops `netd dns`; false (after printing why) when it cannot serve. */
export async function superviseDns(ctx: Context): Promise<boolean> {
  if (!lstatSync(join(ctx.stateDir, DB_FILE), { throwIfNoEntry: false })) return true; // nothing recorded, nothing to serve
  try {
    const { networks, revision } = await withEngine(ctx, { lock: false }, async (e) => ({
      networks: (await e.store.list<NetworkRecord>(NETWORKS)).map((kv) => kv.value),
      revision: await e.store.revision(),
    }));
    const line = await superviseResolver(ctx.stateDir, networks, revision);
    if (line) ctx.err(line);
    return true;
  } catch (e) {
    ctx.err(`error: ${escapeControls(messageOf(e))}`);
    return false;
  }
}
