/** The pure half of the cluster's part of a pass: the desired state localized to this host, and records with the current peers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attachLeases, localize, NO_CLUSTER, type ClusterView } from '../../src/reconcile/cluster.js';
import { withCurrentLease, type NetworkRecord } from '../../src/state/records.js';
import type { DesiredNetwork, DesiredState, OverlayLease } from '../../src/desired/types.js';
import type { RecordedState } from '../../src/plan/types.js';

const loc = { file: 'f.yaml', line: 1, column: 1 };
const STORE = { endpoints: ['http://192.0.2.1:2379'], prefix: '/netd' };
const net = (name: string, backend: 'vxlan' | 'host-gw' = 'vxlan'): DesiredNetwork => ({
  name,
  driver: 'overlay',
  ipv4: { subnet: '10.89.0.0/16', reserved: [] },
  mtu: 1500,
  internal: false,
  masquerade: true,
  icc: true,
  gatewayMode: 'nat',
  dns: false,
  labels: {},
  adopt: false,
  overlay: { range: '10.89.0.0/16', subnetLen: 24, backend, vni: 1, port: 8472 },
  loc,
});
const bridge: DesiredNetwork = { ...net('web'), driver: 'bridge', ipv4: { subnet: '10.1.0.0/24', gateway: '10.1.0.1', reserved: [] } };
delete (bridge as { overlay?: unknown }).overlay;

const desired = (...networks: DesiredNetwork[]): DesiredState => ({
  version: 1,
  addressPools: [],
  networks,
  containers: [],
  attachments: networks.map((n) => ({ container: 'c', network: n.name, interface: 'eth0', aliases: [], gatewayPriority: 0, ports: [], loc })),
});
const lease = (subnet: string, peers?: OverlayLease['peers']): OverlayLease => ({
  subnet,
  leaseId: '7',
  vtepMac: '02:00:00:00:00:01',
  store: STORE,
  dev: 'eth0',
  local: '192.0.2.10',
  mtu: 9000,
  ...(peers ? { peers } : {}),
});
const view = (leases: Record<string, OverlayLease>, unbuilt: string[] = []): ClusterView => ({
  ...NO_CLUSTER,
  leases: new Map(Object.entries(leases)),
  unbuilt: new Set(unbuilt),
});
const PEER = { subnet: '10.89.9.0/24', publicIp: '192.0.2.9', vtepMac: '02:00:00:00:00:09' };

test('localize: an overlay with a lease becomes its host part; without one it stays declared; one unbuilt goes with its attachments', () => {
  const cases: { name: string; in: DesiredState; view: ClusterView; want: (d: DesiredState) => void }[] = [
    { name: 'no overlay: unchanged', in: desired(bridge), view: NO_CLUSTER, want: (d) => assert.deepEqual(d, desired(bridge)) },
    {
      name: 'vxlan: the lease subnet, gateway .1, MTU − 50, the lease attached',
      in: desired(net('pods')),
      view: view({ pods: lease('10.89.7.0/24', [PEER]) }),
      want: (d) => {
        const n = d.networks[0]!;
        assert.deepEqual(n.ipv4, { subnet: '10.89.7.0/24', gateway: '10.89.7.1', reserved: [] });
        assert.equal(n.mtu, 8950);
        assert.deepEqual(n.lease?.peers, [PEER]);
        assert.equal(n.overlay?.range, '10.89.0.0/16', 'the cluster range is kept');
      },
    },
    {
      name: 'host-gw: the external MTU',
      in: desired(net('pods', 'host-gw')),
      view: view({ pods: lease('10.89.7.0/24') }),
      want: (d) => assert.equal(d.networks[0]!.mtu, 9000),
    },
    {
      name: 'no lease yet (a read-only look): as declared',
      in: desired(net('pods'), bridge),
      view: view({}),
      want: (d) => assert.deepEqual(d, desired(net('pods'), bridge)),
    },
    {
      name: 'unbuilt (no lease, store unreachable): left out with its attachments',
      in: desired(net('pods'), bridge),
      view: view({}, ['pods']),
      want: (d) => {
        assert.deepEqual(
          d.networks.map((n) => n.name),
          ['web'],
        );
        assert.deepEqual(
          d.attachments.map((a) => a.network),
          ['web'],
        );
      },
    },
  ];
  for (const c of cases) c.want(localize(c.in, c.view));
});

const record = (subnet: string, peers?: OverlayLease['peers']): NetworkRecord => ({
  id: 'a'.repeat(64),
  name: 'pods',
  driver: 'overlay',
  bridge: 'nd-aaaaaaaaaaaa',
  ipv4: { subnet, gateway: subnet.replace(/0\/24$/, '1'), reserved: [] },
  mtu: 8950,
  internal: false,
  masquerade: true,
  icc: true,
  labels: {},
  adopted: false,
  overlay: { range: '10.89.0.0/16', subnetLen: 24, backend: 'vxlan', vni: 1, port: 8472 },
  lease: lease(subnet, peers),
  state: 'ready',
});

test('withCurrentLease: the current peers on the same subnet; otherwise the peers are unknown (left alone)', () => {
  const old = [{ ...PEER, subnet: '10.89.3.0/24' }];
  const cases: [string, NetworkRecord, Map<string, OverlayLease> | undefined, OverlayLease['peers']][] = [
    ['same subnet: the cluster peers', record('10.89.7.0/24', old), new Map([['pods', lease('10.89.7.0/24', [PEER])]]), [PEER]],
    ['store unreachable: unknown', record('10.89.7.0/24', old), undefined, undefined],
    ['re-addressed (another subnet now): unknown', record('10.89.7.0/24', old), new Map([['pods', lease('10.89.8.0/24', [PEER])]]), undefined],
    ['not declared any more: unknown', record('10.89.7.0/24', old), new Map(), undefined],
  ];
  for (const [name, rec, leases, peers] of cases) assert.deepEqual(withCurrentLease(rec, leases).lease?.peers, peers, name);
  const plain = { ...record('10.89.7.0/24'), driver: 'bridge' as const };
  delete (plain as { overlay?: unknown }).overlay;
  assert.equal(withCurrentLease(plain, new Map()), plain, 'a bridge network is untouched');
});

test('attachLeases: only overlay records change', () => {
  const rec = record('10.89.7.0/24', []);
  const recorded: RecordedState = { networks: [rec], sandboxes: [], endpoints: [], allocations: [], revisions: new Map() };
  const out = attachLeases(recorded, view({ pods: lease('10.89.7.0/24', [PEER]) }));
  assert.deepEqual(out.networks[0]!.lease?.peers, [PEER]);
  const none: RecordedState = { ...recorded, networks: [] };
  assert.equal(attachLeases(none, view({})), none);
});
