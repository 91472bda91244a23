/**
 * loadDesiredState: files → DesiredState, or every error at once. Schema errors do not stop
 * the semantic checks: those run on what is schema-valid (prune.ts), as long as they can.
 */
import { createHash } from 'node:crypto';
import { parseSources, readSources, type LoadOptions, type LoadResult } from './load.js';
import { merge } from './merge.js';
import { deepFreeze, normalize } from './normalize.js';
import { cutAll, followsFromCut, pruned, type Cut } from './prune.js';
import { schemaCheck, schemaErrors } from './schema-errors.js';
import { checkAttachments } from './semantic-attach.js';
import { checkNetworks, type Report } from './semantic-net.js';
import { errorAt, type LoadedDoc } from './source.js';
import { sortSpecErrors, type SpecError } from './spec-error.js';
import type { DesiredState } from './types.js';

export type LoadStateResult = { ok: true; state: DesiredState; sources: string[] } | { ok: false; errors: SpecError[]; texts: ReadonlyMap<string, string> };

/**
 * Validated states kept between runs (cli/desired-cache.ts keeps the last one in the state dir):
 * validating is a pure function of the files' texts and netd's build, so the same texts need not
 * be parsed again (YAML parsing is most of it: ~60 ms for 200 containers). Only valid states are
 * kept, so every error is still found, and placed, by parsing.
 */
export interface DesiredCache {
  get(key: string): DesiredState | undefined;
  put(key: string, state: DesiredState): void;
}

/** The cache key of a set of texts read for one build: a file named twice counts twice. */
function cacheKey(build: string, read: readonly { file: string; text: string }[]): string {
  const h = createHash('sha256').update(build);
  for (const { file, text } of read) h.update(`\0${file}\0${text.length}\0`).update(text);
  return h.digest('hex');
}

export async function loadDesiredState(paths: string[], opts: LoadOptions & { cache?: { store: DesiredCache; build: string } } = {}): Promise<LoadStateResult> {
  const read = await readSources(paths, opts);
  const key = opts.cache && read.errors.length === 0 ? cacheKey(opts.cache.build, read.read) : undefined;
  const hit = key === undefined ? undefined : opts.cache?.store.get(key);
  if (hit) return { ok: true, state: deepFreeze(hit), sources: read.sources }; // frozen, as normalize leaves it
  const r = validateRead(parseSources(read));
  if (r.ok && key !== undefined) opts.cache?.store.put(key, r.state);
  return r;
}

function validateRead(loaded: LoadResult): LoadStateResult {
  const errors = [...loaded.errors];
  // A file or document that could not be read may have declared anything.
  const cut: Cut = new Set();
  if (errors.length > 0) cutAll(cut);
  const docs: LoadedDoc[] = [];
  for (const src of loaded.docs) {
    const raw = schemaCheck(src.value);
    errors.push(...schemaErrors(src, raw));
    const doc = pruned(src, raw, cut);
    if (doc) docs.push(doc);
  }
  const { merged, errors: mergeErrors } = merge(docs);
  errors.push(...mergeErrors);
  const report: Report = (o, sub, message, on) => {
    if (!followsFromCut(cut, o, sub, message)) errors.push(errorAt(o, sub, message, on));
  };
  checkAttachments(report, merged, checkNetworks(report, merged));
  if (errors.length > 0) return { ok: false, errors: sortSpecErrors(errors), texts: new Map(loaded.read.map((r) => [r.file, r.text])) };
  return { ok: true, state: normalize(merged), sources: loaded.sources };
}
