/**
 * The files netd writes, through the CLI on a real kernel (inside the throwaway host): a
 * symlink planted at each of them is never followed (hosts and resolv.conf: replaced by a
 * real file; /etc/netns/<ns> and the state files: refused, naming the path), read-only
 * commands on a missing state dir create nothing, and a record that is not JSON is named
 * by doctor and by the other commands.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { runCli } from '../helpers/cli.js';
import { TestHost } from '../helpers/netd.js';
import type { Check } from '../../src/reconcile/doctor.js';
import { NETWORKS } from '../../src/state/records.js';
import { DB_FILE } from '../../src/store/sqlite.js';
import { LOCK_FILE, PID_FILE } from '../../src/store/lock.js';

const ONE = `version: 1
networks:
  fl-net: { subnet: 10.97.0.0/24 }
containers:
  fl-web: { dns: { nameservers: [10.97.0.1] } }
attachments:
  - { container: fl-web, network: fl-net }
`;
const OTHER = 'version: 1\ncontainers:\n  fl-other: {}\n';
const NEW = `${ONE}  - { container: fl-new, network: fl-net }\n`.replace('containers:\n', 'containers:\n  fl-new: {}\n');

let host: TestHost;
let outside: string;
before(() => {
  host = new TestHost();
  outside = mkdtempSync(join(tmpdir(), 'netd-outside-'));
});
after(async () => {
  rmSync(outside, { recursive: true, force: true });
  if (!skip) await host.teardown();
});

/** A fresh outside dir holding `target` ("outside\n"); untouched() checks nothing changed there. */
function outsideDir(): { dir: string; target: string; untouched(): void } {
  const dir = mkdtempSync(join(outside, 'o-'));
  const target = join(dir, 'target');
  writeFileSync(target, 'outside\n');
  return {
    dir,
    target,
    untouched: () => {
      assert.deepEqual(readdirSync(dir), ['target']);
      assert.equal(readFileSync(target, 'utf8'), 'outside\n');
    },
  };
}

const readOnly: { name: string; args: string[]; yaml?: string; code: number; check(out: string, err: string): void }[] = [
  { name: 'get networks: no networks', args: ['get', 'networks'], code: 0, check: (out) => assert.equal(out, 'no networks\n') },
  { name: 'get containers -o json: []', args: ['get', 'containers', '-o', 'json'], code: 0, check: (out) => assert.equal(out, '[]\n') },
  { name: 'inspect: not found', args: ['inspect', 'network', 'fl-net'], code: 1, check: (_o, err) => assert.match(err, /network "fl-net" not found/) },
  { name: 'export: an empty document', args: ['export', '-o', 'json'], code: 0, check: (out) => assert.deepEqual(JSON.parse(out), { version: 1 }) },
  { name: 'graph: an empty graph', args: ['graph'], code: 0, check: (out) => assert.match(out, /^graph netd \{\n(?:.*\];\n)*\}\n$/) },
  { name: 'diff: everything to create', args: ['diff'], yaml: ONE, code: 2, check: (out) => assert.match(out, /^\+ create network fl-net$/m) },
  { name: 'validate', args: ['validate'], yaml: ONE, code: 0, check: (out) => assert.match(out, /^valid/) },
  {
    name: 'doctor: no state yet, not a problem',
    args: ['doctor', '-o', 'json'],
    code: -1, // other checks decide the exit code
    check: (out) => {
      const db = (JSON.parse(out) as Check[]).find((c) => c.group === 'store' && c.name === 'database');
      assert.equal(db?.status, 'ok');
      assert.match(db.detail, /no state yet/);
    },
  },
];

for (const tc of readOnly) {
  test(`on a missing state dir, ${tc.name}; nothing is created`, { skip }, async () => {
    const r = await host.cli(tc.args, tc.yaml);
    if (tc.code >= 0) assert.equal(r.code, tc.code, r.stderr);
    tc.check(r.stdout, r.stderr);
    assert.equal(existsSync(host.stateDir), false, 'the state dir was created');
  });
}

const netnsFiles: { name: string; file: string; dangling: boolean }[] = [
  { name: 'hosts, to a file outside', file: 'hosts', dangling: false },
  { name: 'hosts, dangling', file: 'hosts', dangling: true },
  { name: 'resolv.conf, to a file outside', file: 'resolv.conf', dangling: false },
  { name: 'resolv.conf, dangling', file: 'resolv.conf', dangling: true },
];

for (const tc of netnsFiles) {
  test(`a symlink as /etc/netns/<ns>/${tc.name} is drift: apply replaces it with a real file`, { skip }, async () => {
    assert.equal((await host.apply(ONE)).code, 0);
    const o = outsideDir();
    const path = `/etc/netns/fl-web/${tc.file}`;
    const want = readFileSync(path, 'utf8');
    rmSync(path);
    symlinkSync(tc.dangling ? join(o.dir, 'created') : o.target, path);
    const d = await host.diff(ONE);
    assert.equal(d.code, 2, d.stdout);
    assert.match(d.stdout, new RegExp(`${path} missing`));
    const a = await host.apply(ONE);
    assert.equal(a.code, 0, a.stderr);
    assert.ok(lstatSync(path).isFile(), 'a regular file now');
    assert.equal(readFileSync(path, 'utf8'), want);
    o.untouched();
  });
}

