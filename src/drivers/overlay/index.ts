/**
 * overlay driver — what it programs and why (DESIGN.md §9; a `global` driver).
 *
 * Input: the network record with `lease` attached (state/records.ts OverlayLease: this host's
 * subnet and VTEP MAC, the external interface with its own address and MTU, and the peers'
 * leases). The lease manager fills it before the driver is asked; the driver does no I/O and
 * never reads the store. A record without a lease is a caller's bug, not a user's mistake.
 *
 * Network, on each host:
 * - the local bridge, as the bridge driver builds it, with the lease's subnet (gateway `.1`)
 *   and the overlay's MTU (external − 50 on vxlan: containers never send what the underlay
 *   would have to fragment);
 * - vxlan: the device `ndv<12 hex>` (vxlan.ts) and per peer its neighbour, FDB entry and route;
 *   host-gw: per peer a route through the peer's underlay address (hostgw.ts);
 * - the owned set: netd's routes (protocol 78) through the vxlan device or into the cluster
 *   range, and the permanent neighbour and FDB entries on the device. What no peer implies is
 *   removed: a peer that left, a changed backend's leftovers.
 *
 * Endpoint: as on a bridge network, in the lease's subnet.
 */
import { NetdError } from '../../errors.js';
import type { KernelOp } from '../../kernel/ops.js';
import { derivedBridgeName, type NetworkRecord, type OverlayLease } from '../../state/records.js';
import type { KernelView } from '../../state/view.js';
import type { OverlayBackend } from '../../desired/types.js';
import { formatAddr, parseCidr } from '../../desired/cidr.js';
import { bridgeDriver } from '../bridge.js';
import { isMine } from '../compare.js';
import { compareEntries } from '../entries.js';
import type { Fix } from '../compare.js';
import type { Driver } from '../driver.js';
import type { Expected } from '../expect.js';
import { hostGwExpected } from './hostgw.js';
import { VXLAN_OVERHEAD, vxlanExpected, vxlanMark, vxlanName } from './vxlan.js';

export { vtepMacOf, vxlanName, subnetZero } from './vxlan.js';
export { onSegment, routablePeers } from './hostgw.js';

function leaseOf(net: NetworkRecord): OverlayLease {
  if (!net.lease || !net.overlay) throw new NetdError('internal', `overlay network "${net.name}": no subnet lease was taken before building it`);
  return net.lease;
}

/** The MTU inside the overlay: what containers and the local bridge get. */
export const overlayMtu = (backend: OverlayBackend | undefined, lease: Pick<OverlayLease, 'mtu'>): number =>
  backend === 'host-gw' ? lease.mtu : lease.mtu - VXLAN_OVERHEAD;

/** The local bridge's address in a host subnet: its `.1` (the `.0` is the vxlan device's). */
export const leaseGateway = (subnet: string): string => {
  const c = parseCidr(subnet);
  return formatAddr(c.family, c.network + 1n);
};

/**
 * The overlay network as a bridge network of this host: the lease's subnet with gateway `.1`
 * and the overlay's MTU (without a lease: only the bridge name, enough to remove it).
 */
export function localNetwork(net: NetworkRecord): NetworkRecord {
  const bridge = net.bridge ?? derivedBridgeName(net.id);
  if (!net.lease) return { ...net, bridge };
  const ipv4 = { subnet: net.lease.subnet, gateway: leaseGateway(net.lease.subnet), reserved: [] };
  return { ...net, bridge, ipv4, mtu: overlayMtu(net.overlay?.backend, net.lease), adopted: false };
}

/** What the driver prunes on this host: see the header. */
const owned = (net: NetworkRecord): Expected => ({
  type: 'owned',
  ns: undefined,
  dev: vxlanName(net.id),
  ...(net.overlay ? { within: net.overlay.range } : {}),
});

/** With the peers unknown (the cluster store unreachable), their entries are neither expected nor pruned. */
function network(net: NetworkRecord): Expected[] {
  const lease = leaseOf(net);
  const peers = net.overlay!.backend === 'host-gw' ? hostGwExpected(lease) : vxlanExpected(net, lease);
  return [...bridgeDriver.network(localNetwork(net)), ...peers, ...(lease.peers ? [owned(net)] : [])];
}

function removeNetwork(net: NetworkRecord, k: KernelView): KernelOp[] {
  // The vxlan device takes its entries and routes with it; host-gw routes would outlive the network.
  const routes: Fix[] = [];
  compareEntries([owned(net)], () => k.host, routes);
  const name = vxlanName(net.id);
  const link = k.host.links.find((l) => l.name === name);
  const device: KernelOp[] = link && isMine(link, vxlanMark(net)) ? [{ op: 'link-del', name }] : [];
  const viaDevice = (op: KernelOp): boolean => device.length > 0 && 'dev' in op && op.dev === name;
  return [...routes.flatMap((f) => f.ops).filter((op) => !viaDevice(op)), ...device, ...bridgeDriver.removeNetwork(localNetwork(net), k)];
}

export const overlayDriver: Driver = {
  name: 'overlay',
  scope: 'global',
  network,
  removeNetwork,
  endpoint: (ep, net, sb) => bridgeDriver.endpoint(ep, localNetwork({ ...net, lease: leaseOf(net) }), sb),
  removeEndpoint: (ep, net, sb, k) => bridgeDriver.removeEndpoint(ep, localNetwork(net), sb, k),
};
