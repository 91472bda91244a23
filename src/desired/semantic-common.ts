/** What the semantic checks share: how they report, and how a CIDR field is read. */
import { formatCidr, specialRange, tryParseCidr, type Cidr, type Family } from './cidr.js';
import type { Origin } from './source.js';
import type { Named } from './merge.js';
import type { DriverName, NetworkDoc } from './types.js';
import type { PathSeg } from './spec-error.js';

export type Report = (o: Origin, sub: readonly PathSeg[], message: string, on?: 'value' | 'key') => void;

export const fam = (f: Family): string => (f === 4 ? 'IPv4' : 'IPv6');

/** A CIDR of the given family with host bits clear, or undefined after reporting why not. */
export function checkCidr(report: Report, o: Origin, sub: readonly PathSeg[], s: string, family: Family | undefined): Cidr | undefined {
  const c = tryParseCidr(s);
  if (!c || (family !== undefined && c.family !== family)) return void report(o, sub, `"${s}" is not ${family ? `an ${fam(family)}` : 'a'} CIDR`);
  if (c.address !== c.network) return void report(o, sub, `${s} has host bits set (did you mean ${formatCidr(c)}?)`);
  return c;
}

/** Why c, which must be ordinary unicast space, is not: "… is in the loopback range …", or undefined. */
export function specialIn(c: Cidr): string | undefined {
  const sp = specialRange(c);
  return sp && `${formatCidr(c)} is in the ${sp}, which no network can use`;
}

/** What the network checks learn of each network, for the attachment and pool checks. */
export interface FamilyInfo {
  readonly subnet: Cidr;
  /** Effective gateway; undefined for overlay networks (it comes from each host's lease). */
  readonly gateway?: bigint;
  readonly reserved: ReadonlySet<bigint>;
  /** Where dynamic addresses come from: ipRange, else the subnet. */
  readonly range: Cidr;
}

export interface NetInfo {
  readonly entry: Named<NetworkDoc>;
  readonly driver: DriverName;
  readonly v4?: FamilyInfo;
  readonly v6?: FamilyInfo;
  /** A bridge network without a subnet: the longest prefix the address pools may give it. */
  readonly poolPrefix?: number;
}
