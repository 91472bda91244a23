/**
 * Validation past schema errors, so that every error shows at once: a document's value is
 * copied and what has a schema error is cut out of the copy until the copy is schema-valid.
 * An unknown field goes alone; any other error takes the whole object it is in (a network,
 * container or attachment; the cluster; all address pools), because a half-valid object would
 * give the semantic checks false leads (a misspelled driver read as the default bridge).
 * The semantic checks then run on what is left; `followsFromCut` drops their errors that only
 * say something was cut (an attachment naming a network that was), whose cause is reported.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import { pointerToPath, schemaCheck } from './schema-errors.js';
import type { LoadedDoc, Origin } from './source.js';
import type { PathSeg } from './spec-error.js';

/** What was cut: `network:NAME`, `container:NAME`, `network:*` (names unknown), `cluster`, `pools`. */
export type Cut = Set<string>;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const KIND = { networks: 'network', containers: 'container' } as const;
/** Each round cuts at least one object or field; a bound all the same. */
const MAX_ROUNDS = 5;

/** Everything a document could have declared, for a document that is left out whole. */
export function cutAll(cut: Cut): void {
  for (const k of ['network:*', 'container:*', 'cluster', 'pools']) cut.add(k);
}

/** The path to cut for one error; 'version' when only the version is wrong, 'doc' when nothing is left. */
function target(e: ErrorObject, path: readonly PathSeg[]): PathSeg[] | 'version' | 'doc' {
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') return [...path, String(p.additionalProperty)];
  const at = e.propertyName === undefined ? path : [...path, e.propertyName];
  const [section, item] = at;
  if (section === undefined) return e.keyword === 'required' && p.missingProperty === 'version' ? 'version' : 'doc';
  if (section === 'version') return 'version';
  if (section === 'networks' || section === 'containers' || section === 'attachments') return item === undefined ? [section] : [section, item];
  return [section]; // cluster, addressPools
}

function mark(cut: Cut, path: readonly PathSeg[]): void {
  const [section, item] = path;
  if (path.length > 2) return; // an unknown field inside an object: the object stays
  if (section === 'networks' || section === 'containers') cut.add(`${KIND[section]}:${item === undefined ? '*' : String(item)}`);
  else if (section === 'cluster') cut.add('cluster');
  else if (section === 'addressPools') cut.add('pools');
}

function remove(value: unknown, path: readonly PathSeg[]): void {
  let node = value;
  for (const seg of path.slice(0, -1)) node = isObj(node) || Array.isArray(node) ? (node as Obj)[seg] : undefined;
  // On an array this leaves a hole: the other items keep their indexes, which lead back to the YAML.
  if (isObj(node) || Array.isArray(node)) delete (node as Obj)[path[path.length - 1]!];
}

/** Schema errors of a copy; only `attachments` can have holes, validated without them. */
function check(value: unknown): { e: ErrorObject; path: PathSeg[] }[] {
  const atts = isObj(value) && Array.isArray(value.attachments) ? (value.attachments as unknown[]) : undefined;
  const kept = atts ? Object.keys(atts).map(Number) : [];
  const view = atts ? { ...(value as Obj), attachments: kept.map((i) => atts[i]) } : value;
  return schemaCheck(view).map((e) => {
    const path = pointerToPath(e.instancePath);
    if (atts && path[0] === 'attachments' && typeof path[1] === 'number') path[1] = kept[path[1]]!;
    return { e, path };
  });
}

/**
 * The document with what has schema errors (`errors`, ajv's for src.value) cut out, recording
 * in `cut` what went; undefined when nothing of it can be checked further.
 */
export function pruned(src: LoadedDoc, errors: readonly ErrorObject[], cut: Cut): LoadedDoc | undefined {
  if (errors.length === 0) return src;
  const value: unknown = structuredClone(src.value);
  let todo = errors.map((e) => ({ e, path: pointerToPath(e.instancePath) }));
  for (let round = 0; todo.length > 0; round++) {
    if (round === MAX_ROUNDS) return void cutAll(cut);
    for (const { e, path } of todo) {
      const t = target(e, path);
      if (t === 'doc') return void cutAll(cut);
      // A wrong or missing version is reported; the rest is checked as version 1, the only one.
      if (t !== 'version') {
        mark(cut, t);
        remove(value, t);
      } else if (isObj(value)) value.version = 1;
    }
    todo = check(value);
  }
  return { ...src, value };
}

function valueAt(value: unknown, path: readonly PathSeg[]): unknown {
  return path.reduce<unknown>((v, seg) => (isObj(v) || Array.isArray(v) ? (v as Obj)[seg] : undefined), value);
}

/** True for a semantic error that only says something was cut: its cause is already reported. */
export function followsFromCut(cut: Cut, o: Origin, sub: readonly PathSeg[], message: string): boolean {
  if (cut.size === 0) return false;
  const ref = sub.length === 1 && o.path[0] === 'attachments' ? sub[0] : undefined;
  if ((ref === 'network' || ref === 'container') && message.includes('is not declared')) {
    return cut.has(`${ref}:*`) || cut.has(`${ref}:${String(valueAt(o.src.value, [...o.path, ref]))}`);
  }
  if (cut.has('cluster') && message.includes('needs a cluster')) return true;
  return cut.has('pools') && message.startsWith('no room for network');
}
