/**
 * Reading `-f` arguments as bytes: regular files, directories of them and `-` (stdin), nothing
 * else. A FIFO, socket or device would block or never end, so it is refused before it is read;
 * every read stops at MAX_FILE_BYTES + 1 bytes whatever `stat` says (/proc files say 0).
 */
import { constants, type Stats } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export const MAX_FILE_BYTES = 16 * 1024 * 1024;
const CHUNK = 1024 * 1024;

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isDirectory()) return 'a directory';
  return 'of an unknown kind';
}

const notRegular = (st: Stats): Error => new Error(`not a regular file (${kindOf(st)})${st.isFIFO() ? '; to read a pipe, use -f -' : ''}`);

/** The message for a failed read, as said to a person. */
export function ioMessage(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ELOOP') return 'too many levels of symbolic links';
  return e instanceof Error ? e.message : String(e);
}

/** A path as the files it names: itself, or a directory's *.yaml and *.yml files, sorted. */
export async function expand(path: string): Promise<string[]> {
  if (path === '-' || !(await stat(path)).isDirectory()) return [path];
  return (await readdir(path))
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((n) => join(path, n));
}

async function readAtMost(fh: FileHandle, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < limit) {
    const buf = Buffer.alloc(Math.min(CHUNK, limit - total));
    const { bytesRead } = await fh.read(buf, 0, buf.length, null);
    if (bytesRead === 0) break;
    chunks.push(buf.subarray(0, bytesRead));
    total += bytesRead;
  }
  return Buffer.concat(chunks);
}

/**
 * At most MAX_FILE_BYTES + 1 bytes of a regular file (symlinks followed). stat refuses a
 * special file before any open; O_NONBLOCK keeps an open that raced with a swap to a FIFO from
 * blocking, and fstat of the opened descriptor refuses it.
 */
export async function readRegular(path: string): Promise<Buffer> {
  const st = await stat(path);
  if (!st.isFile()) throw notRegular(st);
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const fst = await fh.stat();
    if (!fst.isFile()) throw notRegular(fst);
    return await readAtMost(fh, MAX_FILE_BYTES + 1);
  } finally {
    await fh.close();
  }
}

/** At most MAX_FILE_BYTES + 1 bytes of stdin. */
export async function readStdin(s: NodeJS.ReadableStream | string | undefined): Promise<Buffer> {
  if (s === undefined) return Buffer.alloc(0);
  if (typeof s === 'string') return Buffer.from(s, 'utf8').subarray(0, MAX_FILE_BYTES + 1);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of s) {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    chunks.push(b);
    n += b.length;
    if (n > MAX_FILE_BYTES) break; // it is refused anyway: stop reading
  }
  return Buffer.concat(chunks).subarray(0, MAX_FILE_BYTES + 1);
}
