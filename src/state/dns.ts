/**
 * Which networks netd's resolver serves (`dns: true`, DESIGN.md §10) and where: pure, shared
 * by the files (a container's first nameservers), the resolver (the addresses it binds) and
 * doctor.
 */
import type { EndpointRecord, NetworkRecord, SandboxRecord } from './records.js';

/** A network the resolver serves: its gateway addresses (IPv4 first), where it listens. */
export interface ServedNetwork {
  readonly id: string;
  readonly name: string;
  readonly internal: boolean;
  readonly gateways: readonly string[];
  /** Its subnets (IPv4 first): where its clients are. */
  readonly subnets: readonly string[];
}

/** The networks with `dns: true` that are not being deleted and have a gateway. */
export function servedNetworks(networks: readonly NetworkRecord[]): ServedNetwork[] {
  return networks
    .filter((n) => n.dns === true && n.state !== 'deleting')
    .map((n) => ({
      id: n.id,
      name: n.name,
      internal: n.internal,
      gateways: [n.ipv4?.gateway, n.ipv6?.gateway].filter((g): g is string => !!g),
      subnets: [n.ipv4?.subnet, n.ipv6?.subnet].filter((s): s is string => !!s),
    }))
    .filter((n) => n.gateways.length > 0);
}

/** The resolver addresses a container asks first: one gateway per served network it is on, by interface name. */
export function resolversOf(sandbox: SandboxRecord, endpoints: readonly EndpointRecord[], served: readonly ServedNetwork[]): string[] {
  const byId = new Map(served.map((n) => [n.id, n]));
  return endpoints
    .filter((e) => e.container === sandbox.container && e.state !== 'deleting' && byId.has(e.networkId))
    .sort((a, b) => a.interface.localeCompare(b.interface))
    .map((e) => byId.get(e.networkId)!.gateways[0]!);
}
