/**
 * kill -9 (DESIGN.md §3): 50 containers on one bridge network with dynamic addresses.
 *
 * 1. At 10 moments of cold applies and prunes, recognised from outside by polling /run/netns
 *    and /etc/netns (planning, the kernel batches, the files after the outcome txn, the
 *    firewall), the whole process group is killed.
 * 2. Issue 11: at uniform random moments (50 ms – 3 s) of an apply of 50, a prune of 50 and a
 *    `delete -f` of 50, alternately the node process alone or its whole process group. After
 *    ONE apply (or one delete) diff exits 0, doctor exits 0 and nothing leaks. The trials run
 *    in rounds (apply, prune, apply, delete: each run starts from the state the previous
 *    one converged to); NETD_CRASH_TRIALS sets the rounds (default 3; the issue asks ≥ 30).
 *
 * When node alone is killed, an `ip -batch` in flight finishes the lines it was fed; the next
 * run starts once that process group is gone (a later run racing a straggler is a race, not a
 * crash).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { ROOT, type Captured } from '../helpers/cli.js';
import { netdLeaks } from '../helpers/leaks.js';
import { ALLOW_EMPTY, EMPTY, TestHost } from '../helpers/netd.js';
import { loadRecorded } from '../../src/reconcile/snapshot.js';
import { NETNS_ETC } from '../../src/state/files.js';

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
 * Runs netd as a child; with `kill`, polls it and kills it when it holds: its process group,
 * or (`alone`) node only, then waits for the rest of its group to finish. Returns whether the
 * kill landed before the child exited.
 */
async function netdChild(args: string[], kill?: (elapsedMs: number) => boolean, alone = false): Promise<{ ms: number; killed: boolean; code: number | null }> {
  const argv = [join(ROOT, 'dist/src/cli/bin.js'), ...args, '--state-dir', host.stateDir];
  const start = Date.now();
  const child = spawn(process.execPath, argv, { stdio: 'ignore', detached: true });
  let code: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.on('exit', (c) => resolve(void (code = c))));
  let killed = false;
  while (kill && code === undefined && !killed) {
    if (kill(Date.now() - start)) {
      process.kill(alone ? child.pid! : -child.pid!, 'SIGKILL');
      killed = true;
    } else await sleep(1);
  }
  await exited;
  const ms = Date.now() - start;
  if (alone) await drained(child.pid!);
  return { ms, killed, code: code ?? null };
}

/** Waits until no process of the group is left (bounded: a stuck straggler fails the test). */
async function drained(pgid: number): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await sleep(1);
  }
  throw new Error(`process group ${pgid} still runs 10 s after its leader was killed`);
}

const applyChild = (yaml: string, kill?: (elapsedMs: number) => boolean): ReturnType<typeof netdChild> =>
  netdChild(['apply', ALLOW_EMPTY, '-f', host.file(yaml)], kill);

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

/** One kind of run killed at random: what it runs, and the one run that must converge after it. */
interface Kind {
  readonly name: 'apply' | 'prune' | 'delete';
  readonly args: () => string[];
  readonly converge: () => Promise<Captured>;
  /** What diff compares with once converged. */
  readonly target: string;
}

const KINDS: Record<Kind['name'], Kind> = {
  apply: { name: 'apply', args: () => ['apply', '-f', host.file(FULL)], converge: () => host.apply(FULL), target: FULL },
  prune: { name: 'prune', args: () => ['apply', ALLOW_EMPTY, '-f', host.file(EMPTY)], converge: () => host.apply(EMPTY, ALLOW_EMPTY), target: EMPTY },
  delete: { name: 'delete', args: () => ['delete', '-f', host.file(FULL)], converge: () => host.cli(['delete'], FULL), target: EMPTY },
};
const ROUND = [KINDS.apply, KINDS.prune, KINDS.apply, KINDS.delete];
const ROUNDS = Number(process.env.NETD_CRASH_TRIALS ?? 3);

/** After the kill: one converging run, then diff and doctor exit 0 and nothing leaks; the problems, if any. */
async function afterKill(k: Kind): Promise<string[]> {
  const r = await k.converge();
  if (r.code !== 0) return [`the one ${k.name} after the kill exited ${r.code}: ${r.stderr.trim()}`];
  const problems: string[] = [];
  const d = await host.diff(k.target, ALLOW_EMPTY);
  if (d.code !== 0) problems.push(`diff exited ${d.code}: ${d.stdout.trim()}`);
  const doc = await host.cli(['doctor']);
  if (doc.code !== 0)
    problems.push(
      `doctor exited ${doc.code}: ${doc.stdout
        .split('\n')
        .filter((l) => l.startsWith('problem'))
        .join('; ')}`,
    );
  return [...problems, ...netdLeaks(await recorded())];
}

test(
  `kill -9 at random moments of apply, prune and delete -f (${ROUNDS} rounds): one run converges, diff and doctor are clean, nothing leaks`,
  { skip, timeout: ROUNDS * 120_000 },
  async (t) => {
    assert.equal((await host.apply(EMPTY, ALLOW_EMPTY)).code, 0);
    const tally = new Map(Object.keys(KINDS).map((k) => [k, { trials: 0, killed: 0, converged: 0 }]));
    const failures: string[] = [];
    for (let i = 0; i < ROUNDS * ROUND.length; i++) {
      const k = ROUND[i % ROUND.length]!;
      const at = 50 + Math.random() * 2950;
      const alone = i % 2 === 1;
      const run = await netdChild(k.args(), (ms) => ms >= at, alone);
      const problems = await afterKill(k);
      const n = tally.get(k.name)!;
      n.trials++;
      if (run.killed) n.killed++;
      if (problems.length === 0) n.converged++;
      const what = `trial ${i + 1}, ${k.name} killed at ${Math.round(at)} ms (${alone ? 'node alone' : 'process group'})${run.killed ? '' : `, but it exited ${run.code} first`}`;
      if (problems.length > 0) failures.push(`${what}: ${problems.join(' | ')}`);
      // A run that did not converge leaves the next one a wrong start: converge it for good.
      if (problems.length > 0) await k.converge();
    }
    for (const [k, n] of tally) t.diagnostic(`${k}: ${n.trials} trials, ${n.killed} killed while running, ${n.converged} converged with one run`);
    assert.deepEqual(failures, []);
  },
);
