/**
 * The core loop, once: observe (store records + kernel snapshot) → diff (pure) → execute
 * (controller, one transaction) → verify (observe and diff again: what is still different is
 * an error). `netd apply`, `netd diff` and `netd watch` are thin callers of this.
 */
import type { Logger } from '../log.js';
import type { DesiredState } from '../desired/types.js';
import type { Store } from '../store/store.js';
import { kernelObserver, type Observer, type Runner } from '../kernel/index.js';
import { Ipam } from '../ipam/ipam.js';
import { staticHostInfo } from '../ipam/host-facts.js';
import { Controller } from '../controller/controller.js';
import type { ExecuteOptions } from '../controller/executor.js';
import { defaultDrivers } from '../drivers/registry.js';
import { diff, hostNetworkContainers } from '../plan/diff.js';
import { fallbackNote, type HostResolv } from '../state/resolv.js';
import type { Change, KernelView, Plan, RecordedState } from '../plan/types.js';
import { executePlan, type ExecuteResult } from './run-plan.js';
import { hostResolv, loadRecorded, observeKernel, type Intent, type Reuse } from './snapshot.js';
import { hostFacts, realHost } from './real-host.js';
import { attachLeases, clusterView, localize, type ClusterDeps, type ClusterView } from './cluster.js';

export interface Engine {
  readonly store: Store;
  readonly runner: Runner;
  readonly log: Logger;
  readonly observer?: Observer;
  readonly parallel?: number;
  /** Progress of the kernel work, for a terminal. */
  readonly progress?: ExecuteOptions['progress'];
}

export interface Planned {
  readonly plan: Plan;
  /** With each overlay's current lease and peers attached (cluster.ts attachLeases). */
  readonly recorded: RecordedState;
  readonly kernel: KernelView;
  /** The host's /etc/resolv.conf: what containers inherit. */
  readonly resolv: HostResolv;
  /** Warnings about the host for this pass (printed once per pass, not per container). */
  readonly notes: readonly string[];
  /** The cluster's part of the pass, when the files declare overlay networks. */
  readonly cluster?: ClusterView;
}

export type Observed = Omit<Planned, 'plan' | 'notes'>;

/**
 * What the store records and the kernel shows (reads only). intent 'delete' (`netd delete`): the
 * declared containers are what goes, and their namespaces are read as little as apply reads the
 * undeclared ones' (snapshot.ts leavingNamespaces); no diff is made of that observation.
 */
export async function observe(e: Engine, desired: DesiredState, reuse?: Reuse, cluster?: ClusterView, intent?: Intent): Promise<Observed> {
  const recorded = await loadRecorded(e.store);
  const observer = e.observer ?? kernelObserver(e.runner, e.log);
  const [kernel, resolv] = await Promise.all([observeKernel(e.runner, desired, recorded, observer, reuse, intent), hostResolv()]);
  const o = { recorded, kernel, resolv };
  return cluster ? withCluster(o, cluster) : o;
}

/** An observation with the cluster's part: the overlays' current leases attached to their records. */
export const withCluster = (o: Observed, cluster: ClusterView): Observed => ({ ...o, recorded: attachLeases(o.recorded, cluster), cluster });

/**
 * Observes, then asks the cluster (peek: reads only) and plans the desired state as this host
 * builds it (`local`: overlays localized). diff and delete use it; apply claims in between.
 */
export async function planLocal(e: Engine, desired: DesiredState, deps: ClusterDeps): Promise<Planned & { local: DesiredState }> {
  const raw = await observe(e, desired);
  const cluster = await clusterView(desired, raw.recorded, deps, 'peek');
  const local = localize(desired, cluster);
  return { ...planFrom(local, withCluster(raw, cluster)), local };
}

/** The containers that get Docker's public DNS fallback, in one note (named namespaces: netd writes their resolv.conf). */
export function resolvNotes(desired: DesiredState, host: HostResolv): string[] {
  const onHost = hostNetworkContainers(desired);
  const note = fallbackNote(
    desired.containers.filter((c) => c.netns.kind === 'named' && !onHost.has(c.name)),
    host,
  );
  return note === undefined ? [] : [note];
}

/** The plan from an observation (pure). */
export function planFrom(desired: DesiredState, o: Observed): Planned {
  return { plan: diff(desired, o.recorded, o.kernel, o.resolv), notes: resolvNotes(desired, o.resolv), ...o };
}

export async function planChanges(e: Engine, desired: DesiredState, reuse?: Reuse, cluster?: ClusterView): Promise<Planned> {
  return planFrom(desired, await observe(e, desired, reuse, cluster));
}

/** A controller on the real host over the snapshot that was planned against, records loaded. */
export async function newController(e: Engine, desired: DesiredState, p: Observed): Promise<Controller> {
  // The host's routes and resolvers matter only to a subnet IPAM chooses: a delete, or networks that all declare theirs, spawn nothing for them.
  const auto = desired.networks.some((n) => n.ipv4 !== undefined && n.ipv4.subnet === undefined);
  const host = auto ? await hostFacts(e.runner) : staticHostInfo([], []);
  const c = new Controller({
    store: e.store,
    host: realHost(e.runner, p.resolv),
    drivers: defaultDrivers(),
    ipam: await Ipam.load(e.store, desired, host),
    kernel: p.kernel,
    ...(p.cluster ? { leases: p.cluster.leases } : {}),
    log: e.log,
    execute: { ...(e.parallel ? { parallel: e.parallel } : {}), ...(e.progress ? { progress: e.progress } : {}) },
  });
  await c.load();
  return c;
}

/** Executes a plan: every change in one controller transaction. */
export async function execute(e: Engine, desired: DesiredState, p: Planned): Promise<ExecuteResult> {
  return executePlan(await newController(e, desired, p), desired, p.plan);
}

/**
 * What is still different after executing (empty when converged). The host is read again, and
 * every namespace this apply wrote to — most of them were already read back by their own last
 * batch, in the same process; a namespace it did not write to cannot have changed because of
 * it, so its earlier reading stands.
 */
export async function verify(e: Engine, desired: DesiredState, p: Planned, r: ExecuteResult): Promise<readonly Change[]> {
  const touched = new Set(r.commit.steps.flatMap((s) => s.namespaces()));
  return (
    await planChanges(e, desired, { kernel: p.kernel, touched, fresh: r.commit.views, ...(r.commit.written ? { written: r.commit.written } : {}) }, p.cluster)
  ).plan.changes;
}

export interface ApplyResult {
  readonly plan: Plan;
  /** undefined: the plan was empty, nothing ran. */
  readonly executed?: ExecuteResult;
  /** What still differs after executing (verify); empty when converged. */
  readonly remaining: readonly Change[];
}

/** Execute and verify, without pre-flight (`applyOnce` is the whole pass). */
export async function apply(e: Engine, desired: DesiredState, planned?: Planned): Promise<ApplyResult> {
  const p = planned ?? (await planChanges(e, desired));
  if (p.plan.changes.length === 0) return { plan: p.plan, remaining: [] };
  const executed = await execute(e, desired, p);
  return { plan: p.plan, executed, remaining: await verify(e, desired, p, executed) };
}
