/**
 * flannel's subnet manager over the Store seam, without its bugs (DESIGN.md §9):
 * - a host's own lease is found by host id, then by public IP, and kept alive by the same
 *   store lease id (flannel grants a new lease on every renewal and leaks the old one);
 * - else the subnet of its last lease, if still free; else a random free subnet;
 * - a claim is create-if-absent bound to a fresh lease; a lost race is retried (flannel's is
 *   not), and a lease granted for a claim that never landed is revoked;
 * - reservations (keys without a lease) are only ever given to the host they name;
 * - a host whose lease expired while it was down and whose subnet was taken gets another and
 *   is told loudly that it is re-addressed.
 */
import { NetdError, isNetdError, messageOf } from '../errors.js';
import type { Leases, Store } from '../store/store.js';
import { ensureConfig, type OverlayConfig } from './config.js';
import { overlayKeys, type OverlayKeys } from './keys.js';
import { leaseEntries, leaseValue, listLeases, sameLeaseValue, type LeaseEntry, type LeaseValue, type PeerLease } from './lease.js';
import { firstFreeSubnets, isRangeSubnet, pickOne, subnetCount } from './subnets.js';

export interface OverlayNetwork {
  readonly name: string;
  readonly config: OverlayConfig;
}

export interface HostClaim {
  readonly hostId: string;
  /** The address peers reach this host on (cluster.publicIp, else the external interface's). */
  readonly publicIp: string;
  /** The VTEP MAC (vxlan; absent for host-gw), or how it derives from the subnet. */
  readonly vtepMac?: string | ((subnet: string) => string);
  /** The subnet of this host's last lease, as recorded locally. */
  readonly previousSubnet?: string;
}

/** renewed: this host's lease, kept alive; reserved: its reservation; new: a fresh claim. */
export type AcquireOutcome = 'renewed' | 'reserved' | 'new' | 're-addressed';

export interface Acquired {
  readonly subnet: string;
  /** The store lease the subnet is bound to; undefined for a reservation (it never expires). */
  readonly leaseId?: string;
  readonly outcome: AcquireOutcome;
  /** Said loudly in the plan and summary when re-addressed. */
  readonly message?: string;
  /** Rounds of list-and-claim it took (1 unless a race was lost). */
  readonly attempts: number;
  /** Whether this host wrote the network's cluster config or found a matching one. */
  readonly config: 'created' | 'matched';
}

export interface SubnetManagerOptions {
  /** cluster.etcd.prefix */
  readonly prefix: string;
  /** cluster.leaseTtl, seconds */
  readonly leaseTtl: number;
  /** [0, 1), like Math.random (the default): which free subnet to claim. */
  readonly random?: () => number;
  readonly maxAttempts?: number;
}

const DEFAULT_ATTEMPTS = 10;

type Held = Pick<Acquired, 'subnet' | 'leaseId' | 'outcome'>;
type Round = { readonly done: Held } | { readonly retry: true };

export class SubnetManager {
  readonly #store: Store;
  readonly #leases: Leases;
  readonly #opts: SubnetManagerOptions;

  constructor(store: Store, opts: SubnetManagerOptions) {
    if (!store.leases) throw new NetdError('internal', 'the cluster store has no leases (overlay networks need etcd)');
    this.#store = store;
    this.#leases = store.leases;
    this.#opts = opts;
  }

