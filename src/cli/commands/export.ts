import { stringify } from 'yaml';
import { EXIT } from '../../errors.js';
import { exportDocument } from '../../reconcile/export.js';
import type { Context } from '../context.js';
import { readRecorded } from '../engine.js';

export async function run(ctx: Context): Promise<number> {
  const doc = exportDocument(await readRecorded(ctx));
  if (ctx.output === 'json') ctx.out(JSON.stringify(doc, null, 2));
  else ctx.out(`# exported by netd from ${ctx.stateDir}\n${stringify(doc, { flowCollectionPadding: false }).trimEnd()}`);
  return EXIT.ok;
}
