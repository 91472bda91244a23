/**
 * bridge driver — what it programs and why.
 *
 * Network: a Linux bridge (declared name, else nd-<12 hex>) with the network's MTU, a MAC of
 * its own derived from the network id (a bridge without one takes its lowest port's, which
 * changes as containers come and go: every container's neighbour entry for the gateway then
 * points nowhere until it expires; libnetwork sets one for the same reason), the
 * ifalias `netd:network:<id>` (ownership that survives a lost store), the gateway address of
 * each family (IPv6 with nodad: the bridge must answer at once, not after duplicate address
 * detection), and up.
 *
 * Endpoint: a veth pair whose host side `nd<12 hex>` is enslaved to the bridge and up, and whose
 * peer is created directly inside the sandbox under the declared interface name (no rename
 * dance, no window where it sits in the host namespace) with the endpoint's MAC and MTU; then,
 * inside the sandbox, its addresses and up. Default routes are the controller's (they depend on
 * every attachment of the container).
 *
 * Each function states what a record implies; the comparer creates what is missing and fixes
 * what differs, so the same statement creates, repairs, re-applies (no ops when in sync) and
 * explains (`diff`). A link by netd's name without netd's mark is never touched.
 */
import { createHash } from 'node:crypto';
import type { EndpointRecord, FamilyRecord, NetworkRecord, SandboxRecord } from '../state/records.js';
import { linkNamed, type KernelView } from '../state/view.js';
import type { KernelOp } from '../kernel/ops.js';
import { ownerAlias } from '../state/marks.js';
import { nsRef } from '../state/derive.js';
import { prefixOf } from '../state/prefix.js';
import type { Driver } from './driver.js';
import type { Expected, LinkWant } from './expect.js';
import { isMine } from './compare.js';

const cidrs = (families: (FamilyRecord | undefined)[], pick: (f: FamilyRecord) => string | undefined): string[] =>
  families.flatMap((f) => (f && pick(f) ? [`${pick(f)}/${prefixOf(f.subnet)}`] : []));

function bridgeWant(net: NetworkRecord): LinkWant {
  const alias = ownerAlias('network', net.id);
  return {
    ns: undefined,
    name: net.bridge!,
    what: `bridge ${net.bridge}`,
    kind: 'bridge',
    mtu: net.mtu,
    addresses: cidrs([net.ipv4, net.ipv6], (f) => f.gateway),
    // An adopted bridge keeps its name, its mark (none) and its own addresses.
    exclusive: !net.adopted,
    ...(net.adopted ? {} : { alias, owner: alias }),
    ...(net.state === 'creating' ? { unmarkedIsMine: true } : {}),
  };
}

function network(net: NetworkRecord): Expected[] {
  if (!net.bridge) return [];
  const want = bridgeWant(net);
  // Set when netd creates the bridge, not compared: a bridge built before keeps its own.
  const mac = net.adopted ? {} : { mac: bridgeMacOf(net.id) };
  const create: KernelOp = { op: 'link-add', kind: 'bridge', name: want.name, mtu: net.mtu, ...mac, ...(want.alias ? { alias: want.alias } : {}) };
  return [{ type: 'link', want, create }];
}

/** A bridge's own MAC: locally administered, unicast, stable for the network id. */
export function bridgeMacOf(networkId: string): string {
  const b = Buffer.from(createHash('sha256').update(`netd-bridge:${networkId}`).digest().subarray(0, 6));
  b[0] = (b[0]! & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

function removeNetwork(net: NetworkRecord, k: KernelView): KernelOp[] {
  const want = net.bridge ? bridgeWant(net) : undefined;
  const link = want && linkNamed(k.host.links, want.name);
  if (!want || !link) return [];
  // An adopted bridge stays; only the gateway addresses netd added go.
  if (net.adopted) {
    const present = new Set(k.host.addresses.filter((a) => a.dev === want.name).map((a) => a.cidr));
    return want.addresses!.filter((c) => present.has(c)).map((cidr) => ({ op: 'addr-del', dev: want.name, cidr }));
  }
  return isMine(link, want) ? [{ op: 'link-del', name: want.name }] : [];
}

function endpointWants(ep: EndpointRecord, net: NetworkRecord, sb: SandboxRecord): { host: LinkWant; peer: LinkWant } {
  const ref = nsRef(sb.netns);
  const alias = ownerAlias('endpoint', ep.id);
  // Only the host side, whose name comes from the record's random id: an unmarked interface
  // inside the sandbox may be the admin's (an adopted namespace's eth0); the comparer proves
  // the peer by its partner's ifindex instead.
  const mine = ep.state === 'creating' ? { unmarkedIsMine: true } : {};
  const addresses = [
    ...(ep.ipv4 && net.ipv4 ? [`${ep.ipv4}/${prefixOf(net.ipv4.subnet)}`] : []),
    ...(ep.ipv6 && net.ipv6 ? [`${ep.ipv6}/${prefixOf(net.ipv6.subnet)}`] : []),
  ];
  return {
    // Hairpin: a container reaching its own published port through br_netfilter is bridged back out its own port.
    host: {
      ns: undefined,
      name: ep.hostVeth!,
      what: `veth ${ep.hostVeth}`,
      master: net.bridge!,
      mtu: net.mtu,
      hairpin: ep.ports.length > 0,
      alias,
      owner: alias,
      ...mine,
    },
    peer: {
      ns: ref,
      name: ep.interface,
      what: `interface ${ep.interface} in ${ref}`,
      mtu: net.mtu,
      ...(ep.mac ? { mac: ep.mac } : {}),
      alias,
      owner: alias,
      addresses,
      exclusive: true,
    },
  };
}

function endpoint(ep: EndpointRecord, net: NetworkRecord, sb: SandboxRecord): Expected[] {
  if (!ep.hostVeth || !net.bridge || sb.hostNetwork) return [];
  const { host, peer } = endpointWants(ep, net, sb);
  const create: KernelOp = {
    op: 'link-add',
    kind: 'veth',
    name: host.name,
    mtu: net.mtu,
    alias: host.alias!,
    peer: { name: peer.name, ns: peer.ns!, mtu: net.mtu, ...(ep.mac ? { mac: ep.mac } : {}) },
  };
  return [{ type: 'pair', host, peer, create }];
}

function removeEndpoint(ep: EndpointRecord, net: NetworkRecord, sb: SandboxRecord, k: KernelView): KernelOp[] {
  if (!ep.hostVeth || sb.hostNetwork) return [];
  const { host, peer } = endpointWants(ep, net, sb);
  const h = linkNamed(k.host.links, host.name);
  if (h) return isMine(h, host) ? [{ op: 'link-del', name: host.name }] : []; // the peer goes with it
  const inner = linkNamed(k.sandboxes.get(peer.ns!)?.links, peer.name);
  return inner && isMine(inner, peer) ? [{ op: 'link-del', name: peer.name, ns: peer.ns! }] : [];
}

export const bridgeDriver: Driver = { name: 'bridge', scope: 'local', network, removeNetwork, endpoint, removeEndpoint };
