/**
 * Published ports as Docker 28 (without its userland proxy) has them, proven with traffic in
 * the throwaway host: from the host via 127.0.0.1 and via its own address, from an outside
 * namespace routed to the host (192.0.2.0/24, fd00:2::/64 through a veth), from the container
 * itself via a host address (hairpin, br_netfilter on and off), from a container on another
 * netd network; nothing else reaches a container from outside, and under `gatewayMode:
 * routed` outside hosts reach only the published ports at the container's own address.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { tcpExchange, tcpRoundTrip, udpExchange } from '../helpers/traffic.js';
import { TestHost } from '../helpers/netd.js';

const YAML = `version: 1
networks:
  pub: { subnet: 10.95.0.0/24, ipv6: { subnet: "fd00:95::/64" }, bridge: br-pub }
  other: { subnet: 10.96.0.0/24 }
  direct: { subnet: 10.97.0.0/24, gatewayMode: routed }
containers:
  web: {}
  peer: {}
  rt: {}
attachments:
  - container: web
    network: pub
    ipv4: 10.95.0.10
    ipv6: "fd00:95::10"
    ports:
      - { hostPort: 8080, containerPort: 80 }
      - { hostPort: 5353, containerPort: 53, protocol: udp }
      - { hostPort: 8081, containerPort: 81, hostIp: 127.0.0.1 }
  - { container: peer, network: other, ipv4: 10.96.0.10 }
  - { container: rt, network: direct, ipv4: 10.97.0.10, ports: [{ hostPort: 9090, containerPort: 90 }] }
`;

const HOST = '192.0.2.1';
const HOST6 = 'fd00:2::1';
const BRNF = '/proc/sys/net/bridge/bridge-nf-call-iptables';
const LOCALNET = '/proc/sys/net/ipv4/conf/br-pub/route_localnet';
const ip = (...args: string[]): void => void execFileSync('ip', args);
const via = (addr: string, port: number): { connect: { addr: string; port: number } } => ({ connect: { addr, port } });
let host: TestHost;
let brnf: string | undefined;

before(async () => {
  if (skip) return;
  brnf = readFileSync(BRNF, 'utf8').trim();
  ip('netns', 'add', 'ext');
  ip('link', 'add', 'ext0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'ext');
  ip('addr', 'add', `${HOST}/24`, 'dev', 'ext0');
  ip('addr', 'add', `${HOST6}/64`, 'dev', 'ext0', 'nodad');
  ip('link', 'set', 'ext0', 'up');
  ip('-n', 'ext', 'addr', 'add', '192.0.2.2/24', 'dev', 'eth0');
  ip('-n', 'ext', 'addr', 'add', 'fd00:2::2/64', 'dev', 'eth0', 'nodad');
  ip('-n', 'ext', 'link', 'set', 'eth0', 'up');
  ip('-n', 'ext', 'link', 'set', 'lo', 'up');
  // The outside routes everything, container subnets included, to the host.
  ip('-n', 'ext', 'route', 'add', 'default', 'via', HOST);
  ip('-n', 'ext', '-6', 'route', 'add', 'default', 'via', HOST6);
  host = new TestHost();
  const r = await host.apply(YAML);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  if (skip) return;
  writeFileSync(BRNF, brnf!);
  ip('link', 'del', 'ext0');
  ip('netns', 'del', 'ext');
  await host.teardown();
});

test('the host reaches a published port via 127.0.0.1 and via its own addresses', { skip }, async () => {
  // The first exchanges after the apply: time for a retransmitted SYN while the new links settle.
  for (const a of ['127.0.0.1', HOST, HOST6]) assert.ok(await tcpExchange(undefined, 'web', '::', 80, { ...via(a, 8080), timeoutMs: 4000 }), a);
});

test('hostIp 127.0.0.1: the host reaches it, the outside does not', { skip }, async () => {
  assert.ok(await tcpExchange(undefined, 'web', '::', 81, via('127.0.0.1', 8081)));
  assert.equal(await tcpExchange('ext', 'web', '::', 81, via(HOST, 8081)), undefined);
});

test('the outside reaches a published port on the host address, IPv4 and IPv6, its address kept', { skip }, async () => {
  assert.equal(await tcpExchange('ext', 'web', '::', 80, via(HOST, 8080)), '192.0.2.2');
  assert.equal(await tcpExchange('ext', 'web', '::', 80, via(HOST6, 8080)), 'fd00:2::2');
});

test('a published UDP port answers the outside', { skip }, async () => {
  assert.equal(await udpExchange('ext', 'web', '::', 53, via(HOST, 5353)), '192.0.2.2');
});

for (const on of [true, false]) {
  test(`hairpin: a container reaches its own published port via a host address, br_netfilter ${on ? 'on' : 'off'}`, { skip }, async () => {
    writeFileSync(BRNF, on ? '1' : '0');
    try {
      // Masqueraded to the gateway: the container could not answer itself on its own address.
      assert.equal(await tcpExchange('web', 'web', '::', 80, via(HOST, 8080)), '10.95.0.1');
    } finally {
      writeFileSync(BRNF, brnf!);
    }
  });
}

test('a container on another netd network reaches the published port, not the container directly', { skip }, async () => {
  assert.ok(await tcpExchange('peer', 'web', '::', 80, via(HOST, 8080)));
  assert.equal(await tcpRoundTrip('peer', 'web', '10.95.0.10', 80), false);
});

test('direct routing: the outside reaches no container address of a nat network, published or not', { skip }, async () => {
  assert.equal(await tcpRoundTrip('ext', 'web', '10.95.0.10', 80), false);
  assert.equal(await tcpRoundTrip('ext', 'web', '10.95.0.10', 22), false);
  assert.equal(await tcpRoundTrip('ext', 'web', 'fd00:95::10', 80), false);
});

test('gatewayMode routed: the outside reaches only published ports at the container address; no masquerade', { skip }, async () => {
  assert.equal(await tcpExchange('ext', 'rt', '10.97.0.10', 90), '192.0.2.2');
  assert.equal(await tcpRoundTrip('ext', 'rt', '10.97.0.10', 91), false);
  assert.ok(await tcpExchange('ext', 'rt', '10.97.0.10', 90, via(HOST, 9090)));
  assert.equal(await tcpExchange('rt', 'ext', '192.0.2.2'), '10.97.0.10');
});

test('route_localnet and hairpin mode are netd’s: diff reports them turned off, apply puts them back', { skip }, async () => {
  const veth = (JSON.parse(execFileSync('ip', ['-json', 'link', 'show', 'master', 'br-pub'], { encoding: 'utf8' })) as { ifname: string }[])[0]!.ifname;
  writeFileSync(LOCALNET, '0');
  ip('link', 'set', 'dev', veth, 'type', 'bridge_slave', 'hairpin', 'off');
  const d = await host.diff(YAML);
  assert.equal(d.code, 2, d.stdout + d.stderr);
  assert.match(d.stdout, /net\.ipv4\.conf\.br-pub\.route_localnet 0 → 1/);
  assert.match(d.stdout, new RegExp(`veth ${veth} hairpin off → on`));
  assert.equal(await tcpExchange(undefined, 'web', '::', 80, via('127.0.0.1', 8080)), undefined);
  writeFileSync(BRNF, '1');
  try {
    // Without hairpin mode the bridge will not send the DNATed frame back out the port it came in by.
    assert.equal(await tcpExchange('web', 'web', '::', 80, via(HOST, 8080)), undefined);
  } finally {
    writeFileSync(BRNF, brnf!);
  }
  const r = await host.apply(YAML);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(LOCALNET, 'utf8').trim(), '1');
  assert.ok(await tcpExchange(undefined, 'web', '::', 80, via('127.0.0.1', 8080)));
  assert.equal((await host.diff(YAML)).code, 0);
});

test('publishing a first port on a running container turns its hairpin on: an update, no rebuild', { skip }, async () => {
  const published = YAML.replace(
    '{ container: peer, network: other, ipv4: 10.96.0.10 }',
    '{ container: peer, network: other, ipv4: 10.96.0.10, ports: [{ hostPort: 7070, containerPort: 70 }] }',
  );
  const d = await host.diff(published);
  assert.match(d.stdout, /~ update attachment peer\/other/);
  const r = await host.apply(published);
  assert.equal(r.code, 0, r.stderr);
  writeFileSync(BRNF, '1');
  try {
    assert.ok(await tcpExchange('peer', 'peer', '::', 70, via(HOST, 7070)));
  } finally {
    writeFileSync(BRNF, brnf!);
  }
  assert.equal((await host.diff(published)).code, 0);
  assert.equal((await host.apply(YAML)).code, 0);
  assert.equal((await host.diff(YAML)).code, 0);
});

test('export keeps gatewayMode routed and re-applies to a no-op diff', { skip }, async () => {
  const ex = await host.cli(['export']);
  assert.equal(ex.code, 0, ex.stderr);
  assert.match(ex.stdout, /gatewayMode: routed/);
  assert.doesNotMatch(ex.stdout, /masquerade/);
  const d = await host.cli(['diff', '-f', host.file(ex.stdout)]);
  assert.equal(d.code, 0, d.stdout + ex.stdout);
});
