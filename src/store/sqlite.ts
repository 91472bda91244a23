/**
 * The embedded Store: one SQLite database (better-sqlite3) in the state dir.
 *
 * - WAL with synchronous=FULL: a transaction that returned is on disk, and a process killed
 *   at any point leaves the last committed state.
 * - Every write transaction runs under BEGIN IMMEDIATE, so the read of the conditions and the
 *   writes happen under the database's write lock: compare-and-swap holds across processes.
 * - One store revision (meta.revision) that grows by one per transaction that changes
 *   something, as in etcd. Each change is also appended to `events`, which watch replays;
 *   events older than `retainRevisions` revisions are trimmed.
 * - Watch polls `events` every `pollMs` (default 100 ms) for writes by other processes, and
 *   is nudged at once after writes through this handle.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { NetdError } from '../errors.js';
import { checkOps, conflictError, parseRecord, prefixEnd, singleOp } from './common.js';
import { migrate } from './migrations.js';
import { ensurePrivateFile, ensureStateDir, refuseSymlinks } from './statedir.js';
import type { Condition, KeyValue, Op, Store, TxnResult, Watch, WatchEvent, WatchReset, WriteOptions } from './store.js';

export interface SqliteStoreOptions {
  /** How long a write waits for another process's write transaction (default 10 s). */
  readonly busyTimeoutMs?: number;
  /** How often watches look for writes by other processes (default 100 ms). */
  readonly pollMs?: number;
  /** How many revisions of history watch can replay (default 10,000). */
  readonly retainRevisions?: number;
}

export const DB_FILE = 'netd.db';
/** The files SQLite opens by name beside the database (it would follow a symlink there). */
export const dbCompanions = (file: string): string[] => [`${file}-wal`, `${file}-shm`, `${file}-journal`];
const TRIM_EVERY = 64;

interface Row {
  key: string;
  value: string;
  mod_revision: number;
  create_revision: number;
}
interface EventRow {
  revision: number;
  type: 'put' | 'delete';
  key: string;
  value: string | null;
}

/**
 * Creates the state dir (0700) and database (0600) if missing, migrates, and opens the store.
 * For mutating commands only; readers use openStoreForReading (health.ts), which creates nothing.
 */
export async function openSqliteStore(stateDir: string, opts: SqliteStoreOptions = {}): Promise<SqliteStore> {
  ensureStateDir(stateDir);
  const file = join(stateDir, DB_FILE);
  refuseSymlinks(dbCompanions(file), 'write');
  ensurePrivateFile(file); // SQLite gives its -wal and -shm files the database file's mode
  const db = new Database(file);
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 10_000))}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    migrate(db);
  } catch (e) {
    db.close();
    throw e;
  }
  return new SqliteStore(db, opts.pollMs ?? 100, opts.retainRevisions ?? 10_000);
}

