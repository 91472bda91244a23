/** A parsed YAML document and the way back from a path inside it to a line and column. */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';
import { formatPath, type PathSeg, type SpecError } from './spec-error.js';

export interface LoadedDoc {
  readonly file: string;
  /** 0-based index of the document within its file. */
  readonly index: number;
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly value: unknown;
}

/** A place inside a document: what an object or field of the merged state points back to. */
export interface Origin {
  readonly src: LoadedDoc;
  readonly path: readonly PathSeg[];
}

// Normalization asks for the place of every object: index each map once, not per lookup.
const indexes = new WeakMap<Node, Map<string, Pair>>();

function pairOf(doc: Document, map: Node, key: PathSeg): Pair | undefined {
  if (!isMap(map)) return undefined;
  let index = indexes.get(map);
  if (!index) {
    index = new Map();
    for (const p of map.items) {
      const k = isAlias(p.key) ? p.key.resolve(doc) : p.key; // `*k: …` names the key `&k` marks
      if (isScalar(k) && !index.has(String(k.value))) index.set(String(k.value), p);
    }
    indexes.set(map, index);
  }
  return index.get(String(key));
}

/** The node at path (or the deepest existing ancestor); on: 'key' picks a map key instead of its value. */
function nodeAt(src: LoadedDoc, path: readonly PathSeg[], on: 'value' | 'key'): Node | undefined {
  let node = src.doc.contents;
  if (!node) return undefined;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    let next: Node | undefined;
    if (isSeq(node) && typeof seg === 'number') next = node.items[seg] as Node | undefined;
    else {
      const pair = pairOf(src.doc, node, seg);
      if (pair && on === 'key' && i === path.length - 1) return pair.key as Node;
      next = (pair?.value ?? undefined) as Node | undefined;
      // `subnet:` with nothing after it has no value node: point at the key.
      if (pair && !next) return pair.key as Node;
    }
    if (!next) return node;
    node = next;
  }
  return node;
}

export function position(src: LoadedDoc, path: readonly PathSeg[], on: 'value' | 'key' = 'value'): { line: number; column: number } {
  const node = nodeAt(src, path, on);
  const offset = node?.range?.[0] ?? src.doc.range?.[0] ?? 0;
  const { line, col } = src.lines.linePos(offset);
  return { line, column: col };
}

export function errorAt(o: Origin, sub: readonly PathSeg[], message: string, on: 'value' | 'key' = 'value'): SpecError {
  const path = [...o.path, ...sub];
  return { file: o.src.file, ...position(o.src, path, on), path: formatPath(path), message };
}

export function where(o: Origin, sub: readonly PathSeg[] = [], on: 'value' | 'key' = 'value'): string {
  const p = position(o.src, [...o.path, ...sub], on);
  return `${o.src.file}:${p.line}:${p.column}`;
}
