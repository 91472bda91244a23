/**
 * Many operations, one process: an `IpBatch` collects typed ops (ops.ts) and `runOps` renders
 * them for one `ip [-n NS] -batch -` (no -force: the first failing line stops the batch, and
 * the error names that line and its op; the lines before it were applied). FDB entries belong
 * to the `bridge` tool, so they are rendered apart and run after the ip lines, in a second
 * process.
 */
import { availableParallelism } from 'node:os';
import { KernelError, type Runner } from './exec.js';
import { ipArgv, nsExecArgv, type NsRef } from './netns.js';
import { writeSysctl } from './sysctl.js';
import { applyOps, netlinkWriter, withSocket } from './netlink/apply.js';
import type { SocketsAhead } from './netlink/ahead.js';
import { NETD_PROTO, renderOp, renderOps, type KernelOp, type LinkAttrs, type LinkChanges, type RouteAttrs, type VxlanAttrs } from './ops.js';

export type LinkCommon = LinkAttrs;
export interface VethOptions extends LinkAttrs {
  /** Create the peer directly inside this namespace. */
  peerNetns?: NsRef;
  peerMac?: string;
  peerMtu?: number;
}
export type VxlanOptions = VxlanAttrs & LinkAttrs;
export type LinkSetOptions = Omit<LinkChanges, 'rename'> & { name?: string };
export type RouteSpec = RouteAttrs;

/** A builder of ops for one namespace; each op is rendered once on the way in, so a bad name throws here. */
export class IpBatch {
  private readonly queued: KernelOp[] = [];

  constructor(private readonly ns?: NsRef) {}

  private add(op: KernelOp): this {
    renderOp(op);
    this.queued.push(op);
    return this;
  }

  get size(): number {
    return this.queued.length;
  }

  ops(): KernelOp[] {
    return [...this.queued];
  }

  lines(): string[] {
    return renderOps(this.queued, 'ip').lines;
  }

  bridgeLines(): string[] {
    return renderOps(this.queued, 'bridge').lines;
  }

  netnsAdd(name: string): this {
    return this.add({ op: 'netns-add', name });
  }

  linkAddBridge(name: string, o: LinkAttrs = {}): this {
    return this.add({ op: 'link-add', kind: 'bridge', name, ns: this.ns, ...o });
  }

  linkAddVeth(name: string, peer: string, o: VethOptions = {}): this {
    const { peerNetns, peerMac, peerMtu, ...link } = o;
    const p = { name: peer, ...(peerNetns !== undefined ? { ns: peerNetns } : {}), ...(peerMac ? { mac: peerMac } : {}), ...(peerMtu ? { mtu: peerMtu } : {}) };
    return this.add({ op: 'link-add', kind: 'veth', name, ns: this.ns, peer: p, ...link });
  }

  linkAddVxlan(name: string, o: VxlanOptions): this {
    const { vni, port, local, dev, learning, ...link } = o;
    const vxlan = {
      vni,
      port,
      ...(local !== undefined ? { local } : {}),
      ...(dev !== undefined ? { dev } : {}),
      ...(learning !== undefined ? { learning } : {}),
    };
    return this.add({ op: 'link-add', kind: 'vxlan', name, ns: this.ns, vxlan, ...link });
  }

  linkSet(name: string, o: LinkSetOptions): this {
    const { name: rename, ...rest } = o;
    return this.add({ op: 'link-set', name, ns: this.ns, ...rest, ...(rename !== undefined ? { rename } : {}) });
  }

  linkDel(name: string): this {
    return this.add({ op: 'link-del', name, ns: this.ns });
  }

  addrAdd(dev: string, cidr: string, o: { nodad?: boolean } = {}): this {
    return this.add({ op: 'addr-add', dev, cidr, ns: this.ns, ...o });
  }
  addrReplace(dev: string, cidr: string, o: { nodad?: boolean } = {}): this {
    return this.add({ op: 'addr-replace', dev, cidr, ns: this.ns, ...o });
  }
  addrDel(dev: string, cidr: string): this {
    return this.add({ op: 'addr-del', dev, cidr, ns: this.ns });
  }

  routeAdd(r: RouteSpec): this {
    return this.add({ op: 'route-add', ns: this.ns, ...r, proto: r.proto ?? NETD_PROTO });
  }
  routeReplace(r: RouteSpec): this {
    return this.add({ op: 'route-replace', ns: this.ns, ...r, proto: r.proto ?? NETD_PROTO });
  }
  routeDel(r: RouteSpec): this {
    return this.add({ op: 'route-del', ns: this.ns, ...r, proto: r.proto ?? NETD_PROTO });
  }

