/**
 * The resolver for real (DESIGN.md §10), in the throwaway host: containers ask their gateway
 * through glibc (getent) and a raw client; apply starts `netd dns`, a later apply's container
 * resolves at once without rewriting the others' files, names stay on their network, other
 * names go to the host's resolver (a stub on a loopback address here), an internal network
 * forwards nothing, a resolver killed with -9 is back after the next apply, watch serves
 * in-process, and 1000 queries per second from one container are all answered.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as packet from 'dns-packet';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { runCli } from '../helpers/cli.js';
import { TestHost } from '../helpers/netd.js';
import { waitFor } from '../helpers/hosts.js';
import { flood, getent, query } from '../helpers/dns.js';
import { holderPid } from '../../src/store/lock.js';
import { processAlive } from '../../src/kernel/daemon.js';
import { lengthPrefix } from '../../src/dns/upstream.js';
import type { Check } from '../../src/reconcile/doctor.js';

const GW = '10.231.0.1';
const yaml = (extra = ''): string => `version: 1
networks:
  dr-front: { subnet: 10.231.0.0/24, dns: true }
  dr-other: { subnet: 10.232.0.0/24, dns: true }
  dr-inner: { subnet: 10.233.0.0/24, dns: true, internal: true }
  dr-six: { subnet: 10.234.0.0/24, ipv6: { subnet: "fd00:234::/64" }, dns: true }
containers:
  dr-a: {}
  dr-b: { hostname: bee }
  dr-o: {}
  dr-i1: {}
  dr-i2: {}${extra ? '\n  dr-c: {}' : ''}
attachments:
  - { container: dr-a, network: dr-front, ipv4: 10.231.0.10 }
  - { container: dr-b, network: dr-front, ipv4: 10.231.0.11, aliases: [www] }
  - { container: dr-o, network: dr-other, ipv4: 10.232.0.10 }
  - { container: dr-i1, network: dr-inner, ipv4: 10.233.0.10 }
  - { container: dr-i2, network: dr-inner, ipv4: 10.233.0.11 }
  - { container: dr-o, network: dr-six, ipv4: 10.234.0.10, ipv6: "fd00:234::10" }
  - { container: dr-b, network: dr-six, ipv4: 10.234.0.11, ipv6: "fd00:234::11" }
${extra}`;
const WITH_C = '  - { container: dr-c, network: dr-front, ipv4: 10.231.0.12 }\n';

let host: TestHost;
before(() => {
  if (!skip) host = new TestHost();
});
after(async () => {
  if (skip) return;
  const pid = holderPid(host.stateDir, 'dns');
  await host.teardown();
  assert.ok(pid === undefined || !processAlive(pid), `the resolver (pid ${pid}) outlived the networks`);
});

async function doctorResolver(): Promise<Check[]> {
  const r = await host.cli(['doctor', '-o', 'json']);
  return (JSON.parse(r.stdout) as Check[]).filter((c) => c.group === 'resolver');
}

test('apply starts the resolver: a peer, its hostname and an alias resolve through it, not through the hosts file', { skip }, async () => {
  const r = await host.apply(yaml());
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /started the resolver \(pid \d+; log .*dns\.log\)/);
  assert.deepEqual(await getent('dr-a', 'dr-b'), ['10.231.0.11']);
  assert.deepEqual(await getent('dr-a', 'bee'), ['10.231.0.11']);
  assert.deepEqual(await getent('dr-a', 'www'), ['10.231.0.11']);
  const hosts = readFileSync('/etc/netns/dr-a/hosts', 'utf8');
  assert.doesNotMatch(hosts, /dr-b|www|10\.231\.0\.11/);
  assert.match(readFileSync('/etc/netns/dr-a/resolv.conf', 'utf8'), new RegExp(`^nameserver ${GW.replace(/\./g, '\\.')}\n`));
  const checks = await doctorResolver();
  assert.deepEqual(
    checks.map((c) => `${c.status} ${c.name}`),
    ['ok process', 'ok network dr-front', 'ok network dr-inner', 'ok network dr-other', 'ok network dr-six'],
  );
});

test('a name on another network does not resolve; unknown names get NXDOMAIN from netd', { skip }, async () => {
  assert.deepEqual(await getent('dr-a', 'dr-o'), []);
  assert.deepEqual(await query('dr-a', GW, 'dr-o'), { rcode: 'NXDOMAIN', aa: true, answers: [] });
  assert.deepEqual(await query('dr-a', GW, 'no-such-container'), { rcode: 'NXDOMAIN', aa: true, answers: [] });
  assert.deepEqual(await query('dr-a', GW, 'www', 'A', 'tcp'), { rcode: 'NOERROR', aa: true, answers: ['10.231.0.11'] });
  assert.deepEqual(await query('dr-o', '10.232.0.1', 'dr-o'), { rcode: 'NOERROR', aa: true, answers: ['10.232.0.10'] });
  // dr-o reaches dr-front's gateway (a host address) through its own: not a client of dr-front.
  assert.deepEqual(await query('dr-o', GW, 'dr-a'), { rcode: 'REFUSED', aa: false, answers: [] });
  assert.deepEqual(await query('dr-a', GW, '10.0.231.10.in-addr.arpa', 'PTR'), { rcode: 'NOERROR', aa: true, answers: ['dr-a'] });
  // Over IPv6, to the IPv6 gateway: the addresses on that network.
  assert.deepEqual(await query('dr-o', 'fd00:234::1', 'dr-b', 'AAAA'), { rcode: 'NOERROR', aa: true, answers: ['fd00:234::11'] });
  assert.deepEqual(await query('dr-o', 'fd00:234::1', 'bee', 'A'), { rcode: 'NOERROR', aa: true, answers: ['10.234.0.11'] });
});

test('a container added by a later apply resolves within a second; the others files are not touched', { skip }, async () => {
  const files = ['/etc/netns/dr-a/hosts', '/etc/netns/dr-a/resolv.conf', '/etc/netns/dr-b/hosts'];
  const before = files.map((f) => [readFileSync(f, 'utf8'), statSync(f).mtimeMs]);
  const mac = gatewayMac();
  const r = await host.apply(yaml(WITH_C));
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /started the resolver/, 'the running resolver follows the records');
  const ms = await waitFor('dr-c to resolve from dr-a', async () => (await getent('dr-a', 'dr-c')).length > 0, 1000);
  assert.deepEqual(await getent('dr-a', 'dr-c'), ['10.231.0.12'], `resolved after ${Math.round(ms)} ms`);
  assert.deepEqual(
    files.map((f) => [readFileSync(f, 'utf8'), statSync(f).mtimeMs]),
    before,
  );
  assert.equal(gatewayMac(), mac, "the bridge keeps its MAC as ports join (the containers' neighbour entries for the gateway stay true)");
});

/** The MAC of the bridge carrying GW. */
function gatewayMac(): string {
  const links = JSON.parse(execFileSync('ip', ['-j', 'addr', 'show'], { encoding: 'utf8' })) as { address: string; addr_info: { local: string }[] }[];
  return links.find((l) => l.addr_info.some((a) => a.local === GW))!.address;
}

