/**
 * Every kind of kernel op through the netlink applier against its oracle, the iproute2
 * renderer: each case's ops run in a fresh namespace one way and in another the other way
 * (the namespaces they create named apart), and the observed states must be the same; the
 * same refusals come back as the same kinds pinned to the same op; the JS thread never
 * changes namespace.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { assertNoLeaks, kernelSkip } from '../helpers/kernel.js';
import { ExecRunner, IpObserver, KernelError, readSysctl, runOps, type KernelOp, type ObservedNamespace, type Runner } from '../../src/kernel/index.js';
import { netlinkStatus } from '../../src/kernel/netlink/addon.js';
import { NetlinkObserver } from '../../src/kernel/netlink/observer.js';

const status = netlinkStatus();
const skip = kernelSkip || (status.loaded ? false : `netlink addon not loaded: ${status.reason}`);
const real = new ExecRunner();
/** The real kernel behind a wrapper: runOps takes iproute2 for it (the oracle). */
const viaIp: Runner = { run: (argv, opts) => real.run(argv, opts) };
type Side = 'i' | 'n';
const mac = (n: number): string => `02:00:00:00:7a:${n.toString(16).padStart(2, '0')}`;

interface Case {
  name: string;
  /**
   * Namespaces to add and delete, run in the throwaway host: `ip -n` gives each batch a
   * mount namespace of its own, where a new namespace's mount would not reach the host.
   */
  root?: (ns: (x: string) => string) => KernelOp[];
  /** The ops, run in the case's fresh namespace `p${side}-host`; `ns(x)` names a namespace of this side. */
  ops: (ns: (x: string) => string) => KernelOp[];
  /** Namespaces (besides the host) whose state to compare. */
  look?: string[];
  sysctls?: { ns: string; key: string }[];
}

