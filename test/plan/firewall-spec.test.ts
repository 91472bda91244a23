/** The firewall input and host sysctls derived from records: which addresses a port is published on, route_localnet per bridge. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firewallSpec, sysctlKeys } from '../../src/state/derive.js';
import type { EndpointRecord, NetworkRecord } from '../../src/state/records.js';
import type { PortMapping } from '../../src/desired/types.js';
import { fam, network } from '../ipam/fixtures.js';

const dual: NetworkRecord = { ...network('dual', fam('10.7.0.0/24', '10.7.0.1'), fam('fd00:7::/64', 'fd00:7::1')), bridge: 'br-dual' };
const v4only: NetworkRecord = { ...network('v4', fam('10.8.0.0/24', '10.8.0.1')), bridge: 'br.v4' };

const endpoint = (net: NetworkRecord, ports: PortMapping[]): EndpointRecord => ({
  id: `${net.name}-ep`,
  networkId: net.id,
  network: net.name,
  container: 'c',
  sandboxId: 's',
  interface: 'eth0',
  hostVeth: 'nd0',
  ipv4: net.ipv4!.subnet.replace('0/24', '10'),
  ...(net.ipv6 ? { ipv6: net.ipv6.subnet.replace('/64', '10') } : {}),
  aliases: [],
  gatewayPriority: 0,
  ports,
  state: 'ready',
});

const tcp = (hostIp?: string): PortMapping => ({ hostPort: 8080, containerPort: 80, protocol: 'tcp', ...(hostIp ? { hostIp } : {}) });

const cases: { name: string; net: NetworkRecord; port: PortMapping; want: [string | undefined, string][] }[] = [
  {
    name: 'no hostIp on a dual-stack network: both families',
    net: dual,
    port: tcp(),
    want: [
      [undefined, '10.7.0.10'],
      [undefined, 'fd00:7::10'],
    ],
  },
  { name: 'no hostIp on an IPv4 network: IPv4 only', net: v4only, port: tcp(), want: [[undefined, '10.8.0.10']] },
  { name: '0.0.0.0: IPv4 only', net: dual, port: tcp('0.0.0.0'), want: [['0.0.0.0', '10.7.0.10']] },
  { name: '::: IPv6 only', net: dual, port: tcp('::'), want: [['::', 'fd00:7::10']] },
  { name: '127.0.0.1: the IPv4 address', net: dual, port: tcp('127.0.0.1'), want: [['127.0.0.1', '10.7.0.10']] },
];

for (const tc of cases)
  test(`firewall input: ${tc.name}`, () => {
    const spec = firewallSpec([tc.net], [endpoint(tc.net, [tc.port])]);
    assert.deepEqual(
      spec.ports.map((p) => [p.hostIp, p.containerAddress]),
      tc.want,
    );
  });

test('firewall input: gatewayMode routed marks the network', () => {
  const spec = firewallSpec([{ ...dual, gatewayMode: 'routed' }, v4only], []);
  assert.deepEqual(
    spec.networks.map((n) => [n.name, n.routed ?? false]),
    [
      ['dual', true],
      ['v4', false],
    ],
  );
});

test('sysctls: forwarding, and route_localnet on every routed IPv4 bridge (a dot in a name written /)', () => {
  const internal: NetworkRecord = { ...network('i', fam('10.9.0.0/24', '10.9.0.1')), bridge: 'br-i', internal: true };
  assert.deepEqual(sysctlKeys([dual, v4only, internal]), [
    'net.ipv4.ip_forward',
    'net.ipv6.conf.all.forwarding',
    'net.ipv4.conf.br-dual.route_localnet',
    'net.ipv4.conf.br/v4.route_localnet',
  ]);
  assert.deepEqual(sysctlKeys([internal]), []);
});
