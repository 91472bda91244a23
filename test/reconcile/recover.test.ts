/**
 * The pure part of `netd recover` and of the lost-store check: records → the kernel they
 * imply (as netd builds it) → rebuild → the same records, and the diff against them clean.
 * Each case then edits the files or the kernel and says what rebuild makes of it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rebuild, type Rebuilt } from '../../src/reconcile/recover.js';
import { lostState, markedObjects } from '../../src/reconcile/lost.js';
import { diff } from '../../src/plan/diff.js';
import { loadDesiredState } from '../../src/desired/validate.js';
import { derivedMac } from '../../src/desired/defaults.js';
import { renderSandboxFiles } from '../../src/state/files.js';
import { NO_HOST_RESOLV } from '../../src/state/resolv.js';
import { defaultRoutes } from '../../src/state/derive.js';
import { ownerAlias } from '../../src/state/marks.js';
import { prefixOf } from '../../src/state/prefix.js';
import { PREDEFINED, hostVethName, type AllocationRecord, type EndpointRecord, type NetworkRecord, type SandboxRecord } from '../../src/state/records.js';
import type { DesiredState } from '../../src/desired/types.js';
import type { KernelView, LinkView, NamespaceView, RecordedState } from '../../src/plan/types.js';

const id = (c: string): string => c.repeat(64);
const YAML = `version: 1
networks:
  front: { subnet: 10.90.0.0/24, bridge: br-front }
  back: {}
containers:
  web: {}
  api: {}
  db: { adopt: true }
  solo: {}
attachments:
  - { container: web, network: front, ipv4: 10.90.0.10 }
  - { container: api, network: front }
  - { container: api, network: back, aliases: [bee] }
  - { container: db, network: back }
  - { container: solo, network: none }
`;

const family = (subnet: string, gateway: string): NetworkRecord['ipv4'] => ({ subnet, gateway, reserved: [] });
const net = (i: string, name: string, bridge: string, v4: NetworkRecord['ipv4']): NetworkRecord => ({
  id: id(i),
  name,
  driver: 'bridge',
  bridge,
  ...(v4 ? { ipv4: v4 } : {}),
  mtu: 1500,
  internal: false,
  masquerade: true,
  icc: true,
  labels: {},
  adopted: false,
  state: 'ready',
});
const NETWORKS = [
  net('a', 'front', 'br-front', family('10.90.0.0/24', '10.90.0.1')),
  net('b', 'back', `nd-${'b'.repeat(12)}`, family('10.210.0.0/24', '10.210.0.1')),
];
const sandbox = (container: string, created = true): SandboxRecord => ({
  id: `sandbox-${container}`,
  container,
  netns: { kind: 'named', name: container },
  created,
  hostname: container,
  state: 'ready',
});
const SANDBOXES = [sandbox('web'), sandbox('api'), sandbox('db', false), sandbox('solo')];
const endpoint = (i: string, container: string, n: NetworkRecord, iface: string, ipv4: string, extra: Partial<EndpointRecord> = {}): EndpointRecord => ({
  id: id(i),
  networkId: n.id,
  network: n.name,
  container,
  sandboxId: `sandbox-${container}`,
  interface: iface,
  hostVeth: hostVethName(id(i)),
  mac: derivedMac(ipv4, id(i)),
  ipv4,
  aliases: [],
  gatewayPriority: 0,
  ports: [],
  state: 'ready',
  ...extra,
});
const [FRONT, BACK] = NETWORKS as [NetworkRecord, NetworkRecord];
const NONE = PREDEFINED.find((p) => p.name === 'none')!;
const ENDPOINTS: EndpointRecord[] = [
  endpoint('1', 'web', FRONT, 'eth0', '10.90.0.10'),
  endpoint('2', 'api', FRONT, 'eth0', '10.90.0.2'),
  endpoint('3', 'api', BACK, 'eth1', '10.210.0.2', { aliases: ['bee'] }),
  endpoint('4', 'db', BACK, 'eth0', '10.210.0.3'),
  {
    id: id('5'),
    networkId: NONE.id,
    network: 'none',
    container: 'solo',
    sandboxId: 'sandbox-solo',
    interface: '',
    aliases: [],
    gatewayPriority: 0,
    ports: [],
    state: 'ready',
  },
];
const allocation = (e: EndpointRecord, isStatic = false): AllocationRecord => ({
  networkId: e.networkId,
  family: 4,
  address: e.ipv4!,
  owner: `${e.container}/${e.network}`,
  endpointId: e.id,
  static: isStatic,
});
const ALLOCATIONS = [allocation(ENDPOINTS[0]!, true), ...ENDPOINTS.slice(1, 4).map((e) => allocation(e))];

/** The kernel netd builds for the records (marks, masters, addresses, default routes) and the files it writes. */
function kernelOf(networks: NetworkRecord[], sandboxes: SandboxRecord[], endpoints: EndpointRecord[]): KernelView {
  const link = (name: string, alias: string, more: Partial<LinkView> = {}): LinkView => ({ name, kind: 'veth', up: true, mtu: 1500, alias, ...more });
  const byId = new Map([...PREDEFINED, ...networks].map((n) => [n.id, n]));
  const host: NamespaceView = {
    links: [
      ...networks.map((n) => link(n.bridge!, ownerAlias('network', n.id), { kind: 'bridge' })),
      ...endpoints.filter((e) => e.hostVeth).map((e) => link(e.hostVeth!, ownerAlias('endpoint', e.id), { master: byId.get(e.networkId)!.bridge! })),
    ],
    addresses: networks.map((n) => ({ dev: n.bridge!, cidr: `${n.ipv4!.gateway}/${prefixOf(n.ipv4!.subnet)}` })),
    routes: [],
  };
  const views = new Map<string, NamespaceView | null>();
  for (const s of sandboxes) {
    const mine = endpoints.filter((e) => e.container === s.container && e.hostVeth);
    views.set(s.container, {
      links: [link('lo', '', { kind: 'device' }), ...mine.map((e) => link(e.interface, ownerAlias('endpoint', e.id), { mac: e.mac! }))],
      addresses: mine.map((e) => ({ dev: e.interface, cidr: `${e.ipv4}/${prefixOf(byId.get(e.networkId)!.ipv4!.subnet)}` })),
      routes: defaultRoutes(s.container, endpoints, byId).map((r) => ({ dst: 'default', via: r.gateway, dev: r.endpoint.interface, family: r.family })),
    });
  }
  return {
    host,
    netnsNames: new Set(sandboxes.map((s) => s.container)),
    sandboxes: views,
    files: new Map(renderSandboxFiles(sandboxes, endpoints, NO_HOST_RESOLV)),
    firewall: [],
    nftTables: ['netd', 'netd-nat'].map((name) => ({ family: 'inet', name, marked: true, chains: [] })),
  };
}

