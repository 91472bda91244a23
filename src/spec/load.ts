/**
 * Reading `-f` arguments into parsed YAML documents. Every problem (missing file, too big,
 * not UTF-8, YAML syntax, duplicate key, alias bomb) becomes a SpecError with a place; loading
 * goes on with the other files so that the user sees everything at once.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isScalar, LineCounter, parseAllDocuments, visit, type Document } from 'yaml';
import type { LoadedDoc } from './source.js';
import type { SpecError } from './spec-error.js';

export const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** Generous for real files; a "billion laughs" document needs far more. */
export const MAX_ALIAS_COUNT = 1000;
export const STDIN_NAME = '<stdin>';

export interface LoadOptions {
  stdin?: NodeJS.ReadableStream | string;
}

export interface LoadResult {
  docs: LoadedDoc[];
  errors: SpecError[];
  /** The files read, in order. */
  sources: string[];
  /** Their text, for caret excerpts. */
  texts: Map<string, string>;
}

const fileError = (file: string, message: string, line = 1, column = 1): SpecError => ({ file, line, column, path: '', message });

async function expand(path: string, errors: SpecError[]): Promise<string[]> {
  if (path === '-') return [path];
  try {
    if (!(await stat(path)).isDirectory()) return [path];
    const names = (await readdir(path)).filter((n) => /\.ya?ml$/.test(n)).sort();
    if (names.length === 0) errors.push(fileError(path, 'directory has no *.yaml or *.yml files'));
    return names.map((n) => join(path, n));
  } catch (e) {
    errors.push(fileError(path, ioMessage(e)));
    return [];
  }
}

function ioMessage(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  return e instanceof Error ? e.message : String(e);
}

async function readStdin(s: NodeJS.ReadableStream | string | undefined): Promise<Buffer> {
  if (s === undefined) return Buffer.alloc(0);
  if (typeof s === 'string') return Buffer.from(s, 'utf8');
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of s) {
    const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    chunks.push(b);
    n += b.length;
    if (n > MAX_FILE_BYTES) break; // no need to read further: it is rejected anyway
  }
  return Buffer.concat(chunks);
}

async function readBytes(file: string, opts: LoadOptions): Promise<Buffer> {
  if (file === '-') return readStdin(opts.stdin);
  const st = await stat(file);
  if (st.size > MAX_FILE_BYTES) return Buffer.alloc(MAX_FILE_BYTES + 1);
  return readFile(file);
}

/** The text, or the line and column of the first byte that is not UTF-8. */
function decode(bytes: Buffer): { text: string } | { line: number; column: number } {
  const text = bytes.toString('utf8');
  for (let i = text.indexOf('\uFFFD'); i >= 0; i = text.indexOf('\uFFFD', i + 1)) {
    const at = Buffer.byteLength(text.slice(0, i));
    // U+FFFD written in the file is fine; one produced by the decoder is not.
    if (bytes[at] === 0xef && bytes[at + 1] === 0xbf && bytes[at + 2] === 0xbd) continue;
    const before = text.slice(0, i);
    const nl = before.lastIndexOf('\n');
    return { line: before.split('\n').length, column: i - nl };
  }
  return { text };
}

function yamlErrors(file: string, doc: Document, lines: LineCounter): SpecError[] {
  return doc.errors.map((e) => {
    const { line, col } = lines.linePos(e.pos[0]);
    return { file, line, column: col, path: '', message: `yaml: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}` };
  });
}

/** yaml's own uniqueKeys check is quadratic in the size of a map; a Set per map is not. */
function duplicateKeys(file: string, doc: Document, lines: LineCounter): SpecError[] {
  const out: SpecError[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const { key } of map.items) {
        if (!isScalar(key)) continue;
        const k = String(key.value);
        if (!seen.has(k)) seen.add(k);
        else {
          const { line, col } = lines.linePos(key.range?.[0] ?? 0);
          out.push({ file, line, column: col, path: '', message: `duplicate key "${k}"` });
        }
      }
    },
  });
  return out;
}

/** toJS with the alias cap; an alias bomb is reported at its first alias. */
function toValue(file: string, doc: Document, lines: LineCounter): { value: unknown } | SpecError {
  try {
    return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (e) {
    let offset = doc.range?.[0] ?? 0;
    visit(doc, {
      Alias(_, node) {
        offset = node.range?.[0] ?? offset;
        return visit.BREAK;
      },
    });
    const { line, col } = lines.linePos(offset);
    const why = e instanceof ReferenceError && /alias/i.test(e.message) ? `too many alias expansions (more than ${MAX_ALIAS_COUNT}): refusing a possible "billion laughs" document` : `yaml: ${String(e)}`;
    return { file, line, column: col, path: '', message: why };
  }
}

function parseFile(file: string, text: string, out: LoadResult): void {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false, version: '1.2' });
  if (!Array.isArray(docs)) return; // an empty stream: nothing declared
  docs.forEach((doc, index) => {
    const errors = doc.errors.length > 0 ? yamlErrors(file, doc, lines) : duplicateKeys(file, doc, lines);
    if (errors.length > 0) return void out.errors.push(...errors);
    if (doc.contents === null) return; // empty document (only comments or `---`)
    const v = toValue(file, doc, lines);
    if ('value' in v) out.docs.push({ file, index, doc, lines, value: v.value });
    else out.errors.push(v);
  });
}

export async function loadSources(paths: readonly string[], opts: LoadOptions = {}): Promise<LoadResult> {
  const out: LoadResult = { docs: [], errors: [], sources: [], texts: new Map() };
  for (const p of paths) {
    for (const path of await expand(p, out.errors)) {
      const file = path === '-' ? STDIN_NAME : path;
      let bytes: Buffer;
      try {
        bytes = await readBytes(path, opts);
      } catch (e) {
        out.errors.push(fileError(file, ioMessage(e)));
        continue;
      }
      out.sources.push(file);
      if (bytes.length > MAX_FILE_BYTES) {
        out.errors.push(fileError(file, `file is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB`));
        continue;
      }
      const d = decode(bytes);
      if (!('text' in d)) {
        out.errors.push(fileError(file, 'not valid UTF-8', d.line, d.column));
        continue;
      }
      out.texts.set(file, d.text);
      parseFile(file, d.text, out);
    }
  }
  return out;
}
