/**
 * The resolver's answer logic, pure: which names a network's gateway answers, how, and what
 * it forwards; and the files a `dns: true` network gives its containers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as packet from 'dns-packet';
import { answer, encodeReply, udpLimit } from '../../src/dns/answer.js';
import { buildZones, fromNetwork, reverseName, type ZoneInput } from '../../src/dns/zone.js';
import { renderSandboxFiles } from '../../src/state/files.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../../src/state/records.js';
import type { HostResolv } from '../../src/state/resolv.js';

const net = (id: string, name: string, v4: string, o: Partial<NetworkRecord> = {}): NetworkRecord => ({
  id,
  name,
  driver: 'bridge',
  bridge: `br-${name}`,
  ipv4: { subnet: `${v4}.0/24`, gateway: `${v4}.1`, reserved: [] },
  mtu: 1500,
  internal: false,
  masquerade: true,
  icc: true,
  dns: true,
  labels: {},
  adopted: false,
  state: 'ready',
  ...o,
});
const sb = (container: string, o: Partial<SandboxRecord> = {}): SandboxRecord => ({
  id: `sb-${container}`,
  container,
  netns: { kind: 'named', name: container },
  created: true,
  hostname: container,
  state: 'ready',
  ...o,
});
const ep = (container: string, network: NetworkRecord, ipv4: string, o: Partial<EndpointRecord> = {}): EndpointRecord => ({
  id: `ep-${container}-${network.name}`,
  networkId: network.id,
  network: network.name,
  container,
  sandboxId: `sb-${container}`,
  interface: 'eth0',
  ipv4,
  aliases: [],
  gatewayPriority: 0,
  ports: [],
  state: 'ready',
  ...o,
});

const front = net('n-front', 'front', '10.1.0', { ipv6: { subnet: 'fd00:1::/64', gateway: 'fd00:1::1', reserved: [] } });
const back = net('n-back', 'back', '10.2.0', { internal: true });
const plain = net('n-plain', 'plain', '10.3.0', { dns: false });
const INPUT: ZoneInput = {
  networks: [front, back, plain],
  sandboxes: [sb('web', { hostname: 'web-host' }), sb('db'), sb('cache', { dns: { nameservers: ['192.0.2.53'], search: [], options: [] } }), sb('gone')],
  endpoints: [
    ep('web', front, '10.1.0.10', { ipv6: 'fd00:1::10', aliases: ['www', 'WWW2'] }),
    ep('db', back, '10.2.0.20'),
    ep('web', back, '10.2.0.10', { interface: 'eth1' }),
    ep('cache', front, '10.1.0.30'),
    ep('gone', front, '10.1.0.40', { state: 'deleting' }),
    ep('db', plain, '10.3.0.20', { interface: 'eth1' }),
  ],
};
const zones = buildZones(INPUT);

function ask(gateway: string, name: string, type: packet.RecordType = 'A', o: Partial<packet.Packet> = {}): ReturnType<typeof answer> {
  const q = packet.decode(packet.encode({ type: 'query', id: 42, flags: packet.RECURSION_DESIRED, questions: [{ type, name }], ...o }));
  return answer(q, zones.get(gateway)!);
}

/** rcode and answers of a reply, or 'forward'. */
function outcome(r: ReturnType<typeof answer>): string {
  if (r.kind === 'forward') return 'forward';
  const p = packet.decode(encodeReply(r.packet));
  const data = (p.answers ?? []).map((a) => `${a.type} ${String((a as { data?: unknown }).data)} ttl ${(a as { ttl?: number }).ttl}`);
  return [(p as { rcode?: string }).rcode, p.flag_aa ? 'aa' : 'not-aa', ...data].join(' | ');
}

const cases: { name: string; gateway: string; q: string; type?: packet.RecordType; want: string }[] = [
  { name: 'A of a container name', gateway: '10.1.0.1', q: 'web', want: 'NOERROR | aa | A 10.1.0.10 ttl 5' },
  { name: 'A of its hostname', gateway: '10.1.0.1', q: 'web-host', want: 'NOERROR | aa | A 10.1.0.10 ttl 5' },
  { name: 'A of an alias, any case, with a trailing dot', gateway: '10.1.0.1', q: 'WWW.', want: 'NOERROR | aa | A 10.1.0.10 ttl 5' },
  { name: 'an alias declared in capitals', gateway: '10.1.0.1', q: 'www2', want: 'NOERROR | aa | A 10.1.0.10 ttl 5' },
  { name: 'AAAA of a dual-stack container', gateway: '10.1.0.1', q: 'web', type: 'AAAA', want: 'NOERROR | aa | AAAA fd00:1::10 ttl 5' },
  { name: 'the IPv6 gateway answers the same network', gateway: 'fd00:1::1', q: 'cache', want: 'NOERROR | aa | A 10.1.0.30 ttl 5' },
  { name: 'AAAA of an IPv4-only container: NODATA, not NXDOMAIN', gateway: '10.1.0.1', q: 'cache', type: 'AAAA', want: 'NOERROR | aa' },
  { name: 'another type of a known name: NODATA', gateway: '10.1.0.1', q: 'web', type: 'MX', want: 'NOERROR | aa' },
  { name: 'the same container answers with its address on the asking network', gateway: '10.2.0.1', q: 'web', want: 'NOERROR | aa | A 10.2.0.10 ttl 5' },
  { name: 'a container on another network only: NXDOMAIN', gateway: '10.1.0.1', q: 'db', want: 'NXDOMAIN | aa' },
  { name: 'an endpoint being deleted is not answered', gateway: '10.1.0.1', q: 'gone', want: 'NXDOMAIN | aa' },
  { name: 'an unknown single-label name: NXDOMAIN from netd', gateway: '10.1.0.1', q: 'nosuch', want: 'NXDOMAIN | aa' },
  { name: 'an external name is forwarded', gateway: '10.1.0.1', q: 'example.com', want: 'forward' },
  { name: 'an internal network forwards nothing: REFUSED', gateway: '10.2.0.1', q: 'example.com', want: 'REFUSED | not-aa' },
  { name: 'an internal network still answers its names', gateway: '10.2.0.1', q: 'db', want: 'NOERROR | aa | A 10.2.0.20 ttl 5' },
  { name: 'PTR of a container address', gateway: '10.1.0.1', q: '10.0.1.10.in-addr.arpa', type: 'PTR', want: 'NOERROR | aa | PTR web ttl 5' },
  { name: 'PTR of an IPv6 container address', gateway: '10.1.0.1', q: reverseName('fd00:1::10')!, type: 'PTR', want: 'NOERROR | aa | PTR web ttl 5' },
  { name: 'PTR of an address on another network is forwarded', gateway: '10.1.0.1', q: '20.0.2.10.in-addr.arpa', type: 'PTR', want: 'forward' },
];

