/** apply/diff exit codes: 65 changes nothing, --dry-run changes nothing, 75 on a held lock, -o json. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { TestHost } from '../helpers/netd.js';
import { acquireStateLock } from '../../src/store/lock.js';

const YAML = `version: 1
networks:
  n1: { subnet: 10.94.0.0/24 }
containers:
  c1: {}
attachments:
  - { container: c1, network: n1 }
`;
const host = new TestHost();
const netns = (): string => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });

after(async () => {
  if (!skip) await host.teardown();
});

test('invalid input exits 65 and changes nothing', { skip }, async () => {
  const r = await host.apply(YAML.replace('10.94.0.0/24', '10.94.0.1/24'));
  assert.equal(r.code, 65);
  assert.match(r.stderr, /host bits set/);
  assert.equal(netns(), '');
});

test('--dry-run prints the plan and changes nothing; diff -o json lists the changes', { skip }, async () => {
  const r = await host.apply(YAML, '--dry-run');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\+ create network n1/);
  assert.equal(netns(), '');
  const d = await host.diff(YAML, '-o', 'json');
  assert.equal(d.code, 2);
  const plan = JSON.parse(d.stdout) as { inSync: boolean; changes: { action: string; kind: string; name: string }[] };
  assert.equal(plan.inSync, false);
  assert.deepEqual(
    plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}`),
    ['create container c1', 'create network n1', 'create attachment c1/n1'],
  );
});

test('a second mutator waits for the state-dir lock, naming the holder, and gives up with 75', { skip }, async () => {
  const lock = await acquireStateLock(host.stateDir);
  try {
    const r = await host.apply(YAML, '--lock-timeout', '300ms');
    assert.equal(r.code, 75);
    assert.match(r.stderr, new RegExp(`held by pid ${process.pid}`));
    assert.match(r.stderr, /locked by pid/);
  } finally {
    lock.release();
  }
  const r = await host.apply(YAML);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /3 created, 0 deleted, 0 failed/);
});
