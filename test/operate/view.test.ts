/**
 * get, inspect and graph over the records of a real apply (inside the throwaway host): the
 * three output formats, docker-style inspect, and DOT/SVG with every node and edge.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { TestHost } from '../helpers/netd.js';
import { TWO_NETS } from './fixture.js';
import { toSvg } from '../../src/cli/commands/graph.js';
import { listCell } from '../../src/cli/views.js';
import { ExecRunner, type Runner } from '../../src/kernel/index.js';

let host: TestHost;
before(async () => {
  host = new TestHost();
  if (skip) return;
  const r = await host.apply(TWO_NETS);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  if (!skip) await host.teardown();
});

const MAC = /^02:42:0a:59:00:[0-9a-f]{2}$/;
const tables: { name: string; args: string[]; rows: (string | RegExp)[][] }[] = [
  {
    name: 'networks',
    args: ['get', 'networks'],
    rows: [
      ['NAME', 'DRIVER', 'SUBNET', 'GATEWAY', 'BRIDGE', 'CONTAINERS', 'STATE'],
      ['back', 'bridge', '10.89.0.0/24,fd00:89::/64', '10.89.0.1,fd00:89::1', 'br-back', 'api', 'ready'],
      ['front', 'bridge', '10.88.0.0/24', '10.88.0.1', /^nd-[0-9a-f]{12}$/, 'api,web', 'ready'],
    ],
  },
  {
    name: 'containers',
    args: ['get', 'containers'],
    rows: [
      ['NAME', 'NETNS', 'HOSTNAME', 'NETWORKS', 'STATE'],
      ['api', 'api', 'api', 'back,front', 'ready'],
      ['web', 'web', 'www', 'front', 'ready'],
    ],
  },
  {
    name: 'attachments',
    args: ['get', 'attachments'],
    rows: [
      ['CONTAINER', 'NETWORK', 'INTERFACE', 'IPV4', 'IPV6', 'MAC', 'PORTS', 'STATE'],
      ['api', 'back', 'eth1', /^10\.89\.0\.\d+$/, /^fd00:89::[0-9a-f]+$/, MAC, '-'],
      ['api', 'front', 'eth0', '10.88.0.11', '-', '02:42:0a:58:00:0b', '-'],
      ['web', 'front', 'eth0', '10.88.0.10', '-', '02:42:0a:58:00:0a', '18080->80/tcp'],
    ],
  },
  { name: 'attachments of one container', args: ['get', 'attachments', 'web'], rows: [['CONTAINER'], ['web', 'front', 'eth0', '10.88.0.10']] },
  {
    name: 'networks -o wide: labels and ids',
    args: ['get', 'networks', '-o', 'wide'],
    rows: [
      ['NAME', 'DRIVER', 'SUBNET', 'GATEWAY', 'BRIDGE', 'CONTAINERS', 'STATE', 'LABELS', 'ID'],
      ['back', 'bridge', '10.89.0.0/24,fd00:89::/64', '10.89.0.1,fd00:89::1', 'br-back', 'api', 'ready', '-', /^[0-9a-f]{64}$/],
      ['front', 'bridge', '10.88.0.0/24', '10.88.0.1', /^nd-[0-9a-f]{12}$/, 'api,web', 'ready', 'tier=front', /^[0-9a-f]{64}$/],
    ],
  },
  { name: 'networks -l tier=front', args: ['get', 'networks', '-l', 'tier=front'], rows: [['NAME'], ['front']] },
];

test('get: a selector that matches nothing says so; list cells show the first three and a count', { skip }, async () => {
  const none = await host.cli(['get', 'networks', '-l', 'tier=back']);
  assert.deepEqual([none.code, none.stdout], [0, 'no networks with tier=back\n']);
  const containers = await host.cli(['get', 'containers', '-l', 'a=b']);
  assert.deepEqual([containers.code, containers.stdout], [0, 'no containers with a=b\n']);
  const bad = await host.cli(['get', 'attachments', '-l', 'a=b']);
  assert.equal(bad.code, 64, bad.stderr);
  assert.equal(listCell(['c1', 'c2', 'c3']), 'c1,c2,c3');
  assert.equal(listCell(Array.from({ length: 300 }, (_, i) => `c${i}`)), 'c0,c1,c2,… (+297)');
});

/** Cells cut at the header's column starts: equal cells prove the columns are aligned. */
function cells(header: string, line: string): string[] {
  const starts = [...header.matchAll(/\S+/g)].map((m) => m.index);
  return starts.map((s, i) => line.slice(s, starts[i + 1]).trimEnd());
}

