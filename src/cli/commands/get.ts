import { stringify } from 'yaml';
import { EXIT, NetdError, escapeControls } from '../../errors.js';
import type { Context } from '../context.js';
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

export async function run(ctx: Context): Promise<number> {
  const [word, name, ...extra] = ctx.positionals;
  if ((word === 'leases' || word === 'lease') && extra.length === 0) return getLeases(ctx, name);
  const kind = kindOf(word);
  if (!kind || extra.length > 0) {
    ctx.err(
      `netd get: ${escapeControls(kind ? `unexpected argument ${extra[0]}` : word ? `unknown kind "${word}" (known: ${[...KINDS, 'leases'].join(', ')})` : 'what to get is required')}`,
    );
    ctx.err(`usage: ${ctx.command.usage}`);
    return EXIT.usage;
  }
  const selectors = parseSelectors(ctx.values.selector);
  if (selectors.length > 0 && kind === 'attachments') {
    ctx.err(`netd get: -l selects networks and containers by their labels; attachments have none`);
    return EXIT.usage;
  }
  const view = VIEWS[kind](await readRecorded(ctx));
  // An attachment is named container/network; its container's name also selects it.
  const named = name === undefined ? view.items : view.items.filter((i) => i.name === name || (kind === 'attachments' && i.name.startsWith(`${name}/`)));
  const items = named.filter((i) => selectors.every(([k, v]) => i.labels[k] === v));
  if (name !== undefined && named.length === 0) {
    ctx.err(`netd get: ${kind.slice(0, -1)} "${escapeControls(name)}" not found`);
    return EXIT.error;
  }
  if (ctx.output === 'table' || ctx.output === 'wide') {
    if (items.length === 0) ctx.out(`no ${kind}${selectors.length > 0 ? ` with ${selectors.map(([k, v]) => `${k}=${v}`).join(',')}` : ''}`);
    else {
      const wide = ctx.output === 'wide';
      const rows = items.map((i) => (wide ? [...i.row, ...i.wide] : i.row));
      for (const l of renderTable(wide ? [...view.headers, ...view.wide] : view.headers, rows)) ctx.out(l);
    }
  } else printObjects(ctx, name !== undefined && kind !== 'attachments' ? items[0]!.object : items.map((i) => i.object));
  return EXIT.ok;
}

/** `-l team=web -l tier=front` → [['team','web'], ['tier','front']] (all must match). */
function parseSelectors(v: Context['values'][string]): [string, string][] {
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.flatMap((s) =>
    String(s)
      .split(',')
      .map((pair): [string, string] => {
        const m = /^([^=\s]+)=(.*)$/.exec(pair.trim());
        if (!m) throw new NetdError('usage', `-l: "${pair}" is not key=value`);
        return [m[1]!, m[2]!];
      }),
  );
}

/** The cluster's subnet leases of the overlay networks the files declare (`-f`): from etcd, not the local store. */
async function getLeases(ctx: Context, network: string | undefined): Promise<number> {
  if (ctx.files.length === 0) {
    ctx.err('netd get leases: give the files that declare the cluster and its overlay networks with -f PATH');
    return EXIT.usage;
  }
  const desired = await ctx.loadDesiredState();
  if (typeof desired === 'number') return desired;
  const leases = await clusterLeases(desired, network);
  if (ctx.output !== 'table' && ctx.output !== 'wide') {
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
