/**
 * The behaviour every Store must have (memory, SQLite, etcd). Each test opens a fresh,
 * empty store with `open` and closes it. The lease tests run when the store has leases.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isNetdError } from '../../src/errors.js';
import type { Store, WatchEvent } from '../../src/store/store.js';
import { leaseConformance } from './conformance-leases.js';

const isConflict = (e: unknown): boolean => isNetdError(e, 'conflict');

export async function using<S extends Store>(open: () => Promise<S>, fn: (s: S) => Promise<void>): Promise<void> {
  const s = await open();
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

/**
 * Collects watch events until `n` have arrived (or fails after a few seconds). A reset has no
 * place in these tests: it is collected as it is, so the comparison of events fails.
 */
export function collect(s: Store, prefix: string, from: number, n: number): { events: WatchEvent[]; done: Promise<void>; close(): void } {
  const events: WatchEvent[] = [];
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const timer = setTimeout(resolve, 5000);
  const w = s.watch(prefix, from, (e) => {
    events.push(e as WatchEvent);
    if (events.length >= n) {
      clearTimeout(timer);
      resolve();
    }
  });
  return { events, done, close: () => w.close() };
}

export interface ConformanceOptions {
  /** Lets `ms` pass on the store's lease clock (default: really waits). */
  readonly advance?: (ms: number) => Promise<void>;
}

