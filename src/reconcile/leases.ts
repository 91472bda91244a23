/**
 * The subnet leases of the overlay networks the files declare, as the cluster's etcd holds
 * them (`netd get leases`): one read-only connection, one range per network. Local state is
 * not involved: this is the cluster's view. And an overlay network's lease and peers for
 * `netd inspect`, found through its record.
 */
import { NetdError, isNetdError } from '../errors.js';
import { listLeases, type PeerLease } from '../cluster/lease.js';
import type { DesiredState } from '../desired/types.js';
import type { NetworkRecord } from '../state/records.js';

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
  // The cluster layer (etcd, the kernel's uplink) loads only when a lease is read: get and inspect import this.
  const { openClusterStore } = await import('./cluster.js');
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

/** An overlay network of this host as `inspect` shows it: its lease and its peers, as the cluster holds them now. */
export interface OverlayInspection {
  /** This host's lease in the cluster (undefined: the cluster has none on the recorded subnet, or it is unreachable). */
  readonly own?: PeerLease;
  /** The other hosts' leases and reservations; undefined when the cluster store could not be read. */
  readonly peers?: readonly PeerLease[];
  /** Why the cluster could not be read (naming the endpoints). */
  readonly unreachable?: string;
}

/**
 * Reads the network's leases from where its record says its lease lives (`lease.store`, the
 * cluster.etcd it was taken with): no files needed. The store unreachable is an answer, not an error.
 */
export async function inspectOverlay(n: NetworkRecord, hostId: string | undefined): Promise<OverlayInspection> {
  const lease = n.lease;
  if (!n.overlay || !lease) return {};
  let all: PeerLease[];
  try {
    const { openClusterStore } = await import('./cluster.js');
    const store = await openClusterStore({ etcd: lease.store });
    try {
      all = await listLeases(store, lease.store.prefix, n.name);
    } finally {
      await store.close().catch(() => undefined);
    }
  } catch (e) {
    if (!isNetdError(e, 'retry')) throw e;
    return { unreachable: `the cluster store is unreachable: ${e.message}` };
  }
  // The key on the recorded subnet is this host's unless another host holds it (this host's expired and was taken).
  const own = all.find((l) => l.subnet === lease.subnet && (hostId === undefined || l.hostId === hostId));
  return { ...(own ? { own } : {}), peers: all.filter((l) => l !== own && l.subnet !== lease.subnet) };
}
