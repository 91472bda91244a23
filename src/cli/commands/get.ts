import { stringify } from 'yaml';
import { EXIT, escapeControls } from '../../errors.js';
import { FILE_OPTION, type Command, type Context } from '../context.js';
import { clusterLeases, timeLeft } from '../../reconcile/leases.js';
import { readRecorded } from '../engine.js';
import { renderTable } from '../table.js';
import { KINDS, VIEWS, type Kind } from '../views.js';

/** `network`, `networks`, `net`… → the kind; undefined when it names none. */
export function kindOf(word: string | undefined): Kind | undefined {
  if (!word) return undefined;
  return KINDS.find((k) => k === word || k.slice(0, -1) === word || (word.length >= 3 && k.startsWith(word)));
}

export function printObjects(ctx: Context, objects: unknown): void {
  if (ctx.output === 'yaml') ctx.out(stringify(objects).trimEnd());
  else ctx.out(JSON.stringify(objects, null, 2));
}

export const getCommand: Command = {
  name: 'get',
  summary: 'list networks, containers or attachments from the store, or the overlay subnet leases from etcd',
  usage: 'netd get networks|containers|attachments [NAME] [-o table|json|yaml]\n       netd get leases [NETWORK] -f PATH... [-o table|json|yaml]',
  positionals: 'networks|containers|attachments|leases [NAME]',
  options: { ...FILE_OPTION },
  async run(ctx) {
    const [word, name, ...extra] = ctx.positionals;
    if ((word === 'leases' || word === 'lease') && extra.length === 0) return getLeases(ctx, name);
    const kind = kindOf(word);
    if (!kind || extra.length > 0) {
      ctx.err(
        `netd get: ${escapeControls(kind ? `unexpected argument ${extra[0]}` : word ? `unknown kind "${word}" (known: ${[...KINDS, 'leases'].join(', ')})` : 'what to get is required')}`,
      );
      ctx.err(`usage: ${this.usage}`);
      return EXIT.usage;
    }
    const view = VIEWS[kind](await readRecorded(ctx));
    // An attachment is named container/network; its container's name also selects it.
    const items = name === undefined ? view.items : view.items.filter((i) => i.name === name || (kind === 'attachments' && i.name.startsWith(`${name}/`)));
    if (name !== undefined && items.length === 0) {
      ctx.err(`netd get: ${kind.slice(0, -1)} "${escapeControls(name)}" not found`);
      return EXIT.error;
    }
    if (ctx.output === 'table')
      for (const l of renderTable(
        view.headers,
        items.map((i) => i.row),
      ))
        ctx.out(l);
    else printObjects(ctx, name !== undefined && kind !== 'attachments' ? items[0]!.object : items.map((i) => i.object));
    return EXIT.ok;
  },
};

/** The cluster's subnet leases of the overlay networks the files declare (`-f`): from etcd, not the local store. */
async function getLeases(ctx: Context, network: string | undefined): Promise<number> {
  if (ctx.files.length === 0) {
    ctx.err('netd get leases: give the files that declare the cluster and its overlay networks with -f PATH');
    return EXIT.usage;
  }
  const desired = await ctx.loadDesiredState();
  if (typeof desired === 'number') return desired;
  const leases = await clusterLeases(desired, network);
  if (ctx.output !== 'table') {
    printObjects(ctx, leases);
    return EXIT.ok;
  }
  const rows = leases.map((l) => [
    l.network,
    l.subnet,
    l.hostId,
    l.publicIp,
    l.backend,
    l.leaseId === undefined ? 'reserved' : l.expiresIn === undefined ? '-' : timeLeft(l.expiresIn),
  ]);
  for (const line of renderTable(['NETWORK', 'SUBNET', 'HOST', 'PUBLIC IP', 'BACKEND', 'EXPIRES'], rows)) ctx.out(line);
  return EXIT.ok;
}
