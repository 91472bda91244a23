/**
 * An overlay network applied on one host against a real etcd (the three-host simulation is
 * multihost.test.ts): the lease taken and kept, peers written into etcd by "other hosts"
 * routed by apply and by the peer pass, the cluster store unreachable, a re-address after the
 * lease expired and the subnet was taken, and the lease given back when the network leaves.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { kernelSkip } from '../helpers/kernel.js';
import { etcdSkip, startEtcd, type EtcdServer } from '../helpers/etcd.js';
import { ALLOW_EMPTY, EMPTY, TestHost } from '../helpers/netd.js';
import { openEtcdStore, type EtcdStore } from '../../src/store/etcd.js';
import { overlayKeys } from '../../src/cluster/keys.js';
import { vtepMacOf } from '../../src/drivers/overlay/index.js';
import { peerPass } from '../../src/reconcile/peers.js';

const skip = kernelSkip || etcdSkip;
const UPLINK = 'ovt0';
const sh = (...argv: string[]): string => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
const routes = (): string => sh('ip', 'route', 'show');

let etcd: EtcdServer;
let store: EtcdStore;
const host = new TestHost();
const yaml = (): string => `version: 1
cluster:
  etcd: { endpoints: ["${etcd.endpoint}"], prefix: /t1 }
  publicInterface: ${UPLINK}
  leaseTtl: 600
networks:
  pods: { driver: overlay, subnet: 10.91.0.0/16, subnetLen: 24, backend: vxlan, vni: 7 }
containers:
  ov1: {}
attachments:
  - { container: ov1, network: pods }
`;
const keys = overlayKeys('/t1', 'pods');

/** Another host's lease, as its netd would write it. */
async function peer(subnet: string, publicIp: string): Promise<string> {
  const id = await store.leases.grant(600);
  await store.put(keys.lease(subnet), { hostId: `peer-${publicIp}`, publicIp, backend: 'vxlan', vni: 7, vtepMac: vtepMacOf(subnet) }, { lease: id });
  return id;
}

const ownLease = async (): Promise<{ subnet: string; lease?: string }> => {
  const mine = (await store.list<{ hostId: string }>(keys.leases)).filter((kv) => !kv.value.hostId.startsWith('peer-'));
  assert.equal(mine.length, 1, JSON.stringify(mine));
  return { subnet: mine[0]!.key.slice(keys.leases.length).replace('-', '/'), ...(mine[0]!.lease ? { lease: mine[0]!.lease } : {}) };
};
const containerAddress = (): string => /inet (10\.91\.\d+\.\d+)\//.exec(sh('ip', '-n', 'ov1', '-4', 'addr', 'show', 'dev', 'eth0'))![1]!;

before(async () => {
  if (skip) return;
  sh('ip', 'link', 'add', UPLINK, 'type', 'veth', 'peer', 'name', `${UPLINK}p`);
  sh('ip', 'addr', 'add', '192.168.61.1/24', 'dev', UPLINK);
  sh('ip', 'link', 'set', UPLINK, 'up');
  sh('ip', 'link', 'set', `${UPLINK}p`, 'up');
  etcd = await startEtcd();
  store = await openEtcdStore({ endpoints: [etcd.endpoint] });
});

after(async () => {
  if (skip) return;
  await store.close();
  await etcd.close();
  sh('ip', 'link', 'del', UPLINK);
  await host.teardown();
});

test('apply takes a lease and builds the host subnet; peers in etcd are routed, then unrouted', { skip }, async () => {
  const r = await host.apply(yaml());
  assert.equal(r.code, 0, r.stderr);
  const { subnet, lease } = await ownLease();
  assert.ok(lease, 'the subnet is bound to an etcd lease');
  assert.match(containerAddress(), new RegExp(`^${subnet.replace(/\.0\/24$/, '').replaceAll('.', '\\.')}\\.`), 'the container is addressed from the lease');
  assert.equal((await host.diff(yaml())).code, 0);

  const id = await peer('10.91.250.0/24', '192.168.61.2');
  const d = await host.diff(yaml());
  assert.equal(d.code, 2, 'a new peer is drift');
  assert.match(d.stdout, /repair network pods/);
  assert.equal((await host.apply(yaml())).code, 0);
  assert.match(routes(), /10\.91\.250\.0\/24 via 10\.91\.250\.0 dev ndv\S+ proto 78 onlink/);
  assert.match(sh('bridge', 'fdb', 'show'), new RegExp(`${vtepMacOf('10.91.250.0/24')} dev ndv\\S+ dst 192\\.168\\.61\\.2`));
  assert.equal((await host.diff(yaml())).code, 0);
  assert.deepEqual(await ownLease(), { subnet, lease }, 'the same lease, kept alive');

  await store.leases.revoke(id);
  assert.equal((await host.apply(yaml())).code, 0);
  assert.doesNotMatch(routes(), /10\.91\.250\.0/);
});