/** A stub upstream resolver on a loopback address, UDP and TCP: every A query gets 192.0.2.77. */
async function stub(address: string): Promise<{ close: () => void }> {
  const reply = (m: Buffer): Buffer => {
    const q = packet.decode(m);
    const answers: packet.Answer[] = q.questions?.[0]?.type === 'A' ? [{ type: 'A', name: q.questions[0].name, ttl: 60, data: '192.0.2.77' }] : [];
    return packet.encode({ id: q.id ?? 0, type: 'response', flags: packet.RECURSION_AVAILABLE, questions: q.questions ?? [], answers });
  };
  const udp = createSocket('udp4');
  udp.on('message', (m, from) => udp.send(reply(m), from.port, from.address));
  await new Promise<void>((resolve) => udp.bind(53, address, resolve));
  const tcp = createServer((c) => c.on('data', (d: Buffer) => c.end(Buffer.concat([lengthPrefix(reply(d.subarray(2)).length), reply(d.subarray(2))]))));
  await new Promise<void>((resolve) => tcp.listen(53, address, resolve));
  return { close: () => (udp.close(), tcp.close()) };
}

test('other names go to the host resolver, a loopback one; an internal network forwards nothing but answers its own', { skip }, async () => {
  const upstream = await stub('127.0.0.153');
  // The throwaway host has its own mount namespace: the machine's resolv.conf is not touched.
  const conf = join(host.dir, 'resolv.conf');
  writeFileSync(conf, 'nameserver 127.0.0.153\n');
  execFileSync('mount', ['--bind', conf, '/etc/resolv.conf']);
  try {
    assert.deepEqual(await getent('dr-a', 'ext.example'), ['192.0.2.77']);
    assert.deepEqual(
      await query('dr-a', GW, 'ext.example', 'A', 'tcp'),
      { rcode: 'NOERROR', aa: false, answers: ['192.0.2.77'] },
      'over TCP, forwarded over TCP',
    );
    assert.deepEqual(await query('dr-i1', '10.233.0.1', 'ext.example'), { rcode: 'REFUSED', aa: false, answers: [] });
    assert.deepEqual(await getent('dr-i1', 'dr-i2'), ['10.233.0.11'], 'the firewall of an internal network lets DNS reach its gateway');
  } finally {
    execFileSync('umount', ['/etc/resolv.conf']);
    upstream.close();
  }
});

