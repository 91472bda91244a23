/**
 * Overlay networks across three simulated hosts (test/helpers/hosts.ts) on a real etcd: every
 * host applies the same file with its own container. Traffic proves the overlay; the hosts'
 * routing tables prove that peers come and go while `netd watch` runs. Latencies are printed
 * as diagnostics, never asserted beyond a generous bound. NETD_LONG=1 adds a lease expiry
 * (the minimum leaseTtl is 60 s).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { assertNoLeaks, kernelSkip } from '../helpers/kernel.js';
import { etcdSkip } from '../helpers/etcd.js';
import { UNDERLAY, netdOn, reboot, runOn, startSim, waitFor, watchOn, type Sim, type SimHost, type Watcher } from '../helpers/hosts.js';
import {
  OUTSIDE,
  fakePeer,
  containerAddr,
  containerOf,
  leaseClock,
  netdOk,
  watchIsLive,
  overlayYaml,
  routes,
  subnetOf,
  type LeaseEvent,
  type OverlayShape,
} from '../helpers/overlay-sim.js';
import { tcpExchange } from '../helpers/traffic.js';
import { openEtcdStore, type EtcdStore } from '../../src/store/etcd.js';
import { overlayKeys } from '../../src/cluster/keys.js';

const skip = kernelSkip || etcdSkip;
const LONG = process.env.NETD_LONG === '1';
/** How long a peer may take to be routed or unrouted before the test gives up (the goal is 1 s). */
const BOUND_MS = 5000;

type Scene = { sim: Sim; store: EtcdStore; a: SimHost; b: SimHost; c: SimHost };

/** A fresh simulation per test: nothing carries over, and stop() must leave nothing behind. */
async function withSim(fn: (s: Scene) => Promise<void>): Promise<void> {
  const sim = await startSim();
  const store = await openEtcdStore({ endpoints: [sim.etcd.endpoint] });
  try {
    await fn({ sim, store, a: sim.host('a'), b: sim.host('b'), c: sim.host('c') });
  } finally {
    await store.close();
    await sim.stop();
  }
  assertNoLeaks();
}

const shape = (sim: Sim, backend: OverlayShape['backend'] = 'vxlan', leaseTtl = 60): OverlayShape => ({
  endpoint: sim.etcd.endpoint,
  prefix: '/netd',
  backend,
  leaseTtl,
});

/** Each host's file (the same networks, its own containers), applied on all at once, twice: the second round learns the peers. */
async function converge(hosts: readonly SimHost[], s: OverlayShape | readonly OverlayShape[]): Promise<Map<SimHost, string>> {
  const files = new Map(hosts.map((h) => [h, h.file(overlayYaml(s, h))]));
  for (let round = 0; round < 2; round++) await Promise.all(hosts.map((h) => netdOk(h, ['apply', '-f', files.get(h)!])));
  return files;
}

/** `netd watch` on host with the resync timer out of the way: only the lease watch can route peers. */
const watch = (host: SimHost, file: string): Watcher => watchOn(host, ['-f', file, '--resync', '10m']);

/**
 * Waits until every host routes (present) or no longer routes subnet; reports the ms from t0
 * (a command's start) and, given the key event, from the lease key's change in etcd.
 */
async function timeRoute(
  t: TestContext,
  what: string,
  hosts: readonly SimHost[],
  subnet: string,
  present: boolean,
  t0: number,
  key?: LeaseEvent | Promise<LeaseEvent>,
): Promise<void> {
  await Promise.all(hosts.map((h) => waitFor(`${h.name}: ${what}`, async () => (await routes(h, subnet)) === present, BOUND_MS, 5)));
  const done = performance.now();
  const fromKey = key === undefined ? '' : `, ${(done - (await key).at).toFixed(0)} ms from the lease key's change in etcd`;
  t.diagnostic(`${what}: ${(done - t0).toFixed(0)} ms from the start${fromKey}`);
}

