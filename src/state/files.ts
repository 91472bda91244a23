/**
 * The per-container files `ip netns exec` bind-mounts over /etc (DESIGN.md §5):
 * /etc/netns/<netns>/hosts and resolv.conf. Pure rendering from the records, so the diff can
 * compare them with what is on disk and re-applying writes nothing; each file comes with a
 * digest of what it is rendered from, so that it need not be rendered to be compared with what
 * netd wrote (state/file-digest.ts).
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
import type { WantedFile } from './file-digest.js';
import { sha256 } from '../digest.js';

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
  return new Map([...sandboxFiles(sandboxes, endpoints, host, networks)].map(([path, f]) => [path, f.render()]));
}

/**
 * Bumped when the rendering changes: digests recorded from the old inputs then no longer match,
 * and the files are rendered and compared.
 */
const FORMAT = 1;

let renders = 0;
/** How many files sandboxFiles' entries have rendered in this process (tests: a no-op diff renders none). */
export const filesRendered = (): number => renders;

/** Every file netd keeps for its named sandboxes, path → its inputs' digest and how to render it. Linear in the records. */
export function sandboxFiles(
  sandboxes: readonly SandboxRecord[],
  endpoints: readonly EndpointRecord[],
  host: HostResolv,
  networks: readonly NetworkRecord[] = [],
): Map<string, WantedFile> {
  const files = new Map<string, WantedFile>();
  // Each hosts file gets only its container's endpoints and those on its networks, indexed once
  // (peers pre-sorted as renderHosts sorts them): linear in what the files hold, not N² scans.
  const byContainer = groupBy(endpoints, (e) => e.container);
  const byNetwork = groupBy(
    [...endpoints].sort((a, b) => a.network.localeCompare(b.network) || a.container.localeCompare(b.container)),
    (e) => e.networkId,
  );
  const blocks = new Map<string, PeerBlock>();
  const peerDigests = new Map<string, string>();
  const served = servedNetworks(networks);
  const servedIds = new Set(served.map((n) => n.id));
  const hostDigest = sha256(JSON.stringify(host));
  const wanted = (inputs: unknown[], render: () => string): WantedFile => ({
    inputs: sha256(JSON.stringify([FORMAT, ...inputs])),
    render: () => (renders++, render()),
  });
  for (const s of sandboxes) {
    if (s.netns.kind !== 'named' || s.state === 'deleting') continue;
    const own = byContainer.get(s.container) ?? [];
    // Peers come from the networks the resolver does not serve.
    const listed = [...new Set(own.map((e) => e.networkId))].filter((id) => !servedIds.has(id));
    // What the file is rendered from: its own lines and the peers of the networks they list
    // (each network's digested once), as renderHosts picks them.
    const head = renderHosts(s, own, servedIds);
    const peersOf = [...new Set(own.filter((e) => e.state !== 'deleting').map((e) => e.networkId))].filter((id) => !servedIds.has(id)).sort();
    const inputs = ['hosts', head, s.container, ...peersOf.map((id) => peerDigest(peerDigests, id, byNetwork.get(id)!))];
    files.set(
      hostsPath(s.netns.name),
      wanted(inputs, () => {
        if (own.length !== 1 || listed.length !== 1) {
          return renderHosts(s, [...own, ...listed.flatMap((id) => byNetwork.get(id)!.filter((e) => e.container !== s.container))], servedIds);
        }
        // The common case: the network's peer lines, rendered once, less this container's own.
        return head + (own[0]!.state === 'deleting' ? '' : peerBlock(blocks, listed[0]!, byNetwork.get(listed[0]!)!).without(s.container));
      }),
    );
    const ipv6 = own.some((e) => e.ipv6 !== undefined && e.state !== 'deleting');
    const resolvers = resolversOf(s, own, served);
    files.set(
      resolvPath(s.netns.name),
      wanted(['resolv', s.dns, hostDigest, resolvers, ipv6], () => renderResolv(s, host, resolvers, ipv6)),
    );
  }
  return files;
}

/** What a network's peer lines are rendered from (renderHosts' fields, in its order), digested once per network. */
function peerDigest(digests: Map<string, string>, networkId: string, sorted: readonly EndpointRecord[]): string {
  let d = digests.get(networkId);
  if (d === undefined) {
    const live = sorted.filter((e) => e.state !== 'deleting');
    d = sha256(JSON.stringify(live.map((e) => [e.network, e.container, e.ipv4, e.ipv6, e.aliases])));
    digests.set(networkId, d);
  }
  return d;
}

interface PeerBlock {
  /** The network's peer lines, each ending in a newline, less those of one container. */
  without(container: string): string;
}

/**
 * A network's peer lines as renderHosts lists them (sorted, no deleting endpoint), rendered
 * once as one text: a file's peers are two slices of it around its own container's lines.
 */
function peerBlock(blocks: Map<string, PeerBlock>, networkId: string, sorted: readonly EndpointRecord[]): PeerBlock {
  let b = blocks.get(networkId);
  if (b) return b;
  const at = new Map<string, [number, number]>();
  let text = '';
  for (const e of sorted) {
    if (e.state === 'deleting') continue;
    const start = text.length;
    for (const a of [e.ipv4, e.ipv6]) if (a) text += `${a}\t${[e.container, ...e.aliases].join(' ')}\n`;
    at.set(e.container, [at.get(e.container)?.[0] ?? start, text.length]); // a container's endpoints are adjacent (sorted)
  }
  b = {
    without(container) {
      const [from, to] = at.get(container) ?? [0, 0];
      return text.slice(0, from) + text.slice(to);
    },
  };
  blocks.set(networkId, b);
  return b;
}
