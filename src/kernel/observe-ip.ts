/**
 * Observation: a typed snapshot of the host namespace and of the namespaces netd asks about.
 * Each namespace costs one `ip -details -json -batch -` process (links, addresses, routes in
 * one go, with the permanent neighbour entries), plus one `bridge -json -batch -` for the FDB
 * entries when the namespace holds a vxlan device; namespaces are read in parallel. The
 * `Observer` interface is the seam with the rtnetlink observer (netlink/observer.ts), which
 * reads the same rows in netd's own process; this one is its fallback and its test oracle.
 */
import { KernelError, type Runner } from './exec.js';
import { feed, mapPool, runOps, DEFAULT_PARALLEL } from './batch.js';
import { NETD_PROTO, renderOps, type KernelOp } from './ops.js';
import type { AddressView, FdbView, LinkView, NamespaceView, NeighbourView, RouteView } from '../state/view.js';
import { readdir } from 'node:fs/promises';
import { ipArgv, isPathRef, nsExecArgv, NETNS_DIR, type NsRef, type NamedNamespace } from './netns.js';

/** What an observer reads: the view types with the fields ip always reports. */
export interface ObservedLink extends LinkView {
  readonly index: number;
  readonly kind: string;
  readonly mtu: number;
  readonly mac: string;
  readonly operstate: string;
}
export interface ObservedAddress extends AddressView {
  readonly family: 4 | 6;
  readonly scope: string;
}
export interface ObservedRoute extends RouteView {
  readonly proto: string;
  readonly table: string;
}
export interface ObservedNamespace extends NamespaceView {
  readonly links: ObservedLink[];
  readonly addresses: ObservedAddress[];
  readonly routes: ObservedRoute[];
}

export interface ObservedState {
  links: ObservedLink[];
  addresses: ObservedAddress[];
  /** Host routes netd added (protocol NETD_PROTO), any table. */
  routes: ObservedRoute[];
  /** Permanent neighbour entries and the FDB entries of vxlan devices (unset: not read). */
  neighbours?: readonly NeighbourView[];
  fdb?: readonly FdbView[];
  namespaces: NamedNamespace[];
  /** For each namespace asked about: its view, or null when it does not exist. */
  views: Map<NsRef, ObservedNamespace | null>;
}

/**
 * `linksOnly`: namespaces about to be deleted whole, of which only the links are needed (whose
 * veth is whose, by their marks): their views may come without addresses, routes and
 * neighbours (this observer reads them all the same).
 */
export interface ObserveQuery {
  readonly namespaces: NsRef[];
  readonly linksOnly?: ReadonlySet<NsRef>;
}

export interface Observer {
  observe(q: ObserveQuery): Promise<ObservedState>;
}

// ---- parsing `ip -json -details` ----------------------------------------------------------

/** The fields netd reads from the rows of `ip -json -details link/addr/route/netns show`. */
export interface IpLinkJson {
  ifname: string;
  ifindex: number;
  mtu: number;
  address?: string;
  flags?: string[];
  operstate?: string;
  master?: string;
  ifalias?: string;
  link_index?: number;
  link_netnsid?: number;
  linkinfo?: { info_kind?: string; info_data?: IpVxlanJson; info_slave_kind?: string; info_slave_data?: { hairpin?: boolean } };
}
export interface IpVxlanJson {
  id: number;
  port: number;
  learning?: boolean;
  local?: string;
  link?: string;
}
export interface IpAddrJson {
  ifname: string;
  addr_info?: { local: string; prefixlen: number; family: string; scope?: string }[];
}
export interface IpRouteJson {
  dst: string;
  type?: string;
  gateway?: string;
  pref?: string;
  protocol?: string | number;
  table?: string;
  dev?: string;
  metric?: number;
  flags?: string[];
}
export interface IpNeighJson {
  dst: string;
  dev: string;
  lladdr?: string;
  state?: string[];
}
export interface IpFdbJson {
  mac: string;
  dst?: string;
}
interface IpNetnsJson {
  name: string;
  id?: number;
}

