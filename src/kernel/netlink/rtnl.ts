/**
 * rtnetlink requests (linux/rtnetlink.h): the dumps an observation sends, each with its
 * family header. Pure.
 */
import { encodeAttr, encodeMsg, u32, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from './codec.js';

export const RTM_NEWLINK = 16;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_GETROUTE = 26;
export const RTM_NEWNEIGH = 28;
export const RTM_GETNEIGH = 30;
export const RTM_NEWNSID = 88;
export const RTM_GETNSID = 90;

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_BRIDGE = 7;
export const AF_INET6 = 10;

/** Attribute types and flags both the decoder (rows.ts) and the encoder (encode.ts) use. */
export const IFLA = { address: 1, ifname: 3, mtu: 4, link: 5, master: 10, operstate: 16, linkinfo: 18, ifalias: 20, netNsFd: 28, linkNetnsid: 37 } as const;
export const INFO = { kind: 1, data: 2, slaveKind: 4, slaveData: 5 } as const;
export const VXLAN = { id: 1, link: 3, local: 4, learning: 7, port: 15, local6: 17 } as const;
export const IFLA_BRPORT_MODE = 4;
export const IFA = { address: 1, local: 2 } as const;
export const RTA = { dst: 1, oif: 4, gateway: 5, priority: 6, table: 15, pref: 20 } as const;
export const NDA = { dst: 1, lladdr: 2 } as const;
export const IFF_UP = 1;
export const RTN_UNICAST = 1;
export const RT_TABLE_MAIN = 254;
export const RTNH_F_ONLINK = 4;
export const NUD_PERMANENT = 0x80;

const IFLA_EXT_MASK = 29;
/** Leave the per-link counters out of a link dump: netd reads none of them. */
const RTEXT_FILTER_SKIP_STATS = 1 << 3;
const NETNSA_FD = 3;

/** struct ifinfomsg: family, type, index, flags, change (16 bytes). */
export function ifinfomsg(family: number, index = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(family, 0);
  b.writeInt32LE(index, 4);
  return b;
}

const dump = (type: number, seq: number, ...parts: Buffer[]): Buffer => encodeMsg(type, NLM_F_REQUEST | NLM_F_DUMP, seq, ...parts);

/** Every link (struct ifinfomsg), without statistics. */
export const dumpLinks = (seq: number): Buffer => dump(RTM_GETLINK, seq, ifinfomsg(AF_UNSPEC), encodeAttr(IFLA_EXT_MASK, u32(RTEXT_FILTER_SKIP_STATS)));

/** Every IPv4 and IPv6 address (struct ifaddrmsg, 8 bytes). */
export const dumpAddrs = (seq: number): Buffer => dump(RTM_GETADDR, seq, Buffer.alloc(8));

/** Every route of every table and family (struct rtmsg, 12 bytes). */
export const dumpRoutes = (seq: number): Buffer => dump(RTM_GETROUTE, seq, Buffer.alloc(12));

/** The ARP and NDISC tables (struct ndmsg, 12 bytes, family unspecified). */
export const dumpNeighbours = (seq: number): Buffer => dump(RTM_GETNEIGH, seq, Buffer.alloc(12));

/** The forwarding entries of one device, as `bridge fdb show dev D` asks for them (an ifinfomsg naming the port). */
export const dumpFdb = (seq: number, ifindex: number): Buffer => dump(RTM_GETNEIGH, seq, ifinfomsg(AF_BRIDGE, ifindex));

/** The id this namespace gives the namespace of an open nsfs file (struct rtgenmsg, padded). */
export const getNsid = (seq: number, fd: number): Buffer =>
  encodeMsg(RTM_GETNSID, NLM_F_REQUEST | NLM_F_ACK, seq, Buffer.alloc(4), encodeAttr(NETNSA_FD, u32(fd)));
