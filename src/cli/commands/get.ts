import { stringify } from 'yaml';
import { EXIT, escapeControls } from '../../errors.js';
import type { Command, Context } from '../context.js';
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
  summary: 'list networks, containers or attachments from the store',
  usage: 'netd get networks|containers|attachments [NAME] [-o table|json|yaml]',
  positionals: 'networks|containers|attachments [NAME]',
  options: {},
  async run(ctx) {
    const [word, name, ...extra] = ctx.positionals;
    const kind = kindOf(word);
    if (!kind || extra.length > 0) {
      ctx.err(
        `netd get: ${escapeControls(kind ? `unexpected argument ${extra[0]}` : word ? `unknown kind "${word}" (known: ${KINDS.join(', ')})` : 'what to get is required')}`,
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