test('a symlinked /etc/netns/<ns> of a new container is refused before anything changes', { skip }, async () => {
  assert.equal((await host.apply(ONE)).code, 0);
  const o = outsideDir();
  symlinkSync(o.dir, '/etc/netns/fl-new');
  try {
    const d = await host.cli(['diff'], NEW);
    assert.equal(d.code, 2, d.stderr);
    assert.match(d.stdout, /\+ create container fl-new/, 'diff shows the plan, it does not fail');
    const r = await host.cli(['apply'], NEW);
    assert.equal(r.code, 1, r.stdout);
    assert.equal(
      r.stderr,
      'pre-flight: container "fl-new": "/etc/netns/fl-new" is a symlink: netd never writes through one; remove it (netd writes hosts and resolv.conf there)\nnothing was changed\n',
    );
    assert.ok(!readdirSync('/run/netns').includes('fl-new'), 'no namespace was created');
    o.untouched();
  } finally {
    rmSync('/etc/netns/fl-new');
  }
});

test('a symlinked /etc/netns/<ns> of a recorded container is refused until it is removed', { skip }, async () => {
  assert.equal((await host.apply(ONE)).code, 0);
  const o = outsideDir();
  rmSync('/etc/netns/fl-web', { recursive: true });
  symlinkSync(o.dir, '/etc/netns/fl-web');
  try {
    const r = await host.apply(ONE);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /pre-flight: container "fl-web": "\/etc\/netns\/fl-web" is a symlink: netd never writes through one; remove it/);
    o.untouched();
  } finally {
    rmSync('/etc/netns/fl-web');
  }
  assert.equal((await host.apply(ONE)).code, 0, 'apply writes the files again');
  assert.ok(lstatSync('/etc/netns/fl-web/hosts').isFile());
});

const stateFiles: { name: string; file: string; dangling: boolean; verbs: ('apply' | 'get')[] }[] = [
  { name: 'netd.db, dangling (once created a 0644 database elsewhere)', file: DB_FILE, dangling: true, verbs: ['apply', 'get'] },
  { name: 'netd.db, pointing at a file', file: DB_FILE, dangling: false, verbs: ['apply', 'get'] },
  { name: 'netd.db-wal', file: `${DB_FILE}-wal`, dangling: true, verbs: ['apply'] },
  { name: 'lock.db, dangling', file: LOCK_FILE, dangling: true, verbs: ['apply'] },
  { name: 'lock.db, pointing at a file', file: LOCK_FILE, dangling: false, verbs: ['apply'] },
  { name: 'lock.pid, pointing at a file', file: PID_FILE, dangling: false, verbs: ['apply'] },
];

for (const tc of stateFiles) {
  test(`a symlink as ${tc.name} is refused, naming it; the target is untouched`, { skip }, async () => {
    const o = outsideDir();
    const stateDir = mkdtempSync(join(outside, 'state-'));
    const path = join(stateDir, tc.file);
    symlinkSync(tc.dangling ? join(o.dir, 'created') : o.target, path);
    for (const verb of tc.verbs) {
      const args = verb === 'apply' ? ['apply', '-f', host.file(OTHER)] : ['get', 'networks'];
      const r = await runCli([...args, '--state-dir', stateDir]);
      assert.equal(r.code, 1, r.stdout);
      assert.equal(r.stderr, `netd ${verb}: "${path}" is a symlink: netd never ${verb === 'apply' ? 'write' : 'read'}s through one; remove it\n`);
    }
    if (tc.file === DB_FILE) {
      const checks = JSON.parse((await runCli(['doctor', '-o', 'json', '--state-dir', stateDir])).stdout) as Check[];
      const db = checks.find((c) => c.group === 'store' && c.name === 'database');
      assert.equal(db?.status, 'problem');
      assert.equal(db.detail, `${stateDir}: "${path}" is a symlink: netd never reads through one; remove it`);
      assert.match(db.fix!, /replace the symlink/);
    }
    o.untouched();
    assert.ok(!readdirSync('/run/netns').includes('fl-other'), 'nothing was applied');
  });
}

test('a record that is not JSON: doctor names its key with a fix, the others a store error', { skip }, async () => {
  assert.equal((await host.apply(ONE)).code, 0);
  const db = new Database(join(host.stateDir, DB_FILE));
  const { key, value } = db.prepare<[string], { key: string; value: string }>('SELECT key, value FROM kv WHERE key >= ? ORDER BY key').get(NETWORKS)!;
  assert.ok(key.startsWith(NETWORKS));
  db.prepare('UPDATE kv SET value = ? WHERE key = ?').run('{"name": "fl-net",', key);
  try {
    const d = await host.cli(['doctor', '-o', 'json']);
    assert.equal(d.code, 1);
    const checks = JSON.parse(d.stdout) as Check[];
    const bad = checks.filter((c) => c.status === 'problem' && c.group === 'store');
    assert.deepEqual(
      bad.map((c) => [c.name, c.detail]),
      [['records', `record "${key}" is not valid JSON`]],
    );
    const sql = /sqlite3 \S+netd\.db "(DELETE FROM kv WHERE hex\(key\) = '[0-9A-F]+')"/.exec(bad[0]!.fix!)?.[1];
    assert.ok(sql, bad[0]!.fix);
    const selects = sql.replace('DELETE FROM kv', 'SELECT key FROM kv');
    assert.deepEqual(db.prepare<[], { key: string }>(selects).all(), [{ key }], 'the fix removes exactly that record');
    assert.equal(checks.find((c) => c.group === 'leaks')?.status, 'skipped');
    const message = `store: record "${key}" is not valid JSON (netd doctor tells how to repair it)`;
    for (const args of [['get', 'networks'], ['export'], ['apply', '-f', host.file(ONE)]]) {
      const r = await host.cli(args);
      assert.equal(r.code, 1, r.stdout);
      assert.equal(r.stderr, `netd ${args[0]}: ${message}\n`);
    }
  } finally {
    db.prepare('UPDATE kv SET value = ? WHERE key = ?').run(value, key);
    db.close();
  }
  assert.equal((await host.cli(['doctor'])).code, 0);
});
