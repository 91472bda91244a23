/** The state dir and the files netd keeps in it are private to the user netd runs as. */
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';

/** Creates the state dir with mode 0700 if it is missing (an existing dir is left as it is). */
export function ensureStateDir(dir: string): void {
  // mkdir's mode is filtered by the umask; chmod makes it exact for what we created.
  if (mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(dir, 0o700);
}

/** Creates an empty file with mode 0600 if it is missing. */
export function ensurePrivateFile(file: string): void {
  try {
    closeSync(openSync(file, 'wx', 0o600));
    chmodSync(file, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}
