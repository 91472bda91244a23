/**
 * The per-container files `ip netns exec` bind-mounts over /etc (DESIGN.md §5):
 * /etc/netns/<netns>/hosts and resolv.conf. Pure rendering from the records, so the diff can
 * compare them with what is on disk and re-applying writes nothing.
 *
 * hosts lists the declared extra hosts (Docker's --add-host: first, so that they win), the
 * container's own addresses under its hostname, then every other container (and its aliases)
 * that shares a network with it, by that network's address; peers on networks netd's resolver
 * serves (`dns: true`) are left to it.
 */
import { groupBy } from './derive.js';
import { resolversOf, servedNetworks } from './dns.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from './records.js';
import { containerResolv, type HostResolv } from './resolv.js';

export const NETNS_ETC = '/etc/netns';

export const hostsPath = (netns: string): string => `${NETNS_ETC}/${netns}/hosts`;
export const resolvPath = (netns: string): string => `${NETNS_ETC}/${netns}/resolv.conf`;

export function renderHosts(sandbox: SandboxRecord, endpoints: readonly EndpointRecord[], served: ReadonlySet<string> = new Set()): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (const h of sandbox.extraHosts ?? []) lines.push(`${h.address}\t${h.name}`);
  const own = endpoints.filter((e) => e.container === sandbox.container && e.state !== 'deleting');
  const ownNames = [sandbox.hostname, ...(sandbox.hostname === sandbox.container ? [] : [sandbox.container])];
  for (const e of own) {
    for (const a of [e.ipv4, e.ipv6]) if (a) lines.push(`${a}\t${[...ownNames, ...e.aliases].join(' ')}`);
  }
  const networks = new Set(own.map((e) => e.networkId).filter((id) => !served.has(id)));
  const peers = endpoints
    .filter((e) => e.container !== sandbox.container && networks.has(e.networkId) && e.state !== 'deleting')
    .sort((a, b) => a.network.localeCompare(b.network) || a.container.localeCompare(b.container));
  for (const e of peers) {
    for (const a of [e.ipv4, e.ipv6]) if (a) lines.push(`${a}\t${[e.container, ...e.aliases].join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * resolv.conf (state/resolv.ts): the declared settings over the host's, one by one.
 * `resolvers`: netd's own resolver addresses (the gateways of its `dns: true` networks), asked first.
 */
export function renderResolv(sandbox: SandboxRecord, host: HostResolv, resolvers: readonly string[] = [], ipv6 = false): string {
  const r = containerResolv(sandbox.dns, host, { ipv6, resolvers });
  const lines = r.fallback ? ["# the host's resolv.conf has no nameserver a container can reach: Docker's public fallback"] : [];
  lines.push(...r.nameservers.map((s) => `nameserver ${s}`));
  if (r.search.length) lines.push(`search ${r.search.join(' ')}`);
  if (r.options.length) lines.push(`options ${r.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

/** Every file netd keeps for its named sandboxes, path → wanted content. */
export function renderSandboxFiles(
  sandboxes: readonly SandboxRecord[],
  endpoints: readonly EndpointRecord[],
  host: HostResolv,
  networks: readonly NetworkRecord[] = [],
): Map<string, string> {
  const files = new Map<string, string>();
  // Each hosts file gets only its container's endpoints and those on its networks, indexed once
  // (peers pre-sorted as renderHosts sorts them): linear in what the files hold, not N² scans.
  const byContainer = groupBy(endpoints, (e) => e.container);
  const byNetwork = groupBy(
    [...endpoints].sort((a, b) => a.network.localeCompare(b.network) || a.container.localeCompare(b.container)),
    (e) => e.networkId,
  );
  const served = servedNetworks(networks);
  const servedIds = new Set(served.map((n) => n.id));
  for (const s of sandboxes) {
    if (s.netns.kind !== 'named' || s.state === 'deleting') continue;
    const own = byContainer.get(s.container) ?? [];
    // Peers come from the networks the resolver does not serve. One attachment (the common
    // case): its network's list already holds it once, with the peers.
    const listed = [...new Set(own.map((e) => e.networkId))].filter((id) => !servedIds.has(id));
    const related =
      own.length === 1 && listed.length === 1
        ? byNetwork.get(listed[0]!)!
        : [...own, ...listed.flatMap((id) => byNetwork.get(id)!.filter((e) => e.container !== s.container))];
    files.set(hostsPath(s.netns.name), renderHosts(s, related, servedIds));
    const ipv6 = own.some((e) => e.ipv6 !== undefined && e.state !== 'deleting');
    files.set(resolvPath(s.netns.name), renderResolv(s, host, resolversOf(s, own, served), ipv6));
  }
  return files;
}
