/**
 * The one comparer, pure and table-driven: expected objects + a snapshot → ops and the reasons
 * printed for them, the problems netd will not fix, the undo of what it creates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compare, opsOf, reasonsOf } from '../../src/drivers/compare.js';
import type { Expected, LinkWant } from '../../src/drivers/expect.js';
import type { KernelOp } from '../../src/kernel/ops.js';
import type { KernelView, LinkView, NamespaceView } from '../../src/state/view.js';

const MARK = 'netd:network:n1';
const EP = 'netd:endpoint:e1';
const bridgeWant: LinkWant = {
  ns: undefined,
  name: 'br0',
  what: 'bridge br0',
  kind: 'bridge',
  mtu: 1500,
  alias: MARK,
  owner: MARK,
  addresses: ['10.1.0.1/24'],
  exclusive: true,
};
const bridge: Expected = { type: 'link', want: bridgeWant, create: { op: 'link-add', kind: 'bridge', name: 'br0', mtu: 1500, alias: MARK } };
const hostWant: LinkWant = { ns: undefined, name: 'nd1', what: 'veth nd1', master: 'br0', mtu: 1500, alias: EP, owner: EP };
const peerWant: LinkWant = {
  ns: 'web',
  name: 'eth0',
  what: 'interface eth0 in web',
  mtu: 1500,
  alias: EP,
  owner: EP,
  addresses: ['10.1.0.2/24'],
  exclusive: true,
};
const pairCreate: KernelOp = { op: 'link-add', kind: 'veth', name: 'nd1', mtu: 1500, alias: EP, peer: { name: 'eth0', ns: 'web', mtu: 1500 } };
const pair: Expected = { type: 'pair', host: hostWant, peer: peerWant, create: pairCreate };

const goodBridge: LinkView = { name: 'br0', index: 3, kind: 'bridge', mtu: 1500, alias: MARK, up: true };
const goodHost: LinkView = { name: 'nd1', index: 4, kind: 'veth', mtu: 1500, alias: EP, master: 'br0', up: true, peerIndex: 2 };
const goodPeer: LinkView = { name: 'eth0', index: 2, kind: 'veth', mtu: 1500, alias: EP, up: true, peerIndex: 4 };
const lo: LinkView = { name: 'lo', index: 1, up: true };

/** The link without netd's mark. */
const unmarked = <T extends { alias?: string }>(l: T): Omit<T, 'alias'> => {
  const { alias: _alias, ...rest } = l;
  return rest;
};

function kernel(o: { host?: LinkView[]; hostAddrs?: string[]; web?: NamespaceView | null; listed?: boolean } = {}): KernelView {
  const web = o.web === undefined ? { links: [lo, goodPeer], addresses: [{ dev: 'eth0', cidr: '10.1.0.2/24' }], routes: [] } : o.web;
  return {
    host: { links: o.host ?? [goodBridge, goodHost], addresses: (o.hostAddrs ?? ['10.1.0.1/24']).map((cidr) => ({ dev: 'br0', cidr })), routes: [] },
    netnsNames: new Set(o.listed === false ? [] : ['web']),
    sandboxes: new Map([['web', web]]),
    files: new Map(),
    firewall: [],
  };
}

interface Case {
  readonly name: string;
  readonly expected: Expected[];
  readonly kernel: KernelView;
  readonly reasons: string[];
  readonly ops: KernelOp[];
  readonly problems?: string[];
  readonly undo?: KernelOp[];
  readonly rebuilt?: boolean;
}

