import { EXIT } from '../../errors.js';
import { apply, planChanges } from '../../reconcile/reconcile.js';
import type { DesiredState } from '../../spec/types.js';
import { FILE_OPTION, type Command, type Context } from '../context.js';
import { LOCK_OPTION, withEngine } from '../engine.js';
import { formatChange, printPlan, summary } from '../plan-output.js';

export const applyCommand: Command = {
  name: 'apply',
  summary: 'converge the host to the files: create, update, repair and prune',
  usage: 'netd apply -f PATH... [--dry-run] [--lock-timeout 60s]',
  options: { ...FILE_OPTION, ...LOCK_OPTION, 'dry-run': { type: 'boolean' } },
  async run(ctx) {
    const desired = await ctx.loadDesiredState();
    if (typeof desired === 'number') return desired;
    return applyOnce(ctx, desired, { dryRun: ctx.values['dry-run'] === true, quietInSync: false });
  },
};

/** One apply: plan (printed), execute, verify, summary; the exit code. `watch` repeats it. */
export function applyOnce(ctx: Context, desired: DesiredState, o: { dryRun: boolean; quietInSync: boolean }): Promise<number> {
  return withEngine(ctx, { lock: !o.dryRun }, async (e) => {
      const planned = await planChanges(e, desired);
      if (planned.plan.changes.length > 0 || !o.quietInSync) printPlan(ctx, planned.plan);
      if (o.dryRun || planned.plan.changes.length === 0) return EXIT.ok;
      if (ctx.io.isTTY) ctx.err(`applying ${planned.plan.changes.length} change${planned.plan.changes.length === 1 ? '' : 's'}…`);
      const progress = ctx.io.isTTY
        ? (phase: number, done: number, total: number) => ctx.io.stderr.write(`\r${phase === 0 ? 'removing' : 'building'}: ${done}/${total} namespaces${done === total ? '\n' : ''}`)
        : undefined;
      const r = await apply(progress ? { ...e, progress } : e, desired, planned);
      for (const m of r.errors) ctx.err(`error: ${m}`);
      if (r.remaining.length > 0) {
        ctx.err('still different after apply:');
        for (const c of r.remaining) for (const l of formatChange(c, false)) ctx.err(`  ${l}`);
      }
      ctx.err(summary(planned.plan, r.errors.length));
      return r.errors.length === 0 && r.remaining.length === 0 ? EXIT.ok : EXIT.error;
  });
}
