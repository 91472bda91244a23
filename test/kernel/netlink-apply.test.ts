/**
 * The netlink applier against its oracle, the iproute2 renderer: the same ops in two like
 * namespaces leave the same observed state; the same refusals come back as the same kinds,
 * pinned to the same op, with the ops before it applied.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoLeaks, kernelSkip } from '../helpers/kernel.js';
import {
  addNamespace,
  CountingRunner,
  deleteNamespace,
  ExecRunner,
  IpObserver,
  KernelError,
  runOps,
  runOpsAndView,
  type KernelOp,
  type ObservedNamespace,
  type Runner,
} from '../../src/kernel/index.js';
import { netlinkStatus } from '../../src/kernel/netlink/addon.js';
import { applyOps } from '../../src/kernel/netlink/apply.js';

const runner = new ExecRunner();
/** The real kernel behind a wrapper: runOps takes iproute2 for it (the oracle). */
const viaIp: Runner = { run: (argv, opts) => runner.run(argv, opts) };
const status = netlinkStatus();
const skip = kernelSkip || (status.loaded ? false : `netlink addon not loaded: ${status.reason}`);
const [BY_IP, BY_NL] = ['na-ip', 'na-nl'];

/** Applies ops in a namespace through the netlink applier directly. */
function netlink(ns: string, ops: KernelOp[]): void {
  assert.ok(status.loaded);
  const [fd] = status.addon.open([`/run/netns/${ns}`]);
  assert.equal(typeof fd, 'number');
  try {
    applyOps(status.addon, fd as number, ns, ops);
  } finally {
    status.addon.close(fd as number);
  }
}

before(async () => {
  if (skip) return;
  for (const ns of [BY_IP, BY_NL]) {
    await addNamespace(runner, ns);
    // Fixed MACs: the kernel's link-local addresses derive from them.
    await runOps(runner, ns, [
      { op: 'link-add', kind: 'veth', name: 'eth0', mac: '02:00:00:00:70:01', peer: { name: 'eth1', mac: '02:00:00:00:70:02' } },
      { op: 'link-add', kind: 'bridge', name: 'br0', mac: '02:00:00:00:70:03' },
    ]);
  }
});

after(async () => {
  if (skip) return;
  for (const ns of [BY_IP, BY_NL]) await deleteNamespace(runner, ns);
  assertNoLeaks();
});

/** What the ops decide, without what differs between two namespaces by nature (ifindexes, MACs). */
const state = (v: ObservedNamespace | null): unknown => ({
  links: v?.links.map((l) => ({ name: l.name, up: l.up, mtu: l.mtu, mac: l.mac, alias: l.alias, master: l.master })),
  // The kernel's own link-local addresses come with carrier, on its own time.
  addresses: v?.addresses.filter((a) => !a.cidr.startsWith('fe80::') || a.cidr === 'fe80::70/64'),
  routes: v?.routes,
});

const OPS: KernelOp[] = [
  { op: 'link-set', name: 'lo', up: true },
  { op: 'link-set', name: 'eth0', up: true, mtu: 1400 },
  { op: 'link-set', name: 'eth1', up: true },
  { op: 'addr-add', dev: 'eth0', cidr: '10.70.0.2/24' },
  { op: 'addr-add', dev: 'eth0', cidr: 'fd70::2/64', nodad: true },
  { op: 'addr-add', dev: 'eth0', cidr: 'fe80::70/64', nodad: true },
  { op: 'addr-add', dev: 'lo', cidr: '127.0.0.70/8' },
  { op: 'addr-add', dev: 'eth0', cidr: '10.70.0.3/24' },
  { op: 'addr-del', dev: 'eth0', cidr: '10.70.0.3/24' },
  { op: 'addr-replace', dev: 'eth0', cidr: '10.70.0.2/24' },
  { op: 'route-add', dst: 'default', via: '10.70.0.1' },
  { op: 'route-add', dst: 'default', via: 'fd70::1', family: 6 },
  { op: 'route-add', dst: '10.71.0.0/24', dev: 'eth0', metric: 5 },
  { op: 'route-add', dst: 'fd71::/64', dev: 'eth0', metric: 50, family: 6 },
  { op: 'route-replace', dst: '10.72.0.0/24', via: '10.79.0.9', dev: 'eth0', onlink: true },
  { op: 'route-add', dst: '10.73.0.0/24', via: '10.70.0.1', proto: 4 },
  { op: 'route-del', dst: '10.73.0.0/24', via: '10.70.0.1' },
  { op: 'link-set', name: 'eth1', up: false, master: 'br0', alias: 'netd:endpoint:e70', mac: '02:00:00:00:70:04' },
  { op: 'link-set', name: 'eth1', master: null },
  { op: 'link-set', name: 'eth0', master: 'br0' },
];

