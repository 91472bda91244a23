/**
 * The little address arithmetic IPAM needs: addresses as bigints, CIDRs as (base, prefix).
 * Parsing and printing go through ipaddr.js, so output is canonical (RFC 5952 for IPv6).
 */
import ipaddr from 'ipaddr.js';
import { NetdError } from '../errors.js';

export type Family = 4 | 6;

export interface Cidr {
  readonly family: Family;
  /** The network address (host bits cleared). */
  readonly base: bigint;
  readonly prefix: number;
}

export const bitsOf = (f: Family): number => (f === 4 ? 32 : 128);

/** Parses a bare address (an IPv6 zone like %eth0 is dropped); undefined when it is not one. */
export function tryParseAddr(s: string): { family: Family; value: bigint } | undefined {
  const bare = s.split('%')[0]!;
  let bytes: number[];
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) bytes = ipaddr.IPv4.parse(bare).toByteArray();
  else if (bare.includes(':') && ipaddr.IPv6.isValid(bare)) bytes = ipaddr.IPv6.parse(bare).toByteArray();
  else return undefined;
  return { family: bytes.length === 4 ? 4 : 6, value: bytes.reduce((v, b) => (v << 8n) | BigInt(b), 0n) };
}

export function parseAddr(s: string): { family: Family; value: bigint } {
  const a = tryParseAddr(s);
  if (!a) throw new NetdError('invalid', `"${s}" is not an IP address`);
  return a;
}

export function formatAddr(family: Family, value: bigint): string {
  const bytes: number[] = [];
  for (let i = bitsOf(family) / 8 - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(8 * i)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

/** Parses "addr/len", or a bare address as a host route; host bits are cleared. */
export function tryParseCidr(s: string): Cidr | undefined {
  const [addr, len, extra] = s.split('/');
  const a = tryParseAddr(addr!);
  if (!a || extra !== undefined) return undefined;
  const bits = bitsOf(a.family);
  const prefix = len === undefined ? bits : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!(prefix >= 0 && prefix <= bits)) return undefined;
  return { family: a.family, base: a.value & ~hostMask(a.family, prefix), prefix };
}

export function parseCidr(s: string): Cidr {
  const c = tryParseCidr(s);
  if (!c) throw new NetdError('invalid', `"${s}" is not a CIDR`);
  return c;
}

export const formatCidr = (c: Cidr): string => `${formatAddr(c.family, c.base)}/${c.prefix}`;

function hostMask(family: Family, prefix: number): bigint {
  return (1n << BigInt(bitsOf(family) - prefix)) - 1n;
}

export const lastAddr = (c: Cidr): bigint => c.base | hostMask(c.family, c.prefix);

export const contains = (c: Cidr, family: Family, v: bigint): boolean => c.family === family && v >= c.base && v <= lastAddr(c);

export const overlaps = (a: Cidr, b: Cidr): boolean => a.family === b.family && a.base <= lastAddr(b) && b.base <= lastAddr(a);
