/**
 * The last valid desired state, kept in the state dir (`desired.cache`: private, replaced whole)
 * so that the next command given the same files does not parse them again (DesiredCache). The
 * key covers the build: `npm run build` gives each build an id in dist/build-info.json, and a
 * build without one (a bare `tsc`) caches nothing.
 */
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { DesiredCache } from '../desired/validate.js';
import type { DesiredState } from '../desired/types.js';
import { buildInfo } from '../paths.js';
import { readPrivateFile, writePrivateFile } from '../store/statedir.js';

export const DESIRED_CACHE_FILE = 'desired.cache';

/** The state dir's cache, or undefined: no build id, or no state dir yet (the cache never creates it). */
export function desiredCache(stateDir: string): { store: DesiredCache; build: string } | undefined {
  const build = buildInfo().id;
  if (build === undefined || !existsSync(stateDir)) return undefined;
  const file = join(stateDir, DESIRED_CACHE_FILE);
  const store: DesiredCache = {
    get(key) {
      try {
        const c = JSON.parse(readPrivateFile(file)) as { key?: unknown; state?: DesiredState };
        return c.key === key ? c.state : undefined;
      } catch {
        return undefined; // missing, unreadable or torn: parse the files
      }
    },
    put(key, state) {
      const tmp = `${file}.${process.pid}`;
      try {
        writePrivateFile(tmp, JSON.stringify({ key, state }));
        renameSync(tmp, file); // readers see the old cache or the new one, never half of one
      } catch {
        // A state dir this user cannot write (validate as non-root) only loses the shortcut.
      }
    },
  };
  return { store, build };
}
