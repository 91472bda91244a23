import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { Command } from '../context.js';

const PACKAGE_JSON = new URL('../../../../package.json', import.meta.url);

export const version: Command = {
  name: 'version',
  summary: 'print the netd version',
  usage: 'netd version [-o table|json|yaml]',
  options: {},
  run(ctx) {
    const v = { version: (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version, node: process.version };
    if (ctx.output === 'json') ctx.out(JSON.stringify(v));
    else if (ctx.output === 'yaml') ctx.out(stringify(v).trimEnd());
    else ctx.out(`netd ${v.version} (node ${v.node})`);
    return Promise.resolve(0);
  },
};
