/**
 * The fixed rules of one address family of one network: which addresses are never handed
 * out (network address and IPv4 broadcast except on /31 and /32; the IPv6 subnet-router
 * anycast address except on /127 and /128; the gateway; `reserved`) and where dynamic
 * addresses come from (`ipRange`, else the whole subnet).
 */
import { NetdError } from '../errors.js';
import type { FamilyConfig } from '../desired/types.js';
import type { FamilyRecord } from '../state/records.js';
import { contains, formatAddr, formatCidr, lastAddr, parseAddr, parseCidr, type Cidr, type Family } from '../desired/cidr.js';

export interface Layout {
  readonly family: Family;
  readonly subnet: Cidr;
  /** Where dynamic addresses come from. */
  readonly range: Cidr;
  /** Why an address of the subnet can never be handed out, or undefined. */
  fixedReason(v: bigint): string | undefined;
}

/** Point-to-point subnets (RFC 3021, RFC 6164) have no network or broadcast address to spare. */
function isPointToPoint(c: Cidr): boolean {
  return c.prefix >= (c.family === 4 ? 31 : 127);
}

export function firstUsable(c: Cidr): bigint {
  return isPointToPoint(c) ? c.network : c.network + 1n;
}

/** The record of a family, from its declaration and its (declared or chosen) subnet. */
export function familyRecord(cfg: FamilyConfig, subnet: string): FamilyRecord {
  const c = parseCidr(subnet);
  const gateway = cfg.gateway ?? formatAddr(c.family, firstUsable(c));
  return { subnet: formatCidr(c), gateway, ...(cfg.ipRange ? { ipRange: cfg.ipRange } : {}), reserved: [...cfg.reserved] };
}

export function layoutOf(rec: FamilyRecord, where: string): Layout {
  const subnet = parseCidr(rec.subnet);
  const range = rec.ipRange ? parseCidr(rec.ipRange) : subnet;
  if (range.family !== subnet.family || range.network < subnet.network || lastAddr(range) > lastAddr(subnet)) {
    throw new NetdError('invalid', `${where}: ipRange ${rec.ipRange} is not inside subnet ${rec.subnet}`);
  }
  const fixed = new Map<bigint, string>();
  if (!isPointToPoint(subnet)) {
    fixed.set(subnet.network, subnet.family === 4 ? 'the network address' : 'the subnet-router anycast address');
    if (subnet.family === 4) fixed.set(lastAddr(subnet), 'the broadcast address');
  }
  fixed.set(parseAddr(rec.gateway).value, 'the gateway');
  for (const r of rec.reserved) fixed.set(parseAddr(r).value, 'reserved');
  return {
    family: subnet.family,
    subnet,
    range,
    fixedReason: (v) => (contains(subnet, { family: subnet.family, value: v }) ? fixed.get(v) : `outside subnet ${rec.subnet}`),
  };
}
