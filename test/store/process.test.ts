/** The store and the state lock across real processes (see child.ts), including kill -9. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { EXIT, isNetdError } from '../../src/errors.js';
import { acquireStateLock } from '../../src/store/lock.js';
import { DB_FILE, openSqliteStore } from '../../src/store/sqlite.js';

const root = mkdtempSync(join(tmpdir(), 'netd-proc-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});
let n = 0;
const freshDir = (): string => join(root, `s${n++}`);

interface Child {
  proc: ChildProcess;
  out: () => string;
  line: (text: string) => Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function child(...args: string[]): Child {
  const proc = spawn(process.execPath, [fileURLToPath(new URL('./child.js', import.meta.url)), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  proc.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    for (const w of waiters) w();
  });
  proc.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    proc.on('exit', (code, signal) => {
      children.delete(proc);
      for (const w of waiters) w();
      resolve({ code, signal, stderr: err });
    }),
  );
  const line = (text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (out.split('\n').includes(text)) resolve();
        else if (proc.exitCode !== null || proc.signalCode !== null) reject(new Error(`child exited before "${text}": ${err}`));
      };
      waiters.push(check);
      check();
    });
  return { proc, out: () => out, line, exit };
}

test('a writer killed with SIGKILL mid-burst leaves a consistent database', async () => {
  const dir = freshDir();
  for (let round = 0; round < 3; round++) {
    const c = child('burst', dir);
    await c.line('ready');
    await sleep(150 + 50 * round);
    c.proc.kill('SIGKILL');
    assert.equal((await c.exit).signal, 'SIGKILL');

    const s = await openSqliteStore(dir);
    const a = await s.get<{ n: number }>('c/a');
    const b = await s.get<{ n: number }>('c/b');
    const rev = await s.revision();
    assert.ok(a && b && a.value.n > 20);
    assert.equal(a.value.n, b.value.n, 'both keys of every transaction, or neither');
    assert.equal(a.modRevision, rev);
    assert.equal(b.modRevision, rev);
    assert.equal(rev, a.value.n, 'one revision per committed transaction');
    await s.close();
    const db = new Database(join(dir, DB_FILE), { readonly: true });
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    assert.deepEqual(db.prepare('SELECT count(*) AS n, max(revision) AS r FROM events').get(), { n: 2 * rev, r: rev });
    db.close();
  }
});

test('4 processes × 500 compare-and-swap increments end at exactly 2000', async () => {
  const dir = freshDir();
  await (await openSqliteStore(dir)).close(); // migrate once, before the race
  const cs = Array.from({ length: 4 }, () => child('incr', dir, '500'));
  for (const c of cs) assert.equal((await c.exit).code, 0, (await c.exit).stderr);
  const s = await openSqliteStore(dir);
  assert.equal((await s.get('counter'))?.value, 2000);
  assert.equal(await s.revision(), 2000);
  await s.close();
});

test('the state lock is exclusive across processes and names the holder', async () => {
  const dir = freshDir();
  const mine = await acquireStateLock(dir);
  const c = child('lockwait', dir, '300');
  const r = await c.exit;
  assert.equal(r.code, EXIT.lockTimeout);
  assert.equal(c.out(), `waiting ${process.pid}\n`, 'onWait once, with the holder pid');
  assert.equal(r.stderr, `state dir ${dir} is locked by pid ${process.pid}; gave up after 0.3 s\n`);
  mine.release();
  const again = child('lockwait', dir, '300');
  assert.equal((await again.exit).code, 0);
  assert.equal(again.out(), 'locked\n');
});

test('a lock whose holder was killed is taken by the waiter', async () => {
  const dir = freshDir();
  const holder = child('lock', dir);
  await holder.line('locked');
  const waits: (number | undefined)[] = [];
  await assert.rejects(
    acquireStateLock(dir, { timeoutMs: 200, retryMs: 20, onWait: (p) => waits.push(p) }),
    (e: unknown) => isNetdError(e, 'lock-timeout') && e.message === `state dir ${dir} is locked by pid ${holder.proc.pid}; gave up after 0.2 s`,
  );
  assert.deepEqual(waits, [holder.proc.pid]);
  const pending = acquireStateLock(dir, { timeoutMs: 10_000, retryMs: 20 });
  await sleep(100);
  holder.proc.kill('SIGKILL');
  const l = await pending;
  l.release();
  l.release();
});

test('the state lock excludes a second holder in the same process', async () => {
  const dir = freshDir();
  const first = await acquireStateLock(dir);
  let calls = 0;
  const second = acquireStateLock(dir, { retryMs: 10, onWait: () => calls++ });
  await sleep(100);
  first.release();
  (await second).release();
  assert.equal(calls, 1);
});
