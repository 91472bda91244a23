/**
 * The netlink applier: every kernel op of one namespace through one socket, in order, as
 * `ip -batch` runs them. The rtnetlink requests between two ops that are no message (netns
 * add/del, sysctl) go in one exchange; the addon sends them one at a time and stops at the
 * first refusal, so the ops before it are applied and none after (with `force`, all are
 * sent, as `ip -force`, and the first refusal is thrown at the end). A device named by
 * ifindex is looked up once (RTM_GETLINK by name); a link the batch creates or renames is
 * looked up after the requests before it were sent.
 */
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { KernelError, realKernel, type KernelErrorKind, type Runner } from '../exec.js';
import { nsPath, isPathRef, NETNS_DIR, type NsRef } from '../netns.js';
import { renderOp, type KernelOp } from '../ops.js';
import { sysctlPath } from '../sysctl.js';
import { errnoInfo, netlinkError, netlinkStatus, type Addon, type SysError } from './addon.js';
import { decodeError, decodeMsgs, NLMSG_ERROR } from './codec.js';
import { encodeOp, getLink, isRtnl, Missing, namesChanged, type Refs } from './encode.js';
import { RTM_NEWLINK } from './rtnl.js';
import type { SocketsAhead } from './ahead.js';

const ECANCELED = constants.errno.ECANCELED;

/** One namespace's batch: the socket, what is queued, and the devices known by index. */
class Batch {
  private seq = 0;
  private readonly queued: Buffer[] = [];
  /** seq → index of the op the request belongs to. */
  private readonly opOf = new Map<number, number>();
  /** Names a queued request creates, renames or removes: looked up only once it was sent. */
  private readonly changing = new Set<string>();
  private readonly fds: number[] = [];
  private readonly index = new Map<string, number>();
  /** With force: the first refusal, thrown once every op was tried. */
  first: KernelError | undefined;

  constructor(
    private readonly addon: Addon,
    private readonly fd: number,
    private readonly ns: NsRef | undefined,
    private readonly lines: readonly string[],
    private readonly force: boolean,
  ) {}

  /** A refusal of op i: thrown, or with force kept (the first one) and gone past. */
  refuse(i: number, stderr: string, kind: KernelErrorKind, cause?: unknown): void {
    const argv = this.ns === undefined ? ['netlink'] : ['netlink', '-n', this.ns];
    const e = new KernelError({ argv, stderr, exitCode: undefined, kind, op: this.lines[i], opIndex: i, cause });
    if (!this.force) throw e;
    this.first ??= e;
  }

  /** A failed system call of op i (what `ip` says, then the errno's name). */
  refuseSys(i: number, what: string, err: SysError | NodeJS.ErrnoException): void {
    const errno = typeof err.errno === 'number' ? Math.abs(err.errno) : ((constants.errno as Record<string, number>)[err.code ?? ''] ?? 0);
    const e = errnoInfo(errno);
    this.refuse(i, `${what}: ${e.text} (${e.name})`, e.kind, err);
  }

  queue(i: number, op: KernelOp): void {
    if (!isRtnl(op)) throw new Error(`queue: ${op.op} is no netlink message`);
    const refs: Refs = { index: (dev) => this.lookup(dev), nsFd: (ns) => this.nsFd(ns) };
    let reqs: Buffer[];
    try {
      reqs = encodeOp(op, () => ++this.seq, refs);
    } catch (e) {
      if (e instanceof Missing) return this.refuse(i, `Cannot find device "${e.dev}"`, 'not-found');
      if (e instanceof NsMissing) return this.refuseSys(i, `Cannot open network namespace "${e.ns}"`, e.cause as NodeJS.ErrnoException);
      throw e;
    }
    for (const r of reqs) {
      this.queued.push(r);
      this.opOf.set(r.readUInt32LE(8), i);
    }
    for (const n of namesChanged(op)) {
      this.changing.add(n);
      this.index.delete(n);
    }
  }

  /** Sends what is queued; a refusal is pinned to its op. */
  flush(): void {
    if (this.queued.length === 0) return;
    const request = Buffer.concat(this.queued);
    this.queued.length = 0;
    this.changing.clear();
    let replies: Buffer;
    try {
      replies = this.addon.transact(this.fd, request, !this.force);
    } catch (e) {
      const err = e as SysError;
      throw netlinkError(`apply ${this.ns ?? 'own namespace'}`, err.errno, err.message, e);
    } finally {
      for (const fd of this.fds.splice(0)) closeSync(fd);
    }
    for (const m of decodeMsgs(replies)) {
      if (m.type !== NLMSG_ERROR) continue;
      const err = decodeError(m);
      const i = this.opOf.get(m.seq);
      if (err.errno === 0 || i === undefined) continue;
      const e = errnoInfo(err.errno);
      this.refuse(i, `${err.message ?? e.text} (${e.name})`, e.kind);
    }
    this.opOf.clear();
  }

