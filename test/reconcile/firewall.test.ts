/**
 * netd's nft rules proven with traffic (inside the throwaway host): masquerade towards the
 * outside, a published port reached from outside and from the host, an internal network cut
 * off from the outside, and icc: false keeping containers on one bridge apart. "Outside" is a
 * namespace this test makes, reached from the host through a veth (192.0.2.0/24).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { tcpExchange, tcpRoundTrip } from '../helpers/traffic.js';
import { TestHost } from '../helpers/netd.js';

const YAML = `version: 1
networks:
  pub: { subnet: 10.91.0.0/24 }
  priv: { subnet: 10.92.0.0/24, internal: true }
  quiet: { subnet: 10.93.0.0/24, icc: false }
containers:
  web: {}
  vault: {}
  q1: {}
  q2: {}
attachments:
  - { container: web, network: pub, ipv4: 10.91.0.10, ports: [{ hostPort: 8080, containerPort: 80 }] }
  - { container: vault, network: priv, ipv4: 10.92.0.10 }
  - { container: q1, network: quiet, ipv4: 10.93.0.10 }
  - { container: q2, network: quiet, ipv4: 10.93.0.11 }
`;

const ip = (...args: string[]): void => void execFileSync('ip', args);
let host: TestHost;

before(async () => {
  if (skip) return;
  ip('netns', 'add', 'ext');
  ip('link', 'add', 'ext0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'ext');
  ip('addr', 'add', '192.0.2.1/24', 'dev', 'ext0');
  ip('link', 'set', 'ext0', 'up');
  ip('-n', 'ext', 'addr', 'add', '192.0.2.2/24', 'dev', 'eth0');
  ip('-n', 'ext', 'link', 'set', 'eth0', 'up');
  ip('-n', 'ext', 'link', 'set', 'lo', 'up');
  ip('-n', 'ext', 'route', 'add', 'default', 'via', '192.0.2.1');
  host = new TestHost();
  const r = await host.apply(YAML);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  if (skip) return;
  ip('link', 'del', 'ext0');
  ip('netns', 'del', 'ext');
  await host.teardown();
});

test('masquerade: traffic leaving the host carries the host address', { skip }, async () => {
  assert.equal(await tcpExchange('web', 'ext', '192.0.2.2'), '192.0.2.1');
});

test('a published port is reached from outside (client address kept) and from the host', { skip }, async () => {
  assert.equal(await tcpExchange('ext', 'web', '10.91.0.10', 80, { connect: { addr: '192.0.2.1', port: 8080 } }), '192.0.2.2');
  assert.ok(await tcpExchange(undefined, 'web', '10.91.0.10', 80, { connect: { addr: '192.0.2.1', port: 8080 } }));
});

test('an internal network reaches nothing outside its bridge, and nothing outside reaches it', { skip }, async () => {
  assert.equal(await tcpRoundTrip('vault', 'ext', '192.0.2.2'), false);
  assert.equal(await tcpRoundTrip('ext', 'vault', '10.92.0.10'), false);
});

test('icc: false keeps containers on one bridge apart; the gateway stays reachable', { skip }, async () => {
  assert.equal(await tcpRoundTrip('q1', 'q2', '10.93.0.11'), false);
  assert.ok(await tcpRoundTrip('q1', undefined, '10.93.0.1'));
});

test('containers on other networks are not reached through the host', { skip }, async () => {
  assert.equal(await tcpRoundTrip('web', 'q1', '10.93.0.10'), false);
});
