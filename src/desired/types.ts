/**
 * Types of the desired-state format (DESIGN.md §2).
 *
 * `Document` is what one YAML document says, as written (before defaults).
 * `DesiredState` is the merged, validated, normalized, frozen result that the rest of netd
 * consumes: defaults applied, addresses canonical, every object keeping where it was declared.
 * schemas/netd.schema.json is the single source of syntax; these types follow it.
 */

/** Where an object or field was declared, for error messages of later layers. */
export interface SourceLoc {
  readonly file: string;
  readonly line: number; // 1-based
  readonly column: number; // 1-based
}

// ---- As written -------------------------------------------------------------------------

export type DriverName = 'bridge' | 'host' | 'null' | 'overlay';

/** Docker's predefined networks: attached to without being declared, never declared. */
export const PREDEFINED_NETWORKS: ReadonlyMap<string, DriverName> = new Map([
  ['host', 'host'],
  ['none', 'null'],
]);
export type Protocol = 'tcp' | 'udp' | 'sctp';
export type OverlayBackend = 'vxlan' | 'host-gw';
/** Docker's gateway_mode_ipv4/ipv6: `nat` masquerades and publishes only through DNAT; `routed` does neither. */
export type GatewayMode = 'nat' | 'routed';

export interface AddressPoolDoc {
  base: string;
  size: number;
}

export interface Ipv6Doc {
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  reserved?: string[];
}

export interface NetworkDoc {
  driver?: DriverName;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  reserved?: string[];
  ipv6?: Ipv6Doc;
  bridge?: string;
  mtu?: number;
  internal?: boolean;
  masquerade?: boolean;
  icc?: boolean;
  gatewayMode?: GatewayMode;
  dns?: boolean;
  labels?: Record<string, string>;
  adopt?: boolean;
  // overlay only
  subnetLen?: number;
  backend?: OverlayBackend;
  vni?: number;
  port?: number;
}

export interface DnsDoc {
  nameservers?: string[];
  search?: string[];
  options?: string[];
}

export interface ContainerDoc {
  netns?: string;
  hostname?: string;
  dns?: DnsDoc;
  /** `name:address` (Docker's --add-host), split at the first colon: IPv6 addresses keep theirs. */
  extraHosts?: string[];
  adopt?: boolean;
  labels?: Record<string, string>;
}

export interface PortDoc {
  hostPort: number;
  containerPort: number;
  protocol?: Protocol;
  hostIp?: string;
}

export interface AttachmentDoc {
  container: string;
  network: string;
  interface?: string;
  ipv4?: string;
  ipv6?: string;
  mac?: string;
  aliases?: string[];
  gatewayPriority?: number;
  ports?: PortDoc[];
}

export interface ClusterDoc {
  etcd: {
    endpoints: string[];
    prefix?: string;
    tls?: { ca?: string; cert?: string; key?: string };
  };
  publicIp?: string;
  publicInterface?: string;
  leaseTtl?: number;
}

export interface Document {
  version: 1;
  addressPools?: AddressPoolDoc[];
  cluster?: ClusterDoc;
  networks?: Record<string, NetworkDoc>;
  containers?: Record<string, ContainerDoc>;
  attachments?: AttachmentDoc[];
}

// ---- Normalized ---------------------------------------------------------------------------

export interface AddressPool {
  readonly base: string; // canonical CIDR, e.g. 10.210.0.0/16
  readonly size: number; // prefix length of the subnets cut from base
  readonly loc?: SourceLoc;
}

/** One address family of a network. Addresses and CIDRs are canonical strings. */
export interface FamilyConfig {
  /** undefined: allocated from addressPools by IPAM (IPv4 only). */
  readonly subnet?: string;
  /** undefined only when subnet is undefined; otherwise declared or first usable. */
  readonly gateway?: string;
  readonly ipRange?: string;
  readonly reserved: readonly string[];
}

export interface DesiredNetwork {
  readonly name: string;
  readonly driver: DriverName;
  /** IPv4; absent for host/null networks. */
  readonly ipv4?: FamilyConfig;
  readonly ipv6?: FamilyConfig;
  /** Declared kernel bridge name; undefined: derived from the network id (nd-<12 hex>). */
  readonly bridge?: string;
  readonly mtu: number; // default 1500
  readonly internal: boolean; // default false
  readonly masquerade: boolean; // default true (false under gatewayMode routed)
  readonly icc: boolean; // default true
  readonly gatewayMode: GatewayMode; // default nat
  /** netd's resolver serves the network's names on its gateway (DESIGN.md §10); default false. */
  readonly dns: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly adopt: boolean; // default false
  readonly overlay?: OverlaySettings;
  /**
   * An overlay network as this host builds it (cluster/local.ts): its subnet lease and peers.
   * Absent in what the files say; then `ipv4` is the cluster range, not this host's subnet.
   */
  readonly lease?: OverlayLease;
  readonly loc: SourceLoc;
}

