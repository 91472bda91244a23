/** Printing a plan: a colored human diff, or JSON for machines. */
import { stringify } from 'yaml';
import type { Change, Plan } from '../plan/types.js';
import type { Totals } from '../reconcile/apply-report.js';
import type { Context } from './context.js';
import { planTotals } from '../plan/safety.js';

const SIGN: Record<Change['action'], [string, string]> = {
  create: ['+', '32'],
  delete: ['-', '31'],
  replace: ['±', '33'],
  update: ['~', '33'],
  repair: ['!', '35'],
};

export function formatChange(c: Change, color: boolean): string[] {
  const [sign, code] = SIGN[c.action];
  const head = `${sign} ${c.action} ${c.kind} ${c.name}`;
  return [color ? `\x1b[${code}m${head}\x1b[0m` : head, ...c.reasons.map((r) => `    ${r}`)];
}

/** The plan as a human diff ending with its totals (`totals: false` for what already happened), or JSON. */
export function printPlan(ctx: Context, plan: Plan, o: { totals?: boolean } = {}): void {
  if (ctx.output === 'json' || ctx.output === 'yaml') {
    const doc = { inSync: plan.changes.length === 0, changes: plan.changes };
    ctx.out(ctx.output === 'json' ? JSON.stringify(doc, null, 2) : stringify(doc).trimEnd());
    return;
  }
  if (plan.changes.length === 0) {
    ctx.out('in sync: nothing to do');
    return;
  }
  for (const c of plan.changes) for (const line of formatChange(c, ctx.outColor)) ctx.out(line);
  if (o.totals !== false) ctx.out(planTotals(plan.changes));
}

/**
 * What happened, not what was planned: `2 created, 0 deleted, 1 failed` when one of three
 * creates failed. Actions that did not occur are left out, but created/deleted/failed always
 * show.
 */
export function summary(t: Totals): string {
  const parts = (['created', 'updated', 'replaced', 'repaired', 'deleted'] as const)
    .filter((k) => t[k] > 0 || k === 'created' || k === 'deleted')
    .map((k) => `${t[k]} ${k}`);
  return [...parts, `${t.failed} failed`].join(', ');
}
