import { EXIT, NetdError, escapeControls } from '../../errors.js';
import { createInterface } from 'node:readline/promises';
import { stringify } from 'yaml';
import type { ApplyDeps, ApplyOptions } from '../../reconcile/apply-once.js';
import { destructive } from '../../plan/safety.js';
import type { Plan } from '../../plan/types.js';
import type { ApplyReport, FailureReport, PhaseName } from '../../reconcile/apply-report.js';
import type { DesiredState } from '../../desired/types.js';
import type { Store } from '../../store/store.js';
import type { Context } from '../context.js';
import { problemsBeforeState, withEngine } from '../engine.js';
import { formatChange, printPlan, summary } from '../plan-output.js';
import { superviseDns } from '../resolver.js';

export async function run(ctx: Context): Promise<number> {
  const desired = await ctx.loadDesiredState();
  if (typeof desired === 'number') return desired;
  const report = await applyPass(ctx, desired, {
    ...safetyOf(ctx),
    dryRun: ctx.values['dry-run'] === true,
    force: ctx.values.force === true,
    ask: ctx.io.stdinTTY === true && ctx.values.yes !== true,
  });
  let code = renderApply(ctx, report);
  // Also when in sync: the next apply restarts a resolver that died.
  if (report.outcome !== 'refused' && report.outcome !== 'dry-run' && !(await superviseDns(ctx))) code = EXIT.error;
  // -o json|yaml: the whole apply report (the plan is in it), for machines.
  if (ctx.output === 'json') ctx.out(JSON.stringify(report, null, 2));
  else if (ctx.output === 'yaml') ctx.out(stringify(report).trimEnd());
  return code;
}

/** Prints what pre-flight found; nothing has been changed. */
export function refuse(ctx: Context, problems: readonly string[]): number {
  for (const p of problems) ctx.err(`pre-flight: ${escapeControls(p)}`);
  ctx.err('nothing was changed');
  return EXIT.error;
}

/**
 * One apply pass on this host's state dir; the plan is printed (as a human diff) before
 * anything changes, and on a terminal the kernel work shows its progress. `watch` repeats it.
 */
/** On a terminal: the namespaces removed and built so far. */
export const namespaceProgress =
  (ctx: Context) =>
  (phase: number, done: number, total: number): void =>
    void ctx.io.stderr.write(`\r${phase === 0 ? 'removing' : 'building'}: ${done}/${total} namespaces${done === total ? '\n' : ''}`);

const PHASE_LINES: Partial<Record<PhaseName, string>> = {
  observe: 'reading the store and the kernel…',
  cluster: 'asking the cluster (etcd)…',
  verify: 'verifying…',
};

/** On a terminal: each long phase once, as it begins (execute has its own line and counters). */
function phaseProgress(ctx: Context): (name: PhaseName) => void {
  const said = new Set<PhaseName>();
  return (name) => {
    const line = PHASE_LINES[name];
    if (line === undefined || said.has(name)) return;
    said.add(name);
    ctx.err(line);
  };
}

/** `--max-deletes N` and `--prune=true|false`, checked (usage errors, exit 64). */
export function safetyOf(ctx: Context): Pick<ApplyOptions, 'maxDeletes' | 'prune'> {
  const max = ctx.values['max-deletes'];
  const prune = ctx.values.prune;
  if (typeof max === 'string' && !/^\d+$/.test(max)) throw new NetdError('usage', `--max-deletes: "${max}" is not a whole number (e.g. 10)`);
  if (typeof prune === 'string' && prune !== 'true' && prune !== 'false') throw new NetdError('usage', `--prune: "${prune}" must be true or false`);
  return { ...(typeof max === 'string' ? { maxDeletes: Number(max) } : {}), ...(prune === 'false' ? { prune: false } : {}) };
}

