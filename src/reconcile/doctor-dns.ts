/**
 * Doctor's resolver checks: every network with `dns: true` answers on each of its gateway
 * addresses (one real query, which netd itself answers), and who serves; nothing when no
 * network has `dns: true`. Reads only: the pid comes from `dns.pid`, no lock is taken.
 */
import { join } from 'node:path';
import { processAlive } from '../kernel/daemon.js';
import { servedNetworks } from '../state/dns.js';
import type { RecordedState } from '../plan/types.js';
import { probe } from '../dns/probe.js';
import { DNS_LOG_FILE } from '../dns/supervise.js';
import { holderPid } from '../store/lock.js';
import { ok, problem, type Check } from './doctor-checks.js';

export async function resolverChecks(recorded: RecordedState, stateDir: string, applyHint: string): Promise<Check[]> {
  const served = servedNetworks(recorded.networks).sort((a, b) => a.name.localeCompare(b.name));
  if (served.length === 0) return []; // nothing to serve, nothing to say
  const pid = holderPid(stateDir, 'dns');
  const log = join(stateDir, DNS_LOG_FILE);
  const fix = `${applyHint} (it starts the resolver again; its log: ${log})`;
  const checks: Check[] = [
    pid !== undefined && processAlive(pid)
      ? ok('resolver', 'process', `pid ${pid} serves ${stateDir}`)
      : problem('resolver', 'process', 'no resolver runs', fix),
  ];
  for (const n of served) {
    const answers = await Promise.all(n.gateways.map(async (g) => [g, await probe(g)] as const));
    const silent = answers.filter(([, rcode]) => rcode === undefined).map(([g]) => `${g}:53`);
    checks.push(
      silent.length === 0
        ? ok('resolver', `network ${n.name}`, `answers on ${n.gateways.map((g) => `${g}:53`).join(', ')}`)
        : problem('resolver', `network ${n.name}`, `no answer on ${silent.join(', ')}`, fix),
    );
  }
  return checks;
}
