/**
 * Hosts racing for subnets on one store: every acquirer ends with its own subnet, lost races
 * are retried, and a lease granted for a claim that never landed is revoked. Attempts are
 * counted, never timed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNetdError } from '../../src/errors.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Condition, Op, TxnResult } from '../../src/store/store.js';
import { SubnetManager, type Acquired, type HostClaim, type OverlayNetwork } from '../../src/cluster/manager.js';
import { PODS, SMALL, TTL, cluster, hostA, leaseKey, seeded } from './fixture.js';

const hosts = (n: number): HostClaim[] =>
  Array.from({ length: n }, (_, i) => ({
    hostId: i.toString(16).padStart(32, '0'),
    publicIp: `192.0.2.${i + 10}`,
    vtepMac: `02:00:00:00:01:${i.toString(16).padStart(2, '0')}`,
  }));

async function startTogether(random: (i: number) => () => number, maxAttempts?: number): Promise<Acquired[]> {
  const c = cluster();
  return Promise.all(hosts(20).map((h, i) => c.manager({ random: random(i), ...(maxAttempts ? { maxAttempts } : {}) }).acquire(PODS, h)));
}

test('race: 20 hosts starting at once on one store all end with distinct subnets, in few attempts', async () => {
  const got = await startTogether((i) => seeded(1000 + i));
  assert.equal(new Set(got.map((g) => g.subnet)).size, 20);
  assert.equal(new Set(got.map((g) => g.leaseId)).size, 20);
  assert.equal(got.filter((g) => g.config === 'created').length, 1, 'one host wrote the config, the others matched it');
  const attempts = got.map((g) => g.attempts);
  assert.ok(Math.max(...attempts) <= 4, `attempts per host: ${attempts.join(' ')}`);
  assert.ok(attempts.reduce((a, b) => a + b) <= 40, `attempts per host: ${attempts.join(' ')}`);
});

test('race: lowest-free instead of random makes the same start take many more attempts (why random)', async () => {
  const random = await startTogether((i) => seeded(1000 + i));
  const lowest = await startTogether(() => () => 0, 40);
  assert.equal(new Set(lowest.map((g) => g.subnet)).size, 20);
  assert.ok(Math.max(...lowest.map((g) => g.attempts)) > 2 * Math.max(...random.map((g) => g.attempts)));
});

/** A store where a rival host claims the subnet just before each of the first `losses` claims. */
class RivalStore extends MemoryStore {
  constructor(
    now: () => number,
    private losses: number,
  ) {
    super({ now });
  }
  override async txn(conditions: readonly Condition[], ops: readonly Op[]): Promise<TxnResult> {
    const claim = ops.find((o) => o.type === 'put' && o.lease !== undefined);
    if (claim && this.losses-- > 0) await super.put(claim.key, { hostId: 'f'.repeat(32), publicIp: '192.0.2.250' });
    return super.txn(conditions, ops);
  }
}

function rival(losses: number, opts: { maxAttempts?: number; net?: OverlayNetwork } = {}): { store: RivalStore; manager: SubnetManager; granted: string[] } {
  const store = new RivalStore(() => 0, losses);
  const granted: string[] = [];
  const grant = store.leases.grant.bind(store.leases);
  store.leases.grant = async (ttl) => {
    const id = await grant(ttl);
    granted.push(id);
    return id;
  };
  const manager = new SubnetManager(store, {
    prefix: '/netd',
    leaseTtl: TTL,
    random: seeded(7),
    ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
  });
  return { store, manager, granted };
}

test('race: a lost claim is retried on the same granted lease', async () => {
  const { store, manager, granted } = rival(1);
  const got = await manager.acquire(PODS, hostA);
  assert.deepEqual([got.outcome, got.attempts, granted], ['new', 2, [got.leaseId]]);
  assert.equal((await store.get(leaseKey(PODS, got.subnet)))?.lease, got.leaseId);
});

test('race: every claim lost: a retry error, and the granted lease is revoked', async () => {
  const { store, manager, granted } = rival(100, { maxAttempts: 3 });
  await assert.rejects(manager.acquire(PODS, hostA), (e) => isNetdError(e, 'retry') && /lost the race for a subnet 3 times in a row/.test(e.message));
  assert.equal(granted.length, 1);
  assert.equal(await store.leases.timeToLive(granted[0]!), undefined);
});

test('race: the last free subnet lost to a rival: range full, and the granted lease is revoked', async () => {
  const { store, manager, granted } = rival(1);
  await store.put(leaseKey(SMALL, '10.89.1.0/24'), { hostId: 'e'.repeat(32), publicIp: '192.0.2.251' });
  await store.put(leaseKey(SMALL, '10.89.2.0/24'), { hostId: 'e'.repeat(32), publicIp: '192.0.2.252' });
  await assert.rejects(
    manager.acquire(SMALL, hostA),
    (e) => isNetdError(e, 'conflict') && /no free \/24 left in 10\.89\.0\.0\/22 \(3 subnets: 0 leased, 3 reserved\)/.test(e.message),
  );
  assert.equal(granted.length, 1);
  assert.equal(await store.leases.timeToLive(granted[0]!), undefined);
});
