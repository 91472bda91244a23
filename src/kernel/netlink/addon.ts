/**
 * The native addon (native/netlink.c): sockets opened inside namespaces by a helper thread,
 * and one synchronous request/reply exchange. It is optional: when it was not built (no
 * compiler at `npm ci`) or NETD_NETLINK=0 disables it, netd works through iproute2.
 */
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { getSystemErrorMap } from 'node:util';
import { packagePath } from '../../paths.js';
import { KernelError, type KernelErrorKind } from '../exec.js';

/** A failed system call, as the addon reports it. */
export type SysError = Error & { code: string; errno: number; syscall: string };

export interface Addon {
  /** Per entry (null: netd's own namespace; else an nsfs path): a socket (NETLINK_ROUTE unless `proto`), or why not. */
  open(paths: readonly (string | null)[], proto?: number): (number | SysError)[];
  /** Sends netlink messages; returns every reply once each request is answered. `stop`: one at a time, none after the first refusal. */
  transact(fd: number, request: Buffer, stop?: boolean): Buffer;
  /** transact(fd, request) on each socket, on helper threads in parallel: per socket its replies, or why not. */
  transactEach(fds: readonly number[], request: Buffer): (Buffer | SysError)[];
  /** `ip netns add` of each name under dir, in order; per name null or why not (ECANCELED: not tried, after a failure). */
  netnsAdd(dir: string, names: readonly string[]): (SysError | null)[];
  /** `ip netns del` of each nsfs path: detach the mount, remove the file. */
  netnsDel(paths: readonly string[]): (SysError | null)[];
  /** Writes value to path from a thread inside the namespace of the nsfs file ns. */
  writeIn(ns: string, path: string, value: string): (SysError | null)[];
  /** The network namespace cookie of the socket's namespace (SO_NETNS_COOKIE): never reused, unlike an nsfs inode. */
  cookie(fd: number): bigint;
  close(fd: number): void;
}

export type NetlinkStatus =
  | { readonly loaded: true; readonly addon: Addon }
  | { readonly loaded: false; readonly reason: string; /** By NETD_NETLINK=0, on purpose. */ readonly disabled: boolean };

/** What node-gyp leaves in the package. */
export const ADDON_PATH = packagePath('native/build/Release/netd_netlink.node');

const FUNCTIONS = ['open', 'transact', 'transactEach', 'netnsAdd', 'netnsDel', 'writeIn', 'cookie', 'close'] as const satisfies readonly (keyof Addon)[];

let status: NetlinkStatus | undefined;

/** Whether the addon can be used, and why not; loaded once per process. */
export function netlinkStatus(): NetlinkStatus {
  if (status) return status;
  if (process.env.NETD_NETLINK === '0') return (status = { loaded: false, reason: 'disabled by NETD_NETLINK=0', disabled: true });
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    // A build older than this code (the checkout moved on, `npm run build:native` not rerun) lacks calls it makes.
    const lacking = FUNCTIONS.filter((f) => typeof addon[f] !== 'function');
    status =
      lacking.length === 0
        ? { loaded: true, addon }
        : { loaded: false, reason: `${ADDON_PATH} is an older build without ${lacking.join(', ')}: rebuild it (npm run build:native)`, disabled: false };
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' ? `${ADDON_PATH} not built` : (e as Error).message;
    status = { loaded: false, reason: why, disabled: false };
  }
  return status;
}

const NAME_OF = new Map<number, string>();
for (const [name, n] of Object.entries(constants.errno)) if (!NAME_OF.has(n)) NAME_OF.set(n, name);
const KIND_OF: Record<string, KernelErrorKind> = {
  EEXIST: 'exists',
  ENOENT: 'not-found',
  ENODEV: 'not-found',
  ESRCH: 'not-found',
  EADDRNOTAVAIL: 'not-found',
  EPERM: 'forbidden',
  EACCES: 'forbidden',
  EBUSY: 'busy',
  EAGAIN: 'busy',
  ETIMEDOUT: 'busy',
  EINVAL: 'invalid',
  EOPNOTSUPP: 'invalid',
  ERANGE: 'invalid',
};

const SYSTEM = getSystemErrorMap();

/** A positive errno: its name ('ENOENT'), libuv's words for it, and the kernel layer's kind. */
export function errnoInfo(errno: number): { name: string; text: string; kind: KernelErrorKind } {
  const [name, text] = SYSTEM.get(-errno) ?? [NAME_OF.get(errno) ?? `errno ${errno}`, 'error'];
  return { name, text, kind: KIND_OF[name] ?? 'other' };
}

/** A netlink failure as the kernel layer's error: `what` names the request, `errno` is positive. */
export function netlinkError(what: string, errno: number, message?: string, cause?: unknown): KernelError {
  const e = errnoInfo(errno);
  return new KernelError({ argv: ['netlink', what], stderr: `${message ?? e.text} (${e.name})`, exitCode: undefined, kind: e.kind, cause });
}