test('export writes the cluster range and the cluster section: the exported file is in sync', { skip }, async () => {
  const r = await host.cli(['export']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /subnet: 10\.91\.0\.0\/16/);
  assert.match(r.stdout, new RegExp(`publicInterface: ${UPLINK}`));
  assert.doesNotMatch(r.stdout, /ipv4: 10\.91\./, "no address pinned to this host's lease");
  const d = await host.diff(r.stdout);
  assert.equal(d.code, 0, d.stdout + d.stderr);
});

test('the peer pass routes a joining peer and unroutes a leaving one, and nothing else', { skip }, async () => {
  const desired = await host.desired(yaml());
  const e = await host.engine();
  try {
    const pass = async (): Promise<{ ops: number; renewed: number }> => {
      const r = await peerPass(e, desired, { runner: e.runner, stateDir: host.stateDir, store }, { renew: true });
      assert.ok((r.ttls?.pods ?? 0) > 590, 'the renewed lease has its whole TTL again');
      return { ops: r.ops, renewed: r.renewed };
    };
    assert.deepEqual(await pass(), { ops: 0, renewed: 1 });
    const id = await peer('10.91.251.0/24', '192.168.61.3');
    assert.deepEqual(await pass(), { ops: 3, renewed: 1 }, 'neighbour, FDB entry and route');
    assert.match(routes(), /10\.91\.251\.0\/24 via 10\.91\.251\.0/);
    assert.deepEqual(await pass(), { ops: 0, renewed: 1 });
    await store.leases.revoke(id);
    assert.deepEqual(await pass(), { ops: 3, renewed: 1 });
    assert.doesNotMatch(routes(), /10\.91\.251\.0/);
  } finally {
    await e.store.close();
  }
  assert.equal((await host.diff(yaml())).code, 0);
});

test('etcd unreachable: apply repairs what is local, leaves the peers, and exits 1 naming the endpoint; diff exits 1', { skip }, async () => {
  await peer('10.91.252.0/24', '192.168.61.4');
  assert.equal((await host.apply(yaml())).code, 0);
  const bridge = /^\d+: (nd-[0-9a-f]{12}):/m.exec(sh('ip', '-o', 'link', 'show', 'type', 'bridge'))![1]!;
  await etcd.stop();
  try {
    sh('ip', 'link', 'set', bridge, 'down');
    const r = await host.apply(yaml());
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stderr.includes(etcd.endpoint), r.stderr);
    assert.match(r.stderr, /what is local was built from the local records and the peers were left as they are/);
    assert.match(sh('ip', 'link', 'show', bridge), /state UP|,UP/, 'the bridge was repaired');
    assert.match(routes(), /10\.91\.252\.0\/24 via/, "the peers' routes stay");
    const d = await host.diff(yaml());
    assert.equal(d.code, 1, d.stderr);
    assert.match(d.stderr, /the peers were not compared/);
  } finally {
    await etcd.start();
  }
  await store.delete(keys.lease('10.91.252.0/24'));
  assert.equal((await host.apply(yaml())).code, 0);
  assert.doesNotMatch(routes(), /10\.91\.252\.0/);
});

test('a lease that expired while its subnet was taken: apply re-addresses, loudly', { skip }, async () => {
  const before = await ownLease();
  const oldAddress = containerAddress();
  // This host's lease ends (as if it was down past its TTL) and another host takes the subnet.
  await store.leases.revoke(before.lease!);
  await peer(before.subnet, '192.168.61.5');
  const r = await host.apply(yaml());
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `warning: overlay network "pods": this host's last subnet ${before.subnet.replaceAll('.', '\\.')} expired and is now held by host peer-192\\.168\\.61\\.5`,
    ),
  );
  assert.match(r.stdout, /replace network pods/);
  const after = await ownLease();
  assert.notEqual(after.subnet, before.subnet);
  assert.notEqual(containerAddress(), oldAddress);
  assert.equal((await host.diff(yaml())).code, 0);
  await store.delete(keys.lease(before.subnet));
});

test('the network leaving the host gives its lease back', { skip }, async () => {
  assert.equal((await host.apply(yaml())).code, 0);
  await ownLease();
  const r = await host.apply(EMPTY, ALLOW_EMPTY);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await store.list(keys.leases), [], 'revoked: the key is gone');
});
