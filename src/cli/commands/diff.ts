import { EXIT, escapeControls } from '../../errors.js';
import { planLocal } from '../../reconcile/reconcile.js';
import { unreachableError } from '../../reconcile/cluster.js';
import { lostProblem } from '../../reconcile/lost.js';
import type { Context } from '../context.js';
import { withEngine } from '../engine.js';
import { printPlan } from '../plan-output.js';

export async function run(ctx: Context): Promise<number> {
  const desired = await ctx.loadDesiredState();
  if (typeof desired === 'number') return desired;
  const planned = await withEngine(ctx, { lock: false }, (e) => planLocal(e, desired, { runner: e.runner, stateDir: ctx.stateDir }));
  printPlan(ctx, planned.plan);
  for (const note of [...(planned.cluster?.notes ?? []), ...planned.notes]) ctx.err(`warning: ${escapeControls(note)}`);
  // What apply would refuse (the cluster's config differs, the range is full): an error, not drift.
  for (const p of planned.cluster?.problems ?? []) ctx.err(`error: ${escapeControls(p)}`);
  // A lost store is drift too: the records do not say what the kernel holds.
  const lost = lostProblem(ctx.stateDir, planned, false);
  if (lost) ctx.err(`warning: ${lost}`);
  // Without the cluster store the peers could not be compared: not "in sync", an error.
  const unreachable = unreachableError(planned.cluster, 'the peers were not compared');
  if (unreachable) ctx.err(`error: ${escapeControls(unreachable.message)}`);
  if (unreachable || (planned.cluster?.problems.length ?? 0) > 0) return EXIT.error;
  return planned.plan.changes.length === 0 && !lost ? EXIT.ok : EXIT.drift;
}
