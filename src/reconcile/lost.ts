/**
 * Ownership checks a mutating command makes before it changes anything, read from the plan's
 * own observation (no kernel call of their own):
 *
 *   foreign tables  a netd-named nft table without netd's marker is an admin's: netd never
 *                   loads its rules over it nor deletes it;
 *   lost store      no records, yet kernel objects carry netd's mark (links with a `netd:`
 *                   alias in the host or a declared namespace, and then marked tables too):
 *                   the store was lost or emptied. Acting on it would build a second bridge for a subnet and
 *                   drop the rules the still-running containers depend on, so the command
 *                   refuses until `netd recover` rebuilds the records, or `--force`.
 */
import { foreignTableProblem } from '../kernel/index.js';
import { isOwned } from '../state/marks.js';
import type { KernelView, RecordedState } from '../plan/types.js';

/** What a plan observed: the records and the kernel. */
export interface Observed {
  readonly recorded: RecordedState;
  readonly kernel: KernelView;
}

/** Links carrying a `netd:` alias, in the host and every observed namespace. */
function markedLinks(kernel: KernelView): number {
  const views = [kernel.host, ...[...kernel.sandboxes.values()].filter((v) => v !== null)];
  return views.flatMap((v) => v.links).filter(isOwned).length;
}

/** Links carrying a `netd:` alias (host and every observed namespace) and netd-marked tables. */
export function markedObjects(kernel: KernelView): number {
  return markedLinks(kernel) + (kernel.nftTables ?? []).filter((t) => t.marked).length;
}

export const hasRecords = (r: RecordedState): boolean => r.networks.length + r.sandboxes.length + r.endpoints.length + r.allocations.length > 0;

/**
 * `the state in DIR was lost: N kernel objects carry netd's mark`, or undefined. Cheap: only
 * counts when there are no records. Marked tables alone are not a lost state: they are what a
 * delete killed before its last step leaves, and nothing running depends on them (their rules
 * name bridges, and no netd bridge or veth is left); they count once links carry a mark.
 */
export function lostState(stateDir: string, p: Observed): string | undefined {
  if (hasRecords(p.recorded) || markedLinks(p.kernel) === 0) return undefined;
  const n = markedObjects(p.kernel);
  return `the state in ${stateDir} was lost: ${n} kernel object${n === 1 ? ' carries' : 's carry'} netd's mark`;
}

/** The lost-store refusal with its way out; undefined when the store is not lost or `force`. */
export function lostProblem(stateDir: string, p: Observed, force: boolean): string | undefined {
  const lost = force ? undefined : lostState(stateDir, p);
  return lost && `${lost}: run netd recover -f PATH… to rebuild the records from them and the files, or give --force to proceed anyway`;
}

/** One problem per netd-named table that lacks netd's marker. */
export const foreignTableProblems = (kernel: KernelView): string[] => (kernel.nftTables ?? []).filter((t) => !t.marked).map(foreignTableProblem);
