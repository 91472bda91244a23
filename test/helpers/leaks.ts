/**
 * What netd left in the kernel or the store that its records do not account for (DESIGN.md
 * §3: after a crash and an apply, nothing may leak). Unlike kernelLeftovers, this runs while
 * netd owns things: it compares the kernel with the store instead of expecting emptiness.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { parseOwner } from '../../src/state/marks.js';
import { NETNS_ETC } from '../../src/state/files.js';
import type { RecordedState } from '../../src/plan/types.js';

const ipJson = (...args: string[]): { ifname: string; ifalias?: string }[] =>
  JSON.parse(execFileSync('ip', ['-json', ...args, 'link', 'show'], { encoding: 'utf8' })) as { ifname: string; ifalias?: string }[];

/** One line per leak or unfinished record; empty when the store accounts for everything. */
export function netdLeaks(r: RecordedState): string[] {
  const leaks: string[] = [];
  const ids = new Set([...r.networks, ...r.sandboxes, ...r.endpoints].map((x) => x.id));
  const named = new Set(r.sandboxes.flatMap((s) => (s.netns.kind === 'named' && !s.hostNetwork ? [s.netns.name] : [])));
  const namespaces = readdirSync('/run/netns');
  const where: [string, string[]][] = [['host', []], ...namespaces.map((n): [string, string[]] => [`netns ${n}`, ['-n', n]])];
  for (const [place, args] of where) {
    for (const l of ipJson(...args)) {
      const owner = parseOwner(l.ifalias);
      if (owner && !ids.has(owner.id)) leaks.push(`link ${l.ifname} in ${place}: ${l.ifalias} has no record`);
    }
  }
  for (const n of namespaces) if (!named.has(n)) leaks.push(`netns ${n} has no record`);
  for (const n of readdirSync(NETNS_ETC)) if (!named.has(n)) leaks.push(`${NETNS_ETC}/${n} has no record`);
  const endpoints = new Set(r.endpoints.map((e) => e.id));
  for (const a of r.allocations) {
    if (!endpoints.has(a.endpointId)) leaks.push(`allocation ${a.address} of "${a.owner}" has no endpoint`);
  }
  for (const x of [...r.networks, ...r.sandboxes, ...r.endpoints]) {
    if (x.state !== 'ready') leaks.push(`record ${x.id.slice(0, 12)} is still ${x.state}`);
  }
  return leaks;
}
