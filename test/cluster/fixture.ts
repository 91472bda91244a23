/** A MemoryStore on a fake clock and a subnet manager over it, for the cluster tests. */
import { MemoryStore } from '../../src/store/memory.js';
import { SubnetManager, type HostClaim, type OverlayNetwork } from '../../src/cluster/manager.js';
import type { OverlayConfig } from '../../src/cluster/config.js';

export const TTL = 60;
export const CFG: OverlayConfig = { network: '10.89.0.0/16', subnetLen: 24, backend: 'vxlan', vni: 1, port: 8472 };
export const PODS: OverlayNetwork = { name: 'pods', config: CFG };
/** A range of three subnets (10.89.1–3.0/24). */
export const SMALL: OverlayNetwork = { name: 'small', config: { ...CFG, network: '10.89.0.0/22' } };

/** Seeded [0, 1) numbers (mulberry32): runs repeat exactly. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Cluster {
  readonly store: MemoryStore;
  readonly clock: { ms: number };
  /** Moves the fake clock on by this many seconds. */
  advance(seconds: number): void;
  manager(opts?: { random?: () => number; maxAttempts?: number }): SubnetManager;
}

export function cluster(): Cluster {
  const clock = { ms: 1_000_000 };
  const store = new MemoryStore({ now: () => clock.ms });
  let seed = 1;
  return {
    store,
    clock,
    advance: (s) => (clock.ms += s * 1000),
    manager: (opts = {}) =>
      new SubnetManager(store, {
        prefix: '/netd',
        leaseTtl: TTL,
        random: opts.random ?? seeded(seed++),
        ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
      }),
  };
}

export const hostA: HostClaim = { hostId: 'a'.repeat(32), publicIp: '192.0.2.1', vtepMac: '02:00:00:00:00:0a' };
export const hostB: HostClaim = { hostId: 'b'.repeat(32), publicIp: '192.0.2.2', vtepMac: '02:00:00:00:00:0b' };
export const hostC: HostClaim = { hostId: 'c'.repeat(32), publicIp: '192.0.2.3', vtepMac: '02:00:00:00:00:0c' };

export const leaseKey = (net: OverlayNetwork, subnet: string): string => `/netd/v1/overlay/${net.name}/leases/${subnet.replace('/', '-')}`;
