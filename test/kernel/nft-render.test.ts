import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  buildRuleset,
  diffRuleset,
  loadedTables,
  parseNftJson,
  parseTableComment,
  renderRuleset,
  type FirewallInput,
  type ObservedRuleset,
} from '../../src/kernel/index.js';
import { TABLE_MARK } from '../../src/state/marks.js';
import { isNetdError } from '../../src/errors.js';
import { twoNetworks } from './nft-input.js';

// dist/test/kernel → test/kernel/golden in the source tree.
const golden = (name: string): string => readFileSync(fileURLToPath(new URL(`../../../test/kernel/golden/${name}`, import.meta.url)), 'utf8');

test('golden: two networks, internal, icc false, published ports', () => {
  assert.equal(renderRuleset(twoNetworks), golden('two-networks.nft'));
});

test('rendering is deterministic whatever the input order', () => {
  const shuffled: FirewallInput = { networks: [...twoNetworks.networks].reverse(), ports: [...twoNetworks.ports].reverse() };
  assert.equal(renderRuleset(shuffled), renderRuleset(twoNetworks));
});

const plain = { name: 'n', id: '1', bridge: 'br-n', subnets: { v4: '10.1.0.0/24', v6: 'fd00:1::/64' }, masquerade: true, internal: false, icc: true };
const web = { network: 'n', bridge: 'br-n', containerAddress: '10.1.0.5', containerPort: 80, hostPort: 8080, protocol: 'tcp' as const };

const ruleCases: { name: string; input: FirewallInput; chain: string; want: string[] }[] = [
  {
    name: 'one plain network: masquerade and established only',
    input: { networks: [{ name: 'n', id: '1', bridge: 'br-n', subnets: { v4: '10.1.0.0/24' }, masquerade: true, internal: false, icc: true }], ports: [] },
    chain: 'netd-nat/postrouting',
    want: ['ip saddr 10.1.0.0/24 oifname != "br-n" masquerade'],
  },
  {
    name: 'masquerade off',
    input: { networks: [{ name: 'n', id: '1', bridge: 'br-n', subnets: { v4: '10.1.0.0/24' }, masquerade: false, internal: false, icc: true }], ports: [] },
    chain: 'netd-nat/postrouting',
    want: [],
  },
  {
    name: 'three networks isolate each other',
    input: {
      networks: ['a', 'b', 'c'].map((n, i) => ({
        name: n,
        id: n,
        bridge: `br-${n}`,
        subnets: { v4: `10.${i}.0.0/24` },
        masquerade: false,
        internal: false,
        icc: true,
      })),
      ports: [],
    },
    chain: 'netd/forward',
    want: [
      'ct status dnat accept',
      'iifname "br-a" oifname { "br-b", "br-c" } drop',
      'iifname "br-b" oifname { "br-a", "br-c" } drop',
      'iifname "br-c" oifname { "br-a", "br-b" } drop',
      'ct state established,related accept',
      'oifname "br-a" iifname != "br-a" ip daddr 10.0.0.0/24 drop',
      'oifname "br-b" iifname != "br-b" ip daddr 10.1.0.0/24 drop',
      'oifname "br-c" iifname != "br-c" ip daddr 10.2.0.0/24 drop',
    ],
  },
  {
    name: 'gatewayMode routed: published ports at the container address accepted before the protection drops',
    input: { networks: [{ ...plain, routed: true }], ports: [web, { ...web, containerAddress: 'fd00:1::5', protocol: 'udp' }] },
    chain: 'netd/forward',
    want: [
      'ct status dnat accept',
      'ct state established,related accept',
      'oifname "br-n" ip daddr 10.1.0.5 tcp dport 80 accept',
      'oifname "br-n" ip6 daddr fd00:1::5 udp dport 80 accept',
      'oifname "br-n" iifname != "br-n" ip daddr 10.1.0.0/24 drop',
      'oifname "br-n" iifname != "br-n" ip6 daddr fd00:1::/64 drop',
    ],
  },
  {
    name: 'gatewayMode routed: no masquerade, hairpin and loopback NAT kept',
    input: { networks: [{ ...plain, routed: true }], ports: [web] },
    chain: 'netd-nat/postrouting',
    want: [
      'oifname "br-n" ct status dnat ip saddr 10.1.0.0/24 masquerade',
      'oifname "br-n" ct status dnat ip6 saddr fd00:1::/64 masquerade',
      'oifname "br-n" ip saddr 127.0.0.0/8 masquerade',
    ],
  },
  {
    name: 'nat mode with published ports: subnet, hairpin and loopback masquerade',
    input: { networks: [plain], ports: [web] },
    chain: 'netd-nat/postrouting',
    want: [
      'ip saddr 10.1.0.0/24 oifname != "br-n" masquerade',
      'oifname "br-n" ct status dnat ip saddr 10.1.0.0/24 masquerade',
      'ip6 saddr fd00:1::/64 oifname != "br-n" masquerade',
      'oifname "br-n" ct status dnat ip6 saddr fd00:1::/64 masquerade',
      'oifname "br-n" ip saddr 127.0.0.0/8 masquerade',
    ],
  },
  {
    name: 'route_localnet bridges drop 127.0.0.0/8 before NAT; internal and IPv6-only ones take none',
    input: {
      networks: [
        plain,
        { ...plain, name: 'm', bridge: 'br-m', subnets: { v4: '10.2.0.0/24' } },
        { ...plain, name: 'i', bridge: 'br-i', subnets: { v4: '10.3.0.0/24' }, internal: true },
        { ...plain, name: 'six', bridge: 'br-six', subnets: { v6: 'fd00:6::/64' } },
      ],
      ports: [],
    },
    chain: 'netd/prerouting',
    want: ['iifname { "br-m", "br-n" } ip daddr 127.0.0.0/8 drop'],
  },
  {
    name: 'an overlay takes its other hosts directly; an internal network is not protected twice',
    input: {
      networks: [
        { ...plain, subnets: { v4: '10.5.1.0/24' }, cluster: '10.5.0.0/16' },
        { ...plain, name: 'i', bridge: 'br-i', subnets: { v4: '10.3.0.0/24' }, internal: true },
      ],
      ports: [],
    },
    chain: 'netd/forward',
    want: [
      'iifname "br-i" oifname != "br-i" drop',
      'oifname "br-i" iifname != "br-i" drop',
      'ct status dnat accept',
      'iifname "br-n" oifname "br-i" drop',
      'ct state established,related accept',
      'oifname "br-n" iifname != "br-n" ip daddr 10.5.1.0/24 ip saddr != 10.5.0.0/16 drop',
    ],
  },
  {
    name: 'the host reaches published ports on its addresses and 127.0.0.1, not ::1',
    input: { networks: [plain], ports: [web] },
    chain: 'netd-nat/output',
    want: ['ip6 daddr ::1 return', 'fib daddr type local jump ports'],
  },
  {
    name: 'published port with a host address',
    input: {
      networks: [{ name: 'n', id: '1', bridge: 'br-n', subnets: { v4: '10.1.0.0/24' }, masquerade: false, internal: false, icc: true }],
      ports: [{ network: 'n', bridge: 'br-n', containerAddress: '10.1.0.5', containerPort: 443, hostPort: 8443, protocol: 'tcp', hostIp: '192.0.2.7' }],
    },
    chain: 'netd-nat/ports',
    want: ['ip daddr 192.0.2.7 tcp dport 8443 dnat ip to 10.1.0.5:443'],
  },
];