test('every host applies the same file, a vxlan and a host-gw network: all are in sync, and on each network', { skip }, (t) =>
  withSim(async ({ sim, store, a, b, c }) => {
    // One cluster for both backends: two networks in one file, each host a container on each.
    const nets = [
      { ...shape(sim, 'vxlan'), network: 'pods', range: '10.89.0.0/16', vni: 42 },
      { ...shape(sim, 'host-gw'), network: 'gw', range: '10.88.0.0/16', vni: 43 },
    ];
    const files = await converge([a, b, c], nets);
    await Promise.all([a, b, c].map((h) => netdOk(h, ['diff', '-f', files.get(h)!])));
    for (const [i, s] of nets.entries()) {
      await t.test(
        `${s.backend}: containers on A and C talk over TCP, each seeing the other's own address (no NAT), and reach the outside masqueraded`,
        async () => {
          const [subA, subC] = [await subnetOf(store, s, a), await subnetOf(store, s, c)];
          assert.notEqual(subA, subC);
          const [ca, cc] = [containerOf(a, s), containerOf(c, s)];
          const [addrA, addrC] = [await containerAddr(a, ca), await containerAddr(c, cc)];
          assert.ok(addrA.startsWith(subA.slice(0, subA.lastIndexOf('.') + 1)), `${addrA} is in ${subA}`);
          assert.equal(await tcpExchange(a.prefix(ca), c.prefix(cc), addrC, 7201 + i), addrA);
          assert.equal(await tcpExchange(c.prefix(cc), a.prefix(ca), addrA, 7211 + i), addrC);
          assert.equal(await tcpExchange(a.prefix(ca), undefined, OUTSIDE, 7221 + i), a.ip);
        },
      );
    }
  }),
);

test("a host's lease survives its restart: the same subnet from its state dir, and again from an empty one by its public IP", { skip }, () =>
  withSim(async ({ sim, store, a, b }) => {
    const s = shape(sim);
    const files = await converge([a, b], s);
    const [fileA, fileB] = [files.get(a)!, files.get(b)!];
    const subnet = await subnetOf(store, s, a);
    for (const step of ['same state dir', 'empty state dir']) {
      await reboot(a);
      if (step === 'empty state dir') a.freshStateDir();
      await netdOk(a, ['apply', '-f', fileA]);
      assert.equal(await subnetOf(store, s, a), subnet, step);
      // b did nothing: its entries for a (its VTEP MAC is derived from the subnet) still hold.
      const addrA = await containerAddr(a, containerOf(a));
      assert.equal(await tcpExchange(b.prefix(containerOf(b)), a.prefix(containerOf(a)), addrA, 7401), await containerAddr(b, containerOf(b)), step);
    }
    await netdOk(b, ['diff', '-f', fileB]);
  }),
);

test('etcd silently unreachable from a host: apply gives up in seconds naming the endpoint, and what is local and the peers stay', { skip }, () =>
  withSim(async ({ sim, store, a, b }) => {
    const s = shape(sim);
    const files = await converge([a, b], s);
    const subB = await subnetOf(store, s, b);
    // A dead MAC for the underlay gateway: a's packets to etcd vanish (no refusal, no error).
    await runOn(a, ['ip', 'neigh', 'replace', UNDERLAY.address, 'lladdr', '02:00:00:00:de:ad', 'dev', 'eth0', 'nud', 'permanent']);
    const r = await netdOn(a, ['apply', '-f', files.get(a)!], { timeoutMs: 20_000 });
    assert.equal(r.code, 1, `netd apply: exit ${r.code} (-1: still running after 20 s)\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`the cluster store is unreachable: .*"${sim.etcd.endpoint}"`));
    assert.ok(await routes(a, subB), "a still routes b's subnet");
    const addrB = await containerAddr(b, containerOf(b));
    assert.equal(await tcpExchange(a.prefix(containerOf(a)), b.prefix(containerOf(b)), addrB, 7501), await containerAddr(a, containerOf(a)));
    await runOn(a, ['ip', 'neigh', 'del', UNDERLAY.address, 'dev', 'eth0']);
    await netdOk(a, ['diff', '-f', files.get(a)!]);
  }),
);

test('host-gw: a peer off the L2 segment is skipped with a warning naming it, and the other peers are routed, by apply and under watch', { skip }, () =>
  withSim(async ({ sim, store, a }) => {
    const s = shape(sim, 'host-gw');
    const file = (await converge([a], s)).get(a)!;
    await fakePeer(store, s, '10.89.201.0/24', '198.51.100.7');
    await fakePeer(store, s, '10.89.200.0/24', '192.168.90.77');
    const r = await netdOn(a, ['apply', '-f', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: .*peer 10\.89\.201\.0\/24 \(public IP 198\.51\.100\.7\) is not on the L2 segment/);
    assert.ok(await routes(a, '10.89.200.0/24'), 'apply routes the peer on the segment');
    assert.ok(!(await routes(a, '10.89.201.0/24')));
    const w = watch(a, file);
    await fakePeer(store, s, '10.89.202.0/24', '192.168.90.78');
    await waitFor('a peer joining later is routed under watch', () => routes(a, '10.89.202.0/24'), 15_000);
    assert.equal((await w.stop()).code, 0, w.output());
    assert.match(w.output(), /peer 10\.89\.201\.0\/24 \(public IP 198\.51\.100\.7\) is not on the L2 segment/);
  }),
);

test('a host leaving the cluster (its network deleted, or its lease revoked) leaves the routes of the watching hosts; rejoining enters them', { skip }, (t) =>
  withSim(async ({ sim, store, a, b, c }) => {
    const s = shape(sim);
    const files = await converge([a, b, c], s);
    const watchers = [watch(a, files.get(a)!), watch(b, files.get(b)!)];
    await watchIsLive(store, s, [a, b]);
    const subC = await subnetOf(store, s, c);
    assert.ok((await routes(a, subC)) && (await routes(b, subC)));
    const clock = await leaseClock(store, s);
    try {
      // Each command runs while the hosts are polled: the times are not bounded by its exit.
      let t0 = performance.now();
      const deleted = netdOk(c, ['delete', '-f', files.get(c)!]);
      await timeRoute(t, 'delete on C → C unrouted on A and B', [a, b], subC, false, t0, clock.next('delete', t0, { subnet: subC }));
      await deleted;

      t0 = performance.now();
      const applied = netdOk(c, ['apply', '-f', files.get(c)!]);
      const put = await clock.next('put', t0);
      await timeRoute(t, 'apply on C → C routed on A and B', [a, b], put.subnet, true, t0, put);
      await applied;
      assert.equal(await subnetOf(store, s, c), put.subnet);

      const { lease } = (await store.get(overlayKeys(s.prefix, 'pods').lease(put.subnet)))!;
      assert.ok(lease, `C's lease key ${put.subnet} is bound to a lease`);
      t0 = performance.now();
      await store.leases.revoke(lease);
      await timeRoute(t, 'revoke of C → C unrouted on A and B', [a, b], put.subnet, false, t0, clock.next('delete', t0, { subnet: put.subnet }));
    } finally {
      clock.close();
    }
    for (const w of watchers) {
      const r = await w.stop();
      assert.equal(r.code, 0, r.stderr + r.stdout);
    }
  }),
);

