import { readFileSync } from 'node:fs';
import { buildInfo, packagePath } from '../../paths.js';
import type { Context } from '../context.js';

const PACKAGE_JSON = packagePath('package.json');

export async function run(ctx: Context): Promise<number> {
  const c = buildInfo().commit;
  const v = { version: (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version, commit: c ?? null, node: process.version };
  if (ctx.output === 'json') ctx.out(JSON.stringify(v));
  else if (ctx.output === 'yaml') ctx.out((await import('yaml')).stringify(v).trimEnd());
  else ctx.out(`netd ${v.version}${c ? ` (commit ${c.slice(0, 12)})` : ''} (node ${v.node})`);
  return 0;
}
