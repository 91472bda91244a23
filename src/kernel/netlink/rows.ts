/**
 * rtnetlink replies decoded into the rows `ip -json -details` prints (the Ip*Json shapes of
 * observe-ip.ts), field by field as iproute2 6.1 formats them (ip/ipaddress.c, ip/iproute.c,
 * ip/ipneigh.c, ip/iplink_vxlan.c, bridge/fdb.c), so both observers share one parser and
 * cannot drift. Names of numbers are iproute2's reserved ones (/etc/iproute2/rt_protos,
 * rt_scopes, rt_tables as shipped). Pure.
 */
import {
  parseFdb,
  parseRows,
  type IpAddrJson,
  type IpFdbJson,
  type IpLinkJson,
  type IpNeighJson,
  type IpRouteJson,
  type IpVxlanJson,
  type ObservedLink,
  type ObservedNamespace,
} from '../observe-ip.js';
import { decodeAttrs, str, type NlMsg } from './codec.js';
import {
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
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWNEIGH,
  RTM_NEWROUTE,
  RT_TABLE_MAIN,
  RTN_UNICAST,
  RTNH_F_ONLINK,
  VXLAN,
} from './rtnl.js';

const PROTOS: Record<number, string> = {
  ...{ 0: 'unspec', 1: 'redirect', 2: 'kernel', 3: 'boot', 4: 'static', 8: 'gated', 9: 'ra', 10: 'mrt', 11: 'zebra', 12: 'bird' },
  ...{ 13: 'dnrouted', 14: 'xorp', 15: 'ntk', 16: 'dhcp', 18: 'keepalived', 42: 'babel', 99: 'openr', 186: 'bgp', 187: 'isis' },
  ...{ 188: 'ospf', 189: 'rip', 192: 'eigrp' },
};
const SCOPES: Record<number, string> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };
const TABLES: Record<number, string> = { 0: 'unspec', 253: 'default', 254: 'main', 255: 'local' };
const OPERSTATES = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'];

const name = (table: Record<number, string>, n: number): string => table[n] ?? String(n);

/** inet_ntop as glibc writes it (the longest run of two or more zero groups compressed, IPv4-mapped tails dotted). */
export function ntop(b: Buffer): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const w = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = (from: number, to: number): string =>
    w
      .slice(from, to)
      .map((x) => x.toString(16))
      .join(':');
  if (best.len < 2) return hex(0, 8);
  if (best.at === 0 && (best.len === 6 || (best.len === 5 && w[5] === 0xffff))) return `::${best.len === 5 ? 'ffff:' : ''}${[...b.subarray(12)].join('.')}`;
  return `${hex(0, best.at)}::${hex(best.at + best.len, 8)}`;
}

// ARPHRD_TUNNEL, _SIT, _IPGRE carry an IPv4 "hardware" address; _TUNNEL6, _IP6GRE an IPv6 one.
const V4_LL = new Set([768, 776, 778]);
const V6_LL = new Set([769, 823]);
const ARPHRD_ETHER = 1;
const HEX = Array.from({ length: 256 }, (_, x) => x.toString(16).padStart(2, '0'));

/** ll_addr_n2a: a link-layer address of a device of ARPHRD type `type`. */
export function llAddr(b: Buffer, type: number): string {
  if ((b.length === 4 && V4_LL.has(type)) || (b.length === 16 && V6_LL.has(type))) return ntop(b);
  let out = '';
  for (let i = 0; i < b.length; i++) out += (i > 0 ? ':' : '') + HEX[b[i]!]!;
  return out;
}

/** What the other rows need of the links: ifindex → name and ARPHRD type. */
export interface LinkIndex {
  readonly name: (index: number) => string;
  readonly type: (index: number) => number;
}

export function linkIndex(links: readonly { ifindex: number; ifname: string; type: number }[]): LinkIndex {
  const by = new Map(links.map((l) => [l.ifindex, l]));
  return { name: (i) => by.get(i)?.ifname ?? `if${i}`, type: (i) => by.get(i)?.type ?? 0 };
}

function vxlanInfo(data: Buffer, names: LinkIndex): IpVxlanJson {
  const a = decodeAttrs(data);
  const local = a.get(VXLAN.local) ?? a.get(VXLAN.local6);
  const link = a.get(VXLAN.link)?.readUInt32LE(0) ?? 0;
  const learning = a.get(VXLAN.learning);
  return {
    id: a.get(VXLAN.id)?.readUInt32LE(0) ?? 0,
    ...(local && local.some((x) => x !== 0) ? { local: ntop(local) } : {}),
    ...(link !== 0 ? { link: names.name(link) } : {}),
    port: a.get(VXLAN.port)?.readUInt16BE(0) ?? 0,
    ...(learning ? { learning: learning[0] !== 0 } : {}),
  };
}

const LINK_ATTRS: ReadonlySet<number> = new Set(Object.values(IFLA));
const ROUTE_ATTRS: ReadonlySet<number> = new Set(Object.values(RTA));
const ADDR_ATTRS: ReadonlySet<number> = new Set(Object.values(IFA));

