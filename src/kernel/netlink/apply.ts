/**
 * The netlink applier's first ops: addresses, routes, and a link's state (up/down, MTU, MAC,
 * alias, master) in one namespace, encoded as iproute2 encodes the same `ip` lines (ip/ipaddress.c ipaddr_modify,
 * ip/iproute.c iproute_modify, ip/iplink.c), one request at a time so that, as `ip -batch`,
 * the first refusal stops the rest. Other ops go through iproute2 (batch.ts decides).
 */
import ipaddr from 'ipaddr.js';
import { KernelError, realKernel, type Runner } from '../exec.js';
import { nsPath, type NsRef } from '../netns.js';
import { NETD_PROTO, renderOp, type KernelOp } from '../ops.js';
import { errnoInfo, netlinkError, netlinkStatus, type Addon } from './addon.js';
import { decodeAttrs, decodeError, decodeMsgs, encodeAttr, str, encodeMsg, u32, NLM_F_ACK, NLM_F_REQUEST, NLMSG_ERROR } from './codec.js';
import { AF_INET, AF_INET6, dumpLinks, ifinfomsg, RTM_NEWLINK } from './rtnl.js';

const NLM_F_REPLACE = 0x100;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
const RTM_NEWROUTE = 24;
const RTM_DELROUTE = 25;
const IFA_F_NODAD = 0x02;
const [IFA_ADDRESS, IFA_LOCAL] = [1, 2];
const [RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY] = [1, 4, 5, 6];
const [IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_MASTER, IFLA_IFALIAS] = [1, 3, 4, 10, 20];
const IFF_UP = 1;
const RT_TABLE_MAIN = 254;
const RTN_UNICAST = 1;
const RTNH_F_ONLINK = 4;
const SCOPE = { universe: 0, link: 253, host: 254, nowhere: 255 } as const;

type Supported = Extract<KernelOp, { op: 'addr-add' | 'addr-replace' | 'addr-del' | 'route-add' | 'route-replace' | 'route-del' | 'link-set' }>;
const LINK_SET_KEYS = new Set(['op', 'name', 'ns', 'up', 'mtu', 'mac', 'alias', 'master']);

/** Whether the netlink applier takes this op (a link-set without rename or netns). */
export function netlinkable(op: KernelOp): op is Supported {
  if (op.op === 'link-set') return Object.keys(op).every((k) => LINK_SET_KEYS.has(k));
  return /^(addr-(add|replace|del)|route-(add|replace|del))$/.test(op.op);
}

const bytes = (addr: string): Buffer => Buffer.from(ipaddr.parse(addr).toByteArray());
const flagsOf = (op: string): number => (op.endsWith('-add') ? NLM_F_CREATE | NLM_F_EXCL : op.endsWith('-replace') ? NLM_F_CREATE | NLM_F_REPLACE : 0);

/** ip's default_scope: loopback is host-scoped, IPv6 link-local link-scoped. */
function addrScope(a: Buffer): number {
  if (a.length === 4) return a[0] === 127 ? SCOPE.host : SCOPE.universe;
  if (a.equals(bytes('::1'))) return SCOPE.host;
  return a[0] === 0xfe && (a[1]! & 0xc0) === 0x80 ? SCOPE.link : SCOPE.universe;
}

