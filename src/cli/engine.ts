/** What the converging commands share: the store, the runner, the state-dir lock. */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { NetdError } from '../errors.js';
import { ExecRunner } from '../kernel/index.js';
import { openStoreForReading } from '../store/health.js';
import { LOCK_FILE, PID_FILE, acquireStateLock } from '../store/lock.js';
import { DB_FILE, dbCompanions, openSqliteStore } from '../store/sqlite.js';
import { refuseSymlinks } from '../store/statedir.js';
import type { Engine } from '../reconcile/reconcile.js';
import { loadRecorded } from '../reconcile/snapshot.js';
import type { RecordedState } from '../plan/types.js';
import type { Store } from '../store/store.js';
import type { Context } from './context.js';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `60` (seconds), `60s`, `2m`, `1h`, `1m30s`, `500ms` → milliseconds; `positive` refuses 0. */
export function parseDuration(text: string, flag: string, opts: { positive?: boolean } = {}): number {
  const t = text.trim();
  const parts = /^\d+(?:\.\d+)?$/.test(t) ? [[t, t, 's']] : [...t.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== t) {
    throw new NetdError('usage', `${flag}: "${text}" is not a duration (e.g. 60s, 2m, 1h, 1m30s, 500ms)`);
  }
  const ms = Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]!]!, 0));
  if (opts.positive && ms <= 0) throw new NetdError('usage', `${flag}: must be longer than 0 (e.g. 60s)`);
  return ms;
}

/**
 * Runs fn with an engine on the state dir's store. With `lock` (mutating commands), holding the
 * state-dir lock on a store it creates and migrates if needed; without, on a read-only store
 * that creates nothing (empty when there is no state yet), for diff and apply --dry-run.
 */
export async function withEngine<T>(ctx: Context, opts: { lock: boolean }, fn: (e: Engine) => Promise<T>): Promise<T> {
  const timeout = typeof ctx.values['lock-timeout'] === 'string' ? parseDuration(ctx.values['lock-timeout'], '--lock-timeout') : 60_000;
  const lock = opts.lock
    ? await acquireStateLock(ctx.stateDir, {
        timeoutMs: timeout,
        onWait: (pid) => ctx.err(`waiting for the state-dir lock on ${ctx.stateDir}${pid ? ` (held by pid ${pid})` : ''}`),
      })
    : undefined;
  let store: Store;
  try {
    store = lock ? await openSqliteStore(ctx.stateDir) : openStoreForReading(ctx.stateDir);
  } catch (e) {
    lock?.release();
    throw e;
  }
  try {
    return await fn({ store, runner: new ExecRunner(), log: ctx.log });
  } finally {
    await store.close();
    lock?.release();
  }
}

/**
 * With no state yet, taking the lock creates the state dir: a mutating command that may refuse
 * runs its checks on a read-only store first, so that a refusal leaves no trace. [] otherwise.
 */
export async function problemsBeforeState(ctx: Context, check: (e: Engine) => Promise<readonly string[]>): Promise<readonly string[]> {
  if (lstatSync(join(ctx.stateDir, DB_FILE), { throwIfNoEntry: false })) return [];
  // What the lock and the store would refuse, they refuse first: the state dir is the user's to fix.
  const db = join(ctx.stateDir, DB_FILE);
  const lock = join(ctx.stateDir, LOCK_FILE);
  refuseSymlinks([lock, `${lock}-journal`, join(ctx.stateDir, PID_FILE), ...dbCompanions(db)], 'write');
  return withEngine(ctx, { lock: false }, check);
}

/** The store records, read without the lock and without the kernel (get, inspect, export, graph). */
export function readRecorded(ctx: Context): Promise<RecordedState> {
  return withEngine(ctx, { lock: false }, (e) => loadRecorded(e.store));
}
