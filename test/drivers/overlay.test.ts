/**
 * The overlay driver, pure and table-driven: what a network with a lease and peers implies,
 * and what the one comparer makes of it against a snapshot (missing, in sync, stale and
 * changed peer entries), with the reasons `diff` prints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compare, opsOf, reasonsOf } from '../../src/drivers/compare.js';
import { localNetwork, overlayDriver, vtepMacOf, vxlanName } from '../../src/drivers/overlay/index.js';
import { opText, renderOp, type KernelOp } from '../../src/kernel/ops.js';
import { parseView } from '../../src/kernel/observe-ip.js';
import { isNetdError } from '../../src/errors.js';
import type { NetworkRecord, OverlayPeer } from '../../src/state/records.js';
import type { FdbView, KernelView, LinkView, NeighbourView, RouteView } from '../../src/state/view.js';
import type { OverlayBackend } from '../../src/desired/types.js';

const ID = 'ab12cd34ef56'.padEnd(64, '0');
const DEV = vxlanName(ID);
const MARK = `netd:overlay:${ID}`;
const peerB: OverlayPeer = { subnet: '10.89.4.0/24', publicIp: '192.168.50.2', vtepMac: vtepMacOf('10.89.4.0/24') };
const peerC: OverlayPeer = { subnet: '10.89.5.0/24', publicIp: '192.168.50.3', vtepMac: vtepMacOf('10.89.5.0/24') };

function record(peers: OverlayPeer[], backend: OverlayBackend = 'vxlan', vni = 1): NetworkRecord {
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
    overlay: { range: '10.89.0.0/16', subnetLen: 24, backend, vni, port: 8472 },
    lease: {
      subnet: '10.89.3.0/24',
      vtepMac: vtepMacOf('10.89.3.0/24'),
      store: { endpoints: [], prefix: '/netd' },
      dev: 'eth0',
      local: '192.168.50.1',
      mtu: 1500,
      peers,
    },
    state: 'ready',
  };
}

function unknownPeers(net: NetworkRecord): NetworkRecord {
  const { peers: _, ...lease } = net.lease!;
  return { ...net, lease };
}

const kinds = (net: NetworkRecord): string[] => overlayDriver.network(net).map((e) => (e.type === 'link' ? `link ${e.want.kind}` : e.type));

test('expectations: the bridge, the device, per peer neighbour, FDB, route (route last), the owned set', () => {
  const cases: [string, NetworkRecord, string[]][] = [
    ['vxlan, no peer', record([]), ['link bridge', 'link vxlan', 'owned']],
    ['vxlan, one peer', record([peerB]), ['link bridge', 'link vxlan', 'neighbour', 'fdb', 'subnet-route', 'owned']],
    [
      'vxlan, two peers',
      record([peerB, peerC]),
      ['link bridge', 'link vxlan', ...['neighbour', 'fdb', 'subnet-route'], ...['neighbour', 'fdb', 'subnet-route'], 'owned'],
    ],
    ['host-gw, no peer', record([], 'host-gw'), ['link bridge', 'owned']],
    ['host-gw, two peers', record([peerB, peerC], 'host-gw'), ['link bridge', 'subnet-route', 'subnet-route', 'owned']],
    ['peers unknown (cluster store unreachable): left as they are', unknownPeers(record([])), ['link bridge', 'link vxlan']],
    ['host-gw, peers unknown', unknownPeers(record([], 'host-gw')), ['link bridge']],
  ];
  for (const [name, net, want] of cases) assert.deepEqual(kinds(net), want, name);
});

test('the local bridge takes the lease subnet (gateway .1) and the overlay MTU', () => {
  const cases: [OverlayBackend, number][] = [
    ['vxlan', 1450],
    ['host-gw', 1500],
  ];
  for (const [backend, mtu] of cases) {
    const local = localNetwork(record([], backend));
    assert.deepEqual(local.ipv4, { subnet: '10.89.3.0/24', gateway: '10.89.3.1', reserved: [] }, backend);
    assert.equal(local.mtu, mtu, backend);
    assert.equal(local.bridge, `nd-${ID.slice(0, 12)}`, backend);
  }
});

test('names fit IFNAMSIZ at the largest VNI; the vxlan device is made as declared', () => {
  const [bridge, device] = overlayDriver.network(record([], 'vxlan', 16777215));
  assert.ok(bridge?.type === 'link' && device?.type === 'link' && device.create);
  for (const name of [bridge.want.name, device.want.name]) assert.ok(Buffer.byteLength(name) <= 15, name);
  assert.deepEqual(renderOp(device.create), [
    `link add ${DEV} mtu 1450 address ${vtepMacOf('10.89.3.0/24')} type vxlan id 16777215 dstport 8472 local 192.168.50.1 dev eth0 nolearning`,
    `link set dev ${DEV} alias ${MARK}`,
  ]);
  assert.deepEqual(device.want.addresses, ['10.89.3.0/32']);
});

test('VTEP MACs: stable per subnet, unicast, locally administered', () => {
  const macs = ['10.89.3.0/24', '10.89.4.0/24', '10.90.0.0/16'].map(vtepMacOf);
  assert.equal(new Set(macs).size, 3);
  assert.equal(vtepMacOf('10.89.3.0/24'), macs[0]);
  for (const m of macs) assert.equal(parseInt(m.slice(0, 2), 16) & 0x03, 0x02, m);
});

test('a network without a lease is a caller bug', () => {
  const { lease: _lease, ...bare } = record([]);
  assert.throws(
    () => overlayDriver.network(bare),
    (e: unknown) => isNetdError(e, 'internal') && /no subnet lease/.test((e as Error).message),
  );
});

// ---- the comparer on peer entries -----------------------------------------------------------

const bridgeLink: LinkView = { name: `nd-${ID.slice(0, 12)}`, kind: 'bridge', mtu: 1450, alias: `netd:network:${ID}`, up: true };
const vxlanLink: LinkView = {
  name: DEV,
  kind: 'vxlan',
  mtu: 1450,
  mac: vtepMacOf('10.89.3.0/24'),
  alias: MARK,
  up: true,
  vxlan: { vni: 1, port: 8472, local: '192.168.50.1', dev: 'eth0', learning: false },
};

/** What the kernel holds for peers as netd writes them. */
const neigh = (p: OverlayPeer): NeighbourView => ({ dev: DEV, addr: p.subnet.replace(/\/.*/, ''), mac: p.vtepMac, permanent: true });
const fdb = (p: OverlayPeer): FdbView => ({ dev: DEV, mac: p.vtepMac, dst: p.publicIp });
const vxRoute = (p: OverlayPeer): RouteView => ({ dst: p.subnet, via: p.subnet.replace(/\/.*/, ''), dev: DEV, family: 4, proto: '78', onlink: true });
const gwRoute = (p: OverlayPeer): RouteView => ({ dst: p.subnet, via: p.publicIp, dev: 'eth0', family: 4, proto: '78' });