async function desired(yaml = YAML): Promise<DesiredState> {
  const r = await loadDesiredState(['-'], { stdin: yaml });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.state;
}

/** Sandbox ids are new (nothing in the kernel carries them): named by container for comparing. */
function byContainer(r: Rebuilt): Rebuilt {
  const name = new Map(r.sandboxes.map((s) => [s.id, `sandbox-${s.container}`]));
  return {
    ...r,
    sandboxes: r.sandboxes.map((s) => ({ ...s, id: name.get(s.id)! })),
    endpoints: r.endpoints.map((e) => ({ ...e, sandboxId: name.get(e.sandboxId)! })),
  };
}

const recorded = (r: Rebuilt): RecordedState => ({ ...r, revisions: new Map() });
let n = 0;
const ids = (): string => `new-${++n}`;

test('rebuild: the records netd made come back, and the diff against them is clean', async () => {
  const d = await desired();
  const k = kernelOf(NETWORKS, SANDBOXES, ENDPOINTS);
  const r = byContainer(rebuild(d, k, ids));
  assert.deepEqual(r.notes, []);
  assert.deepEqual(r.networks, NETWORKS);
  assert.deepEqual(r.sandboxes, SANDBOXES);
  assert.deepEqual(
    r.endpoints.map((e) => (e.network === 'none' ? { ...e, id: id('5') } : e)),
    ENDPOINTS,
  );
  assert.deepEqual(r.allocations, ALLOCATIONS);
  assert.deepEqual(diff(d, recorded(r), k).changes, []);
});

