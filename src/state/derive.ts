/**
 * Facts derived from the records alone: which attachment gives a container its default route,
 * the firewall input, and how a sandbox is addressed on a command line. Pure.
 */
import type { NetnsRef } from '../desired/types.js';
import type { EndpointRecord, NetworkRecord, RecordedState, SandboxRecord } from './records.js';
import type { FirewallInput } from './firewall.js';

/** A namespace as the kernel layer takes it: a name under /run/netns or an absolute path. */
export const nsRef = (netns: NetnsRef): string => (netns.kind === 'named' ? netns.name : netns.path);

/** Records grouped by a key in one pass, so that per-record lookups of a whole pass stay linear. */
export function groupBy<T>(xs: Iterable<T>, key: (x: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const g = groups.get(k);
    if (g) g.push(x);
    else groups.set(k, [x]);
  }
  return groups;
}

export interface DefaultRoute {
  readonly endpoint: EndpointRecord;
  readonly gateway: string;
  readonly family: 4 | 6;
}

/**
 * The default routes of one container: per family, the attachment with the highest
 * gatewayPriority (ties: the network name first in byte order, as libnetwork's epHeap) on a
 * network that has a gateway and is not internal. `endpoints` may be only the container's own
 * (groupBy): callers that route every container pass each its own, to stay linear.
 */
export function defaultRoutes(container: string, endpoints: readonly EndpointRecord[], networks: ReadonlyMap<string, NetworkRecord>): DefaultRoute[] {
  const routes: DefaultRoute[] = [];
  for (const family of [4, 6] as const) {
    const candidates = endpoints
      .filter((e) => e.container === container && e.state !== 'deleting' && (family === 4 ? e.ipv4 : e.ipv6))
      .map((e) => ({ e, net: networks.get(e.networkId) }))
      .filter(({ net }) => net && !net.internal && net.state !== 'deleting' && (family === 4 ? net.ipv4 : net.ipv6))
      .sort((a, b) => b.e.gatewayPriority - a.e.gatewayPriority || byteOrder(a.e.network, b.e.network));
    const best = candidates[0];
    if (best) routes.push({ endpoint: best.e, gateway: (family === 4 ? best.net!.ipv4 : best.net!.ipv6)!.gateway, family });
  }
  return routes;
}

export const IP_FORWARD = 'net.ipv4.ip_forward';
export const IPV6_FORWARDING = 'net.ipv6.conf.all.forwarding';

/**
 * A bridge's route_localnet, in sysctl's spelling: a dot inside a name is written `/`
 * (`net.ipv4.conf.br/x.route_localnet` is /proc/sys/net/ipv4/conf/br.x/route_localnet).
 */
export const routeLocalnetKey = (bridge: string): string => `net.ipv4.conf.${bridge.replaceAll('.', '/')}.route_localnet`;

/**
 * The host sysctls the records need set to 1: IPv4 (and IPv6) forwarding for every routed
 * bridge network, and route_localnet on each of their IPv4 bridges, so that the host reaches
 * published ports via 127.0.0.1 (Docker without its userland proxy sets it too; the firewall
 * keeps containers from using it: nft-render.ts).
 */
export function sysctlKeys(networks: readonly NetworkRecord[]): string[] {
  const routed = networks.filter((n) => n.bridge && !n.internal && n.state !== 'deleting');
  if (routed.length === 0) return [];
  const localnet = routed.filter((n) => n.ipv4).map((n) => routeLocalnetKey(n.bridge!));
  return [IP_FORWARD, ...(routed.some((n) => n.ipv6) ? [IPV6_FORWARDING] : []), ...[...new Set(localnet)].sort()];
}

/** The nft input for everything recorded and not being deleted: bridge networks and published ports. */
export function firewallSpec(networks: readonly NetworkRecord[], endpoints: readonly EndpointRecord[]): FirewallInput {
  const live = networks.filter((n) => n.bridge && n.state !== 'deleting').sort((a, b) => a.name.localeCompare(b.name));
  const byId = new Map(live.map((n) => [n.id, n]));
  const ports: FirewallInput['ports'] = [];
  for (const e of endpoints) {
    const net = byId.get(e.networkId);
    if (!net || e.state === 'deleting') continue;
    for (const p of e.ports) {
      // No hostIp: every host address of each family the endpoint has (Docker's -p 8080:80).
      const addresses = p.hostIp === undefined ? [e.ipv4, e.ipv6] : [p.hostIp.includes(':') ? e.ipv6 : e.ipv4];
      for (const containerAddress of addresses) if (containerAddress) ports.push({ network: net.name, bridge: net.bridge!, containerAddress, ...p });
    }
  }
  ports.sort((a, b) => a.hostPort - b.hostPort || a.protocol.localeCompare(b.protocol));
  return {
    networks: live.map((n) => ({
      name: n.name,
      id: n.id,
      bridge: n.bridge!,
      subnets: { ...(n.ipv4 ? { v4: n.ipv4.subnet } : {}), ...(n.ipv6 ? { v6: n.ipv6.subnet } : {}) },
      masquerade: n.masquerade,
      internal: n.internal,
      icc: n.icc,
      ...(n.gatewayMode === 'routed' ? { routed: true } : {}),
      ...(n.overlay ? { cluster: n.overlay.range } : {}),
    })),
    ports,
  };
}

const cmp = (a: string, b: string): number => a.localeCompare(b);

/** Code-unit order, which is byte order for the ASCII names the schema allows; locale-free. */
export const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Records of one kind in a stable order: by name, attachments by container then network. */
export function sorted(r: RecordedState): { networks: NetworkRecord[]; sandboxes: SandboxRecord[]; endpoints: EndpointRecord[] } {
  return {
    networks: [...r.networks].sort((a, b) => cmp(a.name, b.name)),
    sandboxes: [...r.sandboxes].sort((a, b) => cmp(a.container, b.container)),
    endpoints: [...r.endpoints].sort((a, b) => cmp(a.container, b.container) || cmp(a.network, b.network)),
  };
}
