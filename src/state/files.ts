/**
 * The per-container files `ip netns exec` bind-mounts over /etc (DESIGN.md §5):
 * /etc/netns/<netns>/hosts and resolv.conf. Pure rendering from the records, so the diff can
 * compare them with what is on disk and re-applying writes nothing.
 *
 * hosts lists the container's own addresses under its hostname, then every other container
 * (and its aliases) that shares a network with it, by that network's address; peers on
 * networks netd's resolver serves (`dns: true`) are left to it.
 */
import { resolversOf, servedNetworks } from './dns.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from './records.js';

export const NETNS_ETC = '/etc/netns';

export const hostsPath = (netns: string): string => `${NETNS_ETC}/${netns}/hosts`;
export const resolvPath = (netns: string): string => `${NETNS_ETC}/${netns}/resolv.conf`;

export function renderHosts(sandbox: SandboxRecord, endpoints: readonly EndpointRecord[], served: ReadonlySet<string> = new Set()): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
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
 * netd's resolvers first (the gateways of the container's `dns: true` networks), then the
 * declared nameservers, else the host's non-loopback ones (a loopback resolver is unreachable
 * from a container).
 */
export function renderResolv(sandbox: SandboxRecord, hostNameservers: readonly string[], resolvers: readonly string[] = []): string {
  const servers = sandbox.dns?.nameservers.length ? sandbox.dns.nameservers : hostNameservers.filter((s) => !isLoopback(s));
  const lines = [...resolvers, ...servers].map((s) => `nameserver ${s}`);
  if (sandbox.dns?.search.length) lines.push(`search ${sandbox.dns.search.join(' ')}`);
  if (sandbox.dns?.options.length) lines.push(`options ${sandbox.dns.options.join(' ')}`);
  if (lines.length === 0) lines.push('# no nameserver: the host has only loopback resolvers');
  return lines.join('\n') + '\n';
}

function isLoopback(addr: string): boolean {
  return addr.startsWith('127.') || addr === '::1';
}

/** Parses the nameserver lines of a resolv.conf. */
export function parseNameservers(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[0] === 'nameserver' && f[1])
    .map((f) => f[1]!);
}

/** Every file netd keeps for its named sandboxes, path → wanted content. */
export function renderSandboxFiles(
  sandboxes: readonly SandboxRecord[],
  endpoints: readonly EndpointRecord[],
  hostNameservers: readonly string[],
  networks: readonly NetworkRecord[] = [],
): Map<string, string> {
  const files = new Map<string, string>();
  const served = servedNetworks(networks);
  const servedIds = new Set(served.map((n) => n.id));
  for (const s of sandboxes) {
    if (s.netns.kind !== 'named' || s.state === 'deleting') continue;
    files.set(hostsPath(s.netns.name), renderHosts(s, endpoints, servedIds));
    files.set(resolvPath(s.netns.name), renderResolv(s, hostNameservers, resolversOf(s, endpoints, served)));
  }
  return files;
}
