/**
 * Files netd writes below a directory it manages (/etc/netns), reached without following a
 * symlink. The base and every directory below it are opened with O_DIRECTORY|O_NOFOLLOW and
 * the next name is resolved from that descriptor (`/proc/self/fd/N/name`, Node's openat), so a
 * symlink planted below the base, or swapped in while netd works, is never followed. Files are
 * written to a temporary file created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW) in the same
 * directory, then renamed over the target: a symlink at the target is replaced, not followed.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rm, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { NetdError, messageOf } from '../errors.js';

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

/** Is path a symlink (false when it is missing)? */
export async function isSymlink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch (e) {
    if (errno(e) === 'ENOENT') return false;
    throw e;
  }
}

/** Opens a directory without following a symlink at its name; null when it is missing. */
async function openDir(path: string, shown: string): Promise<FileHandle | null> {
  try {
    return await open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (e) {
    if (errno(e) === 'ENOENT') return null;
    if (errno(e) === 'ELOOP' || errno(e) === 'ENOTDIR') {
      if (await isSymlink(path)) throw symlinkRefused('write', shown);
      throw new NetdError('conflict', `${shown} is not a directory`);
    }
    throw fsError('open', shown, e);
  }
}

const at = (dir: FileHandle, name: string): string => `/proc/self/fd/${dir.fd}/${name}`;

/**
 * The directory base/dirs..., opened; with `create`, missing ones are made (mode 0755).
 * null when one is missing and `create` is off.
 */
async function walk(base: string, dirs: readonly string[], create: boolean): Promise<FileHandle | null> {
  if (create) await mkdir(base, { recursive: true, mode: 0o755 }).catch(ignore('EEXIST'));
  let dir = await openDir(base, base);
  let shown = base;
  for (const name of dirs) {
    if (!dir) return null;
    shown = join(shown, name);
    const parent = dir;
    try {
      if (create) await mkdir(at(parent, name), { mode: 0o755 }).catch(ignore('EEXIST'));
      dir = await openDir(at(parent, name), shown);
    } finally {
      await parent.close();
    }
  }
  return dir;
}

function ignore(code: string): (e: unknown) => void {
  return (e) => {
    if (errno(e) !== code) throw e;
  };
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
export async function readBelow(base: string, path: readonly string[]): Promise<string | null> {
  const { dirs, name } = split(path);
  const dir = await walk(base, dirs, false);
  if (!dir) return null;
  try {
    let file: FileHandle;
    try {
      file = await open(at(dir, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK); // NONBLOCK: a FIFO does not hang the open
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ELOOP') return null;
      throw fsError('read', join(base, ...path), e);
    }
    try {
      return (await file.stat()).isFile() ? await file.readFile('utf8') : null;
    } finally {
      await file.close();
    }
  } finally {
    await dir.close();
  }
}

/** Throws as a write would when base or a directory on base/dirs... is a symlink (or not a directory). */
export async function checkDirsBelow(base: string, dirs: readonly string[]): Promise<void> {
  split(dirs);
  await (await walk(base, dirs, false))?.close();
}

/** Writes base/path atomically with the given mode, creating its directories (0755). */
export async function writeBelow(base: string, path: readonly string[], content: string, mode = 0o644): Promise<void> {
  const { dirs, name } = split(path);
  const shown = join(base, ...path);
  const dir = await walk(base, dirs, true).catch((e: unknown) => Promise.reject(fsError('write', shown, e)));
  if (!dir) throw new NetdError('internal', `write ${shown}: its directory vanished`);
  const tmp = `.${name}.${randomBytes(6).toString('hex')}.netd-tmp`;
  try {
    const file = await open(at(dir, tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    try {
      await file.writeFile(content);
      await file.chmod(mode); // the umask filtered the create mode
    } finally {
      await file.close();
    }
    await rename(at(dir, tmp), at(dir, name));
  } catch (e) {
    await unlink(at(dir, tmp)).catch(() => undefined);
    throw fsError('write', shown, e);
  } finally {
    await dir.close();
  }
}

/**
 * Removes base/name and what is in it. Anything but a directory there (a symlink included) is
 * removed itself, never followed; a symlinked base is refused.
 */
export async function removeBelow(base: string, name: string): Promise<void> {
  split([name]);
  const shown = join(base, name);
  const root = await openDir(base, base);
  if (!root) return;
  try {
    const entry = at(root, name);
    const st = await lstat(entry).catch((e: unknown) => {
      if (errno(e) === 'ENOENT') return null;
      throw e;
    });
    if (!st) return;
    if (!st.isDirectory()) return await unlink(entry);
    const dir = await openDir(entry, shown);
    if (!dir) return;
    try {
      // rm by name below the opened directory: lstat-based, it never follows the entries' links.
      for (const e of await readdir(`/proc/self/fd/${dir.fd}`)) await rm(at(dir, e), { recursive: true, force: true });
    } finally {
      await dir.close();
    }
    await rmdir(entry).catch(ignore('ENOENT'));
  } catch (e) {
    throw fsError('remove', shown, e);
  } finally {
    await root.close();
  }
}
