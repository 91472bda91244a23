/**
 * Files netd writes below a directory it manages (/etc/netns), reached without following a
 * symlink. The base and every directory below it are opened with O_DIRECTORY|O_NOFOLLOW and
 * the next name is resolved from that descriptor (`/proc/self/fd/N/name`, Node's openat), so a
 * symlink planted below the base, or swapped in while netd works, is never followed. Files are
 * written to a temporary file created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW) in the same
 * directory, then renamed over the target: a symlink at the target is replaced, not followed.
 * The calls are synchronous: a file is a dozen short system calls, and a cold apply writes a
 * few per container — through the thread pool each would wait for a hand-off twice.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  rmdirSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { NetdError, messageOf } from '../errors.js';
import { sha256 } from '../digest.js';
import type { FileDigest } from '../state/view.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK } = constants;

export const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

export function symlinkRefused(verb: 'read' | 'write', path: string): NetdError {
  return new NetdError('forbidden', `"${path}" is a symlink: netd never ${verb}s through one; remove it`);
}

/** An fs error as a NetdError naming the real path (never a /proc/self/fd one). */
function fsError(what: string, path: string, e: unknown): NetdError {
  if (e instanceof NetdError) return e;
  const detail = errno(e) ?? messageOf(e);
  return new NetdError('internal', `${what} ${path}: ${detail}`, { cause: e });
}

function isLinkNow(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch (e) {
    if (errno(e) === 'ENOENT') return false;
    throw e;
  }
}

/** The sync work as the promise the callers await: a throw becomes a rejection. */
const settle = <T>(fn: () => T): Promise<T> => new Promise((resolve) => resolve(fn()));

/** Is path a symlink (false when it is missing)? */
export const isSymlink = (path: string): Promise<boolean> => settle(() => isLinkNow(path));