const cases: { name: string; yaml?: string; kernel?: (k: KernelView) => KernelView; want: (r: Rebuilt) => void }[] = [
  {
    name: 'a marked bridge and veth the files do not declare are reported and left out',
    kernel: (k) => ({
      ...k,
      host: {
        ...k.host,
        links: [
          ...k.host.links,
          { name: `nd-${'c'.repeat(12)}`, kind: 'bridge', up: true, alias: ownerAlias('network', id('c')) },
          { name: hostVethName(id('9')), kind: 'veth', up: true, alias: ownerAlias('endpoint', id('9')) },
        ],
      },
    }),
    want: (r) => {
      assert.deepEqual(r.notes, [
        `bridge nd-cccccccccccc (netd:network:${id('c')}) is not declared in the files; left as is`,
        `veth nd999999999999 (netd:endpoint:${id('9')}) is not declared in the files; left as is`,
      ]);
      assert.equal(r.networks.length, 2);
    },
  },
  {
    name: "a container whose namespace is gone has no record, nor have its attachments; its network is matched by the others'",
    kernel: (k) => ({ ...k, netnsNames: new Set(['web', 'api', 'solo']), sandboxes: new Map([...k.sandboxes].filter(([c]) => c !== 'db')) }),
    want: (r) => {
      assert.deepEqual(
        r.sandboxes.map((s) => s.container),
        ['web', 'api', 'solo'],
      );
      assert.deepEqual(
        r.endpoints.map((e) => `${e.container}/${e.network}`),
        ['web/front', 'api/front', 'api/back', 'solo/none'],
      );
      assert.equal(r.networks.find((x) => x.name === 'back')?.id, id('b'));
      assert.deepEqual(r.notes, [`veth ${hostVethName(id('4'))} (netd:endpoint:${id('4')}) is not declared in the files; left as is`]);
    },
  },
  {
    name: 'a network without declared subnet, bridge or attachments is not guessed',
    yaml: YAML.replace(/ {2}- \{ container: (api|db), network: back.*\n/g, ''),
    want: (r) => {
      assert.deepEqual(
        r.networks.map((x) => x.name),
        ['front'],
      );
      assert.match(r.notes.join('\n'), /bridge nd-bbbbbbbbbbbb .* is not declared in the files/);
    },
  },
  {
    name: 'a declared subnet finds its bridge without any attachment',
    yaml: YAML.replace('back: {}', 'back: { subnet: 10.210.0.0/24 }').replace(/ {2}- \{ container: (api|db), network: back.*\n/g, ''),
    want: (r) => assert.equal(r.networks.find((x) => x.name === 'back')?.id, id('b')),
  },
  {
    name: 'a declared subnet that is not on any marked bridge matches none',
    yaml: YAML.replace('back: {}', 'back: { subnet: 10.211.0.0/24 }'),
    want: (r) =>
      assert.equal(
        r.networks.find((x) => x.name === 'back'),
        undefined,
      ),
  },
];

for (const tc of cases) {
  test(`rebuild: ${tc.name}`, async () => {
    const k = kernelOf(NETWORKS, SANDBOXES, ENDPOINTS);
    tc.want(rebuild(await desired(tc.yaml), tc.kernel ? tc.kernel(k) : k, ids));
  });
}

const none: RecordedState = { networks: [], sandboxes: [], endpoints: [], allocations: [], revisions: new Map() };
const lostCases: { name: string; recorded: RecordedState; kernel: KernelView; want: string | undefined }[] = [
  {
    name: 'no records, marked links and tables: lost (both veth ends and both tables count)',
    recorded: none,
    kernel: kernelOf(NETWORKS, SANDBOXES, ENDPOINTS),
    want: "the state in /s was lost: 12 kernel objects carry netd's mark",
  },
  {
    name: 'records: not lost, whatever the kernel holds',
    recorded: { ...none, allocations: ALLOCATIONS },
    kernel: kernelOf(NETWORKS, SANDBOXES, ENDPOINTS),
    want: undefined,
  },
  { name: 'no records and nothing marked: a new host', recorded: none, kernel: { ...kernelOf([], [], []), nftTables: [] }, want: undefined },
  {
    name: 'marked tables alone (what a delete killed before its firewall sync leaves): not lost',
    recorded: none,
    kernel: kernelOf([], [], []),
    want: undefined,
  },
  {
    name: 'an unmarked (admin) table does not count; a marked link and a marked table do',
    recorded: none,
    kernel: {
      ...kernelOf([], [], []),
      host: { links: [{ name: 'nd111111111111', up: true, alias: ownerAlias('endpoint', id('1')) }], addresses: [], routes: [] },
      nftTables: [
        { family: 'inet', name: 'netd', marked: false, chains: [] },
        { family: 'bridge', name: 'netd', marked: true, chains: [] },
      ],
    },
    want: "the state in /s was lost: 2 kernel objects carry netd's mark",
  },
];

for (const tc of lostCases) {
  test(`lostState: ${tc.name}`, () => {
    assert.equal(lostState('/s', { recorded: tc.recorded, kernel: tc.kernel }), tc.want);
  });
}

test('markedObjects: links with another alias (or none) are not netd marks', () => {
  const k = kernelOf([], [], []);
  const links: LinkView[] = [
    { name: 'eth9', up: true, alias: 'uplink' },
    { name: 'br0', up: true },
    { name: 'x', up: true, alias: 'netd:' },
  ];
  assert.equal(markedObjects({ ...k, host: { ...k.host, links }, nftTables: [] }), 0);
});