for (const tc of cases) test(`answer: ${tc.name}`, () => assert.equal(outcome(ask(tc.gateway, tc.q, tc.type)), tc.want));

test('answer: only dns: true networks are served, on each gateway address', () => {
  assert.deepEqual([...zones.keys()].sort(), ['10.1.0.1', '10.2.0.1', 'fd00:1::1']);
  assert.equal(zones.get('10.1.0.1'), zones.get('fd00:1::1'));
});

test('answer: what a container declared as nameservers is where its forwarded queries go', () => {
  assert.deepEqual(zones.get('10.1.0.1')!.upstreams.get('10.1.0.30'), ['192.0.2.53']);
  assert.equal(zones.get('10.1.0.1')!.upstreams.get('10.1.0.10'), undefined);
});

test('answer: only clients on the network are served (the gateway is reachable from wherever the host routes)', () => {
  const z = zones.get('10.1.0.1')!;
  assert.deepEqual(
    ['10.1.0.10', '::ffff:10.1.0.10', 'fd00:1::10', '10.2.0.20', '192.0.2.5', 'fd00:2::1', 'nonsense'].map((c) => fromNetwork(z, c)),
    [true, true, true, false, false, false, false],
  );
});

test('answer: a reply keeps the id, the question and RD, and offers recursion', () => {
  const r = ask('10.1.0.1', 'web');
  assert.equal(r.kind, 'answer');
  const p = packet.decode(encodeReply((r as { packet: packet.Packet }).packet));
  assert.deepEqual([p.id, p.type, p.flag_rd, p.flag_ra, p.questions?.[0]?.name], [42, 'response', true, true, 'web']);
});

test('answer: an inverse query is not implemented; two questions are a format error', () => {
  const iquery = packet.decode(Buffer.from(packet.encode({ type: 'query', id: 1, flags: 1 << 11, questions: [{ type: 'A', name: 'web' }] })));
  assert.match(outcome(answer(iquery, zones.get('10.1.0.1')!)), /^NOTIMP/);
  const two = packet.decode(
    packet.encode({
      type: 'query',
      id: 1,
      questions: [
        { type: 'A', name: 'web' },
        { type: 'A', name: 'www' },
      ],
    }),
  );
  assert.match(outcome(answer(two, zones.get('10.1.0.1')!)), /^FORMERR/);
});

test('answer: a UDP reply larger than the client takes is truncated (TC, no answers)', () => {
  const many: ZoneInput = {
    networks: [front],
    sandboxes: [],
    endpoints: Array.from({ length: 60 }, (_, i) => ep(`c${i}`, front, `10.1.0.${i + 100}`, { aliases: ['pool'] })),
  };
  const q = packet.decode(packet.encode({ type: 'query', id: 9, questions: [{ type: 'A', name: 'pool' }] }));
  const r = answer(q, buildZones(many).get('10.1.0.1')!);
  assert.equal(r.kind, 'answer');
  const reply = (r as { packet: packet.Packet }).packet;
  const udp = packet.decode(encodeReply(reply, udpLimit(q)));
  assert.deepEqual([udp.flag_tc, udp.answers?.length], [true, 0]);
  assert.equal(packet.decode(encodeReply(reply)).answers?.length, 60, 'over TCP everything fits');
});

const resolv = (...nameservers: string[]): HostResolv => ({ nameservers, search: [], options: [] });

test('files: a dns: true network leaves peers to the resolver and puts its gateway first', () => {
  const files = renderSandboxFiles(INPUT.sandboxes, INPUT.endpoints, resolv('127.0.0.53', '192.0.2.1'), INPUT.networks);
  assert.equal(files.get('/etc/netns/web/resolv.conf'), 'nameserver 10.1.0.1\nnameserver 10.2.0.1\nnameserver 192.0.2.1\n');
  assert.equal(
    files.get('/etc/netns/web/hosts'),
    '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.1.0.10\tweb-host web www WWW2\nfd00:1::10\tweb-host web www WWW2\n10.2.0.10\tweb-host web\n',
  );
  // db is also on `plain` (no dns): its peers there stay in its hosts file, but it has none.
  assert.equal(files.get('/etc/netns/db/resolv.conf'), 'nameserver 10.2.0.1\nnameserver 192.0.2.1\n');
  const noDns = renderSandboxFiles(
    INPUT.sandboxes,
    INPUT.endpoints,
    resolv('192.0.2.1'),
    INPUT.networks.map((n) => ({ ...n, dns: false })),
  );
  assert.match(noDns.get('/etc/netns/web/hosts')!, /10\.1\.0\.30\tcache/);
  assert.equal(noDns.get('/etc/netns/web/resolv.conf'), 'nameserver 192.0.2.1\n');
});