  /** This host's subnet of the network: its own lease kept alive, else a claim. */
  async acquire(net: OverlayNetwork, host: HostClaim): Promise<Acquired> {
    const keys = overlayKeys(this.#opts.prefix, net.name);
    const config = await ensureConfig(this.#store, keys.config, net.name, net.config);
    const max = this.#opts.maxAttempts ?? DEFAULT_ATTEMPTS;
    const spare: { id?: string } = {};
    try {
      for (let attempt = 1; attempt <= max; attempt++) {
        const entries = (await leaseEntries(this.#store, keys.leases)).filter((e) => isRangeSubnet(net.config.network, net.config.subnetLen, e.subnet));
        const own = ownEntry(entries, host);
        const r = own ? await this.#reuse(net, host, own) : await this.#claim(keys, net, host, entries, spare);
        if ('done' in r) return { ...r.done, ...readdress(net, host, r.done, entries), attempts: attempt, config };
      }
    } finally {
      if (spare.id !== undefined) await this.#revokeQuietly(spare.id);
    }
    throw new NetdError(
      'retry',
      `overlay network "${net.name}": lost the race for a subnet ${max} times in a row to hosts claiming at the same time; run the command again`,
    );
  }

  /** Keeps a lease alive: the seconds it has left; NetdError('not-found') when it expired (acquire again). */
  async renew(leaseId: string): Promise<number> {
    return this.#leases.keepAlive(leaseId);
  }

  /** Gives this host's subnet back (only when the network leaves the host): revoking deletes the key. */
  async release(network: string, leaseId: string): Promise<void> {
    try {
      await this.#leases.revoke(leaseId); // an unknown (expired) lease is a no-op
    } catch (e) {
      throw new NetdError(isNetdError(e) ? e.code : 'internal', `overlay network "${network}": release lease ${leaseId}: ${messageOf(e)}`, { cause: e });
    }
  }

  listLeases(network: string): Promise<PeerLease[]> {
    return listLeases(this.#store, this.#opts.prefix, network);
  }

  async #reuse(net: OverlayNetwork, host: HostClaim, own: LeaseEntry): Promise<Round> {
    const { kv, subnet } = own;
    const mine = valueFor(net, host, subnet);
    if (kv.lease !== undefined) {
      try {
        await this.#leases.keepAlive(kv.lease);
      } catch (e) {
        if (!isNetdError(e, 'not-found')) throw e;
        // Expired between the list and now: its key goes with it (etcd deletes it; make sure).
        await this.#store.delete(kv.key, { expectRevision: kv.modRevision }).catch(retryOnLost);
        return { retry: true };
      }
    }
    if (!sameLeaseValue(kv.value, mine)) {
      try {
        await this.#store.put(kv.key, mine, { expectRevision: kv.modRevision, ...(kv.lease === undefined ? {} : { lease: kv.lease }) });
      } catch (e) {
        return retryOnLost(e); // changed meanwhile, or its lease just ended: look again
      }
    }
    return { done: kv.lease === undefined ? { subnet, outcome: 'reserved' } : { subnet, leaseId: kv.lease, outcome: 'renewed' } };
  }

  async #claim(keys: OverlayKeys, net: OverlayNetwork, host: HostClaim, entries: readonly LeaseEntry[], spare: { id?: string }): Promise<Round> {
    const { network, subnetLen } = net.config;
    const taken = new Set(entries.map((e) => e.subnet));
    const prev = host.previousSubnet;
    const subnet =
      prev !== undefined && isRangeSubnet(network, subnetLen, prev) && !taken.has(prev)
        ? prev
        : pickOne(firstFreeSubnets(network, subnetLen, taken), this.#opts.random ?? Math.random);
    if (subnet === undefined) throw rangeFull(net, entries);
    spare.id ??= await this.#leases.grant(this.#opts.leaseTtl);
    const key = keys.lease(subnet);
    const claim = this.#store.txn([{ key, modRevision: 0 }], [{ type: 'put', key, value: valueFor(net, host, subnet), lease: spare.id }]);
    const r = await claim.catch((e: unknown) => {
      if (!isNetdError(e, 'not-found')) throw e;
      delete spare.id; // the spare lease ran out while we raced: grant another
      return { succeeded: false };
    });
    if (!r.succeeded) return { retry: true };
    const leaseId = spare.id;
    delete spare.id;
    return { done: { subnet, leaseId, outcome: 'new' } };
  }

  async #revokeQuietly(id: string): Promise<void> {
    try {
      await this.#leases.revoke(id);
    } catch {
      // A spare lease nobody uses expires on its own; failing to revoke it changes nothing else.
    }
  }
}

/** A host that comes back on another subnet than its last one is re-addressed, loudly. */
function readdress(net: OverlayNetwork, host: HostClaim, held: Held, entries: readonly LeaseEntry[]): Pick<Acquired, 'outcome' | 'message'> | undefined {
  const prev = host.previousSubnet;
  const subnet = held.subnet;
  if (prev === undefined || prev === subnet) return undefined;
  const holder = entries.find((e) => e.subnet === prev);
  const why =
    held.outcome !== 'new'
      ? `is not the one the cluster holds for it`
      : !isRangeSubnet(net.config.network, net.config.subnetLen, prev)
        ? `is not a subnet of the cluster range ${net.config.network} any more`
        : holder === undefined
          ? 'was taken meanwhile'
          : holder.kv.lease === undefined
            ? 'is reserved for another host'
            : `expired and is now held by host ${holder.kv.value?.hostId ?? '(unknown)'} (${holder.kv.value?.publicIp ?? 'no public ip'})`;
  return {
    outcome: 're-addressed',
    message: `overlay network "${net.name}": this host's last subnet ${prev} ${why}; it now has ${subnet} and its endpoints on "${net.name}" are re-addressed`,
  };
}

function rangeFull(net: OverlayNetwork, entries: readonly LeaseEntry[]): NetdError {
  const { network, subnetLen } = net.config;
  const reserved = entries.filter((e) => e.kv.lease === undefined).length;
  return new NetdError(
    'conflict',
    `overlay network "${net.name}": no free /${subnetLen} left in ${network} (${subnetCount(network, subnetLen)} subnets: ` +
      `${entries.length - reserved} leased, ${reserved} reserved); remove the network from a host that no longer needs it, or delete a reservation`,
  );
}

/** A compare-and-swap lost (conflict) or a lease that ended meanwhile (not-found): another round. */
function retryOnLost(e: unknown): Round {
  if (isNetdError(e, 'conflict') || isNetdError(e, 'not-found')) return { retry: true };
  throw e;
}

function valueFor(net: OverlayNetwork, host: HostClaim, subnet: string): LeaseValue {
  const mac = typeof host.vtepMac === 'function' ? host.vtepMac(subnet) : host.vtepMac;
  return leaseValue({
    hostId: host.hostId,
    publicIp: host.publicIp,
    backend: net.config.backend,
    vni: net.config.vni,
    ...(mac === undefined ? {} : { vtepMac: mac }),
  });
}

/** This host's entry: by host id, then by public IP; the one on its previous subnet first. */
export function ownEntry(entries: readonly LeaseEntry[], host: Pick<HostClaim, 'hostId' | 'publicIp' | 'previousSubnet'>): LeaseEntry | undefined {
  const pick = (match: (e: LeaseEntry) => boolean): LeaseEntry | undefined => {
    const all = entries.filter(match);
    return all.find((e) => e.subnet === host.previousSubnet) ?? all[0];
  };
  return pick((e) => e.kv.value?.hostId === host.hostId) ?? pick((e) => e.kv.value?.publicIp === host.publicIp);
}
