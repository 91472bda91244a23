import { EXIT, escapeControls } from '../../errors.js';
import { FILE_OPTION, type Command } from '../context.js';
import { LOCK_OPTION, withEngine } from '../engine.js';
import { refuse } from './apply.js';

const count = (n: number, what: string, plural = `${what}s`): string => `${n} ${n === 1 ? what : plural}`;

export const recoverCommand: Command = {
  name: 'recover',
  summary: "rebuild a lost store's records from the marks on netd's kernel objects and the files",
  usage: 'netd recover -f PATH... [--lock-timeout 60s]',
  examples: ['netd recover -f /etc/netd'],
  options: { ...FILE_OPTION, ...LOCK_OPTION },
  outputs: ['table'],
  writes: true,
  async run(ctx) {
    const desired = await ctx.loadDesiredState();
    if (typeof desired === 'number') return desired;
    const [{ ExecRunner }, { hostPreflight }, { recover }] = await Promise.all([
      import('../../kernel/index.js'),
      import('../../reconcile/preflight.js'),
      import('../../reconcile/recover.js'),
    ]);
    const host = await hostPreflight(new ExecRunner(), ctx.stateDir, { writes: true });
    if (host.length > 0) return refuse(ctx, host);
    const r = await withEngine(ctx, { lock: true }, (e) => recover(e, desired, ctx.stateDir));
    for (const n of r.notes) ctx.err(`recover: ${escapeControls(n)}`);
    const what = [count(r.networks.length, 'network'), count(r.sandboxes.length, 'container'), count(r.endpoints.length, 'attachment')];
    ctx.out(`recovered ${what.join(', ')} (${count(r.allocations.length, 'address', 'addresses')}); netd diff shows what still differs from the files`);
    return EXIT.ok;
  },
};
