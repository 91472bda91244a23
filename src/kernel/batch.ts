/**
 * Many operations, one process: an `IpBatch` collects iproute2 lines and `runBatch` feeds
 * them to one `ip [-n NS] -batch -` (no -force: the first failing line stops the batch, and
 * the error names that line; the lines before it were applied). FDB entries belong to the
 * `bridge` tool, so they are collected apart and run after the ip lines, in a second process.
 */
import { availableParallelism } from 'node:os';
import { KernelError, type Runner } from './exec.js';
import { checkCidr as cidr, checkIfName, checkInt, checkIp as ip, checkMac, checkWord } from './names.js';
import { ipArgv, netnsArg, nsExecArgv, type NsRef } from './netns.js';

/** The rtnetlink protocol number on every route netd adds, so its routes can be told apart. */
export const NETD_PROTO = 78;

export interface LinkCommon {
  mtu?: number;
  mac?: string;
  alias?: string;
  up?: boolean;
}

export interface VethOptions extends LinkCommon {
  /** Create the peer directly inside this namespace. */
  peerNetns?: NsRef;
  peerMac?: string;
  peerMtu?: number;
}

export interface VxlanOptions {
  vni: number;
  port: number;
  local?: string;
  dev?: string;
  learning?: boolean;
  mtu?: number;
  mac?: string;
  alias?: string;
  up?: boolean;
}

export interface LinkSetOptions {
  /** A bridge name, or null for nomaster. */
  master?: string | null;
  up?: boolean;
  mtu?: number;
  mac?: string;
  alias?: string;
  /** Rename (the link must be down). */
  name?: string;
  netns?: NsRef;
}

export interface RouteSpec {
  dst: string; // 'default' or a CIDR
  via?: string;
  dev?: string;
  proto?: number;
  metric?: number;
  family?: 4 | 6;
}

function common(o: LinkCommon): string[] {
  const w: string[] = [];
  if (o.mtu !== undefined) w.push('mtu', String(checkInt(o.mtu, 68, 65535, 'mtu')));
  if (o.mac !== undefined) w.push('address', checkMac(o.mac));
  return w;
}

function aliasWords(o: { alias?: string }): string[] {
  return o.alias !== undefined ? ['alias', checkWord(o.alias, 'alias')] : [];
}

export class IpBatch {
  private readonly ip: string[] = [];
  private readonly bridge: string[] = [];

  private add(words: string[]): this {
    this.ip.push(words.join(' '));
    return this;
  }

  /** `link add` ignores `alias`, so it is set by a second line. */
  private create(name: string, o: LinkCommon, type: string[]): this {
    this.add(['link', 'add', checkIfName(name), ...common(o), ...(o.up ? ['up'] : []), 'type', ...type]);
    return o.alias !== undefined ? this.add(['link', 'set', 'dev', name, ...aliasWords(o)]) : this;
  }

  get size(): number {
    return this.ip.length + this.bridge.length;
  }

  lines(): string[] {
    return [...this.ip];
  }

  bridgeLines(): string[] {
    return [...this.bridge];
  }

  netnsAdd(name: string): this {
    return this.add(['netns', 'add', netnsArg(name)]);
  }

  linkAddBridge(name: string, o: LinkCommon = {}): this {
    return this.create(name, o, ['bridge']);
  }

  linkAddVeth(name: string, peer: string, o: VethOptions = {}): this {
    const p: string[] = ['peer', 'name', checkIfName(peer, 'peer name')];
    if (o.peerNetns !== undefined) p.push('netns', netnsArg(o.peerNetns));
    if (o.peerMac !== undefined) p.push('address', checkMac(o.peerMac));
    if (o.peerMtu !== undefined) p.push('mtu', String(checkInt(o.peerMtu, 68, 65535, 'mtu')));
    return this.create(name, o, ['veth', ...p]);
  }

  linkAddVxlan(name: string, o: VxlanOptions): this {
    const w = ['vxlan', 'id', String(checkInt(o.vni, 0, 16777215, 'vni')), 'dstport', String(checkInt(o.port, 1, 65535, 'port'))];
    if (o.local !== undefined) w.push('local', ip(o.local, 'local address'));
    if (o.dev !== undefined) w.push('dev', checkIfName(o.dev));
    if (o.learning === false) w.push('nolearning');
    return this.create(name, o, w);
  }

