import { EXIT, escapeControls } from '../../errors.js';
import { hostPreflight } from '../../reconcile/preflight.js';
import { recover } from '../../reconcile/recover.js';
import type { Context } from '../context.js';
import { withEngine } from '../engine.js';
import { refuse } from './apply.js';

const count = (n: number, what: string, plural = `${what}s`): string => `${n} ${n === 1 ? what : plural}`;

export async function run(ctx: Context): Promise<number> {
  const desired = await ctx.loadDesiredState();
  if (typeof desired === 'number') return desired;
  const host = await hostPreflight(ctx.stateDir, { writes: true });
  if (host.length > 0) return refuse(ctx, host);
  const r = await withEngine(ctx, { lock: true }, (e) => recover(e, desired, ctx.stateDir));
  for (const n of r.notes) ctx.err(`recover: ${escapeControls(n)}`);
  const what = [count(r.networks.length, 'network'), count(r.sandboxes.length, 'container'), count(r.endpoints.length, 'attachment')];
  ctx.out(`recovered ${what.join(', ')} (${count(r.allocations.length, 'address', 'addresses')}); netd diff shows what still differs from the files`);
  return EXIT.ok;
}