export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #pollMs: number;
  readonly #retain: number;
  /** Each open watch's poll function, and how to close it. */
  readonly #polls = new Map<() => void, () => void>();
  readonly #q;
  readonly #txn: Database.Transaction<(c: readonly Condition[], o: readonly Op[]) => TxnResult>;

  constructor(db: Database.Database, pollMs: number, retainRevisions: number) {
    this.#db = db;
    this.#pollMs = pollMs;
    this.#retain = Math.max(1, retainRevisions);
    this.#q = {
      get: db.prepare<[string], Row>('SELECT * FROM kv WHERE key = ?'),
      list: db.prepare<[string, string], Row>('SELECT * FROM kv WHERE key >= ? AND key < ? ORDER BY key'),
      meta: db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE name = ?'),
      setMeta: db.prepare('UPDATE meta SET value = ? WHERE name = ?'),
      upsert: db.prepare(`INSERT INTO kv (key, value, mod_revision, create_revision) VALUES (?, ?, ?, ?)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, mod_revision = excluded.mod_revision`),
      del: db.prepare('DELETE FROM kv WHERE key = ?'),
      event: db.prepare('INSERT INTO events (revision, seq, type, key, value) VALUES (?, ?, ?, ?, ?)'),
      events: db.prepare<[number, string, string], EventRow>(
        'SELECT revision, type, key, value FROM events WHERE revision > ? AND key >= ? AND key < ? ORDER BY revision, seq',
      ),
      trim: db.prepare('DELETE FROM events WHERE revision <= ?'),
    };
    this.#txn = db.transaction((conds, ops) => this.#apply(conds, ops));
  }

  async get<V = unknown>(key: string): Promise<KeyValue<V> | undefined> {
    const row = this.#q.get.get(key);
    return row && toKv<V>(row);
  }

  async list<V = unknown>(prefix: string): Promise<KeyValue<V>[]> {
    return this.#q.list.all(prefix, prefixEnd(prefix)).map((r) => toKv<V>(r));
  }

  async put(key: string, value: unknown, opts: WriteOptions = {}): Promise<number> {
    return this.#single('put', key, value, opts);
  }

  async delete(key: string, opts: WriteOptions = {}): Promise<number> {
    return this.#single('delete', key, undefined, opts);
  }

  async txn(conditions: readonly Condition[], ops: readonly Op[]): Promise<TxnResult> {
    checkOps(ops, false);
    const r = this.#txn.immediate(conditions, ops);
    if (r.succeeded) for (const p of this.#polls.keys()) queueMicrotask(p);
    return r;
  }

  /** Never resets: a watch from trimmed history is refused up front. */
  watch(prefix: string, fromRevision: number, onEvent: (e: WatchEvent | WatchReset) => void): Watch {
    const compacted = this.#meta('compacted');
    if (fromRevision < compacted) {
      throw new NetdError('conflict', `watch "${prefix}" from revision ${fromRevision}: history up to ${compacted} was trimmed`);
    }
    let cursor = fromRevision;
    let closed = false;
    const poll = (): void => {
      if (closed) return;
      for (const r of this.#q.events.all(cursor, prefix, prefixEnd(prefix))) {
        if (closed) return;
        cursor = r.revision;
        const e: WatchEvent =
          r.type === 'put'
            ? { type: 'put', key: r.key, value: parseRecord(r.key, r.value!), revision: r.revision }
            : { type: 'delete', key: r.key, revision: r.revision };
        onEvent(e);
      }
    };
    const timer = setInterval(poll, this.#pollMs);
    const immediate = setImmediate(poll);
    const close = (): void => {
      closed = true;
      clearInterval(timer);
      clearImmediate(immediate);
      this.#polls.delete(poll);
    };
    this.#polls.set(poll, close);
    return { close };
  }

  async revision(): Promise<number> {
    return this.#meta('revision');
  }

  async close(): Promise<void> {
    for (const [poll, close] of [...this.#polls]) {
      if (this.#db.open) poll(); // deliver what is committed before stopping
      close();
    }
    if (this.#db.open) this.#db.close();
  }

  async #single(what: 'put' | 'delete', key: string, value: unknown, opts: WriteOptions): Promise<number> {
    const { conds, ops } = singleOp(what, key, value, opts);
    const r = await this.txn(conds, ops);
    if (!r.succeeded) throw conflictError(what, key, opts.expectRevision!, this.#q.get.get(key)?.mod_revision ?? 0);
    return r.revision;
  }

  #meta(name: 'revision' | 'compacted'): number {
    return this.#q.meta.get(name)!.value;
  }

  /** Runs inside BEGIN IMMEDIATE. */
  #apply(conds: readonly Condition[], ops: readonly Op[]): TxnResult {
    const cur = this.#meta('revision');
    for (const c of conds) {
      if ((this.#q.get.get(c.key)?.mod_revision ?? 0) !== c.modRevision) return { succeeded: false, revision: cur };
    }
    if (!ops.some((op) => op.type === 'put' || this.#q.get.get(op.key))) return { succeeded: true, revision: cur };
    const rev = cur + 1;
    let seq = 0;
    for (const op of ops) {
      if (op.type === 'put') {
        const json = JSON.stringify(op.value);
        if (json === undefined) throw new NetdError('invalid', `put "${op.key}": value is not JSON`);
        this.#q.upsert.run(op.key, json, rev, rev);
        this.#q.event.run(rev, seq++, 'put', op.key, json);
      } else if (this.#q.del.run(op.key).changes > 0) {
        this.#q.event.run(rev, seq++, 'delete', op.key, null);
      }
    }
    this.#q.setMeta.run(rev, 'revision');
    if (rev % TRIM_EVERY === 0 && rev > this.#retain) {
      this.#q.trim.run(rev - this.#retain);
      this.#q.setMeta.run(rev - this.#retain, 'compacted');
    }
    return { succeeded: true, revision: rev };
  }
}

function toKv<V>(r: Row): KeyValue<V> {
  return { key: r.key, value: parseRecord(r.key, r.value) as V, modRevision: r.mod_revision, createRevision: r.create_revision };
}