/** RTM_NEWLINK messages → `ip -json -details link show` rows (with the ARPHRD type, for the other rows). */
export function linkRows(msgs: readonly NlMsg[]): (IpLinkJson & { type: number })[] {
  const raw = msgs
    .filter((m) => m.type === RTM_NEWLINK)
    .map((m) => {
      const a = decodeAttrs(m.body, 16, LINK_ATTRS);
      return { type: m.body.readUInt16LE(2), ifindex: m.body.readInt32LE(4), flags: m.body.readUInt32LE(8), a, ifname: str(a.get(IFLA.ifname)) ?? '' };
    });
  const names = linkIndex(raw);
  return raw.map(({ type, ifindex, flags, a, ifname }) => {
    const u32 = (t: number): number | undefined => a.get(t)?.readUInt32LE(0);
    const addr = a.get(IFLA.address);
    const operstate = a.get(IFLA.operstate)?.[0];
    const master = u32(IFLA.master);
    const alias = str(a.get(IFLA.ifalias));
    const netnsid = a.get(IFLA.linkNetnsid)?.readInt32LE(0);
    const link = u32(IFLA.link);
    const info = a.get(IFLA.linkinfo) ? decodeAttrs(a.get(IFLA.linkinfo)!) : undefined;
    const kind = str(info?.get(INFO.kind));
    const data = info?.get(INFO.data);
    const slaveKind = str(info?.get(INFO.slaveKind));
    const mode = slaveKind === 'bridge' ? info?.get(INFO.slaveData) && decodeAttrs(info.get(INFO.slaveData)!).get(IFLA_BRPORT_MODE) : undefined;
    return {
      type,
      ifname,
      ifindex,
      mtu: u32(IFLA.mtu) ?? 0,
      ...(addr ? { address: llAddr(addr, type) } : {}),
      flags: flags & IFF_UP ? ['UP'] : [],
      ...(operstate !== undefined ? { operstate: OPERSTATES[operstate] ?? String(operstate) } : {}),
      ...(master !== undefined ? { master: names.name(master) } : {}),
      ...(alias !== undefined ? { ifalias: alias } : {}),
      // ip prints a peer's index only when the peer is in another namespace (else its name).
      ...(link && netnsid !== undefined ? { link_index: link } : {}),
      ...(netnsid !== undefined ? { link_netnsid: netnsid } : {}),
      ...(kind !== undefined || slaveKind !== undefined
        ? {
            linkinfo: {
              ...(kind !== undefined ? { info_kind: kind } : {}),
              ...(kind === 'vxlan' && data ? { info_data: vxlanInfo(data, names) } : {}),
              ...(slaveKind !== undefined ? { info_slave_kind: slaveKind } : {}),
              ...(slaveKind === 'bridge' ? { info_slave_data: { hairpin: mode?.[0] === 1 } } : {}),
            },
          }
        : {}),
    };
  });
}

/** RTM_NEWADDR messages → `ip -json addr show` rows: one per link, in the links' order, as ip groups them. */
export function addrRows(msgs: readonly NlMsg[], links: readonly IpLinkJson[]): IpAddrJson[] {
  // By link, in dump order: the host has an address or two on each of thousands of links.
  const byLink = new Map<number, NonNullable<IpAddrJson['addr_info']>>();
  for (const m of msgs) {
    const family = m.body[0]!;
    if (m.type !== RTM_NEWADDR || (family !== AF_INET && family !== AF_INET6)) continue;
    const a = decodeAttrs(m.body, 8, ADDR_ATTRS);
    const index = m.body.readUInt32LE(4);
    const local = ntop(a.get(IFA.local) ?? a.get(IFA.address) ?? Buffer.alloc(family === AF_INET6 ? 16 : 4));
    const info = { local, prefixlen: m.body[1]!, family: family === AF_INET6 ? 'inet6' : 'inet', scope: name(SCOPES, m.body[3]!) };
    const got = byLink.get(index);
    if (got) got.push(info);
    else byLink.set(index, [info]);
  }
  return links.map((l) => ({
    ifname: l.ifname,
    addr_info: byLink.get(l.ifindex) ?? [],
  }));
}

const RTM_F_CLONED = 0x200;

/**
 * RTM_NEWROUTE messages → `ip -json -details route show table all` rows (cached clones left
 * out, as ip does); with proto, only that protocol's (`route show proto P`): the host's
 * thousands of kernel routes are never decoded.
 */
