/**
 * A container's resolv.conf, as Docker builds it (DESIGN.md §2): what the container declares
 * (`dns.nameservers`, `dns.search`, `dns.options`, Docker's --dns, --dns-search, --dns-option)
 * replaces the host's, one by one; what it does not declare is inherited from the host's
 * /etc/resolv.conf. The host's loopback nameservers are dropped (unreachable from a
 * container); when no nameserver is left, Docker's public fallback is used. Pure.
 */
import { isLoopback, tryParseAddr } from '../desired/cidr.js';
import type { SandboxRecord } from './records.js';

/** What the host's /etc/resolv.conf says. */
export interface HostResolv {
  readonly nameservers: readonly string[];
  readonly search: readonly string[];
  readonly options: readonly string[];
}

export const NO_HOST_RESOLV: HostResolv = { nameservers: [], search: [], options: [] };

/** Docker's defaults when no usable nameserver is left (libnetwork's resolvconf): Google's public DNS. */
export const PUBLIC_FALLBACK = {
  4: ['8.8.8.8', '8.8.4.4'],
  6: ['2001:4860:4860::8888', '2001:4860:4860::8844'],
} as const;

/**
 * The resolver's reading of resolv.conf: every `nameserver` with an IP address; the last
 * `search` or `domain` line wins (a `domain` is a one-name search); `options` accumulate.
 */
export function parseResolvConf(text: string): HostResolv {
  const nameservers: string[] = [];
  const options: string[] = [];
  let search: string[] = [];
  for (const line of text.split('\n')) {
    const [word, ...args] = line
      .replace(/[#;].*/, '')
      .trim()
      .split(/\s+/);
    if (word === 'nameserver' && args[0] && tryParseAddr(args[0].split('%')[0]!)) nameservers.push(args[0]);
    else if (word === 'search' || word === 'domain') search = word === 'domain' ? args.slice(0, 1) : args;
    else if (word === 'options') options.push(...args);
  }
  return { nameservers, search, options };
}

const loopback = (s: string): boolean => {
  const a = tryParseAddr(s.split('%')[0]!);
  return a !== undefined && isLoopback(a);
};

export interface ContainerResolv {
  readonly nameservers: readonly string[];
  readonly search: readonly string[];
  readonly options: readonly string[];
  /** No nameserver was left: the public fallback was used. */
  readonly fallback: boolean;
}

/**
 * The resolv.conf of a container. `resolvers`: netd's own resolver addresses (its `dns: true`
 * networks' gateways), asked first; with them the fallback is not needed (the resolver
 * forwards). `ipv6`: the container has an IPv6 address, so the IPv6 fallback servers apply.
 */
export function containerResolv(
  dns: SandboxRecord['dns'],
  host: HostResolv,
  o: { readonly ipv6?: boolean; readonly resolvers?: readonly string[] } = {},
): ContainerResolv {
  // A declared loopback nameserver is a resolver inside the container's own namespace: kept.
  const servers = dns?.nameservers.length ? dns.nameservers : host.nameservers.filter((s) => !loopback(s));
  const resolvers = o.resolvers ?? [];
  const fallback = servers.length === 0 && resolvers.length === 0;
  return {
    nameservers: [...resolvers, ...(fallback ? [...PUBLIC_FALLBACK[4], ...(o.ipv6 ? PUBLIC_FALLBACK[6] : [])] : servers)],
    search: dns?.search.length ? dns.search : host.search,
    options: dns?.options.length ? dns.options : host.options,
    fallback,
  };
}

/** Whether a container without its own nameservers gets the fallback: the host has none it can reach. */
export const hostHasNoUsableNameserver = (host: HostResolv): boolean => host.nameservers.every(loopback);

/**
 * The one warning of a pass (not one per container) when containers get the public fallback;
 * undefined when none does. `containers`: the named-namespace containers whose resolv.conf netd writes.
 */
export function fallbackNote(containers: readonly { readonly name: string; readonly dns?: SandboxRecord['dns'] }[], host: HostResolv): string | undefined {
  if (!hostHasNoUsableNameserver(host)) return undefined;
  const names = containers.filter((c) => !c.dns?.nameservers.length).map((c) => c.name);
  if (names.length === 0) return undefined;
  const shown = names.length <= 5 ? names.map((n) => `"${n}"`).join(', ') : `${names.length} containers`;
  return (
    `resolv.conf: the host's /etc/resolv.conf has no nameserver a container can reach (${host.nameservers.length ? `only loopback: ${host.nameservers.join(', ')}` : 'none'}); ` +
    `${shown} get Docker's public fallback ${PUBLIC_FALLBACK[4].join(', ')} (and ${PUBLIC_FALLBACK[6].join(', ')} with IPv6); declare dns.nameservers to choose`
  );
}