test('a resolver killed with -9 is reported by doctor and started again by the next apply', { skip }, async () => {
  const pid = holderPid(host.stateDir, 'dns')!;
  process.kill(pid, 'SIGKILL');
  await waitFor('the resolver to die', () => !processAlive(pid));
  assert.equal(await query('dr-a', GW, 'dr-b'), undefined, 'nobody answers');
  assert.deepEqual(
    (await doctorResolver()).map((c) => `${c.status} ${c.name}`),
    ['problem process', 'problem network dr-front', 'problem network dr-inner', 'problem network dr-other', 'problem network dr-six'],
  );
  const r = await host.apply(yaml(WITH_C));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /started the resolver/);
  assert.deepEqual(await getent('dr-a', 'dr-b'), ['10.231.0.11']);
});

test('1000 queries per second from one container are all answered', { skip }, async (t) => {
  const r = await flood('dr-a', GW, 'dr-b', 3000, 1000);
  t.diagnostic(`sent ${r.sent} queries in ${r.ms} ms (${Math.round((r.sent * 1000) / r.ms)}/s), answered ${r.answered}`);
  assert.equal(r.answered, r.sent);
});

test('watch serves in-process instead of netd dns; the next apply starts netd dns again', { skip }, async () => {
  const before = holderPid(host.stateDir, 'dns')!;
  const ac = new AbortController();
  const watching = runCli(['watch', '-f', host.file(yaml(WITH_C)), '--state-dir', host.stateDir, '--resync', '1h'], { signal: ac.signal });
  try {
    await waitFor('watch to take over the resolver', () => holderPid(host.stateDir, 'dns') === process.pid && !processAlive(before));
    await waitFor('watch to serve', async () => (await getent('dr-a', 'dr-b')).length > 0);
    const again = await host.apply(yaml(WITH_C));
    assert.doesNotMatch(again.stderr, /started the resolver/, 'apply leaves the resolver watch runs');
  } finally {
    ac.abort();
    assert.equal((await watching).code, 0);
  }
  const r = await host.apply(yaml(WITH_C));
  assert.match(r.stderr, /started the resolver/);
  assert.deepEqual(await getent('dr-a', 'dr-c'), ['10.231.0.12']);
});

test('dns turned off: the resolver stops and the hosts files list the peers again', { skip }, async () => {
  const pid = holderPid(host.stateDir, 'dns')!;
  const r = await host.apply(yaml(WITH_C).replace(/, dns: true/g, ''));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /4 updated[\s\S]*stopped the resolver \(pid \d+\): no network has dns: true/);
  assert.equal(processAlive(pid), false);
  assert.match(readFileSync('/etc/netns/dr-a/hosts', 'utf8'), /10\.231\.0\.11\tdr-b www/);
  assert.doesNotMatch(readFileSync('/etc/netns/dr-a/resolv.conf', 'utf8'), /10\.231\.0\.1\n/);
  assert.deepEqual(await getent('dr-a', 'www'), ['10.231.0.11']);
});
