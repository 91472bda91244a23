import { EXIT, escapeControls } from '../../errors.js';
import { ExecRunner } from '../../kernel/index.js';
import {
  driverPreflight,
  hostPreflight,
  objectPreflight,
  namespacePreflight,
  nsIdentity,
  poolPreflight,
  recordedNamespacePreflight,
  sharedNamespacePreflight,
} from '../../reconcile/preflight.js';
import { apply, planChanges, type Engine, type Planned } from '../../reconcile/reconcile.js';
import { foreignTableProblems, lostProblem } from '../../reconcile/lost.js';
import type { DesiredState } from '../../desired/types.js';
import { ALLOW_EMPTY_OPTION, FILE_OPTION, LOST_FORCE_HELP, LOST_FORCE_OPTION, type Command, type Context } from '../context.js';
import { LOCK_OPTION, problemsBeforeState, withEngine } from '../engine.js';
import { formatChange, printPlan, summary } from '../plan-output.js';

export const applyCommand: Command = {
  name: 'apply',
  summary: 'converge the host to the files: create, update, repair and prune',
  usage: 'netd apply -f PATH... [--dry-run] [--allow-empty] [--force] [--lock-timeout 60s]',
  options: { ...FILE_OPTION, ...LOCK_OPTION, ...ALLOW_EMPTY_OPTION, ...LOST_FORCE_OPTION, 'dry-run': { type: 'boolean' } },
  flagHelp: LOST_FORCE_HELP,
  writes: true,
  async run(ctx) {
    const desired = await ctx.loadDesiredState();
    if (typeof desired === 'number') return desired;
    return applyOnce(ctx, desired, { dryRun: ctx.values['dry-run'] === true, quietInSync: false, force: ctx.values.force === true });
  },
};

/** Prints what pre-flight found; nothing has been changed. */
export function refuse(ctx: Context, problems: readonly string[]): number {
  for (const p of problems) ctx.err(`pre-flight: ${escapeControls(p)}`);
  ctx.err('nothing was changed');
  return EXIT.error;
}

/** One apply: pre-flight, plan (printed), execute, verify, summary; the exit code. `watch` repeats it. */
export async function applyOnce(ctx: Context, desired: DesiredState, o: { dryRun: boolean; quietInSync: boolean; force: boolean }): Promise<number> {
  const runner = new ExecRunner();
  const host = [
    ...(await hostPreflight(runner, ctx.stateDir, { writes: !o.dryRun })),
    ...driverPreflight(desired),
    ...(await namespacePreflight(desired, (p) => nsIdentity(p, runner))),
    ...(await sharedNamespacePreflight(desired)),
  ];
  if (host.length > 0) return refuse(ctx, host);
  const objects = async (e: Engine): Promise<{ planned: Planned; problems: string[] }> => {
    const planned = await planChanges(e, desired);
    // A lost store makes every existing object look foreign: that one problem says it all.
    const lost = lostProblem(ctx.stateDir, planned, o.force);
    if (lost) return { planned, problems: [lost] };
    const owned = [...foreignTableProblems(planned.kernel), ...objectPreflight(desired, planned)];
    return { planned, problems: [...owned, ...(await poolPreflight(runner, e.store, desired, planned))] };
  };
  const early = o.dryRun ? [] : await problemsBeforeState(ctx, async (e) => (await objects(e)).problems);
  if (early.length > 0) return refuse(ctx, early);
  return withEngine(ctx, { lock: !o.dryRun }, async (e) => {
    const { planned, problems: found } = await objects(e);
    const problems = [...found, ...(await recordedNamespacePreflight(planned.recorded))];
    if (problems.length > 0) return refuse(ctx, problems);
    if (planned.plan.changes.length > 0 || !o.quietInSync) printPlan(ctx, planned.plan);
    if (o.dryRun || planned.plan.changes.length === 0) return EXIT.ok;
    const n = planned.plan.changes.length;
    if (ctx.io.isTTY) ctx.err(`applying ${n} change${n === 1 ? '' : 's'}…`);
    const progress = ctx.io.isTTY
      ? (phase: number, done: number, total: number) =>
          ctx.io.stderr.write(`\r${phase === 0 ? 'removing' : 'building'}: ${done}/${total} namespaces${done === total ? '\n' : ''}`)
      : undefined;
    const r = await apply(progress ? { ...e, progress } : e, desired, planned);
    for (const m of r.errors) ctx.err(`error: ${escapeControls(m)}`);
    if (r.remaining.length > 0) {
      ctx.err('still different after apply:');
      for (const c of r.remaining) for (const l of formatChange(c, false)) ctx.err(`  ${l}`);
    }
    ctx.err(summary(planned.plan.changes, r.failed, r.otherFailures));
    return r.errors.length === 0 && r.remaining.length === 0 ? EXIT.ok : EXIT.error;
  });
}
