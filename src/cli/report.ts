/** Printing spec errors: one line each, caret excerpts on a terminal, or a JSON/YAML list. */
import { Document, visit } from 'yaml';
import { escapeControls } from '../errors.js';
import { formatSpecError, specErrorPlace, type SpecError } from '../desired/spec-error.js';
import type { Context } from './context.js';

const paint = (on: boolean, code: string, s: string): string => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

/** Escaped like the messages, but tabs kept: they line the caret up. */
const escapeLine = (s: string): string => s.split('\t').map(escapeControls).join('\t');

function excerpt(e: SpecError, text: string | undefined, color: boolean): string[] {
  const line = text?.split('\n')[e.line - 1];
  if (line === undefined) return [];
  const lead = escapeLine(line.slice(0, e.column - 1)).replace(/[^\t]/g, ' ');
  return [`  ${escapeLine(line.replace(/\r$/, ''))}`, `  ${lead}${paint(color, '31;1', '^')}`];
}

/**
 * JSON and double-quoted YAML escape C0 controls but leave DEL, C1 (\x9b is a CSI), format and
 * separator characters raw: those are escaped too, inside the quoted strings, so the data is unchanged.
 */
const UNSAFE = /[\u007f-\u009f\p{Cf}\u2028\u2029]/gu;
const hex = (n: number, w: number): string => n.toString(16).padStart(w, '0');
const jsonSafe = (s: string): string => s.replace(UNSAFE, (c) => [...Array(c.length).keys()].map((i) => `\\u${hex(c.charCodeAt(i), 4)}`).join(''));
const yamlEscape = (s: string): string => s.replace(UNSAFE, (c) => (c.length > 1 ? `\\U${hex(c.codePointAt(0)!, 8)}` : `\\u${hex(c.charCodeAt(0), 4)}`));

function yamlSafe(errors: readonly SpecError[]): string {
  const doc = new Document(errors);
  visit(doc, {
    Scalar(_, n) {
      if (typeof n.value === 'string' && n.value !== n.value.replace(UNSAFE, '')) n.type = 'QUOTE_DOUBLE';
    },
  });
  return yamlEscape(doc.toString());
}

export function printSpecErrors(ctx: Context, errors: readonly SpecError[], texts: ReadonlyMap<string, string>): void {
  if (ctx.output === 'json') return ctx.out(jsonSafe(JSON.stringify(errors, null, 2)));
  if (ctx.output === 'yaml') return ctx.out(yamlSafe(errors).trimEnd());
  for (const e of errors) {
    const text = formatSpecError(e);
    const at = specErrorPlace(e);
    ctx.err(ctx.color ? paint(true, '1', at) + text.slice(at.length) : text);
    if (ctx.io.isTTY) for (const l of excerpt(e, texts.get(e.file), ctx.color)) ctx.err(l);
  }
  ctx.err(`${errors.length} error${errors.length === 1 ? '' : 's'}`);
}
