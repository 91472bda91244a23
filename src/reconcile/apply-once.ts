/**
 * One apply pass: pre-flight, observe, plan, execute, verify, returned as an ApplyReport.
 * `netd apply` renders the report, `netd watch` repeats the pass and logs each report; this
 * module prints nothing. Refusals are outcomes, not exceptions; what cannot be reported as a
 * refusal or a failed change (the lock timing out, the store changing underneath) is thrown.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { CountingRunner, type Runner } from '../kernel/index.js';
import type { ExecuteOptions } from '../controller/executor.js';
import type { DesiredState } from '../desired/types.js';
import type { Change, Plan } from '../plan/types.js';
import { DB_FILE } from '../store/sqlite.js';
import {
  driverPreflight,
  foreignPreflight,
  hostPreflight,
  namespacePreflight,
  nsIdentity,
  objectPreflight,
  poolPreflight,
  recordedNamespacePreflight,
  sharedNamespacePreflight,
} from './preflight.js';
import { execute, observe, planFrom, verify, withCluster, type Engine, type Planned } from './reconcile.js';
import {
  NO_CLUSTER,
  clusterView,
  localize,
  openClusterStore,
  releaseLeases,
  unreachableError,
  type ClusterDeps,
  type ClusterMode,
  type ClusterView,
} from './cluster.js';
import type { NetworkRecord } from '../state/records.js';
import { destructive, tooManyDeletes, withoutPrunes } from '../plan/safety.js';
import type { Store } from '../store/store.js';
import { foreignTableProblems, lostProblem } from './lost.js';
import {
  PhaseClock,
  changeReports,
  type PhaseName,
  kernelCalls,
  tally,
  type ApplyOutcome,
  type ApplyReport,
  type ChangeReport,
  type FailureReport,
} from './apply-report.js';

/** Runs fn on an engine over the state dir's store: locked (created if need be) to write, read-only otherwise. */
export type OpenEngine = <T>(opts: { lock: boolean }, fn: (e: Engine) => Promise<T>) => Promise<T>;

export interface ApplyDeps {
  readonly stateDir: string;
  /** For pre-flight; each engine brings its own. */
  readonly runner: Runner;
  readonly open: OpenEngine;
  /** Called with the plan (and the cluster's notes) before anything is changed (not when refused): the CLI shows it then. */
  readonly onPlan?: (plan: Plan, notes: readonly string[]) => void;
  /** The cluster store, kept open by `watch`; else a pass opens `cluster.etcd` once, when the files declare overlays. */
  readonly clusterStore?: Store | (() => Promise<Store>);
  /** Progress of the kernel work, for a terminal. */
  readonly progress?: ExecuteOptions['progress'];
  /** Told as each phase begins (observe, cluster, execute, verify…), for a terminal. */
  readonly phase?: (name: PhaseName) => void;
  /**
   * With no state yet: runs the object checks on a read-only store, refusing first what the
   * lock and the store would refuse (the CLI's problemsBeforeState); default: deps.open.
   */
  readonly beforeState?: (check: (e: Engine) => Promise<readonly string[]>) => Promise<readonly string[]>;
  /**
   * Asked before a plan that deletes or replaces anything is executed (a terminal's prompt);
   * false cancels the apply with nothing changed. Absent: no one to ask, proceed.
   */
  readonly confirm?: (plan: Plan) => Promise<boolean>;
  /** Pre-flight of the host itself (tools, privileges, state dir); tests replace it. */
  readonly hostChecks?: (stateDir: string, opts: { writes: boolean }) => Promise<string[]>;
}

export interface ApplyOptions {
  readonly dryRun: boolean;
  /** Proceed although the state was lost. */
  readonly force?: boolean;
  /** false: leave owned objects the files no longer declare (`--prune=false`). */
  readonly prune?: boolean;
  /** Refuse a plan that deletes or replaces more than this many objects. */
  readonly maxDeletes?: number;
}