export function routeRows(msgs: readonly NlMsg[], names: LinkIndex, proto?: string): IpRouteJson[] {
  return msgs
    .filter((m) => m.type === RTM_NEWROUTE && (m.body[0] === AF_INET || m.body[0] === AF_INET6))
    .filter((m) => !(m.body.readUInt32LE(8) & RTM_F_CLONED) && (proto === undefined || name(PROTOS, m.body[5]!) === proto))
    .map((m) => {
      const b = m.body;
      const a = decodeAttrs(b, 12, ROUTE_ATTRS);
      const [family, dstLen] = [b[0]!, b[1]!];
      const dst = a.get(RTA.dst);
      const full = family === AF_INET6 ? 128 : 32;
      const oif = a.get(RTA.oif)?.readUInt32LE(0);
      const gateway = a.get(RTA.gateway);
      const metric = a.get(RTA.priority)?.readUInt32LE(0);
      const table = a.get(RTA.table)?.readUInt32LE(0) ?? b[4]!;
      return {
        dst: dst ? (dstLen === full ? ntop(dst) : `${ntop(dst)}/${dstLen}`) : dstLen ? `0/${dstLen}` : 'default',
        type: b[7] === RTN_UNICAST ? 'unicast' : `type ${b[7]}`,
        ...(gateway ? { gateway: ntop(gateway) } : {}),
        ...(a.has(RTA.pref) ? { pref: String(a.get(RTA.pref)![0]) } : {}),
        protocol: name(PROTOS, b[5]!),
        table: name(TABLES, table),
        ...(oif !== undefined ? { dev: names.name(oif) } : {}),
        ...(metric !== undefined ? { metric } : {}),
        flags: b.readUInt32LE(8) & RTNH_F_ONLINK ? ['onlink'] : [],
      };
    });
}

const NTF_PROXY = 0x08;
const NTF_EXT_LEARNED = 0x10;

/** RTM_NEWNEIGH messages → `ip -json neigh show nud permanent` rows (ip keeps proxy and externally learned entries too). */
export function neighRows(msgs: readonly NlMsg[], names: LinkIndex): IpNeighJson[] {
  return msgs
    .filter((m) => m.type === RTM_NEWNEIGH && (m.body[0] === AF_INET || m.body[0] === AF_INET6))
    .filter((m) => m.body.readUInt16LE(8) & NUD_PERMANENT || m.body[10]! & (NTF_PROXY | NTF_EXT_LEARNED))
    .map((m) => {
      const a = decodeAttrs(m.body, 12);
      const index = m.body.readInt32LE(4);
      const ll = a.get(NDA.lladdr);
      return {
        dst: ntop(a.get(NDA.dst) ?? Buffer.alloc(4)),
        dev: names.name(index),
        ...(ll ? { lladdr: llAddr(ll, names.type(index)) } : {}),
        state: m.body.readUInt16LE(8) & NUD_PERMANENT ? ['PERMANENT'] : [],
      };
    });
}

/** AF_BRIDGE RTM_NEWNEIGH messages of one (ethernet) device → `bridge -json fdb show dev D` rows. */
export function fdbRows(msgs: readonly NlMsg[], index: number): IpFdbJson[] {
  return msgs
    .filter((m) => m.type === RTM_NEWNEIGH && m.body.readInt32LE(4) === index)
    .map((m) => {
      const a = decodeAttrs(m.body, 12);
      const dst = a.get(NDA.dst);
      return { mac: llAddr(a.get(NDA.lladdr) ?? Buffer.alloc(0), ARPHRD_ETHER), ...(dst ? { dst: ntop(dst) } : {}) };
    });
}

/** The replies to a namespace's four dumps. */
export interface Dumps {
  readonly links: readonly NlMsg[];
  readonly addrs: readonly NlMsg[];
  readonly routes: readonly NlMsg[];
  readonly neigh: readonly NlMsg[];
}

/**
 * What parseRows keeps of a namespace's routes, told from the rtmsg alone (a table past 255
 * reads RT_TABLE_COMPAT there, never main): the local table's routes are never decoded.
 */
const mainUnicast = (m: NlMsg): boolean => m.body[4] === RT_TABLE_MAIN && m.body[7] === RTN_UNICAST;

/** A namespace's view from its dumps, through observe-ip's parser (proto: the host's, netd's routes only, any table). */
export function viewOf(d: Dumps, proto?: string): ObservedNamespace {
  const links = linkRows(d.links);
  const names = linkIndex(links);
  const routes = routeRows(proto === undefined ? d.routes.filter(mainUnicast) : d.routes, names, proto);
  return parseRows(links, addrRows(d.addrs, links), routes, neighRows(d.neigh, names), proto);
}

/** The vxlan devices of a view, whose FDB is read. */
export const vxlansOf = (v: ObservedNamespace): ObservedLink[] => v.links.filter((l) => l.kind === 'vxlan');

/** The view with the FDB entries of its vxlan devices, from each one's dump (in vxlansOf order). */
export function withFdb(v: ObservedNamespace, replies: readonly (readonly NlMsg[])[]): ObservedNamespace {
  const vxlans = vxlansOf(v);
  return vxlans.length === 0 ? v : { ...v, fdb: vxlans.flatMap((l, i) => parseFdb(l.name, fdbRows(replies[i] ?? [], l.index))) };
}
