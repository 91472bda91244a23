/**
 * The state dir and the files netd keeps in it are private to the user netd runs as, and are
 * never symlinks: a file planted as a symlink (dangling or not) is refused, never followed,
 * so netd cannot be made to create or overwrite a file elsewhere. The state dir itself may be
 * a symlink (an administrator's choice, like /var/lib on another disk).
 */
import { chmodSync, closeSync, constants, lstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { NetdError } from '../errors.js';
import { errno, symlinkRefused } from '../kernel/nofollow.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_TRUNC, O_NOFOLLOW, O_NONBLOCK } = constants;

/** Creates the state dir with mode 0700 if it is missing (an existing dir is left as it is). */
export function ensureStateDir(dir: string): void {
  // mkdir's mode is filtered by the umask; chmod makes it exact for what we created.
  if (mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(dir, 0o700);
}

/** A file in the state dir: missing, or a regular file; a symlink is refused, as are other kinds. */
export function stateFileExists(file: string, verb: 'read' | 'write'): boolean {
  try {
    const st = lstatSync(file);
    if (st.isSymbolicLink()) throw symlinkRefused(verb, file);
    if (!st.isFile()) throw new NetdError('conflict', `${file} is not a regular file`);
    return true;
  } catch (e) {
    if (errno(e) === 'ENOENT') return false;
    if (errno(e) === 'EACCES') throw new NetdError('forbidden', `state dir: cannot ${verb} ${file}: permission denied (run netd as root)`, { cause: e });
    if (errno(e) === 'ENOTDIR') throw new NetdError('conflict', `state dir: ${file}: a path component is not a directory`, { cause: e });
    throw e;
  }
}

/** Refuses when one of the files is a symlink (the -wal/-shm/-journal SQLite would open by name). */
export function refuseSymlinks(files: readonly string[], verb: 'read' | 'write'): void {
  for (const f of files) stateFileExists(f, verb);
}

/** Creates an empty file with mode 0600 if it is missing, without following a symlink there. */
export function ensurePrivateFile(file: string): void {
  if (stateFileExists(file, 'write')) return;
  try {
    const fd = openSync(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    closeSync(fd);
    chmodSync(file, 0o600);
  } catch (e) {
    if (errno(e) === 'EEXIST') return ensurePrivateFile(file); // created meanwhile: check what it is
    throw e;
  }
}

/** Replaces a small private file's content (mode 0600), refusing a symlink there. */
export function writePrivateFile(file: string, content: string): void {
  let fd: number;
  try {
    fd = openSync(file, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK, 0o600);
  } catch (e) {
    if (errno(e) === 'ELOOP') throw symlinkRefused('write', file);
    throw e;
  }
  try {
    writeFileSync(fd, content);
  } finally {
    closeSync(fd);
  }
}

/** A small private file's content; a symlink is not followed (an error, like a missing file). */
export function readPrivateFile(file: string): string {
  const fd = openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
