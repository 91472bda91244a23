/**
 * The overlay driver against a real kernel, two hosts without etcd: namespaces ovA and ovB
 * stand for the hosts, joined by a veth (the underlay); each is given the other as a static
 * peer, and its expectations run through the comparer and the ops inside its namespace (what
 * netd's host namespace is on a real host). A container on each host (a namespace with a veth
 * to its host's bridge) then talks TCP to the other, over vxlan and over host-gw, and the
 * receiver sees the sender's own address.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoLeaks, kernelSkip } from '../helpers/kernel.js';
import { tcpExchange } from '../helpers/traffic.js';
import { ExecRunner, IpObserver, addNamespace, deleteNamespace, isRemoval, runOps, type KernelOp } from '../../src/kernel/index.js';
import { compare, opsOf, reasonsOf } from '../../src/drivers/compare.js';
import type { Expected, LinkWant } from '../../src/drivers/expect.js';
import { routesExpected, sandboxExpected } from '../../src/drivers/sandbox.js';
import { localNetwork, overlayDriver, vtepMacOf } from '../../src/drivers/overlay/index.js';
import type { EndpointRecord, NetworkRecord, OverlayPeer, SandboxRecord } from '../../src/state/records.js';
import type { KernelView, NamespaceView } from '../../src/state/view.js';
import type { OverlayBackend } from '../../src/desired/types.js';

const runner = new ExecRunner();
const skip = kernelSkip;
const ID = 'cafe0123beef'.padEnd(64, '0');

interface SimHost {
  readonly ns: string;
  readonly container: string;
  readonly underlay: string;
  readonly ip: string;
  readonly subnet: string;
  readonly address: string;
}
const A: SimHost = { ns: 'ovA', container: 'ovcA', underlay: 'ulA', ip: '192.168.77.1', subnet: '10.89.1.0/24', address: '10.89.1.2' };
const B: SimHost = { ns: 'ovB', container: 'ovcB', underlay: 'ulB', ip: '192.168.77.2', subnet: '10.89.2.0/24', address: '10.89.2.2' };

after(async () => {
  if (skip) return;
  for (const ns of [A.container, B.container, A.ns, B.ns]) await deleteNamespace(runner, ns).catch(() => undefined);
  assertNoLeaks();
});

const peerOf = (h: SimHost): OverlayPeer => ({ subnet: h.subnet, publicIp: h.ip, vtepMac: vtepMacOf(h.subnet) });

function network(h: SimHost, backend: OverlayBackend, peers: OverlayPeer[]): NetworkRecord {
  return {
    id: ID,
    name: 'ov',
    driver: 'overlay',
    ipv4: { subnet: '10.89.0.0/16', gateway: '10.89.0.1', reserved: [] },
    mtu: 1500,
    internal: false,
    masquerade: true,
    icc: true,
    labels: {},
    adopted: false,
    overlay: { range: '10.89.0.0/16', subnetLen: 24, backend, vni: 16777215, port: 8472 },
    lease: { subnet: h.subnet, vtepMac: vtepMacOf(h.subnet), store: { endpoints: [], prefix: '/netd' }, dev: h.underlay, local: h.ip, mtu: 1500, peers },
    state: 'ready',
  };
}

/** What the host implies: the overlay network, the container's sandbox, endpoint and default route. */
function expectedOn(h: SimHost, net: NetworkRecord, view: NamespaceView | null): Expected[] {
  const sb: SandboxRecord = {
    id: `sb-${h.ns}`,
    container: h.container,
    netns: { kind: 'named', name: h.container },
    created: false,
    hostname: h.container,
    state: 'ready',
  };
  const ep: EndpointRecord = {
    id: `${h.ns === A.ns ? 'a' : 'b'}`.repeat(64),
    networkId: ID,
    network: 'ov',
    container: h.container,
    sandboxId: sb.id,
    interface: 'eth0',
    hostVeth: `nd${(h.ns === A.ns ? 'a' : 'b').repeat(12)}`,
    ipv4: h.address,
    aliases: [],
    gatewayPriority: 0,
    ports: [],
    state: 'ready',
  };
  // The container's gateway is the lease's `.1`: the network as a bridge network of this host.
  const routes = routesExpected(sb, [ep], new Map([[ID, localNetwork(net)]]), view).map((r) => r.expected);
  return [...overlayDriver.network(net), ...sandboxExpected(sb), ...overlayDriver.endpoint(ep, net, sb), ...routes];
}

