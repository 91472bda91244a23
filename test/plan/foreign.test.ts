/**
 * Foreign objects, purely: records and a kernel view in, the objects netd must not touch out
 * (plan/foreign.ts), and which of them pre-flight refuses for a plan (only those a change other
 * than a delete would touch).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foreignObjects } from '../../src/plan/foreign.js';
import { foreignPreflight } from '../../src/reconcile/preflight.js';
import type { Change, KernelView, LinkView, NamespaceView, RecordedState } from '../../src/plan/types.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../../src/state/records.js';
import { fam, network as networkRecord } from '../ipam/fixtures.js';

const id = (c: string): string => c.repeat(64);
const NET = id('a');
const SB = id('b');
const EP = id('d');
const VETH = `nd${EP.slice(0, 12)}`;

const network: NetworkRecord = { ...networkRecord('front', fam('10.90.0.0/24', '10.90.0.1')), id: NET, bridge: 'br-front' };
const sandbox: SandboxRecord = {
  id: SB,
  container: 'web',
  netns: { kind: 'named', name: 'web' },
  created: true,
  nsId: '4:100',
  hostname: 'web',
  state: 'ready',
};
const endpoint: EndpointRecord = {
  id: EP,
  networkId: NET,
  network: 'front',
  container: 'web',
  sandboxId: SB,
  interface: 'eth0',
  hostVeth: VETH,
  ipv4: '10.90.0.10',
  aliases: [],
  gatewayPriority: 0,
  ports: [],
  state: 'ready',
};
const EMPTY_NS: NamespaceView = { links: [], addresses: [], routes: [] };

interface World {
  networks: NetworkRecord[];
  sandboxes: SandboxRecord[];
  endpoints: EndpointRecord[];
  links: LinkView[];
  nsIds: Map<string, string>;
  views: Map<string, NamespaceView | null>;
}

/** netd's objects as netd built them: nothing foreign. */
const world = (): World => ({
  networks: [network],
  sandboxes: [sandbox],
  endpoints: [endpoint],
  links: [
    { name: 'br-front', kind: 'bridge', up: true, alias: `netd:network:${NET}` },
    { name: VETH, kind: 'veth', up: true, alias: `netd:endpoint:${EP}` },
  ],
  nsIds: new Map([['web', '4:100']]),
  views: new Map([['web', EMPTY_NS]]),
});

const view = (w: World): { recorded: RecordedState; kernel: KernelView } => ({
  recorded: { networks: w.networks, sandboxes: w.sandboxes, endpoints: w.endpoints, allocations: [], revisions: new Map() },
  kernel: {
    host: { links: w.links, addresses: [], routes: [] },
    netnsNames: new Set(w.views.keys()),
    nsIds: w.nsIds,
    sandboxes: w.views,
    files: new Map(),
    firewall: [],
  },
});
const link = (w: World, name: string, patch: Partial<LinkView>): void => void (w.links = w.links.map((l) => (l.name === name ? { ...l, ...patch } : l)));
/** The link without any ifalias. */
const unmark = (w: World, name: string): void =>
  void (w.links = w.links.map((l) => {
    if (l.name !== name) return l;
    const { alias: _, ...rest } = l;
    return rest;
  }));
const { nsId: _, ...unidentified } = sandbox;

const NS_GONE = 'namespace "web" was replaced by one netd did not create';
const BR_GONE = `bridge "br-front" exists and is not netd's (no netd:network mark)`;
const VETH_GONE = `veth "${VETH}" exists and is not netd's (no netd:endpoint mark)`;

