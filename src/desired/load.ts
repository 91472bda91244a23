/**
 * Reading `-f` arguments into parsed YAML documents. Every problem (missing file, too big,
 * not UTF-8, YAML syntax, duplicate key, alias bomb) becomes a SpecError with a place; loading
 * goes on with the other files so that the user sees everything at once.
 */
import { isAlias, isCollection, isMap, isPair, isScalar, LineCounter, parseAllDocuments, visit, type Document, type Node } from 'yaml';
import { expand, ioMessage, MAX_FILE_BYTES, readRegular, readStdin } from './read.js';
import type { LoadedDoc } from './source.js';
import type { SpecError } from './spec-error.js';

export { MAX_FILE_BYTES };
/** Generous for real files; a "billion laughs" document needs far more. */
export const MAX_ALIAS_COUNT = 1000;
/**
 * Values aliases may add in all. yaml's alias count does not see size: 999 aliases of one
 * anchored mapping of 100,000 labels make 100 million values from a 1 MB file (36 s to validate).
 */
export const MAX_ALIAS_VALUES = 1_000_000;
export const STDIN_NAME = '<stdin>';

export interface LoadOptions {
  stdin?: NodeJS.ReadableStream | string;
}

export interface LoadResult {
  docs: LoadedDoc[];
  errors: SpecError[];
  /** The files read, in order. */
  sources: string[];
  /** Each file read and decoded, in order (a file named twice is read twice): its text, for the parser and for caret excerpts. */
  read: { readonly file: string; readonly text: string }[];
}

const fileError = (file: string, message: string, line = 1, column = 1): SpecError => ({ file, line, column, path: '', message });

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

/**
 * Strict YAML 1.2: no 1.1 tags (!!binary, !!set, !!timestamp would become Buffers, Sets, Dates),
 * `<<` only a key. Warnings become errors here; logLevel keeps yaml from printing them too.
 */
const PARSE_OPTIONS = { uniqueKeys: false, prettyErrors: false, version: '1.2', merge: false, resolveKnownTags: false, logLevel: 'error' } as const;

const at = (file: string, lines: LineCounter, offset: number, message: string): SpecError => {
  const { line, col } = lines.linePos(offset);
  return { file, line, column: col, path: '', message };
};

/** Syntax errors, and the warnings yaml would let pass (an unknown tag or directive) as errors. */
function yamlErrors(file: string, doc: Document, lines: LineCounter, text: string): SpecError[] {
  const plain = (m: string): string =>
    `yaml: ${m
      .split('\n')[0]!
      .replace(/ at line \d+, column \d+:?$/, '')
      .replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase())}`;
  const known = new Set(doc.schema.tags.map((t) => t.tag));
  return [...doc.errors, ...doc.warnings].map((e) => {
    // The parser's own recursion gave out, at a depth that depends on the stack: name the document.
    if (/maximum call stack/i.test(e.message)) return at(file, lines, doc.range?.[0] ?? 0, 'yaml: the document nests too deeply (thousands of levels)');
    if (e.code !== 'TAG_RESOLVE_FAILED') return at(file, lines, e.pos[0], plain(e.message));
    const tag = text.slice(e.pos[0], e.pos[1]);
    // yaml says "unresolved" both for a tag it does not know and for `!!int x`.
    const fits = known.has(/Unresolved tag: (\S+)/.exec(e.message)?.[1] ?? '');
    return at(file, lines, e.pos[0], fits ? `yaml: the value does not fit its tag "${tag}"` : `yaml: unknown tag "${tag}"`);
  });
}

/** `%YAML 1.1` turns on yes/no booleans, octal 0777 and `<<` merges: refused, where it is written. */
function versionError(file: string, doc: Document, lines: LineCounter, text: string, version: string): SpecError {
  const i = text.lastIndexOf('%YAML', doc.range?.[0] ?? 0);
  return at(file, lines, Math.max(i, 0), `yaml: %YAML ${version} is not supported, only 1.2 (${version} would read yes/no as booleans and << as a merge)`);
}

/**
 * Keys that would collide in the JS object: the same scalar twice, also through an alias
 * (`*k: 2` after `&k a: 1`). A list or mapping as a key has no JS form: refused too. yaml's
 * own uniqueKeys check is quadratic in the size of a map; a Set per map is not.
 */
