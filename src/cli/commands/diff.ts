import { EXIT, escapeControls } from '../../errors.js';
import { ALLOW_EMPTY_OPTION, FILE_OPTION, type Command } from '../context.js';
import { withEngine } from '../engine.js';
import { printPlan } from '../plan-output.js';

export const diffCommand: Command = {
  name: 'diff',
  aliases: ['plan'],
  summary: 'show field-level differences between the files, the store and the kernel (exit 2: drift or a lost state)',
  usage: 'netd diff -f PATH... [--allow-empty] [-o table|json|yaml]',
  examples: ['netd diff -f netd.yaml', 'netd diff -f /etc/netd -o json   # exit 2 on drift (cron)'],
  options: { ...FILE_OPTION, ...ALLOW_EMPTY_OPTION },
  async run(ctx) {
    const desired = await ctx.loadDesiredState();
    if (typeof desired === 'number') return desired;
    const [{ planLocal }, { unreachableError }, { lostProblem }] = await Promise.all([
      import('../../reconcile/reconcile.js'),
      import('../../reconcile/cluster.js'),
      import('../../reconcile/lost.js'),
    ]);
    const planned = await withEngine(ctx, { lock: false }, (e) => planLocal(e, desired, { runner: e.runner, stateDir: ctx.stateDir }));
    printPlan(ctx, planned.plan);
    for (const note of planned.cluster?.notes ?? []) ctx.err(`warning: ${escapeControls(note)}`);
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
  },
};
