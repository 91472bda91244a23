import { FILE_OPTION, type Command } from '../context.js';

export const validate: Command = {
  name: 'validate',
  summary: 'check desired-state files and report every error at once',
  usage: 'netd validate -f PATH... [-o table|json|yaml]',
  examples: ['netd validate -f netd.yaml', 'netd validate -f examples/ -o json'],
  options: { ...FILE_OPTION },
  async run(ctx) {
    const state = await ctx.loadDesiredState();
    if (typeof state === 'number') return state;
    if (ctx.output === 'table') {
      const n = (k: 'networks' | 'containers' | 'attachments'): string => `${state[k].length} ${k}`;
      ctx.out(`valid: ${n('networks')}, ${n('containers')}, ${n('attachments')}`);
    } else ctx.out('[]'); // the (empty) error list, in JSON and in YAML alike
    return 0;
  },
};
