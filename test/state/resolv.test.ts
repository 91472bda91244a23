/** A container's resolv.conf and hosts file (pure): what it declares over what the host has, as Docker does. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHosts, renderResolv } from '../../src/state/files.js';
import { containerResolv, fallbackNote, parseResolvConf, type HostResolv } from '../../src/state/resolv.js';
import type { SandboxRecord } from '../../src/state/records.js';
import { loadDesiredState } from '../../src/desired/validate.js';
import { Readable } from 'node:stream';
import { resolvNotes } from '../../src/reconcile/reconcile.js';

type Dns = SandboxRecord['dns'];
const host = (nameservers: string[], search: string[] = [], options: string[] = []): HostResolv => ({ nameservers, search, options });
const dns = (nameservers: string[], search: string[] = [], options: string[] = []): NonNullable<Dns> => ({ nameservers, search, options });

test('parseResolvConf: nameservers, the last search or domain, every options line', async (t) => {
  const cases: { name: string; text: string; want: HostResolv }[] = [
    { name: 'empty', text: '', want: host([]) },
    {
      name: 'a typical file',
      text: '# generated\nnameserver 192.0.2.53\nnameserver 2001:db8::53\nsearch corp.example example\noptions ndots:2\noptions edns0 rotate\n',
      want: host(['192.0.2.53', '2001:db8::53'], ['corp.example', 'example'], ['ndots:2', 'edns0', 'rotate']),
    },
    { name: 'domain is a one-name search', text: 'domain corp.example\n', want: host([], ['corp.example']) },
    { name: 'the last of search and domain wins', text: 'search a.example b.example\ndomain c.example\n', want: host([], ['c.example']) },
    {
      name: 'comments and junk',
      text: 'nameserver not-an-ip\nnameserver 192.0.2.1 # office\n; nameserver 192.0.2.2\n  nameserver\t192.0.2.3\n',
      want: host(['192.0.2.1', '192.0.2.3']),
    },
    { name: 'a zone is kept', text: 'nameserver fe80::1%eth0\n', want: host(['fe80::1%eth0']) },
  ];
  for (const c of cases) await t.test(c.name, () => assert.deepEqual(parseResolvConf(c.text), c.want));
});

test('containerResolv: declared settings override the host one by one; the rest is inherited', async (t) => {
  const h = host(['192.0.2.53', '127.0.0.53'], ['corp.example'], ['ndots:2']);
  const cases: { name: string; dns: Dns; host: HostResolv; ipv6?: boolean; resolvers?: string[]; want: [string[], string[], string[], boolean] }[] = [
    { name: 'nothing declared: all from the host, loopback dropped', dns: undefined, host: h, want: [['192.0.2.53'], ['corp.example'], ['ndots:2'], false] },
    {
      name: 'nameservers declared: search and options inherited',
      dns: dns(['198.51.100.1']),
      host: h,
      want: [['198.51.100.1'], ['corp.example'], ['ndots:2'], false],
    },
    {
      name: 'search declared: nameservers and options inherited',
      dns: dns([], ['lab.example']),
      host: h,
      want: [['192.0.2.53'], ['lab.example'], ['ndots:2'], false],
    },
    { name: 'options declared: the rest inherited', dns: dns([], [], ['rotate']), host: h, want: [['192.0.2.53'], ['corp.example'], ['rotate'], false] },
    {
      name: 'everything declared: nothing from the host',
      dns: dns(['198.51.100.1'], ['lab.example'], ['edns0']),
      host: h,
      want: [['198.51.100.1'], ['lab.example'], ['edns0'], false],
    },
    {
      name: 'a declared loopback nameserver is kept (a resolver inside the container)',
      dns: dns(['127.0.0.1']),
      host: h,
      want: [['127.0.0.1'], ['corp.example'], ['ndots:2'], false],
    },
    {
      name: 'only loopback on the host: the IPv4 fallback',
      dns: undefined,
      host: host(['127.0.0.53', '::1'], ['corp.example']),
      want: [['8.8.8.8', '8.8.4.4'], ['corp.example'], [], true],
    },
    {
      name: 'nothing on the host, IPv6 container: both fallbacks',
      dns: undefined,
      host: host([]),
      ipv6: true,
      want: [['8.8.8.8', '8.8.4.4', '2001:4860:4860::8888', '2001:4860:4860::8844'], [], [], true],
    },
    {
      name: 'IPv6 loopback forms are dropped',
      dns: undefined,
      host: host(['::1', '0:0:0:0:0:0:0:1', '127.1.2.3', '192.0.2.9']),
      want: [['192.0.2.9'], [], [], false],
    },
    {
      name: "netd's resolvers first, no fallback behind them",
      dns: undefined,
      host: host(['127.0.0.53']),
      resolvers: ['10.88.0.1'],
      want: [['10.88.0.1'], [], [], false],
    },
    {
      name: "netd's resolvers before the declared ones",
      dns: dns(['198.51.100.1']),
      host: h,
      resolvers: ['10.88.0.1'],
      want: [['10.88.0.1', '198.51.100.1'], ['corp.example'], ['ndots:2'], false],
    },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const r = containerResolv(c.dns, c.host, { ipv6: c.ipv6 ?? false, resolvers: c.resolvers ?? [] });
      assert.deepEqual([r.nameservers, r.search, r.options, r.fallback], c.want);
    });
  }
});

const sandbox = (over: Partial<SandboxRecord> = {}): SandboxRecord => ({
  id: 'a'.repeat(64),
  container: 'web',
  netns: { kind: 'named', name: 'web' },
  created: true,
  hostname: 'web',
  state: 'ready',
  ...over,
});

test('renderResolv: the file, with a comment when the fallback is used', () => {
  assert.equal(
    renderResolv(sandbox({ dns: dns([], ['lab.example']) }), host(['192.0.2.53'], ['corp.example'], ['ndots:2'])),
    'nameserver 192.0.2.53\nsearch lab.example\noptions ndots:2\n',
  );
  assert.equal(
    renderResolv(sandbox(), host(['127.0.0.53'])),
    "# the host's resolv.conf has no nameserver a container can reach: Docker's public fallback\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n",
  );
});

test('fallbackNote: one note for every container that falls back, none otherwise', () => {
  const containers = [{ name: 'a' }, { name: 'b', dns: dns(['198.51.100.1']) }, { name: 'c', dns: dns([], ['x.example']) }];
  assert.equal(fallbackNote(containers, host(['192.0.2.53'])), undefined);
  assert.equal(fallbackNote([{ name: 'b', dns: dns(['198.51.100.1']) }], host([])), undefined);
  const note = fallbackNote(containers, host(['127.0.0.53']));
  assert.match(note ?? '', /only loopback: 127\.0\.0\.53\); "a", "c" get Docker's public fallback 8\.8\.8\.8, 8\.8\.4\.4 \(and 2001:4860:4860::8888/);
  const many = Array.from({ length: 7 }, (_, i) => ({ name: `c${i}` }));
  assert.match(fallbackNote(many, host([])) ?? '', /\(none\); 7 containers get/);
});

test('extraHosts: split at the first colon, addresses canonical, first in the hosts file', async () => {
  const yaml = 'version: 1\ncontainers:\n  web:\n    extraHosts: ["db.internal:10.0.0.7", "db6:2001:DB8:0::7", "old:[2001:db8::8]"]\n';
  const r = await loadDesiredState(['-'], { stdin: Readable.from([yaml]) });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const extraHosts = r.state.containers[0]!.extraHosts;
  assert.deepEqual(extraHosts, [
    { name: 'db.internal', address: '10.0.0.7' },
    { name: 'db6', address: '2001:db8::7' },
    { name: 'old', address: '2001:db8::8' },
  ]);
  const hosts = renderHosts(sandbox({ extraHosts }), []);
  assert.equal(hosts.split('\n').slice(2, 5).join('\n'), '10.0.0.7\tdb.internal\n2001:db8::7\tdb6\n2001:db8::8\told');
});

test('the plan notes: one fallback note naming the containers whose resolv.conf netd writes', async () => {
  const yaml = `version: 1
containers:
  a: {}
  b: { dns: { nameservers: [192.0.2.1] } }
  c: { dns: { search: [x.example] } }
  onhost: {}
  adopted: { netns: /var/run/netns/rs-adopted }
attachments:
  - { container: onhost, network: host }
`;
  const r = await loadDesiredState(['-'], { stdin: Readable.from([yaml]) });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  assert.deepEqual(resolvNotes(r.state, host(['192.0.2.53'])), []);
  const notes = resolvNotes(r.state, host(['127.0.0.53']));
  assert.equal(notes.length, 1);
  assert.match(notes[0]!, /; "a", "c" get Docker's public fallback/);
});
