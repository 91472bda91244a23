/**
 * The pure diff: hand-built records and kernel snapshots in, Changes with their exact
 * reasons out. The base fixture is in sync (no changes); each case edits the files, the
 * records or the kernel and names every change it expects, in order.
 */
import type { KernelOp } from '../../src/kernel/ops.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diff } from '../../src/plan/diff.js';
import { filesRendered, renderSandboxFiles, sandboxFiles } from '../../src/state/files.js';
import { fileRecordOf } from '../../src/state/file-digest.js';
import { sha256 } from '../../src/digest.js';
import { NO_HOST_RESOLV } from '../../src/state/resolv.js';
import type { Change, KernelView, LinkView, NamespaceView, RecordedState } from '../../src/plan/types.js';
import type { FileSeen } from '../../src/state/view.js';
import { derivedMac } from '../../src/desired/defaults.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../../src/state/records.js';
import { loadDesiredState } from '../../src/desired/validate.js';

const NET = 'a'.repeat(64);
const id = (c: string): string => c.repeat(64);
const BASE = `version: 1
networks:
  front: { subnet: 10.90.0.0/24, bridge: br-front }
containers:
  web: {}
  api: {}
attachments:
  - { container: web, network: front, ipv4: 10.90.0.10 }
  - { container: api, network: front }
`;

interface Fixture {
  yaml: string;
  networks: NetworkRecord[];
  sandboxes: SandboxRecord[];
  endpoints: EndpointRecord[];
  host: { links: LinkView[]; addresses: { dev: string; cidr: string }[] };
  views: Map<string, NamespaceView | null>;
  netnsNames: Set<string>;
  /** Overrides of the files on disk (default: what the records render to). */
  files: Map<string, string | null>;
  firewall: string[];
  /** Namespace identities the kernel shows (default: none read). */
  nsIds: Map<string, string>;
}

function endpoint(container: string, hex: string, ipv4: string): EndpointRecord {
  return {
    id: id(hex),
    networkId: NET,
    network: 'front',
    container,
    sandboxId: id(container === 'web' ? 'b' : 'c'),
    interface: 'eth0',
    hostVeth: `nd${id(hex).slice(0, 12)}`,
    mac: derivedMac(ipv4, id(hex)),
    ipv4,
    aliases: [],
    gatewayPriority: 0,
    ports: [],
    state: 'ready',
  };
}

function sandbox(container: string, hex: string): SandboxRecord {
  return { id: id(hex), container, netns: { kind: 'named', name: container }, created: true, hostname: container, state: 'ready' };
}

function inside(ep: EndpointRecord): NamespaceView {
  return {
    links: [
      { name: 'lo', up: true, mtu: 65536 },
      { name: 'eth0', kind: 'veth', up: true, mtu: 1500, mac: ep.mac!, alias: `netd:endpoint:${ep.id}` },
    ],
    addresses: [{ dev: 'eth0', cidr: `${ep.ipv4}/24` }],
    routes: [{ dst: 'default', via: '10.90.0.1', dev: 'eth0', family: 4 }],
  };
}

/** front (br-front) with web (static 10.90.0.10) and api (dynamic, 10.90.0.2): all in sync. */
function base(): Fixture {
  const endpoints = [endpoint('web', 'd', '10.90.0.10'), endpoint('api', 'e', '10.90.0.2')];
  const veth = (e: EndpointRecord): LinkView => ({ name: e.hostVeth!, kind: 'veth', master: 'br-front', up: true, mtu: 1500, alias: `netd:endpoint:${e.id}` });
  return {
    yaml: BASE,
    networks: [
      {
        id: NET,
        name: 'front',
        driver: 'bridge',
        bridge: 'br-front',
        ipv4: { subnet: '10.90.0.0/24', gateway: '10.90.0.1', reserved: [] },
        mtu: 1500,
        internal: false,
        masquerade: true,
        icc: true,
        labels: {},
        adopted: false,
        state: 'ready',
      },
    ],
    sandboxes: [sandbox('web', 'b'), sandbox('api', 'c')],
    endpoints,
    host: {
      links: [{ name: 'br-front', kind: 'bridge', up: true, mtu: 1500, alias: `netd:network:${NET}` }, ...endpoints.map(veth)],
      addresses: [{ dev: 'br-front', cidr: '10.90.0.1/24' }],
    },
    views: new Map([
      ['web', inside(endpoints[0]!)],
      ['api', inside(endpoints[1]!)],
    ]),
    netnsNames: new Set(['web', 'api']),
    files: new Map(),
    firewall: [],
    nsIds: new Map(),
  };
}

