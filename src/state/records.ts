/**
 * What netd owns, as stored records. Key layout (all under `netd/v1/`):
 *
 *   netd/v1/networks/<id>                         NetworkRecord
 *   netd/v1/sandboxes/<id>                        SandboxRecord
 *   netd/v1/endpoints/<id>                        EndpointRecord
 *   netd/v1/ipam/<networkId>/<4|6>/<address>      AllocationRecord (one per handed-out address)
 *   netd/v1/files/<netns>/<file>                  FileRecord (what netd last wrote to /etc/netns/<netns>/<file>)
 *
 * ids are random 64-hex strings. Names are unique per kind; the state-dir lock serializes
 * writers, and writes carry the revision they read (compare-and-swap), so stale writes fail.
 *
 * `state` records intent before kernel work (libnetwork's inDelete): a record in `creating`
 * or `deleting` after a crash tells the next run to finish or undo what was in flight.
 */
import type { RouteView } from './view.js';
import {
  PREDEFINED_NETWORKS,
  type ExtraHost,
  type NetnsRef,
  type OverlayLease,
  type OverlayPeer,
  type OverlaySettings,
  type PortMapping,
  type DriverName,
  type DesiredContainer,
  type DesiredNetwork,
  type GatewayMode,
} from '../desired/types.js';

export const KEY_ROOT = 'netd/v1/';
export const NETWORKS = `${KEY_ROOT}networks/`;
export const SANDBOXES = `${KEY_ROOT}sandboxes/`;
export const ENDPOINTS = `${KEY_ROOT}endpoints/`;
export const IPAM = `${KEY_ROOT}ipam/`;
export const FILES = `${KEY_ROOT}files/`;

export const networkKey = (id: string): string => `${NETWORKS}${id}`;
export const sandboxKey = (id: string): string => `${SANDBOXES}${id}`;
export const endpointKey = (id: string): string => `${ENDPOINTS}${id}`;
export const allocationPrefix = (networkId: string): string => `${IPAM}${networkId}/`;
export const allocationKey = (networkId: string, family: 4 | 6, address: string): string => `${IPAM}${networkId}/${family}/${address}`;
/** A file's key from its path, /etc/netns/<netns>/<file>. */
export const fileKey = (path: string): string => `${FILES}${path.split('/').slice(3).join('/')}`;

export type LifeState = 'creating' | 'ready' | 'deleting';

export interface FamilyRecord {
  readonly subnet: string; // canonical CIDR
  readonly gateway: string;
  readonly ipRange?: string;
  readonly reserved: readonly string[];
}

export interface NetworkRecord {
  readonly id: string;
  readonly name: string;
  readonly driver: DriverName;
  /** Kernel bridge name (declared, else nd-<12 hex of id>); absent for host/null. */
  readonly bridge?: string;
  readonly ipv4?: FamilyRecord;
  readonly ipv6?: FamilyRecord;
  readonly mtu: number;
  readonly internal: boolean;
  readonly masquerade: boolean;
  readonly icc: boolean;
  /** `routed` (Docker's gateway_mode): no masquerade, published ports reached at the container address; absent: nat. */
  readonly gatewayMode?: GatewayMode;
  /** Served by netd's resolver (absent in records written before it existed: false). */
  readonly dns?: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** The bridge existed before netd and was declared `adopt: true`: configured, never deleted. */
  readonly adopted: boolean;
  /** An overlay network: `ipv4` is this host's leased subnet, `overlay.range` the cluster's. */
  readonly overlay?: OverlaySettings;
  /** An overlay network's lease on this host and its peers: attached by the lease manager before the driver is asked (kept with the record; its peers are replaced by the cluster's on every read). */
  readonly lease?: OverlayLease;
  readonly state: LifeState;
}

export type { OverlayLease, OverlayPeer };

/**
 * An overlay record as this pass sees it: with this host's current lease and peers when the
 * cluster gave them for its subnet; else (the store unreachable, the network leaving, or
 * re-addressed) its own lease with the peers unknown, so that their entries are left alone.
 */
export function withCurrentLease(rec: NetworkRecord, leases: ReadonlyMap<string, OverlayLease> | undefined): NetworkRecord {
  if (!rec.overlay || !rec.lease) return rec;
  const current = leases?.get(rec.name);
  if (current && current.subnet === rec.lease.subnet) return { ...rec, lease: current };
  const { peers: _, ...own } = rec.lease;
  return { ...rec, lease: own };
}

/** A network of this driver has a Linux bridge on this host (an overlay's is its local part). */
export const hasBridge = (driver: DriverName): boolean => driver === 'bridge' || driver === 'overlay';

/** Docker's predefined networks host and none: implicit records, never stored, never deleted. */
export const PREDEFINED: readonly NetworkRecord[] = [...PREDEFINED_NETWORKS].map(([name, driver]) => ({
  id: name,
  name,
  driver,
  mtu: 1500,
  internal: false,
  masquerade: false,
  icc: true,
  labels: {},
  adopted: false,
  state: 'ready',
}));

