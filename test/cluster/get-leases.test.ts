/** `netd get leases -f FILE`: the cluster's leases of the declared overlay networks, read from a real etcd. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openEtcdStore } from '../../src/store/etcd.js';
import { SubnetManager } from '../../src/cluster/manager.js';
import { overlayKeys } from '../../src/cluster/keys.js';
import { timeLeft } from '../../src/reconcile/leases.js';
import { etcdSkip, startEtcd } from '../helpers/etcd.js';
import { runCli, tempFiles } from '../helpers/cli.js';
import { PODS, hostA, hostB, seeded } from './fixture.js';

const file = (endpoint: string): string => `version: 1
cluster:
  etcd: { endpoints: ["${endpoint}"] }
  publicIp: 192.0.2.10
networks:
  pods: { driver: overlay, subnet: 10.89.0.0/16, subnetLen: 24, backend: vxlan, vni: 1, port: 8472 }
`;

test('get leases: the leases and reservations of the declared overlay networks, as a table and as JSON', { skip: etcdSkip }, async () => {
  const srv = await startEtcd();
  const store = await openEtcdStore({ endpoints: [srv.endpoint] });
  const files = tempFiles({ 'a.yaml': file(srv.endpoint) });
  try {
    const m = new SubnetManager(store, { prefix: '/netd', leaseTtl: 3600, random: seeded(7) });
    const a = await m.acquire(PODS, hostA);
    const b = await m.acquire(PODS, hostB);
    // A reservation: a lease key bound to no lease.
    await store.put(overlayKeys('/netd', 'pods').lease('10.89.200.0/24'), { hostId: 'spare', publicIp: '192.0.2.99', backend: 'vxlan', vni: 1 });
    const t = await runCli(['get', 'leases', '-f', files.path('a.yaml')]);
    assert.equal(t.code, 0, t.stderr);
    const lines = t.stdout.trim().split('\n');
    assert.match(lines[0]!, /^NETWORK\s+SUBNET\s+HOST\s+PUBLIC IP\s+BACKEND\s+EXPIRES$/);
    for (const [subnet, host, ip] of [
      [a.subnet, hostA.hostId, hostA.publicIp],
      [b.subnet, hostB.hostId, hostB.publicIp],
    ] as const) {
      assert.ok(
        lines.some((l) =>
          new RegExp(`^pods\\s+${subnet.replaceAll('.', '\\.')}\\s+${host}\\s+${ip.replaceAll('.', '\\.')}\\s+vxlan\\s+(59m\\d\\ds|1h00m)$`).test(l),
        ),
        t.stdout,
      );
    }
    assert.ok(
      lines.some((l) => /^pods\s+10\.89\.200\.0\/24\s+spare\s+192\.0\.2\.99\s+vxlan\s+reserved$/.test(l)),
      t.stdout,
    );
    const j = await runCli(['get', 'leases', 'pods', '-f', files.path('a.yaml'), '-o', 'json']);
    const got = JSON.parse(j.stdout) as { network: string; subnet: string; leaseId?: string }[];
    assert.deepEqual(
      got.map((l) => [l.network, l.subnet, l.leaseId !== undefined]).sort(),
      [
        ['pods', '10.89.200.0/24', false],
        ['pods', a.subnet, true],
        ['pods', b.subnet, true],
      ].sort(),
    );
    const none = await runCli(['get', 'leases', 'web', '-f', files.path('a.yaml')]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /the files declare no overlay network "web"/);
  } finally {
    files.remove();
    await store.close();
    await srv.close();
  }
});

test('get leases needs the files that declare the cluster', async () => {
  const r = await runCli(['get', 'leases']);
  assert.equal(r.code, 64);
  assert.match(r.stderr, /give the files that declare the cluster and its overlay networks with -f PATH/);
});

test('time left reads as a person does', () => {
  assert.deepEqual([timeLeft(86399), timeLeft(3600), timeLeft(250), timeLeft(9)], ['23h59m', '1h00m', '4m10s', '9s']);
});