const cases: Case[] = [
  { name: 'in sync: nothing', expected: [bridge, pair], kernel: kernel(), reasons: [], ops: [] },
  {
    name: 'a missing bridge is created with its mark, brought up and addressed; its undo deletes it',
    expected: [bridge],
    kernel: kernel({ host: [], hostAddrs: [] }),
    reasons: ['bridge br0 missing'],
    ops: [
      { op: 'link-add', kind: 'bridge', name: 'br0', mtu: 1500, alias: MARK },
      { op: 'link-set', name: 'br0', up: true },
      { op: 'addr-add', dev: 'br0', cidr: '10.1.0.1/24' },
    ],
    undo: [{ op: 'link-del', name: 'br0' }],
    rebuilt: true,
  },
  {
    name: 'a veth with published ports gets hairpin mode; one without loses it',
    expected: [
      { ...pair, host: { ...hostWant, hairpin: true } },
      { ...pair, host: { ...hostWant, name: 'nd2', what: 'veth nd2', hairpin: false }, peer: { ...peerWant, name: 'eth1', addresses: [] } },
    ],
    kernel: kernel({
      host: [goodBridge, { ...goodHost, hairpin: false }, { ...goodHost, name: 'nd2', index: 5, peerIndex: 6, hairpin: true }],
      web: { links: [lo, goodPeer, { ...goodPeer, name: 'eth1', index: 6, peerIndex: 5 }], addresses: [{ dev: 'eth0', cidr: '10.1.0.2/24' }], routes: [] },
    }),
    reasons: ['veth nd1 hairpin off → on', 'veth nd2 hairpin on → off'],
    ops: [
      { op: 'link-set', name: 'nd1', hairpin: true },
      { op: 'link-set', name: 'nd2', hairpin: false },
    ],
  },
  {
    name: 'a bridge down with another mtu: one link-set, a reason per field',
    expected: [bridge],
    kernel: kernel({ host: [{ ...goodBridge, up: false, mtu: 1400 }, goodHost] }),
    reasons: ['bridge br0 down → up', 'bridge br0 mtu 1400 → 1500'],
    ops: [{ op: 'link-set', name: 'br0', up: true, mtu: 1500 }],
  },
  {
    name: 'an address nobody declared on netd’s bridge goes; a missing one is added',
    expected: [bridge],
    kernel: kernel({ hostAddrs: ['10.9.0.1/24'] }),
    reasons: ['bridge br0 address 10.1.0.1/24 missing', 'bridge br0 address 10.9.0.1/24 not declared'],
    ops: [
      { op: 'addr-add', dev: 'br0', cidr: '10.1.0.1/24' },
      { op: 'addr-del', dev: 'br0', cidr: '10.9.0.1/24' },
    ],
  },
  {
    name: 'an adopted bridge keeps its own addresses',
    expected: [{ type: 'link', want: { ...unmarked((({ owner: _owner, ...w }) => w)(bridgeWant)), exclusive: false } }],
    kernel: kernel({ host: [unmarked(goodBridge)], hostAddrs: ['10.1.0.1/24', '192.168.5.1/24'] }),
    reasons: [],
    ops: [],
  },
  {
    name: 'a bridge by netd’s name without netd’s mark is a problem, never changed',
    expected: [bridge],
    kernel: kernel({ host: [{ ...unmarked(goodBridge), up: false }], hostAddrs: [] }),
    reasons: ["bridge br0 exists and is not netd's (no netd mark)"],
    problems: ["bridge br0 exists and is not netd's (no netd mark)"],
    ops: [],
  },
  {
    name: 'an unmarked bridge of a record still creating is netd’s own: it is marked',
    expected: [{ ...bridge, want: { ...bridgeWant, unmarkedIsMine: true } }],
    kernel: kernel({ host: [unmarked(goodBridge)] }),
    reasons: ['bridge br0 alias none → netd:network:n1'],
    ops: [{ op: 'link-set', name: 'br0', alias: MARK }],
  },
  {
    name: 'a pair made whole: create with the peer in its namespace, then each end',
    expected: [pair],
    kernel: kernel({ host: [goodBridge], web: { links: [lo], addresses: [], routes: [] } }),
    reasons: ['veth nd1 missing'],
    ops: [
      pairCreate,
      { op: 'link-set', name: 'nd1', up: true, master: 'br0' },
      { op: 'link-set', name: 'eth0', ns: 'web', up: true, alias: EP },
      { op: 'addr-add', dev: 'eth0', cidr: '10.1.0.2/24', ns: 'web' },
    ],
    undo: [{ op: 'link-del', name: 'nd1' }],
    rebuilt: true,
  },
  {
    name: 'half a pair (the peer gone): the host end is deleted and the pair made again',
    expected: [pair],
    kernel: kernel({ web: { links: [lo], addresses: [], routes: [] } }),
    reasons: ['interface eth0 in web missing'],
    ops: [
      { op: 'link-del', name: 'nd1' },
      pairCreate,
      { op: 'link-set', name: 'nd1', up: true, master: 'br0' },
      { op: 'link-set', name: 'eth0', ns: 'web', up: true, alias: EP },
      { op: 'addr-add', dev: 'eth0', cidr: '10.1.0.2/24', ns: 'web' },
    ],
    undo: [{ op: 'link-del', name: 'nd1' }],
    rebuilt: true,
  },
  {
    name: 'an interface by that name in the namespace that is not netd’s (an adopted eth0) is a problem',
    expected: [pair],
    kernel: kernel({ host: [goodBridge], web: { links: [lo, { ...unmarked(goodPeer), peerIndex: 9 }], addresses: [], routes: [] } }),
    reasons: ["interface eth0 in web exists and is not netd's (no netd mark)"],
    problems: ["interface eth0 in web exists and is not netd's (no netd mark)"],
    ops: [],
  },
  {
    name: 'a peer not marked yet whose partner is netd’s veth (a crash between the batches) is finished',
    expected: [pair],
    kernel: kernel({ web: { links: [lo, { ...unmarked(goodPeer), up: false }], addresses: [], routes: [] } }),
    reasons: ['interface eth0 in web down → up', 'interface eth0 in web alias none → netd:endpoint:e1', 'interface eth0 in web address 10.1.0.2/24 missing'],
    ops: [
      { op: 'link-set', name: 'eth0', ns: 'web', up: true, alias: EP },
      { op: 'addr-add', dev: 'eth0', cidr: '10.1.0.2/24', ns: 'web' },
    ],
  },
  {
    name: 'a namespace netd creates: netns add and its loopback up; undone by netns del',
    expected: [
      { type: 'namespace', ref: 'web', name: 'web' },
      { type: 'link', want: { ns: 'web', name: 'lo', what: 'loopback in web' } },
    ],
    kernel: kernel({ web: null, listed: false }),
    reasons: ['namespace web missing'],
    ops: [
      { op: 'netns-add', name: 'web' },
      { op: 'link-set', ns: 'web', name: 'lo', up: true },
    ],
    undo: [{ op: 'netns-del', name: 'web' }],
  },
  {
    name: 'a listed namespace that cannot be entered (an interrupted netns add) is deleted first',
    expected: [{ type: 'namespace', ref: 'web', name: 'web' }],
    kernel: kernel({ web: null }),
    reasons: ['namespace web missing'],
    ops: [
      { op: 'netns-del', name: 'web' },
      { op: 'netns-add', name: 'web' },
      { op: 'link-set', ns: 'web', name: 'lo', up: true },
    ],
    undo: [{ op: 'netns-del', name: 'web' }],
  },
  {
    name: 'a namespace netd did not create is not made: a problem',
    expected: [{ type: 'namespace', ref: '/proc/77/ns/net' }],
    kernel: kernel(),
    reasons: ['namespace /proc/77/ns/net missing'],
    problems: ['namespace /proc/77/ns/net missing'],
    ops: [],
  },
  {
    name: 'a default route that differs is replaced; the same one is left',
    expected: [{ type: 'route', ns: 'web', family: 4, via: '10.1.0.1', dev: 'eth0' }],
    kernel: kernel({ web: { links: [lo, goodPeer], addresses: [], routes: [{ dst: 'default', via: '10.1.0.254', dev: 'eth0', family: 4 }] } }),
    reasons: ['default route via 10.1.0.1 dev eth0 in web missing'],
    ops: [{ op: 'route-replace', ns: 'web', dst: 'default', family: 4, via: '10.1.0.1', dev: 'eth0', proto: 78 }],
  },
  {
    name: 'a route through a rebuilt interface is written again',
    expected: [{ type: 'route', ns: 'web', family: 4, via: '10.1.0.1', dev: 'eth0', rewrite: true }],
    kernel: kernel({ web: { links: [lo, goodPeer], addresses: [], routes: [{ dst: 'default', via: '10.1.0.1', dev: 'eth0', family: 4 }] } }),
    reasons: ['default route via 10.1.0.1 dev eth0 in web rewritten (its interface is rebuilt)'],
    ops: [{ op: 'route-replace', ns: 'web', dst: 'default', family: 4, via: '10.1.0.1', dev: 'eth0', proto: 78 }],
  },
];

for (const tc of cases) {
  test(`compare: ${tc.name}`, () => {
    const c = compare(tc.expected, tc.kernel);
    assert.deepEqual(reasonsOf(c), tc.reasons);
    assert.deepEqual(opsOf(c), tc.ops);
    assert.deepEqual(c.problems, tc.problems ?? []);
    if (tc.undo) assert.deepEqual(c.undo, tc.undo);
    assert.equal(c.rebuilt, tc.rebuilt ?? false);
  });
}