/**
 * `digests`: netd recorded what it wrote (what the records render to), and the snapshot read
 * the files by size and digest; the diff must then render none of them.
 */
async function run(f: Fixture, digests = false): Promise<Change[]> {
  const r = await loadDesiredState(['-'], { stdin: f.yaml });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const rendered = renderSandboxFiles(f.sandboxes, f.endpoints, NO_HOST_RESOLV, f.networks);
  const inputs = sandboxFiles(f.sandboxes, f.endpoints, NO_HOST_RESOLV, f.networks);
  const written = digests ? [...rendered].map(([path, text]) => fileRecordOf(path, text, inputs.get(path)!.inputs)) : undefined;
  const recorded: RecordedState = {
    networks: f.networks,
    sandboxes: f.sandboxes,
    endpoints: f.endpoints,
    allocations: [],
    revisions: new Map(),
    ...(written ? { files: written } : {}),
  };
  const files = new Map<string, FileSeen>(rendered);
  for (const [k, v] of f.files) files.set(k, v);
  for (const w of written ?? []) {
    const text = files.get(w.path);
    if (typeof text === 'string')
      files.set(w.path, Buffer.byteLength(text) === w.size ? { size: w.size, sha256: sha256(text) } : { size: Buffer.byteLength(text) });
  }
  const before = filesRendered();
  try {
    return [...diff(r.state, recorded, kernelOf(f, files), NO_HOST_RESOLV).changes];
  } finally {
    if (digests) assert.equal(filesRendered(), before, 'the diff rendered files whose inputs are unchanged');
  }
}

function kernelOf(f: Fixture, files: ReadonlyMap<string, FileSeen>): KernelView {
  return {
    host: { ...f.host, routes: [] },
    netnsNames: f.netnsNames,
    sandboxes: f.views,
    files,
    firewall: f.firewall,
    nsIds: f.nsIds,
  };
}

/** The changes as reasons only (their ops are checked by the ops table below). */
const reasons = (changes: Change[]): Change[] => changes.map(({ ops: _ops, id, ...c }) => (c.action === 'delete' ? { ...c, id: id! } : c));

const web = (f: Fixture): EndpointRecord => f.endpoints[0]!;
const webView = (f: Fixture): NamespaceView => f.views.get('web')!;
const setWebView = (f: Fixture, v: Partial<NamespaceView>): void => void f.views.set('web', { ...webView(f), ...v });
const hostLink = (f: Fixture, name: string, patch: Partial<LinkView>): void => {
  f.host.links = f.host.links.map((l) => (l.name === name ? { ...l, ...patch } : l));
};
const ch = (action: Change['action'], kind: Change['kind'], name: string, ...reasons: string[]): Change => ({ action, kind, name, reasons });
/** A delete names its record by id. */
const gone = (kind: Change['kind'], name: string, hex: string, reason: string): Change => ({
  action: 'delete',
  kind,
  name,
  reasons: [reason],
  id: hex.length === 64 ? hex : id(hex),
});
const recreated = (why: string): Change[] => [ch('replace', 'attachment', 'web/front', why), ch('replace', 'attachment', 'api/front', why)];

interface Case {
  name: string;
  edit: (f: Fixture) => void;
  want: Change[] | ((f: Fixture) => Change[]);
}