export interface SandboxRecord {
  readonly id: string;
  readonly container: string;
  readonly netns: NetnsRef;
  /** netd created the named namespace (and so may delete it); false for adopted ones. */
  readonly created: boolean;
  /**
   * The namespace's identity, `<st_dev>:<st_ino>` of its nsfs file and, read with the addon,
   * `:<cookie>` (see sameNamespace), taken when netd created or adopted it: a namespace under
   * the same name with another identity is not netd's. Absent in records written before it
   * existed (trusted as before) and while a (re)create is in flight.
   */
  readonly nsId?: string;
  readonly hostname: string;
  readonly dns?: { readonly nameservers: readonly string[]; readonly search: readonly string[]; readonly options: readonly string[] };
  /** Its hosts file's extra lines (absent: none, also in records written before they existed). */
  readonly extraHosts?: readonly ExtraHost[];
  /** The container's labels (absent: none). */
  readonly labels?: Readonly<Record<string, string>>;
  /** The container is attached to a `host` network: it shares the host's namespace, netd builds none. */
  readonly hostNetwork?: boolean;
  /** An adopted namespace's own default routes that netd's replaced (gatewayPriority > 0), per family: restored when netd's go. */
  readonly savedRoutes?: { readonly 4?: RouteView; readonly 6?: RouteView };
  readonly state: LifeState;
}

export interface EndpointRecord {
  readonly id: string;
  readonly networkId: string;
  readonly network: string; // network name
  readonly container: string;
  readonly sandboxId: string;
  readonly interface: string; // name inside the sandbox
  readonly hostVeth?: string; // nd<12 hex of id>; absent for host/null drivers
  readonly mac?: string;
  readonly ipv4?: string; // bare address; prefix length comes from the network
  readonly ipv6?: string;
  readonly aliases: readonly string[];
  readonly gatewayPriority: number;
  readonly ports: readonly PortMapping[];
  readonly state: LifeState;
}

export interface AllocationRecord {
  readonly networkId: string;
  readonly family: 4 | 6;
  readonly address: string;
  /** (container, network) the address belongs to: `<container>/<network>`. */
  readonly owner: string;
  readonly endpointId: string;
  readonly static: boolean;
}

// ---- Names and values derived from ids (DESIGN.md §3: kernel names ≤ 15 bytes) ------------

/** Bridge name when the network declares none: `nd-<12 hex>`. */
export const derivedBridgeName = (networkId: string): string => `nd-${networkId.slice(0, 12)}`;

/** Host side of an endpoint's veth pair: `nd<12 hex>`. */
export const hostVethName = (endpointId: string): string => `nd${endpointId.slice(0, 12)}`;

/**
 * What netd last wrote to one of its /etc/netns files, so that a diff need not render the file
 * to know it is in sync (state/file-digest.ts). Written after the file; absent (a file written
 * before digests were kept, or a write interrupted before its record): the file is rendered and
 * compared whole.
 */
export interface FileRecord {
  readonly path: string;
  /** Bytes written. */
  readonly size: number;
  /** sha256 (hex) of the bytes written. */
  readonly sha256: string;
  /** Digest of what the content was rendered from (state/files.ts WantedFile.inputs). */
  readonly inputs: string;
}

/** What the store says netd owns, with each record's revision (for compare-and-swap writes). */
export interface RecordedState {
  readonly networks: readonly NetworkRecord[];
  readonly sandboxes: readonly SandboxRecord[];
  readonly endpoints: readonly EndpointRecord[];
  readonly allocations: readonly AllocationRecord[];
  /** What netd wrote to the /etc/netns files (absent: none recorded; every file is compared whole). */
  readonly files?: readonly FileRecord[];
  /** store key → modRevision of every record above. */
  readonly revisions: ReadonlyMap<string, number>;
}

/** What a sandbox record takes from the files alone, no kernel object behind it: an update rewrites just these. */
export type DeclaredSandboxFields = Pick<SandboxRecord, 'hostname' | 'dns' | 'extraHosts' | 'labels'>;

export function declaredSandboxFields(d: DesiredContainer): DeclaredSandboxFields {
  return {
    hostname: d.hostname,
    ...(d.dns ? { dns: d.dns } : {}),
    ...(d.extraHosts.length ? { extraHosts: d.extraHosts } : {}),
    ...(Object.keys(d.labels).length ? { labels: d.labels } : {}),
  };
}

/** A network record from its declaration and what netd chose or found for it (ids, subnets, bridge). */
export function networkRecordOf(
  d: DesiredNetwork,
  o: { id: string; bridge?: string; ipv4?: FamilyRecord; ipv6?: FamilyRecord; adopted: boolean; state: LifeState },
): NetworkRecord {
  return {
    id: o.id,
    name: d.name,
    driver: d.driver,
    ...(o.bridge !== undefined ? { bridge: o.bridge } : {}),
    ...(o.ipv4 ? { ipv4: o.ipv4 } : {}),
    ...(o.ipv6 ? { ipv6: o.ipv6 } : {}),
    mtu: d.mtu,
    internal: d.internal,
    masquerade: d.masquerade,
    icc: d.icc,
    ...(d.gatewayMode !== 'nat' ? { gatewayMode: d.gatewayMode } : {}),
    ...(d.dns ? { dns: true } : {}),
    labels: d.labels,
    adopted: o.adopted,
    ...(d.overlay ? { overlay: d.overlay } : {}),
    ...(d.lease ? { lease: d.lease } : {}),
    state: o.state,
  };
}
