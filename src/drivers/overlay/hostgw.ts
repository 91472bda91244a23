/**
 * The host-gw backend: no encapsulation, a route per peer subnet through the peer host's
 * underlay address. Peers must share the external interface's L2 segment (the kernel refuses
 * a gateway it cannot reach directly: "Nexthop has invalid gateway").
 */
import { contains, tryParseAddr, tryParseCidrOrHost } from '../../desired/cidr.js';
import type { OverlayLease, OverlayPeer } from '../../state/records.js';
import type { Expected } from '../expect.js';

export const hostGwExpected = (lease: OverlayLease): Expected[] =>
  (lease.peers ?? []).map((p) => ({ type: 'subnet-route', ns: undefined, dst: p.subnet, via: p.publicIp, dev: lease.dev }));

/** Is `ip` inside one of the prefixes the external interface reaches without a gateway? */
export function onSegment(ip: string, onLink: readonly string[]): boolean {
  const a = tryParseAddr(ip);
  return (
    a !== undefined &&
    onLink.some((p) => {
      const c = tryParseCidrOrHost(p);
      return c !== undefined && c.family === a.family && contains(c, a);
    })
  );
}

/**
 * The peers a host-gw network can route to, and a note for each it cannot: one peer on
 * another segment is skipped (asking the kernel would fail the whole batch with "Nexthop has
 * invalid gateway"), the others are still routed. Pure.
 */
export function routablePeers(
  network: string,
  lease: OverlayLease,
  onLink: readonly string[],
): { readonly lease: OverlayLease; readonly notes: readonly string[] } {
  if (!lease.peers) return { lease, notes: [] };
  const off = lease.peers.filter((p) => !onSegment(p.publicIp, onLink));
  if (off.length === 0) return { lease, notes: [] };
  const segment = onLink.length > 0 ? `(on link: ${onLink.join(', ')})` : '(no prefix is on link there)';
  const notes = off.map(
    (p: OverlayPeer) =>
      `overlay network "${network}": peer ${p.subnet} (public IP ${p.publicIp}) is not on the L2 segment of the external interface "${lease.dev}" ${segment}: ` +
      `backend host-gw cannot route to it (the kernel refuses "Nexthop has invalid gateway"), so it is skipped; ` +
      `put every host of the network on one segment, or use backend: vxlan`,
  );
  return { lease: { ...lease, peers: lease.peers.filter((p) => !off.includes(p)) }, notes };
}
