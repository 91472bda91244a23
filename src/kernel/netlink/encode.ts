/**
 * The rtnetlink request of each kernel op, encoded as iproute2 encodes the same line
 * (ip/iplink.c iplink_modify, ip/link_veth.c, ip/iplink_vxlan.c, ip/ipaddress.c ipaddr_modify,
 * ip/iproute.c iproute_modify, ip/ipneigh.c ipneigh_modify, bridge/fdb.c fdb_modify). Devices
 * are named by ifindex, which the caller resolves (`Refs`); a link the op itself targets by
 * name goes by IFLA_IFNAME, as the kernel allows, so a link created earlier in the same batch
 * needs no lookup. Pure but for `Refs`.
 */
import ipaddr from 'ipaddr.js';
import { NETD_PROTO, type KernelOp } from '../ops.js';
import type { NsRef } from '../netns.js';
import { encodeAttr, encodeMsg, u32, NLM_F_ACK, NLM_F_REQUEST } from './codec.js';
import {
  AF_BRIDGE,
  AF_INET,
  AF_INET6,
  IFA,
  IFF_UP,
  IFLA,
  IFLA_BRPORT_MODE,
  INFO,
  NDA,
  NUD_PERMANENT,
  RTA,
  RTM_GETLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWNEIGH,
  RTM_NEWROUTE,
  RT_TABLE_MAIN,
  RTN_UNICAST,
  RTNH_F_ONLINK,
  VXLAN,
  ifinfomsg,
} from './rtnl.js';

const RTM_DELLINK = 17;
const RTM_DELADDR = 21;
const VETH_INFO_PEER = 1;
const RTM_DELROUTE = 25;
const RTM_DELNEIGH = 29;
const NLM_F_REPLACE = 0x100;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const NLM_F_APPEND = 0x800;
const IFA_F_NODAD = 0x02;
const NUD_NOARP = 0x40;
const NTF_SELF = 0x02;
const SCOPE = { universe: 0, link: 253, host: 254, nowhere: 255 } as const;

/** The rtnetlink ops (the others — netns add/del, sysctl — are no netlink message). */
export type RtnlOp = Exclude<KernelOp, { op: 'netns-add' | 'netns-del' | 'sysctl' }>;
export const isRtnl = (op: KernelOp): op is RtnlOp => op.op !== 'netns-add' && op.op !== 'netns-del' && op.op !== 'sysctl';

export interface Refs {
  /** A device's ifindex in the op's namespace; undefined: no such device. */
  index(dev: string): number | undefined;
  /** An open descriptor of a namespace's nsfs file, kept open until the request is sent. */
  nsFd(ns: NsRef): number;
}

/** A device the op names is missing (iproute2: `Cannot find device "X"`). */
export class Missing extends Error {
  constructor(readonly dev: string) {
    super(`Cannot find device "${dev}"`);
  }
}

const bytes = (addr: string): Buffer => Buffer.from(ipaddr.parse(addr).toByteArray());
const mac = (m: string): Buffer => Buffer.from(m.replace(/:/g, ''), 'hex');
const nest = (type: number, ...attrs: Buffer[]): Buffer => encodeAttr(type, Buffer.concat(attrs));
const str = (s: string): Buffer => Buffer.from(`${s}\0`);
const flagsOf = (op: string): number => (op.endsWith('-add') ? NLM_F_CREATE | NLM_F_EXCL : op.endsWith('-replace') ? NLM_F_CREATE | NLM_F_REPLACE : 0);
const when = <T>(v: T | undefined, f: (v: T) => Buffer): Buffer[] => (v === undefined ? [] : [f(v)]);

/** ifindex or Missing, for the devices an op needs by index. */
function need(refs: Refs, dev: string): number {
  const i = refs.index(dev);
  if (i === undefined) throw new Missing(dev);
  return i;
}

/** ip's default_scope: loopback is host-scoped, IPv6 link-local link-scoped. */
function addrScope(a: Buffer): number {
  if (a.length === 4) return a[0] === 127 ? SCOPE.host : SCOPE.universe;
  if (a.equals(bytes('::1'))) return SCOPE.host;
  return a[0] === 0xfe && (a[1]! & 0xc0) === 0x80 ? SCOPE.link : SCOPE.universe;
}

/** struct ifinfomsg with up/down asked (ifi_change names only IFF_UP). */
function ifinfo(index: number, up: boolean | undefined): Buffer {
  const head = ifinfomsg(0, index);
  if (up !== undefined) {
    head.writeUInt32LE(up ? IFF_UP : 0, 8);
    head.writeUInt32LE(IFF_UP, 12);
  }
  return head;
}