/** Asks on the terminal before deleting or replacing; only "yes" goes ahead (terraform's rule). */
async function confirm(ctx: Context, plan: Plan): Promise<boolean> {
  const gone = destructive(plan.changes);
  const rl = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr, terminal: false });
  try {
    const answer = await rl.question(`This apply deletes or replaces ${gone.length} object${gone.length === 1 ? '' : 's'}. Only 'yes' will be accepted: `);
    return answer.trim() === 'yes';
  } finally {
    rl.close();
  }
}

export async function applyPass(
  ctx: Context,
  desired: DesiredState,
  o: ApplyOptions & { force: boolean; clusterStore?: Store; ask?: boolean; daemon?: boolean },
): Promise<ApplyReport> {
  const [{ applyOnce }, deps] = await Promise.all([import('../../reconcile/apply-once.js'), engineDeps(ctx, o)]);
  // The daemon logs one event per pass instead (cli/daemon-log.ts): no plan, warnings or progress.
  if (o.daemon) return applyOnce(desired, deps, applyOptions(o));
  const tty = ctx.io.isTTY === true;
  return applyOnce(
    desired,
    {
      ...deps,
      ...(o.ask ? { confirm: (plan: Plan) => confirm(ctx, plan) } : {}),
      onPlan: (plan, notes) => {
        const n = plan.changes.length;
        if (ctx.output === 'table') printPlan(ctx, plan);
        for (const note of notes) ctx.err(`warning: ${escapeControls(note)}`);
        if (tty && !o.dryRun && n > 0) ctx.err(`applying ${n} change${n === 1 ? '' : 's'}…`);
      },
      ...(tty ? { progress: namespaceProgress(ctx), phase: phaseProgress(ctx) } : {}),
    },
    applyOptions(o),
  );
}

async function engineDeps(ctx: Context, o: { clusterStore?: Store }): Promise<ApplyDeps> {
  // Loaded here, not at start-up: the command registry imports every command (STYLE.md §3).
  const { ExecRunner } = await import('../../kernel/index.js');
  return {
    stateDir: ctx.stateDir,
    runner: new ExecRunner(),
    open: (opts, fn) => withEngine(ctx, opts, fn),
    beforeState: (check) => problemsBeforeState(ctx, check),
    ...(o.clusterStore ? { clusterStore: o.clusterStore } : {}),
  };
}

const applyOptions = (o: ApplyOptions): ApplyOptions => ({
  dryRun: o.dryRun,
  ...(o.force === undefined ? {} : { force: o.force }),
  ...(o.prune === false ? { prune: false } : {}),
  ...(o.maxDeletes === undefined ? {} : { maxDeletes: o.maxDeletes }),
});

/** The line of a failure: the step that failed, or the change whose queueing threw. */
function failureLine(r: ApplyReport, f: FailureReport): string {
  const c = f.change === undefined ? undefined : r.plan[f.change];
  const what = f.step ?? (c ? `${c.action} ${c.kind} "${c.name}"` : 'apply');
  return `${what}: ${f.message}`;
}

/**
 * Prints on stderr what happened (the refusal, each error, what is still different, the
 * summary line, prefixed with `label` when given); the exit code.
 */
export function renderApply(ctx: Context, r: ApplyReport, label?: string): number {
  if (r.outcome === 'refused') return refuse(ctx, r.refused);
  if (r.outcome === 'in-sync' || r.outcome === 'dry-run') return EXIT.ok;
  // The notes were printed with the plan (onPlan), once.
  for (const f of r.failures) ctx.err(`error: ${escapeControls(failureLine(r, f))}`);
  if (r.remaining.length > 0) {
    ctx.err('still different after apply:');
    for (const c of r.remaining) for (const l of formatChange(c, false)) ctx.err(`  ${l}`);
  }
  ctx.err(label === undefined ? summary(r.totals) : `${label}: ${summary(r.totals)} (${Math.round(r.phases.reduce((n, p) => n + p.ms, 0))} ms)`);
  return r.outcome === 'applied' ? EXIT.ok : EXIT.error;
}
