/**
 * loadDesiredState: files → DesiredState, or every error at once. Schema errors do not stop
 * the semantic checks: those run on what is schema-valid (prune.ts), as long as they can.
 */
import { loadSources, type LoadOptions } from './load.js';
import { merge } from './merge.js';
import { normalize } from './normalize.js';
import { cutAll, followsFromCut, pruned, type Cut } from './prune.js';
import { schemaCheck, schemaErrors } from './schema-errors.js';
import { checkAttachments } from './semantic-attach.js';
import { checkNetworks, type Report } from './semantic-net.js';
import { errorAt, type LoadedDoc } from './source.js';
import { sortSpecErrors, type SpecError } from './spec-error.js';
import type { DesiredState } from './types.js';

export type LoadStateResult = { ok: true; state: DesiredState; sources: string[] } | { ok: false; errors: SpecError[]; texts: ReadonlyMap<string, string> };

export async function loadDesiredState(paths: string[], opts: LoadOptions = {}): Promise<LoadStateResult> {
  const loaded = await loadSources(paths, opts);
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
  if (errors.length > 0) return { ok: false, errors: sortSpecErrors(errors), texts: loaded.texts };
  return { ok: true, state: normalize(merged), sources: loaded.sources };
}
