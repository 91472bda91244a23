/**
 * The apply report without a kernel: applyOnce over a memory store, a fake runner (the
 * kernel's answers, or its refusals) and a fake observer (what the host shows), and the pure
 * pieces (per-change outcomes from an execute result, call kinds, totals).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetdError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { loadDesiredState } from '../../src/desired/validate.js';
import { MemoryStore } from '../../src/store/memory.js';
import { KernelError, callKind, type ObservedLink, type ObservedState, type Observer, type RunOptions, type RunResult } from '../../src/kernel/index.js';
import { Step } from '../../src/controller/step.js';
import type { Change } from '../../src/plan/types.js';
import type { Engine } from '../../src/reconcile/reconcile.js';
import { SkippedChange, type ExecuteResult } from '../../src/reconcile/run-plan.js';
import { applyOnce, type ApplyDeps } from '../../src/reconcile/apply-once.js';
import { changeReports, tally } from '../../src/reconcile/apply-report.js';
import { FakeRunner } from '../../src/kernel/fake-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'netd-report-'));
let files = 0;

async function desired(yaml: string): Promise<Parameters<typeof applyOnce>[0]> {
  const path = join(dir, `d${++files}.yaml`);
  writeFileSync(path, yaml);
  const r = await loadDesiredState([path]);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.state;
}

const TWO = `version: 1
networks:
  a: { subnet: 10.61.0.0/24, bridge: br-a }
  b: { subnet: 10.62.0.0/24, bridge: br-b }
`;

/** A host that shows `links` and holds nothing of netd's; `batch` answers each `ip -batch`. */
function fakeHost(batch: (input: string) => RunResult = () => ({ stdout: '', stderr: '' }), links: ObservedLink[] = []) {
  const runner = new FakeRunner((argv: string[], opts: RunOptions) => {
    const kind = callKind(argv);
    if (kind === 'ip -batch') return batch(opts.input ?? '');
    if (kind === 'ip -json route') return { stdout: '[]', stderr: '' };
    if (kind === 'sysctl -n') return { stdout: '1\n', stderr: '' };
    if (kind === 'nft -j list') throw new KernelError({ argv, stderr: 'Error: No such file or directory', exitCode: 1 });
    return { stdout: '', stderr: '' };
  });
  const observer: Observer = {
    observe: (): Promise<ObservedState> => Promise.resolve({ links, addresses: [], routes: [], namespaces: [], views: new Map() }),
  };
  const store = new MemoryStore();
  const engine: Engine = { store, runner, log: silentLogger, observer };
  const deps: ApplyDeps = {
    stateDir: mkdtempSync(join(dir, 'state-')),
    runner,
    open: (_o, fn) => fn(engine),
    hostChecks: () => Promise.resolve([]),
  };
  return { runner, deps };
}

const fileExists = (input: string): never => {
  throw new KernelError({
    argv: ['ip', '-batch', '-'],
    stderr: `RTNETLINK answers: File exists\nCommand failed -:1\n`,
    exitCode: 1,
    op: input.split('\n')[0]!,
    line: 1,
  });
};

test('outcomes of a whole pass', async (t) => {
  const cases: {
    name: string;
    yaml: string;
    o?: { dryRun: boolean };
    host: () => ReturnType<typeof fakeHost>;
    outcome: string;
    changes: string[];
    refused?: RegExp;
    phases: string[];
  }[] = [
    {
      name: 'nothing declared, nothing held: in sync',
      yaml: 'version: 1\n',
      host: () => fakeHost(),
      outcome: 'in-sync',
      changes: [],
      phases: ['preflight', 'observe', 'plan', 'lock'],
    },
    {
      name: 'dry run: the plan, nothing executed',
      yaml: TWO,
      o: { dryRun: true },
      host: () => fakeHost(),
      outcome: 'dry-run',
      changes: [],
      phases: ['preflight', 'observe', 'plan'],
    },
    {
      name: 'host pre-flight refuses before the store is opened',
      yaml: TWO,
      host: () => {
        const h = fakeHost();
        return {
          ...h,
          deps: { ...h.deps, hostChecks: () => Promise.resolve(['nft is missing: install nftables']), open: () => assert.fail('opened the store') },
        };
      },
      outcome: 'refused',
      refused: /nft is missing/,
      changes: [],
      phases: ['preflight'],
    },
    {
      name: 'a declared bridge name someone else holds is refused',
      yaml: TWO,
      host: () => fakeHost(undefined, [{ name: 'br-a', index: 7, kind: 'dummy', mtu: 1500, mac: '02:00:00:00:00:07', operstate: 'UP', up: true }]),
      outcome: 'refused',
      refused: /br-a/,
      changes: [],
      phases: ['preflight', 'observe', 'plan'],
    },
    {
      name: 'the kernel refuses the batch: every change failed, with the kernel error kind',
      yaml: TWO,
      host: () => fakeHost(fileExists),
      outcome: 'failed',
      changes: ['create network a: failed conflict', 'create network b: failed conflict'],
      phases: ['preflight', 'observe', 'plan', 'lock', 'execute', 'verify'],
    },
    {
      name: 'a plain Error from below is internal',
      yaml: TWO,
      host: () =>
        fakeHost(() => {
          throw new Error('the fake broke');
        }),
      outcome: 'failed',
      changes: ['create network a: failed internal', 'create network b: failed internal'],
      phases: ['preflight', 'observe', 'plan', 'lock', 'execute', 'verify'],
    },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const { deps } = c.host();
      const r = await applyOnce(await desired(c.yaml), deps, c.o ?? { dryRun: false });
      assert.equal(r.outcome, c.outcome);
      assert.deepEqual(
        r.changes.map((x) => `${x.action} ${x.kind} ${x.name}: ${x.outcome}${x.error ? ` ${x.error.code}` : ''}`),
        c.changes,
      );
      if (c.refused) assert.match(r.refused.join('\n'), c.refused);
      else assert.deepEqual(r.refused, []);
      assert.deepEqual(
        r.phases.map((p) => p.name),
        c.phases,
      );
      assert.ok(r.phases.every((p) => p.ms >= 0));
      assert.ok(r.kernel.calls >= Object.values(r.kernel.byKind).reduce((n, k) => Math.max(n, k), 0));
    });
  }
});

