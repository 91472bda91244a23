/**
 * A read-only look at the state database for `netd doctor`: no state dir or file is created,
 * no migration runs, no lock is taken. SQLite may still create the -wal/-shm files it needs to
 * read a WAL database; those hold no data.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS } from './migrations.js';
import { DB_FILE, SqliteStore } from './sqlite.js';

export interface StoreInspection {
  readonly file: string;
  /** The highest migration applied (0: none, or not a netd database). */
  readonly schemaVersion: number;
  /** The version this netd migrates to. */
  readonly latestVersion: number;
  /** `PRAGMA quick_check` rows: ['ok'] when healthy. */
  readonly integrity: readonly string[];
  /** Reads only; writes fail. Close it when done. */
  readonly store: SqliteStore;
}

export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/** Opens the state dir's database read-only; undefined when there is none yet. */
export function inspectSqliteStore(stateDir: string): StoreInspection | undefined {
  const file = join(stateDir, DB_FILE);
  if (!existsSync(file)) return undefined;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    let schemaVersion = 0;
    try {
      schemaVersion = db.prepare<[], { v: number | null }>('SELECT max(version) AS v FROM schema_version').get()?.v ?? 0;
    } catch {
      // no schema_version table: not (yet) a netd database
    }
    const integrity = (db.pragma('quick_check') as { quick_check: string }[]).map((r) => r.quick_check);
    // Statements are prepared against the tables of migration 1; without them there is no store to read.
    if (schemaVersion < 1) throw new Error(`${file}: no netd schema (version ${schemaVersion})`);
    return { file, schemaVersion, latestVersion: LATEST_SCHEMA_VERSION, integrity, store: new SqliteStore(db, 100, 10_000) };
  } catch (e) {
    db.close();
    throw e;
  }
}
