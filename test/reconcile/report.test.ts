/**
 * The apply report on a real kernel (inside the throwaway host): `netd apply -o json` says
 * every change was done and which kernel calls it took; a change the kernel refuses is
 * reported with its error kind, and what depended on it as skipped.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { ALLOW_EMPTY, EMPTY, TestHost } from '../helpers/netd.js';
import { ExecRunner, callKind, type RunOptions, type Runner } from '../../src/kernel/index.js';
import { applyOnce } from '../../src/reconcile/apply-once.js';
import type { ApplyReport } from '../../src/reconcile/apply-report.js';
import { parse } from 'yaml';

const SMALL = `version: 1
networks:
  rep: { subnet: 10.96.0.0/24, bridge: br-rep }
containers:
  rep1: {}
attachments:
  - { container: rep1, network: rep }
`;

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });

let host: TestHost;
before(() => {
  host = new TestHost();
});
after(async () => {
  if (!skip) await host.teardown();
});

test('apply -o json: every change done, phases timed, kernel calls counted; again: in sync, no writes', { skip }, async () => {
  const r = await host.apply(SMALL, '-o', 'json');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /3 created, 0 deleted, 0 failed/);
  const report = JSON.parse(r.stdout) as ApplyReport;
  assert.equal(report.outcome, 'applied');
  assert.deepEqual(
    report.plan.map((c) => `${c.action} ${c.kind} ${c.name}`),
    ['create container rep1', 'create network rep', 'create attachment rep1/rep'],
  );
  assert.deepEqual(
    report.changes.map((c) => `${c.name}: ${c.outcome}`),
    ['rep1: done', 'rep: done', 'rep1/rep: done'],
  );
  assert.deepEqual(report.failures, []);
  assert.deepEqual(report.remaining, []);
  assert.deepEqual(
    report.phases.map((p) => p.name),
    ['preflight', 'observe', 'plan', 'lock', 'execute', 'verify'],
  );
  // Counted by kind: with the addon, a cold apply may start no `ip` process at all.
  const kinds = Object.entries(report.kernel.byKind);
  assert.ok(kinds.length > 0 && kinds.every(([, n]) => n > 0), JSON.stringify(report.kernel));
  // The writes went through the netlink applier (the addon loaded) or `ip -batch` (NETD_NETLINK=0).
  const batches = (report.kernel.byKind['ip -batch'] ?? 0) + (report.kernel.byKind['netlink apply'] ?? 0);
  assert.ok(batches > 0 && report.kernel.writes > 0, JSON.stringify(report.kernel));
  assert.equal(report.totals.created, 3);

  const again = JSON.parse((await host.apply(SMALL, '-o', 'json')).stdout) as ApplyReport;
  assert.equal(again.outcome, 'in-sync');
  assert.equal(again.kernel.writes, 0, JSON.stringify(again.kernel));
  assert.deepEqual(again.changes, []);
});

/** A runner that, just before netd's first host batch, creates a link named `name` (someone else's). */
function racing(inner: Runner, name: string): Runner {
  let raced = false;
  return {
    async run(argv: string[], opts?: RunOptions) {
      if (!raced && opts?.write && callKind(argv) === 'ip -batch' && argv[1] === '-batch') {
        raced = true;
        ip('link', 'add', name, 'type', 'bridge');
      }
      return inner.run(argv, opts);
    },
  };
}

test('a change the kernel refuses: failed with its kind (conflict), its dependents skipped, the rest done', { skip }, async () => {
  await host.apply('version: 1\n', '--allow-empty');
  const yaml = SMALL.replace('10.96.0.0/24', '10.95.0.0/24').replace(/rep/g, 'rq');
  const e = await host.engine();
  let report: ApplyReport;
  try {
    report = await applyOnce(
      await host.desired(yaml),
      { stateDir: host.stateDir, runner: new ExecRunner(), open: (_o, fn) => fn({ ...e, runner: racing(e.runner, 'br-rq') }) },
      { dryRun: false },
    );
  } finally {
    await e.store.close();
  }
  try {
    assert.equal(report.outcome, 'failed');
    assert.deepEqual(
      report.changes.map((c) => `${c.kind} ${c.name}: ${c.outcome}${c.error ? ` ${c.error.code}` : ''}`),
      ['container rq1: done', 'network rq: failed conflict', 'attachment rq1/rq: skipped conflict'],
    );
    const net = report.changes[1]!.error!;
    assert.equal(net.step, 'create network "rq"');
    assert.match(net.message, /File exists/);
    assert.match(report.changes[2]!.error!.message, /skipped: create network "rq" failed/);
    // The summary's count: the two changes that did not happen and any failure of no change.
    assert.equal(report.totals.failed, 2 + report.failures.filter((f) => f.change === undefined).length);
    assert.equal(report.totals.skipped, 1);
    assert.deepEqual(
      report.failures.filter((f) => f.change !== undefined).map((f) => [f.change, f.code]),
      [
        [1, 'conflict'],
        [2, 'conflict'],
      ],
    );
  } finally {
    if (ip('-json', 'link', 'show').includes('"br-rq"')) ip('link', 'del', 'br-rq');
  }
});

test('-o yaml: diff prints the plan, apply the whole report, as YAML', { skip }, async () => {
  const other = new TestHost();
  const yaml = SMALL.replace(/rep/g, 'ry').replace('10.96.0.0/24', '10.96.1.0/24');
  try {
    const d = await other.diff(yaml, '-o', 'yaml');
    assert.equal(d.code, 2, d.stderr);
    const plan = parse(d.stdout) as { inSync: boolean; changes: { action: string }[] };
    assert.deepEqual([plan.inSync, plan.changes.length], [false, 3]);
    const a = await other.apply(yaml, '-o', 'yaml');
    assert.equal(a.code, 0, a.stderr);
    const report = parse(a.stdout) as ApplyReport;
    assert.deepEqual([report.outcome, report.totals.created], ['applied', 3]);
  } finally {
    // Pruned, not torn down: this file's other host still holds its objects.
    assert.equal((await other.apply(EMPTY, ALLOW_EMPTY)).code, 0);
  }
});
