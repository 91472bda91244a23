/**
 * `netd inspect network` of an applied overlay network (inside the throwaway host, a real
 * etcd): its lease and its peers read from the cluster store its record names, without -f;
 * with etcd down, the recorded lease, the peers unknown, and exit 1 naming the endpoint.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { peekHostId } from '../../src/cluster/host-id.js';
import { vtepMacOf } from '../../src/drivers/overlay/index.js';
import { kernelSkip } from '../helpers/kernel.js';
import { etcdSkip } from '../helpers/etcd.js';
import { oneHost, type OneHost } from './one-host.js';

const skip = kernelSkip || etcdSkip;

let h: OneHost;
before(async () => {
  if (!skip) h = await oneHost('io-ul0', '192.168.63.1/24');
});
after(async () => {
  if (!skip) await h.close();
});

interface Inspected {
  Name: string;
  IPAM: { Config: { Subnet: string; Gateway: string }[] };
  Overlay: {
    Range: string;
    Backend: string;
    VNI: number;
    Etcd: { Endpoints: string[]; Prefix: string };
    Lease: Record<string, unknown>;
    Peers: Record<string, unknown>[] | null;
    PeersUnknown?: string;
  };
}

const inspect = async (...flags: string[]): Promise<{ code: number; net: Inspected; stdout: string; stderr: string }> => {
  const r = await h.host.cli(['inspect', 'network', 'pods', ...flags]);
  const list = (flags.includes('yaml') ? parse(r.stdout) : JSON.parse(r.stdout)) as Inspected[];
  return { code: r.code, net: list[0]!, stdout: r.stdout, stderr: r.stderr };
};

test('inspect network: an overlay shows its lease and its peers from etcd (json and yaml), without -f', { skip }, async () => {
  assert.equal((await h.host.apply(h.yaml())).code, 0);
  await h.peer('10.89.200.0/24', '192.168.63.2', { ttl: 600 });
  await h.peer('10.89.201.0/24', '192.168.63.3'); // a reservation
  for (const o of ['json', 'yaml']) {
    const { code, net, stderr } = await inspect('-o', o);
    assert.equal(code, 0, stderr);
    const subnet = net.IPAM.Config[0]!.Subnet;
    assert.match(subnet, /^10\.89\.\d+\.0\/24$/);
    assert.equal(net.Overlay.Range, '10.89.0.0/16');
    assert.deepEqual(net.Overlay.Etcd, { Endpoints: [h.etcd.endpoint], Prefix: '/netd' });
    const { LeaseID, ExpiresIn, TimeLeft, ...lease } = net.Overlay.Lease;
    assert.match(String(LeaseID), /^[0-9a-f]+$/);
    assert.ok(typeof ExpiresIn === 'number' && ExpiresIn > 3500 && ExpiresIn <= 3600, String(ExpiresIn));
    assert.match(String(TimeLeft), /^(59m\d\ds|1h00m)$/);
    assert.deepEqual(lease, {
      Subnet: subnet,
      PublicIP: '192.168.63.1',
      VtepMAC: vtepMacOf(subnet),
      Interface: 'io-ul0',
      LocalAddress: '192.168.63.1',
      InCluster: 'held',
    });
    const peers = net.Overlay.Peers!.map(({ ExpiresIn: e, TimeLeft: t, ...p }) => ({ ...p, ...(e === undefined ? {} : { timed: typeof t === 'string' }) }));
    assert.deepEqual(peers, [
      { Subnet: '10.89.200.0/24', Host: 'peer-192.168.63.2', PublicIP: '192.168.63.2', Backend: 'vxlan', timed: true },
      { Subnet: '10.89.201.0/24', Host: 'peer-192.168.63.3', PublicIP: '192.168.63.3', Backend: 'vxlan', Reservation: true },
    ]);
    assert.equal(net.Overlay.PeersUnknown, undefined);
  }
});

test('inspect network: etcd unreachable shows the recorded lease, the peers unknown, and exits 1 naming the endpoint', { skip }, async () => {
  const hostId = peekHostId(h.host.stateDir);
  assert.ok(hostId);
  await h.etcd.stop();
  try {
    const { code, net, stderr } = await inspect();
    assert.equal(code, 1);
    const endpoint = h.etcd.endpoint.replaceAll('.', '\\.');
    assert.match(
      stderr,
      new RegExp(
        `^netd inspect: network "pods": the cluster store is unreachable: etcd: none of the endpoints answered within 3000 ms \\("${endpoint}": .*; its peers are unknown$`,
        'm',
      ),
    );
    assert.doesNotMatch(stderr, /\n\s+at /, 'a stack trace');
    assert.equal(net.Overlay.Peers, null);
    assert.match(net.Overlay.PeersUnknown ?? '', /the cluster store is unreachable/);
    assert.equal(net.Overlay.Lease.Subnet, net.IPAM.Config[0]!.Subnet);
    assert.equal(net.Overlay.Lease.InCluster, 'unknown');
    assert.equal(net.Overlay.Lease.Interface, 'io-ul0');
    assert.equal(net.Overlay.Lease.ExpiresIn, undefined);
  } finally {
    await h.etcd.start();
  }
});

test('inspect network: a lease gone from the cluster says so', { skip }, async () => {
  const { net: before } = await inspect();
  await h.store.leases.revoke(String(before.Overlay.Lease.LeaseID));
  const { code, net, stderr } = await inspect();
  assert.equal(code, 0, stderr);
  assert.equal(net.Overlay.Lease.InCluster, 'gone');
  assert.equal(net.Overlay.Peers!.length, 2);
  const again = await h.host.apply(h.yaml()); // takes it again
  assert.equal(again.code, 0, again.stderr);
  assert.equal((await inspect()).net.Overlay.Lease.InCluster, 'held');
});
