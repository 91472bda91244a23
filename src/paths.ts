/**
 * Where the package's own files are. The CLI runs either from tsc's output (this module is
 * dist/src/paths.js) or from the bundle (dist/bundle/*.js, see src/cli/bin.ts): both sit two
 * levels below the package root, so the root is found the same way from either.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = new URL('../../', import.meta.url);

/** The absolute path of a file given relative to the package root (`native/build/…`). */
export const packagePath = (rel: string): string => fileURLToPath(new URL(rel, ROOT));

/**
 * What `npm run build` records in dist/build-info.json: the git commit the build was made from
 * (absent outside a checkout) and an id new with every build; {} when there is no such file.
 */
export function buildInfo(): { readonly commit?: string; readonly id?: string } {
  try {
    const { commit, id } = JSON.parse(readFileSync(packagePath('dist/build-info.json'), 'utf8')) as { commit?: unknown; id?: unknown };
    return { ...(typeof commit === 'string' && /^[0-9a-f]{40}$/.test(commit) ? { commit } : {}), ...(typeof id === 'string' ? { id } : {}) };
  } catch {
    return {};
  }
}
