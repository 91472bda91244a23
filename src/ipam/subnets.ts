/**
 * Choosing a subnet for a network that names none, as libnetwork's default IPAM does: the
 * lowest subnet of the pools that overlaps nothing in use; unlike it, "in use" includes the
 * host's routes and resolvers, so a new network never shadows a LAN or the DNS server.
 */
import { NetdError } from '../errors.js';
import type { AddressPool } from '../desired/types.js';
import { bitsOf, formatCidr, lastAddr, overlaps, parseCidr, type Cidr } from '../desired/cidr.js';

/** The lowest subnet of the first pool that has one free; throws naming every pool when none has. */
export function lowestFreeSubnet(what: string, pools: readonly AddressPool[], avoid: readonly Cidr[]): string {
  const full: string[] = [];
  for (const pool of pools) {
    const base = parseCidr(pool.base);
    if (pool.size < base.prefix || pool.size > bitsOf(base.family)) {
      throw new NetdError('invalid', `${what}: pool ${pool.base} cannot be cut into /${pool.size}s`);
    }
    const step = 1n << BigInt(bitsOf(base.family) - pool.size);
    let inUse = 0;
    for (let at = base.network; at <= lastAddr(base); at += step) {
      const cand: Cidr = { family: base.family, network: at, address: at, prefix: pool.size, bits: base.bits };
      if (!avoid.some((a) => overlaps(a, cand))) return formatCidr(cand);
      inUse++;
    }
    full.push(`no free /${pool.size} left in pool ${formatCidr(base)} (${inUse} in use)`);
  }
  throw new NetdError('conflict', `${what}: ${full.join('; ')}`);
}
