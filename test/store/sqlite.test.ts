import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isNetdError } from '../../src/errors.js';
import { DB_FILE, openSqliteStore } from '../../src/store/sqlite.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import type { Store } from '../../src/store/store.js';
import { storeConformance } from './conformance.js';

const root = mkdtempSync(join(tmpdir(), 'netd-sqlite-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(root, `s${n++}`);

storeConformance('sqlite', () => openSqliteStore(freshDir(), { pollMs: 20 }));

test('state dir is created 0700 and the database 0600, in WAL mode', async () => {
  const dir = join(freshDir(), 'nested');
  const s = await openSqliteStore(dir);
  await s.close();
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, DB_FILE)).mode & 0o777, 0o600);
  const db = new Database(join(dir, DB_FILE), { readonly: true });
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.deepEqual(
    db.prepare('SELECT version FROM schema_version').all(),
    MIGRATIONS.map((m) => ({ version: m.version })),
  );
  db.close();
});

test('data and revision survive reopening; migrations are not re-applied', async () => {
  const dir = freshDir();
  const s1 = await openSqliteStore(dir);
  await s1.put('a', { n: 1 });
  await s1.put('a', { n: 2 });
  await s1.close();
  const s2 = await openSqliteStore(dir);
  assert.deepEqual(await s2.get('a'), { key: 'a', value: { n: 2 }, modRevision: 2, createRevision: 1 });
  assert.equal(await s2.put('b', 1), 3);
  await s2.close();
});

test('history older than retainRevisions is trimmed; watching from before it is refused', async () => {
  const s = await openSqliteStore(freshDir(), { retainRevisions: 10 });
  for (let i = 0; i < 130; i++) await s.put('k', i);
  assert.throws(
    () => s.watch('', 5, () => {}),
    (e: unknown) => isNetdError(e, 'conflict'),
  );
  const w = s.watch('', 125, () => {});
  w.close();
  await s.close();
});

test('a newer schema than this netd knows is refused', async () => {
  const dir = freshDir();
  await (await openSqliteStore(dir)).close();
  const db = new Database(join(dir, DB_FILE));
  db.prepare("INSERT INTO schema_version VALUES (999, 'future', '')").run();
  db.close();
  await assert.rejects(openSqliteStore(dir), /schema version 999 is newer/);
});

test('a write bound to a lease is refused: sqlite has no leases', async () => {
  const s = await openSqliteStore(freshDir());
  assert.equal((s as Store).leases, undefined);
  await assert.rejects(s.put('a', 1, { lease: '1' }), /this store has no leases/);
  assert.equal(await s.revision(), 0);
  await s.close();
});
