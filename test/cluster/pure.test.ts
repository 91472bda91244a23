/** The pure parts of the cluster layer: key names, the range's subnets, config comparison, the external interface. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overlayKeys, subnetKeyName, subnetOfKeyName } from '../../src/cluster/keys.js';
import { firstFreeSubnets, isRangeSubnet, pickOne, subnetCount } from '../../src/cluster/subnets.js';
import { configDifferences, type OverlayConfig } from '../../src/cluster/config.js';
import { externalInterface } from '../../src/cluster/uplink.js';
import type { NamespaceView } from '../../src/state/view.js';
import { isNetdError } from '../../src/errors.js';

test('keys: layout under the cluster prefix', () => {
  for (const prefix of ['/netd', '/netd/']) {
    const k = overlayKeys(prefix, 'pods');
    assert.equal(k.config, '/netd/v1/overlay/pods/config');
    assert.equal(k.leases, '/netd/v1/overlay/pods/leases/');
    assert.equal(k.lease('10.89.7.0/24'), '/netd/v1/overlay/pods/leases/10.89.7.0-24');
  }
});

const keyNames: { name: string; cidr: string; key: string }[] = [
  { name: 'a /24', cidr: '10.89.7.0/24', key: '10.89.7.0-24' },
  { name: 'a /26', cidr: '10.89.7.64/26', key: '10.89.7.64-26' },
  { name: 'a /8', cidr: '10.0.0.0/8', key: '10.0.0.0-8' },
];
for (const tc of keyNames) {
  test(`keys: ${tc.name} renders to its key name and back`, () => {
    assert.equal(subnetKeyName(tc.cidr), tc.key);
    assert.equal(subnetOfKeyName(tc.key), tc.cidr);
    assert.equal(subnetOfKeyName(`/netd/v1/overlay/pods/leases/${tc.key}`), tc.cidr);
  });
}

for (const bad of ['10.89.7.1-24', '10.89.7.0-33', '10.89.7-24', 'fd00::-64', '10.89.7.0', '010.89.7.0-24', '10.89.7.0-024', 'x']) {
  test(`keys: "${bad}" is not a subnet key name`, () => assert.equal(subnetOfKeyName(bad), undefined));
}

test('keys: a host address or an IPv6 subnet has no key name', () => {
  assert.throws(
    () => subnetKeyName('10.89.7.1/24'),
    (e) => isNetdError(e, 'internal'),
  );
  assert.throws(
    () => subnetKeyName('fd00::/64'),
    (e) => isNetdError(e, 'internal'),
  );
});

test('subnets: every subnet of the range but the first', () => {
  assert.equal(subnetCount('10.89.0.0/16', 24), 255);
  assert.equal(subnetCount('10.89.0.0/22', 24), 3);
  assert.deepEqual(firstFreeSubnets('10.89.0.0/22', 24, new Set()), ['10.89.1.0/24', '10.89.2.0/24', '10.89.3.0/24']);
  assert.deepEqual(firstFreeSubnets('10.89.0.0/22', 24, new Set(['10.89.2.0/24'])), ['10.89.1.0/24', '10.89.3.0/24']);
  assert.deepEqual(firstFreeSubnets('10.89.0.0/16', 24, new Set(), 2), ['10.89.1.0/24', '10.89.2.0/24']);
  assert.equal(firstFreeSubnets('10.0.0.0/8', 24, new Set()).length, 100, 'a window, not the whole range');
  assert.deepEqual(firstFreeSubnets('10.89.0.0/22', 24, new Set(['10.89.1.0/24', '10.89.2.0/24', '10.89.3.0/24'])), []);
});

const inRange: { name: string; subnet: string; want: boolean }[] = [
  { name: 'a middle subnet', subnet: '10.89.7.0/24', want: true },
  { name: 'the last subnet', subnet: '10.89.255.0/24', want: true },
  { name: 'the first subnet (skipped, as flannel does)', subnet: '10.89.0.0/24', want: false },
  { name: 'another length', subnet: '10.89.7.0/25', want: false },
  { name: 'outside the range', subnet: '10.90.7.0/24', want: false },
  { name: 'host bits set', subnet: '10.89.7.1/24', want: false },
  { name: 'not a CIDR', subnet: 'pods', want: false },
];
for (const tc of inRange) test(`subnets: ${tc.name} → ${tc.want}`, () => assert.equal(isRangeSubnet('10.89.0.0/16', 24, tc.subnet), tc.want));

test('subnets: pickOne spreads over the items with the random source given', () => {
  assert.equal(
    pickOne(['a', 'b', 'c'], () => 0),
    'a',
  );
  assert.equal(
    pickOne(['a', 'b', 'c'], () => 0.5),
    'b',
  );
  assert.equal(
    pickOne(['a', 'b', 'c'], () => 0.9999),
    'c',
  );
  assert.equal(
    pickOne([], () => 0.5),
    undefined,
  );
});

const CFG: OverlayConfig = { network: '10.89.0.0/16', subnetLen: 24, backend: 'vxlan', vni: 1, port: 8472 };
const diffs: { name: string; stored: unknown; want: string[] }[] = [
  { name: 'the same', stored: { ...CFG }, want: [] },
  { name: 'the same range written another way', stored: { ...CFG, network: '10.89.0.1/16' }, want: [] },
  { name: 'another range', stored: { ...CFG, network: '10.90.0.0/16' }, want: ['network'] },
  { name: 'another subnetLen', stored: { ...CFG, subnetLen: 26 }, want: ['subnetLen'] },
  { name: 'another backend', stored: { ...CFG, backend: 'host-gw' }, want: ['backend'] },
  { name: 'another vni', stored: { ...CFG, vni: 2 }, want: ['vni'] },
  { name: 'another port', stored: { ...CFG, port: 4789 }, want: ['port'] },
  { name: 'several fields', stored: { ...CFG, vni: 2, port: 4789 }, want: ['vni', 'port'] },
  { name: 'a value that is not an object', stored: 'garbage', want: ['network', 'subnetLen', 'backend', 'vni', 'port'] },
];
for (const tc of diffs) {
  test(`config: ${tc.name}`, () =>
    assert.deepEqual(
      configDifferences(tc.stored, CFG).map((d) => d.field),
      tc.want,
    ));
}

const link = (name: string, mtu = 1500): NamespaceView['links'][number] => ({ name, mtu, up: true, kind: 'device' });
const HOST: NamespaceView = {
  links: [link('lo', 65536), link('eth0'), link('eth1', 9000)],
  addresses: [
    { dev: 'lo', cidr: '127.0.0.1/8', scope: 'host' },
    { dev: 'eth0', cidr: 'fe80::1/64', scope: 'link' },
    { dev: 'eth0', cidr: '192.0.2.10/24', scope: 'global' },
    { dev: 'eth0', cidr: '192.0.2.11/24', scope: 'global' },
    { dev: 'eth1', cidr: '198.51.100.5/24', scope: 'global' },
  ],
  routes: [
    { dst: 'default', via: '198.51.100.1', dev: 'eth1', family: 4, metric: 200 },
    { dst: 'default', via: '192.0.2.1', dev: 'eth0', family: 4, metric: 100 },
  ],
};
const uplinks: { name: string; view?: NamespaceView; cluster: { publicInterface?: string; publicIp?: string }; want: object | RegExp }[] = [
  {
    name: 'the default route with the lowest metric',
    cluster: {},
    want: { name: 'eth0', mtu: 1500, localIp: '192.0.2.10', publicIp: '192.0.2.10', onLink: [] },
  },
  { name: 'by name', cluster: { publicInterface: 'eth1' }, want: { name: 'eth1', mtu: 9000, localIp: '198.51.100.5', publicIp: '198.51.100.5', onLink: [] } },
  {
    name: 'by address',
    cluster: { publicInterface: '192.0.2.11' },
    want: { name: 'eth0', mtu: 1500, localIp: '192.0.2.11', publicIp: '192.0.2.11', onLink: [] },
  },
  {
    name: 'publicIp behind NAT: local stays the interface address',
    cluster: { publicIp: '203.0.113.7' },
    want: { name: 'eth0', mtu: 1500, localIp: '192.0.2.10', publicIp: '203.0.113.7', onLink: [] },
  },
  {
    name: 'publicIp that the interface carries is local too',
    cluster: { publicIp: '192.0.2.11' },
    want: { name: 'eth0', mtu: 1500, localIp: '192.0.2.11', publicIp: '192.0.2.11', onLink: [] },
  },
  {
    name: 'the segment: routes of the interface without a gateway, a default through none is all of it',
    view: {
      ...HOST,
      routes: [
        ...HOST.routes,
        { dst: '192.0.2.0/24', dev: 'eth0', family: 4, proto: 'kernel' },
        { dst: '10.9.0.0/16', dev: 'eth0', family: 4 },
        { dst: '10.8.0.0/16', via: '192.0.2.1', dev: 'eth0', family: 4 },
        { dst: '198.51.100.0/24', dev: 'eth1', family: 4, proto: 'kernel' },
        { dst: 'default', dev: 'eth1', family: 4, metric: 300 },
      ],
    },
    cluster: { publicInterface: 'eth1' },
    want: { name: 'eth1', mtu: 9000, localIp: '198.51.100.5', publicIp: '198.51.100.5', onLink: ['198.51.100.0/24', '0.0.0.0/0'] },
  },
  { name: 'an unknown name', cluster: { publicInterface: 'eth9' }, want: /publicInterface "eth9": no such interface/ },
  { name: 'an address no interface has', cluster: { publicInterface: '192.0.2.99' }, want: /192\.0\.2\.99: no interface on this host has this address/ },
  { name: 'no default route', view: { ...HOST, routes: [] }, cluster: {}, want: /no IPv4 default route .* cluster\.publicInterface/ },
  { name: 'an interface without IPv4', cluster: { publicInterface: 'lo' }, want: /interface "lo" has no IPv4 address/ },
];
for (const tc of uplinks) {
  test(`uplink: ${tc.name}`, () => {
    const run = (): unknown => externalInterface(tc.view ?? HOST, tc.cluster);
    if (tc.want instanceof RegExp) assert.throws(run, (e) => isNetdError(e, 'not-found') && (tc.want as RegExp).test(e.message));
    else assert.deepEqual(run(), tc.want);
  });
}
