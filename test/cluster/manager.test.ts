/** The subnet manager against the memory store on a fake clock: flannel's semantics, without its bugs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNetdError } from '../../src/errors.js';
import type { Acquired, HostClaim, OverlayNetwork } from '../../src/cluster/manager.js';
import { CFG, PODS, SMALL, TTL, cluster, hostA, hostB, hostC, leaseKey, type Cluster } from './fixture.js';

interface Case {
  readonly name: string;
  readonly net?: OverlayNetwork;
  /** What the cluster holds before this host acquires. */
  readonly before?: (c: Cluster) => Promise<unknown>;
  readonly host: HostClaim;
  readonly check: (got: Acquired, c: Cluster, before: unknown) => Promise<void> | void;
}

const reserve = (c: Cluster, net: OverlayNetwork, subnet: string, host: HostClaim): Promise<number> =>
  c.store.put(leaseKey(net, subnet), { hostId: host.hostId, publicIp: host.publicIp });

const cases: Case[] = [
  {
    name: 'fresh: a new lease on a subnet of the range, the config written',
    host: hostA,
    check: async (got, c) => {
      assert.equal(got.outcome, 'new');
      assert.equal(got.config, 'created');
      assert.equal(got.attempts, 1);
      assert.match(got.subnet, /^10\.89\.([1-9]|[1-9][0-9]|1[0-9][0-9]|2[0-5][0-9])\.0\/24$/);
      const kv = await c.store.get(leaseKey(PODS, got.subnet));
      assert.equal(kv?.lease, got.leaseId);
      assert.deepEqual(kv?.value, { hostId: hostA.hostId, publicIp: hostA.publicIp, backend: 'vxlan', vni: 1, vtepMac: hostA.vtepMac });
      assert.deepEqual((await c.store.get('/netd/v1/overlay/pods/config'))?.value, CFG);
    },
  },
  {
    name: 'reuse by host id: the same lease, rewritten with the new public IP',
    before: (c) => c.manager().acquire(PODS, hostA),
    host: { ...hostA, publicIp: '192.0.2.99' },
    check: async (got, c, first) => {
      const f = first as Acquired;
      assert.deepEqual([got.outcome, got.subnet, got.leaseId, got.config], ['renewed', f.subnet, f.leaseId, 'matched']);
      const kv = await c.store.get<{ publicIp: string }>(leaseKey(PODS, got.subnet));
      assert.equal(kv?.value.publicIp, '192.0.2.99');
      assert.equal(kv?.lease, f.leaseId);
    },
  },
  {
    name: 'reuse by public IP (a host whose id changed)',
    before: (c) => c.manager().acquire(PODS, hostA),
    host: { ...hostA, hostId: 'd'.repeat(32) },
    check: async (got, c, first) => {
      const f = first as Acquired;
      assert.deepEqual([got.outcome, got.subnet, got.leaseId], ['renewed', f.subnet, f.leaseId]);
      assert.equal((await c.store.get<{ hostId: string }>(leaseKey(PODS, got.subnet)))?.value.hostId, 'd'.repeat(32));
    },
  },
  {
    name: 'a new VTEP MAC is rewritten bound to the same lease',
    before: (c) => c.manager().acquire(PODS, hostA),
    host: { ...hostA, vtepMac: '02:00:00:00:00:ff' },
    check: async (got, c, first) => {
      const kv = await c.store.get<{ vtepMac: string }>(leaseKey(PODS, got.subnet));
      assert.deepEqual([got.leaseId, kv?.lease, kv?.value.vtepMac], [(first as Acquired).leaseId, (first as Acquired).leaseId, '02:00:00:00:00:ff']);
    },
  },
  {
    name: 'the VTEP MAC may derive from the subnet',
    host: { ...hostA, vtepMac: (subnet) => (subnet === '10.89.42.0/24' ? '02:00:0a:59:2a:00' : 'wrong'), previousSubnet: '10.89.42.0/24' },
    check: async (got, c) => {
      assert.equal((await c.store.get<{ vtepMac: string }>(leaseKey(PODS, got.subnet)))?.value.vtepMac, '02:00:0a:59:2a:00');
    },
  },
  {
    name: 'the previous subnet, still free, is taken again (not a re-address)',
    host: { ...hostA, previousSubnet: '10.89.42.0/24' },
    check: (got) => {
      assert.deepEqual([got.outcome, got.subnet, got.message], ['new', '10.89.42.0/24', undefined]);
    },
  },
  {
    name: 'the previous subnet held by another host: a new subnet, said loudly',
    before: (c) => c.manager().acquire(PODS, { ...hostB, previousSubnet: '10.89.42.0/24' }),
    host: { ...hostA, previousSubnet: '10.89.42.0/24' },
    check: (got) => {
      assert.equal(got.outcome, 're-addressed');
      assert.notEqual(got.subnet, '10.89.42.0/24');
      assert.match(
        got.message ?? '',
        /overlay network "pods": this host's last subnet 10\.89\.42\.0\/24 expired and is now held by host b{32} \(192\.0\.2\.2\); it now has 10\.89\.\d+\.0\/24 and its endpoints on "pods" are re-addressed/,
      );
    },
  },
  {
    name: 'the previous subnet reserved for another host is never taken',
    before: (c) => reserve(c, PODS, '10.89.42.0/24', hostB),
    host: { ...hostA, previousSubnet: '10.89.42.0/24' },
    check: (got) => {
      assert.equal(got.outcome, 're-addressed');
      assert.notEqual(got.subnet, '10.89.42.0/24');
      assert.match(got.message ?? '', /10\.89\.42\.0\/24 is reserved for another host/);
    },
  },
  {
    name: 'reservations are never handed to another host: the one free subnet is',
    net: SMALL,
    before: async (c) => {
      await reserve(c, SMALL, '10.89.1.0/24', hostB);
      await reserve(c, SMALL, '10.89.3.0/24', hostC);
    },
    host: hostA,
    check: (got) => assert.deepEqual([got.outcome, got.subnet], ['new', '10.89.2.0/24']),
  },
  {
    name: "a host's own reservation is its subnet: filled in, never expiring",
    before: (c) => reserve(c, PODS, '10.89.5.0/24', hostA),
    host: hostA,
    check: async (got, c) => {
      assert.deepEqual([got.outcome, got.subnet, got.leaseId], ['reserved', '10.89.5.0/24', undefined]);
      const kv = await c.store.get(leaseKey(PODS, '10.89.5.0/24'));
      assert.equal(kv?.lease, undefined);
      assert.deepEqual(kv?.value, { hostId: hostA.hostId, publicIp: hostA.publicIp, backend: 'vxlan', vni: 1, vtepMac: hostA.vtepMac });
    },
  },
  {
    name: 'expired while down, subnet free: the same subnet again on a new lease',
    before: async (c) => {
      const first = await c.manager().acquire(PODS, hostA);
      c.advance(TTL + 1);
      return first;
    },
    host: { ...hostA, previousSubnet: '10.89.42.0/24' },
    check: (got) => assert.deepEqual([got.outcome, got.subnet], ['new', '10.89.42.0/24']),
  },
  {
    name: 'expired while down, subnet taken by another host: re-addressed',
    before: async (c) => {
      await c.manager().acquire(PODS, { ...hostA, previousSubnet: '10.89.42.0/24' });
      c.advance(TTL + 1);
      await c.manager().acquire(PODS, { ...hostB, previousSubnet: '10.89.42.0/24' });
    },
    host: { ...hostA, previousSubnet: '10.89.42.0/24' },
    check: async (got, c) => {
      assert.equal(got.outcome, 're-addressed');
      assert.match(got.message ?? '', /last subnet 10\.89\.42\.0\/24 expired and is now held by host b{32}/);
      const held = await c.manager().listLeases('pods');
      assert.deepEqual(
        held.map((l) => [l.subnet, l.hostId]).sort(),
        [
          [got.subnet, hostA.hostId],
          ['10.89.42.0/24', hostB.hostId],
        ].sort(),
      );
    },
  },
  {
    name: 'the cluster holds another subnet for this host than it recorded: that one, flagged',
    before: (c) => c.manager().acquire(PODS, { ...hostA, previousSubnet: '10.89.7.0/24' }),
    host: { ...hostA, previousSubnet: '10.89.42.0/24' },
    check: (got) => {
      assert.deepEqual([got.outcome, got.subnet], ['re-addressed', '10.89.7.0/24']);
      assert.match(got.message ?? '', /last subnet 10\.89\.42\.0\/24 is not the one the cluster holds for it; it now has 10\.89\.7\.0\/24/);
    },
  },
];