test('the netlink applier and iproute2 leave the same state for the same ops', { skip }, async () => {
  await runOps(viaIp, BY_IP, OPS);
  netlink(BY_NL, OPS);
  const ip = new IpObserver(runner);
  const [a, b] = [state(await ip.view(BY_IP)), state(await ip.view(BY_NL))];
  assert.deepEqual(b, a);
  assert.ok(JSON.stringify(a).includes('"onlink":true') && JSON.stringify(a).includes('fd71::/64'), 'the ops took effect');
});

test('refusals: the same kind from both, pinned to the op, the ops before it applied', { skip }, async () => {
  const cases: { name: string; ops: KernelOp[]; kind: KernelError['kind']; opIndex: number }[] = [
    { name: 'an address twice', ops: [{ op: 'addr-add', dev: 'eth0', cidr: '10.70.0.2/24' }], kind: 'exists', opIndex: 0 },
    { name: 'a missing address', ops: [{ op: 'addr-del', dev: 'eth0', cidr: '10.70.9.9/24' }], kind: 'not-found', opIndex: 0 },
    { name: 'a missing route', ops: [{ op: 'route-del', dst: '10.74.0.0/24', dev: 'eth0' }], kind: 'not-found', opIndex: 0 },
    { name: 'a missing device', ops: [{ op: 'link-set', name: 'eth9', up: true }], kind: 'not-found', opIndex: 0 },
    {
      name: 'a route twice, after a new address',
      ops: [
        { op: 'addr-add', dev: 'eth0', cidr: '10.70.0.5/24' },
        { op: 'route-add', dst: '10.71.0.0/24', dev: 'eth0', metric: 5 },
      ],
      kind: 'exists',
      opIndex: 1,
    },
  ];
  for (const tc of cases) {
    const seen: unknown[] = [];
    await runOps(viaIp, BY_IP, tc.ops).catch((e: unknown) => seen.push(e));
    try {
      netlink(BY_NL, tc.ops);
    } catch (e) {
      seen.push(e);
    }
    assert.equal(seen.length, 2, tc.name);
    for (const e of seen) {
      assert.ok(e instanceof KernelError, tc.name);
      assert.deepEqual([e.kind, e.opIndex], [tc.kind, tc.opIndex], `${tc.name}: ${e.message}`);
    }
  }
  const ip = new IpObserver(runner);
  assert.deepEqual(state(await ip.view(BY_NL)), state(await ip.view(BY_IP)));
  // iproute2 refuses a missing bridge while reading the line, before any op has its index.
  assert.throws(
    () => netlink(BY_NL, [{ op: 'link-set', name: 'eth1', master: 'br9' }]),
    (e) => e instanceof KernelError && e.kind === 'not-found' && e.opIndex === 0 && /br9/.test(e.message),
  );
});

test('runOps and runOpsAndView take the netlink applier by default: no process, the writes noted', { skip }, async () => {
  const c = new CountingRunner(runner);
  await runOps(c, BY_NL, [{ op: 'addr-add', dev: 'eth1', cidr: '10.75.0.1/24' }]);
  const view = await runOpsAndView(c, BY_NL, [{ op: 'addr-del', dev: 'eth1', cidr: '10.75.0.1/24' }]);
  assert.deepEqual(view, await new IpObserver(runner).view(BY_NL));
  await assert.rejects(
    runOps(c, 'na-none', [{ op: 'addr-add', dev: 'eth0', cidr: '10.75.0.1/24' }]),
    (e) => e instanceof KernelError && e.kind === 'not-found',
  );
  assert.deepEqual([c.calls, c.writes, c.byKind.get('netlink apply')], [0, 3, 3]);
});
