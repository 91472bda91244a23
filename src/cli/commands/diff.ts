import { EXIT } from '../../errors.js';
import { planChanges } from '../../reconcile/reconcile.js';
import { lostProblem } from '../../reconcile/lost.js';
import { ALLOW_EMPTY_OPTION, FILE_OPTION, type Command } from '../context.js';
import { withEngine } from '../engine.js';
import { printPlan } from '../plan-output.js';

export const diffCommand: Command = {
  name: 'diff',
  aliases: ['plan'],
  summary: 'show field-level differences between the files, the store and the kernel (exit 2: drift or a lost state)',
  usage: 'netd diff -f PATH... [--allow-empty] [-o table|json]',
  options: { ...FILE_OPTION, ...ALLOW_EMPTY_OPTION },
  async run(ctx) {
    const desired = await ctx.loadDesiredState();
    if (typeof desired === 'number') return desired;
    const planned = await withEngine(ctx, { lock: false }, (e) => planChanges(e, desired));
    printPlan(ctx, planned.plan);
    // A lost store is drift too: the records do not say what the kernel holds.
    const lost = lostProblem(ctx.stateDir, planned, false);
    if (lost) ctx.err(`warning: ${lost}`);
    return planned.plan.changes.length === 0 && !lost ? EXIT.ok : EXIT.drift;
  },
};