function kernel(o: { neighbours?: NeighbourView[]; fdb?: FdbView[]; routes?: RouteView[] }): KernelView {
  return {
    host: {
      links: [bridgeLink, vxlanLink],
      addresses: [
        { dev: bridgeLink.name, cidr: '10.89.3.1/24' },
        { dev: DEV, cidr: '10.89.3.0/32' },
      ],
      routes: o.routes ?? [],
      neighbours: o.neighbours ?? [],
      fdb: o.fdb ?? [],
    },
    netnsNames: new Set(),
    sandboxes: new Map(),
    files: new Map(),
    firewall: [],
  };
}
const synced = (peers: OverlayPeer[]): KernelView => kernel({ neighbours: peers.map(neigh), fdb: peers.map(fdb), routes: peers.map(vxRoute) });
const B = peerB.vtepMac;
const C = peerC.vtepMac;

test('comparer: peer entries missing, in sync, stale and changed', () => {
  const moved: OverlayPeer = { ...peerB, publicIp: '192.168.50.9' };
  const remac: OverlayPeer = { ...peerB, vtepMac: '02:00:00:00:00:09' };
  const cases: [string, NetworkRecord, KernelView, string[], string[]][] = [
    [
      'a new peer: neighbour, FDB, route',
      record([peerB]),
      synced([]),
      [
        `neighbour 10.89.4.0 dev ${DEV} lladdr ${B} missing`,
        `fdb ${B} dev ${DEV} dst 192.168.50.2 missing`,
        `route 10.89.4.0/24 via 10.89.4.0 dev ${DEV} onlink missing`,
      ],
      [
        `ip neigh replace 10.89.4.0 lladdr ${B} dev ${DEV} nud permanent`,
        `bridge fdb append ${B} dev ${DEV} dst 192.168.50.2 self permanent`,
        `ip route replace 10.89.4.0/24 via 10.89.4.0 dev ${DEV} proto 78 onlink`,
      ],
    ],
    ['in sync', record([peerB, peerC]), synced([peerB, peerC]), [], []],
    [
      'a peer that left',
      record([peerB]),
      synced([peerB, peerC]),
      [
        `route 10.89.5.0/24 via 10.89.5.0 dev ${DEV} onlink not declared`,
        `neighbour 10.89.5.0 dev ${DEV} lladdr ${C} not declared`,
        `fdb ${C} dev ${DEV} dst 192.168.50.3 not declared`,
      ],
      [
        `ip route del 10.89.5.0/24 via 10.89.5.0 dev ${DEV} proto 78`,
        `ip neigh del 10.89.5.0 dev ${DEV}`,
        `bridge fdb del ${C} dev ${DEV} dst 192.168.50.3 self`,
      ],
    ],
    [
      'a peer whose underlay address changed',
      record([moved]),
      synced([peerB]),
      [`fdb ${B} dev ${DEV} dst 192.168.50.2 → 192.168.50.9`],
      [`bridge fdb del ${B} dev ${DEV} dst 192.168.50.2 self`, `bridge fdb append ${B} dev ${DEV} dst 192.168.50.9 self permanent`],
    ],
    [
      'a peer whose VTEP MAC changed',
      record([remac]),
      synced([peerB]),
      [
        `neighbour 10.89.4.0 dev ${DEV} lladdr ${B} → 02:00:00:00:00:09`,
        `fdb 02:00:00:00:00:09 dev ${DEV} dst 192.168.50.2 missing`,
        `fdb ${B} dev ${DEV} dst 192.168.50.2 not declared`,
      ],
      [
        `ip neigh replace 10.89.4.0 lladdr 02:00:00:00:00:09 dev ${DEV} nud permanent`,
        `bridge fdb append 02:00:00:00:00:09 dev ${DEV} dst 192.168.50.2 self permanent`,
        `bridge fdb del ${B} dev ${DEV} dst 192.168.50.2 self`,
      ],
    ],
    [
      'host-gw: a new peer, a moved one, and the vxlan leftovers of a changed backend',
      record([peerB, { ...peerC, publicIp: '192.168.50.7' }], 'host-gw'),
      kernel({ routes: [gwRoute(peerC), vxRoute(peerB)] }),
      [
        `bridge ${bridgeLink.name} mtu 1450 → 1500`,
        `route 10.89.4.0/24 via 10.89.4.0 dev ${DEV} onlink → via 192.168.50.2 dev eth0`,
        `route 10.89.5.0/24 via 192.168.50.3 dev eth0 → via 192.168.50.7 dev eth0`,
      ],
      [
        `ip link set dev ${bridgeLink.name} mtu 1500`,
        'ip route replace 10.89.4.0/24 via 192.168.50.2 dev eth0 proto 78',
        'ip route replace 10.89.5.0/24 via 192.168.50.7 dev eth0 proto 78',
      ],
    ],
    [
      'routes outside the cluster range and not through the device are not the overlay’s',
      record([]),
      kernel({
        routes: [
          { dst: '10.90.0.0/24', via: '192.168.50.5', dev: 'eth0', family: 4, proto: '78' },
          { ...gwRoute(peerB), proto: 'boot' },
        ],
      }),
      [],
      [],
    ],
  ];
  for (const [name, net, k, reasons, ops] of cases) {
    const c = compare(overlayDriver.network(net), k);
    assert.deepEqual(c.problems, [], name);
    assert.deepEqual(reasonsOf(c), reasons, name);
    assert.deepEqual(opsOf(c).map(opText), ops, name);
  }
});