const cases: Case[] = [
  { name: 'in sync: no changes', edit: () => undefined, want: [] },
  // ---- desired vs recorded ----
  {
    name: 'create: a new container and its attachment',
    edit: (f) => void (f.yaml = f.yaml.replace('  api: {}\n', '  api: {}\n  db: {}\n') + '  - { container: db, network: front }\n'),
    want: [ch('create', 'container', 'db'), ch('create', 'attachment', 'db/front')],
  },
  {
    name: 'create: a new network, containers before networks before attachments',
    edit: (f) => void (f.yaml = f.yaml.replace('containers:', '  back: { subnet: 10.91.0.0/24 }\ncontainers:') + '  - { container: api, network: back }\n'),
    want: [ch('create', 'network', 'back'), ch('create', 'attachment', 'api/back')],
  },
  {
    name: 'update: network mtu',
    edit: (f) => void (f.yaml = f.yaml.replace('bridge: br-front', 'bridge: br-front, mtu: 1400')),
    want: [ch('update', 'network', 'front', 'mtu 1500 → 1400')],
  },
  {
    name: 'update: network labels and icc',
    edit: (f) => void (f.yaml = f.yaml.replace('bridge: br-front', 'bridge: br-front, icc: false, labels: { team: web }')),
    want: [ch('update', 'network', 'front', 'icc true → false', 'labels {} → {"team":"web"}')],
  },
  {
    name: 'update: gatewayMode routed, which masquerades no more',
    edit: (f) => void (f.yaml = f.yaml.replace('bridge: br-front', 'bridge: br-front, gatewayMode: routed')),
    want: [ch('update', 'network', 'front', 'masquerade true → false', 'gatewayMode nat → routed')],
  },
  {
    name: 'update: network dns (the files follow from the records; no kernel object changes)',
    edit: (f) => void (f.yaml = f.yaml.replace('bridge: br-front', 'bridge: br-front, dns: true')),
    want: [ch('update', 'network', 'front', 'dns false → true')],
  },
  {
    name: 'update: container hostname',
    edit: (f) => void (f.yaml = f.yaml.replace('  web: {}', '  web: { hostname: w1 }')),
    want: [ch('update', 'container', 'web', 'hostname web → w1')],
  },
  {
    name: 'update: attachment aliases and gatewayPriority',
    edit: (f) => void (f.yaml = f.yaml.replace('ipv4: 10.90.0.10 }', 'ipv4: 10.90.0.10, aliases: [www], gatewayPriority: 5 }')),
    want: [ch('update', 'attachment', 'web/front', 'aliases [] → [www]', 'gatewayPriority 0 → 5')],
  },
  {
    name: 'replace: a network with a new bridge name replaces its attachments',
    edit: (f) => void (f.yaml = f.yaml.replace('bridge: br-front', 'bridge: br-new')),
    want: [ch('replace', 'network', 'front', 'bridge br-front → br-new'), ...recreated('network front is recreated')],
  },
  {
    name: 'replace: a container with a new namespace replaces its attachment',
    edit: (f) => void (f.yaml = f.yaml.replace('  web: {}', '  web: { netns: webns }')),
    want: [ch('replace', 'container', 'web', 'netns web → webns'), ch('replace', 'attachment', 'web/front', 'container web is recreated')],
  },
  {
    name: 'replace: an attachment with a new interface name',
    edit: (f) => void (f.yaml = f.yaml.replace('network: front, ipv4', 'network: front, interface: eth1, ipv4')),
    want: [ch('replace', 'attachment', 'web/front', 'interface eth0 → eth1')],
  },
  {
    name: 'replace: an attachment with a new static address',
    edit: (f) => void (f.yaml = f.yaml.replace('ipv4: 10.90.0.10', 'ipv4: 10.90.0.20')),
    want: [ch('replace', 'attachment', 'web/front', 'ipv4 10.90.0.10 → 10.90.0.20')],
  },
  {
    name: 'replace: an attachment with a declared mac',
    edit: (f) => void (f.yaml = f.yaml.replace('ipv4: 10.90.0.10', 'ipv4: 10.90.0.10, mac: "02:00:00:00:00:01"')),
    want: [ch('replace', 'attachment', 'web/front', 'mac 02:42:0a:5a:00:0a → 02:00:00:00:00:01')],
  },
  {
    name: 'delete: an undeclared container goes after its attachment, before any other change',
    edit: (f) =>
      void (f.yaml = f.yaml.replace('  api: {}\n', '').replace('  - { container: api, network: front }\n', '').replace('  web: {}', '  web: { hostname: w1 }')),
    want: [
      gone('attachment', 'api/front', 'e', 'not declared'),
      gone('container', 'api', 'c', 'not declared'),
      ch('update', 'container', 'web', 'hostname web → w1'),
    ],
  },
  {
    name: 'delete: everything, attachments then containers then networks',
    edit: (f) => void (f.yaml = 'version: 1\n'),
    want: [
      gone('attachment', 'web/front', 'd', 'not declared'),
      gone('attachment', 'api/front', 'e', 'not declared'),
      gone('container', 'web', 'b', 'not declared'),
      gone('container', 'api', 'c', 'not declared'),
      gone('network', 'front', NET, 'not declared'),
    ],
  },
  // ---- recorded vs kernel ----
  {
    name: 'repair: a missing veth',
    edit: (f) => void (f.host.links = f.host.links.filter((l) => l.name !== web(f).hostVeth)),
    want: (f) => [
      ch(
        'repair',
        'attachment',
        'web/front',
        `veth ${web(f).hostVeth} missing`,
        'default route via 10.90.0.1 dev eth0 in web rewritten (its interface is rebuilt)',
      ),
    ],
  },
  {
    name: 'repair: a bridge set down',
    edit: (f) => hostLink(f, 'br-front', { up: false }),
    want: [ch('repair', 'network', 'front', 'bridge br-front down → up')],
  },
  {
    name: 'repair: a bridge mtu',
    edit: (f) => hostLink(f, 'br-front', { mtu: 1450 }),
    want: [ch('repair', 'network', 'front', 'bridge br-front mtu 1450 → 1500')],
  },
  {
    name: 'repair: drift and an update of one network come as one change',
    edit: (f) => {
      hostLink(f, 'br-front', { up: false });
      f.yaml = f.yaml.replace('bridge: br-front', 'bridge: br-front, masquerade: false');
    },
    want: [ch('repair', 'network', 'front', 'bridge br-front down → up', 'masquerade true → false')],
  },
  {
    name: 'repair: a veth on another bridge',
    edit: (f) => hostLink(f, web(f).hostVeth!, { master: 'br-other' }),
    want: (f) => [ch('repair', 'attachment', 'web/front', `veth ${web(f).hostVeth} master br-other → br-front`)],
  },
  {
    name: 'repair: a changed container address',
    edit: (f) => setWebView(f, { addresses: [{ dev: 'eth0', cidr: '10.90.0.99/24' }] }),
    want: [
      ch(
        'repair',
        'attachment',
        'web/front',
        'interface eth0 in web address 10.90.0.10/24 missing',
        'interface eth0 in web address 10.90.0.99/24 not declared',
      ),
    ],
  },
  {
    name: 'repair: a deleted namespace, container and attachment',
    edit: (f) => {
      f.views.set('web', null);
      f.netnsNames.delete('web');
    },
    want: [ch('repair', 'container', 'web', 'namespace web missing'), ch('repair', 'attachment', 'web/front', 'namespace web missing')],
  },
  {
    name: 'repair: a deleted default route',
    edit: (f) => setWebView(f, { routes: [] }),
    want: [ch('repair', 'attachment', 'web/front', 'default route via 10.90.0.1 dev eth0 in web missing')],
  },
  {
    name: 'repair: loopback down',
    edit: (f) => setWebView(f, { links: webView(f).links.map((l) => (l.name === 'lo' ? { ...l, up: false } : l)) }),
    want: [ch('repair', 'container', 'web', 'loopback in web down → up')],
  },
  {
    name: 'repair: an edited hosts file and a missing resolv.conf',
    edit: (f) => {
      f.files.set('/etc/netns/web/hosts', '10.90.0.200\tintruder\n');
      f.files.set('/etc/netns/web/resolv.conf', null);
    },
    want: [ch('repair', 'container', 'web', '/etc/netns/web/hosts differs', '/etc/netns/web/resolv.conf missing')],
  },
  {
    name: 'repair: a hosts file edited in place to the same size',
    edit: (f) => {
      const hosts = renderSandboxFiles(f.sandboxes, f.endpoints, NO_HOST_RESOLV).get('/etc/netns/web/hosts')!;
      assert.match(hosts, /10\.90\.0\.2\tapi/);
      f.files.set('/etc/netns/web/hosts', hosts.replace('10.90.0.2\tapi', '10.90.0.9\tapi'));
    },
    want: [ch('repair', 'container', 'web', '/etc/netns/web/hosts differs')],
  },
  {
    name: 'repair: firewall drift comes last',
    edit: (f) => void f.firewall.push('table inet netd missing'),
    want: [ch('repair', 'firewall', 'nftables', 'table inet netd missing')],
  },
  // ---- records a crash left behind ----
  {
    name: 'creating: every record left mid-create is repaired',
    edit: (f) => {
      f.networks[0] = { ...f.networks[0]!, state: 'creating' };
      f.sandboxes[0] = { ...f.sandboxes[0]!, state: 'creating' };
      f.endpoints[0] = { ...web(f), state: 'creating' };
    },
    want: [
      ch('repair', 'container', 'web', 'create was interrupted'),
      ch('repair', 'network', 'front', 'create was interrupted'),
      ch('repair', 'attachment', 'web/front', 'create was interrupted'),
    ],
  },
  {
    name: 'creating: the interruption comes before the drift it left',
    edit: (f) => {
      f.endpoints[0] = { ...web(f), state: 'creating' };
      setWebView(f, { routes: [] });
    },
    want: [ch('repair', 'attachment', 'web/front', 'create was interrupted', 'default route via 10.90.0.1 dev eth0 in web missing')],
  },
  {
    name: 'deleting: a declared network is replaced, and its attachments with it',
    edit: (f) => void (f.networks[0] = { ...f.networks[0]!, state: 'deleting' }),
    want: [ch('replace', 'network', 'front', 'delete was interrupted'), ...recreated('network front is recreated')],
  },
  {
    name: 'deleting: a declared container and attachment are replaced',
    edit: (f) => {
      f.sandboxes[0] = { ...f.sandboxes[0]!, state: 'deleting' };
      f.endpoints[0] = { ...web(f), state: 'deleting' };
    },
    want: [
      ch('replace', 'container', 'web', 'delete was interrupted'),
      ch('replace', 'attachment', 'web/front', 'container web is recreated', 'delete was interrupted'),
    ],
  },
  {
    name: 'deleting: an undeclared record is deleted',
    edit: (f) => {
      f.yaml = f.yaml.replace('  - { container: api, network: front }\n', '');
      f.endpoints[1] = { ...f.endpoints[1]!, state: 'deleting' };
    },
    want: [gone('attachment', 'api/front', 'e', 'not declared')],
  },
  // ---- foreign: a recorded name, another object (plan/foreign.ts) ----
  {
    name: "foreign: a bridge without netd's mark is reported, not repaired",
    edit: (f) => hostLink(f, 'br-front', { alias: 'admin', mtu: 9000 }),
    want: [ch('repair', 'network', 'front', `bridge "br-front" exists and is not netd's (no netd:network mark)`)],
  },
  {
    name: 'foreign: a replaced namespace is reported with the update of its container',
    edit: (f) => {
      f.yaml = f.yaml.replace('  web: {}', '  web: { hostname: w1 }');
      f.sandboxes[0] = { ...f.sandboxes[0]!, nsId: '4:1' };
      f.nsIds.set('web', '4:2');
    },
    want: [ch('repair', 'container', 'web', 'namespace "web" was replaced by one netd did not create', 'hostname web → w1')],
  },
  {
    name: 'foreign: the delete of an undeclared record says the object stays',
    edit: (f) => {
      f.yaml = f.yaml.replace('  api: {}\n', '').replace('  - { container: api, network: front }\n', '');
      f.sandboxes[1] = { ...f.sandboxes[1]!, nsId: '4:1' };
      f.nsIds.set('api', '4:2');
    },
    want: [
      gone('attachment', 'api/front', 'e', 'not declared'),
      {
        ...gone('container', 'api', 'c', 'not declared'),
        reasons: ['not declared', 'namespace "api" was replaced by one netd did not create: only the record is deleted'],
      },
    ],
  },
  // ---- two records of one name: what an interrupted replace leaves ----
  {
    name: 'interrupted replace: the old attachment record is deleted by id, the live one compared',
    edit: (f) => void f.endpoints.unshift({ ...endpoint('web', '9', '10.90.0.10'), state: 'deleting' }),
    want: [gone('attachment', 'web/front', '9', 'delete was interrupted')],
  },
  {
    name: 'interrupted replace: the old container record is deleted by id, the live one compared',
    edit: (f) => void f.sandboxes.unshift({ ...sandbox('web', '8'), state: 'deleting' }),
    want: [gone('container', 'web', '8', 'delete was interrupted')],
  },
  {
    name: 'interrupted replace: the old network record is deleted by id, the live one compared',
    edit: (f) => void f.networks.push({ ...f.networks[0]!, id: id('7'), state: 'deleting' }),
    want: [gone('network', 'front', '7', 'delete was interrupted')],
  },
  {
    name: 'interrupted replace: a new record still creating is repaired, the old one deleted',
    edit: (f) => {
      f.endpoints.push({ ...web(f), state: 'deleting' });
      f.endpoints[0] = { ...endpoint('web', '9', '10.90.0.10'), state: 'creating' };
    },
    want: [
      gone('attachment', 'web/front', 'd', 'delete was interrupted'),
      ch(
        'repair',
        'attachment',
        'web/front',
        'create was interrupted',
        `veth nd${id('9').slice(0, 12)} missing`,
        'default route via 10.90.0.1 dev eth0 in web missing',
      ),
    ],
  },
  {
    name: 'undeclared: every record of the name is deleted, each by id',
    edit: (f) => {
      f.yaml = f.yaml.replace('  - { container: api, network: front }\n', '');
      f.endpoints.push({ ...endpoint('api', '9', '10.90.0.3'), state: 'deleting' });
    },
    want: [gone('attachment', 'api/front', 'e', 'not declared'), gone('attachment', 'api/front', '9', 'not declared')],
  },
];

