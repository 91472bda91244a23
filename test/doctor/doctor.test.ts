/**
 * netd doctor on a real kernel (inside the throwaway host): healthy after an apply; each
 * planted problem is found with the command that fixes it, and running that fix (or netd's
 * own) makes the host healthy again. Doctor itself writes nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { kernelSkip as skip } from '../helpers/kernel.js';
import { TestHost } from '../helpers/netd.js';
import type { Check } from '../../src/reconcile/doctor.js';
import { ENDPOINTS, IPAM, type AllocationRecord, type EndpointRecord } from '../../src/state/records.js';

const TWO = `version: 1
networks:
  front: { subnet: 10.91.0.0/24 }
containers:
  web: {}
  api: {}
attachments:
  - { container: web, network: front, ipv4: 10.91.0.10 }
  - { container: api, network: front }
`;
const STRANGER = 'f'.repeat(64);

const run = (argv: string[]): string => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });

let host: TestHost;
before(() => {
  host = new TestHost();
});
after(async () => {
  if (!skip) await host.teardown();
});

async function doctor(): Promise<{ code: number; checks: Check[]; stderr: string }> {
  const r = await host.cli(['doctor', '-o', 'json']);
  return { code: r.code, checks: JSON.parse(r.stdout) as Check[], stderr: r.stderr };
}

const problems = (checks: Check[]): Check[] => checks.filter((c) => c.status === 'problem');

test('healthy after an apply: every check ok, exit 0', { skip }, async () => {
  assert.equal((await host.apply(TWO)).code, 0);
  const d = await doctor();
  assert.deepEqual(problems(d.checks), []);
  assert.equal(d.code, 0);
  assert.deepEqual([...new Set(d.checks.map((c) => c.group))], ['prerequisites', 'store', 'leaks']);
  assert.match(d.stderr, /healthy/);
});

interface Case {
  name: string;
  plant(): Promise<void> | void;
  /** group/name of the check that must report the problem, its detail and its fix. */
  check: string;
  detail: RegExp;
  fix: RegExp;
  /** Undoes the plant (the fix itself where doctor's fix is a plain command). */
  repair(): Promise<void> | void;
}

const cases: Case[] = [
  {
    name: 'a link with a netd alias the store does not know is a leak, fixed by ip link del',
    plant() {
      run(['ip', 'link', 'add', 'ndleak0', 'type', 'bridge']);
      run(['ip', 'link', 'set', 'ndleak0', 'alias', `netd:endpoint:${STRANGER}`]);
    },
    check: 'leaks/links',
    detail: new RegExp(`link ndleak0 carries netd:endpoint:${STRANGER}, but no such endpoint is recorded`),
    fix: /^ip link del ndleak0$/,
    repair: () => void run(['ip', 'link', 'del', 'ndleak0']),
  },
  {
    name: 'another table dropping forwarded traffic by policy (iptables FORWARD DROP) is reported',
    plant() {
      run(['nft', 'add', 'table', 'ip', 'filter']);
      run(['nft', 'add', 'chain', 'ip', 'filter', 'FORWARD', '{ type filter hook forward priority 0; policy drop; }']);
    },
    check: 'prerequisites/forward policy',
    detail: /table ip filter chain FORWARD \(hook forward\) has policy drop/,
    fix: /iptables -P FORWARD ACCEPT/,
    repair: () => void run(['nft', 'delete', 'table', 'ip', 'filter']),
  },
  {
    name: 'a recorded namespace that is gone is reported, fixed by netd apply',
    plant: () => void run(['ip', 'netns', 'del', 'api']),
    check: 'leaks/namespaces',
    detail: /container "api": namespace api is recorded but missing/,
    fix: /^netd apply -f PATH\.\.\. --state-dir /,
    async repair() {
      assert.equal((await host.apply(TWO)).code, 0);
    },
  },
  {
    name: 'an allocation whose endpoint is not recorded is reported with its store key',
    async plant() {
      const e = await host.engine();
      const [a] = await e.store.list<AllocationRecord>(IPAM);
      await e.store.put(`${IPAM}${a!.value.networkId}/4/10.91.0.99`, { ...a!.value, address: '10.91.0.99', endpointId: STRANGER, owner: 'ghost/front' });
      await e.store.close();
    },
    check: 'leaks/allocations',
    detail: /10\.91\.0\.99 \(ghost\/front\) is allocated to endpoint ffffffffffff…, which is not recorded/,
    fix: /remove store key netd\/v1\/ipam\/[0-9a-f]{64}\/4\/10\.91\.0\.99/,
    async repair() {
      const e = await host.engine();
      const key = (await e.store.list<AllocationRecord>(IPAM)).find((kv) => kv.value.endpointId === STRANGER)!.key;
      await e.store.delete(key);
      await e.store.close();
    },
  },
  {
    name: 'a record left in creating (an interrupted apply) is reported, fixed by netd apply',
    async plant() {
      const e = await host.engine();
      const [ep] = await e.store.list<EndpointRecord>(ENDPOINTS);
      await e.store.put(ep!.key, { ...ep!.value, state: 'creating' });
      await e.store.close();
    },
    check: 'store/interrupted',
    detail: /an apply was interrupted: attachment "\w+\/front" creating/,
    fix: /^netd apply -f PATH\.\.\./,
    async repair() {
      assert.equal((await host.apply(TWO)).code, 0);
    },
  },
];

for (const tc of cases) {
  test(tc.name, { skip }, async () => {
    await tc.plant();
    try {
      const d = await doctor();
      assert.equal(d.code, 1);
      const found = problems(d.checks);
      assert.equal(found.length, 1, JSON.stringify(found, null, 2));
      assert.equal(`${found[0]!.group}/${found[0]!.name}`, tc.check);
      assert.match(found[0]!.detail, tc.detail);
      assert.match(found[0]!.fix ?? '', tc.fix);
    } finally {
      await tc.repair();
    }
    const again = await doctor();
    assert.deepEqual(problems(again.checks), [], 'healthy after the fix');
  });
}

test('doctor writes nothing: the store revision and the kernel stay as they were', { skip }, async () => {
  const e = await host.engine();
  const rev = await e.store.revision();
  await e.store.close();
  const ruleset = run(['nft', 'list', 'ruleset']);
  const links = run(['ip', '-o', 'link', 'show']);
  await doctor();
  const e2 = await host.engine();
  assert.equal(await e2.store.revision(), rev);
  await e2.store.close();
  assert.equal(run(['nft', 'list', 'ruleset']), ruleset);
  assert.equal(run(['ip', '-o', 'link', 'show']), links);
});
