/**
 * Where the package's own files are. The CLI runs either from tsc's output (this module is
 * dist/src/paths.js) or from the bundle (dist/bundle/*.js, see src/cli/bin.ts): both sit two
 * levels below the package root, so the root is found the same way from either.
 */
import { fileURLToPath } from 'node:url';

const ROOT = new URL('../../', import.meta.url);

/** The absolute path of a file given relative to the package root (`native/build/…`). */
export const packagePath = (rel: string): string => fileURLToPath(new URL(rel, ROOT));
