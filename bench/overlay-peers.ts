/**
 * How fast `netd watch` follows the cluster (DESIGN.md §9: joins and leaves reach peers in
 * ≤ 1 s). Two simulated hosts (test/helpers/hosts.ts) apply one overlay network and host A
 * runs `netd watch`; then a peer that exists only in etcd joins and leaves R times: its lease
 * key written bound to an etcd lease, then the lease revoked. Each is timed from just before
 * the write (or the revoke) until host A's route to the peer's subnet appears (or goes), seen
 * by polling `ip -j route` on host A every ~5 ms. Medians and worst cases, vxlan and host-gw.
 *
 *   node dist/bench/overlay-peers.js [--rounds R]   (re-runs itself inside dist/test/throwaway.js; R ≥ 20 by default)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSim, watchOn, type SimHost } from '../test/helpers/hosts.js';
import { fakePeer, netdOk, overlayYaml, routes, subnetOf, watchIsLive, type OverlayShape } from '../test/helpers/overlay-sim.js';
import { openEtcdStore, type EtcdStore } from '../src/store/etcd.js';

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1] ?? 20) || 20;
/** A route that takes longer than this is a failure, not a sample. */
const LIMIT_MS = 10_000;

/** ms from t0 until host routes (present) or no longer routes subnet. */
async function until(host: SimHost, subnet: string, present: boolean, t0: number): Promise<number> {
  for (;;) {
    if ((await routes(host, subnet)) === present) return performance.now() - t0;
    if (performance.now() - t0 > LIMIT_MS)
      throw new Error(`host ${host.name}: route to ${subnet} still ${present ? 'absent' : 'present'} after ${LIMIT_MS} ms`);
    await sleep(5);
  }
}

/** Subnets of the range no host holds, for the fake peer (the probe's 10.89.250.0/24 is left out too). */
async function freeSubnets(store: EtcdStore, s: OverlayShape, hosts: readonly SimHost[], n: number): Promise<string[]> {
  const taken = new Set(await Promise.all(hosts.map((h) => subnetOf(store, s, h))));
  const all = Array.from({ length: 249 }, (_, i) => `10.89.${i + 1}.0/24`).filter((x) => !taken.has(x));
  return all.slice(-n);
}

const stats = (xs: number[]): string => {
  const sorted = [...xs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `median ${median.toFixed(0).padStart(4)} ms   worst ${sorted.at(-1)!.toFixed(0).padStart(4)} ms   (n=${xs.length})`;
};

async function measure(backend: OverlayShape['backend']): Promise<void> {
  const sim = await startSim(['a', 'b']);
  const store = await openEtcdStore({ endpoints: [sim.etcd.endpoint] });
  try {
    const [a, b] = [sim.host('a'), sim.host('b')];
    const s: OverlayShape = { endpoint: sim.etcd.endpoint, prefix: '/netd', backend };
    const files = new Map([a, b].map((h) => [h, h.file(overlayYaml(s, h))]));
    for (let round = 0; round < 2; round++) await Promise.all([a, b].map((h) => netdOk(h, ['apply', '-f', files.get(h)!])));
    const watcher = watchOn(a, ['-f', files.get(a)!, '--resync', '10m']);
    await watchIsLive(store, s, [a]);
    const subnets = await freeSubnets(store, s, [a, b], rounds);
    const join: number[] = [];
    const leave: number[] = [];
    for (const [i, subnet] of subnets.entries()) {
      // A peer on the underlay's segment (host-gw needs one), where no host answers: only routes are measured.
      const publicIp = `192.168.90.${100 + (i % 100)}`;
      const t0 = performance.now();
      const peer = await fakePeer(store, s, subnet, publicIp);
      join.push(await until(a, subnet, true, t0));
      const t1 = performance.now();
      await peer.revoke();
      leave.push(await until(a, subnet, false, t1));
      // Settle: the next write does not land inside this leave's pass.
      await sleep(100);
    }
    await watcher.stop();
    // What one look at host A's routes costs: the resolution of the figures above.
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) await routes(a, subnets[0]!);
    const poll = (performance.now() - t0) / 20 + 5;
    process.stdout.write(`${backend.padEnd(8)} join   ${stats(join)}\n${backend.padEnd(8)} leave  ${stats(leave)}\n`);
    process.stdout.write(`${backend.padEnd(8)} (a poll every ${poll.toFixed(0)} ms: the figures are that much coarse)\n`);
  } finally {
    await store.close();
    await sim.stop();
  }
}

async function main(): Promise<void> {
  process.stdout.write(`a peer joining and leaving ${rounds} times, seen by host A's netd watch (poll of ip -j route every ~5 ms)\n`);
  for (const backend of ['vxlan', 'host-gw'] as const) await measure(backend);
}

if (process.env.NETD_THROWAWAY !== '1') {
  const throwaway = fileURLToPath(new URL('../test/throwaway.js', import.meta.url));
  const r = spawnSync(process.execPath, [throwaway, process.execPath, fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else {
  await main();
}
