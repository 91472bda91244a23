/**
 * loadDesiredState: files → DesiredState, or every error at once. Stages stop at the first
 * stage with errors, because later stages assume the shapes earlier ones guarantee.
 */
import { loadSources, type LoadOptions } from './load.js';
import { merge } from './merge.js';
import { normalize } from './normalize.js';
import { schemaErrors } from './schema-errors.js';
import { checkAttachments } from './semantic-attach.js';
import { checkNetworks, type Report } from './semantic-net.js';
import { errorAt } from './source.js';
import { sortSpecErrors, type SpecError } from './spec-error.js';
import type { DesiredState } from './types.js';

export type LoadStateResult =
  | { ok: true; state: DesiredState; sources: string[] }
  | { ok: false; errors: SpecError[]; texts: ReadonlyMap<string, string> };

export async function loadDesiredState(paths: string[], opts: LoadOptions = {}): Promise<LoadStateResult> {
  const loaded = await loadSources(paths, opts);
  const fail = (errors: SpecError[]): LoadStateResult => ({ ok: false, errors: sortSpecErrors(errors), texts: loaded.texts });
  const errors = [...loaded.errors, ...loaded.docs.flatMap(schemaErrors)];
  if (errors.length > 0) return fail(errors);
  const { merged, errors: mergeErrors } = merge(loaded.docs);
  const report: Report = (o, sub, message, on) => void mergeErrors.push(errorAt(o, sub, message, on));
  checkAttachments(report, merged, checkNetworks(report, merged));
  if (mergeErrors.length > 0) return fail(mergeErrors);
  return { ok: true, state: normalize(merged), sources: loaded.sources };
}
