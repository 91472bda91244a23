/**
 * The state dir's files are never symlinks, read-only opening creates nothing, and a record
 * that is not JSON is a store error naming its key.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MemoryStore } from '../../src/store/memory.js';
import { openStoreForReading } from '../../src/store/health.js';
import { acquireStateLock, LOCK_FILE, PID_FILE } from '../../src/store/lock.js';
import { DB_FILE, openSqliteStore } from '../../src/store/sqlite.js';

const root = mkdtempSync(join(tmpdir(), 'netd-statedir-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A state dir (created) and an outside dir holding `target` with known content. */
function fixture(): { dir: string; outside: string; target: string } {
  const base = join(root, `c${n++}`);
  const outside = join(base, 'outside');
  mkdirSync(outside, { recursive: true });
  mkdirSync(join(base, 'state'));
  writeFileSync(join(outside, 'target'), 'outside\n');
  return { dir: join(base, 'state'), outside, target: join(outside, 'target') };
}

const untouched = (f: { outside: string; target: string }): void => {
  assert.deepEqual(readdirSync(f.outside), ['target']);
  assert.equal(readFileSync(f.target, 'utf8'), 'outside\n');
};

const open = async (dir: string): Promise<void> => (await openSqliteStore(dir)).close();
const lock = async (dir: string): Promise<void> => (await acquireStateLock(dir, { timeoutMs: 0 })).release();

const cases: { name: string; file: string; dangling: boolean; use(dir: string): Promise<void> }[] = [
  { name: 'netd.db, dangling', file: DB_FILE, dangling: true, use: open },
  { name: 'netd.db, pointing at a file', file: DB_FILE, dangling: false, use: open },
  { name: 'netd.db-wal', file: `${DB_FILE}-wal`, dangling: true, use: open },
  { name: 'netd.db-shm, pointing at a file', file: `${DB_FILE}-shm`, dangling: false, use: open },
  { name: 'lock.db, dangling', file: LOCK_FILE, dangling: true, use: lock },
  { name: 'lock.db, pointing at a file', file: LOCK_FILE, dangling: false, use: lock },
  { name: 'lock.pid, dangling', file: PID_FILE, dangling: true, use: lock },
  { name: 'lock.pid, pointing at a file', file: PID_FILE, dangling: false, use: lock },
];

for (const tc of cases) {
  test(`a symlink as ${tc.name} is refused and its target untouched`, async () => {
    const f = fixture();
    const path = join(f.dir, tc.file);
    symlinkSync(tc.dangling ? join(f.outside, 'created') : f.target, path);
    await assert.rejects(tc.use(f.dir), { code: 'forbidden', message: `"${path}" is a symlink: netd never writes through one; remove it` });
    untouched(f);
  });
}

test('reading a missing state dir is an empty store and creates nothing', async () => {
  const dir = join(root, 'never', 'state');
  const s = openStoreForReading(dir);
  assert.ok(s instanceof MemoryStore);
  assert.deepEqual(await s.list(''), []);
  await s.close();
  assert.equal(existsSync(join(root, 'never')), false);
});

test('reading an existing state dir writes nothing (SQLite may add its -wal/-shm, 0600)', async () => {
  const f = fixture();
  const w = await openSqliteStore(f.dir);
  await w.put('netd/v1/networks/a', { name: 'a' });
  await w.close();
  const s = openStoreForReading(f.dir);
  assert.deepEqual(
    (await s.list('netd/')).map((kv) => kv.value),
    [{ name: 'a' }],
  );
  await assert.rejects(s.put('x', 1), /readonly/);
  assert.equal(await s.revision(), 1);
  await s.close();
  for (const file of readdirSync(f.dir)) {
    assert.ok([DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`].includes(file), file);
    assert.equal(statSync(join(f.dir, file)).mode & 0o777, 0o600, file);
  }
});

test('an empty database file (created, never migrated) reads as no state yet', () => {
  const f = fixture();
  writeFileSync(join(f.dir, DB_FILE), '');
  assert.ok(openStoreForReading(f.dir) instanceof MemoryStore);
});

test('reading through a symlinked netd.db is refused', () => {
  const f = fixture();
  symlinkSync(f.target, join(f.dir, DB_FILE));
  assert.throws(() => openStoreForReading(f.dir), { message: `"${join(f.dir, DB_FILE)}" is a symlink: netd never reads through one; remove it` });
  untouched(f);
});

const schemaCases: { name: string; sql: string; message: RegExp }[] = [
  {
    name: 'a newer schema says to upgrade netd',
    sql: "INSERT INTO schema_version VALUES (999, 'future', '')",
    message: /schema version 999 is newer than this netd knows \(1\): upgrade netd/,
  },
  { name: 'no schema version says it is not a netd database', sql: 'DELETE FROM schema_version', message: /not a netd database/ },
];

for (const tc of schemaCases) {
  test(`reading: ${tc.name}, without migrating`, async () => {
    const f = fixture();
    await open(f.dir);
    const db = new Database(join(f.dir, DB_FILE));
    db.exec(tc.sql);
    db.close();
    assert.throws(() => openStoreForReading(f.dir), { code: 'internal', message: tc.message });
  });
}

test('a record that is not valid JSON is a store error naming its key, for writers and readers', async () => {
  const f = fixture();
  const w = await openSqliteStore(f.dir);
  await w.put('netd/v1/networks/x', { name: 'x' });
  await w.close();
  const db = new Database(join(f.dir, DB_FILE));
  db.prepare("UPDATE kv SET value = '{not json' WHERE key = ?").run('netd/v1/networks/x');
  db.close();
  const message = /^store: record "netd\/v1\/networks\/x" is not valid JSON/;
  for (const s of [await openSqliteStore(f.dir), openStoreForReading(f.dir)]) {
    await assert.rejects(s.list('netd/'), { name: 'NetdError', message });
    await assert.rejects(s.get('netd/v1/networks/x'), { name: 'NetdError', message });
    await s.close();
  }
});
