/** The subnet manager against a real etcd (inside the throwaway host): the same semantics as on the memory store. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNetdError } from '../../src/errors.js';
import { openEtcdStore } from '../../src/store/etcd.js';
import { SubnetManager, type HostClaim } from '../../src/cluster/manager.js';
import { etcdSkip, startEtcd } from '../helpers/etcd.js';
import { CFG, PODS, TTL, hostA, hostB, leaseKey, seeded } from './fixture.js';

async function withEtcd(fn: (store: Awaited<ReturnType<typeof openEtcdStore>>) => Promise<void>): Promise<void> {
  const srv = await startEtcd();
  const store = await openEtcdStore({ endpoints: [srv.endpoint] });
  try {
    await fn(store);
  } finally {
    await store.close();
    await srv.close();
  }
}

test('etcd: acquire, renew by the same lease id, a refused config, peers, release', { skip: etcdSkip }, () =>
  withEtcd(async (store) => {
    const m = new SubnetManager(store, { prefix: '/netd', leaseTtl: TTL, random: seeded(3) });
    const a = await m.acquire(PODS, hostA);
    assert.deepEqual([a.outcome, a.config, a.attempts], ['new', 'created', 1]);
    assert.equal((await store.get(leaseKey(PODS, a.subnet)))?.lease, a.leaseId);
    assert.equal(await m.renew(a.leaseId!), TTL);
    const again = await m.acquire(PODS, { ...hostA, vtepMac: '02:00:00:00:00:ff' });
    assert.deepEqual([again.outcome, again.leaseId, again.subnet], ['renewed', a.leaseId, a.subnet]);
    const kv = await store.get<{ vtepMac: string }>(leaseKey(PODS, a.subnet));
    assert.deepEqual([kv?.lease, kv?.value.vtepMac], [a.leaseId, '02:00:00:00:00:ff']);
    const b = await m.acquire(PODS, hostB);
    assert.notEqual(b.subnet, a.subnet);
    await assert.rejects(
      m.acquire({ name: 'pods', config: { ...CFG, vni: 2 } }, hostB),
      (e) => isNetdError(e, 'conflict') && /vni is 1 in the cluster, 2 in the file/.test(e.message),
    );
    const peers = await m.listLeases('pods');
    assert.deepEqual(peers.map((p) => p.hostId).sort(), [hostA.hostId, hostB.hostId].sort());
    for (const p of peers) assert.ok(p.expiresIn !== undefined && p.expiresIn > 0 && p.expiresIn <= TTL);
    await m.release('pods', a.leaseId!);
    assert.equal(await store.get(leaseKey(PODS, a.subnet)), undefined);
    await assert.rejects(m.renew(a.leaseId!), (e) => isNetdError(e, 'not-found'));
    await m.release('pods', a.leaseId!);
  }),
);

test('etcd: 20 hosts acquiring at once all end with distinct subnets', { skip: etcdSkip }, () =>
  withEtcd(async (store) => {
    const hosts: HostClaim[] = Array.from({ length: 20 }, (_, i) => ({ hostId: i.toString(16).padStart(32, '0'), publicIp: `192.0.2.${i + 10}` }));
    const got = await Promise.all(hosts.map((h, i) => new SubnetManager(store, { prefix: '/netd', leaseTtl: TTL, random: seeded(100 + i) }).acquire(PODS, h)));
    assert.equal(new Set(got.map((g) => g.subnet)).size, 20);
    assert.ok(Math.max(...got.map((g) => g.attempts)) <= 4, got.map((g) => g.attempts).join(' '));
    assert.equal((await store.list('/netd/v1/overlay/pods/leases/')).length, 20);
  }),
);