const cases: { name: string; edit: (w: World) => void; want: string[] }[] = [
  { name: "netd's own objects", edit: () => undefined, want: [] },
  { name: 'a namespace with another identity', edit: (w) => w.nsIds.set('web', '4:200'), want: [`container web ${NS_GONE}`] },
  {
    name: 'an adopted namespace with another identity',
    edit: (w) => {
      w.sandboxes = [{ ...sandbox, created: false }];
      w.nsIds.set('web', '4:200');
    },
    want: ['container web namespace "web" is no longer the one netd adopted'],
  },
  {
    name: 'a namespace with the same inode and another cookie (a reused inode)',
    edit: (w) => {
      w.sandboxes = [{ ...sandbox, nsId: '4:100:8193' }];
      w.nsIds.set('web', '4:100:9001');
    },
    want: [`container web ${NS_GONE}`],
  },
  { name: 'a record without cookie (written before cookies): the inode tells', edit: (w) => w.nsIds.set('web', '4:100:9001'), want: [] },
  { name: 'a record without identity (written before identities): trusted', edit: (w) => void (w.sandboxes = [unidentified]), want: [] },
  { name: 'a missing namespace is repaired, not foreign', edit: (w) => w.nsIds.delete('web'), want: [] },
  {
    name: 'the bare file of an interrupted netns add is repaired, not foreign',
    edit: (w) => {
      w.nsIds.set('web', '40:7');
      w.views.set('web', null);
    },
    want: [],
  },
  {
    name: 'a namespace another live record of the name claims (an interrupted replace)',
    edit: (w) => {
      w.sandboxes = [
        { ...sandbox, state: 'deleting' },
        { ...sandbox, id: id('c'), nsId: '4:200', state: 'ready' },
      ];
      w.nsIds.set('web', '4:200');
    },
    want: [],
  },
  { name: 'a bridge without the mark', edit: (w) => unmark(w, 'br-front'), want: [`network front ${BR_GONE}`] },
  { name: "a bridge with another network's mark", edit: (w) => link(w, 'br-front', { alias: `netd:network:${id('f')}` }), want: [`network front ${BR_GONE}`] },
  {
    name: 'a device under the bridge name',
    edit: (w) => (unmark(w, 'br-front'), link(w, 'br-front', { kind: 'veth' })),
    want: [`network front "br-front" exists and is a veth, not netd's bridge`],
  },
  { name: 'an adopted bridge carries no mark: not foreign', edit: (w) => void (w.networks = [{ ...network, adopted: true }]), want: [] },
  {
    name: 'a network still creating (a crash before its mark): not foreign',
    edit: (w) => {
      w.networks = [{ ...network, state: 'creating' }];
      unmark(w, 'br-front');
    },
    want: [],
  },
  { name: 'a missing bridge is repaired, not foreign', edit: (w) => void (w.links = w.links.filter((l) => l.name !== 'br-front')), want: [] },
  { name: 'a host veth without the mark', edit: (w) => link(w, VETH, { alias: 'admin' }), want: [`attachment web/front ${VETH_GONE}`] },
  {
    name: 'everything at once, containers then networks then attachments',
    edit: (w) => {
      unmark(w, VETH);
      unmark(w, 'br-front');
      w.nsIds.set('web', '4:200');
    },
    want: [`container web ${NS_GONE}`, `network front ${BR_GONE}`, `attachment web/front ${VETH_GONE}`],
  },
];

for (const tc of cases) {
  test(`foreign: ${tc.name}`, () => {
    const w = world();
    tc.edit(w);
    const { recorded, kernel } = view(w);
    assert.deepEqual(
      foreignObjects(recorded, kernel).map((f) => `${f.kind} ${f.name} ${f.message}`),
      tc.want,
    );
  });
}

const change = (action: Change['action'], kind: Change['kind'], name: string): Change => ({ action, kind, name, reasons: [] });

const refusals: { name: string; changes: Change[]; want: string[] }[] = [
  { name: 'no change', changes: [], want: [] },
  { name: 'only deletes: they drop the records', changes: [change('delete', 'attachment', 'web/front'), change('delete', 'container', 'web')], want: [] },
  {
    name: 'a repair of the container',
    changes: [change('repair', 'container', 'web')],
    want: [
      `container "web": ${NS_GONE}: netd will not change it; delete it (ip netns delete web), or stop declaring container "web" (apply then forgets netd's record and leaves it)`,
    ],
  },
  {
    name: 'a new attachment into the foreign namespace',
    changes: [change('create', 'attachment', 'web/back')],
    want: [
      `container "web": ${NS_GONE}: netd will not change it; delete it (ip netns delete web), or stop declaring container "web" (apply then forgets netd's record and leaves it)`,
    ],
  },
  { name: 'a change of another container', changes: [change('update', 'container', 'api')], want: [] },
];

for (const tc of refusals) {
  test(`foreign pre-flight: ${tc.name}`, () => {
    const w = world();
    w.nsIds.set('web', '4:200');
    assert.deepEqual(foreignPreflight({ ...view(w), plan: { changes: tc.changes } }), tc.want);
  });
}

test('foreign pre-flight: a bridge and a veth name the link to delete', () => {
  const w = world();
  unmark(w, 'br-front');
  unmark(w, VETH);
  assert.deepEqual(foreignPreflight({ ...view(w), plan: { changes: [change('update', 'attachment', 'web/front')] } }), [
    `network "front": ${BR_GONE}: netd will not change it; delete or rename it (ip link delete br-front), or stop declaring network "front" (apply then forgets netd's record and leaves it)`,
    `attachment "web/front": ${VETH_GONE}: netd will not change it; delete or rename it (ip link delete ${VETH}), or stop declaring attachment "web/front" (apply then forgets netd's record and leaves it)`,
  ]);
});
