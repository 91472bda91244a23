/**
 * Validation of everything that becomes a word on an iproute2 batch line, an nft script or
 * a path. The rules for interface and namespace names live here, once: the spec layer reports
 * the same problems with a file:line:col (src/desired/names.ts calls the *Problem functions), and
 * the kernel layer throws `invalid` on them as its last line of defence, so a name that
 * validates never fails here and the two cannot drift apart.
 */
import { isIP } from 'node:net';
import { NetdError } from '../errors.js';

const RESERVED_IFNAMES = new Set(['all', 'default']);
const IFNAMSIZ = 15; // bytes, without the terminating NUL
const NSNAME_MAX = 255; // NAME_MAX of the file under /run/netns
const NAME_CHAR = /^[A-Za-z0-9_.-]$/;
const NSPATH = /^\/(?:[A-Za-z0-9_.@:-]+\/)*[A-Za-z0-9_.@:-]+$/;
const WORD = /^[^\s"'\\#;{}]+$/;
const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;

/** A character as a person can tell it apart: homoglyphs and invisible ones get their code point. */
function showChar(c: string): string {
  const cp = c.codePointAt(0)!;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return cp >= 0x21 && cp < 0x7f ? `"${c}"` : cp === 0x20 ? 'a space' : `${JSON.stringify(c)} (${hex})`;
}

const firstBad = (name: string): string | undefined => [...name].find((c) => !NAME_CHAR.test(c));

/**
 * Interface and bridge names: ASCII letters, digits, "_", "." and "-", 1-15 bytes, not "."
 * or "..". Narrower than the kernel's dev_valid_name(): "%" makes a template (eth%d), ":" an
 * alias label and "@" is iproute2's peer separator in its output. "all" and "default" name the
 * per-device sysctl directories every device would share (net/ipv4/conf/all): the kernel
 * refuses them with EINVAL.
 */
export function ifnameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (/[/:\s]/.test(name)) return `"${name}" must not contain "/", ":" or whitespace`;
  if (/\p{Cc}/u.test(name)) return `"${name}" must not contain control characters`;
  const c = firstBad(name);
  if (c !== undefined) return `"${name}" contains ${showChar(c)}: interface names are ASCII letters, digits, "_", "." and "-"`;
  if (name.length > IFNAMSIZ) return `"${name}" is ${name.length} bytes, at most ${IFNAMSIZ} allowed`;
  if (name === '.' || name === '..') return `"${name}" is not a valid interface name`;
  if (RESERVED_IFNAMES.has(name)) return `"${name}" is reserved by the kernel (it names the sysctl settings of every interface, net/ipv4/conf/${name})`;
  return undefined;
}

/**
 * A name under /run/netns: ASCII letters, digits, "_", "." and "-", starting with a letter,
 * digit or "_" (a leading "-" reads as an option to ip, a leading "." hides the file), no "..".
 */
export function netnsNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (/[/\p{Cc}]/u.test(name)) return `"${name}" must not contain "/" or control characters`;
  const c = firstBad(name);
  if (c !== undefined) return `"${name}" contains ${showChar(c)}: namespace names are ASCII letters, digits, "_", "." and "-"`;
  if (name.includes('..')) return `"${name}" must not contain ".."`;
  if (!/^[A-Za-z0-9_]/.test(name)) return `"${name}" must start with an ASCII letter, a digit or "_"`;
  if (name.length > NSNAME_MAX) return `"${name.slice(0, 20)}…" is ${name.length} bytes, at most ${NSNAME_MAX} allowed`;
  return undefined;
}

function bad(what: string, value: unknown): never {
  throw new NetdError('invalid', `${what} ${JSON.stringify(value)} is not valid here`);
}

/** An interface name: see ifnameProblem. */
export function checkIfName(name: string, what = 'interface name'): string {
  if (ifnameProblem(name) !== undefined) bad(what, name);
  return name;
}

/** A namespace name under /run/netns, or an absolute path to an nsfs file. */
export function checkNsRef(ns: string): string {
  if (ns.startsWith('/')) {
    if (!NSPATH.test(ns) || ns.split('/').some((p) => p === '..' || p === '.')) bad('namespace path', ns);
  } else if (netnsNameProblem(ns) !== undefined) bad('namespace name', ns);
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
