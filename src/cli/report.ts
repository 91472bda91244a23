/** Printing spec errors: one line each, caret excerpts on a terminal, or a JSON/YAML list. */
import { stringify } from 'yaml';
import { formatSpecError, type SpecError } from '../spec/spec-error.js';
import type { Context } from './context.js';

const paint = (on: boolean, code: string, s: string): string => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

function excerpt(e: SpecError, text: string | undefined, color: boolean): string[] {
  const line = text?.split('\n')[e.line - 1];
  if (line === undefined) return [];
  const lead = line.slice(0, e.column - 1).replace(/[^\t]/g, ' ');
  return [`  ${line.replace(/\r$/, '')}`, `  ${lead}${paint(color, '31;1', '^')}`];
}

export function printSpecErrors(ctx: Context, errors: readonly SpecError[], texts: ReadonlyMap<string, string>): void {
  if (ctx.output === 'json') return ctx.out(JSON.stringify(errors, null, 2));
  if (ctx.output === 'yaml') return ctx.out(stringify(errors).trimEnd());
  for (const e of errors) {
    const text = formatSpecError(e);
    const at = `${e.file}:${e.line}:${e.column}:`;
    ctx.err(ctx.color ? paint(true, '1', at) + text.slice(at.length) : text);
    if (ctx.io.isTTY) for (const l of excerpt(e, texts.get(e.file), ctx.color)) ctx.err(l);
  }
  ctx.err(`${errors.length} error${errors.length === 1 ? '' : 's'}`);
}
