import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, escapeControls } from '../../errors.js';
import { ExecRunner } from '../../kernel/index.js';
import {
  driverPreflight,
  foreignPreflight,
  hostPreflight,
  objectPreflight,
  namespacePreflight,
  nsIdentity,
  poolPreflight,
  recordedNamespacePreflight,
  sharedNamespacePreflight,
} from '../../reconcile/preflight.js';
import { apply, planChanges, type Engine, type Planned } from '../../reconcile/reconcile.js';
import type { DesiredState } from '../../desired/types.js';
import { DB_FILE } from '../../store/sqlite.js';
import { ALLOW_EMPTY_OPTION, FILE_OPTION, type Command, type Context } from '../context.js';
import { LOCK_OPTION, withEngine } from '../engine.js';
import { formatChange, printPlan, summary } from '../plan-output.js';

export const applyCommand: Command = {
  name: 'apply',
  summary: 'converge the host to the files: create, update, repair and prune',
  usage: 'netd apply -f PATH... [--dry-run] [--allow-empty] [--lock-timeout 60s]',
  options: { ...FILE_OPTION, ...LOCK_OPTION, ...ALLOW_EMPTY_OPTION, 'dry-run': { type: 'boolean' } },
  writes: true,
  async run(ctx) {
    const desired = await ctx.loadDesiredState();
    if (typeof desired === 'number') return desired;
    return applyOnce(ctx, desired, { dryRun: ctx.values['dry-run'] === true, quietInSync: false });
  },
};

/** Prints what pre-flight found; nothing has been changed. */
export function refuse(ctx: Context, problems: readonly string[]): number {
  for (const p of problems) ctx.err(`pre-flight: ${escapeControls(p)}`);
  ctx.err('nothing was changed');
  return EXIT.error;
}

/** One apply: pre-flight, plan (printed), execute, verify, summary; the exit code. `watch` repeats it. */
export async function applyOnce(ctx: Context, desired: DesiredState, o: { dryRun: boolean; quietInSync: boolean }): Promise<number> {
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
    return {
      planned,
      problems: [...objectPreflight(desired, planned), ...foreignPreflight(planned), ...(await poolPreflight(runner, e.store, desired, planned))],
    };
  };
  // With no state yet, taking the lock creates the state dir: check the objects on a read-only plan first.
  if (!o.dryRun && !lstatSync(join(ctx.stateDir, DB_FILE), { throwIfNoEntry: false })) {
    const early = await withEngine(ctx, { lock: false }, async (e) => (await objects(e)).problems);
    if (early.length > 0) return refuse(ctx, early);
  }
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