for (const tc of cases) {
  for (const digests of [false, true]) {
    test(`diff${digests ? ', files by digest' : ''}: ${tc.name}`, async () => {
      const f = base();
      tc.edit(f);
      assert.deepEqual(reasons(await run(f, digests)), typeof tc.want === 'function' ? tc.want(f) : tc.want);
    });
  }
}

// ---- the ops of a change: what apply runs, derived by the same comparison as the reasons ----

const opCases: { name: string; edit: (f: Fixture) => void; want: (f: Fixture) => { change: string; ops: KernelOp[] }[] }[] = [
  {
    name: 'a bridge set down is brought up, nothing else',
    edit: (f) => hostLink(f, 'br-front', { up: false }),
    want: () => [{ change: 'repair network front', ops: [{ op: 'link-set', name: 'br-front', up: true }] }],
  },
  {
    name: 'a missing veth is built whole: pair, master, up, then its inside',
    edit: (f) => {
      f.host.links = f.host.links.filter((l) => l.name !== web(f).hostVeth);
      setWebView(f, { links: webView(f).links.filter((l) => l.name !== 'eth0'), addresses: [], routes: [] });
    },
    want: (f) => {
      const ep = web(f);
      const alias = `netd:endpoint:${ep.id}`;
      return [
        {
          change: 'repair attachment web/front',
          ops: [
            { op: 'link-add', kind: 'veth', name: ep.hostVeth!, mtu: 1500, alias, peer: { name: 'eth0', ns: 'web', mtu: 1500, mac: ep.mac! } },
            { op: 'link-set', name: ep.hostVeth!, up: true, master: 'br-front' },
            { op: 'link-set', name: 'eth0', ns: 'web', up: true, alias },
            { op: 'addr-add', dev: 'eth0', cidr: '10.90.0.10/24', ns: 'web' },
            { op: 'route-replace', ns: 'web', dst: 'default', family: 4, via: '10.90.0.1', dev: 'eth0', proto: 78 },
          ],
        },
      ];
    },
  },
  {
    name: 'an undeclared container: its veth, then its namespace',
    edit: (f) => {
      f.yaml = f.yaml.replace('  - { container: api, network: front }\n', '').replace('  api: {}\n', '');
    },
    want: (f) => [
      { change: 'delete attachment api/front', ops: [{ op: 'link-del', name: f.endpoints[1]!.hostVeth! }] },
      { change: 'delete container api', ops: [{ op: 'netns-del', name: 'api' }] },
    ],
  },
  {
    name: "a bridge that is not netd's is reported and gets no ops",
    edit: (f) => void (f.host.links = f.host.links.map((l) => (l.name === 'br-front' ? (({ alias: _alias, ...rest }) => rest)(l) : l))),
    want: () => [{ change: 'repair network front', ops: [] }],
  },
];

for (const tc of opCases) {
  test(`diff ops: ${tc.name}`, async () => {
    const f = base();
    tc.edit(f);
    const got = (await run(f)).filter((c) => c.ops !== undefined).map((c) => ({ change: `${c.action} ${c.kind} ${c.name}`, ops: c.ops }));
    assert.deepEqual(got, tc.want(f));
  });
}