const CASES: Case[] = [
  {
    name: 'namespaces, a bridge and veths with the peer inside a namespace',
    root: (ns) => [
      { op: 'netns-add', name: ns('c1') },
      { op: 'netns-add', name: ns('c2') },
      { op: 'netns-add', name: ns('gone') },
      { op: 'netns-del', name: ns('gone') },
    ],
    ops: (ns) => [
      { op: 'link-add', kind: 'bridge', name: 'br0', mac: mac(1), mtu: 1400, up: true },
      { op: 'link-add', kind: 'veth', name: 'v1', mac: mac(2), mtu: 1400, peer: { name: 'eth0', ns: ns('c1'), mac: mac(3), mtu: 1400 } },
      { op: 'link-set', name: 'v1', master: 'br0', up: true, hairpin: true },
      { op: 'link-add', kind: 'veth', name: 'v2', mac: mac(4), alias: 'netd:endpoint:x', up: true, peer: { name: 'eth0', ns: ns('c2'), mac: mac(5) } },
      { op: 'link-set', name: 'v2', master: 'br0' },
      { op: 'addr-add', dev: 'br0', cidr: '10.122.0.1/24' },
      { op: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' },
    ],
    look: ['c1', 'c2'],
    sysctls: [{ ns: 'host', key: 'net.ipv4.ip_forward' }],
  },
  {
    name: 'vxlan, permanent neighbours and FDB entries, onlink routes',
    ops: () => [
      { op: 'link-add', kind: 'veth', name: 'u0', mac: mac(10), peer: { name: 'u1', mac: mac(11) } },
      { op: 'addr-add', dev: 'u0', cidr: '192.0.2.1/24' },
      { op: 'link-set', name: 'u0', up: true },
      { op: 'link-set', name: 'u1', up: true },
      {
        op: 'link-add',
        kind: 'vxlan',
        name: 'vx0',
        mac: mac(12),
        mtu: 1450,
        up: true,
        vxlan: { vni: 4242, port: 4789, local: '192.0.2.1', dev: 'u0', learning: false },
      },
      { op: 'link-add', kind: 'vxlan', name: 'vx1', mac: mac(13), vxlan: { vni: 7, port: 8472 } },
      { op: 'fdb-append', dev: 'vx0', mac: mac(20), dst: '192.0.2.2' },
      { op: 'fdb-append', dev: 'vx0', mac: mac(21), dst: '192.0.2.3' },
      { op: 'fdb-del', dev: 'vx0', mac: mac(21), dst: '192.0.2.3' },
      { op: 'neigh-replace', dev: 'vx0', addr: '10.123.1.0', mac: mac(20) },
      { op: 'neigh-replace', dev: 'vx0', addr: '10.123.2.0', mac: mac(21) },
      { op: 'neigh-del', dev: 'vx0', addr: '10.123.2.0' },
      { op: 'route-add', dst: '10.123.1.0/24', via: '10.123.1.0', dev: 'vx0', onlink: true },
      { op: 'route-replace', dst: '10.123.1.0/24', via: '10.123.1.0', dev: 'vx0', onlink: true, metric: 0 },
    ],
  },
  {
    name: 'renames, moves to a namespace, nomaster and deletes',
    root: (ns) => [{ op: 'netns-add', name: ns('m') }],
    ops: (ns) => [
      { op: 'link-add', kind: 'bridge', name: 'brx', mac: mac(30) },
      { op: 'link-add', kind: 'veth', name: 't0', mac: mac(31), peer: { name: 't1', mac: mac(32) } },
      { op: 'link-set', name: 't1', master: 'brx' },
      { op: 'link-set', name: 't1', rename: 't9', mtu: 1300 },
      { op: 'link-set', name: 't9', master: null, up: true },
      { op: 'link-set', name: 't0', netns: ns('m') },
      { op: 'link-add', kind: 'bridge', name: 'bry' },
      { op: 'link-del', name: 'bry' },
      { op: 'sysctl', key: 'net.ipv6.conf.all.forwarding', value: '1' },
    ],
    look: ['m'],
    sysctls: [{ ns: 'host', key: 'net.ipv6.conf.all.forwarding' }],
  },
];

/** What the ops decide, without what differs between two namespaces by nature (ifindexes, peer ids, carrier timing). */
const state = (v: ObservedNamespace | null): unknown => {
  // IPv6 link-local addresses come and go with carrier, on the kernel's own time.
  const auto = (x: object): boolean => JSON.stringify(x).includes('fe80:');
  const sorted = <T>(xs: readonly T[]): T[] =>
    xs
      .map((x) => JSON.stringify(x))
      .sort()
      .map((x) => JSON.parse(x) as T);
  return (
    v && {
      links: sorted(v.links.map(({ index: _i, peerIndex: _p, peerNetnsId: _n, operstate: _o, ...l }) => l)),
      addresses: sorted(v.addresses.filter((a) => !auto(a))),
      routes: sorted(v.routes.filter((r) => !auto(r))),
      neighbours: v.neighbours,
      fdb: v.fdb,
    }
  );
};

const names = (side: Side) => (x: string) => `p${side}-${x}`;
const netnsList = (): string[] => readdirSync('/run/netns').sort();

after(() => {
  if (!skip) assertNoLeaks();
});

async function cleanup(): Promise<void> {
  const left = netnsList().filter((n) => /^p[in]-/.test(n));
  if (left.length > 0)
    await runOps(
      real,
      undefined,
      left.map((name): KernelOp => ({ op: 'netns-del', name })),
      { force: true },
    );
}

for (const tc of CASES) {
  test(`the same state both ways: ${tc.name}`, { skip }, async () => {
    try {
      const seen = new Map<Side, unknown>();
      for (const side of ['i', 'n'] as const) {
        const ns = names(side);
        const runner = side === 'i' ? viaIp : real;
        await runOps(runner, undefined, [{ op: 'netns-add', name: ns('host') }, ...(tc.root?.(ns) ?? [])]);
        await runOps(runner, ns('host'), tc.ops(ns));
        const ip = new IpObserver(real);
        const look = ['host', ...(tc.look ?? [])];
        seen.set(side, {
          views: await Promise.all(look.map(async (x) => state(await ip.view(ns(x))))),
          netns: netnsList()
            .filter((n) => n.startsWith(`p${side}-`))
            .map((n) => n.slice(3)),
          sysctls: await Promise.all((tc.sysctls ?? []).map((s) => readSysctl(real, ns(s.ns), s.key))),
        });
      }
      assert.deepEqual(seen.get('n'), seen.get('i'));
      assert.ok(!JSON.stringify(seen.get('i')).includes('"views":[null'), 'the ops took effect');
    } finally {
      await cleanup();
    }
  });
}

// EBUSY (the kind busy) is mapped in netlink-codec.test.ts: no op netd runs gets it from this kernel on demand.
test('refusals: the same kinds both ways, pinned to the op (EEXIST, ENOENT, EINVAL)', { skip }, async () => {
  const cases: {
    name: string;
    root?: true;
    ops: (ns: (x: string) => string) => KernelOp[];
    kind: KernelError['kind'];
    opIndex: number;
    /** Where iproute2 cannot pin the op: it refuses some lines while reading them, and `ip neigh` exits without naming its line. */
    ip?: [KernelError['kind'], undefined];
  }[] = [
    {
      name: 'a namespace twice',
      root: true,
      ops: (ns) => [
        { op: 'netns-add', name: ns('r1') },
        { op: 'netns-add', name: ns('r1') },
      ],
      kind: 'exists',
      opIndex: 1,
    },
    { name: 'deleting a missing namespace', root: true, ops: (ns) => [{ op: 'netns-del', name: ns('r9') }], kind: 'not-found', opIndex: 0 },
    {
      name: 'a link twice',
      ops: () => [
        { op: 'link-add', kind: 'bridge', name: 'rb' },
        { op: 'link-add', kind: 'bridge', name: 'rb' },
      ],
      kind: 'exists',
      opIndex: 1,
    },
    { name: 'deleting a missing link', ops: () => [{ op: 'link-del', name: 'rz' }], kind: 'not-found', opIndex: 0 },
    {
      name: 'a veth peer into a missing namespace',
      ops: (ns) => [{ op: 'link-add', kind: 'veth', name: 'rv', peer: { name: 'eth0', ns: ns('r8') } }],
      kind: 'not-found',
      opIndex: 0,
      ip: ['invalid', undefined],
    },
    {
      name: 'a bridge moved to another namespace',
      ops: (ns) => [
        { op: 'link-add', kind: 'bridge', name: 'ru' },
        { op: 'link-set', name: 'ru', netns: ns('host') === 'pi-host' ? 'pn-host' : 'pi-host' },
      ],
      kind: 'invalid',
      opIndex: 1,
    },
    // `ip neigh` exits on a refusal without naming its batch line.
    {
      name: 'a missing neighbour',
      ops: () => [{ op: 'neigh-del', dev: 'lo', addr: '10.124.0.9' }],
      kind: 'not-found',
      opIndex: 0,
      ip: ['not-found', undefined],
    },
    { name: 'a missing sysctl', ops: () => [{ op: 'sysctl', key: 'net.ipv4.no_such_key', value: '1' }], kind: 'not-found', opIndex: 0 },
  ];
  try {
    for (const side of ['i', 'n'] as const) await runOps(real, undefined, [{ op: 'netns-add', name: names(side)('host') }]);
    for (const tc of cases) {
      const kinds: unknown[] = [];
      for (const side of ['i', 'n'] as const) {
        const ns = names(side);
        const e = await runOps(side === 'i' ? viaIp : real, tc.root ? undefined : ns('host'), tc.ops(ns)).then(
          () => undefined,
          (err: unknown) => err,
        );
        assert.ok(e instanceof KernelError, `${tc.name} (${side}): ${String(e)}`);
        kinds.push([e.kind, e.opIndex, e.message]);
      }
      assert.deepEqual(
        kinds.map((k) => (k as unknown[]).slice(0, 2)),
        [tc.ip ?? [tc.kind, tc.opIndex], [tc.kind, tc.opIndex]],
        `${tc.name}: ${JSON.stringify(kinds)}`,
      );
    }
  } finally {
    await cleanup();
  }
});

test('force: every op is tried, the first refusal is thrown after', { skip }, async () => {
  try {
    const ns = names('n');
    const ops: KernelOp[] = [
      { op: 'netns-add', name: ns('f1') },
      { op: 'netns-del', name: ns('f9') },
      { op: 'netns-add', name: ns('f2') },
    ];
    await assert.rejects(runOps(real, undefined, ops, { force: true }), (e) => e instanceof KernelError && e.kind === 'not-found' && e.opIndex === 1);
    assert.deepEqual(
      netnsList().filter((n) => n.startsWith('pn-')),
      ['pn-f1', 'pn-f2'],
    );
  } finally {
    await cleanup();
  }
});

test("the JS thread's namespace never changes: applying, creating namespaces, observing", { skip }, async () => {
  const mine = (): string[] => [readlinkSync('/proc/thread-self/ns/net'), readlinkSync(`/proc/self/task/${process.pid}/ns/net`)];
  const before = mine();
  const forwarding = await readSysctl(real, undefined, 'net.ipv4.ip_forward');
  try {
    const ns = names('n');
    await runOps(real, undefined, [
      { op: 'netns-add', name: ns('t') },
      { op: 'link-add', kind: 'veth', name: 'jv', peer: { name: 'eth0', ns: ns('t') } },
    ]);
    await runOps(real, ns('t'), [
      { op: 'link-set', name: 'eth0', up: true },
      { op: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' },
    ]);
    await new NetlinkObserver(status.loaded ? status.addon : (undefined as never)).observe({ namespaces: [ns('t')] });
    assert.deepEqual(mine(), before);
    assert.deepEqual(
      [await readSysctl(real, ns('t'), 'net.ipv4.ip_forward'), await readSysctl(real, undefined, 'net.ipv4.ip_forward')],
      ['1', forwarding],
      'the sysctl went to the namespace, not to netd',
    );
  } finally {
    await runOps(real, undefined, [{ op: 'link-del', name: 'jv' }], { force: true }).catch(() => undefined);
    await cleanup();
  }
});
