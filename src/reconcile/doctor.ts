/**
 * `netd doctor`: is this host fit to run netd, is the store healthy, and has anything leaked?
 * Every check reports `ok` or `problem` (with the command that fixes it), or `skipped` when
 * what it needs could not be read. Doctor only reads: it takes no lock, opens the store
 * read-only and makes no kernel writes.
 */
import type { Runner } from '../os/index.js';
import { attempt, foreignDrops, forwarding, privileges, skipped, tool, type Check } from './doctor-checks.js';
import { leakChecks, readStore } from './doctor-store.js';

export type { Check, CheckGroup, CheckStatus } from './doctor-checks.js';

export interface DoctorOptions {
  readonly runner: Runner;
  readonly stateDir: string;
  /** How to name the apply that repairs things, e.g. `netd apply -f PATH... --state-dir DIR`. */
  readonly applyHint?: string;
}

export async function runDoctor(opts: DoctorOptions): Promise<Check[]> {
  const applyHint = opts.applyHint ?? 'netd apply -f PATH...';
  const checks: Check[] = [];
  checks.push(...(await attempt('prerequisites', 'privileges', privileges)));
  checks.push(await tool(opts.runner, 'iproute2', ['ip', '-V'], /iproute2-([\w.]+)/, 'iproute2'));
  checks.push(await tool(opts.runner, 'nftables', ['nft', '--version'], /v([\d.]+)/, 'nftables'));

  const { checks: storeResult, recorded } = await readStore(opts.stateDir, applyHint);
  checks.push(...(await attempt('prerequisites', 'ip_forward', () => forwarding(opts.runner, recorded))));
  checks.push(...(await attempt('prerequisites', 'forward policy', () => foreignDrops(opts.runner))));
  checks.push(...storeResult);
  if (!recorded) checks.push(skipped('leaks', 'all', 'the store could not be read'));
  else checks.push(...(await leakChecks(opts.runner, recorded, applyHint)));
  return checks;
}