export function storeConformance(name: string, open: () => Promise<Store>, opts: ConformanceOptions = {}): void {
  const t = (title: string, fn: (s: Store) => Promise<void>): void => {
    test(title, () => using(open, fn));
  };
  describe(`store conformance: ${name}`, () => {
    t('get of an absent key is undefined; a new store is at revision 0', async (s) => {
      assert.equal(await s.get('a'), undefined);
      assert.equal(await s.revision(), 0);
    });

    t('put returns the new revision; get carries mod and create revisions', async (s) => {
      assert.equal(await s.put('a', { n: 1 }), 1);
      assert.equal(await s.put('a', { n: 2 }), 2);
      assert.deepEqual(await s.get('a'), { key: 'a', value: { n: 2 }, modRevision: 2, createRevision: 1 });
    });

    t('values are copies, not shared objects', async (s) => {
      const v = { list: [1] };
      await s.put('a', v);
      v.list.push(2);
      const got = await s.get<{ list: number[] }>('a');
      got!.value.list.push(3);
      assert.deepEqual((await s.get('a'))!.value, { list: [1] });
    });

    const casCases = [
      { name: 'put expectRevision 0 on an existing key', op: (s: Store) => s.put('a', 2, { expectRevision: 0 }) },
      { name: 'put with a stale expectRevision', op: (s: Store) => s.put('a', 2, { expectRevision: 7 }) },
      { name: 'delete with a stale expectRevision', op: (s: Store) => s.delete('a', { expectRevision: 7 }) },
      { name: 'put expecting an absent key to exist', op: (s: Store) => s.put('b', 2, { expectRevision: 1 }) },
      { name: 'delete expecting an absent key to exist', op: (s: Store) => s.delete('b', { expectRevision: 1 }) },
    ];
    for (const tc of casCases) {
      t(`CAS conflict: ${tc.name}`, async (s) => {
        await s.put('a', 1);
        await assert.rejects(tc.op(s), isConflict);
        assert.deepEqual(await s.get('a'), { key: 'a', value: 1, modRevision: 1, createRevision: 1 });
        assert.equal(await s.get('b'), undefined);
        assert.equal(await s.revision(), 1);
      });
    }

    t('CAS succeeds with the current revision, and 0 creates', async (s) => {
      assert.equal(await s.put('a', 1, { expectRevision: 0 }), 1);
      assert.equal(await s.put('a', 2, { expectRevision: 1 }), 2);
      assert.equal(await s.delete('a', { expectRevision: 2 }), 3);
      assert.equal(await s.get('a'), undefined);
      assert.equal(await s.put('a', 3, { expectRevision: 0 }), 4);
      assert.equal((await s.get('a'))!.createRevision, 4);
    });

    t('deleting an absent key without a condition changes nothing', async (s) => {
      await s.put('a', 1);
      assert.equal(await s.delete('zzz'), 1);
      assert.equal(await s.revision(), 1);
    });

    t('list returns keys under the prefix, sorted', async (s) => {
      for (const k of ['p/b', 'p/a', 'q/a', 'p', 'p/c/d']) await s.put(k, k);
      assert.deepEqual(
        (await s.list('p/')).map((kv) => kv.key),
        ['p/a', 'p/b', 'p/c/d'],
      );
      assert.deepEqual(
        (await s.list('')).map((kv) => kv.key),
        ['p', 'p/a', 'p/b', 'p/c/d', 'q/a'],
      );
      assert.deepEqual(await s.list('none/'), []);
    });

    t('txn applies every op with one new revision when all conditions hold', async (s) => {
      await s.put('a', 1);
      await s.put('gone', 1);
      const r = await s.txn(
        [
          { key: 'a', modRevision: 1 },
          { key: 'b', modRevision: 0 },
        ],
        [
          { type: 'put', key: 'a', value: 10 },
          { type: 'put', key: 'b', value: 20 },
          { type: 'delete', key: 'gone' },
        ],
      );
      assert.deepEqual(r, { succeeded: true, revision: 3 });
      assert.equal((await s.get('a'))!.modRevision, 3);
      assert.equal((await s.get('b'))!.modRevision, 3);
      assert.equal(await s.get('gone'), undefined);
    });

    t('txn writes nothing when one condition fails', async (s) => {
      await s.put('a', 1);
      const r = await s.txn(
        [
          { key: 'a', modRevision: 1 },
          { key: 'b', modRevision: 5 },
        ],
        [
          { type: 'put', key: 'a', value: 10 },
          { type: 'put', key: 'c', value: 30 },
        ],
      );
      assert.deepEqual(r, { succeeded: false, revision: 1 });
      assert.equal((await s.get('a'))!.value, 1);
      assert.equal(await s.get('c'), undefined);
    });

    t('txn touching one key twice is refused', async (s) => {
      const ops = [
        { type: 'put', key: 'a', value: 1 },
        { type: 'delete', key: 'a' },
      ] as const;
      await assert.rejects(s.txn([], ops), (e: unknown) => isNetdError(e, 'internal'));
      assert.equal(await s.revision(), 0);
    });

    t('revision increases by one per write and never goes back', async (s) => {
      const seen: number[] = [];
      for (let i = 0; i < 20; i++) {
        seen.push(i % 3 === 2 ? await s.delete(`k${i - 1}`) : await s.put(`k${i}`, i));
        assert.equal(await s.revision(), seen.at(-1));
      }
      assert.deepEqual(
        seen,
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    });

    t('watch replays from a revision, then delivers live events in order', async (s) => {
      await s.put('w/a', 1); // 1
      await s.put('other', 1); // 2
      await s.put('w/b', 2); // 3
      await s.delete('w/a'); // 4
      const c = collect(s, 'w/', 1, 5);
      await s.txn(
        [],
        [
          { type: 'put', key: 'w/c', value: 3 },
          { type: 'put', key: 'w/a', value: 4 },
        ],
      ); // 5
      await s.put('other', 2); // 6
      await s.delete('w/b'); // 7
      await c.done;
      c.close();
      assert.deepEqual(c.events, [
        { type: 'put', key: 'w/b', value: 2, revision: 3 },
        { type: 'delete', key: 'w/a', revision: 4 },
        { type: 'put', key: 'w/c', value: 3, revision: 5 },
        { type: 'put', key: 'w/a', value: 4, revision: 5 },
        { type: 'delete', key: 'w/b', revision: 7 },
      ]);
    });

    t('a closed watch delivers nothing more', async (s) => {
      const c = collect(s, '', 0, 1);
      await s.put('a', 1);
      await c.done;
      c.close();
      await s.put('b', 1);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(
        c.events.map((e) => e.key),
        ['a'],
      );
    });

    test('closing the store ends its open watches', async () => {
      const s = await open();
      const c = collect(s, '', 0, 1);
      await s.put('a', 1);
      await c.done;
      await s.close(); // c is never closed: the store must stop it (or the test process would hang)
      await new Promise((r) => setTimeout(r, 150));
      assert.deepEqual(
        c.events.map((e) => e.key),
        ['a'],
      );
    });

    leaseConformance(open, opts.advance ?? ((ms) => new Promise((r) => setTimeout(r, ms))));
  });
}
