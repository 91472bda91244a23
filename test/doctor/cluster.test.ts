/**
 * netd doctor -f FILE against a real etcd (inside the throwaway host): the cluster checks of
 * the overlay networks the file declares. Doctor only reads: it claims and renews nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { listLeases } from '../../src/cluster/lease.js';
import type { Check } from '../../src/reconcile/doctor.js';
import { kernelSkip } from '../helpers/kernel.js';
import { etcdSkip, freePort } from '../helpers/etcd.js';
import { oneHost, type OneHost } from '../cluster/one-host.js';

const skip = kernelSkip || etcdSkip;

let h: OneHost;
before(async () => {
  if (!skip) h = await oneHost('dc-ul0', '192.168.62.1/24');
});
after(async () => {
  if (!skip) await h.close();
});

async function doctor(yaml: string): Promise<{ code: number; cluster: Check[]; stderr: string }> {
  const r = await h.host.cli(['doctor', '-o', 'json'], yaml);
  const checks = JSON.parse(r.stdout) as Check[];
  return { code: r.code, cluster: checks.filter((c) => c.group === 'cluster'), stderr: r.stderr };
}

const find = (checks: Check[], name: string): Check => {
  const c = checks.find((x) => x.name === name);
  assert.ok(c, `no check ${name} in ${JSON.stringify(checks)}`);
  return c;
};

test('doctor -f: before and after the first apply, every cluster check is ok; nothing is written to etcd', { skip }, async () => {
  const before = await doctor(h.yaml());
  assert.equal(before.code, 0, JSON.stringify(before.cluster));
  assert.deepEqual(
    before.cluster.map((c) => [c.name, c.status]),
    [
      ['interface', 'ok'],
      ['etcd', 'ok'],
      ['pods config', 'ok'],
      ['pods lease', 'ok'],
    ],
  );
  assert.match(find(before.cluster, 'interface').detail, /^"dc-ul0" 192\.168\.62\.1, mtu 1500$/);
  assert.match(find(before.cluster, 'etcd').detail, new RegExp(`^"${h.etcd.endpoint}" answers$`));
  assert.match(find(before.cluster, 'pods config').detail, /is not written yet/);
  assert.match(find(before.cluster, 'pods lease').detail, /this host holds no lease yet/);
  assert.deepEqual(await h.store.list('/netd/'), [], 'doctor wrote to the cluster store');

  assert.equal((await h.host.apply(h.yaml())).code, 0);
  const after = await doctor(h.yaml());
  assert.equal(after.code, 0, JSON.stringify(after.cluster));
  assert.match(after.stderr, /^healthy$/m);
  assert.match(find(after.cluster, 'pods config').detail, /^\/netd\/v1\/overlay\/pods\/config matches the file$/);
  assert.match(find(after.cluster, 'pods lease').detail, /^10\.89\.\d+\.0\/24: lease [0-9a-f]+, (59m\d\ds|1h00m) left of 1h00m$/);
});

interface Case {
  name: string;
  /** Changes the cluster (or the file doctor is given); returns the file. */
  plant(): Promise<string> | string;
  check: string;
  status: 'warning' | 'problem';
  detail: RegExp;
  fix: RegExp;
  repair?(): Promise<void>;
}

const cases: Case[] = [
  {
    name: 'a lease with less than 10% of cluster.leaseTtl left is a warning: nothing renewed it',
    plant: () => h.yaml({ leaseTtl: 86400 }), // the lease was granted for 1 h
    check: 'pods lease',
    status: 'warning',
    detail: /: lease [0-9a-f]+ has (59m\d\ds|1h00m) left of 24h00m: nothing renewed it for a while$/,
    fix: /^netd apply -f \S+ --state-dir \S+ \(or keep netd watch running: it renews the lease\)$/,
  },
  {
    name: "the cluster's config differs from the file: a problem naming the field",
    plant: () => h.yaml({ vni: 43 }),
    check: 'pods config',
    status: 'problem',
    detail: /the cluster's config \(\/netd\/v1\/overlay\/pods\/config\) differs from this file: vni is 42 in the cluster, 43 in the file/,
    fix: /declare in the file what the cluster holds, or remove "pods" from every host and delete \/netd\/v1\/overlay\/pods\/config/,
  },
  {
    name: "this host's lease gone from the cluster (revoked) is a problem, fixed by apply",
    async plant() {
      const [own] = await listLeases(h.store, '/netd', 'pods');
      await h.store.leases.revoke(own!.leaseId!);
      return h.yaml();
    },
    check: 'pods lease',
    status: 'problem',
    detail: /this host's lease on 10\.89\.\d+\.0\/24 is gone from the cluster \(expired or revoked\)/,
    fix: /^netd apply -f \S+ --state-dir \S+ \(it takes the subnet again while it is free/,
    async repair() {
      assert.equal((await h.host.apply(h.yaml())).code, 0);
    },
  },
  {
    name: 'one etcd endpoint that does not answer is a warning naming it; the other is used',
    async plant() {
      return h.yaml({ endpoints: [`http://127.0.0.1:${await freePort()}`, h.etcd.endpoint] });
    },
    check: 'etcd',
    status: 'warning',
    detail: /^"http:\/\/127\.0\.0\.1:\d+" answers; etcd: none of the endpoints answered within 3000 ms \("http:\/\/127\.0\.0\.1:\d+": /,
    fix: /^start etcd on "http:\/\/127\.0\.0\.1:\d+", or remove it from cluster\.etcd\.endpoints$/,
  },
  {
    name: 'etcd down: a problem naming the endpoint; the lease checks are skipped',
    async plant() {
      await h.etcd.stop();
      return h.yaml();
    },
    check: 'etcd',
    status: 'problem',
    detail: /^etcd: none of the endpoints answered within 3000 ms \("http:\/\/127\.0\.0\.1:\d+": .*\); check cluster\.etcd\.endpoints and that etcd runs$/,
    fix: /^start etcd, or correct cluster\.etcd\.endpoints \("http:\/\/127\.0\.0\.1:\d+"\)$/,
    repair: () => h.etcd.start(),
  },
];

for (const tc of cases) {
  test(`doctor -f: ${tc.name}`, { skip }, async () => {
    const d = await doctor(await tc.plant());
    const c = find(d.cluster, tc.check);
    assert.equal(c.status, tc.status, JSON.stringify(c));
    assert.match(c.detail, tc.detail);
    assert.match(c.fix ?? '', tc.fix);
    assert.equal(d.code, tc.status === 'problem' ? 1 : 0, JSON.stringify(d.cluster));
    if (tc.status === 'warning') assert.match(d.stderr, /^healthy \(1 warning\)$/m);
    if (tc.name.startsWith('etcd down')) assert.deepEqual(find(d.cluster, 'leases').status, 'skipped');
    await tc.repair?.();
    const again = await doctor(h.yaml());
    assert.deepEqual(
      again.cluster.filter((x) => x.status !== 'ok'),
      [],
    );
  });
}

test('doctor -f with a file that declares no overlay network says so', { skip }, async () => {
  const d = await doctor('version: 1\nnetworks:\n  front: { subnet: 10.91.0.0/24 }\n');
  assert.deepEqual(
    d.cluster.map((c) => [c.name, c.status, c.detail]),
    [['overlays', 'ok', 'the files declare no overlay network']],
  );
});