/** Moves what a driver says of "the host" into the simulated host's namespace. */
function relocate(e: Expected, host: string): Expected {
  const here = <T extends { ns?: string | undefined }>(o: T): T => (o.ns === undefined ? { ...o, ns: host } : o);
  const want = (w: LinkWant): LinkWant => here(w);
  const op = (o: KernelOp | undefined): KernelOp | undefined => (o === undefined ? o : here(o));
  if (e.type === 'link') return { ...e, want: want(e.want), ...(e.create ? { create: op(e.create)! } : {}) };
  if (e.type === 'pair') return { ...e, host: want(e.host), peer: want(e.peer), create: op(e.create)! };
  if (e.type === 'namespace') return e;
  return here(e);
}

async function snapshot(h: SimHost): Promise<KernelView> {
  const obs = new IpObserver(runner);
  const [host, container] = await Promise.all([obs.view(h.ns), obs.view(h.container)]);
  const empty = { links: [], addresses: [], routes: [] };
  return {
    host: empty,
    netnsNames: new Set([h.container]),
    sandboxes: new Map([
      [h.ns, host],
      [h.container, container],
    ]),
    files: new Map(),
    firewall: [],
  };
}

/** Compares and runs the ops as the executor does (removals, then the rest; the host namespace first). Returns the reasons. */
async function converge(h: SimHost, net: NetworkRecord): Promise<string[]> {
  const before = await snapshot(h);
  const cmp = compare(
    expectedOn(h, net, before.sandboxes.get(h.container) ?? null).map((e) => relocate(e, h.ns)),
    before,
  );
  assert.deepEqual(cmp.problems, [], h.ns);
  const ops = opsOf(cmp);
  for (const removal of [true, false]) {
    const phase = ops.filter((o) => isRemoval(o) === removal);
    for (const ns of [h.ns, h.container])
      await runOps(
        runner,
        ns,
        phase.filter((o) => o.ns === ns),
      );
  }
  return reasonsOf(cmp);
}

/** Both hosts converged with the other as their peer; the second pass must find nothing to do. */
async function convergeBoth(backend: OverlayBackend): Promise<void> {
  for (const [h, other] of [
    [A, B],
    [B, A],
  ] as const) {
    await converge(h, network(h, backend, [peerOf(other)]));
    assert.deepEqual(await converge(h, network(h, backend, [peerOf(other)])), [], `${h.ns} ${backend} in sync`);
  }
}

test('two hosts: containers talk over vxlan and over host-gw, without NAT', { skip }, async () => {
  for (const ns of [A.ns, B.ns, A.container, B.container]) await addNamespace(runner, ns);
  await runOps(runner, A.ns, [{ op: 'link-add', kind: 'veth', name: A.underlay, peer: { name: B.underlay, ns: B.ns } }]);
  for (const h of [A, B]) {
    await runOps(runner, h.ns, [
      { op: 'addr-add', dev: h.underlay, cidr: `${h.ip}/24` },
      { op: 'link-set', name: h.underlay, up: true },
      { op: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' },
    ]);
  }

  await convergeBoth('vxlan');
  assert.equal(await tcpExchange(A.container, B.container, B.address), A.address, 'vxlan: A → B, B sees A');

  // A peer that leaves is unrouted: its neighbour, FDB entry and route go.
  const alone = await converge(A, network(A, 'vxlan', []));
  assert.equal(alone.filter((r) => r.endsWith('not declared')).length, 3, alone.join('\n'));
  const left = await new IpObserver(runner).view(A.ns);
  assert.deepEqual([left?.neighbours, left?.fdb, left?.routes.filter((r) => r.dst === B.subnet)], [[], [], []]);
  assert.equal(await tcpExchange(A.container, B.container, B.address, 7000, { timeoutMs: 500 }), undefined, 'no route without the peer');

  await convergeBoth('host-gw');
  assert.equal(await tcpExchange(B.container, A.container, A.address), B.address, 'host-gw: B → A, A sees B');
});