test('a failed pass reports every failure, its step and the kernel calls that ran', async () => {
  const { runner, deps } = fakeHost(fileExists);
  const r = await applyOnce(await desired(TWO), deps, { dryRun: false });
  assert.deepEqual(
    r.failures.map((f) => [f.change, f.code, f.step]),
    [
      [0, 'conflict', 'create network "a"'],
      [1, 'conflict', 'create network "b"'],
    ],
  );
  assert.match(r.failures[0]!.message, /File exists/);
  assert.deepEqual(r.totals, { created: 0, updated: 0, replaced: 0, repaired: 0, deleted: 0, failed: 2, skipped: 0 });
  // Nothing is left to verify but the failed creates: both still to do.
  assert.deepEqual(
    r.remaining.map((c) => `${c.action} ${c.kind} ${c.name}`),
    ['create network a', 'create network b'],
  );
  assert.equal(r.kernel.calls, runner.calls.length);
  assert.ok((r.kernel.byKind['ip -batch'] ?? 0) >= 1, JSON.stringify(r.kernel));
  assert.equal(r.kernel.writes, runner.calls.filter((c) => c.opts.write).length);
});

test('a successful execute: the changes are done even when verify still finds them (the fake kernel keeps nothing)', async () => {
  const { deps } = fakeHost();
  const r = await applyOnce(await desired(TWO), deps, { dryRun: false });
  assert.deepEqual(
    r.changes.map((x) => x.outcome),
    ['done', 'done'],
  );
  assert.deepEqual(r.failures, []);
  assert.equal(r.outcome, 'failed', 'verify found the bridges missing');
  assert.equal(r.totals.created, 2);
});

const change = (kind: Change['kind'], name: string): Change => ({ action: 'create', kind, name, reasons: [] });

test('per-change outcomes: own failures, skipped dependents, queueing errors, failures of no change', () => {
  const net = change('network', 'n');
  const box = change('container', 'c');
  const att = change('attachment', 'c/n');
  const other = change('container', 'd');
  const late = change('attachment', 'd/n');
  const build = new Step('create network "n"');
  build.error = new NetdError('forbidden', 'ip -batch: "link add nd-1": Operation not permitted');
  const join = new Step('create endpoint "c/n"');
  join.deps.push(build);
  join.error = new Error('skipped: create network "n" failed');
  join.skippedBy = build;
  const route = new Step('default route of "c"');
  route.error = new NetdError('retry', 'busy');
  const queued = new NetdError('conflict', 'address 10.0.0.5 already in use');
  const r: ExecuteResult = {
    commit: { steps: [build, join, route], failed: [build, join, route], views: new Map(), extraWrites: 0 },
    failures: [
      { change: other, error: queued, message: queued.message },
      { change: late, error: new SkippedChange('create endpoint "d/n": its container could not be created', queued), message: '' },
    ],
    failed: new Set([net, att, other, late]),
    unowned: [route],
    owners: new Map([
      [build, net],
      [join, att],
    ]),
  };
  const { changes, failures } = changeReports([net, box, att, other, late], r);
  assert.deepEqual(
    changes.map((c) => [c.name, c.outcome, c.error?.code, c.error?.step]),
    [
      ['n', 'failed', 'forbidden', 'create network "n"'],
      ['c', 'done', undefined, undefined],
      ['c/n', 'skipped', 'forbidden', 'create endpoint "c/n"'],
      ['d', 'failed', 'conflict', undefined],
      ['d/n', 'skipped', 'conflict', undefined],
    ],
  );
  assert.deepEqual(
    failures.map((f) => [f.change, f.code]),
    [
      [3, 'conflict'],
      [4, 'conflict'],
      [0, 'forbidden'],
      [2, 'forbidden'],
      [undefined, 'retry'],
    ],
  );
  const t = tally([net, box, att, other, late], new Set([net, att, other, late]), 1, 2);
  assert.deepEqual(t, { created: 1, updated: 0, replaced: 0, repaired: 0, deleted: 0, failed: 5, skipped: 2 });
});

test('call kinds: program and subcommand, without namespaces, names or values', () => {
  const cases: [string[], string][] = [
    [['ip', '-batch', '-'], 'ip -batch'],
    [['ip', '-n', 'web', '-batch', '-'], 'ip -batch'],
    [['nsenter', '--net=/proc/7/ns/net', 'ip', '-details', '-json', '-batch', '-'], 'ip -details -json -batch'],
    [['ip', '-json', 'route', 'show', 'table', 'all'], 'ip -json route'],
    [['ip', 'netns', 'add', 'web'], 'ip netns'],
    [['nft', '-j', 'list', 'table', 'inet', 'netd'], 'nft -j list'],
    [['nsenter', '--net=/run/netns/web', 'nft', '-f', '-'], 'nft -f'],
    [['sysctl', '-n', 'net.ipv4.ip_forward'], 'sysctl -n'],
    [['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'], 'sysctl -q -w'],
    [['nsenter', '--version'], 'nsenter --version'],
  ];
  for (const [argv, kind] of cases) assert.equal(callKind(argv), kind, argv.join(' '));
});
