/**
 * The cluster's part of a pass (DESIGN.md §9): for each declared overlay network, this host's
 * subnet lease and its peers, read from (or, to apply, claimed in) the cluster's etcd; then
 * the desired state as this host builds it (`localize`: the overlay's `ipv4` is the leased
 * subnet, gateway `.1`, with the overlay's MTU) and the records with the current peers.
 *
 * The cluster store unreachable is not a refusal: what is local is built from the local
 * records, peers are left as they are, and the pass says so (apply then exits 1).
 */
import { NetdError, isNetdError, messageOf } from '../errors.js';
import type { ClusterConfig, DesiredNetwork, DesiredState, OverlayLease, OverlayPeer } from '../desired/types.js';
import { withCurrentLease, type NetworkRecord } from '../state/records.js';
import type { Runner } from '../kernel/index.js';
import { observeUplink } from '../kernel/uplink.js';
import type { Store } from '../store/store.js';
import {
  SubnetManager,
  configDifferences,
  configMismatch,
  externalInterface,
  isRangeSubnet,
  leaseEntries,
  loadHostId,
  overlayConfigOf,
  overlayKeys,
  ownEntry,
  peekHostId,
  type ExternalInterface,
  type PeerLease,
} from '../cluster/index.js';
import { leaseGateway, overlayMtu, routablePeers, vtepMacOf } from '../drivers/overlay/index.js';
import type { RecordedState } from '../plan/types.js';

export interface ClusterView {
  /** Per overlay network name: this host's lease, with its peers unless the store was unreachable. */
  readonly leases: ReadonlyMap<string, OverlayLease>;
  /** Said loudly in the plan and the summary (a host re-addressed, a network not built). */
  readonly notes: readonly string[];
  /** Refusals: the cluster's config differs from the file, the range is full, no external interface. */
  readonly problems: readonly string[];
  /** The cluster store could not be reached: why, naming the endpoints. */
  readonly unreachable?: string;
  /** Overlay networks this host cannot build now (no lease and none recorded). */
  readonly unbuilt: ReadonlySet<string>;
}

export const NO_CLUSTER: ClusterView = { leases: new Map(), notes: [], problems: [], unbuilt: new Set() };

export interface ClusterDeps {
  readonly runner: Runner;
  readonly stateDir: string;
  /**
   * A store already open (watch keeps one), or how to get the one a pass shares (its caller
   * closes it); else one is opened from `cluster.etcd` for this call and closed.
   */
  readonly store?: Store | (() => Promise<Store>);
}

/** `peek` reads only (diff, a refused apply); `claim` takes and renews leases (apply). */
export type ClusterMode = 'peek' | 'claim';

const overlaysOf = (desired: DesiredState): DesiredNetwork[] => desired.networks.filter((n) => n.overlay !== undefined);

export async function clusterView(desired: DesiredState, recorded: RecordedState, deps: ClusterDeps, mode: ClusterMode): Promise<ClusterView> {
  const overlays = overlaysOf(desired);
  const cluster = desired.cluster;
  if (overlays.length === 0 || !cluster) return NO_CLUSTER;
  let ext: ExternalInterface;
  try {
    ext = externalInterface(await observeUplink(deps.runner), cluster);
  } catch (e) {
    if (!isNetdError(e, 'not-found')) throw e;
    return { ...NO_CLUSTER, problems: [e.message] };
  }
  const previous = new Map(recorded.networks.filter((r) => r.overlay && r.lease && r.state !== 'deleting').map((r) => [r.name, r]));
  let opened: Store | undefined;
  try {
    const given = deps.store;
    const store = given === undefined ? (opened = await openClusterStore(cluster)) : typeof given === 'function' ? await given() : given;
    const hostId = mode === 'claim' ? loadHostId(deps.stateDir) : peekHostId(deps.stateDir);
    const leases = new Map<string, OverlayLease>();
    const notes: string[] = [];
    const problems: string[] = [];
    for (const n of overlays) {
      const r = await leaseOf(store, cluster, n, ext, { hostId, previous: previous.get(n.name) }, mode).catch((e: unknown) => {
        if (isNetdError(e, 'conflict')) return { problem: e.message };
        throw e;
      });
      if ('problem' in r) problems.push(r.problem);
      else {
        if (r.lease) {
          // host-gw: a peer on another segment is skipped with a note, the others are routed.
          const routed = n.overlay?.backend === 'host-gw' ? routablePeers(n.name, r.lease, ext.onLink) : { lease: r.lease, notes: [] };
          leases.set(n.name, routed.lease);
          notes.push(...routed.notes);
        }
        if (r.note) notes.push(r.note);
      }
    }
    return { leases, notes, problems, unbuilt: new Set() };
  } catch (e) {
    if (!isNetdError(e, 'retry')) throw e;
    return fromRecords(overlays, previous, `the cluster store is unreachable: ${e.message}`);
  } finally {
    await opened?.close().catch(() => undefined);
  }
}