function linkAdd(op: Extract<RtnlOp, { op: 'link-add' }>, seq: number, refs: Refs): Buffer {
  let data: Buffer[] = [];
  if (op.kind === 'veth') {
    const p = op.peer;
    const peer = [encodeAttr(IFLA.ifname, str(p.name)), ...when(p.ns, (ns) => encodeAttr(IFLA.netNsFd, u32(refs.nsFd(ns))))];
    peer.push(...when(p.mac, (m) => encodeAttr(IFLA.address, mac(m))), ...when(p.mtu, (m) => encodeAttr(IFLA.mtu, u32(m))));
    data = [nest(VETH_INFO_PEER, ifinfomsg(0), ...peer)];
  } else if (op.kind === 'vxlan') {
    const v = op.vxlan;
    const local = v.local === undefined ? undefined : bytes(v.local);
    data = [encodeAttr(VXLAN.id, u32(v.vni)), ...when(v.dev, (d) => encodeAttr(VXLAN.link, u32(need(refs, d))))];
    data.push(...when(local, (l) => encodeAttr(l.length === 4 ? VXLAN.local : VXLAN.local6, l)));
    data.push(...when(v.learning, (l) => encodeAttr(VXLAN.learning, Buffer.of(l ? 1 : 0))));
    const port = Buffer.alloc(2);
    port.writeUInt16BE(v.port);
    data.push(encodeAttr(VXLAN.port, port));
  }
  const info = [encodeAttr(INFO.kind, Buffer.from(op.kind)), ...(data.length > 0 ? [nest(INFO.data, ...data)] : [])];
  const attrs = [encodeAttr(IFLA.ifname, str(op.name)), ...when(op.mtu, (m) => encodeAttr(IFLA.mtu, u32(m)))];
  attrs.push(...when(op.mac, (m) => encodeAttr(IFLA.address, mac(m))), nest(IFLA.linkinfo, ...info));
  return encodeMsg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq, ifinfo(0, op.up ? true : undefined), ...attrs);
}

function linkSet(op: Extract<RtnlOp, { op: 'link-set' }>, seq: number, refs: Refs): Buffer {
  const master = op.master === undefined ? undefined : op.master === null ? 0 : need(refs, op.master);
  // By name unless renamed: then the name attribute is the new name, and the link goes by index.
  const head = ifinfo(op.rename === undefined ? 0 : need(refs, op.name), op.up);
  const attrs = [encodeAttr(IFLA.ifname, str(op.rename ?? op.name)), ...when(op.mtu, (m) => encodeAttr(IFLA.mtu, u32(m)))];
  attrs.push(...when(op.mac, (m) => encodeAttr(IFLA.address, mac(m))), ...when(op.alias, (a) => encodeAttr(IFLA.ifalias, Buffer.from(a))));
  attrs.push(...when(master, (m) => encodeAttr(IFLA.master, u32(m))), ...when(op.netns, (ns) => encodeAttr(IFLA.netNsFd, u32(refs.nsFd(ns)))));
  return encodeMsg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq, head, ...attrs);
}

/**
 * A bridge port's hairpin mode: its own request after the one that sets the master, since the
 * kernel reads port settings with the master the link has when the request arrives (as
 * `ip link set … type bridge_slave hairpin on` after `master`).
 */
function hairpin(name: string, on: boolean, seq: number): Buffer {
  const port = nest(INFO.slaveData, encodeAttr(IFLA_BRPORT_MODE, Buffer.of(on ? 1 : 0)));
  const info = nest(IFLA.linkinfo, encodeAttr(INFO.slaveKind, Buffer.from('bridge')), port);
  return encodeMsg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq, ifinfo(0, undefined), encodeAttr(IFLA.ifname, str(name)), info);
}

function addr(op: Extract<RtnlOp, { cidr: string }>, seq: number, refs: Refs): Buffer {
  const [address, len] = op.cidr.split('/') as [string, string];
  const a = bytes(address);
  const head = Buffer.alloc(8);
  head.writeUInt8(a.length === 4 ? AF_INET : AF_INET6, 0);
  head.writeUInt8(Number(len), 1);
  head.writeUInt8('nodad' in op && op.nodad ? IFA_F_NODAD : 0, 2);
  head.writeUInt8(op.op === 'addr-del' ? 0 : addrScope(a), 3);
  head.writeUInt32LE(need(refs, op.dev), 4);
  const flags = NLM_F_REQUEST | NLM_F_ACK | flagsOf(op.op);
  return encodeMsg(op.op === 'addr-del' ? RTM_DELADDR : RTM_NEWADDR, flags, seq, head, encodeAttr(IFA.local, a), encodeAttr(IFA.address, a));
}

