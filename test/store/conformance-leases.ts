/**
 * The lease capability of the Store conformance suite: runs for stores that have `leases`
 * (memory on a fake clock, etcd in real time with TTLs of 1-2 s), skipped for the others.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { isNetdError } from '../../src/errors.js';
import type { Leases, Store } from '../../src/store/store.js';
import { collect, using } from './conformance.js';

const isNotFound = (e: unknown): boolean => isNetdError(e, 'not-found');

/** Polls until check() holds (bounded): real stores expire leases on their own schedule. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting until ${what}`);
}

export function leaseConformance(open: () => Promise<Store>, advance: (ms: number) => Promise<void>): void {
  const t = (title: string, fn: (s: Store, l: Leases) => Promise<void>): void => {
    test(`lease: ${title}`, (ctx: TestContext) =>
      using(open, async (s) => {
        if (!s.leases) return void ctx.skip('this store has no leases');
        await fn(s, s.leases);
      }));
  };

  t('grant returns a decimal id; timeToLive is at most the ttl, undefined for an unknown lease', async (_s, l) => {
    const a = await l.grant(2);
    const b = await l.grant(2);
    assert.match(a, /^\d+$/);
    assert.notEqual(a, b);
    const ttl = await l.timeToLive(a);
    assert.ok(ttl !== undefined && ttl > 0 && ttl <= 2, `ttl ${ttl}`);
    await l.revoke(b);
    assert.equal(await l.timeToLive(b), undefined);
  });

  t('a put bound to a lease carries it; a later put without one detaches the key', async (s, l) => {
    const id = await l.grant(60);
    await s.put('a', 1, { lease: id });
    await s.txn([], [{ type: 'put', key: 'b', value: 2, lease: id }]);
    assert.deepEqual(
      (await s.list('')).map((kv) => [kv.key, kv.lease]),
      [
        ['a', id],
        ['b', id],
      ],
    );
    const rev = await s.put('a', 3);
    assert.deepEqual(await s.get('a'), { key: 'a', value: 3, modRevision: rev, createRevision: rev - 2 });
    await l.revoke(id);
    assert.deepEqual((await s.get('a'))?.value, 3);
    assert.equal(await s.get('b'), undefined);
  });

  t('revoke deletes its keys in one revision, with watch events; revoking again is a no-op', async (s, l) => {
    const id = await l.grant(60);
    await s.put('k/a', 1, { lease: id });
    await s.put('k/b', 2, { lease: id });
    const rev = await s.put('k/c', 3);
    const c = collect(s, 'k/', rev, 2);
    await l.revoke(id);
    await c.done;
    c.close();
    assert.deepEqual(c.events, [
      { type: 'delete', key: 'k/a', revision: rev + 1 },
      { type: 'delete', key: 'k/b', revision: rev + 1 },
    ]);
    assert.deepEqual(
      (await s.list('k/')).map((kv) => kv.key),
      ['k/c'],
    );
    await assert.rejects(l.keepAlive(id), isNotFound);
    await l.revoke(id);
    assert.equal(await s.revision(), rev + 1);
  });

  t('a write bound to a revoked lease is refused and writes nothing', async (s, l) => {
    const id = await l.grant(60);
    await l.revoke(id);
    await assert.rejects(s.put('a', 1, { lease: id }), isNotFound);
    assert.equal(await s.get('a'), undefined);
  });

  t('keepAlive renews the same lease id past its first expiry', async (s, l) => {
    const id = await l.grant(2);
    await s.put('a', 1, { lease: id });
    await advance(1200);
    assert.equal(await l.keepAlive(id), 2);
    await advance(1200);
    assert.equal((await s.get('a'))?.lease, id);
    assert.notEqual(await l.timeToLive(id), undefined);
  });

  t('an expired lease deletes its keys, with watch events; keepAlive then fails', async (s, l) => {
    const id = await l.grant(1);
    const rev = await s.put('a', 1, { lease: id });
    const c = collect(s, '', rev, 1);
    await advance(1000);
    await until(async () => (await s.get('a')) === undefined, 'the expired lease deleted its key');
    await c.done;
    c.close();
    assert.deepEqual(c.events, [{ type: 'delete', key: 'a', revision: rev + 1 }]);
    await assert.rejects(l.keepAlive(id), isNotFound);
    assert.equal(await l.timeToLive(id), undefined);
  });
}