/** The etcd client (gRPC) takes a quarter of a second to load: only commands that talk to a cluster load it. */
export async function openClusterStore(cluster: Pick<ClusterConfig, 'etcd'>): Promise<Store> {
  const { openEtcdStore } = await import('../store/etcd.js');
  return openEtcdStore({ endpoints: cluster.etcd.endpoints, ...(cluster.etcd.tls ? { tls: cluster.etcd.tls } : {}) });
}

/** Without the store: each recorded overlay as it is, peers unknown; one never built cannot be. */
function fromRecords(overlays: readonly DesiredNetwork[], previous: ReadonlyMap<string, NetworkRecord>, why: string): ClusterView {
  const leases = new Map<string, OverlayLease>();
  const unbuilt = new Set<string>();
  for (const n of overlays) {
    const rec = previous.get(n.name);
    if (rec?.lease) leases.set(n.name, withCurrentLease(rec, undefined).lease!);
    else unbuilt.add(n.name);
  }
  const notes = [...unbuilt].map((n) => `overlay network "${n}" is not built: it has no subnet lease yet and ${why}`);
  return { leases, notes, problems: [], unreachable: why, unbuilt };
}

interface HostFacts {
  readonly hostId: string | undefined;
  readonly previous: NetworkRecord | undefined;
}

type LeaseResult = { readonly lease?: OverlayLease; readonly note?: string };

async function leaseOf(
  store: Store,
  cluster: ClusterConfig,
  n: DesiredNetwork,
  ext: ExternalInterface,
  host: HostFacts,
  mode: ClusterMode,
): Promise<LeaseResult> {
  const config = overlayConfigOf(n);
  const prefix = cluster.etcd.prefix;
  const previousSubnet = host.previous?.lease?.subnet;
  const vxlan = config.backend === 'vxlan';
  const build = (subnet: string, leaseId: string | undefined, all: readonly PeerLease[]): OverlayLease => ({
    subnet,
    ...(leaseId === undefined ? {} : { leaseId }),
    vtepMac: vtepMacOf(subnet),
    store: cluster.etcd,
    dev: ext.name,
    local: ext.localIp,
    mtu: ext.mtu,
    peers: peersOf(all, subnet, config.backend, config.vni),
  });
  if (mode === 'claim') {
    const manager = new SubnetManager(store, { prefix, leaseTtl: cluster.leaseTtl });
    const got = await manager.acquire(
      { name: n.name, config },
      {
        hostId: host.hostId!,
        publicIp: ext.publicIp,
        ...(vxlan ? { vtepMac: vtepMacOf } : {}),
        ...(previousSubnet === undefined ? {} : { previousSubnet }),
      },
    );
    return { lease: build(got.subnet, got.leaseId, await manager.listLeases(n.name)), ...(got.message ? { note: got.message } : {}) };
  }
  // peek: what acquire would find, without writing.
  const keys = overlayKeys(prefix, n.name);
  const stored = await store.get(keys.config);
  if (stored) {
    const diffs = configDifferences(stored.value, config);
    if (diffs.length > 0) throw configMismatch(n.name, keys.config, diffs);
  }
  const entries = (await leaseEntries(store, keys.leases)).filter((e) => isRangeSubnet(config.network, config.subnetLen, e.subnet));
  const own = ownEntry(entries, { hostId: host.hostId ?? '', publicIp: ext.publicIp, ...(previousSubnet === undefined ? {} : { previousSubnet }) });
  const free =
    previousSubnet !== undefined && isRangeSubnet(config.network, config.subnetLen, previousSubnet) && !entries.some((e) => e.subnet === previousSubnet);
  const subnet = own?.subnet ?? (free ? previousSubnet : undefined);
  const all = entries.flatMap((e) => (e.kv.value ? [{ subnet: e.subnet, ...e.kv.value } as PeerLease] : []));
  if (subnet !== undefined) return { lease: build(subnet, own?.kv.lease, all) };
  if (host.previous?.lease) {
    return {
      lease: build(host.previous.lease.subnet, undefined, all),
      note: `overlay network "${n.name}": this host's lease on ${host.previous.lease.subnet} expired and the subnet is taken; apply takes a new subnet and re-addresses its endpoints`,
    };
  }
  return {};
}

