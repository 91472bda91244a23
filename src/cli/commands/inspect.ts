import { EXIT, escapeControls } from '../../errors.js';
import type { Command } from '../context.js';
import { readRecorded } from '../engine.js';
import { inspectContainer, inspectNetwork } from '../inspect.js';
import { kindOf, printObjects } from './get.js';

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show networks or containers in detail, as docker inspect does (a JSON list)',
  usage: 'netd inspect network|container NAME... [-o json|yaml]',
  positionals: 'network|container NAME...',
  outputs: ['json', 'yaml'],
  options: {},
  async run(ctx) {
    const [word, ...names] = ctx.positionals;
    const kind = kindOf(word);
    if ((kind !== 'networks' && kind !== 'containers') || names.length === 0) {
      ctx.err(
        `netd inspect: ${escapeControls(kind === 'attachments' || (word && !kind) ? `cannot inspect "${word}" (known: network, container)` : word ? 'NAME is required' : 'what to inspect is required')}`,
      );
      ctx.err(`usage: ${this.usage}`);
      return EXIT.usage;
    }
    const r = await readRecorded(ctx);
    const found: Record<string, unknown>[] = [];
    for (const name of names) {
      const net = kind === 'networks' ? r.networks.find((n) => n.name === name) : undefined;
      const sb = kind === 'containers' ? r.sandboxes.find((s) => s.container === name) : undefined;
      if (net) found.push(inspectNetwork(net, r));
      else if (sb) found.push(inspectContainer(sb, r));
      else {
        ctx.err(`netd inspect: ${kind.slice(0, -1)} "${escapeControls(name)}" not found`);
        return EXIT.error;
      }
    }
    printObjects(ctx, found);
    return EXIT.ok;
  },
};
