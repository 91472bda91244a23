import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { isNetdError } from '../../src/errors.js';
import { openEtcdStore, type EtcdStore } from '../../src/store/etcd.js';
import type { WatchEvent, WatchReset } from '../../src/store/store.js';
import { etcdSkip, freePort, makeTlsFiles, startEtcd, type EtcdServer } from '../helpers/etcd.js';
import { storeConformance, using } from './conformance.js';

/** A fresh etcd per store: the conformance suite expects an empty store at revision 0. */
async function openFresh(): Promise<EtcdStore> {
  const srv = await startEtcd();
  const store = await openEtcdStore({ endpoints: [srv.endpoint], prefix: 'netd/' });
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await srv.close();
  };
  return store;
}

/** Watch notices, with a way to wait until one that matches has arrived. */
function notices(store: EtcdStore, from: number) {
  const seen: (WatchEvent | WatchReset)[] = [];
  const waiters: { match: (e: WatchEvent | WatchReset) => boolean; resolve: () => void }[] = [];
  const w = store.watch('', from, (e) => {
    seen.push(e);
    for (const x of waiters.filter((x) => x.match(e))) x.resolve();
  });
  const next = (match: (e: WatchEvent | WatchReset) => boolean, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      if (seen.some(match)) return resolve();
      const timer = setTimeout(() => reject(new Error(`no ${what} within 15 s; saw ${JSON.stringify(seen)}`)), 15_000);
      waiters.push({ match, resolve: () => (clearTimeout(timer), resolve()) });
    });
  return { seen, next, close: () => w.close() };
}
const isReset = (e: WatchEvent | WatchReset): boolean => e.type === 'reset';
const isPutOf = (key: string) => (e: WatchEvent | WatchReset) => e.type === 'put' && e.key === key;

if (etcdSkip) test('etcd store', { skip: etcdSkip }, () => {});
else {
  storeConformance('etcd', openFresh);

  describe('etcd store', () => {
    let srv: EtcdServer;
    before(async () => (srv = await startEtcd()));
    after(() => srv.close());

    test('endpoints are tried in order: a dead first one is passed over', async () => {
      const dead = `http://127.0.0.1:${await freePort()}`;
      await using(
        () => openEtcdStore({ endpoints: [dead, srv.endpoint], prefix: 'order/', timeoutMs: 1000 }),
        async (s) => {
          await s.put('a', 1);
          assert.equal((await s.get('a'))?.value, 1);
        },
      );
    });

    test('no endpoint answering (refused, or silent) is a clear error naming each of them', async () => {
      // A server that accepts connections and never answers: only the timeout ends the wait.
      const conns = new Set<Socket>();
      const silent = createServer((c) => conns.add(c));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const dead = [`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${(silent.address() as AddressInfo).port}`];
      try {
        await assert.rejects(openEtcdStore({ endpoints: dead, timeoutMs: 500 }), (e: unknown) => {
          assert.ok(isNetdError(e, 'retry'));
          for (const d of dead) assert.ok(e.message.includes(`"${d}"`), e.message);
          assert.match(e.message, /^etcd: none of the endpoints answered within 500 ms .*check cluster\.etcd\.endpoints/);
          return true;
        });
      } finally {
        for (const c of conns) c.destroy();
        silent.close();
      }
    });

    test('a watch from history lost to a compaction gets a reset, then live events', async () => {
      await using(
        () => openEtcdStore({ endpoints: [srv.endpoint], prefix: 'compact/' }),
        async (s) => {
          const first = await s.put('a', 1);
          const last = await s.put('a', 2);
          const admin = new Etcd3({ hosts: srv.endpoint });
          await admin.kv.compact({ revision: last + 1, physical: true }); // the store's revisions are etcd's - 1
          admin.close();
          const n = notices(s, first - 1);
          await n.next(isReset, 'reset');
          await s.put('b', 3);
          await n.next(isPutOf('b'), 'put of b');
          n.close();
          assert.deepEqual(
            n.seen.filter((e) => e.type !== 'reset'),
            [{ type: 'put', key: 'b', value: 3, revision: last + 1 }],
          );
        },
      );
    });

    test('an etcd restart under a running watch gets a reset, then live events; calls while it is down name the endpoint', async () => {
      await using(
        () => openEtcdStore({ endpoints: [srv.endpoint], prefix: 'restart/' }),
        async (s) => {
          const n = notices(s, await s.revision());
          await s.put('a', 1);
          await n.next(isPutOf('a'), 'put of a');
          await srv.stop();
          await assert.rejects(s.get('a'), (e: unknown) => isNetdError(e, 'retry') && e.message.startsWith(`etcd "${srv.endpoint}": get "a": `));
          await srv.start();
          await n.next(isReset, 'reset');
          await s.put('b', 2);
          await n.next(isPutOf('b'), 'put of b');
          n.close();
          assert.deepEqual(
            n.seen.map((e) => (e.type === 'reset' ? 'reset' : `${e.type} ${e.key}`)),
            ['put a', 'reset', 'put b'],
          );
        },
      );
    });
  });
}

test('TLS with a client certificate: the store works; without one etcd refuses and the error names the endpoint', { skip: etcdSkip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netd-etcd-tls-'));
  try {
    const files = makeTlsFiles(dir);
    assert.ok(files, 'openssl could not make the test certificates');
    const tlsSrv = await startEtcd({ server: files.server });
    try {
      await using(
        () => openEtcdStore({ endpoints: [tlsSrv.endpoint], tls: files.client }),
        async (s) => {
          await s.put('a', 1);
          assert.equal((await s.get('a'))?.value, 1);
        },
      );
      await assert.rejects(
        openEtcdStore({ endpoints: [tlsSrv.endpoint], tls: { ca: files.client.ca }, timeoutMs: 1000 }),
        (e: unknown) => isNetdError(e, 'retry') && e.message.includes(`"${tlsSrv.endpoint}"`),
      );
    } finally {
      await tlsSrv.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unreadable TLS file is named in the error', async () => {
  await assert.rejects(
    openEtcdStore({ endpoints: ['https://127.0.0.1:1'], tls: { ca: '/nonexistent/ca.pem' } }),
    (e: unknown) => isNetdError(e, 'invalid') && /etcd tls: ca file "\/nonexistent\/ca\.pem" cannot be read/.test(e.message),
  );
});