test('a fresh host: the device is made, then its entries', () => {
  const k: KernelView = { ...kernel({}), host: { links: [], addresses: [], routes: [] } };
  const ops = opsOf(compare(overlayDriver.network(record([peerB])), k));
  assert.deepEqual(
    ops.map((o) => o.op),
    ['link-add', 'link-set', 'addr-add', 'link-add', 'link-set', 'addr-add', 'neigh-replace', 'fdb-append', 'route-replace'],
  );
});

test('a vxlan device whose identity changed is made again, with its entries', () => {
  const k = synced([peerB]);
  const moved: KernelView = { ...k, host: { ...k.host, links: [bridgeLink, { ...vxlanLink, vxlan: { ...vxlanLink.vxlan!, local: '192.168.50.9' } }] } };
  const c = compare(overlayDriver.network(record([peerB])), moved);
  assert.deepEqual(reasonsOf(c), [
    `vxlan ${DEV} local 192.168.50.9 → 192.168.50.1 (made again)`,
    `neighbour 10.89.4.0 dev ${DEV} lladdr ${B} missing`,
    `fdb ${B} dev ${DEV} dst 192.168.50.2 missing`,
    `route 10.89.4.0/24 via 10.89.4.0 dev ${DEV} onlink missing`,
  ]);
  assert.deepEqual(
    opsOf(c).map((o) => o.op),
    ['link-del', 'link-add', 'link-set', 'addr-add', 'neigh-replace', 'fdb-append', 'route-replace'],
  );
});

