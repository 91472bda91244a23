/**
 * What one apply did, as data: the CLI renders it, `watch` logs it, a metrics endpoint can
 * count it. Per change its outcome and error kind (NetdError.code), per phase its duration,
 * and the kernel calls by kind. Pure: built from the plan and the execute result.
 */
import { isNetdError, messageOf, type ErrorCode } from '../errors.js';
import type { CountingRunner } from '../kernel/index.js';
import type { Step } from '../controller/step.js';
import type { Change } from '../plan/types.js';
import { SkippedChange, type ExecuteResult } from './run-plan.js';

/**
 * in-sync: nothing to do; applied: every change done and verify found nothing left;
 * refused: pre-flight found problems, nothing was changed; failed: a change or verify failed;
 * dry-run: a plan that was not executed.
 */
export type ApplyOutcome = 'in-sync' | 'applied' | 'refused' | 'failed' | 'dry-run';

/** preflight, lock (waiting for the state-dir lock, opening the store), observe, cluster (leases in etcd), plan, execute, verify. */
export type PhaseName = 'preflight' | 'lock' | 'observe' | 'cluster' | 'plan' | 'execute' | 'verify';

export interface ErrorReport {
  readonly code: ErrorCode;
  readonly message: string;
  /** The controller step that failed (`create network "n1"`); absent when queueing the change threw. */
  readonly step?: string;
}

export interface ChangeReport {
  readonly action: Change['action'];
  readonly kind: Change['kind'];
  readonly name: string;
  readonly id?: string;
  /** skipped: not attempted because something it needs failed (its error is that failure's kind). */
  readonly outcome: 'done' | 'failed' | 'skipped';
  readonly error?: ErrorReport;
}

/** Every error, in the order found; `change` is an index into `changes`, absent for a failure of no single change. */
export interface FailureReport extends ErrorReport {
  readonly change?: number;
}

export interface KernelCalls {
  /** Processes spawned. */
  readonly calls: number;
  /** What changed kernel state: processes, and batches the netlink applier ran in this process. */
  readonly writes: number;
  /** Processes by program and subcommand: `ip -batch`, `ip -details -json -batch`, `nft -f`, `sysctl -n`…; netlink batches as `netlink apply`. */
  readonly byKind: Readonly<Record<string, number>>;
}

/** Done changes by what they did; `failed` as in the summary line (failed and skipped changes, failures of no change). */
export interface Totals {
  readonly created: number;
  readonly updated: number;
  readonly replaced: number;
  readonly repaired: number;
  readonly deleted: number;
  readonly failed: number;
  readonly skipped: number;
}

export interface ApplyReport {
  readonly outcome: ApplyOutcome;
  /** Pre-flight problems (outcome refused). */
  readonly refused: readonly string[];
  /** The plan (empty when refused before planning). */
  readonly plan: readonly Change[];
  /** One per planned change, in plan order, once executed. */
  readonly changes: readonly ChangeReport[];
  readonly failures: readonly FailureReport[];
  /** What verify still found different after executing. */
  readonly remaining: readonly Change[];
  /** Milliseconds per phase, summed over the pass, in the order first entered. */
  readonly phases: readonly { readonly name: PhaseName; readonly ms: number }[];
  readonly kernel: KernelCalls;
  readonly totals: Totals;
  /** Said loudly with the plan and the summary: an overlay re-addressed, or not built for want of the cluster store. */
  readonly notes: readonly string[];
}

/** The error kind of anything thrown: a NetdError's code, otherwise internal. */
export const codeOf = (e: unknown): ErrorCode => (isNetdError(e) ? e.code : 'internal');

/** The step whose own failure made `s` fail (itself unless it was skipped). */
function rootOf(s: Step): Step {
  let root = s;
  while (root.skippedBy) root = root.skippedBy;
  return root;
}

function failureOf(error: unknown, step?: Step): { report: ErrorReport; skipped: boolean } {
  if (step) {
    const skipped = step.skippedBy !== undefined;
    return { report: { code: codeOf(rootOf(step).error), message: messageOf(step.error), step: step.label }, skipped };
  }
  if (error instanceof SkippedChange) return { report: { code: codeOf(error.cause), message: error.message }, skipped: true };
  return { report: { code: codeOf(error), message: messageOf(error) }, skipped: false };
}

/** Each change's outcome and every failure, from what executing the plan returned. */
export function changeReports(plan: readonly Change[], r: ExecuteResult): { changes: ChangeReport[]; failures: FailureReport[] } {
  const index = new Map(plan.map((c, i) => [c, i]));
  const found = [
    ...r.failures.map((f) => ({ change: index.get(f.change), ...failureOf(f.error) })),
    ...r.commit.failed.map((s) => {
      const owner = r.owners.get(s);
      return { change: owner && index.get(owner), ...failureOf(s.error, s) };
    }),
  ];
  const changes = plan.map((c, i): ChangeReport => {
    const mine = found.filter((f) => f.change === i);
    const base = { action: c.action, kind: c.kind, name: c.name, ...(c.id !== undefined ? { id: c.id } : {}) };
    if (mine.length === 0) return { ...base, outcome: 'done' };
    const cause = mine.find((f) => !f.skipped) ?? mine[0]!;
    return { ...base, outcome: mine.every((f) => f.skipped) ? 'skipped' : 'failed', error: cause.report };
  });
  const failures = found.map((f): FailureReport => (f.change === undefined ? f.report : { ...f.report, change: f.change }));
  return { changes, failures };
}

const PAST: Record<Change['action'], Exclude<keyof Totals, 'failed' | 'skipped'>> = {
  create: 'created',
  update: 'updated',
  replace: 'replaced',
  delete: 'deleted',
  repair: 'repaired',
};

/** What happened, counted: a change that did not happen counts only as failed. `others`: failures of no change. */
export function tally(changes: readonly Change[], failed: ReadonlySet<Change>, others: number, skipped = 0): Totals {
  const t = { created: 0, updated: 0, replaced: 0, repaired: 0, deleted: 0, failed: failed.size + others, skipped };
  for (const c of changes) if (!failed.has(c)) t[PAST[c.action]]++;
  return t;
}

/** The calls of several counting runners, summed. */
export function kernelCalls(runners: readonly CountingRunner[]): KernelCalls {
  const byKind = new Map<string, number>();
  for (const r of runners) for (const [k, n] of r.byKind) byKind.set(k, (byKind.get(k) ?? 0) + n);
  return {
    calls: runners.reduce((n, r) => n + r.calls, 0),
    writes: runners.reduce((n, r) => n + r.writes, 0),
    byKind: Object.fromEntries([...byKind].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
}

/** Durations per phase, summed: a phase entered twice (an early read-only plan, then the locked one) adds up. */
export class PhaseClock {
  private readonly ms = new Map<PhaseName, number>();

  /** onPhase: told as each timed phase begins (a terminal shows it). */
  constructor(private readonly onPhase?: (name: PhaseName) => void) {}

  add(name: PhaseName, ms: number): void {
    this.ms.set(name, (this.ms.get(name) ?? 0) + ms);
  }

  async time<T>(name: PhaseName, fn: () => Promise<T> | T): Promise<T> {
    this.onPhase?.(name);
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.add(name, performance.now() - start);
    }
  }

  phases(): { name: PhaseName; ms: number }[] {
    return [...this.ms].map(([name, ms]) => ({ name, ms: Math.round(ms * 10) / 10 }));
  }
}
