/**
 * Ownership marks: what netd stamps on the kernel objects it creates, so that they can be
 * told apart from an admin's (and found again after a lost store). A link carries the ifalias
 * `netd:<kind>:<id>`; nft tables carry a comment naming netd; a namespace's record keeps its
 * identity (nsfs device and inode, and the namespace's cookie: inodes are reused).
 *
 * An object under a recorded name without them is foreign: netd never changes nor deletes it.
 * Not foreign: what the record does not identify (a record written before identities were
 * kept), a link of a record still `creating` (a crash between `link add` and setting its mark
 * leaves netd's own link unmarked), and an object another live record of the same name claims
 * (what an interrupted replace leaves: the old record `deleting`, the object its successor's).
 */
import { nsRef } from './derive.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from './records.js';
import { linkNamed, type KernelView } from './view.js';

/** The comment netd gives each of its nft tables: a netd-named table without it is an admin's. */
export const TABLE_MARK = 'netd: managed by netd, do not edit';
const OWNER = /^netd:([a-z][a-z0-9-]*):([A-Za-z0-9_.-]+)$/;

/** The ifalias that marks a link as netd's: `netd:<kind>:<id>`. */
export function ownerAlias(kind: string, id: string): string {
  return `netd:${kind}:${id}`;
}

export function parseOwner(alias: string | undefined): { kind: string; id: string } | undefined {
  const m = alias === undefined ? null : OWNER.exec(alias);
  return m ? { kind: m[1]!, id: m[2]! } : undefined;
}

export function isOwned(link: { alias?: string }): boolean {
  return parseOwner(link.alias) !== undefined;
}

/**
 * Whether two namespace identities (`<st_dev>:<st_ino>[:<cookie>]`) are the same namespace.
 * The inode of a freed namespace is reused, its cookie never; when either side has no cookie
 * (a record written before cookies were kept, or read without the addon) only the inode can
 * tell.
 */
export function sameNamespace(a: string, b: string): boolean {
  const [devA, inoA, cookieA] = a.split(':');
  const [devB, inoB, cookieB] = b.split(':');
  return devA === devB && inoA === inoB && (cookieA === undefined || cookieB === undefined || cookieA === cookieB);
}

const claimedByOther = <T extends { id: string; state: string }>(r: T, all: readonly T[], same: (o: T) => boolean): boolean =>
  all.some((o) => o.id !== r.id && o.state !== 'deleting' && same(o));

/** Why the record's namespace is not the one netd created or adopted; undefined: it is (or cannot tell). */
export function foreignNamespace(sb: SandboxRecord, k: KernelView, sandboxes: readonly SandboxRecord[] = []): string | undefined {
  if (sb.hostNetwork || sb.nsId === undefined) return undefined;
  const ref = nsRef(sb.netns);
  const have = k.nsIds?.get(ref);
  // Only an enterable namespace: a missing one, or the bare file of an interrupted `netns add`, is repaired.
  if (have === undefined || sameNamespace(sb.nsId, have) || !k.sandboxes.get(ref)) return undefined;
  if (claimedByOther(sb, sandboxes, (o) => !o.hostNetwork && nsRef(o.netns) === ref)) return undefined;
  return sb.created ? `namespace "${ref}" was replaced by one netd did not create` : `namespace "${ref}" is no longer the one netd adopted`;
}

/** Why the network's bridge is not netd's; undefined: it is, or it is missing. */
export function foreignBridge(net: NetworkRecord, k: KernelView, networks: readonly NetworkRecord[] = []): string | undefined {
  if (!net.bridge || net.adopted || net.state === 'creating') return undefined;
  const link = linkNamed(k.host.links, net.bridge);
  if (!link || link.alias === ownerAlias('network', net.id)) return undefined;
  if (claimedByOther(net, networks, (o) => o.bridge === net.bridge)) return undefined;
  return link.kind === 'bridge'
    ? `bridge "${net.bridge}" exists and is not netd's (no netd:network mark)`
    : `"${net.bridge}" exists and is a ${link.kind ?? 'device'}, not netd's bridge`;
}

/** Why the endpoint's host veth is not netd's; undefined: it is, or it is missing. */
export function foreignVeth(ep: EndpointRecord, k: KernelView): string | undefined {
  if (!ep.hostVeth || ep.state === 'creating') return undefined;
  const link = linkNamed(k.host.links, ep.hostVeth);
  if (!link || link.alias === ownerAlias('endpoint', ep.id)) return undefined;
  return `veth "${ep.hostVeth}" exists and is not netd's (no netd:endpoint mark)`;
}
