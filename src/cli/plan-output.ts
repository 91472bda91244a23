/** Printing a plan: a colored human diff, or JSON for machines. */
import type { Change, Plan } from '../plan/types.js';
import type { Context } from './context.js';

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

export function printPlan(ctx: Context, plan: Plan): void {
  if (ctx.output === 'json') {
    ctx.out(JSON.stringify({ inSync: plan.changes.length === 0, changes: plan.changes }, null, 2));
    return;
  }
  if (plan.changes.length === 0) {
    ctx.out('in sync: nothing to do');
    return;
  }
  for (const c of plan.changes) for (const line of formatChange(c, ctx.outColor)) ctx.out(line);
}

const PAST: Record<Change['action'], string> = { create: 'created', update: 'updated', replace: 'replaced', delete: 'deleted', repair: 'repaired' };

/**
 * What happened, not what was planned: `2 created, 0 deleted, 1 failed` when one of three
 * creates failed. Actions that did not occur are left out, but created/deleted/failed always
 * show. `failed` holds the changes that did not happen; `others` counts failures of no change.
 */
export function summary(changes: readonly Change[], failed: ReadonlySet<Change> = new Set(), others = 0): string {
  const counts = new Map<string, number>();
  for (const c of changes) if (!failed.has(c)) counts.set(PAST[c.action], (counts.get(PAST[c.action]) ?? 0) + 1);
  const parts = ['created', 'updated', 'replaced', 'repaired', 'deleted']
    .filter((k) => counts.has(k) || k === 'created' || k === 'deleted')
    .map((k) => `${counts.get(k) ?? 0} ${k}`);
  return [...parts, `${failed.size + others} failed`].join(', ');
}