function chainRules(input: FirewallInput, path: string): string[] {
  const [table, chain] = path.split('/');
  const t = buildRuleset(input).find((x) => x.family === 'inet' && x.name === table)!;
  return t.chains.find((c) => c.name === chain)!.rules;
}

for (const tc of ruleCases) test(`rules: ${tc.name}`, () => assert.deepEqual(chainRules(tc.input, tc.chain), tc.want));

const badInputs: { name: string; input: FirewallInput }[] = [
  {
    name: 'bridge with a quote',
    input: { networks: [{ name: 'n', id: '1', bridge: 'br"x', subnets: {}, masquerade: false, internal: false, icc: true }], ports: [] },
  },
  {
    name: 'host ip family differs',
    input: {
      networks: [],
      ports: [{ network: 'n', bridge: 'b', containerAddress: '10.0.0.1', containerPort: 1, hostPort: 1, protocol: 'tcp', hostIp: 'fd00::1' }],
    },
  },
  {
    name: 'port out of range',
    input: { networks: [], ports: [{ network: 'n', bridge: 'b', containerAddress: '10.0.0.1', containerPort: 1, hostPort: 70000, protocol: 'tcp' }] },
  },
];
for (const tc of badInputs)
  test(`render rejects: ${tc.name}`, () =>
    assert.throws(
      () => buildRuleset(tc.input),
      (e) => isNetdError(e, 'invalid'),
    ));

