/**
 * Validation of everything that becomes a word on an iproute2 batch line, an nft script or
 * a path. Names from YAML are validated by the spec layer already; this is the last line of
 * defence, so a bad value fails here with `invalid` instead of changing the meaning of a line.
 */
import { isIP } from 'node:net';
import { NetdError } from '../errors.js';

const IFNAME = /^[A-Za-z0-9_.:@-]{1,15}$/;
const NSNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;
const NSPATH = /^\/(?:[A-Za-z0-9_.@:-]+\/)*[A-Za-z0-9_.@:-]+$/;
const WORD = /^[^\s"'\\#;{}]+$/;
const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;

function bad(what: string, value: unknown): never {
  throw new NetdError('invalid', `${what} ${JSON.stringify(value)} is not valid here`);
}

/** An interface name: at most 15 bytes (IFNAMSIZ), no separators. */
export function checkIfName(name: string, what = 'interface name'): string {
  if (!IFNAME.test(name) || name === '.' || name === '..') bad(what, name);
  return name;
}

/** A namespace name under /run/netns, or an absolute path to an nsfs file. */
export function checkNsRef(ns: string): string {
  if (ns.startsWith('/')) {
    if (!NSPATH.test(ns) || ns.split('/').some((p) => p === '..' || p === '.')) bad('namespace path', ns);
  } else if (!NSNAME.test(ns)) bad('namespace name', ns);
  return ns;
}

/** Any other single word (an alias, an address, a key): no whitespace, quotes or comments. */
export function checkWord(value: string, what: string): string {
  if (!WORD.test(value) || value.length > 255) bad(what, value);
  return value;
}

export function checkMac(mac: string): string {
  if (!MAC.test(mac)) bad('mac address', mac);
  return mac.toLowerCase();
}

export function checkInt(n: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(n) || n < min || n > max) bad(what, n);
  return n;
}

export function checkIp(addr: string, what: string): string {
  if (isIP(addr) === 0) bad(what, addr);
  return addr;
}

/** An address with a prefix length (10.88.0.10/24, fd00::1/64). */
export function checkCidr(value: string, what: string): string {
  const [a = '', len, ...rest] = value.split('/');
  const family = isIP(a);
  if (family === 0 || rest.length || len === undefined || !/^\d{1,3}$/.test(len) || Number(len) > (family === 6 ? 128 : 32)) bad(what, value);
  return value;
}