for (const tc of tables) {
  test(`get ${tc.name}: aligned table`, { skip }, async () => {
    const r = await host.cli(tc.args);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, tc.rows.length, r.stdout);
    tc.rows.forEach((want, i) => {
      const got = cells(lines[0]!, lines[i]!);
      assert.ok(!/\s$/.test(lines[i]!), 'no trailing spaces');
      want.forEach((w, j) => (typeof w === 'string' ? assert.equal(got[j], w, lines[i]) : assert.match(got[j]!, w)));
    });
  });
}

test('get networks -o json and -o yaml carry the same objects', { skip }, async () => {
  const j = await host.cli(['get', 'networks', '-o', 'json']);
  const y = await host.cli(['get', 'networks', '-o', 'yaml']);
  assert.equal(j.code, 0, j.stderr);
  const objects = JSON.parse(j.stdout) as { name: string; containers: string[]; ipv6Subnet?: string }[];
  assert.deepEqual(parse(y.stdout), objects);
  assert.deepEqual(
    objects.map((o) => [o.name, o.containers]),
    [
      ['back', ['api']],
      ['front', ['api', 'web']],
    ],
  );
  assert.equal(objects[0]!.ipv6Subnet, 'fd00:89::/64');
  const one = JSON.parse((await host.cli(['get', 'container', 'web', '-o', 'json'])).stdout) as { hostname: string };
  assert.equal(one.hostname, 'www');
});

const misses: { name: string; args: string[]; code: number; stderr: RegExp }[] = [
  { name: 'unknown network', args: ['get', 'networks', 'x'], code: 1, stderr: /network "x" not found/ },
  { name: 'unknown container', args: ['inspect', 'container', 'nope'], code: 1, stderr: /container "nope" not found/ },
  { name: 'unknown kind', args: ['get', 'pods'], code: 64, stderr: /unknown kind "pods" \(known: networks, containers, attachments, leases\)/ },
  { name: 'inspect without a name', args: ['inspect', 'network'], code: 64, stderr: /NAME is required/ },
  { name: 'get -o dot', args: ['get', 'networks', '-o', 'dot'], code: 64, stderr: /-o must be one of table, wide, json, yaml/ },
  { name: 'graph -o json', args: ['graph', '-o', 'json'], code: 64, stderr: /-o must be one of dot, svg/ },
];

test('inspect without a kind finds each name; a missing one is named, the others still printed (exit 1)', { skip }, async () => {
  const r = await host.cli(['inspect', 'front', 'web', 'nope']);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(
    (JSON.parse(r.stdout) as { Name: string }[]).map((o) => o.Name),
    ['front', 'web'],
  );
  assert.match(r.stderr, /netd inspect: network or container "nope" not found/);
});

for (const tc of misses) {
  test(`get/inspect: ${tc.name}`, { skip }, async () => {
    const r = await host.cli(tc.args);
    assert.equal(r.code, tc.code, r.stderr);
    assert.match(r.stderr, tc.stderr);
  });
}

/** The parts of `netd inspect` output these tests read. */
interface InspectedNetwork {
  Name: string;
  Id: string;
  Scope: string;
  IPAM: { Config: unknown[] };
  Options: Record<string, string>;
  Containers: Record<string, { EndpointID: string; Name: string; IPv4Address: string; IPv6Address: string; MacAddress: string }>;
}
interface InspectedContainer {
  SandboxKey: string;
  Hostname: string;
  Dns: unknown;
  Networks: Record<string, { Aliases: string[] } & Record<string, unknown>>;
}

