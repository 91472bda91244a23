/**
 * What makes a plan dangerous, and the ways to narrow it (terraform's and kubectl's habits):
 * prunes (owned objects the files no longer declare) can be left out, and the objects a plan
 * would delete or replace are counted for `--max-deletes` and the confirmation. Pure.
 */
import type { Change, Plan } from './types.js';

/** A delete because the files no longer declare the object (not an interrupted one's cleanup). */
export const isPrune = (c: Change): boolean => c.action === 'delete' && c.reasons[0] === 'not declared';

/** The plan without its prunes (`--prune=false`). */
export const withoutPrunes = (plan: Plan): Plan => ({ changes: plan.changes.filter((c) => !isPrune(c)) });

/** The changes that remove an object: deletes, and replaces (the old object goes). */
export const destructive = (changes: readonly Change[]): Change[] => changes.filter((c) => c.action === 'delete' || c.action === 'replace');

const ORDER: readonly [Change['action'], string][] = [
  ['create', 'to create'],
  ['update', 'to update'],
  ['repair', 'to repair'],
  ['delete', 'to delete'],
  ['replace', 'to replace'],
];

/** `Plan: 3 to create, 1 to update, 2 to delete, 1 to replace` (repairs only when there are some). */
export function planTotals(changes: readonly Change[]): string {
  const n = (a: Change['action']): number => changes.filter((c) => c.action === a).length;
  const parts = ORDER.filter(([a]) => a !== 'repair' || n(a) > 0).map(([a, words]) => `${n(a)} ${words}`);
  return `Plan: ${parts.join(', ')}`;
}

/** Why a plan exceeds `--max-deletes`, or undefined. */
export function tooManyDeletes(changes: readonly Change[], max: number | undefined): string | undefined {
  if (max === undefined) return undefined;
  const gone = destructive(changes);
  if (gone.length <= max) return undefined;
  const names = gone.slice(0, 5).map((c) => `${c.kind} ${c.name}`);
  const more = gone.length > names.length ? `, … (+${gone.length - names.length})` : '';
  return `the plan deletes or replaces ${gone.length} objects (${names.join(', ')}${more}), more than --max-deletes ${max} allows`;
}
