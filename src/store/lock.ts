/**
 * The state-dir lock: mutating commands hold it so two `netd apply` never interleave.
 *
 * The lock is an exclusive SQLite transaction (BEGIN EXCLUSIVE) on `<stateDir>/lock.db`.
 * SQLite's locks are POSIX advisory locks, which the kernel drops when the holder exits for
 * any reason, kill -9 included, so a lock is never stale; and SQLite also excludes a second
 * connection in the same process. Because the locked database cannot be read by others, the
 * holder writes its pid to `<stateDir>/lock.pid`, only so a waiter can say who holds the lock.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NetdError } from '../errors.js';
import { ensurePrivateFile, ensureStateDir, readPrivateFile, refuseSymlinks, writePrivateFile } from './statedir.js';

export interface LockOptions {
  /** Which lock of the state dir: `lock` (the default, every mutating command), `watch` (one daemon per state dir) or `dns` (one resolver). */
  readonly name?: 'lock' | 'watch' | 'dns';
  /** Give up after this long (default 60 s). */
  readonly timeoutMs?: number;
  /** Called once, when the lock is found taken, with the holder's pid if known. */
  readonly onWait?: (holderPid: number | undefined) => void;
  /** How often to try again while waiting (default 100 ms). */
  readonly retryMs?: number;
}

export interface StateLock {
  /** Idempotent. The lock also goes away when the process exits. */
  release(): void;
}

export const LOCK_FILE = 'lock.db';
export const PID_FILE = 'lock.pid';
/** The daemon lock: held by `netd watch` for its whole life. */
export const WATCH_LOCK_FILE = 'watch.db';
export const WATCH_PID_FILE = 'watch.pid';
/** The resolver's lock: held by whoever serves DNS for the state dir (`netd dns`, or `netd watch` in-process). */
export const DNS_LOCK_FILE = 'dns.db';
export const DNS_PID_FILE = 'dns.pid';

const filesOf = (name: LockOptions['name']): [string, string] =>
  name === 'watch' ? [WATCH_LOCK_FILE, WATCH_PID_FILE] : name === 'dns' ? [DNS_LOCK_FILE, DNS_PID_FILE] : [LOCK_FILE, PID_FILE];

export async function acquireStateLock(stateDir: string, opts: LockOptions = {}): Promise<StateLock> {
  const { timeoutMs = 60_000, onWait, retryMs = 100 } = opts;
  const [lockFile, pidFile] = filesOf(opts.name);
  ensureStateDir(stateDir);
  const file = join(stateDir, lockFile);
  refuseSymlinks([`${file}-journal`, join(stateDir, pidFile)], 'write');
  ensurePrivateFile(file);
  const db = new Database(file);
  const deadline = Date.now() + timeoutMs;
  let waited = false;
  try {
    db.pragma('busy_timeout = 0'); // we poll ourselves, so that onWait can report first
    while (!tryBegin(db)) {
      if (!waited) onWait?.(holderPid(stateDir, opts.name));
      waited = true;
      const left = deadline - Date.now();
      if (left <= 0) throw timeoutError(stateDir, timeoutMs, opts.name);
      await sleep(Math.min(retryMs, left));
    }
    writePrivateFile(join(stateDir, pidFile), `${process.pid}\n`);
  } catch (e) {
    db.close();
    throw e;
  }
  return {
    release: () => {
      if (!db.open) return;
      db.exec('ROLLBACK');
      db.close();
    },
  };
}

function tryBegin(db: Database.Database): boolean {
  try {
    db.exec('BEGIN EXCLUSIVE');
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_BUSY') return false;
    throw e;
  }
}

/** The pid in lock.pid (watch.pid), if it is readable; it may name a holder that has since exited. */
export function holderPid(stateDir: string, name?: LockOptions['name']): number | undefined {
  try {
    const pid = Number.parseInt(readPrivateFile(join(stateDir, filesOf(name)[1])).trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function timeoutError(stateDir: string, timeoutMs: number, name: LockOptions['name']): NetdError {
  const pid = holderPid(stateDir, name);
  const who = pid === undefined ? 'another process' : `pid ${pid}`;
  if (name === 'watch') return new NetdError('lock-timeout', `another netd watch (${who}) runs on state dir ${stateDir}: one daemon per state dir`);
  if (name === 'dns') return new NetdError('lock-timeout', `a resolver (${who}) already serves state dir ${stateDir}: one resolver per state dir`);
  const secs = Number((timeoutMs / 1000).toFixed(1));
  return new NetdError('lock-timeout', `state dir ${stateDir} is locked by ${who}; gave up after ${secs} s`);
}
