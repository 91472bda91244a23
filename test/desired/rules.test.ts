/** The name, address and identity rules: one definition shared by validation and the kernel layer. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isNetdError } from '../../src/errors.js';
import { checkIfName, checkNsRef } from '../../src/kernel/names.js';
import { formatAddr, isLoopback, parseAddr, parseCidr, specialAddr, specialRange, unmappedV4 } from '../../src/desired/cidr.js';
import { ifnameProblem, netnsIdentity, netnsProblem } from '../../src/desired/names.js';
import { loadDesiredState } from '../../src/desired/validate.js';
import type { DesiredState } from '../../src/desired/types.js';

const kernelAccepts = (check: () => unknown): boolean => {
  try {
    check();
    return true;
  } catch (e) {
    assert.ok(isNetdError(e, 'invalid'), String(e));
    return false;
  }
};

const E = '\u0435'; // Cyrillic ie, a homoglyph of "e"
const NAMES = [
  'eth0',
  'br-web',
  'nd-0123456789ab',
  'a_b.c-d',
  '_x',
  '0',
  'x'.repeat(15),
  'x'.repeat(16),
  'x'.repeat(255),
  'x'.repeat(256),
  '',
  '.',
  '..',
  '.x',
  '-x',
  'a..b',
  'a b',
  'a\tb',
  'a\nb',
  'a#b',
  'a/b',
  'a:b',
  'a@b',
  'eth%d',
  'a;b',
  'a"b',
  "a'b",
  'a\\b',
  'café',
  `w${E}b`,
  'ü',
  'a\u0000b',
  'a\u007fb',
  'a\u200bb',
  'ｅth0',
  '$x',
  'a*b',
  'a=b',
  'a,b',
  'a+b',
];

for (const name of NAMES) {
  test(`rules: validation and kernel layer agree on ${JSON.stringify(name)}`, () => {
    const ifOk = ifnameProblem(name) === undefined;
    assert.equal(
      kernelAccepts(() => checkIfName(name)),
      ifOk,
      `interface name: spec says ${ifnameProblem(name) ?? 'ok'}`,
    );
    if (ifOk) assert.ok(/^[A-Za-z0-9_.-]{1,15}$/.test(name), 'an accepted interface name is plain ASCII');
    const nsOk = netnsProblem(name) === undefined;
    assert.equal(
      kernelAccepts(() => checkNsRef(name)),
      nsOk,
      `netns name: spec says ${netnsProblem(name) ?? 'ok'}`,
    );
    // Every /run/netns path validation accepts, the kernel layer accepts too.
    for (const path of [`/run/netns/${name}`, `/var/run/netns/${name}`]) {
      if (netnsProblem(path) === undefined)
        assert.ok(
          kernelAccepts(() => checkNsRef(path)),
          path,
        );
      assert.equal(netnsProblem(path) === undefined, nsOk, path);
    }
  });
}

test('rules: one namespace, three spellings', () => {
  assert.deepEqual(['x', '/run/netns/x', '/var/run/netns/x'].map(netnsIdentity), ['x', 'x', 'x']);
  assert.equal(netnsIdentity('/proc/42/ns/net'), '/proc/42/ns/net');
});

const RANGES: { cidr: string; special?: string }[] = [
  { cidr: '10.0.0.0/8' },
  { cidr: '172.16.0.0/12' },
  { cidr: '192.168.0.0/16' },
  { cidr: '100.64.0.0/10' },
  { cidr: '1.0.0.0/8' },
  { cidr: '223.255.255.0/24' },
  { cidr: 'fd00::/8' },
  { cidr: '2001:db8::/32' },
  { cidr: 'fec0::/10' },
  { cidr: '::1:0:0/96' },
  { cidr: '0.0.0.0/8', special: '"this network"' },
  { cidr: '0.0.0.0/0', special: '"this network"' },
  { cidr: '127.0.0.0/8', special: 'loopback' },
  { cidr: '127.255.255.252/30', special: 'loopback' },
  { cidr: '169.254.0.0/24', special: 'link-local' },
  { cidr: '224.0.0.0/24', special: 'multicast' },
  { cidr: '239.255.0.0/16', special: 'multicast' },
  { cidr: '240.0.0.0/4', special: 'reserved' },
  { cidr: '255.255.255.252/30', special: 'reserved' },
  { cidr: '::1/128', special: 'loopback' },
  { cidr: '::ffff:0.0.0.0/96', special: 'IPv4-mapped' },
  { cidr: '::ffff:192.168.0.0/112', special: 'IPv4-mapped' },
  { cidr: '::10.0.0.0/104', special: 'IPv4-compatible' },
  { cidr: 'fe80::/64', special: 'link-local' },
  { cidr: 'febf::/16', special: 'link-local' },
  { cidr: 'ff02::/16', special: 'multicast' },
  { cidr: '::/0', special: 'loopback' },
];

for (const tc of RANGES) {
  test(`rules: ${tc.cidr} is ${tc.special ?? 'ordinary'}`, () => {
    const got = specialRange(parseCidr(tc.cidr));
    if (tc.special === undefined) assert.equal(got, undefined);
    else assert.ok(got?.startsWith(tc.special), got);
  });
}

test('rules: host addresses', () => {
  assert.equal(unmappedV4(parseAddr('::ffff:1.2.3.4')), '1.2.3.4');
  assert.equal(unmappedV4(parseAddr('1.2.3.4')), undefined);
  assert.equal(unmappedV4(parseAddr('::1.2.3.4')), undefined, 'IPv4-compatible is not IPv4-mapped');
  assert.equal(formatAddr(6, parseAddr('::1.2.3.4').value), '::102:304');
  assert.deepEqual(
    ['127.0.0.1', '127.1.2.3', '::1', '10.0.0.1', '::2'].map((a) => isLoopback(parseAddr(a))),
    [true, true, true, false, false],
  );
  assert.equal(specialAddr(parseAddr('192.0.2.1')), undefined);
  assert.match(specialAddr(parseAddr('0.0.0.0'))!, /this network/);
});

async function load(yaml: string): Promise<DesiredState> {
  const r = await loadDesiredState(['-'], { stdin: yaml });
  if (!r.ok) assert.fail(JSON.stringify(r.errors));
  return r.state;
}

test('rules: wildcard hostIps and an explicit mtu of 1280 on IPv6 are fine', async () => {
  const s = await load(
    'version: 1\nnetworks:\n  n: {subnet: 10.88.0.0/24, mtu: 1280, ipv6: {subnet: "fd00:1::/64"}}\ncontainers:\n  c: {}\nattachments:\n  - {container: c, network: n, ports: [{hostPort: 80, containerPort: 80, hostIp: 0.0.0.0}, {hostPort: 81, containerPort: 80, hostIp: "::"}]}\n',
  );
  assert.deepEqual(
    s.attachments[0]!.ports.map((p) => p.hostIp),
    ['0.0.0.0', '::'],
  );
});

const publish = (n: string, ports: string[]): string =>
  `  - {container: ${n}, network: ${n === 'v4' ? 'm' : 'n'}, ports: [${ports.map((p) => `{hostPort: 80, containerPort: 80${p}}`).join(', ')}]}\n`;
const PORT_OK: { name: string; attachments: string }[] = [
  { name: '0.0.0.0 and :: for one port', attachments: publish('a', [', hostIp: 0.0.0.0', ', hostIp: "::"']) },
  { name: 'no hostIp on an IPv4-only network, :: on another', attachments: publish('v4', ['']) + publish('a', [', hostIp: "::"']) },
  { name: '127.0.0.1 and another host address', attachments: publish('a', [', hostIp: 127.0.0.1', ', hostIp: 192.0.2.7']) },
  { name: 'two IPv6 host addresses', attachments: publish('a', [', hostIp: "fd00::1"', ', hostIp: "fd00::2"']) },
];
for (const tc of PORT_OK)
  test(`rules: publishing is fine: ${tc.name}`, async () => {
    const s = await load(
      `version: 1\nnetworks:\n  n: {subnet: 10.88.0.0/24, ipv6: {subnet: "fd00:88::/64"}}\n  m: {subnet: 10.89.0.0/24}\ncontainers:\n  a: {}\n  v4: {}\nattachments:\n${tc.attachments}`,
    );
    assert.ok(s.attachments.some((a) => a.ports.length > 0));
  });

test('rules: predefined networks are added when used, and only then', async () => {
  const s = await load('version: 1\ncontainers:\n  h: {}\n  z: {}\nattachments:\n  - {container: h, network: host}\n  - {container: z, network: none}\n');
  assert.deepEqual(
    s.networks.map((n) => [n.name, n.driver, n.ipv4]),
    [
      ['host', 'host', undefined],
      ['none', 'null', undefined],
    ],
  );
  assert.deepEqual(
    s.attachments.map((a) => a.interface),
    ['', ''],
  );
  assert.deepEqual(s.networks[0]!.loc, { file: '<stdin>', line: 6, column: 5 });
  const t = await load('version: 1\nnetworks:\n  n: {}\ncontainers:\n  c: {}\nattachments:\n  - {container: c, network: n}\n');
  assert.deepEqual(
    t.networks.map((n) => n.name),
    ['n'],
  );
});

test('rules: the pools fit exactly as many networks as they hold', async () => {
  const nets = ['a', 'b', 'c'].map((x) => `  ${x}: {}`).join('\n');
  const s = await load(`version: 1\naddressPools:\n  - {base: 10.9.0.0/28, size: 30}\nnetworks:\n  x: {subnet: 10.9.0.4/30}\n${nets}\n`);
  assert.equal(s.networks.length, 4);
});
