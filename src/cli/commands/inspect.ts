import { EXIT, escapeControls } from '../../errors.js';
import type { Context } from '../context.js';
import { readRecorded } from '../engine.js';
import { inspectContainer, inspectNetwork } from '../inspect.js';
import { peekHostId } from '../../cluster/host-id.js';
import { inspectOverlay } from '../../reconcile/leases.js';
import { kindOf, printObjects } from './get.js';

export async function run(ctx: Context): Promise<number> {
  const [word, ...rest] = ctx.positionals;
  // The kind may be left out: each name is then looked up among networks and containers.
  const given = kindOf(word);
  const kind = given === 'networks' || given === 'containers' ? given : undefined;
  const names = kind ? rest : ctx.positionals;
  if (given === 'attachments' || names.length === 0) {
    ctx.err(
      `netd inspect: ${escapeControls(given === 'attachments' ? `cannot inspect "${word}" (known: network, container)` : word ? 'NAME is required' : 'what to inspect is required')}`,
    );
    ctx.err(`usage: ${ctx.command.usage}`);
    return EXIT.usage;
  }
  const r = await readRecorded(ctx);
  const found: Record<string, unknown>[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const net = kind !== 'containers' ? r.networks.find((n) => n.name === name) : undefined;
    const sb = kind !== 'networks' ? r.sandboxes.find((s) => s.container === name) : undefined;
    if (net && sb) {
      problems.push(`"${escapeControls(name)}" is both a network and a container: say which (netd inspect network ${escapeControls(name)})`);
    } else if (net) {
      // An overlay's lease and peers come from its cluster store (the one its record names).
      const cluster = net.overlay ? await inspectOverlay(net, peekHostId(ctx.stateDir)) : undefined;
      if (cluster?.unreachable !== undefined) problems.push(`network "${name}": ${cluster.unreachable}; its peers are unknown`);
      found.push(inspectNetwork(net, r, cluster));
    } else if (sb) found.push(inspectContainer(sb, r));
    else problems.push(`${kind ? kind.slice(0, -1) : 'network or container'} "${escapeControls(name)}" not found`);
  }
  // What was found is shown; a name not found, or a cluster part that could not be read, fails the command.
  printObjects(ctx, found);
  for (const p of problems) ctx.err(`netd inspect: ${p}`);
  return problems.length > 0 ? EXIT.error : EXIT.ok;
}
