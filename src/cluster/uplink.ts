/**
 * The external interface of an overlay (flannel's lookupExtIface): `cluster.publicInterface`
 * by name or by one of its addresses, else the interface of the IPv4 default route. Its own
 * address is the vxlan device's `local`; `cluster.publicIp` (a NAT address) is only what peers
 * are told to send to. A vxlan device whose `local` is not on the host drops every packet
 * (measured here), so `local` is never the public IP unless the interface carries it.
 */
import { NetdError } from '../errors.js';
import { tryParseAddr } from '../desired/cidr.js';
import type { ClusterConfig } from '../desired/types.js';
import type { NamespaceView } from '../state/view.js';

export interface ExternalInterface {
  readonly name: string;
  readonly mtu: number;
  /** The interface's own IPv4 address: the vxlan `local`. */
  readonly localIp: string;
  /** The address peers reach this host on: cluster.publicIp, else localIp. */
  readonly publicIp: string;
  /** The IPv4 prefixes of table main routed on the interface without a gateway (default: 0.0.0.0/0): the host-gw segment. */
  readonly onLink: readonly string[];
}

const bare = (cidr: string): string => cidr.slice(0, cidr.indexOf('/'));
const ipv4Of = (view: NamespaceView, dev: string): string[] =>
  view.addresses.filter((a) => a.dev === dev && !a.cidr.includes(':') && (a.scope ?? 'global') !== 'host').map((a) => bare(a.cidr));

function chooseName(view: NamespaceView, wanted: string | undefined): { name: string; address?: string } {
  if (wanted !== undefined && tryParseAddr(wanted)?.family === 4) {
    const a = view.addresses.find((x) => bare(x.cidr) === wanted);
    if (!a) throw new NetdError('not-found', `cluster.publicInterface ${wanted}: no interface on this host has this address (name the interface instead)`);
    return { name: a.dev, address: wanted };
  }
  if (wanted !== undefined) return { name: wanted };
  const defaults = view.routes.filter((r) => r.dst === 'default' && r.family === 4 && r.dev !== undefined);
  const best = defaults.reduce<(typeof defaults)[number] | undefined>((b, r) => (b === undefined || (r.metric ?? 0) < (b.metric ?? 0) ? r : b), undefined);
  if (!best)
    throw new NetdError('not-found', 'cluster: this host has no IPv4 default route to find the external interface by; name it with cluster.publicInterface');
  return { name: best.dev! };
}

export function externalInterface(view: NamespaceView, cluster: Pick<ClusterConfig, 'publicInterface' | 'publicIp'>): ExternalInterface {
  const chosen = chooseName(view, cluster.publicInterface);
  const link = view.links.find((l) => l.name === chosen.name);
  if (!link) throw new NetdError('not-found', `cluster.publicInterface "${chosen.name}": no such interface on this host`);
  const own = ipv4Of(view, link.name);
  // The public IP is the local address too when the interface carries it (several addresses).
  const localIp = chosen.address ?? (cluster.publicIp !== undefined && own.includes(cluster.publicIp) ? cluster.publicIp : own[0]);
  if (localIp === undefined)
    throw new NetdError(
      'not-found',
      `cluster: interface "${link.name}" has no IPv4 address for the overlay to send from (give it one, or name another with cluster.publicInterface)`,
    );
  if (link.mtu === undefined) throw new NetdError('internal', `cluster: interface "${link.name}" has no known mtu`);
  return { name: link.name, mtu: link.mtu, localIp, publicIp: cluster.publicIp ?? localIp, onLink: onLinkOf(view, link.name) };
}

// The kernel takes a gateway only on a link-scope route of the device: in table main, a route
// without a gateway (a connected prefix, `ip route add PREFIX dev X`, or `default dev X`).
const onLinkOf = (view: NamespaceView, dev: string): string[] =>
  view.routes.filter((r) => r.family === 4 && r.dev === dev && r.via === undefined).map((r) => (r.dst === 'default' ? '0.0.0.0/0' : r.dst));
