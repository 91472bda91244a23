/** Validation errors with a place: `file:line:col: path: message` (STYLE.md §7). */
import { escapeControls } from '../errors.js';

export interface SpecError {
  readonly file: string;
  readonly line: number; // 1-based
  readonly column: number; // 1-based
  /** Dotted path of the offending field, e.g. networks.frontend.subnet; '' for the whole file. */
  readonly path: string;
  readonly message: string;
}

export type PathSeg = string | number;

/** networks.frontend.subnet, attachments[0].ports[1]; odd keys quoted: labels["a b"]. */
export function formatPath(path: readonly PathSeg[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** The place prefix, `file:line:col:`. */
export const specErrorPlace = (e: SpecError): string => escapeControls(`${e.file}:${e.line}:${e.column}:`);

/** One line: a key, value or file name with a newline or ESC in it must not forge or recolour output. */
export function formatSpecError(e: SpecError): string {
  return `${specErrorPlace(e)} ${escapeControls(`${e.path === '' ? '' : `${e.path}: `}${e.message}`)}`;
}

/** By file, then position, then message: stable output whatever order the checks ran in. */
export function sortSpecErrors(errors: readonly SpecError[]): SpecError[] {
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...errors].sort((a, b) => cmp(a.file, b.file) || a.line - b.line || a.column - b.column || cmp(a.message, b.message));
}
