/**
 * Gathers the two read-only inputs of the diff: what the store records and what the kernel
 * shows (links, addresses and routes of the host and of every sandbox namespace, the files
 * under /etc/netns, and how netd's nft tables differ from the ruleset the records render to).
 * Reads only: observing makes no kernel writes.
 */
import type { DesiredState } from '../desired/types.js';
import {
  IpObserver,
  mapPool,
  buildRuleset,
  diffRuleset,
  foreignTable,
  namespaceIds,
  nsPath,
  observeRuleset,
  type RulesetView,
  type Observer,
  type Runner,
} from '../kernel/index.js';
import { firewallSpec, sysctlKeys, nsRef } from '../state/derive.js';
import { readOwnSysctl } from '../kernel/sysctl.js';
import { NETNS_ETC, hostsPath, resolvPath } from '../state/files.js';
import { parseResolvConf, type HostResolv } from '../state/resolv.js';
import { hostNetworkContainers } from '../plan/diff.js';
import type { KernelView, NamespaceView, RecordedState } from '../plan/types.js';
import { checkDirsBelow } from '../kernel/nofollow.js';
import { isNetdError } from '../errors.js';
import { digestNetnsFile, readNetnsFile, readText } from './real-host.js';
import type { FileSeen } from '../state/view.js';

export { loadRecorded } from '../store/recorded.js';

/** File reads in flight at once: enough to overlap the syscalls, few enough for the fd limit. */
const FILE_PARALLEL = 64;

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

/** What the command does with the declared containers: apply keeps them (the undeclared records go), delete removes them. */
export type Intent = 'apply' | 'delete';

/**
 * The namespaces whose only fate is deletion: every record naming one is netd's own namespace
 * (created, by name) and goes, and no container that stays declares it. Of those only the links
 * are read: whose veth is whose (their marks) and whether the namespace can be entered; its
 * identity is read as any other's (a namespace re-created under the name is not netd's to
 * delete). Addresses, routes and neighbours go with the namespace: nothing compares them. Pure.
 */
export function leavingNamespaces(desired: DesiredState, recorded: RecordedState, intent: Intent = 'apply'): Set<string> {
  const declared = new Set(desired.containers.map((c) => c.name));
  const goes = (container: string): boolean => declared.has(container) === (intent === 'delete');
  const leaving = new Set<string>();
  const kept = new Set<string>();
  for (const s of recorded.sandboxes) {
    if (s.hostNetwork) continue;
    (goes(s.container) && s.created && s.netns.kind === 'named' ? leaving : kept).add(nsRef(s.netns));
  }
  const onHost = hostNetworkContainers(desired);
  for (const c of desired.containers) if (!goes(c.name) && !onHost.has(c.name)) kept.add(nsRef(c.netns));
  for (const ns of kept) leaving.delete(ns);
  return leaving;
}

/** How the observed nft tables differ from what the records render; [] when in sync. Pure. */
export function firewallDriftOf(fw: RulesetView, recorded: Pick<RecordedState, 'networks' | 'endpoints'>): string[] {
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
  /** The /etc/netns files and whether the nft tables were written since: the others are as the snapshot saw them. */
  readonly written?: { readonly files: ReadonlySet<string>; readonly firewall: boolean };
}

