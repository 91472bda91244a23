/**
 * Gathers the two read-only inputs of the diff: what the store records and what the kernel
 * shows (links, addresses and routes of the host and of every sandbox namespace, the files
 * under /etc/netns, and how netd's nft tables differ from the ruleset the records render to).
 * Reads only: observing makes no kernel writes.
 */
import type { DesiredState } from '../desired/types.js';
import { ENDPOINTS, IPAM, NETWORKS, SANDBOXES, type AllocationRecord, type EndpointRecord, type NetworkRecord, type SandboxRecord } from '../state/records.js';
import type { Store } from '../store/store.js';
import {
  IpObserver,
  buildRuleset,
  diffRuleset,
  foreignTable,
  namespaceId,
  nsPath,
  observeRuleset,
  type ObservedRuleset,
  type Observer,
  type Runner,
} from '../kernel/index.js';
import { firewallSpec, forwardingKeys, nsRef } from '../state/derive.js';
import { readOwnSysctl } from '../kernel/sysctl.js';
import { NETNS_ETC, hostsPath, resolvPath } from '../state/files.js';
import { parseResolvConf, type HostResolv } from '../state/resolv.js';
import { hostNetworkContainers } from '../plan/diff.js';
import type { KernelView, NamespaceView, RecordedState } from '../plan/types.js';
import { checkDirsBelow } from '../kernel/nofollow.js';
import { isNetdError } from '../errors.js';
import { readNetnsFile, readText } from './real-host.js';

export async function loadRecorded(store: Store): Promise<RecordedState> {
  const revisions = new Map<string, number>();
  const list = async <T>(prefix: string): Promise<T[]> =>
    (await store.list<T>(prefix)).map((kv) => {
      revisions.set(kv.key, kv.modRevision);
      return kv.value;
    });
  return {
    networks: await list<NetworkRecord>(NETWORKS),
    sandboxes: await list<SandboxRecord>(SANDBOXES),
    endpoints: await list<EndpointRecord>(ENDPOINTS),
    allocations: await list<AllocationRecord>(IPAM),
    revisions,
  };
}

/** The host's /etc/resolv.conf (a missing file: nothing to inherit). */
export async function hostResolv(path = '/etc/resolv.conf'): Promise<HostResolv> {
  return parseResolvConf((await readText(path)) ?? '');
}

/** The namespaces the diff needs to see: every recorded sandbox and every declared container. */
function namespacesOf(desired: DesiredState, recorded: RecordedState): string[] {
  const onHost = hostNetworkContainers(desired);
  const refs = new Set<string>();
  for (const s of recorded.sandboxes) if (!s.hostNetwork) refs.add(nsRef(s.netns));
  for (const c of desired.containers) if (!onHost.has(c.name)) refs.add(nsRef(c.netns));
  return [...refs].sort();
}

/** How the observed nft tables differ from what the records render; [] when in sync. Pure. */
export function firewallDriftOf(fw: ObservedRuleset, recorded: Pick<RecordedState, 'networks' | 'endpoints'>): string[] {
  const spec = firewallSpec(recorded.networks, recorded.endpoints);
  return spec.networks.length === 0
    ? fw.tables.map((t) => (t.marked ? `table ${t.family} ${t.name} exists but no network is recorded` : foreignTable(t)))
    : diffRuleset(buildRuleset(spec), fw);
}

/**
 * An earlier snapshot and the namespaces written since: the others need not be read again
 * (verify after apply reads only the namespaces the apply wrote to).
 */
export interface Reuse {
  readonly kernel: KernelView;
  readonly touched: ReadonlySet<string>;
  /** Touched namespaces already read back after their last write. */
  readonly fresh: ReadonlyMap<string, NamespaceView>;
}

export async function observeKernel(
  runner: Runner,
  desired: DesiredState,
  recorded: RecordedState,
  observer: Observer = new IpObserver(runner),
  reuse?: Reuse,
): Promise<KernelView> {
  const wanted = namespacesOf(desired, recorded);
  const kept = new Map<string, NamespaceView | null>();
  for (const ns of reuse ? wanted : []) {
    const fresh = reuse!.fresh.get(ns);
    if (fresh) kept.set(ns, fresh);
    else if (!reuse!.touched.has(ns) && reuse!.kernel.sandboxes.has(ns)) kept.set(ns, reuse!.kernel.sandboxes.get(ns)!);
  }
  const [os, fw] = await Promise.all([observer.observe({ namespaces: wanted.filter((ns) => !kept.has(ns)) }), observeRuleset(runner, undefined)]);
  // A /etc/netns/<ns> netd cannot write (a symlink, not a directory) is observed, not thrown:
  // pre-flight refuses apply before it changes anything, and diff shows its files missing.
  const onHost = hostNetworkContainers(desired);
  const named = new Set<string>();
  for (const s of recorded.sandboxes) if (s.netns.kind === 'named' && !s.hostNetwork) named.add(s.netns.name);
  for (const c of desired.containers) if (c.netns.kind === 'named' && !onHost.has(c.name)) named.add(c.netns.name);
  const netnsDirProblems = new Map<string, string>();
  for (const name of named) {
    try {
      await checkDirsBelow(NETNS_ETC, [name]);
    } catch (e) {
      if (!isNetdError(e, 'forbidden') && !isNetdError(e, 'conflict')) throw e;
      netnsDirProblems.set(name, e.message);
    }
  }
  // Identities are read every time (a stat each): a namespace replaced under its name keeps the name.
  const nsIds = new Map<string, string>();
  for (const ns of wanted) {
    const id = await namespaceId(nsPath(ns));
    if (id !== undefined) nsIds.set(ns, id);
  }
  const files = new Map<string, string | null>();
  for (const s of recorded.sandboxes) {
    if (s.netns.kind !== 'named' || s.hostNetwork) continue;
    const ok = !netnsDirProblems.has(s.netns.name);
    for (const path of [hostsPath(s.netns.name), resolvPath(s.netns.name)]) files.set(path, ok ? await readNetnsFile(path) : null);
  }
  const sysctls = new Map<string, string>();
  for (const key of forwardingKeys(recorded.networks)) {
    const v = await readOwnSysctl(key);
    if (v !== undefined) sysctls.set(key, v);
  }
  return {
    sysctls,
    netnsDirProblems,
    host: {
      links: os.links,
      addresses: os.addresses,
      routes: os.routes,
      ...(os.neighbours ? { neighbours: os.neighbours } : {}),
      ...(os.fdb ? { fdb: os.fdb } : {}),
    },
    netnsNames: new Set(os.namespaces.map((n) => n.name)),
    nsIds,
    sandboxes: new Map([...kept, ...[...os.views].map(([ref, v]): [string, NamespaceView | null] => [ref, v])]),
    files,
    firewall: firewallDriftOf(fw, recorded),
    nftTables: fw.tables,
  };
}
