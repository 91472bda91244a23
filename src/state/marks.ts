/**
 * Ownership marks: what netd stamps on the kernel objects it creates, so that they can be
 * told apart from an admin's (and found again after a lost store). A link carries the ifalias
 * `netd:<kind>:<id>`; nft tables carry a comment naming netd.
 */

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
