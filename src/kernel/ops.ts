/**
 * Kernel work as data (STYLE.md 15): a union of typed ops, each naming the namespace it runs
 * in (`ns` undefined: the host namespace netd runs in). Code above the kernel layer builds
 * ops; only this layer turns them into something the kernel takes — `ip -batch` and
 * `bridge -batch` lines here (the fallback and the test oracle), netlink later.
 *
 * Rendering validates every name, address and number (names.ts), so an op that renders is
 * safe to hand to a command line.
 */
import { checkCidr as cidr, checkIfName, checkInt, checkIp as ip, checkMac, checkWord } from './names.js';
import { netnsArg, type NsRef } from './netns.js';

/** The rtnetlink protocol number on every route netd adds, so its routes can be told apart. */
export const NETD_PROTO = 78;

interface At {
  /** The namespace the op runs in; undefined: the host's. */
  readonly ns?: NsRef | undefined;
}

export interface LinkAttrs {
  readonly mtu?: number;
  readonly mac?: string;
  readonly alias?: string;
  readonly up?: boolean;
}

export interface VethPeer {
  readonly name: string;
  /** Create the peer directly inside this namespace. */
  readonly ns?: NsRef;
  readonly mac?: string;
  readonly mtu?: number;
}

export interface VxlanAttrs {
  readonly vni: number;
  readonly port: number;
  readonly local?: string;
  readonly dev?: string;
  readonly learning?: boolean;
}

export interface LinkChanges extends LinkAttrs {
  /** A bridge name, or null for nomaster. */
  readonly master?: string | null;
  /** A bridge port's hairpin mode (Docker sets it for a container to reach its own published port through br_netfilter). */
  readonly hairpin?: boolean;
  /** Rename (the link must be down). */
  readonly rename?: string;
  readonly netns?: NsRef;
}

export interface RouteAttrs {
  /** 'default' or a CIDR */
  readonly dst: string;
  readonly via?: string;
  readonly dev?: string;
  readonly proto?: number;
  readonly metric?: number;
  readonly family?: 4 | 6;
  /** The gateway is on the link even though no route covers it (a vxlan peer's `.0`). */
  readonly onlink?: boolean;
}

export type KernelOp =
  | ({ readonly op: 'netns-add' | 'netns-del'; readonly name: string } & At)
  | ({ readonly op: 'link-add'; readonly name: string; readonly kind: 'bridge' } & LinkAttrs & At)
  | ({ readonly op: 'link-add'; readonly name: string; readonly kind: 'veth'; readonly peer: VethPeer } & LinkAttrs & At)
  | ({ readonly op: 'link-add'; readonly name: string; readonly kind: 'vxlan'; readonly vxlan: VxlanAttrs } & LinkAttrs & At)
  | ({ readonly op: 'link-set'; readonly name: string } & LinkChanges & At)
  | ({ readonly op: 'link-del'; readonly name: string } & At)
  | ({ readonly op: 'addr-add' | 'addr-replace' | 'addr-del'; readonly dev: string; readonly cidr: string; readonly nodad?: boolean } & At)
  | ({ readonly op: 'route-add' | 'route-replace' | 'route-del' } & RouteAttrs & At)
  | ({ readonly op: 'neigh-replace'; readonly dev: string; readonly addr: string; readonly mac: string } & At)
  | ({ readonly op: 'neigh-del'; readonly dev: string; readonly addr: string } & At)
  | ({ readonly op: 'fdb-append' | 'fdb-del'; readonly dev: string; readonly mac: string; readonly dst?: string } & At)
  | ({ readonly op: 'sysctl'; readonly key: string; readonly value: string } & At);

export type OpName = KernelOp['op'];

/** Ops that remove something: removing what is already gone is success (like CNI DEL). */
export const isRemoval = (op: KernelOp): boolean => op.op.endsWith('-del');

export type Tool = 'ip' | 'bridge' | 'sysctl';

/** The tool that takes the op. */
export const toolOf = (op: KernelOp): Tool => (op.op.startsWith('fdb-') ? 'bridge' : op.op === 'sysctl' ? 'sysctl' : 'ip');

function attrs(o: LinkAttrs): string[] {
  const w: string[] = [];
  if (o.mtu !== undefined) w.push('mtu', String(checkInt(o.mtu, 68, 65535, 'mtu')));
  if (o.mac !== undefined) w.push('address', checkMac(o.mac));
  return w;
}

function linkAdd(op: Extract<KernelOp, { op: 'link-add' }>): string[] {
  const type: string[] = [op.kind];
  if (op.kind === 'veth') {
    const p = op.peer;
    type.push('peer', 'name', checkIfName(p.name, 'peer name'));
    if (p.ns !== undefined) type.push('netns', netnsArg(p.ns));
    if (p.mac !== undefined) type.push('address', checkMac(p.mac));
    if (p.mtu !== undefined) type.push('mtu', String(checkInt(p.mtu, 68, 65535, 'mtu')));
  } else if (op.kind === 'vxlan') {
    const v = op.vxlan;
    type.push('id', String(checkInt(v.vni, 0, 16777215, 'vni')), 'dstport', String(checkInt(v.port, 1, 65535, 'port')));
    if (v.local !== undefined) type.push('local', ip(v.local, 'local address'));
    if (v.dev !== undefined) type.push('dev', checkIfName(v.dev));
    if (v.learning === false) type.push('nolearning');
  }
  const add = ['link', 'add', checkIfName(op.name), ...attrs(op), ...(op.up ? ['up'] : []), 'type', ...type].join(' ');
  // `link add` ignores `alias`: it is set by a second line.
  return op.alias !== undefined ? [add, `link set dev ${op.name} alias ${checkWord(op.alias, 'alias')}`] : [add];
}

