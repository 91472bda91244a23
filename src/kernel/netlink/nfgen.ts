/**
 * The nftables ruleset generation: a counter the kernel bumps on every ruleset change in a
 * namespace (any table, anyone's). One NFT_MSG_GETGEN over a NETLINK_NETFILTER socket in
 * netd's own namespace; an unchanged generation means an unchanged ruleset.
 */
import { decodeAttrs, decodeError, decodeMsgs, encodeMsg, str, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_ERROR } from './codec.js';
import { netlinkError, type Addon } from './addon.js';

const NETLINK_NETFILTER = 12;
const NFNL_SUBSYS_NFTABLES = 10;
const NFT_MSG_NEWGEN = (NFNL_SUBSYS_NFTABLES << 8) | 15;
const NFT_MSG_GETGEN = (NFNL_SUBSYS_NFTABLES << 8) | 16;
const NFTA_GEN_ID = 1;
const NFT_MSG_NEWTABLE = (NFNL_SUBSYS_NFTABLES << 8) | 0;
const NFT_MSG_GETTABLE = (NFNL_SUBSYS_NFTABLES << 8) | 1;
const NFTA_TABLE_NAME = 1;
/** nfgenmsg's family byte → nft's family keyword (NFPROTO_*). */
const FAMILIES: ReadonlyMap<number, string> = new Map([
  [1, 'inet'],
  [2, 'ip'],
  [3, 'arp'],
  [5, 'netdev'],
  [7, 'bridge'],
  [10, 'ip6'],
]);

/** The request: struct nfgenmsg (family unspecified, version 0, resource id 0). */
export const getGen = (seq: number): Buffer => encodeMsg(NFT_MSG_GETGEN, NLM_F_REQUEST | NLM_F_ACK, seq, Buffer.alloc(4));

/** The generation in a reply to getGen (big-endian, as nftables attributes are). */
export function decodeGen(replies: Buffer): number {
  for (const m of decodeMsgs(replies)) {
    if (m.type === NLMSG_ERROR && decodeError(m).errno !== 0) throw netlinkError('nft generation', decodeError(m).errno, decodeError(m).message);
    const id = m.type === NFT_MSG_NEWGEN ? decodeAttrs(m.body, 4).get(NFTA_GEN_ID) : undefined;
    if (id?.length === 4) return id.readUInt32BE(0);
  }
  throw netlinkError('nft generation', 0, 'no generation in the reply');
}

/** A table dump of every family (nfgenmsg with NFPROTO_UNSPEC). */
export const getTables = (seq: number): Buffer => encodeMsg(NFT_MSG_GETTABLE, NLM_F_REQUEST | NLM_F_DUMP, seq, Buffer.alloc(4));

/** The tables in a reply to getTables, as `family name` (`inet netd`). */
export function decodeTables(replies: Buffer): Set<string> {
  const tables = new Set<string>();
  for (const m of decodeMsgs(replies)) {
    if (m.type === NLMSG_ERROR && decodeError(m).errno !== 0) throw netlinkError('nft tables', decodeError(m).errno, decodeError(m).message);
    if (m.type !== NFT_MSG_NEWTABLE || m.body.length < 4) continue;
    const name = str(decodeAttrs(m.body, 4).get(NFTA_TABLE_NAME));
    const family = FAMILIES.get(m.body.readUInt8(0));
    if (name !== undefined && family !== undefined) tables.add(`${family} ${name}`);
  }
  return tables;
}

function exchange<T>(addon: Addon, request: Buffer, decode: (replies: Buffer) => T): T {
  const [fd] = addon.open([null], NETLINK_NETFILTER);
  if (typeof fd !== 'number') throw netlinkError('open netfilter socket', fd?.errno ?? 0, fd?.message, fd);
  try {
    return decode(addon.transact(fd, request));
  } finally {
    addon.close(fd);
  }
}

/** The ruleset generation of netd's own namespace. */
export const rulesetGeneration = (addon: Addon): number => exchange(addon, getGen(1), decodeGen);

/** The nft tables of netd's own namespace, by family and name: which of netd's are there to list. */
export const rulesetTables = (addon: Addon): Set<string> => exchange(addon, getTables(1), decodeTables);
