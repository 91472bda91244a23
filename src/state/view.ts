/**
 * The kernel as netd sees it: one set of view types, produced by the kernel layer's
 * observers and read by the diff, the drivers' comparer and the controller. Pure data.
 */

export interface VxlanView {
  readonly vni: number;
  readonly port: number;
  readonly local?: string;
  readonly learning: boolean;
  readonly dev?: string;
}

export interface LinkView {
  readonly name: string;
  /** ifindex in its namespace. */
  readonly index?: number;
  /** info_kind: bridge, veth, vxlan, …; 'device' for links without one (lo, physical NICs). */
  readonly kind?: string;
  readonly master?: string;
  readonly mtu?: number;
  readonly mac?: string;
  readonly alias?: string;
  readonly up: boolean;
  readonly operstate?: string;
  /** veth: ifindex of the peer, in the peer's namespace. */
  readonly peerIndex?: number;
  /** veth/vxlan: the namespace id (as seen from here) the peer or lower device lives in. */
  readonly peerNetnsId?: number;
  readonly vxlan?: VxlanView;
  /** A bridge port: whether it sends frames back out the port they came in by (hairpin mode); unset: not a bridge port. */
  readonly hairpin?: boolean;
}

export interface AddressView {
  readonly dev: string;
  /** address/prefix, canonical */
  readonly cidr: string;
  readonly family?: 4 | 6;
  readonly scope?: string;
}

export interface RouteView {
  /** 'default' or a CIDR */
  readonly dst: string;
  readonly via?: string;
  readonly dev?: string;
  readonly family: 4 | 6;
  /** A number as text ('78') or iproute2's name for it ('kernel', 'boot'). */
  readonly proto?: string;
  readonly metric?: number;
  readonly table?: string;
  /** The gateway is taken as on the link without a covering route (a vxlan peer's `.0`). */
  readonly onlink?: boolean;
}

/** A permanent neighbour entry (what netd writes: a vxlan peer's `.0` → its VTEP MAC). */
export interface NeighbourView {
  readonly dev: string;
  readonly addr: string;
  readonly mac: string;
  readonly permanent: boolean;
}

/** A forwarding entry of a vxlan device: a peer VTEP MAC → the peer's underlay address. */
export interface FdbView {
  readonly dev: string;
  readonly mac: string;
  readonly dst?: string;
}

/** One network namespace as the kernel shows it. */
export interface NamespaceView {
  readonly links: readonly LinkView[];
  readonly addresses: readonly AddressView[];
  /** Table main, unicast (the host's: netd's own, protocol 78, any table). */
  readonly routes: readonly RouteView[];
  /** Permanent neighbour entries; unset: not read. */
  readonly neighbours?: readonly NeighbourView[];
  /** FDB entries of the vxlan devices in this namespace; unset: not read. */
  readonly fdb?: readonly FdbView[];
}

export interface ChainView {
  readonly name: string;
  readonly base?: { readonly type: string; readonly hook: string; readonly priority: number; readonly policy: string };
  /** handle: absent when the tables were not listed but known from netd's own load (nft-cache.ts). */
  readonly rules: readonly { readonly handle?: number; readonly comment?: string }[];
}

/** A netd-named nft table as observed: whether it carries netd's marker, and its chains. */
export interface TableView {
  readonly family: string;
  readonly name: string;
  readonly marked: boolean;
  readonly chains: readonly ChainView[];
}

/** A file netd recorded writing, as observed: its size, and the sha256 of its bytes when that size is the recorded one (state/file-digest.ts). */
export interface FileDigest {
  readonly size: number;
  readonly sha256?: string;
}

/** An /etc/netns file as observed: its text (no digest recorded), its digest, or null (missing). */
export type FileSeen = string | FileDigest | null;

/** The kernel snapshot the diff compares records against. */
export interface KernelView {
  readonly host: NamespaceView;
  /** Named namespaces under /run/netns. */
  readonly netnsNames: ReadonlySet<string>;
  /** Sandbox namespaces (name or path) → their view; null: the namespace does not exist. */
  readonly sandboxes: ReadonlyMap<string, NamespaceView | null>;
  /** /etc/netns/<ns>/{hosts,resolv.conf} path → content, or its digest where netd recorded what it wrote (state/file-digest.ts); null: missing. */
  readonly files: ReadonlyMap<string, FileSeen>;
  /** How netd's nft tables differ from the ruleset rendered from the records (empty: in sync). */
  readonly firewall: readonly string[];
  /** Sandbox namespaces (name or path) → their identity, `<st_dev>:<st_ino>[:<cookie>]` (see sameNamespace); absent: not read. */
  readonly nsIds?: ReadonlyMap<string, string>;
  /** Host sysctls netd depends on (net.ipv4.ip_forward, …) → their values; unset: not read. */
  readonly sysctls?: ReadonlyMap<string, string>;
  /** The netd-named nft tables that exist, as observed (netd's marker, chains, rules): the firewall is compared with this once. */
  readonly nftTables?: readonly TableView[];
  /** Namespace name → why netd cannot write /etc/netns/<name> (a symlink, not a directory). */
  readonly netnsDirProblems?: ReadonlyMap<string, string>;
}

const linksByName = new WeakMap<readonly LinkView[], Map<string, LinkView>>();

/**
 * The link of that name in a view's links, as `links.find` (the first of a name), indexed once
 * per links array: views are never changed in place (a changed view is a new array), so every
 * per-record lookup of a pass over the host's N links is O(1).
 */
export function linkNamed(links: readonly LinkView[] | undefined, name: string | undefined): LinkView | undefined {
  if (!links || name === undefined) return undefined;
  let byName = linksByName.get(links);
  if (!byName) {
    byName = new Map();
    for (const l of links) if (!byName.has(l.name)) byName.set(l.name, l);
    linksByName.set(links, byName);
  }
  return byName.get(name);
}