export async function observeKernel(
  runner: Runner,
  desired: DesiredState,
  recorded: RecordedState,
  observer: Observer = new IpObserver(runner),
  reuse?: Reuse,
  intent: Intent = 'apply',
): Promise<KernelView> {
  const wanted = namespacesOf(desired, recorded);
  const leaving = leavingNamespaces(desired, recorded, intent);
  const kept = new Map<string, NamespaceView | null>();
  for (const ns of reuse ? wanted : []) {
    const fresh = reuse!.fresh.get(ns);
    if (fresh) kept.set(ns, fresh);
    else if (!reuse!.touched.has(ns) && reuse!.kernel.sandboxes.has(ns)) kept.set(ns, reuse!.kernel.sandboxes.get(ns)!);
  }
  // Only what was written is read back: the other namespaces, files and the ruleset are the snapshot's.
  const same = (ns: string): boolean => reuse !== undefined && !reuse.touched.has(ns) && reuse.kernel.sandboxes.has(ns);
  const keptRuleset = reuse?.written && !reuse.written.firewall && reuse.kernel.nftTables ? { tables: reuse.kernel.nftTables } : undefined;
  const [os, fw] = await Promise.all([
    observer.observe({ namespaces: wanted.filter((ns) => !kept.has(ns)), linksOnly: leaving }),
    keptRuleset ?? observeRuleset(runner, undefined),
  ]);
  // A /etc/netns/<ns> netd cannot write (a symlink, not a directory) is observed, not thrown:
  // pre-flight refuses apply before it changes anything, and diff shows its files missing.
  const onHost = hostNetworkContainers(desired);
  const named = new Set<string>();
  for (const s of recorded.sandboxes) if (s.netns.kind === 'named' && !s.hostNetwork) named.add(s.netns.name);
  for (const c of desired.containers) if (c.netns.kind === 'named' && !onHost.has(c.name)) named.add(c.netns.name);
  // A leaving namespace's directory is only removed, never written, nor its files compared: neither is read.
  for (const ns of leaving) named.delete(ns);
  // Per-namespace reads (a directory check, an identity, two files each) run concurrently,
  // bounded: one `await` at a time made them the slowest part of a no-op diff at 1000.
  const netnsDirProblems = new Map<string, string>();
  for (const [name, problem] of reuse?.kernel.netnsDirProblems ?? []) if (same(name)) netnsDirProblems.set(name, problem);
  await mapPool(reuse ? [...named].filter((n) => !same(n)) : [...named], FILE_PARALLEL, async (name) => {
    try {
      await checkDirsBelow(NETNS_ETC, [name]);
    } catch (e) {
      if (!isNetdError(e, 'forbidden') && !isNetdError(e, 'conflict')) throw e;
      netnsDirProblems.set(name, e.message);
    }
  });
  // Identities are read every time (a stat and a socket in it each): a namespace replaced under its name keeps the name.
  const nsIds = new Map<string, string>();
  const unread = wanted.filter((ns) => !same(ns));
  const ids = await namespaceIds(unread.map((ns) => nsPath(ns)));
  let next = 0; // unread keeps wanted's order
  for (const ns of wanted) {
    const id = same(ns) ? reuse!.kernel.nsIds?.get(ns) : ids[next++];
    if (id !== undefined) nsIds.set(ns, id);
  }
  const paths = recorded.sandboxes
    .filter((s) => s.netns.kind === 'named' && !s.hostNetwork && !leaving.has(s.netns.name))
    .flatMap((s) => [hostsPath(nsRef(s.netns)), resolvPath(nsRef(s.netns))].map((path) => ({ path, ok: !netnsDirProblems.has(nsRef(s.netns)) })));
  const known = (path: string): boolean =>
    reuse?.written !== undefined && !reuse.written.files.has(path) && reuse.kernel.files.has(path) && same(path.split('/')[3]!);
  // A file netd recorded writing is read only as far as its size and digest: never rendered or held whole.
  const written = new Map((recorded.files ?? []).map((f) => [f.path, f.size]));
  const read = (path: string): Promise<FileSeen> => {
    const size = written.get(path);
    return size === undefined ? readNetnsFile(path) : digestNetnsFile(path, size);
  };
  const seen = await mapPool(paths, FILE_PARALLEL, ({ path, ok }) =>
    !ok ? Promise.resolve(null) : known(path) ? Promise.resolve(reuse!.kernel.files.get(path) ?? null) : read(path),
  );
  const files = new Map<string, FileSeen>(paths.map(({ path }, i) => [path, seen[i] ?? null]));
  const sysctls = new Map<string, string>();
  for (const key of sysctlKeys(recorded.networks)) {
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
