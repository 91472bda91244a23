/**
 * Network namespaces. A namespace is referred to by an `NsRef`: a name under /run/netns
 * (netd creates and deletes those) or an absolute path to an nsfs file such as
 * /proc/<pid>/ns/net (adopted: configured, never created or deleted by netd).
 * `ip -n` only understands names, so paths go through `nsenter --net=PATH`.
 */
import { stat } from 'node:fs/promises';
import { NetdError } from '../errors.js';
import { KernelError, realKernel, type Runner } from './exec.js';
import { checkNsRef } from './names.js';
import { netlinkError, netlinkStatus, type Addon } from './netlink/addon.js';

export type NsRef = string;

export const NETNS_DIR = '/run/netns';

/** Namespaces entered by one helper thread: a socket each, open at once. */
const ENTER_CHUNK = 64;

export function isPathRef(ns: NsRef): boolean {
  return ns.startsWith('/');
}

/** The nsfs file of a namespace. */
export function nsPath(ns: NsRef): string {
  return isPathRef(ns) ? checkNsRef(ns) : `${NETNS_DIR}/${checkNsRef(ns)}`;
}

/**
 * A namespace's identity: `<st_dev>:<st_ino>` of its nsfs file (the same namespace has the same
 * inode, however it is named) and, with the addon, `:<cookie>`: the inode of a freed namespace
 * is given to the next one, its cookie never (see sameNamespace). Undefined when the file does
 * not exist.
 */
export async function namespaceId(path: string): Promise<string | undefined> {
  return (await namespaceIds([path]))[0];
}

/** namespaceId of each path; the cookies read by one helper thread per chunk. */
export async function namespaceIds(paths: readonly string[]): Promise<(string | undefined)[]> {
  const inodes = await Promise.all(paths.map(inodeOf));
  const status = netlinkStatus();
  if (!status.loaded) return inodes;
  const ids = [...inodes];
  const present = inodes.flatMap((inode, i) => (inode === undefined ? [] : [i]));
  // The cookie is read after the stat: a namespace replaced between the two gives its
  // successor's cookie with the old inode, another identity (never the old one's).
  for (let at = 0; at < present.length; at += ENTER_CHUNK) {
    const chunk = present.slice(at, at + ENTER_CHUNK);
    let failure: Error | undefined;
    status.addon.open(chunk.map((i) => paths[i]!)).forEach((s, k) => {
      const i = chunk[k]!;
      if (typeof s !== 'number') {
        // Not enterable (the bare file of an interrupted `netns add`, no privilege): the inode alone.
        if (s.code === 'ENOENT' || s.code === 'ESRCH') ids[i] = undefined;
        return;
      }
      try {
        const cookie = cookieOf(status.addon, s);
        if (cookie !== undefined) ids[i] = `${inodes[i]}:${cookie}`;
      } catch (e) {
        failure ??= e instanceof Error ? e : new Error(String(e)); // thrown after every socket of the chunk is closed
      }
    });
    if (failure !== undefined) throw failure;
  }
  return ids;
}

/** A kernel before 5.14 has no SO_NETNS_COOKIE (ENOPROTOOPT): the inode alone. */
function cookieOf(addon: Addon, fd: number): bigint | undefined {
  try {
    return addon.cookie(fd);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOPROTOOPT') return undefined;
    throw netlinkError('getsockopt SO_NETNS_COOKIE', (e as NodeJS.ErrnoException).errno ?? 0, undefined, e);
  } finally {
    addon.close(fd);
  }
}

async function inodeOf(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path, { bigint: true });
    return `${s.dev}:${s.ino}`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw e;
  }
}

/** `ip ARGS` run in a namespace (undefined: the current one). */
export function ipArgv(ns: NsRef | undefined, args: string[]): string[] {
  if (ns === undefined) return ['ip', ...args];
  if (isPathRef(ns)) return ['nsenter', `--net=${checkNsRef(ns)}`, 'ip', ...args];
  return ['ip', '-n', checkNsRef(ns), ...args];
}

/** Any other command run in a namespace; nsenter is lighter than `ip netns exec` (no mount namespace). */
export function nsExecArgv(ns: NsRef | undefined, argv: string[]): string[] {
  return ns === undefined ? argv : ['nsenter', `--net=${nsPath(ns)}`, ...argv];
}

/** What `ip -n`/`link … netns` accepts: a name, or a path for names iproute2 would read as a pid. */
export function netnsArg(ns: NsRef): string {
  return /^\d+$/.test(ns) ? nsPath(ns) : checkNsRef(ns);
}

function mustBeName(ns: NsRef, verb: string): string {
  if (isPathRef(ns)) {
    throw new NetdError('invalid', `${verb} namespace "${ns}": an adopted namespace (a path) is never created or deleted by netd`);
  }
  return checkNsRef(ns);
}

export async function addNamespace(runner: Runner, name: NsRef): Promise<void> {
  await runner.run(['ip', 'netns', 'add', mustBeName(name, 'add')], { write: true });
}

export async function deleteNamespace(runner: Runner, name: NsRef): Promise<void> {
  await runner.run(['ip', 'netns', 'delete', mustBeName(name, 'delete')], { write: true });
}

export interface NamedNamespace {
  name: string;
  id?: number;
}

export function parseNetnsList(stdout: string): NamedNamespace[] {
  const text = stdout.trim();
  if (!text) return [];
  const rows = JSON.parse(text) as { name: string; id?: number }[];
  return rows.map((r) => (r.id === undefined ? { name: r.name } : { name: r.name, id: r.id })).sort((a, b) => a.name.localeCompare(b.name));
}

export async function listNamespaces(runner: Runner): Promise<NamedNamespace[]> {
  return parseNetnsList((await runner.run(['ip', '-json', 'netns', 'list'])).stdout);
}

export async function namespaceExists(runner: Runner, ns: NsRef): Promise<boolean> {
  if (!isPathRef(ns)) return (await listNamespaces(runner)).some((n) => n.name === ns);
  return (await probeNamespace(runner, ns)) === 'netns';
}

/**
 * What entering a namespace path says: it is a network namespace, it is missing, or it is
 * another kind of file or namespace (setns: EINVAL). Any other failure (no permission, no
 * nsenter) throws. With the addon, its helper thread enters; else `nsenter … true`.
 */
export async function probeNamespace(runner: Runner, path: string): Promise<'netns' | 'missing' | 'other'> {
  const status = netlinkStatus();
  if (status.loaded && realKernel(runner)) {
    // A socket opened inside it by the addon's helper thread: no process.
    const [s] = status.addon.open([path]);
    if (typeof s === 'number') {
      status.addon.close(s);
      return 'netns';
    }
    if (s?.code === 'ENOENT' || s?.code === 'ESRCH') return 'missing';
    if (s?.code === 'EINVAL') return 'other';
    throw netlinkError(`open ${path}`, s?.errno ?? 0, s?.message, s);
  }
  try {
    await runner.run(nsExecArgv(path, ['true']));
    return 'netns';
  } catch (e) {
    if (e instanceof KernelError && e.kind === 'not-found') return 'missing';
    if (e instanceof KernelError && e.kind === 'invalid') return 'other';
    throw e;
  }
}