for (const tc of cases) {
  test(`acquire: ${tc.name}`, async () => {
    const c = cluster();
    const before = await tc.before?.(c);
    await tc.check(await c.manager().acquire(tc.net ?? PODS, tc.host), c, before);
  });
}

test('acquire: a full range is an error naming the range and what holds it', async () => {
  const c = cluster();
  await reserve(c, SMALL, '10.89.1.0/24', hostC);
  await c.manager().acquire(SMALL, hostA);
  await c.manager().acquire(SMALL, hostB);
  await assert.rejects(
    c.manager().acquire(SMALL, { hostId: 'e'.repeat(32), publicIp: '192.0.2.5' }),
    (e) =>
      isNetdError(e, 'conflict') &&
      /overlay network "small": no free \/24 left in 10\.89\.0\.0\/22 \(3 subnets: 2 leased, 1 reserved\); remove the network from a host/.test(e.message),
  );
});

const mismatches: { field: string; change: Partial<typeof CFG>; want: RegExp }[] = [
  { field: 'network', change: { network: '10.90.0.0/16' }, want: /network is "10\.89\.0\.0\/16" in the cluster, "10\.90\.0\.0\/16" in the file/ },
  { field: 'subnetLen', change: { subnetLen: 26 }, want: /subnetLen is 24 in the cluster, 26 in the file/ },
  { field: 'backend', change: { backend: 'host-gw' }, want: /backend is "vxlan" in the cluster, "host-gw" in the file/ },
  { field: 'vni', change: { vni: 7 }, want: /vni is 1 in the cluster, 7 in the file/ },
  { field: 'port', change: { port: 4789 }, want: /port is 8472 in the cluster, 4789 in the file/ },
];
for (const tc of mismatches) {
  test(`acquire: a host whose file differs in ${tc.field} is refused, naming the field`, async () => {
    const c = cluster();
    await c.manager().acquire(PODS, hostA);
    await assert.rejects(
      c.manager().acquire({ name: 'pods', config: { ...CFG, ...tc.change } }, hostB),
      (e) =>
        isNetdError(e, 'conflict') &&
        e.message.startsWith('overlay network "pods": the cluster\'s config (/netd/v1/overlay/pods/config) differs') &&
        tc.want.test(e.message),
    );
    assert.equal((await c.manager().listLeases('pods')).length, 1, 'nothing claimed');
  });
}