test('removal: the marked device (its entries go with it), host-gw routes, the bridge; never a foreign device', () => {
  const ops = (net: NetworkRecord, k: KernelView): string[] => overlayDriver.removeNetwork(net, k).map(opText);
  const cases: [string, NetworkRecord, KernelView, string[]][] = [
    ['vxlan', record([peerB]), synced([peerB]), [`ip link del dev ${DEV}`, `ip link del dev ${bridgeLink.name}`]],
    [
      'host-gw',
      record([peerB], 'host-gw'),
      kernel({ routes: [gwRoute(peerB)] }),
      ['ip route del 10.89.4.0/24 via 192.168.50.2 dev eth0 proto 78', `ip link del dev ${DEV}`, `ip link del dev ${bridgeLink.name}`],
    ],
    ['a device by that name that is not netd’s', record([]), { ...kernel({}), host: { ...kernel({}).host, links: [{ ...vxlanLink, alias: 'admin' }] } }, []],
  ];
  for (const [name, net, k, want] of cases) assert.deepEqual(ops(net, k), want, name);
});

test('observation: permanent neighbours and onlink routes are parsed', () => {
  const out = [
    '[]',
    '[]',
    JSON.stringify([{ dst: '10.89.4.0/24', gateway: '10.89.4.0', dev: DEV, flags: ['onlink'] }]),
    JSON.stringify([{ dst: '10.89.4.0', dev: DEV, lladdr: '0E:AA:BB:CC:DD:EE', state: ['PERMANENT'] }]),
  ].join('\n');
  const v = parseView(out, '78');
  assert.deepEqual(v.routes, [{ dst: '10.89.4.0/24', family: 4, proto: '78', table: 'main', via: '10.89.4.0', dev: DEV, onlink: true }]);
  assert.deepEqual(v.neighbours, [{ dev: DEV, addr: '10.89.4.0', mac: '0e:aa:bb:cc:dd:ee', permanent: true }]);
  assert.equal(parseView('[]\n[]\n[]\n').neighbours, undefined);
});

test('route ops render onlink on writes only', () => {
  const op = (o: 'route-replace' | 'route-del'): KernelOp => ({ op: o, dst: '10.89.4.0/24', via: '10.89.4.0', dev: DEV, onlink: true });
  assert.deepEqual(renderOp(op('route-replace')), [`route replace 10.89.4.0/24 via 10.89.4.0 dev ${DEV} proto 78 onlink`]);
  assert.deepEqual(renderOp(op('route-del')), [`route del 10.89.4.0/24 via 10.89.4.0 dev ${DEV}`]);
});