test('inspect network: docker-style IPAM, options and containers by endpoint id', { skip }, async () => {
  const r = await host.cli(['inspect', 'network', 'back']);
  assert.equal(r.code, 0, r.stderr);
  const [n] = JSON.parse(r.stdout) as InspectedNetwork[];
  assert.equal(n!.Name, 'back');
  assert.match(n!.Id, /^[0-9a-f]{64}$/);
  assert.equal(n!.Scope, 'local');
  assert.deepEqual(n!.IPAM.Config, [
    { Subnet: '10.89.0.0/24', Gateway: '10.89.0.1' },
    { Subnet: 'fd00:89::/64', Gateway: 'fd00:89::1' },
  ]);
  assert.deepEqual(n!.Options, { bridge: 'br-back', mtu: '1400', masquerade: 'true', icc: 'true' });
  const eps = Object.entries(n!.Containers);
  assert.equal(eps.length, 1);
  const [id, ep] = eps[0]!;
  assert.equal(ep.EndpointID, id);
  assert.equal(ep.Name, 'api');
  assert.match(ep.IPv4Address, /^10\.89\.0\.\d+\/24$/);
  assert.match(ep.IPv6Address, /^fd00:89::[0-9a-f]+\/64$/);
  assert.match(ep.MacAddress, /^02:42:0a:59:00:[0-9a-f]{2}$/);
});

test('inspect container: sandbox key, dns and per-network settings', { skip }, async () => {
  const r = await host.cli(['inspect', 'container', 'web', 'api']);
  assert.equal(r.code, 0, r.stderr);
  const [web, api] = JSON.parse(r.stdout) as InspectedContainer[];
  assert.equal(web!.SandboxKey, '/run/netns/web');
  assert.equal(web!.Hostname, 'www');
  assert.deepEqual(web!.Dns, { Nameservers: ['10.88.0.1'], Search: ['corp.example'], Options: [] });
  assert.deepEqual(
    { ...web!.Networks.front, NetworkID: undefined, EndpointID: undefined },
    {
      NetworkID: undefined,
      EndpointID: undefined,
      Interface: 'eth0',
      IPAddress: '10.88.0.10',
      IPPrefixLen: 24,
      Gateway: '10.88.0.1',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPv6Gateway: '',
      MacAddress: '02:42:0a:58:00:0a',
      Aliases: [],
      GatewayPriority: 0,
      Ports: ['18080->80/tcp'],
    },
  );
  assert.deepEqual(Object.keys(api!.Networks), ['back', 'front']);
  assert.deepEqual(api!.Networks.back?.Aliases, ['api-internal']);
});

test('graph: DOT with every network as a cluster, its own containers inside, the multi-homed outside with an edge per attachment', { skip }, async () => {
  const r = await host.cli(['graph']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^graph netd \{/);
  for (const node of ['network:front', 'network:back', 'container:web', 'container:api']) assert.ok(r.stdout.includes(`"${node}" [`), node);
  // web is on front alone: inside front's cluster, its address and published port on the node.
  assert.match(
    r.stdout,
    /subgraph cluster_1 \{\n {4}label="front";[^}]*"container:web" \[shape=ellipse, style=filled, fillcolor="#fff2b3", label="web\\nnetns web\\neth0 10\.88\.0\.10\\nports 18080->80\/tcp"\];/,
  );
  // api is on both: outside, one labelled edge per network.
  assert.match(r.stdout, /"container:api" -- "network:front" \[label="eth0 10\.88\.0\.11"\];/);
  assert.match(r.stdout, /"container:api" -- "network:back" \[label="eth\d 10\.89\.0\.\d+ fd00:89::[0-9a-f]+"\];/);
  assert.match(r.stdout, /subgraph cluster_legend/);
});

test('graph -o svg goes through Graphviz', { skip }, async () => {
  const r = await host.cli(['graph', '-o', 'svg']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^(<\?xml|<svg)/);
  assert.match(r.stdout, /<\/svg>\n$/);
  assert.match(r.stdout, /10\.88\.0\.10/);
});

test('graph -o svg without Graphviz says what to install', async () => {
  const missing: Runner = { run: (argv, opts) => new ExecRunner().run(['netd-test-no-such-dot', ...argv.slice(1)], opts) };
  await assert.rejects(toSvg('graph {}', missing), { code: 'not-found', message: /needs Graphviz: "dot" is not on PATH/ });
});
