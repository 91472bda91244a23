/**
 * The subnet leases of the overlay networks the files declare, as the cluster's etcd holds
 * them (`netd get leases`): one read-only connection, one range per network. Local state is
 * not involved: this is the cluster's view.
 */
import { NetdError } from '../errors.js';
import { listLeases, type PeerLease } from '../cluster/lease.js';
import type { DesiredState } from '../desired/types.js';
import { openClusterStore } from './cluster.js';

export interface NetworkLease extends PeerLease {
  readonly network: string;
}

/** Every lease and reservation of the declared overlay networks (only `name`'s when given), by network then subnet. */
export async function clusterLeases(desired: DesiredState, name?: string): Promise<NetworkLease[]> {
  const overlays = desired.networks.filter((n) => n.driver === 'overlay' && (name === undefined || n.name === name));
  if (name !== undefined && overlays.length === 0) throw new NetdError('not-found', `get leases: the files declare no overlay network "${name}"`);
  if (overlays.length === 0) return [];
  const cluster = desired.cluster;
  if (!cluster) throw new NetdError('invalid', 'get leases: the files declare overlay networks but no cluster section');
  const store = await openClusterStore(cluster);
  try {
    const out: NetworkLease[] = [];
    for (const n of overlays) for (const l of await listLeases(store, cluster.etcd.prefix, n.name)) out.push({ network: n.name, ...l });
    return out;
  } finally {
    await store.close();
  }
}

/** Seconds as a person reads a lease's time left: `23h59m`, `4m10s`, `9s`. */
export function timeLeft(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}