test('renewal keeps the lease id; a lease renewed in time never expires', async () => {
  const c = cluster();
  const m = c.manager();
  const first = await m.acquire(PODS, hostA);
  for (let i = 0; i < 5; i++) {
    c.advance(TTL * 0.9);
    assert.equal(await m.renew(first.leaseId!), TTL);
  }
  const again = await m.acquire(PODS, hostA);
  assert.deepEqual([again.outcome, again.leaseId, again.subnet], ['renewed', first.leaseId, first.subnet]);
  c.advance(TTL + 1);
  await assert.rejects(m.renew(first.leaseId!), (e) => isNetdError(e, 'not-found'));
  assert.deepEqual(await m.listLeases('pods'), [], 'an expired lease takes its key with it');
});

test('release revokes the lease and deletes the key; releasing again is a no-op', async () => {
  const c = cluster();
  const m = c.manager();
  const got = await m.acquire(PODS, hostA);
  await m.release('pods', got.leaseId!);
  assert.equal(await c.store.get(leaseKey(PODS, got.subnet)), undefined);
  assert.equal(await c.store.leases.timeToLive(got.leaseId!), undefined);
  await m.release('pods', got.leaseId!);
});

test('listLeases: every peer with its lease and time left; reservations without', async () => {
  const c = cluster();
  const a = await c.manager().acquire(PODS, { ...hostA, previousSubnet: '10.89.1.0/24' });
  await c.manager().acquire(PODS, { hostId: hostB.hostId, publicIp: hostB.publicIp, previousSubnet: '10.89.2.0/24' }); // host-gw: no VTEP
  await c.store.put(leaseKey(PODS, '10.89.3.0/24'), { hostId: hostC.hostId, publicIp: hostC.publicIp, backend: 'vxlan', vni: 1 });
  await c.store.put(leaseKey(PODS, '10.89.4.0/24'), { note: 'half-written reservation: blocks the subnet, not a peer' });
  c.advance(10);
  const peers = await c.manager().listLeases('pods');
  assert.deepEqual(peers, [
    {
      subnet: '10.89.1.0/24',
      hostId: hostA.hostId,
      publicIp: hostA.publicIp,
      backend: 'vxlan',
      vni: 1,
      vtepMac: hostA.vtepMac,
      leaseId: a.leaseId,
      expiresIn: TTL - 10,
    },
    { subnet: '10.89.2.0/24', hostId: hostB.hostId, publicIp: hostB.publicIp, backend: 'vxlan', vni: 1, leaseId: peers[1]?.leaseId, expiresIn: TTL - 10 },
    { subnet: '10.89.3.0/24', hostId: hostC.hostId, publicIp: hostC.publicIp, backend: 'vxlan', vni: 1 },
  ]);
});
