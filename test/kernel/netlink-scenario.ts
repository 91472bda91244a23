/**
 * A host with one of everything the observers read, built with typed ops in the throwaway
 * host: a bridge with v4/v6 addresses, a veth pair across namespaces and one inside a
 * namespace, a vxlan device on the bridge with FDB entries and permanent neighbours (in the
 * host and in a namespace), netd's routes (protocol 78, one onlink, one v6 with a metric),
 * a default route in a namespace, and a stale /run/netns entry (what a killed `ip netns add`
 * leaves).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { addNamespace, deleteNamespace, runOps, type KernelOp, type Runner } from '../../src/kernel/index.js';

export const NS = { a: 'nl-a', b: 'nl-b', stale: 'nl-stale' } as const;
/** Every kind of reference an observation is asked about, existing or not. */
export const REFS = [NS.a, NS.b, `/run/netns/${NS.b}`, 'nl-none', '/run/netns/nl-none', NS.stale];

const HOST: KernelOp[] = [
  { op: 'link-add', kind: 'bridge', name: 'nl-br', mtu: 1400, alias: 'netd:network:nl', up: true },
  { op: 'addr-add', dev: 'nl-br', cidr: '10.61.0.1/24' },
  { op: 'addr-add', dev: 'nl-br', cidr: 'fd61::1/64', nodad: true },
  { op: 'link-add', kind: 'veth', name: 'nl-v0', mac: '02:00:00:00:61:01', peer: { name: 'eth0', ns: NS.a, mtu: 1400 } },
  { op: 'link-set', name: 'nl-v0', master: 'nl-br', up: true, hairpin: true },
  { op: 'link-add', kind: 'vxlan', name: 'nl-vx', vxlan: { vni: 61, port: 8472, local: '10.61.0.1', dev: 'nl-br', learning: false }, up: true },
  { op: 'route-add', dst: '10.62.0.0/24', via: '10.61.0.2' },
  { op: 'route-add', dst: '10.63.0.0/24', via: '10.63.0.0', dev: 'nl-vx', onlink: true },
  { op: 'route-add', dst: 'fd62::/64', dev: 'nl-br', metric: 50, family: 6 },
  { op: 'neigh-replace', dev: 'nl-vx', addr: '10.63.0.0', mac: '02:00:00:00:63:00' },
  { op: 'fdb-append', dev: 'nl-vx', mac: '02:00:00:00:63:00', dst: '192.0.2.63' },
  { op: 'fdb-append', dev: 'nl-vx', mac: '00:00:00:00:00:00', dst: '192.0.2.64' },
];
const IN_A: KernelOp[] = [
  { op: 'link-set', name: 'lo', up: true },
  { op: 'link-set', name: 'eth0', up: true, alias: 'netd:endpoint:e1' },
  { op: 'addr-add', dev: 'eth0', cidr: '10.61.0.2/24' },
  { op: 'addr-add', dev: 'eth0', cidr: 'fd61::2/64', nodad: true },
  { op: 'route-add', dst: 'default', via: '10.61.0.1' },
  { op: 'route-add', dst: 'default', via: 'fd61::1', family: 6 },
];
const IN_B: KernelOp[] = [
  { op: 'link-add', kind: 'veth', name: 'b0', peer: { name: 'b1' } },
  { op: 'link-add', kind: 'vxlan', name: 'vx-b', vxlan: { vni: 62, port: 4789 } },
  { op: 'neigh-replace', dev: 'vx-b', addr: 'fd63::1', mac: '02:00:00:00:63:01' },
  { op: 'fdb-append', dev: 'vx-b', mac: '02:00:00:00:63:01', dst: '192.0.2.65' },
];

export async function build(runner: Runner): Promise<void> {
  await addNamespace(runner, NS.a);
  await addNamespace(runner, NS.b);
  writeFileSync(`/run/netns/${NS.stale}`, '');
  await runOps(runner, undefined, HOST);
  await runOps(runner, NS.a, IN_A);
  await runOps(runner, NS.b, IN_B);
}

export async function teardown(runner: Runner): Promise<void> {
  rmSync(`/run/netns/${NS.stale}`, { force: true });
  await runOps(runner, undefined, [
    { op: 'link-del', name: 'nl-v0' },
    { op: 'link-del', name: 'nl-vx' },
    { op: 'link-del', name: 'nl-br' },
  ]).catch(() => undefined);
  for (const ns of [NS.a, NS.b]) await deleteNamespace(runner, ns).catch(() => undefined);
}
