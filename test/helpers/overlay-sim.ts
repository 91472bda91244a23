/**
 * Overlay networks on the simulated hosts (hosts.ts): the one YAML shape every host applies
 * with its own container, and what a host's kernel and the cluster say about it.
 */
import assert from 'node:assert/strict';
import type { OverlayBackend } from '../../src/desired/types.js';
import { listLeases, type LeaseValue } from '../../src/cluster/lease.js';
import { overlayKeys, subnetOfKeyName } from '../../src/cluster/keys.js';
import type { Store } from '../../src/store/store.js';
import { UNDERLAY, ipJsonOn, netdOn, waitFor, type SimHost } from './hosts.js';

export interface OverlayShape {
  readonly endpoint: string;
  readonly prefix: string;
  readonly backend: OverlayBackend;
  readonly network?: string;
  readonly range?: string;
  readonly vni?: number;
  readonly leaseTtl?: number;
}

/** The container a host declares on a network: web-a on host a (on network gw: gw-a). */
export const containerOf = (host: SimHost, s?: OverlayShape): string => `${s?.network === undefined || s.network === 'pods' ? 'web' : s.network}-${host.name}`;

/**
 * The file every host applies: the overlay networks (the cluster section from the first), and
 * on each, given a host, the host's own container.
 */
export function overlayYaml(shapes: OverlayShape | readonly OverlayShape[], host?: SimHost): string {
  const all = Array.isArray(shapes) ? (shapes as readonly OverlayShape[]) : [shapes as OverlayShape];
  const s = all[0]!;
  const net = (x: OverlayShape): string => x.network ?? 'pods';
  return [
    'version: 1',
    'cluster:',
    `  etcd: { endpoints: ["${s.endpoint}"], prefix: ${s.prefix} }`,
    '  publicInterface: eth0',
    `  leaseTtl: ${s.leaseTtl ?? 60}`,
    'networks:',
    ...all.map((x) => `  ${net(x)}: { driver: overlay, subnet: ${x.range ?? '10.89.0.0/16'}, subnetLen: 24, backend: ${x.backend}, vni: ${x.vni ?? 42} }`),
    ...(host === undefined
      ? []
      : [
          'containers:',
          ...all.map((x) => `  ${containerOf(host, x)}: {}`),
          'attachments:',
          ...all.map((x) => `  - { container: ${containerOf(host, x)}, network: ${net(x)} }`),
        ]),
    '',
  ].join('\n');
}

/** Runs netd on host and fails the test with its output unless it exits with `want`. */
export async function netdOk(host: SimHost, args: readonly string[], want = 0): Promise<string> {
  const r = await netdOn(host, args);
  assert.equal(r.code, want, `host ${host.name}: netd ${args.join(' ')}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** host's subnet: the lease holding its public IP, read from etcd (`netd get leases` costs a CLI start). */
export async function subnetOf(store: Store, s: OverlayShape, host: SimHost): Promise<string> {
  const mine = (await listLeases(store, s.prefix, s.network ?? 'pods')).filter((l) => l.publicIp === host.ip);
  assert.equal(mine.length, 1, `host ${host.name} (${host.ip}) holds ${mine.length} leases`);
  return mine[0]!.subnet;
}

/** The destinations of host's main routing table (`ip route`, its own namespace). */
export async function routeDsts(host: SimHost): Promise<string[]> {
  return (await ipJsonOn<{ dst: string }>(host, ['route', 'show'])).map((r) => r.dst);
}

export const routes = async (host: SimHost, subnet: string): Promise<boolean> => (await routeDsts(host)).includes(subnet);

/** The IPv4 address of a container's interface on host (its namespace is the container's name). */
export async function containerAddr(host: SimHost, ns: string, dev = 'eth0'): Promise<string> {
  const [link] = await ipJsonOn<{ addr_info: { family: string; local: string }[] }>(host, ['addr', 'show', 'dev', dev], ns);
  const a = link?.addr_info.find((x) => x.family === 'inet');
  assert.ok(a, `host ${host.name}: ${ns} has no IPv4 address on ${dev}`);
  return a.local;
}

/** The outside: the throwaway host on the underlay. */
export const OUTSIDE = UNDERLAY.address;

/** A peer that exists only in etcd: its lease key, bound to a store lease, as a host's acquire writes it. */
export async function fakePeer(
  store: Store,
  s: OverlayShape,
  subnet: string,
  publicIp: string,
): Promise<{ readonly key: string; readonly leaseId: string; revoke(): Promise<void> }> {
  const leases = store.leases!;
  const leaseId = await leases.grant(s.leaseTtl ?? 60);
  const key = overlayKeys(s.prefix, s.network ?? 'pods').lease(subnet);
  const value: LeaseValue = {
    hostId: `fake-${publicIp}`,
    publicIp,
    backend: s.backend,
    vni: s.vni ?? 42,
    ...(s.backend === 'vxlan' ? { vtepMac: macOf(subnet) } : {}),
  };
  await store.put(key, value, { lease: leaseId });
  return { key, leaseId, revoke: () => leases.revoke(leaseId) };
}

/** A locally administered MAC from a subnet's second and third octets (unique in a /16 range of /24s). */
const macOf = (subnet: string): string => {
  const [, b, c] = subnet.split('.').map(Number);
  return ['02', 'fe', '00', '00', b!, c!].map((x) => (typeof x === 'number' ? x.toString(16).padStart(2, '0') : x)).join(':');
};

/** Waits until watching hosts route a peer that exists only in etcd, then unroute it: their lease watches are live. */
export async function watchIsLive(store: Store, s: OverlayShape, hosts: readonly SimHost[]): Promise<void> {
  const subnet = '10.89.250.0/24';
  const probe = await fakePeer(store, s, subnet, '192.168.90.250');
  await Promise.all(hosts.map((h) => waitFor(`${h.name} routes the probe`, () => routes(h, subnet), 15_000)));
  await probe.revoke();
  await Promise.all(hosts.map((h) => waitFor(`${h.name} unroutes the probe`, async () => !(await routes(h, subnet)), 15_000)));
}

export interface LeaseEvent {
  readonly subnet: string;
  /** performance.now() when this process saw it. */
  readonly at: number;
}

export interface LeaseClock {
  /** The first `type` event of a lease key (of `subnet` when given) seen at or after `since`; waits for it. */
  next(type: 'put' | 'delete', since: number, o?: { subnet?: string; limitMs?: number }): Promise<LeaseEvent>;
  close(): void;
}

/** Timestamps the changes of a network's lease keys as this process sees them (a store watch): where latencies start. */
export async function leaseClock(store: Store, s: OverlayShape): Promise<LeaseClock> {
  const keys = overlayKeys(s.prefix, s.network ?? 'pods');
  const seen: (LeaseEvent & { type: string })[] = [];
  const w = store.watch(keys.leases, await store.revision(), (e) => {
    const subnet = e.type === 'reset' ? undefined : subnetOfKeyName(e.key);
    if (subnet !== undefined) seen.push({ subnet, type: e.type, at: performance.now() });
  });
  return {
    close: () => w.close(),
    next: async (type, since, o = {}) => {
      let hit: LeaseEvent | undefined;
      const match = (e: (typeof seen)[number]): boolean => e.type === type && e.at >= since && (o.subnet === undefined || e.subnet === o.subnet);
      await waitFor(`${type} of a lease ${o.subnet ?? ''}`, () => (hit = seen.find(match)) !== undefined, o.limitMs ?? 5000, 2);
      return hit!;
    },
  };
}
