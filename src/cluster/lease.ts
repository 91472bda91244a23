/**
 * What a lease key holds, and the leases of a network as the rest of netd sees them (the
 * overlay's peers, `netd get leases`). A key bound to no store lease is a reservation: an
 * administrator's pin of a subnet to a host, never expiring, never handed to another host.
 */
import type { OverlayBackend } from '../desired/types.js';
import type { KeyValue, Store } from '../store/store.js';
import { overlayKeys, subnetOfKeyName } from './keys.js';

export interface LeaseValue {
  readonly hostId: string;
  readonly publicIp: string;
  readonly backend: OverlayBackend;
  readonly vni: number;
  /** The host's VTEP MAC (vxlan); absent for host-gw. */
  readonly vtepMac?: string;
}

export interface PeerLease extends LeaseValue {
  readonly subnet: string;
  /** The store lease the key is bound to; undefined: a reservation. */
  readonly leaseId?: string;
  /** Seconds until the lease expires (undefined for a reservation, or when the store cannot tell). */
  readonly expiresIn?: number;
}

/** A lease key with a subnet name and the value it holds (the fields netd reads may be missing). */
export interface LeaseEntry {
  readonly subnet: string;
  readonly kv: KeyValue<Partial<LeaseValue>>;
}

export function leaseValue(v: LeaseValue): LeaseValue {
  return { hostId: v.hostId, publicIp: v.publicIp, backend: v.backend, vni: v.vni, ...(v.vtepMac === undefined ? {} : { vtepMac: v.vtepMac }) };
}

export function sameLeaseValue(stored: Partial<LeaseValue> | undefined, mine: LeaseValue): boolean {
  const s = stored ?? {};
  return s.hostId === mine.hostId && s.publicIp === mine.publicIp && s.backend === mine.backend && s.vni === mine.vni && s.vtepMac === mine.vtepMac;
}

/** The keys under a network's lease prefix that name a subnet (anything else there is ignored). */
export async function leaseEntries(store: Store, leasesPrefix: string): Promise<LeaseEntry[]> {
  const kvs = await store.list<Partial<LeaseValue>>(leasesPrefix);
  return kvs.flatMap((kv) => {
    const subnet = subnetOfKeyName(kv.key);
    return subnet === undefined || kv.key.slice(leasesPrefix.length).includes('/') ? [] : [{ subnet, kv }];
  });
}

// A reservation an administrator wrote with a host id and public IP only becomes a peer once
// its host has acquired it (acquire fills in the rest); until then it only blocks its subnet.
const isPeer = (v: Partial<LeaseValue> | null): v is LeaseValue =>
  typeof v === 'object' &&
  v !== null &&
  typeof v.hostId === 'string' &&
  typeof v.publicIp === 'string' &&
  typeof v.backend === 'string' &&
  typeof v.vni === 'number';

/** Every well-formed lease and reservation of a network, by subnet, with its remaining time. */
export async function listLeases(store: Store, prefix: string, network: string): Promise<PeerLease[]> {
  const entries = await leaseEntries(store, overlayKeys(prefix, network).leases);
  const out = entries.map(async ({ subnet, kv }): Promise<PeerLease[]> => {
    const value = kv.value;
    if (!isPeer(value)) return [];
    const leaseId = kv.lease;
    const expiresIn = leaseId === undefined ? undefined : await store.leases?.timeToLive(leaseId);
    return [
      {
        subnet,
        ...leaseValue(value),
        ...(leaseId === undefined ? {} : { leaseId }),
        ...(expiresIn === undefined ? {} : { expiresIn }),
      },
    ];
  });
  return (await Promise.all(out)).flat();
}
