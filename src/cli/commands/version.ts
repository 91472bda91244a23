import { readFileSync } from 'node:fs';
import { packagePath } from '../../paths.js';
import type { Context } from '../context.js';

const PACKAGE_JSON = packagePath('package.json');
/** Written by `npm run build`: the git commit the build was made from (null outside a checkout). */
const BUILD_INFO = packagePath('dist/build-info.json');

function commit(): string | undefined {
  try {
    const c = (JSON.parse(readFileSync(BUILD_INFO, 'utf8')) as { commit?: unknown }).commit;
    return typeof c === 'string' && /^[0-9a-f]{40}$/.test(c) ? c : undefined;
  } catch {
    return undefined;
  }
}

export async function run(ctx: Context): Promise<number> {
  const c = commit();
  const v = { version: (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version, commit: c ?? null, node: process.version };
  if (ctx.output === 'json') ctx.out(JSON.stringify(v));
  else if (ctx.output === 'yaml') ctx.out((await import('yaml')).stringify(v).trimEnd());
  else ctx.out(`netd ${v.version}${c ? ` (commit ${c.slice(0, 12)})` : ''} (node ${v.node})`);
  return 0;
}
