/**
 * The SQLite schema, as ordered migrations. `schema_version` holds one row per applied
 * migration; opening a database applies the missing ones in order, each in its own
 * BEGIN IMMEDIATE transaction, so two processes opening a fresh state dir at once do not
 * both apply them. Never edit a released migration: append a new one.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { NetdError } from '../errors.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'kv, events and meta',
    sql: `
      CREATE TABLE kv (
        key TEXT NOT NULL PRIMARY KEY,
        value TEXT NOT NULL,            -- JSON
        mod_revision INTEGER NOT NULL,
        create_revision INTEGER NOT NULL
      ) WITHOUT ROWID;
      -- The change history that watch replays; trimmed to the last retainRevisions revisions.
      CREATE TABLE events (
        revision INTEGER NOT NULL,
        seq INTEGER NOT NULL,           -- order of the op within its transaction
        type TEXT NOT NULL CHECK (type IN ('put', 'delete')),
        key TEXT NOT NULL,
        value TEXT,
        PRIMARY KEY (revision, seq)
      ) WITHOUT ROWID;
      -- revision: the store revision; compacted: events up to here were trimmed.
      CREATE TABLE meta (name TEXT NOT NULL PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO meta (name, value) VALUES ('revision', 0), ('compacted', 0);
    `,
  },
];

/** Applies the migrations the database lacks; returns the schema version it ends at. */
export function migrate(db: BetterSqlite3.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const current = db.prepare<[], { v: number | null }>('SELECT max(version) AS v FROM schema_version');
  const record = db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)');
  const latest = migrations.at(-1)?.version ?? 0;
  for (const m of migrations) {
    const apply = db.transaction(() => {
      const have = current.get()?.v ?? 0;
      if (have > latest) {
        throw new NetdError('internal', `state database ${db.name}: schema version ${have} is newer than this netd knows (${latest})`);
      }
      if (have >= m.version) return;
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
    });
    apply.immediate();
  }
  return current.get()?.v ?? 0;
}
