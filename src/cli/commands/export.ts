import { stringify } from 'yaml';
import { EXIT } from '../../errors.js';
import { exportDocument } from '../../reconcile/export.js';
import type { Command } from '../context.js';
import { readRecorded } from '../engine.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'print what netd owns as a desired-state file that re-applies to a no-op',
  usage: 'netd export [-o yaml|json]',
  examples: ['netd export > current.yaml', 'netd export -o json'],
  outputs: ['yaml', 'json'],
  options: {},
  async run(ctx) {
    const doc = exportDocument(await readRecorded(ctx));
    if (ctx.output === 'json') ctx.out(JSON.stringify(doc, null, 2));
    else ctx.out(`# exported by netd from ${ctx.stateDir}\n${stringify(doc, { flowCollectionPadding: false }).trimEnd()}`);
    return EXIT.ok;
  },
};