function linkSet(op: Extract<KernelOp, { op: 'link-set' }>): string {
  const w = ['link', 'set', 'dev', checkIfName(op.name)];
  if (op.master === null) w.push('nomaster');
  else if (op.master !== undefined) w.push('master', checkIfName(op.master, 'bridge name'));
  w.push(...attrs(op));
  if (op.alias !== undefined) w.push('alias', checkWord(op.alias, 'alias'));
  if (op.rename !== undefined) w.push('name', checkIfName(op.rename));
  if (op.netns !== undefined) w.push('netns', netnsArg(op.netns));
  if (op.up !== undefined) w.push(op.up ? 'up' : 'down');
  return w.join(' ');
}

function route(op: Extract<KernelOp, { op: 'route-add' | 'route-replace' | 'route-del' }>): string {
  const v6 = op.family === 6 || (op.dst !== 'default' && op.dst.includes(':')) || (op.via?.includes(':') ?? false);
  // Batch lines take no -6 flag, so a v6 default is spelled ::/0.
  const dst = op.dst === 'default' ? (v6 ? '::/0' : '0.0.0.0/0') : cidr(op.dst, 'route destination');
  const w = ['route', op.op.slice('route-'.length), dst];
  if (op.via !== undefined) w.push('via', ip(op.via, 'gateway'));
  if (op.dev !== undefined) w.push('dev', checkIfName(op.dev));
  if (op.op !== 'route-del' || op.proto !== undefined) w.push('proto', String(checkInt(op.proto ?? NETD_PROTO, 0, 255, 'route protocol')));
  if (op.metric !== undefined) w.push('metric', String(checkInt(op.metric, 0, 2 ** 32 - 1, 'metric')));
  if (op.onlink && op.op !== 'route-del') w.push('onlink');
  return w.join(' ');
}

/** The batch lines of one op, for `ip -batch` (or `bridge -batch`: see toolOf). */
export function renderOp(op: KernelOp): string[] {
  switch (op.op) {
    case 'netns-add':
    case 'netns-del':
      return [`netns ${op.op === 'netns-add' ? 'add' : 'del'} ${netnsArg(op.name)}`];
    case 'link-add':
      return linkAdd(op);
    case 'link-set': {
      // Port options apply before a master given on the same line would be set: a line of their own, after it.
      const port = op.hairpin === undefined ? [] : [`link set dev ${checkIfName(op.name)} type bridge_slave hairpin ${op.hairpin ? 'on' : 'off'}`];
      const { hairpin: _, ...rest } = op;
      return Object.keys(rest).some((k) => !['op', 'name', 'ns'].includes(k)) || port.length === 0 ? [linkSet(rest), ...port] : port;
    }
    case 'link-del':
      return [`link del dev ${checkIfName(op.name)}`];
    case 'addr-add':
    case 'addr-replace':
    case 'addr-del':
      return [['addr', op.op.slice('addr-'.length), cidr(op.cidr, 'address'), 'dev', checkIfName(op.dev), ...(op.nodad ? ['nodad'] : [])].join(' ')];
    case 'route-add':
    case 'route-replace':
    case 'route-del':
      return [route(op)];
    case 'neigh-replace':
      return [['neigh', 'replace', ip(op.addr, 'neighbour'), 'lladdr', checkMac(op.mac), 'dev', checkIfName(op.dev), 'nud', 'permanent'].join(' ')];
    case 'neigh-del':
      return [['neigh', 'del', ip(op.addr, 'neighbour'), 'dev', checkIfName(op.dev)].join(' ')];
    case 'sysctl':
      return [`${checkWord(op.key, 'sysctl key')}=${checkWord(op.value, 'sysctl value')}`];
    case 'fdb-append':
    case 'fdb-del': {
      const w = ['fdb', op.op === 'fdb-append' ? 'append' : 'del', checkMac(op.mac), 'dev', checkIfName(op.dev)];
      if (op.dst !== undefined) w.push('dst', ip(op.dst, 'fdb destination'));
      return [[...w, 'self', ...(op.op === 'fdb-append' ? ['permanent'] : [])].join(' ')];
    }
  }
}

/** Rendered lines of a list of ops for one tool, and for each line the index of its op. */
export function renderOps(ops: readonly KernelOp[], tool: Tool): { lines: string[]; opOf: number[] } {
  const lines: string[] = [];
  const opOf: number[] = [];
  ops.forEach((op, i) => {
    if (toolOf(op) !== tool) return;
    for (const l of renderOp(op)) {
      lines.push(l);
      opOf.push(i);
    }
  });
  return { lines, opOf };
}

/** One op as a person reads it: the namespace, then the iproute2 spelling. */
export function opText(op: KernelOp): string {
  const tool = toolOf(op);
  const where = tool === 'sysctl' ? 'sysctl -w ' : tool === 'bridge' ? 'bridge ' : op.ns !== undefined ? `ip -n ${op.ns} ` : 'ip ';
  return renderOp(op)
    .map((l) => where + l)
    .join('; ');
}