function keyErrors(file: string, doc: Document, lines: LineCounter): SpecError[] {
  const out: SpecError[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const { key } of map.items) {
        const node = isAlias(key) ? key.resolve(doc) : key;
        const offset = (key as Node | null)?.range?.[0] ?? map.range?.[0] ?? 0;
        if (isCollection(node)) {
          out.push(at(file, lines, offset, `a mapping key must be a plain value, not a ${isMap(node) ? 'mapping' : 'list'}`));
          continue;
        }
        // As yaml's toJS names it: a null key is "".
        const value = isScalar(node) ? (node.value as string | number | boolean | null) : null; // all the 1.2 core schema yields
        const k = value === null || value === undefined ? '' : String(value);
        if (!seen.has(k)) seen.add(k);
        else out.push(at(file, lines, offset, `duplicate key ${JSON.stringify(k)}`));
      }
    },
  });
  return out;
}

/** How many values the aliases of doc add once expanded; stops counting past limit. */
function aliasValues(doc: Document, limit: number): number {
  const memo = new Map<unknown, number>();
  const size = (node: unknown): number => {
    if (isAlias(node)) return size(node.resolve(doc));
    if (!isCollection(node)) return 1;
    let n = memo.get(node);
    if (n !== undefined) return n;
    n = 1;
    for (const item of node.items as unknown[]) {
      n += isPair(item) ? size(item.key) + size(item.value) : size(item);
      if (n > limit) break;
    }
    memo.set(node, n);
    return n;
  };
  let added = 0;
  visit(doc, {
    Alias(_, node) {
      added += size(node);
      return added > limit ? visit.BREAK : undefined;
    },
  });
  return added;
}

/** toJS with the alias caps; an alias bomb is reported at its first alias. */
function toValue(file: string, doc: Document, lines: LineCounter): { value: unknown } | SpecError {
  try {
    const value: unknown = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    // toJS shares an anchored value between its aliases; what comes after copies and checks each.
    if (aliasValues(doc, MAX_ALIAS_VALUES) > MAX_ALIAS_VALUES) throw new ReferenceError('alias values');
    return { value };
  } catch (e) {
    let offset = doc.range?.[0] ?? 0;
    visit(doc, {
      Alias(_, node) {
        offset = node.range?.[0] ?? offset;
        return visit.BREAK;
      },
    });
    const { line, col } = lines.linePos(offset);
    const why =
      e instanceof ReferenceError && e.message === 'alias values'
        ? `aliases add more than ${MAX_ALIAS_VALUES} values: refusing a possible resource-exhaustion document (write the repeated parts out)`
        : e instanceof ReferenceError && /alias/i.test(e.message)
          ? `too many alias expansions (more than ${MAX_ALIAS_COUNT}): refusing a possible "billion laughs" document`
          : `yaml: ${String(e)}`;
    return { file, line, column: col, path: '', message: why };
  }
}

function parseFile(file: string, text: string, out: LoadResult): void {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { ...PARSE_OPTIONS, lineCounter: lines });
  if (!Array.isArray(docs)) return; // an empty stream: nothing declared
  let refused = false; // yaml keeps a %YAML directive for the documents after it: report it once
  docs.forEach((doc, index) => {
    const errors = yamlErrors(file, doc, lines, text);
    const version = doc.directives?.yaml.version ?? '1.2';
    if (version !== '1.2') {
      if (!refused) errors.push(versionError(file, doc, lines, text, version));
      refused = true;
      if (errors.length === 0) return;
    }
    if (errors.length === 0) errors.push(...keyErrors(file, doc, lines));
    if (errors.length > 0) return void out.errors.push(...errors);
    if (doc.contents === null) return; // empty document (only comments or `---`)
    const v = toValue(file, doc, lines);
    if ('value' in v) out.docs.push({ file, index, doc, lines, value: v.value });
    else out.errors.push(v);
  });
}

/** The files' texts, read and decoded; a file that cannot be is an error with its place. */
export async function readSources(paths: readonly string[], opts: LoadOptions = {}): Promise<LoadResult> {
  const out: LoadResult = { docs: [], errors: [], sources: [], read: [] };
  for (const p of paths) {
    let paths: string[];
    try {
      paths = await expand(p);
    } catch (e) {
      out.errors.push(fileError(p, ioMessage(e)));
      continue;
    }
    if (paths.length === 0) out.errors.push(fileError(p, 'directory has no *.yaml or *.yml files'));
    for (const path of paths) {
      const file = path === '-' ? STDIN_NAME : path;
      let bytes: Buffer;
      try {
        bytes = await (path === '-' ? readStdin(opts.stdin) : readRegular(path));
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
      out.read.push({ file, text: d.text });
    }
  }
  return out;
}

/** The documents of the texts readSources read, parsed (into `read`, which is returned). */
export function parseSources(read: LoadResult): LoadResult {
  for (const { file, text } of read.read) parseFile(file, text, read);
  return read;
}
