import { EXIT, escapeControls } from '../../errors.js';
import type { Command } from '../context.js';
import { readRecorded } from '../engine.js';
import { inspectContainer, inspectNetwork } from '../inspect.js';
import { peekHostId } from '../../cluster/host-id.js';
import { inspectOverlay } from '../../reconcile/leases.js';
import { kindOf, printObjects } from './get.js';

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show networks or containers in detail, as docker inspect does (a JSON list); an overlay network with its lease and peers',
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
    const unreachable: string[] = [];
    for (const name of names) {
      const net = kind === 'networks' ? r.networks.find((n) => n.name === name) : undefined;
      const sb = kind === 'containers' ? r.sandboxes.find((s) => s.container === name) : undefined;
      if (net) {
        // An overlay's lease and peers come from its cluster store (the one its record names).
        const cluster = net.overlay ? await inspectOverlay(net, peekHostId(ctx.stateDir)) : undefined;
        if (cluster?.unreachable !== undefined) unreachable.push(`network "${name}": ${cluster.unreachable}; its peers are unknown`);
        found.push(inspectNetwork(net, r, cluster));
      } else if (sb) found.push(inspectContainer(sb, r));
      else {
        ctx.err(`netd inspect: ${kind.slice(0, -1)} "${escapeControls(name)}" not found`);
        return EXIT.error;
      }
    }
    printObjects(ctx, found);
    // What could be read is shown; the cluster part that could not fails the command, as diff does.
    for (const u of unreachable) ctx.err(`netd inspect: ${escapeControls(u)}`);
    return unreachable.length > 0 ? EXIT.error : EXIT.ok;
  },
};