export function parseLink(j: IpLinkJson): ObservedLink {
  const info: NonNullable<IpLinkJson['linkinfo']> = j.linkinfo ?? {};
  const kind: string = info.info_kind ?? 'device';
  const d = (info.info_data ?? {}) as IpVxlanJson;
  return {
    name: j.ifname,
    index: j.ifindex,
    kind,
    mtu: j.mtu,
    mac: String(j.address ?? '').toLowerCase(),
    up: Array.isArray(j.flags) && j.flags.includes('UP'),
    operstate: j.operstate ?? 'UNKNOWN',
    ...(j.master !== undefined ? { master: j.master } : {}),
    ...(j.ifalias !== undefined && j.ifalias !== '' ? { alias: j.ifalias } : {}),
    ...(kind === 'veth' && j.link_index !== undefined ? { peerIndex: j.link_index } : {}),
    ...(j.link_netnsid !== undefined ? { peerNetnsId: j.link_netnsid } : {}),
    ...(kind === 'vxlan'
      ? {
          vxlan: {
            vni: d.id,
            port: d.port,
            learning: d.learning !== false,
            ...(d.local !== undefined ? { local: d.local } : {}),
            ...(d.link !== undefined ? { dev: d.link } : {}),
          },
        }
      : {}),
    ...(info.info_slave_kind === 'bridge' ? { hairpin: info.info_slave_data?.hairpin === true } : {}),
  };
}

export function parseAddresses(rows: IpAddrJson[]): ObservedAddress[] {
  return rows.flatMap((r) =>
    (r.addr_info ?? []).map((a) => ({
      dev: r.ifname,
      cidr: `${a.local}/${a.prefixlen}`,
      family: a.family === 'inet6' ? (6 as const) : (4 as const),
      scope: a.scope ?? 'global',
    })),
  );
}

export function parseRoute(j: IpRouteJson, proto?: string): ObservedRoute {
  const raw = j.dst;
  const family = raw.includes(':') || String(j.gateway ?? '').includes(':') || j.pref !== undefined ? 6 : 4;
  return {
    dst: raw === '0.0.0.0/0' || raw === '::/0' ? 'default' : raw,
    family,
    proto: j.protocol !== undefined ? String(j.protocol) : (proto ?? 'unknown'),
    table: j.table ?? 'main',
    ...(j.gateway !== undefined ? { via: j.gateway } : {}),
    ...(j.dev !== undefined ? { dev: j.dev } : {}),
    ...(j.metric !== undefined ? { metric: j.metric } : {}),
    ...(j.flags?.includes('onlink') ? { onlink: true } : {}),
  };
}

export const parseNeighbours = (rows: IpNeighJson[]): NeighbourView[] =>
  rows
    .filter((r) => r.lladdr !== undefined)
    .map((r) => ({ dev: r.dev, addr: r.dst, mac: r.lladdr!.toLowerCase(), permanent: r.state?.includes('PERMANENT') ?? false }));

/** `ip -json -batch` prints one JSON array per command, one per line. */
export function splitJsonLines(stdout: string): unknown[][] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown[]);
}

export function parseView(stdout: string, proto?: string): ObservedNamespace {
  const [links = [], addrs = [], routes = [], neigh] = splitJsonLines(stdout) as [IpLinkJson[]?, IpAddrJson[]?, IpRouteJson[]?, IpNeighJson[]?];
  return parseRows(links, addrs, routes, neigh, proto);
}

/** A namespace's view from the rows of `link show`, `addr show`, `route show table all` and `neigh show` (proto: the host's, netd's routes only). */
export function parseRows(links: IpLinkJson[], addrs: IpAddrJson[], routes: IpRouteJson[], neigh?: IpNeighJson[], proto?: string): ObservedNamespace {
  return {
    links: links.map(parseLink).sort((a, b) => a.index - b.index),
    addresses: parseAddresses(addrs),
    routes: routes
      .filter((r) => (r.type ?? 'unicast') === 'unicast')
      .map((r) => parseRoute(r, proto))
      .filter((r) => proto !== undefined || r.table === 'main'),
    ...(neigh ? { neighbours: parseNeighbours(neigh) } : {}),
  };
}

/** The FDB entries of a namespace's vxlan devices (none: no process). */
async function readFdb(runner: Runner, ns: NsRef | undefined, links: readonly LinkView[]): Promise<FdbView[]> {
  const devs = links.filter((l) => l.kind === 'vxlan').map((l) => l.name);
  const out = await feed(
    runner,
    nsExecArgv(ns, ['bridge', '-json', '-batch', '-']),
    devs.map((d) => `fdb show dev ${d}`),
  );
  return splitJsonLines(out).flatMap((rows, i) => parseFdb(devs[i]!, rows as IpFdbJson[]));
}