  linkSet(name: string, o: LinkSetOptions): this {
    const w = ['link', 'set', 'dev', checkIfName(name)];
    if (o.master === null) w.push('nomaster');
    else if (o.master !== undefined) w.push('master', checkIfName(o.master, 'bridge name'));
    w.push(...common(o), ...aliasWords(o));
    if (o.name !== undefined) w.push('name', checkIfName(o.name));
    if (o.netns !== undefined) w.push('netns', netnsArg(o.netns));
    if (o.up !== undefined) w.push(o.up ? 'up' : 'down');
    return this.add(w);
  }

  linkDel(name: string): this {
    return this.add(['link', 'del', 'dev', checkIfName(name)]);
  }

  private addr(verb: string, dev: string, c: string, o: { nodad?: boolean }): this {
    return this.add(['addr', verb, cidr(c, 'address'), 'dev', checkIfName(dev), ...(o.nodad ? ['nodad'] : [])]);
  }
  addrAdd(dev: string, c: string, o: { nodad?: boolean } = {}): this {
    return this.addr('add', dev, c, o);
  }
  addrReplace(dev: string, c: string, o: { nodad?: boolean } = {}): this {
    return this.addr('replace', dev, c, o);
  }
  addrDel(dev: string, c: string): this {
    return this.addr('del', dev, c, {});
  }

  private route(verb: string, r: RouteSpec): this {
    const v6 = r.family === 6 || (r.dst !== 'default' && r.dst.includes(':')) || (r.via?.includes(':') ?? false);
    // Batch lines take no -6 flag, so a v6 default is spelled ::/0.
    const dst = r.dst === 'default' ? (v6 ? '::/0' : '0.0.0.0/0') : cidr(r.dst, 'route destination');
    const w = ['route', verb, dst];
    if (r.via !== undefined) w.push('via', ip(r.via, 'gateway'));
    if (r.dev !== undefined) w.push('dev', checkIfName(r.dev));
    w.push('proto', String(checkInt(r.proto ?? NETD_PROTO, 0, 255, 'route protocol')));
    if (r.metric !== undefined) w.push('metric', String(checkInt(r.metric, 0, 2 ** 32 - 1, 'metric')));
    return this.add(w);
  }
  routeAdd(r: RouteSpec): this {
    return this.route('add', r);
  }
  routeReplace(r: RouteSpec): this {
    return this.route('replace', r);
  }
  routeDel(r: RouteSpec): this {
    return this.route('del', r);
  }

  neighReplace(dev: string, addr: string, mac: string): this {
    return this.add(['neigh', 'replace', ip(addr, 'neighbour'), 'lladdr', checkMac(mac), 'dev', checkIfName(dev), 'nud', 'permanent']);
  }
  neighDel(dev: string, addr: string): this {
    return this.add(['neigh', 'del', ip(addr, 'neighbour'), 'dev', checkIfName(dev)]);
  }

  fdbAppend(dev: string, mac: string, dst: string): this {
    this.bridge.push(['fdb', 'append', checkMac(mac), 'dev', checkIfName(dev), 'dst', ip(dst, 'fdb destination'), 'self', 'permanent'].join(' '));
    return this;
  }
  fdbDel(dev: string, mac: string, dst?: string): this {
    const w = ['fdb', 'del', checkMac(mac), 'dev', checkIfName(dev)];
    if (dst !== undefined) w.push('dst', ip(dst, 'fdb destination'));
    this.bridge.push([...w, 'self'].join(' '));
    return this;
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
 * Runs raw batch lines in one namespace; with `force`, ip goes on past failing lines (for
 * best-effort undo). A failure is a KernelError naming the failed line (1-based `line`).
 */
export async function runLines(runner: Runner, ns: NsRef | undefined, lines: readonly string[], opts: { force?: boolean } = {}): Promise<void> {
  await feed(runner, ipArgv(ns, [...(opts.force ? ['-force'] : []), '-batch', '-']), [...lines]);
}

/** Runs a batch in one namespace (undefined: the current one); an empty batch spawns nothing. */
export async function runBatch(runner: Runner, ns: NsRef | undefined, batch: IpBatch): Promise<void> {
  await feed(runner, ipArgv(ns, ['-batch', '-']), batch.lines());
  await feed(runner, nsExecArgv(ns, ['bridge', '-batch', '-']), batch.bridgeLines());
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
