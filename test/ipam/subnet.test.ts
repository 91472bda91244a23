/** Subnet choice, family records and host info parsing. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNetdError } from '../../src/errors.js';
import { parseRoutes, readHostInfo, staticHostInfo } from '../../src/ipam/host-facts.js';
import { familyRecord } from '../../src/ipam/layout.js';
import { DEFAULT_POOLS } from '../../src/desired/defaults.js';
import type { AddressPool, DesiredState } from '../../src/desired/types.js';
import type { NetworkRecord } from '../../src/state/records.js';
import { desired, fam, network, setup } from './fixtures.js';

interface Case {
  name: string;
  desired?: DesiredState;
  recorded?: NetworkRecord[];
  routes?: string[];
  nameservers?: string[];
  want: string | RegExp;
}
const pool = (base: string, size = 24): AddressPool[] => [{ base, size }];
const cases: Case[] = [
  { name: 'nothing in use: the lowest subnet of the default pool', want: '10.210.0.0/24' },
  { name: 'skips a declared subnet', desired: desired({ subnets: { other: '10.210.0.128/25' } }), want: '10.210.1.0/24' },
  { name: 'skips a recorded subnet', recorded: [network('old', fam('10.210.0.0/23', '10.210.0.1'))], want: '10.210.2.0/24' },
  { name: 'skips a host route', routes: ['10.210.0.0/20'], want: '10.210.16.0/24' },
  { name: 'skips a host address (a /32 route)', routes: ['10.210.0.9/32'], want: '10.210.1.0/24' },
  { name: 'skips a nameserver', nameservers: ['10.210.0.53'], want: '10.210.1.0/24' },
  { name: 'moves to the next pool when one is covered', routes: ['10.0.0.0/8'], want: '172.30.0.0/24' },
  { name: 'declared pools replace the default', desired: desired({ pools: pool('192.168.0.0/22') }), routes: ['192.168.0.0/23'], want: '192.168.2.0/24' },
  { name: 'a network keeps the subnet recorded for it', recorded: [network('net', fam('10.210.7.0/24', '10.210.7.1'))], want: '10.210.7.0/24' },
  {
    name: 'exhaustion names the pool',
    desired: desired({ pools: pool('10.210.0.0/16') }),
    routes: ['10.210.0.0/16'],
    want: /^network "net": no free \/24 left in pool 10\.210\.0\.0\/16 \(256 in use\)$/,
  },
  {
    name: 'exhaustion of every default pool names each',
    routes: ['10.0.0.0/8', '172.16.0.0/12'],
    want: /10\.210\.0\.0\/16 \(256 in use\); no free \/24 left in pool 172\.30\.0\.0\/16 \(256 in use\)/,
  },
  { name: 'a pool that cannot be cut that way', desired: desired({ pools: pool('10.0.0.0/24', 16) }), want: /pool 10\.0\.0\.0\/24 cannot be cut into \/16s/ },
];

describe('ipam chooseSubnet', () => {
  for (const tc of cases) {
    test(tc.name, async () => {
      const { ipam } = await setup(tc.recorded ?? [], tc.desired ?? desired(), staticHostInfo(tc.routes ?? [], tc.nameservers ?? []));
      if (typeof tc.want === 'string') assert.equal(ipam.chooseSubnet('net'), tc.want);
      else
        assert.throws(
          () => ipam.chooseSubnet('net'),
          (e: unknown) => isNetdError(e) && (tc.want as RegExp).test(e.message),
        );
    });
  }

  test('two networks get different subnets; one network the same twice', async () => {
    const { ipam } = await setup([]);
    assert.deepEqual([ipam.chooseSubnet('a'), ipam.chooseSubnet('b'), ipam.chooseSubnet('a')], ['10.210.0.0/24', '10.210.1.0/24', '10.210.0.0/24']);
  });

  test('the default pools', () => {
    assert.deepEqual(DEFAULT_POOLS, [
      { base: '10.210.0.0/16', size: 24 },
      { base: '172.30.0.0/16', size: 24 },
    ]);
  });
});

describe('ipam familyRecord', () => {
  const cases = [
    { name: 'IPv4 gateway defaults to the first usable', cfg: { reserved: [] }, subnet: '10.1.2.0/24', want: fam('10.1.2.0/24', '10.1.2.1') },
    { name: 'IPv4 /31 gateway is the first address', cfg: { reserved: [] }, subnet: '10.1.2.0/31', want: fam('10.1.2.0/31', '10.1.2.0') },
    { name: 'IPv6 gateway skips the anycast address', cfg: { reserved: [] }, subnet: 'fd00:1::/64', want: fam('fd00:1::/64', 'fd00:1::1') },
    { name: 'the subnet is made canonical', cfg: { reserved: [] }, subnet: 'fd00:0001:0::/64', want: fam('fd00:1::/64', 'fd00:1::1') },
    {
      name: 'declared gateway, ipRange and reserved are kept',
      cfg: { gateway: '10.1.2.254', ipRange: '10.1.2.128/25', reserved: ['10.1.2.5'] },
      subnet: '10.1.2.0/24',
      want: fam('10.1.2.0/24', '10.1.2.254', { ipRange: '10.1.2.128/25', reserved: ['10.1.2.5'] }),
    },
  ];
  for (const tc of cases) test(tc.name, () => assert.deepEqual(familyRecord(tc.cfg, tc.subnet), tc.want));
});

describe('ipam host info', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netd-ipam-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('routes: every table, default route dropped, bare addresses are host routes', () => {
    const out = JSON.stringify([
      { dst: 'default', gateway: '192.0.2.1', dev: 'eth0' },
      { dst: '192.0.2.0/24', dev: 'eth0' },
      { type: 'local', dst: '192.0.2.2', table: 'local', dev: 'eth0' },
      { type: 'unreachable', dst: '198.51.100.0/24' },
      { dst: 'fe80::/64', dev: 'eth0' },
    ]);
    assert.deepEqual(parseRoutes(out), ['192.0.2.0/24', '192.0.2.2/32', '198.51.100.0/24', 'fe80::/64']);
    assert.deepEqual(parseRoutes(`[{"dst":"10.0.0.0/8"}]\n[{"dst":"fd00::/8"}]\n`), ['10.0.0.0/8', 'fd00::/8']);
  });

  test('nameservers from resolv.conf; a missing file means none', async () => {
    const file = join(dir, 'resolv.conf');
    writeFileSync(file, '# comment\nsearch corp.example\nnameserver 10.210.0.53\nnameserver fe80::1%eth0\nnameserver bogus\n');
    assert.deepEqual(await readHostInfo(() => Promise.resolve('[]'), file), { routes: [], nameservers: ['10.210.0.53', 'fe80::1'] });
    assert.deepEqual((await readHostInfo(() => Promise.resolve('[]'), join(dir, 'missing'))).nameservers, []);
  });
});