/** What every host of an overlay network agrees on (DESIGN.md §9). */
export interface OverlaySettings {
  /** The cluster range (canonical CIDR): each host leases a `subnetLen` piece of it. */
  readonly range: string;
  readonly subnetLen: number;
  readonly backend: OverlayBackend;
  readonly vni: number;
  readonly port: number;
}

/** Another host's lease on an overlay network. */
export interface OverlayPeer {
  /** Its host subnet (canonical CIDR, inside the cluster range). */
  readonly subnet: string;
  /** Its underlay address: the vxlan FDB destination, the host-gw gateway. */
  readonly publicIp: string;
  /** Its vxlan device's MAC (vxlan only). */
  readonly vtepMac: string;
}

/** This host's lease on an overlay network (DESIGN.md §9), with what the driver builds from it. */
export interface OverlayLease {
  /** This host's subnet (canonical CIDR): the local bridge takes its `.1`, the vxlan device its `.0/32`. */
  readonly subnet: string;
  /** The cluster store's lease the subnet is bound to; absent for a reservation (never expires). */
  readonly leaseId?: string;
  /** This host's vxlan device MAC (overlay/vxlan.ts vtepMacOf). */
  readonly vtepMac: string;
  /** Where the lease lives (cluster.etcd when it was taken): to give it back after the files stop declaring the network. */
  readonly store: ClusterConfig['etcd'];
  /** The external interface and its own address (the vxlan `local`, never a NAT public IP) and MTU. */
  readonly dev: string;
  readonly local: string;
  readonly mtu: number;
  /**
   * The other hosts' leases. Absent when the cluster store could not be read: the peers'
   * routes, FDB and neighbour entries are then left as they are, neither added nor pruned.
   */
  readonly peers?: readonly OverlayPeer[];
}

export type NetnsRef =
  | { readonly kind: 'named'; readonly name: string } // /run/netns/<name>, created and owned by netd
  | { readonly kind: 'path'; readonly path: string }; // existing namespace: adopted, never deleted

export interface DesiredContainer {
  readonly name: string;
  readonly netns: NetnsRef; // default: named, the container's name
  readonly hostname: string; // default: the container's name
  readonly dns?: {
    readonly nameservers: readonly string[];
    readonly search: readonly string[];
    readonly options: readonly string[];
  };
  /** Lines of its hosts file, in declaration order; default none. */
  readonly extraHosts: readonly ExtraHost[];
  readonly adopt: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly loc: SourceLoc;
}

/** An extra line of a container's hosts file; the address canonical. */
export interface ExtraHost {
  readonly name: string;
  readonly address: string;
}

export interface PortMapping {
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: Protocol; // default tcp
  readonly hostIp?: string; // undefined: every host address
}

export interface DesiredAttachment {
  readonly container: string;
  readonly network: string;
  readonly interface: string; // default eth0, eth1, … per container in declaration order
  readonly ipv4?: string; // static address, bare (no prefix)
  readonly ipv6?: string;
  readonly mac?: string; // lowercase, colon-separated
  readonly aliases: readonly string[];
  readonly gatewayPriority: number; // default 0
  readonly ports: readonly PortMapping[];
  readonly loc: SourceLoc;
}

export interface ClusterConfig {
  readonly etcd: {
    readonly endpoints: readonly string[];
    readonly prefix: string; // default /netd
    readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  };
  readonly publicIp?: string;
  readonly publicInterface?: string;
  readonly leaseTtl: number; // seconds, default 86400
  readonly loc: SourceLoc;
}

export interface DesiredState {
  readonly version: 1;
  readonly addressPools: readonly AddressPool[]; // declared, or empty: IPAM uses its default
  readonly cluster?: ClusterConfig;
  /** In declaration order (files in argument order, documents in file order). */
  readonly networks: readonly DesiredNetwork[];
  readonly containers: readonly DesiredContainer[];
  readonly attachments: readonly DesiredAttachment[];
}

/** The key of an attachment: (container, network). */
export function attachmentKey(a: { container: string; network: string }): string {
  return `${a.container}/${a.network}`;
}