  /** A device's ifindex in this namespace, after what would change its name was sent. */
  private lookup(dev: string): number | undefined {
    const known = this.index.get(dev);
    if (known !== undefined) return known;
    if (this.changing.has(dev)) this.flush();
    let msgs;
    try {
      msgs = decodeMsgs(this.addon.transact(this.fd, getLink(++this.seq, dev)));
    } catch (e) {
      const err = e as SysError;
      throw netlinkError(`link ${dev} in ${this.ns ?? 'own namespace'}`, err.errno, err.message, e);
    }
    const link = msgs.find((m) => m.type === RTM_NEWLINK);
    if (!link) return undefined;
    this.index.set(dev, link.body.readInt32LE(4));
    return this.index.get(dev);
  }

  /** An open descriptor of a namespace, for IFLA_NET_NS_FD; closed once its request is sent. */
  private nsFd(ns: NsRef): number {
    try {
      const fd = openSync(nsPath(ns), 'r');
      this.fds.push(fd);
      return fd;
    } catch (e) {
      throw new NsMissing(ns, e);
    }
  }

  /** Closes what a failed batch left open. */
  dispose(): void {
    for (const fd of this.fds.splice(0)) closeSync(fd);
  }
}

class NsMissing extends Error {
  constructor(
    readonly ns: NsRef,
    cause: unknown,
  ) {
    super(`namespace ${ns}`, { cause });
  }
}

/** `ip netns add` of a run of names; returns the index of the op after the run. */
function netnsAdd(b: Batch, addon: Addon, ops: readonly KernelOp[], from: number): number {
  let to = from;
  while (ops[to]?.op === 'netns-add') to++;
  const names = ops.slice(from, to).map((op) => (op as { name: string }).name);
  const path = names.findIndex(isPathRef);
  if (path >= 0) to = from + path;
  if (to === from) {
    b.refuse(from, `netns add "${names[0]}": an adopted namespace (a path) is never created`, 'invalid');
    return from + 1;
  }
  names.length = to - from;
  const results = addon.netnsAdd(NETNS_DIR, names);
  const k = results.findIndex((r) => r !== null);
  if (k < 0) return to;
  const err = results[k]!;
  const what = err.syscall === 'open' ? `Cannot create namespace file "${NETNS_DIR}/${names[k]}"` : `netns add "${names[k]}": ${err.syscall}`;
  if (err.errno !== ECANCELED) b.refuseSys(from + k, what, err);
  return from + k + 1;
}

function netnsDel(b: Batch, addon: Addon, i: number, name: string): void {
  if (isPathRef(name)) return b.refuse(i, `netns del "${name}": an adopted namespace is never deleted`, 'invalid');
  const [err] = addon.netnsDel([nsPath(name)]);
  if (err) b.refuseSys(i, `Cannot remove namespace file "${nsPath(name)}"`, err);
}

/** A sysctl of the namespace: netd's own from this thread, another's from a thread inside it. */
function sysctl(b: Batch, addon: Addon, i: number, ns: NsRef | undefined, key: string, value: string): void {
  const path = sysctlPath(key, value);
  if (ns !== undefined) {
    const [err] = addon.writeIn(nsPath(ns), path, value);
    if (err) b.refuseSys(i, `sysctl ${key}`, err);
    return;
  }
  try {
    writeFileSync(path, value);
  } catch (e) {
    b.refuseSys(i, `sysctl ${key}`, e as NodeJS.ErrnoException);
  }
}

/**
 * Applies ops through a socket in their namespace, in order; the first refusal throws a
 * KernelError pinned to its op (`opIndex`, the `ip` line as `op`), the ops before it applied.
 * With `force`, every op is tried and the first refusal thrown after.
 */
export function applyOps(addon: Addon, fd: number, ns: NsRef | undefined, ops: readonly KernelOp[], opts: { force?: boolean } = {}): void {
  const lines = ops.map((op) => renderOp(op).join('; ')); // validates names and addresses, as the ip path does
  const b = new Batch(addon, fd, ns, lines, opts.force === true);
  try {
    for (let i = 0; i < ops.length;) {
      const op = ops[i]!;
      if (isRtnl(op)) {
        b.queue(i++, op);
        continue;
      }
      b.flush();
      if (op.op === 'netns-add') i = netnsAdd(b, addon, ops, i);
      else if (op.op === 'netns-del') netnsDel(b, addon, i++, op.name);
      else if (op.op === 'sysctl') sysctl(b, addon, i++, ns, op.key, op.value);
    }
    b.flush();
  } finally {
    b.dispose();
  }
  if (b.first) throw b.first;
}

/** The addon, when the netlink applier takes the work: it loaded and the runner is the real kernel. */
export function netlinkWriter(runner: Runner): Addon | undefined {
  const status = netlinkStatus();
  return status.loaded && realKernel(runner) ? status.addon : undefined;
}

/** Runs fn with a socket in a namespace (undefined: netd's own; the one opened ahead, if any), then closes it. */
export function withSocket<T>(addon: Addon, ns: NsRef | undefined, fn: (fd: number) => T, ahead?: SocketsAhead): T {
  const early = ns === undefined ? undefined : ahead?.take(ns);
  const [fd] = early === undefined ? addon.open([ns === undefined ? null : nsPath(ns)]) : [early];
  if (typeof fd !== 'number') throw netlinkError(`open ${ns ?? 'own namespace'}`, fd?.errno ?? 0, fd?.message, fd);
  try {
    return fn(fd);
  } finally {
    addon.close(fd);
  }
}
