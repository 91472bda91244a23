/**
 * The vxlan backend: one vxlan device per overlay network and, per peer, the three entries
 * that send a packet for the peer's subnet to the peer's host (flannel's vxlan, L3 with
 * static entries instead of learning or flooding).
 */
import { createHash } from 'node:crypto';
import { formatAddr, parseCidr } from '../../desired/cidr.js';
import { ownerAlias } from '../../state/marks.js';
import type { NetworkRecord, OverlayLease } from '../../state/records.js';
import type { Expected, LinkWant } from '../expect.js';

/** What vxlan adds to each packet (outer IPv4 20 + UDP 8 + vxlan 8 + inner Ethernet 14). */
export const VXLAN_OVERHEAD = 50;

/** The vxlan device of a network: `ndv` + 12 hex of its id, 15 bytes at any VNI (`flannel.<vni>` overflows IFNAMSIZ at VNI ≥ 10,000,000). */
export const vxlanName = (networkId: string): string => `ndv${networkId.slice(0, 12)}`;

/** A subnet's `.0`: the address of its host's vxlan device, the gateway peers route through. */
export const subnetZero = (subnet: string): string => {
  const c = parseCidr(subnet);
  return formatAddr(c.family, c.network);
};

/** The VTEP MAC of a host subnet: stable across restarts (peers keep their entries), unicast and locally administered. */
export function vtepMacOf(subnet: string): string {
  const b = createHash('sha256').update(`netd-vtep:${subnet}`).digest().subarray(0, 6);
  b[0] = (b[0]! & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** The device's name and ownership mark (what removal needs, with or without a lease). */
export function vxlanMark(net: NetworkRecord): LinkWant {
  const alias = ownerAlias('overlay', net.id);
  const name = vxlanName(net.id);
  return { ns: undefined, name, what: `vxlan ${name}`, kind: 'vxlan', alias, owner: alias, ...(net.state === 'creating' ? { unmarkedIsMine: true } : {}) };
}

export function vxlanWant(net: NetworkRecord, lease: OverlayLease): LinkWant {
  return {
    ...vxlanMark(net),
    mtu: lease.mtu - VXLAN_OVERHEAD,
    mac: lease.vtepMac,
    addresses: [`${subnetZero(lease.subnet)}/32`],
    exclusive: true,
    vxlan: { vni: net.overlay!.vni, port: net.overlay!.port, local: lease.local, dev: lease.dev, learning: false },
  };
}

/** The vxlan device, then per peer: neighbour, FDB entry, and last the route through them. */
export function vxlanExpected(net: NetworkRecord, lease: OverlayLease): Expected[] {
  const want = vxlanWant(net, lease);
  const dev = want.name;
  const device: Expected = {
    type: 'link',
    want,
    create: {
      op: 'link-add',
      kind: 'vxlan',
      name: dev,
      mtu: want.mtu!,
      mac: lease.vtepMac,
      alias: want.alias!,
      vxlan: want.vxlan!,
    },
  };
  return [
    device,
    ...(lease.peers ?? []).flatMap((p): Expected[] => [
      { type: 'neighbour', ns: undefined, dev, addr: subnetZero(p.subnet), mac: p.vtepMac },
      { type: 'fdb', ns: undefined, dev, mac: p.vtepMac, dst: p.publicIp },
      { type: 'subnet-route', ns: undefined, dst: p.subnet, via: subnetZero(p.subnet), dev, onlink: true },
    ]),
  ];
}
