/**
 * The nftables ruleset generation: a counter the kernel bumps on every ruleset change in a
 * namespace (any table, anyone's). One NFT_MSG_GETGEN over a NETLINK_NETFILTER socket in
 * netd's own namespace; an unchanged generation means an unchanged ruleset.
 */
import { decodeAttrs, decodeError, decodeMsgs, encodeMsg, NLM_F_ACK, NLM_F_REQUEST, NLMSG_ERROR } from './codec.js';
import { netlinkError, type Addon } from './addon.js';

const NETLINK_NETFILTER = 12;
const NFNL_SUBSYS_NFTABLES = 10;
const NFT_MSG_NEWGEN = (NFNL_SUBSYS_NFTABLES << 8) | 15;
const NFT_MSG_GETGEN = (NFNL_SUBSYS_NFTABLES << 8) | 16;
const NFTA_GEN_ID = 1;

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

/** The ruleset generation of netd's own namespace. */
export function rulesetGeneration(addon: Addon): number {
  const [fd] = addon.open([null], NETLINK_NETFILTER);
  if (typeof fd !== 'number') throw netlinkError('open netfilter socket', fd?.errno ?? 0, fd?.message, fd);
  try {
    return decodeGen(addon.transact(fd, getGen(1)));
  } finally {
    addon.close(fd);
  }
}
