/**
 * `netd doctor`: is this host fit to run netd, is the store healthy, has anything leaked, and
 * (given the files) can this host reach its cluster and does it hold its overlay leases?
 * Every check reports `ok` or `problem` (with the command that fixes it), or `skipped` when
 * what it needs could not be read. Doctor only reads: it takes no lock, opens the store
 * read-only and makes no kernel writes.
 */
import type { Runner } from '../kernel/index.js';
import { TOOLS, attempt, foreignDrops, forwarding, netlink, privileges, skipped, stateDirWritable, tool, type Check } from './doctor-checks.js';
import { leakChecks, readStore } from './doctor-store.js';
import { clusterChecks } from './doctor-cluster.js';
import { resolverChecks } from './doctor-dns.js';
import type { DesiredState } from '../desired/types.js';

export type { Check, CheckGroup, CheckStatus } from './doctor-checks.js';

export interface DoctorOptions {
  readonly runner: Runner;
  readonly stateDir: string;
  /** How to name the apply that repairs things, e.g. `netd apply -f PATH... --state-dir DIR`. */
  readonly applyHint?: string;
  /** The files' desired state (`-f`): its overlay networks are checked against the cluster. */
  readonly desired?: DesiredState;
}

export async function runDoctor(opts: DoctorOptions): Promise<Check[]> {
  const applyHint = opts.applyHint ?? 'netd apply -f PATH...';
  const checks: Check[] = [];
  checks.push(...(await attempt('prerequisites', 'privileges', privileges)));
  const tools = await Promise.all(TOOLS.map((t) => tool(opts.runner, t)));
  checks.push(...tools, netlink(), await stateDirWritable(opts.stateDir));
  // A missing tool is reported once, by its own check: what needs it is skipped, not failed.
  const missing = tools.filter((t) => t.status === 'problem').map((t) => t.name);

  const { checks: storeResult, recorded } = await readStore(opts.stateDir, applyHint);
  checks.push(...(await attempt('prerequisites', 'ip_forward', () => forwarding(opts.runner, recorded))));
  if (missing.includes('nftables')) checks.push(skipped('prerequisites', 'forward policy', 'needs nftables'));
  else checks.push(...(await attempt('prerequisites', 'forward policy', () => foreignDrops(opts.runner))));
  checks.push(...storeResult);
  if (!recorded) checks.push(skipped('leaks', 'all', 'the store could not be read'));
  else if (missing.length > 0) checks.push(skipped('leaks', 'all', `needs ${missing.join(' and ')}`));
  else checks.push(...(await leakChecks(opts.runner, recorded, applyHint)));
  if (recorded) checks.push(...(await attempt('resolver', 'all', () => resolverChecks(recorded, opts.stateDir, applyHint))));
  if (opts.desired) checks.push(...(await clusterChecks(opts.desired, recorded, { runner: opts.runner, stateDir: opts.stateDir, applyHint })));
  return checks;
}