export const parseFdb = (dev: string, rows: IpFdbJson[]): FdbView[] => rows.map((r) => ({ dev, mac: r.mac.toLowerCase(), ...(r.dst ? { dst: r.dst } : {}) }));

/** A namespace's view with its FDB entries. */
async function withFdb(runner: Runner, ns: NsRef | undefined, view: ObservedNamespace): Promise<ObservedNamespace> {
  return view.links.some((l) => l.kind === 'vxlan') ? { ...view, fdb: await readFdb(runner, ns, view.links) } : view;
}

// ---- the iproute2 observer ---------------------------------------------------------------

const NEIGH_LINE = 'neigh show nud permanent';
const VIEW_LINES = ['link show', 'addr show', 'route show table all', NEIGH_LINE];
const VIEW_CMDS = VIEW_LINES.join('\n') + '\n';

/**
 * Runs ops in a namespace and reads the namespace back in the same process (the view
 * commands go last): what a write left behind, without a second process. A failure is pinned
 * to its op (`opIndex`), as runOps does.
 */
export async function ipRunOpsAndView(runner: Runner, ns: NsRef, ops: readonly KernelOp[]): Promise<ObservedNamespace> {
  const { lines, opOf } = renderOps(ops, 'ip');
  const bridge = ops.filter((o) => o.op.startsWith('fdb-'));
  let out: string;
  try {
    out = await feed(runner, ipArgv(ns, ['-details', '-json', '-batch', '-']), [...lines, ...VIEW_LINES]);
  } catch (e) {
    if (e instanceof KernelError && e.line !== undefined && e.line <= lines.length) throw e.at(opOf[e.line - 1]);
    throw e;
  }
  if (bridge.length > 0) await runOps(runner, ns, bridge);
  return parseView(out);
}
const HOST_CMDS = `link show\naddr show\nroute show table all proto ${NETD_PROTO}\n${NEIGH_LINE}\nnetns list\n`;

/** The names under /run/netns (what `ip netns list` reads); empty when the directory is missing. */
export async function namedNamespaces(): Promise<Set<string>> {
  try {
    return new Set(await readdir(NETNS_DIR));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw e;
  }
}

export class IpObserver implements Observer {
  constructor(
    private readonly runner: Runner,
    private readonly opts: { parallel?: number } = {},
  ) {}

  async observe(q: ObserveQuery): Promise<ObservedState> {
    // A named namespace missing from /run/netns needs no process to learn it is missing (a
    // cold apply of N containers would otherwise spawn N `ip -n` that fail).
    const present = await namedNamespaces();
    const look = (ns: NsRef): Promise<ObservedNamespace | null> => (isPathRef(ns) || present.has(ns) ? this.view(ns) : Promise.resolve(null));
    const [host, views] = await Promise.all([this.host(), mapPool(q.namespaces, this.opts.parallel ?? DEFAULT_PARALLEL, look)]);
    return { ...host, views: new Map(q.namespaces.map((ns, i) => [ns, views[i]!])) };
  }

  private async host(): Promise<Omit<ObservedState, 'views'>> {
    const { stdout } = await this.runner.run(ipArgv(undefined, ['-details', '-json', '-batch', '-']), { input: HOST_CMDS });
    const view = await withFdb(this.runner, undefined, parseView(stdout, String(NETD_PROTO)));
    const netns = (splitJsonLines(stdout)[4] ?? []) as IpNetnsJson[];
    const namespaces = netns.map((n) => (n.id === undefined ? { name: n.name } : { name: n.name, id: n.id })).sort((a, b) => a.name.localeCompare(b.name));
    return { ...view, namespaces };
  }

  /**
   * One namespace's view, or null when it does not exist or is not a namespace: a file under
   * /run/netns that setns refuses is what `ip netns add` leaves when killed before its bind
   * mount (it stays listed by `netns list`; `netns del` removes it).
   */
  async view(ns: NsRef): Promise<ObservedNamespace | null> {
    try {
      const { stdout } = await this.runner.run(ipArgv(ns, ['-details', '-json', '-batch', '-']), { input: VIEW_CMDS });
      return await withFdb(this.runner, ns, parseView(stdout));
    } catch (e) {
      if (e instanceof KernelError && (e.kind === 'not-found' || /setting the network namespace .* failed: Invalid argument/.test(e.stderr))) return null;
      throw e;
    }
  }
}