/** The other hosts' leases this backend can route to (a vxlan peer needs its VTEP MAC). */
function peersOf(all: readonly PeerLease[], own: string, backend: string, vni: number): OverlayPeer[] {
  return all
    .filter(
      (p) =>
        p.subnet !== own && p.backend === backend && p.vni === vni && typeof p.publicIp === 'string' && (backend !== 'vxlan' || typeof p.vtepMac === 'string'),
    )
    .map((p) => ({ subnet: p.subnet, publicIp: p.publicIp, vtepMac: p.vtepMac ?? '' }))
    .sort((a, b) => a.subnet.localeCompare(b.subnet, 'en', { numeric: true }));
}

/**
 * The desired state as this host builds it: each overlay network with a lease becomes its
 * local part (the lease's subnet, gateway `.1`, the overlay's MTU, the lease attached); one
 * this host cannot build now is left out with its attachments (nothing of it is recorded, so
 * nothing is pruned). Without a lease (a read-only look before the first claim) it stays as
 * declared: its create is all the plan shows. Pure.
 */
export function localize(desired: DesiredState, view: ClusterView): DesiredState {
  if (view.leases.size === 0 && view.unbuilt.size === 0) return desired;
  const networks = desired.networks.flatMap((n): DesiredNetwork[] => {
    if (view.unbuilt.has(n.name)) return [];
    const lease = n.overlay ? view.leases.get(n.name) : undefined;
    if (!lease) return [n];
    const ipv4 = { subnet: lease.subnet, gateway: leaseGateway(lease.subnet), reserved: [] };
    return [{ ...n, ipv4, mtu: overlayMtu(n.overlay?.backend, lease), lease }];
  });
  const attachments = desired.attachments.filter((a) => !view.unbuilt.has(a.network));
  return { ...desired, networks, attachments };
}

/** The records with each overlay's current lease and peers (state/records.ts withCurrentLease). Pure. */
export function attachLeases(recorded: RecordedState, view: ClusterView): RecordedState {
  if (!recorded.networks.some((n) => n.overlay)) return recorded;
  return { ...recorded, networks: recorded.networks.map((n) => withCurrentLease(n, view.leases)) };
}

const BUILT_LOCAL = 'what is local was built from the local records and the peers were left as they are';

/** The error a pass that could not reach the cluster store ends with (exit 1), saying what it did without it. */
export function unreachableError(view: ClusterView | undefined, consequence = BUILT_LOCAL): NetdError | undefined {
  return view?.unreachable === undefined ? undefined : new NetdError('retry', `${view.unreachable}; ${consequence}`);
}

/**
 * Gives back this host's leases of overlay networks that left it (their records deleted):
 * the only time a lease is revoked (DESIGN.md §9). Each record says where its lease lives.
 * Returns one line per lease that could not be given back (it then expires on its own).
 */
export async function releaseLeases(networks: readonly NetworkRecord[], stateDir: string): Promise<string[]> {
  const hostId = peekHostId(stateDir);
  const failures: string[] = [];
  for (const n of networks) {
    const lease = n.lease;
    if (!n.overlay || !lease || hostId === undefined) continue;
    try {
      const store = await openClusterStore({ etcd: lease.store });
      try {
        const entries = await leaseEntries(store, overlayKeys(lease.store.prefix, n.name).leases);
        const own = ownEntry(
          entries.filter((e) => e.kv.value?.hostId === hostId),
          { hostId, publicIp: '', previousSubnet: lease.subnet },
        );
        if (own?.kv.lease !== undefined) await new SubnetManager(store, { prefix: lease.store.prefix, leaseTtl: 1 }).release(n.name, own.kv.lease);
      } finally {
        await store.close().catch(() => undefined);
      }
    } catch (e) {
      failures.push(`overlay network "${n.name}": its lease on ${lease.subnet} could not be given back (it expires on its own): ${messageOf(e)}`);
    }
  }
  return failures;
}
