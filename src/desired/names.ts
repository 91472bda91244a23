/**
 * Checks for names that reach the kernel or the filesystem. Each returns the problem as a
 * message, or undefined when the name is fine. Names from YAML pass here before any
 * command line or path is built from them.
 */

import { ifnameProblem, netnsNameProblem } from '../kernel/names.js';

/** Interface and bridge names: the kernel layer's own rule (one definition, src/kernel/names.ts). */
export { ifnameProblem };

const PATH_NETNS = [/^\/proc\/[1-9][0-9]*\/ns\/net$/, /^\/proc\/[1-9][0-9]*\/task\/[1-9][0-9]*\/ns\/net$/, /^\/(var\/)?run\/netns\/([^/]+)$/];

/** A netns is a name under /run/netns or, when it starts with "/", an existing namespace's path. */
export function netnsProblem(netns: string): string | undefined {
  if (netns.startsWith('/')) {
    const m = PATH_NETNS.map((re) => re.exec(netns)).find((x) => x !== null);
    if (!m) return `"${netns}" must be /proc/PID/ns/net, /proc/PID/task/TID/ns/net, /run/netns/NAME or /var/run/netns/NAME`;
    return m[2] === undefined ? undefined : netnsNameProblem(m[2]);
  }
  return netnsNameProblem(netns);
}

/** The namespace a valid netns refers to: "x", /run/netns/x and /var/run/netns/x are one. */
export function netnsIdentity(netns: string): string {
  return /^\/(var\/)?run\/netns\/([^/]+)$/.exec(netns)?.[2] ?? netns;
}

/** Unicast MAC, colon-separated. Returns the problem, or undefined. */
export function macProblem(mac: string): string | undefined {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) return `"${mac}" is not a MAC address (want six hex pairs like 02:42:0a:58:00:0a)`;
  if (parseInt(mac.slice(0, 2), 16) & 1) return `"${mac}" is a multicast address; the first octet must be even`;
  if (/^(00:){5}00$/.test(mac)) return `"${mac}" is the zero address`;
  return undefined;
}

const LABEL = '[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DNS_NAME = new RegExp(`^${LABEL}(\\.${LABEL})*\\.?$`);

export function dnsNameProblem(name: string): string | undefined {
  return name.length <= 253 && DNS_NAME.test(name) ? undefined : `"${name}" is not a valid DNS name`;
}

/** `name:address` split at the first colon, as Docker's --add-host (an IPv6 address keeps its colons; `[…]` unwrapped). */
export function splitExtraHost(s: string): { name: string; address: string } {
  const i = s.indexOf(':');
  const address = i < 0 ? '' : s.slice(i + 1);
  return { name: i < 0 ? s : s.slice(0, i), address: /^\[.*\]$/.test(address) ? address.slice(1, -1) : address };
}
