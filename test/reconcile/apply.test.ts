/**
 * netd apply end to end on a real kernel (inside the throwaway host): two networks, three
 * containers; traffic proves what is connected and what is isolated; re-applying makes zero
 * kernel writes; pruning removes everything of a container; an unowned bridge is refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { tcpRoundTrip } from '../helpers/traffic.js';
import { TestHost } from '../helpers/netd.js';
import { apply, planChanges } from '../../src/reconcile/reconcile.js';
import { IPAM } from '../../src/state/records.js';

const THREE = `version: 1
networks:
  front: { subnet: 10.88.0.0/24 }
  back: { subnet: 10.89.0.0/24 }
containers:
  web: {}
  api: {}
  db: {}
attachments:
  - { container: web, network: front, ipv4: 10.88.0.10 }
  - { container: api, network: front, ipv4: 10.88.0.11 }
  - { container: api, network: back, ipv4: 10.89.0.11 }
  - { container: db, network: back }
`;
const WITHOUT_DB = THREE.replace('  db: {}\n', '').replace('  - { container: db, network: back }\n', '');

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
const links = (): { ifname: string; ifalias?: string }[] => JSON.parse(ip('-j', 'link', 'show')) as { ifname: string; ifalias?: string }[];

let host: TestHost;
before(() => {
  host = new TestHost();
});
after(async () => {
  if (!skip) await host.teardown();
});

test('apply two networks and three containers: same network connects, different networks do not', { skip }, async () => {
  const r = await host.apply(THREE);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /9 created, 0 deleted, 0 failed/);
  assert.ok(await tcpRoundTrip('web', 'api', '10.88.0.11'), 'web → api on front');
  assert.ok(await tcpRoundTrip('web', undefined, '10.88.0.1'), 'web → its gateway');
  const dbAddr = /10\.89\.0\.\d+/.exec(ip('-n', 'db', '-4', '-br', 'addr', 'show', 'eth0'))![0];
  assert.ok(await tcpRoundTrip('api', 'db', dbAddr), 'api → db on back');
  assert.equal(await tcpRoundTrip('web', 'db', dbAddr), false, 'web (front only) must not reach db (back only)');
  assert.match(readFileSync('/etc/netns/web/hosts', 'utf8'), /10\.88\.0\.11\tapi/);
});

test('re-apply makes zero kernel writes and diff exits 0', { skip }, async () => {
  const e = await host.engine();
  try {
    const r = await apply(e, await host.desired(THREE));
    assert.deepEqual(r.plan.changes, []);
    assert.equal(
      e.runner.writes,
      0,
      e.runner.log
        .filter((l) => l.write)
        .map((l) => l.argv.join(' '))
        .join('\n'),
    );
  } finally {
    await e.store.close();
  }
  const d = await host.diff(THREE);
  assert.equal(d.code, 0, d.stdout);
});

test('removing a container prunes its veth, namespace, allocation and hosts entries', { skip }, async () => {
  const e = await host.engine();
  const before = (await e.store.list(IPAM)).length;
  const veths = (await planChanges(e, await host.desired(THREE))).recorded.endpoints.filter((x) => x.container === 'db').map((x) => x.hostVeth);
  await e.store.close();
  const r = await host.apply(WITHOUT_DB);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /0 created, 2 deleted, 0 failed/);
  assert.ok(!ip('netns', 'list').includes('db'));
  for (const v of veths) assert.ok(!links().some((l) => l.ifname === v), `veth ${v} removed`);
  assert.ok(!existsSync('/etc/netns/db'));
  assert.doesNotMatch(readFileSync('/etc/netns/api/hosts', 'utf8'), /\bdb\b/);
  const e2 = await host.engine();
  assert.equal((await e2.store.list(IPAM)).length, before - 1);
  await e2.store.close();
  assert.equal((await host.diff(WITHOUT_DB)).code, 0);
});

test("a declared bridge that exists but is not netd's is an error and stays untouched", { skip }, async () => {
  ip('link', 'add', 'br-taken', 'type', 'bridge');
  try {
    const yaml = `version: 1\nnetworks:\n  taken: { subnet: 10.77.0.0/24, bridge: br-taken }\n`;
    const r = await host.apply(yaml);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bridge "br-taken" exists and is not netd's/);
    const l = (JSON.parse(ip('-j', '-d', 'addr', 'show', 'br-taken')) as { addr_info: unknown[]; ifalias?: string }[])[0]!;
    assert.deepEqual(l.addr_info, [], 'no address added');
    assert.equal(l.ifalias, undefined, 'no alias set');
    assert.equal((await host.diff(yaml)).code, 2);
  } finally {
    ip('link', 'del', 'br-taken');
  }
});

test('edits converge: interface rename, MTU, netns move, new subnet, gateway priority', { skip }, async () => {
  const edits: [string, string, RegExp][] = [
    [
      'interface rename keeps the static address',
      WITHOUT_DB.replace('{ container: web, network: front, ipv4: 10.88.0.10 }', '{ container: web, network: front, ipv4: 10.88.0.10, interface: lan0 }'),
      /replace attachment web\/front\n {4}interface eth0 → lan0/,
    ],
    [
      'MTU is updated in place',
      WITHOUT_DB.replace('front: { subnet: 10.88.0.0/24 }', 'front: { subnet: 10.88.0.0/24, mtu: 1400 }'),
      /update network front\n {4}mtu 1500 → 1400/,
    ],
    ['a container moves to another namespace', WITHOUT_DB.replace('  web: {}', '  web: { netns: web2 }'), /replace container web\n {4}netns web → web2/],
    [
      'a new subnet replaces the network and its attachments',
      WITHOUT_DB.replace('front: { subnet: 10.88.0.0/24 }', 'front: { subnet: 10.87.0.0/24 }').replaceAll('10.88.0.', '10.87.0.'),
      /replace network front/,
    ],
  ];
  assert.equal((await host.apply(WITHOUT_DB)).code, 0, 'back to the two-container state');
  for (const [name, yaml, planned] of edits) {
    const d = await host.diff(yaml);
    assert.equal(d.code, 2, name);
    assert.match(d.stdout, planned, name);
    const r = await host.apply(yaml);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.equal((await host.diff(yaml)).code, 0, name);
  }
  const last = edits.at(-1)![1];
  // Each edit starts from the two-container file, so the last one also undid the others.
  assert.ok(await tcpRoundTrip('web', 'api', '10.87.0.11'), 'web → api on the new subnet');
  assert.match(ip('-n', 'web', 'link', 'show', 'eth0'), /mtu 1500/);
  assert.ok(!ip('netns', 'list').includes('web2'));
  // Priority: api's default route moves to back when back outranks front.
  const prio = last.replace('{ container: api, network: back, ipv4: 10.89.0.11 }', '{ container: api, network: back, ipv4: 10.89.0.11, gatewayPriority: 10 }');
  assert.equal((await host.apply(prio)).code, 0);
  assert.match(ip('-n', 'api', 'route', 'show', 'default'), /via 10\.89\.0\.1 dev eth1/);
  assert.equal((await host.diff(prio)).code, 0);
});
