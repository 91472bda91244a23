/**
 * kill -9 during apply (DESIGN.md §3): 50 containers on one bridge network with dynamic
 * addresses; the apply is killed at 10 moments of its run (planning, the kernel batches, the
 * files after the outcome txn, the firewall), alternating a cold apply (creates) with a prune
 * (deletes); the moments are recognised from outside by polling /run/netns and /etc/netns. After each kill a fresh apply converges, diff is clean and
 * the store accounts for every link, namespace, file and address.
 *
 * The whole process group is killed, so an `ip -batch` in flight dies with netd instead of
 * finishing behind the next apply's back (that would race, not crash).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { ROOT } from '../helpers/cli.js';
import { netdLeaks } from '../helpers/leaks.js';
import { ALLOW_EMPTY, EMPTY, TestHost } from '../helpers/netd.js';
import { loadRecorded } from '../../src/reconcile/observe.js';
import { NETNS_ETC } from '../../src/plan/files.js';

function containers(n: number): string {
  const names = Array.from({ length: n }, (_, i) => `c${String(i).padStart(2, '0')}`);
  return (
    [
      'version: 1',
      'networks:',
      '  crash: { subnet: 10.95.0.0/24 }',
      'containers:',
      ...names.map((c) => `  ${c}: {}`),
      'attachments:',
      ...names.map((c) => `  - { container: ${c}, network: crash }`),
    ].join('\n') + '\n'
  );
}
const FULL = containers(50);
const HALF = containers(25);

let host: TestHost;
before(() => {
  host = new TestHost();
});
after(async () => {
  if (!skip) await host.teardown();
});

const count = (dir: string): number => readdirSync(dir).length;

/**
 * A moment to kill at, seen from outside: namespaces appear or go in the kernel batches,
 * /etc/netns directories after the outcome txn, and the firewall comes last. `at` is polled.
 */
interface Moment {
  name: string;
  target: string;
  at: (elapsedMs: number) => boolean;
}

/**
 * Runs `netd apply` as a child; with `kill`, polls it and kills the process group when it
 * holds. Returns whether the kill landed before the child exited.
 */
async function applyChild(yaml: string, kill?: (elapsedMs: number) => boolean): Promise<{ ms: number; killed: boolean; code: number | null }> {
  const argv = [join(ROOT, 'dist/src/cli/bin.js'), 'apply', ALLOW_EMPTY, '-f', host.file(yaml), '--state-dir', host.stateDir];
  const start = Date.now();
  const child = spawn(process.execPath, argv, { stdio: 'ignore', detached: true });
  let code: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.on('exit', (c) => resolve(void (code = c))));
  let killed = false;
  while (kill && code === undefined && !killed) {
    if (kill(Date.now() - start)) {
      process.kill(-child.pid!, 'SIGKILL');
      killed = true;
    } else await sleep(1);
  }
  await exited;
  return { ms: Date.now() - start, killed, code: code ?? null };
}

async function recorded() {
  const e = await host.engine();
  try {
    return await loadRecorded(e.store);
  } finally {
    await e.store.close();
  }
}

/** A fresh apply converges; diff is clean; nothing leaked. */
async function assertConverges(yaml: string, what: string): Promise<void> {
  const r = await host.apply(yaml, ALLOW_EMPTY);
  assert.equal(r.code, 0, `${what}: apply after the kill\n${r.stderr}`);
  const d = await host.diff(yaml, ALLOW_EMPTY);
  assert.equal(d.code, 0, `${what}: diff after the repair\n${d.stdout}`);
  assert.deepEqual(netdLeaks(await recorded()), [], `${what}: leaks`);
}

test('kill -9 at 10 moments of cold applies and prunes: the next apply converges and nothing leaks', { skip, timeout: 300_000 }, async (t) => {
  // Uninterrupted runs first, to spread the kills over the real run times.
  const cold = await applyChild(FULL);
  assert.equal(cold.code, 0);
  // A no-op apply: start-up and observation, before which a kill would hit nothing.
  const idle = await applyChild(FULL);
  const prune = await applyChild(EMPTY);
  assert.equal(prune.code, 0);
  t.diagnostic(`uninterrupted: cold apply ${cold.ms} ms, no-op ${idle.ms} ms, prune ${prune.ms} ms`);
  const planning = (ms: number): boolean => ms >= idle.ms * 0.9;
  const moments: Moment[] = [
    { name: 'cold apply while planning', target: FULL, at: planning },
    { name: 'prune to nothing while planning', target: EMPTY, at: planning },
    { name: 'cold apply at its first namespace', target: FULL, at: () => count('/run/netns') >= 1 },
    { name: 'prune to half at its first deleted namespace', target: HALF, at: () => count('/run/netns') < 50 },
    { name: 'cold apply once every namespace exists', target: FULL, at: () => count('/run/netns') >= 50 },
    { name: 'prune to nothing once every namespace is gone', target: EMPTY, at: () => count('/run/netns') === 0 },
    { name: 'cold apply at its first hosts file', target: FULL, at: () => count(NETNS_ETC) >= 1 },
    { name: 'prune to half at its first removed /etc/netns dir', target: HALF, at: () => count(NETNS_ETC) < 50 },
    { name: 'cold apply once every hosts file exists', target: FULL, at: () => count(NETNS_ETC) >= 50 },
    { name: 'prune to nothing once /etc/netns is empty', target: EMPTY, at: () => count(NETNS_ETC) === 0 },
  ];
  let interrupted = 0;
  for (const [i, m] of moments.entries()) {
    const what = `kill ${i + 1}: ${m.name}`;
    const run = await applyChild(m.target, m.at);
    if (run.killed) interrupted++;
    const rec = await recorded();
    const pending = [...rec.networks, ...rec.sandboxes, ...rec.endpoints].filter((x) => x.state !== 'ready').length;
    t.diagnostic(
      `${what}: ${run.killed ? `killed after ${run.ms} ms` : `exited ${run.code} first`}; ${rec.endpoints.length} endpoints recorded, ${pending} records not ready`,
    );
    await assertConverges(m.target, what);
    if (m.target === HALF) await assertConverges(EMPTY, `${what}, then emptied`);
  }
  assert.ok(interrupted >= 8, `only ${interrupted} of 10 applies were still running when killed`);
});