/** The request for one op; `index` finds a device's ifindex (undefined: no such device). */
export function encodeOp(op: Supported, seq: number, index: (dev: string) => number | undefined): Buffer | { missing: string } {
  const dev = op.op === 'link-set' ? op.name : op.dev;
  const ifindex = dev === undefined ? 0 : index(dev);
  if (ifindex === undefined) return { missing: dev! };
  const flags = NLM_F_REQUEST | NLM_F_ACK | flagsOf(op.op);
  if (op.op === 'link-set') {
    const head = ifinfomsg(0, ifindex);
    if (op.up !== undefined) {
      head.writeUInt32LE(op.up ? IFF_UP : 0, 8); // ifi_flags
      head.writeUInt32LE(IFF_UP, 12); // ifi_change: only UP is meant
    }
    const master = op.master === undefined || op.master === null ? 0 : index(op.master);
    if (master === undefined) return { missing: op.master! };
    const attrs = [
      ...(op.mtu !== undefined ? [encodeAttr(IFLA_MTU, u32(op.mtu))] : []),
      ...(op.mac !== undefined ? [encodeAttr(IFLA_ADDRESS, Buffer.from(op.mac.replace(/:/g, ''), 'hex'))] : []),
      ...(op.alias !== undefined ? [encodeAttr(IFLA_IFALIAS, Buffer.from(op.alias))] : []),
      ...(op.master !== undefined ? [encodeAttr(IFLA_MASTER, u32(master))] : []),
    ];
    return encodeMsg(RTM_NEWLINK, flags, seq, head, ...attrs);
  }
  if (op.op.startsWith('addr-')) {
    const [addr, len] = (op as Extract<Supported, { cidr: string }>).cidr.split('/') as [string, string];
    const a = bytes(addr);
    const head = Buffer.alloc(8);
    head.writeUInt8(a.length === 4 ? AF_INET : AF_INET6, 0);
    head.writeUInt8(Number(len), 1);
    head.writeUInt8('nodad' in op && op.nodad ? IFA_F_NODAD : 0, 2);
    head.writeUInt8(op.op === 'addr-del' ? 0 : addrScope(a), 3);
    head.writeUInt32LE(ifindex, 4);
    return encodeMsg(op.op === 'addr-del' ? RTM_DELADDR : RTM_NEWADDR, flags, seq, head, encodeAttr(IFA_LOCAL, a), encodeAttr(IFA_ADDRESS, a));
  }
  const r = op as Extract<Supported, { dst: string }>;
  const del = r.op === 'route-del';
  const v6 = r.family === 6 || (r.dst !== 'default' && r.dst.includes(':')) || (r.via?.includes(':') ?? false);
  const [dst, dstLen] = r.dst === 'default' ? [undefined, 0] : [bytes(r.dst.split('/')[0]!), Number(r.dst.split('/')[1])];
  const head = Buffer.alloc(12);
  head.writeUInt8(v6 ? AF_INET6 : AF_INET, 0);
  head.writeUInt8(dstLen, 1);
  head.writeUInt8(RT_TABLE_MAIN, 4);
  head.writeUInt8(del ? (r.proto ?? 0) : (r.proto ?? NETD_PROTO), 5);
  head.writeUInt8(v6 ? SCOPE.universe : del ? SCOPE.nowhere : r.via === undefined ? SCOPE.link : SCOPE.universe, 6);
  head.writeUInt8(del ? 0 : RTN_UNICAST, 7);
  head.writeUInt32LE(r.onlink && !del ? RTNH_F_ONLINK : 0, 8);
  const attrs = [
    ...(dst ? [encodeAttr(RTA_DST, dst)] : []),
    ...(r.via !== undefined ? [encodeAttr(RTA_GATEWAY, bytes(r.via))] : []),
    ...(r.dev !== undefined ? [encodeAttr(RTA_OIF, u32(ifindex))] : []),
    ...(r.metric !== undefined ? [encodeAttr(RTA_PRIORITY, u32(r.metric))] : []),
  ];
  return encodeMsg(del ? RTM_DELROUTE : RTM_NEWROUTE, flags, seq, head, ...attrs);
}

/**
 * Applies ops through a socket in their namespace, in order; the first refusal throws a
 * KernelError pinned to its op (`opIndex`, the `ip` line as `op`), the ops before it applied.
 */
export function applyOps(addon: Addon, fd: number, ns: NsRef | undefined, ops: readonly KernelOp[]): void {
  const lines = ops.map((op) => renderOp(op).join('; ')); // validates names and addresses, as the ip path does
  const links = new Map(
    decodeMsgs(addon.transact(fd, dumpLinks(1)))
      .filter((m) => m.type === RTM_NEWLINK)
      .map((m) => [str(decodeAttrs(m.body, 16).get(IFLA_IFNAME)), m.body.readInt32LE(4)]),
  );
  const index = (dev: string): number | undefined => links.get(dev);
  const fail = (i: number, stderr: string, kind: KernelError['kind']): KernelError =>
    new KernelError({ argv: ns === undefined ? ['netlink'] : ['netlink', '-n', ns], stderr, exitCode: undefined, kind, op: lines[i], opIndex: i });
  ops.forEach((op, i) => {
    if (!netlinkable(op)) throw fail(i, `op ${op.op} is not taken by the netlink applier`, 'invalid');
    const req = encodeOp(op, i + 1, index);
    if (!Buffer.isBuffer(req)) throw fail(i, `Cannot find device "${req.missing}"`, 'not-found');
    const ack = decodeMsgs(addon.transact(fd, req)).find((m) => m.type === NLMSG_ERROR);
    const err = ack ? decodeError(ack) : { errno: 0 };
    if (err.errno === 0) return;
    const e = errnoInfo(err.errno);
    throw fail(i, `${err.message ?? e.text} (${e.name})`, e.kind);
  });
}

/**
 * The addon, when the netlink applier may take the work: it loaded, the runner is the real
 * kernel, and NETD_NETLINK_WRITE=1 (it is new: iproute2 stays the default writer).
 */
export function netlinkWriter(runner: Runner): Addon | undefined {
  const status = netlinkStatus();
  return status.loaded && realKernel(runner) && process.env.NETD_NETLINK_WRITE === '1' ? status.addon : undefined;
}

/** Runs fn with a socket in a namespace (undefined: netd's own), then closes it. */
export function withSocket<T>(addon: Addon, ns: NsRef | undefined, fn: (fd: number) => T): T {
  const [fd] = addon.open([ns === undefined ? null : nsPath(ns)]);
  if (typeof fd !== 'number') throw netlinkError(`open ${ns ?? 'own namespace'}`, fd?.errno ?? 0, fd?.message, fd);
  try {
    return fn(fd);
  } finally {
    addon.close(fd);
  }
}
