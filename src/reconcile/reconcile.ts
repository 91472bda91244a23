/**
 * The core loop, once: observe (store records + kernel snapshot) → diff (pure) → execute
 * (controller, one transaction) → verify (observe and diff again: what is still different is
 * an error). `netd apply`, `netd diff` and `netd watch` are thin callers of this.
 */
import { messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { DesiredState } from '../desired/types.js';
import type { Store } from '../store/store.js';
import type { Observer, Runner } from '../kernel/index.js';
import { Ipam } from '../ipam/ipam.js';
import { readHostInfo } from '../ipam/host-facts.js';
import { Controller } from '../controller/controller.js';
import type { ExecuteOptions } from '../controller/executor.js';
import { defaultDrivers } from '../drivers/registry.js';
import { diff } from '../plan/diff.js';
import type { Change, KernelView, Plan, RecordedState } from '../plan/types.js';
import { executePlan } from './run-plan.js';
import { hostNameservers, loadRecorded, observeKernel, type Reuse } from './snapshot.js';
import { realHost } from './real-host.js';

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
  readonly recorded: RecordedState;
  readonly kernel: KernelView;
  readonly nameservers: readonly string[];
}

export async function planChanges(e: Engine, desired: DesiredState, reuse?: Reuse): Promise<Planned> {
  const recorded = await loadRecorded(e.store);
  const [kernel, nameservers] = await Promise.all([observeKernel(e.runner, desired, recorded, e.observer, reuse), hostNameservers()]);
  return { plan: diff(desired, recorded, kernel, nameservers), recorded, kernel, nameservers };
}

/** A controller on the real host over the snapshot that was planned against, records loaded. */
export async function newController(e: Engine, desired: DesiredState, p: Planned): Promise<Controller> {
  const host = await readHostInfo(async () => (await e.runner.run(['ip', '-json', 'route', 'show', 'table', 'all'])).stdout);
  const c = new Controller({
    store: e.store,
    host: realHost(e.runner, p.nameservers),
    drivers: defaultDrivers(),
    ipam: await Ipam.load(e.store, desired, host),
    kernel: p.kernel,
    log: e.log,
    execute: { ...(e.parallel ? { parallel: e.parallel } : {}), ...(e.progress ? { progress: e.progress } : {}) },
  });
  await c.load();
  return c;
}

export interface ApplyResult {
  readonly plan: Plan;
  /** One line per object that could not be converged: `create endpoint "web/front": …`. */
  readonly errors: readonly string[];
  /** The planned changes that did not happen. */
  readonly failed: ReadonlySet<Change>;
  /** Failures of no single change (a container's default route). */
  readonly otherFailures: number;
  /** What still differs after executing (verify); empty when converged. */
  readonly remaining: readonly Change[];
}

export async function apply(e: Engine, desired: DesiredState, planned?: Planned): Promise<ApplyResult> {
  const p = planned ?? (await planChanges(e, desired));
  if (p.plan.changes.length === 0) return { plan: p.plan, errors: [], failed: new Set(), otherFailures: 0, remaining: [] };
  const c = await newController(e, desired, p);
  const r = await executePlan(c, desired, p.plan);
  const errors = [
    ...r.failures.map((f) => `${f.change.action} ${f.change.kind} "${f.change.name}": ${f.message}`),
    ...r.commit.failed.map((s) => `${s.label}: ${messageOf(s.error)}`),
  ];
  // Verify: the host is read again, and every namespace this apply wrote to — most of them
  // were already read back by their own last batch, in the same process; a namespace it did
  // not write to cannot have changed because of it, so its earlier reading stands.
  const touched = new Set(r.commit.steps.flatMap((s) => s.namespaces()));
  const after = await planChanges(e, desired, { kernel: p.kernel, touched, fresh: r.commit.views });
  return { plan: p.plan, errors, failed: r.failed, otherFailures: r.unowned.length, remaining: after.plan.changes };
}
