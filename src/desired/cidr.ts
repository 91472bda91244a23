/**
 * Address and CIDR arithmetic on bigints, shared by validation and IPAM.
 * Parsing is strict: IPv4 only in four-part decimal, IPv6 without zone ids, so that
 * "10.1" or "0x0a.0.0.1" never silently mean something else.
 */
import ipaddr from 'ipaddr.js';
import { NetdError } from '../errors.js';

export type Family = 4 | 6;

export interface Addr {
  readonly family: Family;
  readonly value: bigint;
}

export interface Cidr {
  readonly family: Family;
  /** The network address (host bits cleared). */
  readonly network: bigint;
  readonly prefix: number;
  readonly bits: 32 | 128;
  /** The address as written; differs from network when host bits are set. */
  readonly address: bigint;
}

export const bitsOf = (f: Family): 32 | 128 => (f === 4 ? 32 : 128);

function toBigint(bytes: number[]): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

export function tryParseAddr(s: string): Addr | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return { family: 4, value: toBigint(ipaddr.IPv4.parse(s).toByteArray()) };
  if (!s.includes('%') && ipaddr.IPv6.isValid(s)) {
    // ipaddr.js reads "::1.2.3.4" (IPv4-compatible) as "::ffff:1.2.3.4" (IPv4-mapped); "::0:1.2.3.4" it reads right.
    const text = /^::[0-9.]+$/.test(s) ? `::0:${s.slice(2)}` : s;
    return { family: 6, value: toBigint(ipaddr.IPv6.parse(text).toByteArray()) };
  }
  return undefined;
}

export function parseAddr(s: string): Addr {
  const a = tryParseAddr(s);
  if (!a) throw new NetdError('invalid', `"${s}" is not an IP address`);
  return a;
}

export function tryParseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const a = tryParseAddr(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (!a || !/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
  const bits = bitsOf(a.family);
  const prefix = Number(p);
  if (prefix > bits) return undefined;
  return { family: a.family, network: a.value & ~hostMask(bits, prefix), prefix, bits, address: a.value };
}

/** A CIDR, or a bare address as the host route it is (/32, /128): for routes and nameservers. */
export function tryParseCidrOrHost(s: string): Cidr | undefined {
  if (s.includes('/')) return tryParseCidr(s);
  const a = tryParseAddr(s);
  return a && tryParseCidr(`${s}/${bitsOf(a.family)}`);
}

export function parseCidr(s: string): Cidr {
  const c = tryParseCidr(s);
  if (!c) throw new NetdError('invalid', `"${s}" is not a CIDR`);
  return c;
}

function hostMask(bits: number, prefix: number): bigint {
  return (1n << BigInt(bits - prefix)) - 1n;
}

export function formatAddr(family: Family, value: bigint): string {
  const n = family === 4 ? 4 : 16;
  const bytes: number[] = [];
  for (let i = n - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

export function formatCidr(c: Pick<Cidr, 'family' | 'network' | 'prefix'>): string {
  return `${formatAddr(c.family, c.network)}/${c.prefix}`;
}

/** Canonical text of an address (RFC 5952 for IPv6). */
export const canonicalAddr = (s: string): string => {
  const a = parseAddr(s);
  return formatAddr(a.family, a.value);
};

/** Canonical text of a CIDR, host bits cleared. */
export const canonicalCidr = (s: string): string => formatCidr(parseCidr(s));

export function contains(c: Cidr, a: Addr): boolean {
  return c.family === a.family && (a.value & ~hostMask(c.bits, c.prefix)) === c.network;
}

/** inner lies entirely within outer. */
export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && contains(outer, { family: inner.family, value: inner.network });
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return containsCidr(a, b) || containsCidr(b, a);
}

export function size(c: Cidr): bigint {
  return 1n << BigInt(c.bits - c.prefix);
}

/** The last address of the range (the IPv4 broadcast address when prefix ≤ 30). */
export function lastAddr(c: Cidr): bigint {
  return c.network | hostMask(c.bits, c.prefix);
}

/** IPv4 broadcast address; undefined for IPv6 and for /31, /32. */
export function broadcast(c: Cidr): bigint | undefined {
  return c.family === 4 && c.prefix <= 30 ? lastAddr(c) : undefined;
}

/** First address a host may use: skips the IPv4 network and the IPv6 subnet-router anycast address. */
export function firstUsable(c: Cidr): bigint {
  return c.prefix >= c.bits - 1 ? c.network : c.network + 1n;
}

export function lastUsable(c: Cidr): bigint {
  return broadcast(c) === undefined ? lastAddr(c) : lastAddr(c) - 1n;
}

// ---- Special-purpose ranges (RFC 6890) that never make a network, a pool or a host binding ----

const range = (cidr: string, what: string): { c: Cidr; what: string } => ({ c: parseCidr(cidr), what });
const LOOPBACK4 = range('127.0.0.0/8', 'loopback range 127.0.0.0/8');
const LOOPBACK6 = range('::1/128', 'loopback address ::1');
const MAPPED = range('::ffff:0:0/96', 'IPv4-mapped range ::ffff:0:0/96');
const SPECIAL = [
  range('0.0.0.0/8', '"this network" range 0.0.0.0/8'),
  LOOPBACK4,
  range('169.254.0.0/16', 'link-local range 169.254.0.0/16'),
  range('224.0.0.0/4', 'multicast range 224.0.0.0/4'),
  range('240.0.0.0/4', 'reserved range 240.0.0.0/4'),
  LOOPBACK6,
  MAPPED,
  range('::/96', 'IPv4-compatible range ::/96'),
  range('fe80::/10', 'link-local range fe80::/10'),
  range('ff00::/8', 'multicast range ff00::/8'),
];

/** The special-purpose range c overlaps (described), or undefined when c is ordinary unicast space. */
export function specialRange(c: Cidr): string | undefined {
  return SPECIAL.find((s) => overlaps(s.c, c))?.what;
}

/** The special-purpose range an address lies in, or undefined. */
export function specialAddr(a: Addr): string | undefined {
  return SPECIAL.find((s) => contains(s.c, a))?.what;
}

export const isLoopback = (a: Addr): boolean => contains(LOOPBACK4.c, a) || contains(LOOPBACK6.c, a);

/** The IPv4 address an IPv4-mapped IPv6 address (::ffff:a.b.c.d) stands for, or undefined. */
export function unmappedV4(a: Addr): string | undefined {
  return contains(MAPPED.c, a) ? formatAddr(4, a.value & 0xffffffffn) : undefined;
}