export async function applyOnce(desired: DesiredState, deps: ApplyDeps, o: ApplyOptions): Promise<ApplyReport> {
  const cluster = desired.cluster;
  if (deps.clusterStore || !cluster || !desired.networks.some((n) => n.overlay)) return applyPass(desired, deps, o);
  // One connection for the pass: the read before the lock, the read under it, and the claim.
  let opened: Promise<Store> | undefined;
  const clusterStore = (): Promise<Store> => (opened ??= openClusterStore(cluster));
  try {
    return await applyPass(desired, { ...deps, clusterStore }, o);
  } finally {
    await opened?.then((s) => s.close()).catch(() => undefined);
  }
}

async function applyPass(desired: DesiredState, deps: ApplyDeps, o: ApplyOptions): Promise<ApplyReport> {
  const clock = new PhaseClock(deps.phase);
  const counted: CountingRunner[] = [];
  const count = (r: Runner): CountingRunner => {
    const c = new CountingRunner(r);
    counted.push(c);
    return c;
  };
  const runner = count(deps.runner);
  const report = (outcome: ApplyOutcome, r: Partial<Omit<ApplyReport, 'outcome' | 'phases' | 'kernel'>> = {}): ApplyReport => {
    const plan = r.plan ?? [];
    return {
      outcome,
      refused: r.refused ?? [],
      plan,
      changes: r.changes ?? [],
      failures: r.failures ?? [],
      remaining: r.remaining ?? [],
      phases: clock.phases(),
      kernel: kernelCalls(counted),
      totals: r.totals ?? tally([], new Set(), 0),
      notes: r.notes ?? [],
    };
  };

  const host = await clock.time('preflight', async () => [
    ...(await (deps.hostChecks ?? hostPreflight)(deps.stateDir, { writes: !o.dryRun })),
    ...driverPreflight(desired),
    ...(await namespacePreflight(desired, (p, enter) => nsIdentity(p, enter ? runner : undefined))),
    ...(await sharedNamespacePreflight(desired)),
  ]);
  if (host.length > 0) return report('refused', { refused: host });

  const cluster = (e: Engine): ClusterDeps => ({ runner: e.runner, stateDir: deps.stateDir, ...(deps.clusterStore ? { store: deps.clusterStore } : {}) });
  /**
   * Observe, ask the cluster, plan, check. The cluster is only read until the checks pass;
   * then (mode claim) leases are taken and the same observation is planned again with them.
   */
  const objects = async (e: Engine, mode: ClusterMode): Promise<{ planned: Planned; problems: string[]; local: DesiredState }> => {
    const raw = await clock.time('observe', () => observe(e, desired));
    const planWith = async (view: ClusterView): Promise<{ planned: Planned; local: DesiredState }> => {
      const local = localize(desired, view);
      return { planned: await clock.time('plan', () => planFrom(local, withCluster(raw, view))), local };
    };
    const overlays = desired.networks.some((n) => n.overlay);
    let view = overlays ? await clock.time('cluster', () => clusterView(desired, raw.recorded, cluster(e), 'peek')) : NO_CLUSTER;
    let { planned, local } = await planWith(view);
    // The cluster refusing this file (its config, the interface) is the file's problem, first.
    if (view.problems.length > 0) return { planned, problems: [...view.problems], local };
    // A lost store makes every existing object look foreign: that one problem says it all.
    const lost = lostProblem(deps.stateDir, planned, o.force === true);
    if (lost) return { planned, problems: [lost], local };
    const problems = await clock.time('preflight', async () => [
      ...foreignTableProblems(planned.kernel),
      ...objectPreflight(local, planned),
      ...foreignPreflight(planned),
      ...(await poolPreflight(runner, e.store, local, planned)),
    ]);
    if (problems.length > 0 || mode === 'peek' || !overlays || view.unreachable !== undefined) return { planned, problems, local };
    view = await clock.time('cluster', () => clusterView(desired, raw.recorded, cluster(e), 'claim'));
    ({ planned, local } = await planWith(view));
    return { planned, problems: [...view.problems], local };
  };
  const engine = (e: Engine): Engine => ({ ...e, runner: count(e.runner), ...(deps.progress ? { progress: deps.progress } : {}) });

  // With no state yet, taking the lock creates the state dir: check the objects on a read-only plan first.
  if (!o.dryRun && !lstatSync(join(deps.stateDir, DB_FILE), { throwIfNoEntry: false })) {
    let plan: Change[] = [];
    const check = async (e: Engine): Promise<string[]> => {
      const r = await objects(engine(e), 'peek');
      plan = [...r.planned.plan.changes];
      return r.problems;
    };
    const early = await (deps.beforeState ? deps.beforeState(check) : deps.open({ lock: false }, check));
    if (early.length > 0) return report('refused', { refused: [...early], plan });
  }
  const opening = performance.now();
  return deps.open({ lock: !o.dryRun }, async (opened) => {
    if (!o.dryRun) clock.add('lock', performance.now() - opening);
    const e = engine(opened);
    const objs = await objects(e, o.dryRun ? 'peek' : 'claim');
    const { problems: found, local } = objs;
    const planned = o.prune === false ? { ...objs.planned, plan: withoutPrunes(objs.planned.plan) } : objs.planned;
    const plan = planned.plan.changes;
    const problems = [...found, ...(await clock.time('preflight', () => recordedNamespacePreflight(planned.recorded)))];
    if (problems.length > 0) return report('refused', { refused: problems, plan });
    const notes = [...(planned.cluster?.notes ?? []), ...planned.notes];
    deps.onPlan?.(planned.plan, notes);
    const tooMany = tooManyDeletes(plan, o.maxDeletes);
    if (tooMany) return report('refused', { refused: [tooMany], plan });
    // The cluster store unreachable: what is local is built, and the pass still fails (exit 1).
    const unreachable = unreachableError(planned.cluster);
    const clusterFailures: FailureReport[] = unreachable ? [{ code: unreachable.code, message: unreachable.message }] : [];
    if (plan.length === 0) return clusterFailures.length > 0 ? report('failed', { failures: clusterFailures, notes }) : report('in-sync', { notes });
    if (o.dryRun) return report('dry-run', { plan, notes });
    if (deps.confirm && destructive(plan).length > 0 && !(await deps.confirm(planned.plan))) {
      return report('refused', { refused: ['the apply was cancelled at the prompt'], plan });
    }
    const executed = await clock.time('execute', () => execute(e, local, planned));
    const left = await clock.time('verify', () => verify(e, local, planned, executed));
    // What --prune=false left alone is still different, on purpose.
    const remaining = o.prune === false ? withoutPrunes({ changes: left }).changes : left;
    const { changes, failures: changeFailures } = changeReports(plan, executed);
    const leaving = deletedOverlays(plan, changes, planned);
    const released = leaving.length > 0 ? await clock.time('cluster', () => releaseLeases(leaving, deps.stateDir)) : [];
    const failures = [...changeFailures, ...clusterFailures, ...released.map((message): FailureReport => ({ code: 'retry', message }))];
    return report(failures.length === 0 && remaining.length === 0 ? 'applied' : 'failed', {
      plan,
      changes,
      failures,
      remaining,
      notes,
      totals: totalsOf(plan, changes, failures),
    });
  });
}

/** The overlay networks this pass deleted (not replaced: a replacement keeps the lease). */
function deletedOverlays(plan: readonly Change[], changes: readonly ChangeReport[], planned: Planned): NetworkRecord[] {
  const ids = new Set(plan.filter((c, i) => c.action === 'delete' && c.kind === 'network' && changes[i]?.outcome === 'done').map((c) => c.id));
  const names = new Set(plan.filter((c) => c.kind === 'network' && c.action !== 'delete').map((c) => c.name));
  return planned.recorded.networks.filter((n) => n.overlay && ids.has(n.id) && !names.has(n.name));
}

function totalsOf(plan: readonly Change[], changes: readonly ChangeReport[], failures: readonly FailureReport[]): ApplyReport['totals'] {
  const failed = new Set(plan.filter((_, i) => changes[i]?.outcome !== 'done'));
  const others = failures.filter((f) => f.change === undefined).length;
  return tally(plan, failed, others, changes.filter((c) => c.outcome === 'skipped').length);
}