function route(r: Extract<RtnlOp, { dst: string }>, seq: number, refs: Refs): Buffer {
  const del = r.op === 'route-del';
  const v6 = r.family === 6 || (r.dst !== 'default' && r.dst.includes(':')) || (r.via?.includes(':') ?? false);
  // 'default' as the renderer spells it (0.0.0.0/0, ::/0): a zero destination of length 0.
  const [dst, dstLen] = r.dst === 'default' ? [Buffer.alloc(v6 ? 16 : 4), 0] : [bytes(r.dst.split('/')[0]!), Number(r.dst.split('/')[1])];
  const head = Buffer.alloc(12);
  head.writeUInt8(v6 ? AF_INET6 : AF_INET, 0);
  head.writeUInt8(dstLen, 1);
  head.writeUInt8(RT_TABLE_MAIN, 4);
  head.writeUInt8(del ? (r.proto ?? 0) : (r.proto ?? NETD_PROTO), 5);
  head.writeUInt8(v6 ? SCOPE.universe : del ? SCOPE.nowhere : r.via === undefined ? SCOPE.link : SCOPE.universe, 6);
  head.writeUInt8(del ? 0 : RTN_UNICAST, 7);
  head.writeUInt32LE(r.onlink && !del ? RTNH_F_ONLINK : 0, 8);
  const attrs = [...when(dst, (d) => encodeAttr(RTA.dst, d)), ...when(r.via, (v) => encodeAttr(RTA.gateway, bytes(v)))];
  attrs.push(...when(r.dev, (d) => encodeAttr(RTA.oif, u32(need(refs, d)))), ...when(r.metric, (m) => encodeAttr(RTA.priority, u32(m))));
  return encodeMsg(del ? RTM_DELROUTE : RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | flagsOf(r.op), seq, head, ...attrs);
}

/** struct ndmsg: family, ifindex, state, flags (12 bytes). */
function ndmsg(family: number, index: number, state: number, flags = 0): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt8(family, 0);
  b.writeInt32LE(index, 4);
  b.writeUInt16LE(state, 8);
  b.writeUInt8(flags, 10);
  return b;
}

function neigh(op: Extract<RtnlOp, { op: 'neigh-replace' | 'neigh-del' | 'fdb-append' | 'fdb-del' }>, seq: number, refs: Refs): Buffer {
  const index = need(refs, op.dev);
  const ack = NLM_F_REQUEST | NLM_F_ACK;
  if (op.op === 'neigh-replace' || op.op === 'neigh-del') {
    const dst = bytes(op.addr);
    const head = ndmsg(dst.length === 4 ? AF_INET : AF_INET6, index, NUD_PERMANENT);
    if (op.op === 'neigh-del') return encodeMsg(RTM_DELNEIGH, ack, seq, head, encodeAttr(NDA.dst, dst));
    return encodeMsg(RTM_NEWNEIGH, ack | NLM_F_CREATE | NLM_F_REPLACE, seq, head, encodeAttr(NDA.dst, dst), encodeAttr(NDA.lladdr, mac(op.mac)));
  }
  const attrs = [encodeAttr(NDA.lladdr, mac(op.mac)), ...when(op.dst, (d) => encodeAttr(NDA.dst, bytes(d)))];
  // `bridge fdb` assumes permanent when no state is given, on del too.
  const head = ndmsg(AF_BRIDGE, index, NUD_NOARP | NUD_PERMANENT, NTF_SELF);
  if (op.op === 'fdb-del') return encodeMsg(RTM_DELNEIGH, ack, seq, head, ...attrs);
  return encodeMsg(RTM_NEWNEIGH, ack | NLM_F_CREATE | NLM_F_APPEND, seq, head, ...attrs);
}

/**
 * The requests of one op, sequence numbers from `seq` on (a link add with an alias is two: the
 * kernel sets an alias only on an existing link). Throws Missing for a device it cannot name.
 */
export function encodeOp(op: RtnlOp, seq: () => number, refs: Refs): Buffer[] {
  switch (op.op) {
    case 'link-add': {
      const add = linkAdd(op, seq(), refs);
      const alias = op.alias === undefined ? [] : [linkSet({ op: 'link-set', name: op.name, alias: op.alias }, seq(), refs)];
      return [add, ...alias];
    }
    case 'link-set': {
      const set = linkSet(op, seq(), refs);
      return op.hairpin === undefined ? [set] : [set, hairpin(op.rename ?? op.name, op.hairpin, seq())];
    }
    case 'link-del':
      return [encodeMsg(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, seq(), ifinfomsg(0), encodeAttr(IFLA.ifname, str(op.name)))];
    case 'addr-add':
    case 'addr-replace':
    case 'addr-del':
      return [addr(op, seq(), refs)];
    case 'route-add':
    case 'route-replace':
    case 'route-del':
      return [route(op, seq(), refs)];
    default:
      return [neigh(op, seq(), refs)];
  }
}

/** RTM_GETLINK of one device by name (answered with its RTM_NEWLINK, or ENODEV). */
export const getLink = (seq: number, name: string): Buffer =>
  encodeMsg(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, seq, ifinfomsg(0), encodeAttr(IFLA.ifname, str(name)));

/** The names a request made by this op may bring into being or take away in its namespace. */
export function namesChanged(op: RtnlOp): string[] {
  if (op.op === 'link-add') return op.kind === 'veth' && op.peer.ns === undefined ? [op.name, op.peer.name] : [op.name];
  if (op.op === 'link-set') return op.rename !== undefined || op.netns !== undefined ? [op.name, ...(op.rename ? [op.rename] : [])] : [];
  return op.op === 'link-del' ? [op.name] : [];
}
