/** IPAM allocation rules, one named case each. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isNetdError } from '../../src/errors.js';
import type { DesiredState } from '../../src/desired/types.js';
import type { FamilyRecord } from '../../src/state/records.js';
import { attachment, desired, fam, network, setup } from './fixtures.js';

type Step = string | { owner: string; static?: string } | { release: string };
interface Case {
  name: string;
  v4?: FamilyRecord;
  v6?: FamilyRecord;
  family?: 4 | 6;
  desired?: DesiredState;
  steps: Step[]; // an owner name allocates dynamically
  want: (string | RegExp)[]; // per allocate step: the address, or the error it throws
}

const v24 = fam('10.88.0.0/24', '10.88.0.1');
const cases: Case[] = [
  { name: 'first dynamic address follows the gateway', v4: v24, steps: ['a', 'b'], want: ['10.88.0.2', '10.88.0.3'] },
  { name: 'a declared gateway is skipped wherever it is', v4: fam('10.88.0.0/24', '10.88.0.2'), steps: ['a', 'b'], want: ['10.88.0.1', '10.88.0.3'] },
  {
    name: 'reserved addresses are never handed out',
    v4: fam('10.88.0.0/24', '10.88.0.1', { reserved: ['10.88.0.2', '10.88.0.4'] }),
    steps: ['a', 'b'],
    want: ['10.88.0.3', '10.88.0.5'],
  },
  { name: 'dynamic addresses come from ipRange', v4: fam('10.88.0.0/24', '10.88.0.1', { ipRange: '10.88.0.128/25' }), steps: ['a'], want: ['10.88.0.128'] },
  {
    name: 'an ipRange at the top of the subnet never yields the broadcast address',
    v4: fam('10.88.0.0/24', '10.88.0.1', { ipRange: '10.88.0.252/30' }),
    steps: ['a', 'b', 'c', 'd'],
    want: ['10.88.0.252', '10.88.0.253', '10.88.0.254', /no free address left in 10\.88\.0\.252\/30 \(3 in use\)/],
  },
  { name: '/30: network and broadcast excluded', v4: fam('10.88.0.0/30', '10.88.0.1'), steps: ['a', 'b'], want: ['10.88.0.2', /no free address/] },
  { name: '/31: both addresses usable', v4: fam('10.88.0.0/31', '10.88.0.0'), steps: ['a', 'b'], want: ['10.88.0.1', /no free address/] },
  {
    name: '/32: the one address is the gateway',
    v4: fam('10.88.0.7/32', '10.88.0.7'),
    steps: ['a'],
    want: [/no free address left in 10\.88\.0\.7\/32 \(0 in use\)/],
  },
  { name: 'IPv6: first dynamic follows the gateway', family: 6, v6: fam('fd00:88::/64', 'fd00:88::1'), steps: ['a'], want: ['fd00:88::2'] },
  {
    name: 'IPv6: the subnet-router anycast address is never handed out',
    family: 6,
    v6: fam('fd00:88::/64', 'fd00:88::3', { ipRange: 'fd00:88::/126' }),
    steps: ['a', 'b', 'c'],
    want: ['fd00:88::1', 'fd00:88::2', /no free address/],
  },
  { name: 'IPv6 /127: both addresses usable', family: 6, v6: fam('fd00:88::/127', 'fd00:88::'), steps: ['a'], want: ['fd00:88::1'] },
  { name: 'stable: the same owner gets the same address back', v4: v24, steps: ['a', 'b', 'a'], want: ['10.88.0.2', '10.88.0.3', '10.88.0.2'] },
  {
    name: 'lowest free: a released address is handed out next',
    v4: v24,
    steps: ['a', 'b', 'c', { release: 'b' }, 'd'],
    want: ['10.88.0.2', '10.88.0.3', '10.88.0.4', '10.88.0.3'],
  },
  {
    name: 'static addresses declared anywhere are reserved before dynamic ones',
    v4: v24,
    desired: desired({ attachments: [attachment('late', 'net', '10.88.0.2'), attachment('other', 'elsewhere', '10.88.0.3')] }),
    steps: ['a', { owner: 'late', static: '10.88.0.2' }, 'b'],
    want: ['10.88.0.3', '10.88.0.2', '10.88.0.4'],
  },
  {
    name: 'static: the declared address, even outside ipRange',
    v4: fam('10.88.0.0/24', '10.88.0.1', { ipRange: '10.88.0.128/25' }),
    steps: [{ owner: 'a', static: '10.88.0.9' }],
    want: ['10.88.0.9'],
  },
  { name: 'static: outside the subnet', v4: v24, steps: [{ owner: 'a', static: '10.89.0.9' }], want: [/10\.89\.0\.9 is outside subnet 10\.88\.0\.0\/24/] },
  { name: 'static: the gateway', v4: v24, steps: [{ owner: 'a', static: '10.88.0.1' }], want: [/is the gateway/] },
  { name: 'static: the network address', v4: v24, steps: [{ owner: 'a', static: '10.88.0.0' }], want: [/is the network address/] },
  { name: 'static: the broadcast address', v4: v24, steps: [{ owner: 'a', static: '10.88.0.255' }], want: [/is the broadcast address/] },
  {
    name: 'static: reserved',
    v4: fam('10.88.0.0/24', '10.88.0.1', { reserved: ['10.88.0.5'] }),
    steps: [{ owner: 'a', static: '10.88.0.5' }],
    want: [/is reserved/],
  },
  {
    name: 'static: the IPv6 anycast address',
    family: 6,
    v6: fam('fd00:88::/64', 'fd00:88::1'),
    steps: [{ owner: 'a', static: 'fd00:88::' }],
    want: [/subnet-router anycast/],
  },
  { name: 'static: wrong family', v4: v24, steps: [{ owner: 'a', static: 'fd00::1' }], want: [/is not an IPv4 address/] },
  {
    name: 'static: held by another owner',
    v4: v24,
    steps: ['a', { owner: 'b', static: '10.88.0.2' }],
    want: ['10.88.0.2', /address 10\.88\.0\.2 already in use by "a\/net"/],
  },
  {
    name: 'static: declared for another owner',
    v4: v24,
    desired: desired({ attachments: [attachment('b', 'net', '10.88.0.9')] }),
    steps: [{ owner: 'a', static: '10.88.0.9' }],
    want: [/address 10\.88\.0\.9 is declared for "b\/net"/],
  },
  {
    name: 'static: differs from what the owner holds',
    v4: v24,
    steps: ['a', { owner: 'a', static: '10.88.0.9' }],
    want: ['10.88.0.2', /holds 10\.88\.0\.2, not 10\.88\.0\.9; release it first/],
  },
  { name: 'a network without that family', v4: v24, family: 6, steps: ['a'], want: [/network "net" has no IPv6 subnet/] },
];

describe('ipam allocate', () => {
  for (const tc of cases) {
    test(tc.name, async () => {
      const { ipam } = await setup([network('net', tc.v4, tc.v6)], tc.desired ?? desired());
      const got: (string | RegExp)[] = [];
      for (const s of tc.steps) {
        if (typeof s === 'object' && 'release' in s) {
          ipam.release('id-net', `${s.release}/net`);
          continue;
        }
        const { owner, static: st } = typeof s === 'string' ? { owner: s, static: undefined } : s;
        const req = {
          networkId: 'id-net',
          family: tc.family ?? 4,
          owner: `${owner}/net`,
          endpointId: `ep-${owner}`,
          ...(st !== undefined ? { static: st } : {}),
        };
        try {
          got.push(ipam.allocate(req).address);
        } catch (e) {
          const want = tc.want[got.length];
          assert.ok(want instanceof RegExp && isNetdError(e) && want.test(e.message), `step ${got.length}: ${String(e)}`);
          got.push(want);
        }
      }
      assert.deepEqual(got, tc.want);
    });
  }

  test('an unknown network is not-found', async () => {
    const { ipam } = await setup([]);
    assert.throws(
      () => ipam.allocate({ networkId: 'nope', family: 4, owner: 'a/x', endpointId: 'e' }),
      (e: unknown) => isNetdError(e, 'not-found'),
    );
  });

  test('ops and conditions: a new address must be absent; a held one is returned with no ops', async () => {
    const { store, ipam } = await setup([network('net', v24)]);
    const a = ipam.allocate({ networkId: 'id-net', family: 4, owner: 'a/net', endpointId: 'ep-a' });
    const key = 'netd/v1/ipam/id-net/4/10.88.0.2';
    assert.deepEqual(a.conditions, [{ key, modRevision: 0 }]);
    assert.deepEqual(a.ops, [
      { type: 'put', key, value: { networkId: 'id-net', family: 4, address: '10.88.0.2', owner: 'a/net', endpointId: 'ep-a', static: false } },
    ]);
    assert.equal((await store.txn(a.conditions, a.ops)).succeeded, true);
    assert.deepEqual(ipam.allocate({ networkId: 'id-net', family: 4, owner: 'a/net', endpointId: 'ep-a' }), { address: '10.88.0.2', ops: [], conditions: [] });
    assert.deepEqual(ipam.release('id-net', 'a/net'), [{ type: 'delete', key }]);
    assert.deepEqual(ipam.release('id-net', 'a/net'), []);
  });
});