test('a watch frozen across an etcd restart, waking to a compacted history, ends converged; a later peer is routed too', { skip }, (t) =>
  withSim(async ({ sim, store, a, b, c }) => {
    const s = shape(sim);
    const fileA = (await converge([a], s)).get(a)!;
    const w = watch(a, fileA);
    await watchIsLive(store, s, [a]);
    // Frozen, it misses the restart and b's join; on waking it resumes from a compacted revision.
    w.signal('SIGSTOP');
    await sim.etcd.stop();
    await sim.etcd.start();
    await converge([b], s);
    const admin = new Etcd3({ hosts: sim.etcd.endpoint });
    try {
      // The store's revisions are etcd's - 1: this compacts everything up to now.
      await admin.kv.compact({ revision: (await store.revision()) + 1, physical: true });
    } finally {
      admin.close();
    }
    let t0 = performance.now();
    w.signal('SIGCONT');
    await timeRoute(t, 'woken after restart + compaction → B routed on A', [a], await subnetOf(store, s, b), true, t0);
    const clock = await leaseClock(store, s);
    t0 = performance.now();
    const applied = netdOk(c, ['apply', '-f', c.file(overlayYaml(s, c))]);
    const put = await clock.next('put', t0);
    await timeRoute(t, 'then C joins → C routed on A', [a], put.subnet, true, t0, put);
    await applied;
    clock.close();
    assert.equal((await w.stop()).code, 0, w.output());
  }),
);

test(
  'a host whose lease expires (it stopped renewing) leaves the routes of the watching hosts',
  { skip: skip || (!LONG && 'NETD_LONG=1: waits out a 60 s lease') },
  (t) =>
    withSim(async ({ sim, store, a, c }) => {
      const s = shape(sim);
      const files = await converge([a, c], s);
      const w = watch(a, files.get(a)!);
      const subC = await subnetOf(store, s, c);
      const clock = await leaseClock(store, s);
      // c applied without a daemon: nothing renews its lease. etcd expires it after leaseTtl.
      const expired = await clock.next('delete', 0, { subnet: subC, limitMs: 90_000 });
      clock.close();
      await timeRoute(t, 'expiry of C → C unrouted on A', [a], subC, false, expired.at, expired);
      assert.equal((await w.stop()).code, 0, w.output());
    }),
);