/** Opens a directory without following a symlink at its name; null when it is missing. */
function openDir(path: string, shown: string): number | null {
  try {
    return openSync(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (e) {
    if (errno(e) === 'ENOENT') return null;
    if (errno(e) === 'ELOOP' || errno(e) === 'ENOTDIR') {
      if (isLinkNow(path)) throw symlinkRefused('write', shown);
      throw new NetdError('conflict', `${shown} is not a directory`);
    }
    throw fsError('open', shown, e);
  }
}

let tmpSeq = 0;

const at = (dir: number, name: string): string => `/proc/self/fd/${dir}/${name}`;

/**
 * The directory base/dirs..., opened; with `create`, missing ones are made (mode 0755).
 * null when one is missing and `create` is off.
 */
function walk(base: string, dirs: readonly string[], create: boolean): number | null {
  if (create) ignore('EEXIST', () => mkdirSync(base, { recursive: true, mode: 0o755 }));
  let dir = openDir(base, base);
  let shown = base;
  for (const name of dirs) {
    if (dir === null) return null;
    shown = join(shown, name);
    const parent = dir;
    try {
      if (create) ignore('EEXIST', () => mkdirSync(at(parent, name), { mode: 0o755 }));
      dir = openDir(at(parent, name), shown);
    } finally {
      closeSync(parent);
    }
  }
  return dir;
}

function ignore(code: string, fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (errno(e) !== code) throw e;
  }
}

/** base/...path split into its directories and its file name; names are netd's, never `..`. */
function split(path: readonly string[]): { dirs: string[]; name: string } {
  if (path.length === 0 || path.some((p) => p === '' || p === '.' || p === '..' || p.includes('/'))) {
    throw new NetdError('internal', `bad path below a managed directory: ${path.join('/')}`);
  }
  return { dirs: path.slice(0, -1), name: path.at(-1)! };
}

/**
 * The text of base/path; null when it (or a directory on the way) is missing, or when a
 * symlink or another non-regular file stands where the file should be: drift that writing
 * repairs, by replacing it. A symlinked directory is refused.
 */
export const readBelow = (base: string, path: readonly string[]): Promise<string | null> =>
  settle(() => withFileBelow(base, path, (file) => readFileSync(file, 'utf8')));

/**
 * The size of base/path and, only when it is `size` (the size netd wrote), the sha256 of its
 * bytes: a file of another size is known to differ without reading it. null as readBelow.
 */
export const digestBelow = (base: string, path: readonly string[], size: number): Promise<FileDigest | null> =>
  settle(() =>
    withFileBelow(base, path, (file, have): FileDigest => {
      if (have !== size) return { size: have };
      const bytes = readFileSync(file);
      return { size: bytes.length, sha256: sha256(bytes) };
    }),
  );

/** `use` on the open regular file base/path (with its size); null when there is none (as readBelow). */
function withFileBelow<T>(base: string, path: readonly string[], use: (file: number, size: number) => T): T | null {
  const { dirs, name } = split(path);
  const dir = walk(base, dirs, false);
  if (dir === null) return null;
  try {
    let file: number;
    try {
      file = openSync(at(dir, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK); // NONBLOCK: a FIFO does not hang the open
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ELOOP') return null;
      throw fsError('read', join(base, ...path), e);
    }
    try {
      const st = fstatSync(file);
      return st.isFile() ? use(file, st.size) : null;
    } finally {
      closeSync(file);
    }
  } finally {
    closeSync(dir);
  }
}

/** Throws as a write would when base or a directory on base/dirs... is a symlink (or not a directory). */
export const checkDirsBelow = (base: string, dirs: readonly string[]): Promise<void> => settle(() => checkDirsBelowSync(base, dirs));

function checkDirsBelowSync(base: string, dirs: readonly string[]): void {
  split(dirs);
  const dir = walk(base, dirs, false);
  if (dir !== null) closeSync(dir);
}

/** Writes base/path atomically with the given mode, creating its directories (0755). */
export const writeBelow = (base: string, path: readonly string[], content: string, mode = 0o644): Promise<void> =>
  settle(() => writeBelowSync(base, path, content, mode));

function writeBelowSync(base: string, path: readonly string[], content: string, mode = 0o644): void {
  const { dirs, name } = split(path);
  const shown = join(base, ...path);
  let dir: number | null;
  try {
    dir = walk(base, dirs, true);
  } catch (e) {
    throw fsError('write', shown, e);
  }
  if (dir === null) throw new NetdError('internal', `write ${shown}: its directory vanished`);
  // Not crypto's randomBytes: its first call costs ~50 ms, and O_EXCL makes a clash an error, not a hazard.
  const tmp = `.${name}.${process.pid}.${Date.now().toString(36)}.${(tmpSeq++).toString(36)}.netd-tmp`;
  try {
    const file = openSync(at(dir, tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    try {
      writeFileSync(file, content);
      fchmodSync(file, mode); // the umask filtered the create mode
    } finally {
      closeSync(file);
    }
    renameSync(at(dir, tmp), at(dir, name));
  } catch (e) {
    try {
      unlinkSync(at(dir, tmp));
    } catch {
      // never created, or already renamed
    }
    throw fsError('write', shown, e);
  } finally {
    closeSync(dir);
  }
}

/**
 * Removes base/name and what is in it. Anything but a directory there (a symlink included) is
 * removed itself, never followed; a symlinked base is refused.
 */
export const removeBelow = (base: string, name: string): Promise<void> => settle(() => removeBelowSync(base, name));

function removeBelowSync(base: string, name: string): void {
  split([name]);
  const shown = join(base, name);
  const root = openDir(base, base);
  if (root === null) return;
  try {
    const entry = at(root, name);
    let st;
    try {
      st = lstatSync(entry);
    } catch (e) {
      if (errno(e) === 'ENOENT') return;
      throw e;
    }
    if (!st.isDirectory()) return unlinkSync(entry);
    const dir = openDir(entry, shown);
    if (dir === null) return;
    try {
      // rm by name below the opened directory: lstat-based, it never follows the entries' links.
      for (const e of readdirSync(`/proc/self/fd/${dir}`)) rmSync(at(dir, e), { recursive: true, force: true });
    } finally {
      closeSync(dir);
    }
    ignore('ENOENT', () => rmdirSync(entry));
  } catch (e) {
    throw fsError('remove', shown, e);
  } finally {
    closeSync(root);
  }
}
