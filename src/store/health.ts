/**
 * The state database for commands that only read (get, inspect, export, graph, diff, doctor):
 * no state dir or file is created, no migration runs, no lock is taken. A missing database
 * reads as an empty store ("no state yet"). SQLite may still create the -wal/-shm files it
 * needs to read a WAL database; those hold no data.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { NetdError, messageOf } from '../errors.js';
import { MemoryStore } from './memory.js';
import { MIGRATIONS } from './migrations.js';
import { DB_FILE, SqliteStore, dbCompanions } from './sqlite.js';
import { refuseSymlinks, stateFileExists } from './statedir.js';
import type { Store } from './store.js';

export interface StoreInspection {
  readonly file: string;
  /** The highest migration applied (0: none, or not a netd database). */
  readonly schemaVersion: number;
  /** The version this netd migrates to. */
  readonly latestVersion: number;
  /** `PRAGMA quick_check` rows: ['ok'] when healthy. */
  readonly integrity: readonly string[];
  /** Keys whose value is not valid JSON, as stored (escape them to show them). */
  readonly corrupt: readonly string[];
  /** Reads only; writes fail. Close it when done. */
  readonly store: SqliteStore;
}

export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/** The state dir's database, opened read-only; undefined when there is none yet. */
function openReadOnly(stateDir: string): { file: string; db: Database.Database } | undefined {
  const file = join(stateDir, DB_FILE);
  if (!stateFileExists(file, 'read')) return undefined;
  refuseSymlinks(dbCompanions(file), 'read');
  try {
    return { file, db: new Database(file, { readonly: true, fileMustExist: true }) };
  } catch (e) {
    throw storeError(file, e);
  }
}

function storeError(file: string, e: unknown): NetdError {
  if (e instanceof NetdError) return e;
  const denied = (e as { code?: string }).code === 'SQLITE_CANTOPEN' ? ' (run netd as root)' : '';
  return new NetdError('internal', `state database ${file}: ${messageOf(e)}${denied}`, { cause: e });
}

/** The schema version; 0 for no netd schema, -1 for a file with no tables at all (an empty database). */
function schemaVersionOf(db: Database.Database): number {
  try {
    return db.prepare<[], { v: number | null }>('SELECT max(version) AS v FROM schema_version').get()?.v ?? 0;
  } catch {
    const tables = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get()!.n;
    return tables === 0 ? -1 : 0;
  }
}

/** Opens the state dir's database read-only for doctor; undefined when there is none yet. */
export function inspectSqliteStore(stateDir: string): StoreInspection | undefined {
  const opened = openReadOnly(stateDir);
  if (!opened) return undefined;
  const { file, db } = opened;
  try {
    const schemaVersion = Math.max(0, schemaVersionOf(db));
    const integrity = (db.pragma('quick_check') as { quick_check: string }[]).map((r) => r.quick_check);
    // Statements are prepared against the tables of migration 1; without them there is no store to read.
    if (schemaVersion < 1) throw new Error(`${file}: no netd schema (version ${schemaVersion})`);
    const corrupt: string[] = [];
    for (const r of db.prepare<[], { key: string; value: string }>('SELECT key, value FROM kv ORDER BY key').iterate()) {
      try {
        JSON.parse(r.value);
      } catch {
        corrupt.push(r.key);
      }
    }
    return { file, schemaVersion, latestVersion: LATEST_SCHEMA_VERSION, integrity, corrupt, store: new SqliteStore(db, 100, 10_000) };
  } catch (e) {
    db.close();
    throw e;
  }
}

/**
 * The store as read-only commands see it: the database opened read-only at this netd's schema,
 * or an empty store when there is none yet. Another schema version is an error telling what
 * to do (an older one is migrated by the next mutating command).
 */
export function openStoreForReading(stateDir: string): Store {
  const opened = openReadOnly(stateDir);
  if (!opened) return new MemoryStore();
  const { file, db } = opened;
  try {
    const v = schemaVersionOf(db);
    if (v === -1) {
      db.close(); // created but never migrated (an apply stopped at once): nothing recorded yet
      return new MemoryStore();
    }
    if (v > LATEST_SCHEMA_VERSION)
      throw new NetdError('internal', `state database ${file}: schema version ${v} is newer than this netd knows (${LATEST_SCHEMA_VERSION}): upgrade netd`);
    if (v < 1) throw new NetdError('internal', `state database ${file}: not a netd database (no schema version)`);
    if (v < LATEST_SCHEMA_VERSION)
      throw new NetdError(
        'internal',
        `state database ${file}: schema version ${v} is older than this netd's (${LATEST_SCHEMA_VERSION}): run netd apply to migrate it`,
      );
    return new SqliteStore(db, 100, 10_000);
  } catch (e) {
    if (db.open) db.close();
    throw storeError(file, e);
  }
}
