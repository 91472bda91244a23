/**
 * Pre-flight: what only the running host can tell, checked before the first write so that a
 * refusal changes nothing (exit 1). Each problem names the object and the fix.
 *
 *   host     the tools netd runs, the privileges, a writable state dir, every network's driver
 *            in this build (before the store opens);
 *   paths    every adopted namespace path exists, is a network namespace and is not the one
 *            netd runs in: a container can never be the host; no two containers share one
 *            (before planning enters them);
 *   objects  from the plan's own observation: every declared bridge or namespace name that
 *            exists is netd's or declared `adopt: true`; no change would touch a foreign
 *            object (one under a recorded name that netd did not create); the pools hold a
 *            subnet for every network that declares none, around the host's routes.
 */
import type { BigIntStats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { defaultDrivers } from '../drivers/registry.js';
import { isNetdError, messageOf } from '../errors.js';
import { Ipam } from '../ipam/ipam.js';
import type { Runner } from '../kernel/index.js';
import { NETNS_DIR, probeNamespace } from '../kernel/netns.js';
import { hostNetworkContainers } from '../plan/diff.js';
import { foreignObjects, type Foreign } from '../plan/foreign.js';
import type { DesiredState, DesiredContainer } from '../desired/types.js';
import type { Store } from '../store/store.js';
import { TOOLS, installed, privileges, stateDirWritable, type Check } from './doctor-checks.js';
import type { RecordedState } from '../plan/types.js';
import type { Planned } from './reconcile.js';
import { hostFacts } from './real-host.js';

const line = (c: Check): string => `${c.detail}: ${c.fix}`;

/** Tools always (found on PATH; doctor runs them); privileges and the state dir only for a run that writes. */
export async function hostPreflight(stateDir: string, opts: { writes: boolean }): Promise<string[]> {
  const checks = await Promise.all([...TOOLS.map((t) => installed(t)), ...(opts.writes ? [privileges(), stateDirWritable(stateDir)] : [])]);
  return checks.filter((c) => c.status === 'problem').map(line);
}

/** Every declared network's driver is in this build (the format knows more than one build may). */
export function driverPreflight(desired: DesiredState): string[] {
  const drivers = defaultDrivers();
  return desired.networks.flatMap((n) => {
    const unknown = drivers.problem(n.driver);
    return unknown ? [`network "${n.name}": ${unknown}: this build of netd cannot create it`] : [];
  });
}

/** netd's own and init's network namespace; the JS thread never changes namespace, so once per process. */
let host: Promise<{ self: BigIntStats; init?: BigIntStats }> | undefined;
const hostNamespaces = (): Promise<{ self: BigIntStats; init?: BigIntStats }> =>
  (host ??= Promise.all([stat('/proc/self/ns/net', { bigint: true }), stat('/proc/1/ns/net', { bigint: true }).catch(() => undefined)]).then(([self, init]) =>
    init ? { self, init } : { self },
  ));

export type NsIdentity = 'ok' | 'missing' | 'not-netns' | 'self' | { readonly error: string };

/**
 * What a namespace path is, compared with /proc/self/ns/net: every network namespace file
 * lives on nsfs (one st_dev), and the same namespace has the same inode. Init's namespace
 * (/proc/1/ns/net) is the host's too, even when netd itself runs in another one.
 */
export async function nsIdentity(path: string, runner?: Runner): Promise<NsIdentity> {
  const { self, init } = await hostNamespaces();
  try {
    const s = await stat(path, { bigint: true });
    if (s.dev !== self.dev) return 'not-netns';
    if (s.ino === self.ino || (init !== undefined && s.dev === init.dev && s.ino === init.ino)) return 'self';
    // Every namespace type lives on nsfs: only entering a bind mount (/run/netns/NAME) as a
    // network namespace tells; /proc/PID/ns/net is one by construction.
    if (runner === undefined || path.startsWith('/proc/')) return 'ok';
    const probe = await probeNamespace(runner, path);
    return probe === 'netns' ? 'ok' : probe === 'missing' ? 'missing' : 'not-netns';
  } catch (e) {
    if (isNetdError(e, 'forbidden')) return { error: 'EPERM' };
    if (isNetdError(e)) return { error: e.message };
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ESRCH' ? 'missing' : { error: code ?? String(e) };
  }
}

function nsProblem(c: DesiredContainer, path: string, id: NsIdentity): string | undefined {
  const what = `container "${c.name}": netns ${path}`;
  if (id === 'ok') return undefined;
  if (id === 'self')
    return `${what} is the host's network namespace (the one netd or init runs in): a container can never be the host; give it a namespace of its own`;
  if (id === 'missing') return `${what} does not exist: start the container's process first, or correct its netns`;
  if (id === 'not-netns') return `${what} is not a network namespace (another kind of namespace or file): point netns at one`;
  if (id.error === 'EPERM' || id.error === 'EACCES') return `${what} cannot be read (${id.error}): run netd as root`;
  return `${what} cannot be checked: ${id.error}`;
}

/**
 * Every namespace a container names, before planning enters them: a path must be a network
 * namespace other than netd's own; so must a name that exists and is adopted; and any name can
 * be bound to netd's own (`ip netns attach NAME 1`). (A netd-created name may be the file of an
 * interrupted `netns add`: apply replaces it.)
 */
export async function namespacePreflight(desired: DesiredState, identity: (path: string, enter: boolean) => Promise<NsIdentity>): Promise<string[]> {
  const onHost = hostNetworkContainers(desired);
  const problems: string[] = [];
  for (const c of desired.containers) {
    if (onHost.has(c.name)) continue;
    const path = nsPathOf(c);
    // Entering (a process each) tells only what a path or an adopted name needs; whether a name
    // netd creates is the host's own, its stat tells.
    const id = await identity(path, c.netns.kind === 'path' || c.adopt === true);
    const checked = c.netns.kind === 'path' || id === 'self' || (c.adopt && id !== 'missing');
    const problem = checked ? nsProblem(c, path, id) : undefined;
    if (problem) problems.push(problem);
  }
  return problems;
}

/**
 * A subnet from the pools for every network that declares none, around the host's routes and
 * resolvers as they are now: validation counts only the declared subnets, and IPAM would
 * otherwise find the pools full mid-apply, after other objects were created.
 */
export async function poolPreflight(runner: Runner, store: Store, desired: DesiredState, p: Planned): Promise<string[]> {
  // Only networks this apply creates: a recorded one keeps its subnet (and a no-op apply spawns nothing).
  const creating = creatingNames(p, 'network');
  const wanting = desired.networks.filter((n) => n.ipv4 !== undefined && n.ipv4.subnet === undefined && creating.has(n.name));
  if (wanting.length === 0) return [];
  const ipam = await Ipam.load(store, desired, await hostFacts(runner));
  return wanting.flatMap((n) => {
    try {
      ipam.chooseSubnet(n.name);
      return [];
    } catch (e) {
      return [`${messageOf(e)} (the host's routes and resolvers take the rest): declare a subnet or add addressPools`];
    }
  });
}

/** Names of the objects of one kind the plan creates or replaces. */
const creatingNames = (p: Planned, kind: 'network' | 'container'): Set<string> =>
  new Set(p.plan.changes.filter((c) => c.kind === kind && (c.action === 'create' || c.action === 'replace')).map((c) => c.name));

const nsPathOf = (c: DesiredContainer): string => (c.netns.kind === 'path' ? c.netns.path : `${NETNS_DIR}/${c.netns.name}`);

/**
 * Two containers in one namespace, however each spells it: validation unifies only x,
 * /run/netns/x and /var/run/netns/x, not a process's path and a name bound to its namespace,
 * nor /proc/PID/ns/net and /proc/PID/task/TID/ns/net. The second veth would fail mid-apply.
 */
export async function sharedNamespacePreflight(desired: DesiredState): Promise<string[]> {
  const onHost = hostNetworkContainers(desired);
  const seen = new Map<string, DesiredContainer>();
  const problems: string[] = [];
  for (const c of desired.containers) {
    if (onHost.has(c.name)) continue;
    const s = await stat(nsPathOf(c), { bigint: true }).catch(() => undefined);
    if (s === undefined) continue;
    const first = seen.get(`${s.dev}:${s.ino}`);
    if (first === undefined) seen.set(`${s.dev}:${s.ino}`, c);
    else
      problems.push(
        `container "${c.name}": netns ${nsPathOf(c)} is the namespace of container "${first.name}" (${nsPathOf(first)}): give each container a namespace of its own`,
      );
  }
  return problems;
}

/**
 * Every recorded named namespace netd may enter or delete: one that is now the host's (an
 * admin's `ip netns attach NAME 1` over netd's name) is never configured nor deleted.
 */
export async function recordedNamespacePreflight(recorded: RecordedState, identity: (path: string) => Promise<NsIdentity> = nsIdentity): Promise<string[]> {
  const problems: string[] = [];
  for (const s of recorded.sandboxes) {
    if (s.hostNetwork || s.netns.kind !== 'named') continue;
    const path = `${NETNS_DIR}/${s.netns.name}`;
    if ((await identity(path)) === 'self')
      problems.push(
        `container "${s.container}": netns ${path}, recorded by netd, is now the host's network namespace: netd will not touch it; remove that name (ip netns delete ${s.netns.name})`,
      );
  }
  return problems;
}

/** Declared bridge and namespace names that exist or another declared network owns, and /etc/netns dirs netd cannot write, from the plan's observation. */
export function objectPreflight(desired: DesiredState, p: Planned): string[] {
  const problems: string[] = [];
  const onHost = hostNetworkContainers(desired);
  const networks = creatingNames(p, 'network');
  const containers = creatingNames(p, 'container');
  for (const n of desired.networks) {
    if (n.bridge === undefined || !networks.has(n.name)) continue;
    const owner = p.recorded.networks.find((r) => r.bridge === n.bridge && r.name !== n.name);
    if (owner && desired.networks.some((d) => d.name === owner.name)) {
      problems.push(`network "${n.name}": bridge "${n.bridge}" is network "${owner.name}"'s: choose another bridge name`);
      continue;
    }
    const link = p.kernel.host.links.find((l) => l.name === n.bridge);
    if (!link || p.recorded.networks.some((r) => r.bridge === n.bridge)) continue;
    if (link.kind !== 'bridge')
      problems.push(`network "${n.name}": "${n.bridge}" exists and is a ${link.kind ?? 'device'}, not a bridge: choose another bridge name`);
    else if (!n.adopt)
      problems.push(`network "${n.name}": bridge "${n.bridge}" exists and is not netd's: declare adopt: true to use it, or choose another bridge name`);
  }
  for (const c of desired.containers) {
    if (c.netns.kind !== 'named' || c.adopt || onHost.has(c.name) || !containers.has(c.name) || !p.kernel.netnsNames.has(c.netns.name)) continue;
    const name = c.netns.name;
    if (p.recorded.sandboxes.some((s) => !s.hostNetwork && s.netns.kind === 'named' && s.netns.name === name)) continue;
    problems.push(`container "${c.name}": namespace "${name}" exists and is not netd's: declare adopt: true to use it, or choose another netns`);
  }
  // A pruned container's dir is only unlinked, never written: only declared ones matter.
  for (const c of desired.containers) {
    const why = c.netns.kind === 'named' ? p.kernel.netnsDirProblems?.get(c.netns.name) : undefined;
    if (why !== undefined) problems.push(`container "${c.name}": ${why} (netd writes hosts and resolv.conf there)`);
  }
  return problems;
}

/** How to get past a foreign object: it goes (or gets another name), or netd stops declaring it. */
function foreignWayOut(f: Foreign): string {
  const stop = `or stop declaring ${f.kind} "${f.name}" (apply then forgets netd's record and leaves it)`;
  if (f.kind !== 'container') return `delete or rename it (ip link delete ${f.object}), ${stop}`;
  if (f.object.startsWith('/')) return `correct the container's netns, ${stop}`;
  return `delete it (ip netns delete ${f.object}), ${stop}`;
}

/**
 * Every foreign object a change other than a delete would touch: an attachment touches its
 * container's namespace and its network's bridge too. Deletes of them drop only the records.
 */
export function foreignPreflight(p: Pick<Planned, 'plan' | 'recorded' | 'kernel'>): string[] {
  const foreign = foreignObjects(p.recorded, p.kernel);
  const touched = (f: Foreign): boolean =>
    p.plan.changes.some((c) => {
      if (c.action === 'delete') return false;
      if (c.kind === f.kind && c.name === f.name) return true;
      const [container, network] = c.name.split('/');
      return c.kind === 'attachment' && (f.kind === 'container' ? container === f.name : f.kind === 'network' && network === f.name);
    });
  return foreign.filter(touched).map((f) => `${f.kind} "${f.name}": ${f.message}: netd will not change it; ${foreignWayOut(f)}`);
}
