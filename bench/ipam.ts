/**
 * IPAM and store throughput.   node dist/bench/ipam.js [SQLITE_TXNS]
 *
 * 1. Allocations per second filling a /16 (65,533 addresses), bare and with each
 *    allocation committed to the memory store.
 * 2. SQLite store transactions per second (one allocation-shaped CAS put each), against a raw
 *    better-sqlite3 insert loop with the same durability (WAL, synchronous=FULL, one
 *    transaction per row) in the same run, so the ratio is the store's own overhead.
 */
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { staticHostInfo } from '../src/ipam/host-facts.js';
import { Ipam } from '../src/ipam/ipam.js';
import { MemoryStore } from '../src/store/memory.js';
import { networkKey, type NetworkRecord } from '../src/state/records.js';
import { openSqliteStore } from '../src/store/sqlite.js';

const net: NetworkRecord = {
  id: 'bench',
  name: 'bench',
  driver: 'bridge',
  ipv4: { subnet: '10.99.0.0/16', gateway: '10.99.0.1', reserved: [] },
  mtu: 1500,
  internal: false,
  masquerade: true,
  icc: true,
  labels: {},
  adopted: false,
  state: 'ready',
};
const desired = { version: 1, addressPools: [], networks: [], containers: [], attachments: [] } as const;

async function fill16(commit: boolean): Promise<{ n: number; perSec: number }> {
  const store = new MemoryStore();
  await store.put(networkKey(net.id), net);
  const ipam = await Ipam.load(store, desired, staticHostInfo([], []));
  const t0 = performance.now();
  let n = 0;
  for (; n < 65533; n++) {
    const a = ipam.allocate({ networkId: net.id, family: 4, owner: `c${n}/bench`, endpointId: `e${n}` });
    if (commit && !(await store.txn(a.conditions, a.ops)).succeeded) throw new Error('commit failed');
  }
  return { n, perSec: n / ((performance.now() - t0) / 1000) };
}

async function storeTxns(dir: string, n: number): Promise<number> {
  const s = await openSqliteStore(dir);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const key = `netd/v1/ipam/bench/4/10.99.${i >> 8}.${i & 255}`;
    const r = await s.txn([{ key, modRevision: 0 }], [{ type: 'put', key, value: { owner: `c${i}/bench`, endpointId: `e${i}` } }]);
    if (!r.succeeded) throw new Error('txn failed');
  }
  const perSec = n / ((performance.now() - t0) / 1000);
  await s.close();
  return perSec;
}

function rawInserts(dir: string, n: number): number {
  mkdirSync(dir);
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
  const ins = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?)');
  const one = db.transaction((k: string, v: string) => ins.run(k, v));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) one.immediate(`k${i}`, JSON.stringify({ owner: `c${i}/bench`, endpointId: `e${i}` }));
  const perSec = n / ((performance.now() - t0) / 1000);
  db.close();
  return perSec;
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
const txns = Number(process.argv[2] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'netd-bench-'));
try {
  const bare = await fill16(false);
  console.log(`ipam: ${fmt(bare.perSec)} allocations/s filling a /16 (${fmt(bare.n)} addresses, view only)`);
  const committed = await fill16(true);
  console.log(`ipam: ${fmt(committed.perSec)} allocations/s filling a /16, each committed to the memory store`);
  // fsync cost drifts during a run (the WAL grows, caches warm), so alternate and keep the best of each.
  let raw = 0;
  let store = 0;
  for (let round = 0; round < 3; round++) {
    raw = Math.max(raw, rawInserts(join(dir, `raw${round}`), txns));
    store = Math.max(store, await storeTxns(join(dir, `store${round}`), txns));
  }
  console.log(`sqlite: raw insert loop ${fmt(raw)} txn/s; store ${fmt(store)} txn/s (best of 3 × ${txns} txns, WAL, synchronous=FULL)`);
  console.log(`sqlite: store / raw = ${(store / raw).toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