  neighReplace(dev: string, addr: string, mac: string): this {
    return this.add({ op: 'neigh-replace', dev, addr, mac, ns: this.ns });
  }
  neighDel(dev: string, addr: string): this {
    return this.add({ op: 'neigh-del', dev, addr, ns: this.ns });
  }

  fdbAppend(dev: string, mac: string, dst: string): this {
    return this.add({ op: 'fdb-append', dev, mac, dst, ns: this.ns });
  }
  fdbDel(dev: string, mac: string, dst?: string): this {
    return this.add({ op: 'fdb-del', dev, mac, ns: this.ns, ...(dst !== undefined ? { dst } : {}) });
  }
}

/** Feeds lines to one batch process; returns its stdout. A failure names the failed line. */
export async function feed(runner: Runner, argv: string[], lines: string[]): Promise<string> {
  if (lines.length === 0) return '';
  try {
    return (await runner.run(argv, { input: lines.join('\n') + '\n', write: true })).stdout;
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    const m = /Command failed -:(\d+)/.exec(e.stderr);
    const line = m ? Number(m[1]) : undefined;
    const op = line !== undefined ? lines[line - 1] : undefined;
    throw new KernelError({ argv: e.argv, stderr: e.stderr, exitCode: e.exitCode, kind: e.kind, op, line, cause: e });
  }
}

/**
 * Runs ops in one namespace (undefined: the host's): through the netlink applier when the
 * addon loaded (one socket, no process), else the ip lines in one process, then the FDB lines
 * in a `bridge` one. With `force`, the ops go on past failing ones (for best-effort undo). A
 * failure is a KernelError naming the failed line and `opIndex`, the index of its op in `ops`
 * (the ops before it were applied).
 */
export async function runOps(
  runner: Runner,
  ns: NsRef | undefined,
  ops: readonly KernelOp[],
  opts: { force?: boolean; ahead?: SocketsAhead | undefined } = {},
): Promise<void> {
  const netlink = ops.length === 0 ? undefined : netlinkWriter(runner);
  if (netlink) {
    runner.note?.('netlink apply', true);
    return withSocket(netlink, ns, (fd) => applyOps(netlink, fd, ns, ops, opts), opts.ahead);
  }
  for (const tool of ['ip', 'bridge'] as const) {
    const { lines, opOf } = renderOps(ops, tool);
    const argv =
      tool === 'ip'
        ? ipArgv(ns, [...(opts.force ? ['-force'] : []), '-batch', '-'])
        : nsExecArgv(ns, ['bridge', ...(opts.force ? ['-force'] : []), '-batch', '-']);
    try {
      await feed(runner, argv, lines);
    } catch (e) {
      if (e instanceof KernelError && e.line !== undefined) throw e.at(opOf[e.line - 1]);
      throw e;
    }
  }
  for (const [i, op] of ops.entries()) {
    if (op.op !== 'sysctl') continue;
    try {
      await writeSysctl(runner, ns, op.key, op.value);
    } catch (e) {
      if (!opts.force) throw e instanceof KernelError ? e.at(i) : e;
    }
  }
}

/** Runs a batch in one namespace (undefined: the current one); an empty batch spawns nothing. */
export async function runBatch(runner: Runner, ns: NsRef | undefined, batch: IpBatch): Promise<void> {
  await runOps(runner, ns, batch.ops());
}

export const DEFAULT_PARALLEL = Math.max(4, Math.min(16, availableParallelism() * 2));

/**
 * Maps with at most `limit` tasks in flight. On the first failure no new task starts; the
 * running ones settle, then the first error is thrown (so nothing is still changing the
 * kernel when the caller starts undoing).
 */
export async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return out;
}

export interface BatchPlan {
  host?: IpBatch;
  namespaces: Map<NsRef, IpBatch>;
}

/** The host batch first (it creates what namespaces refer to), then the namespaces in parallel. */
export async function runBatches(runner: Runner, plan: BatchPlan, opts: { parallel?: number } = {}): Promise<void> {
  if (plan.host) await runBatch(runner, undefined, plan.host);
  const entries = [...plan.namespaces].filter(([, b]) => b.size > 0);
  await mapPool(entries, opts.parallel ?? DEFAULT_PARALLEL, ([ns, b]) => runBatch(runner, ns, b));
}