/** What the kernel would report right after applying `input` (as `nft -j` would list it: with handles). */
function observedFrom(input: FirewallInput): ObservedRuleset {
  const tables = loadedTables(buildRuleset(input));
  return { tables: tables.map((t) => ({ ...t, chains: t.chains.map((c) => ({ ...c, rules: c.rules.map((r, i) => ({ handle: i + 1, ...r })) })) })) };
}

test('diff: an applied ruleset diffs to nothing', () => {
  assert.deepEqual(diffRuleset(buildRuleset(twoNetworks), observedFrom(twoNetworks)), []);
});

test('diff: missing table, missing and extra rules, order', () => {
  const have = observedFrom(twoNetworks);
  have.tables = have.tables.filter((t) => t.family !== 'bridge');
  const fwd = have.tables[0]!.chains[0]!;
  fwd.rules.push({ handle: 99 });
  const noPorts = { ...twoNetworks, ports: [] };
  const d = diffRuleset(buildRuleset(noPorts), have);
  assert.ok(d.includes('table bridge netd: missing'), d.join('\n'));
  assert.ok(d.includes('table inet netd chain forward: extra rule (handle 99)'), d.join('\n'));
  assert.ok(
    d.some((x) => /chain ports: extra rule/.test(x)),
    d.join('\n'),
  );
  // Kept from netd's own load (nft-cache.ts): no handles, a stale rule named by its comment.
  const kept = { tables: loadedTables(buildRuleset(twoNetworks)) };
  assert.ok(
    diffRuleset(buildRuleset(noPorts), kept).some((x) => /^table inet netd-nat chain ports: extra rule \(comment "netd:[0-9a-f]{16}"\)$/.test(x)),
    diffRuleset(buildRuleset(noPorts), kept).join('\n'),
  );
  const swapped = observedFrom(twoNetworks);
  swapped.tables[0]!.chains[0]!.rules.reverse();
  assert.deepEqual(diffRuleset(buildRuleset(twoNetworks), swapped), ['table inet netd chain forward: rules out of order']);
});

test('parseNftJson reads chains, hooks and comments', () => {
  const json = JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6' } },
      { table: { family: 'inet', name: 'netd', handle: 1 } },
      { chain: { family: 'inet', table: 'netd', name: 'forward', handle: 1, type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } },
      { rule: { family: 'inet', table: 'netd', chain: 'forward', handle: 2, comment: 'netd:abc', expr: [] } },
    ],
  });
  assert.deepEqual(parseNftJson('inet', 'netd', json), {
    family: 'inet',
    name: 'netd',
    marked: false,
    chains: [{ name: 'forward', base: { type: 'filter', hook: 'forward', priority: 0, policy: 'accept' }, rules: [{ handle: 2, comment: 'netd:abc' }] }],
  });
});

test('diff: a netd-named table without the marker is foreign, whatever it holds', () => {
  const have = observedFrom(twoNetworks);
  have.tables[0]!.marked = false;
  assert.deepEqual(diffRuleset(buildRuleset(twoNetworks), have), ["table inet netd exists and is not netd's (no netd marker)"]);
});

const listing = (comment: string | undefined): string =>
  ['table inet netd {', ...(comment === undefined ? [] : [`\tcomment ${comment}`]), '\tchain forward {', '\t\tcomment "x"', '\t}', '}', ''].join('\n');

for (const tc of [
  { name: "netd's marker", text: listing(`"${TABLE_MARK}"`), want: TABLE_MARK, marked: true },
  { name: 'another comment', text: listing('"mine"'), want: 'mine', marked: false },
  { name: 'an escaped quote', text: listing('"a \\"b\\""'), want: 'a \\"b\\"', marked: false },
  { name: 'no table comment (a chain comment does not count)', text: listing(undefined), want: undefined, marked: false },
]) {
  test(`parseTableComment: ${tc.name}`, () => {
    assert.equal(parseTableComment(tc.text), tc.want);
    assert.equal(parseNftJson('inet', 'netd', '{"nftables":[]}', parseTableComment(tc.text)).marked, tc.marked);
  });
}

test('parseNftJson: a table comment in the JSON (newer nft) marks it too', () => {
  const json = JSON.stringify({ nftables: [{ table: { family: 'inet', name: 'netd', handle: 1, comment: TABLE_MARK } }] });
  assert.equal(parseNftJson('inet', 'netd', json).marked, true);
});

test('render: every table carries the marker, on the line the observer reads', () => {
  const text = renderRuleset(twoNetworks);
  for (const t of buildRuleset(twoNetworks)) {
    const block = text.slice(text.indexOf(`table ${t.family} ${t.name} {`));
    assert.equal(parseTableComment(block), TABLE_MARK, `${t.family} ${t.name}`);
  }
});
