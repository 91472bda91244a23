/**
 * What the resolver knows, built purely from the records: per served network (keyed by each
 * gateway address it listens on), the names of the containers on that network and their
 * addresses there, the reverse names of those addresses, and which nameservers each
 * container declared (queries it sends that netd does not answer go there, as Docker's
 * embedded DNS does with `--dns`).
 *
 * A name answers with its address on the network the query arrived on: the gateway the
 * query was sent to says which network that is.
 */
import { contains, tryParseAddr, tryParseCidr } from '../desired/cidr.js';
import { servedNetworks, type ServedNetwork } from '../state/dns.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../state/records.js';

export interface Addresses {
  readonly v4: string[];
  readonly v6: string[];
}

export interface Zone {
  readonly network: ServedNetwork;
  /** Lowercase name (no trailing dot) → its addresses on this network. */
  readonly names: ReadonlyMap<string, Addresses>;
  /** Reverse name (in-addr.arpa, ip6.arpa) → the container's name. */
  readonly ptr: ReadonlyMap<string, string>;
  /** A container's address on this network → the nameservers it declared. */
  readonly upstreams: ReadonlyMap<string, readonly string[]>;
}

export interface ZoneInput {
  readonly networks: readonly NetworkRecord[];
  readonly sandboxes: readonly SandboxRecord[];
  readonly endpoints: readonly EndpointRecord[];
}

/** The reverse-lookup name of an address: 10.0.0.1 → 1.0.0.10.in-addr.arpa. */
export function reverseName(address: string): string | undefined {
  const a = tryParseAddr(address);
  if (!a) return undefined;
  if (a.family === 4) return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
  return `${[...a.value.toString(16).padStart(32, '0')].reverse().join('.')}.ip6.arpa`;
}

/**
 * The query comes from the network (its subnets): the gateway is a host address, reachable
 * from wherever the host routes; netd must not be an open resolver for them.
 */
export function fromNetwork(zone: Zone, client: string): boolean {
  const a = tryParseAddr(client.replace(/^::ffff:(?=\d+\.)/, '').replace(/%.*$/, ''));
  return (
    !!a &&
    zone.network.subnets.some((s) => {
      const c = tryParseCidr(s);
      return !!c && c.family === a.family && contains(c, a);
    })
  );
}

export const normalName = (name: string): string => name.toLowerCase().replace(/\.$/, '');

/** gateway address → the zone of the network it serves. */
export function buildZones(r: ZoneInput): Map<string, Zone> {
  const sandboxes = new Map(r.sandboxes.map((s) => [s.id, s]));
  const zones = new Map<string, Zone>();
  for (const network of servedNetworks(r.networks)) {
    const names = new Map<string, Addresses>();
    const ptr = new Map<string, string>();
    const upstreams = new Map<string, readonly string[]>();
    const live = r.endpoints.filter((e) => e.networkId === network.id && e.state !== 'deleting');
    for (const e of [...live].sort((a, b) => a.container.localeCompare(b.container))) {
      const sb = sandboxes.get(e.sandboxId);
      for (const n of new Set([e.container, sb?.hostname, ...e.aliases].filter((n): n is string => !!n).map(normalName))) {
        const have = names.get(n) ?? { v4: [], v6: [] };
        if (e.ipv4) have.v4.push(e.ipv4);
        if (e.ipv6) have.v6.push(e.ipv6);
        names.set(n, have);
      }
      for (const a of [e.ipv4, e.ipv6]) {
        if (!a) continue;
        const rev = reverseName(a);
        if (rev) ptr.set(rev, e.container);
        if (sb?.dns?.nameservers.length) upstreams.set(a, sb.dns.nameservers);
      }
    }
    const zone: Zone = { network, names, ptr, upstreams };
    for (const g of network.gateways) zones.set(g, zone);
  }
  return zones;
}
