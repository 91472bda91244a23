/**
 * Doctor's store and leak checks: the database opens read-only at the current schema and
 * passes quick_check, no apply was interrupted, and the kernel holds nothing netd marks as
 * its own that the records do not account for (and lacks nothing they do).
 */
import { escapeControls, isNetdError, messageOf } from '../errors.js';
import { parseOwner } from '../state/marks.js';
import { DEFAULT_PARALLEL, IpObserver, foreignTable, mapPool, observeRuleset, type ObservedLink, type ObservedState, type Runner } from '../kernel/index.js';
import { nsRef } from '../state/derive.js';
import type { RecordedState } from '../plan/types.js';
import { inspectSqliteStore, type StoreInspection } from '../store/health.js';
import { allocationKey } from '../state/records.js';
import { attempt, ok, problem, type Check } from './doctor-checks.js';
import { firewallDriftOf, loadRecorded } from './snapshot.js';
import { hasRecords } from './lost.js';

const EMPTY: RecordedState = { networks: [], sandboxes: [], endpoints: [], allocations: [], revisions: new Map() };

/** The store checks, and the records when they could be read. */
export async function readStore(stateDir: string, applyHint: string): Promise<{ checks: Check[]; recorded?: RecordedState }> {
  let inspection: StoreInspection | undefined;
  try {
    inspection = inspectSqliteStore(stateDir);
  } catch (e) {
    return { checks: [problem('store', 'database', `${stateDir}: ${messageOf(e)}`, openFix(e, stateDir, applyHint))] };
  }
  if (!inspection) return { checks: [ok('store', 'database', `no state yet: no database in ${stateDir} (nothing applied)`)], recorded: EMPTY };
  try {
    // A record that is not JSON stops every read of the store: report each, and check no further.
    const recorded = inspection.corrupt.length === 0 ? await loadRecorded(inspection.store) : undefined;
    return { checks: storeChecks(inspection, recorded, applyHint), ...(recorded ? { recorded } : {}) };
  } finally {
    await inspection.store.close();
  }
}

function openFix(e: unknown, stateDir: string, applyHint: string): string {
  // A database this uid may not open (0600, another owner) is fine: the fix is privileges.
  if ((e as { cause?: { code?: unknown } }).cause?.code === 'SQLITE_CANTOPEN') return 'run netd doctor as root';
  if (isNetdError(e, 'forbidden')) {
    return /symlink/.test(messageOf(e))
      ? 'replace the symlink with a regular file: move the database it points to there, or remove it and let netd apply create one'
      : 'run netd doctor as root';
  }
  return `move ${stateDir} aside, then ${applyHint}`;
}

function recordChecks(i: StoreInspection): Check[] {
  if (i.corrupt.length === 0) return [ok('store', 'records', 'every record is valid JSON')];
  return i.corrupt.map((key) => {
    // By the key's bytes in hex: any character in it, even one printed escaped, matches exactly.
    const sql = `DELETE FROM kv WHERE hex(key) = '${Buffer.from(key, 'utf8').toString('hex').toUpperCase()}'`;
    return problem(
      'store',
      'records',
      `record "${escapeControls(key)}" is not valid JSON`,
      `sqlite3 ${i.file} "${sql}" (then netd doctor reports what it held as leaks)`,
    );
  });
}

function storeChecks(i: StoreInspection, recorded: RecordedState | undefined, applyHint: string): Check[] {
  const checks: Check[] = [ok('store', 'database', `${i.file} opens`), ...recordChecks(i)];
  const schema = `schema version ${i.schemaVersion}, this netd's is ${i.latestVersion}`;
  if (i.schemaVersion === i.latestVersion) checks.push(ok('store', 'schema', schema));
  else if (i.schemaVersion < i.latestVersion) checks.push(problem('store', 'schema', schema, `${applyHint} (opening the store to write migrates it)`));
  else checks.push(problem('store', 'schema', `${schema}: written by a newer netd`, 'upgrade netd'));
  if (i.integrity.length === 1 && i.integrity[0] === 'ok') checks.push(ok('store', 'integrity', 'quick_check: ok'));
  else
    checks.push(
      problem('store', 'integrity', `quick_check: ${i.integrity.slice(0, 3).join('; ')}`, `restore ${i.file} from a backup (or: sqlite3 ${i.file} .recover)`),
    );
  if (!recorded) return checks;
  const inFlight = [
    ...recorded.networks.map((r) => ({ what: `network "${r.name}"`, state: r.state })),
    ...recorded.sandboxes.map((r) => ({ what: `container "${r.container}"`, state: r.state })),
    ...recorded.endpoints.map((r) => ({ what: `attachment "${r.container}/${r.network}"`, state: r.state })),
  ].filter((r) => r.state !== 'ready');
  if (inFlight.length === 0) checks.push(ok('store', 'interrupted', 'no record is creating or deleting'));
  else checks.push(problem('store', 'interrupted', `an apply was interrupted: ${inFlight.map((r) => `${r.what} ${r.state}`).join(', ')}`, applyHint));
  return checks;
}

/** The host, every recorded sandbox and every other named namespace (a leaked one included). */
async function observeAll(runner: Runner, recorded: RecordedState): Promise<ObservedState> {
  const observer = new IpObserver(runner);
  const refs = [...new Set(recorded.sandboxes.filter((s) => !s.hostNetwork).map((s) => nsRef(s.netns)))].sort();
  const os = await observer.observe({ namespaces: refs });
  const others = os.namespaces.map((n) => n.name).filter((n) => !os.views.has(n));
  const views = await mapPool(others, DEFAULT_PARALLEL, (ns) => observer.view(ns));
  others.forEach((ns, i) => os.views.set(ns, views[i]!));
  return os;
}

function linkDel(ns: string | undefined, name: string): string {
  if (ns === undefined) return `ip link del ${name}`;
  return ns.startsWith('/') ? `nsenter --net=${ns} ip link del ${name}` : `ip -n ${ns} link del ${name}`;
}

function linkLeaks(os: ObservedState, recorded: RecordedState): Check[] {
  const known = new Set([
    ...recorded.networks.map((n) => `network:${n.id}`),
    ...recorded.networks.filter((n) => n.overlay).map((n) => `overlay:${n.id}`), // its vxlan device
    ...recorded.endpoints.map((e) => `endpoint:${e.id}`),
  ]);
  const reported = new Set<string>(); // a veth pair's two ends carry one alias: deleting one end removes both
  const out: Check[] = [];
  let owned = 0;
  const scan = (ns: string | undefined, links: readonly ObservedLink[]): void => {
    for (const l of links) {
      const o = parseOwner(l.alias);
      if (!o) continue;
      owned++;
      const key = `${o.kind}:${o.id}`;
      if (known.has(key) || reported.has(key)) continue;
      reported.add(key);
      const where = ns === undefined ? '' : ` in namespace ${ns}`;
      out.push(problem('leaks', 'links', `link ${l.name}${where} carries ${l.alias}, but no such ${o.kind} is recorded`, linkDel(ns, l.name)));
    }
  };
  scan(undefined, os.links);
  for (const [ns, v] of os.views) if (v) scan(ns, v.links);
  // No records at all: the store was lost (lost.ts), and deleting the links would cut off running containers.
  if (out.length > 0 && !hasRecords(recorded))
    return [problem('leaks', 'links', `${owned} link(s) carry a netd alias, but the store records nothing: the state was lost`, 'netd recover -f PATH...')];
  return out.length > 0 ? out : [ok('leaks', 'links', `${owned} link(s) carry a netd alias, all recorded`)];
}

function missingNamespaces(os: ObservedState, recorded: RecordedState, applyHint: string): Check[] {
  const names = new Set(os.namespaces.map((n) => n.name));
  const live = recorded.sandboxes.filter((s) => !s.hostNetwork && s.state !== 'deleting');
  const missing = live.filter((s) => (s.netns.kind === 'named' ? !names.has(s.netns.name) : os.views.get(s.netns.path) === null));
  if (missing.length === 0) return [ok('leaks', 'namespaces', `${live.length} recorded namespace(s), all present`)];
  return missing.map((s) => problem('leaks', 'namespaces', `container "${s.container}": namespace ${nsRef(s.netns)} is recorded but missing`, applyHint));
}

function orphanAllocations(recorded: RecordedState): Check[] {
  const endpoints = new Set(recorded.endpoints.map((e) => e.id));
  const orphans = recorded.allocations.filter((a) => !endpoints.has(a.endpointId));
  if (orphans.length === 0) return [ok('leaks', 'allocations', `${recorded.allocations.length} allocation(s), each with its endpoint`)];
  return orphans.map((a) => {
    const key = allocationKey(a.networkId, a.family, a.address);
    return problem(
      'leaks',
      'allocations',
      `${a.address} (${a.owner}) is allocated to endpoint ${a.endpointId.slice(0, 12)}…, which is not recorded`,
      `remove store key ${key} (no netd command does this yet)`,
    );
  });
}

async function firewall(runner: Runner, recorded: RecordedState, applyHint: string): Promise<Check> {
  const fw = await observeRuleset(runner, undefined);
  const foreign = fw.tables.filter((t) => !t.marked);
  if (foreign.length > 0)
    return problem(
      'leaks',
      'firewall',
      foreign.map(foreignTable).join('; '),
      foreign.map((t) => `nft delete table ${t.family} ${t.name} (or rename it)`).join('; '),
    );
  const drift = firewallDriftOf(fw, recorded);
  if (drift.length === 0) return ok('leaks', 'firewall', "netd's nft tables match the records");
  const more = drift.length > 3 ? ` (and ${drift.length - 3} more)` : '';
  return problem('leaks', 'firewall', `netd's nft tables differ from the records: ${drift.slice(0, 3).join('; ')}${more}`, applyHint);
}

export async function leakChecks(runner: Runner, recorded: RecordedState, applyHint: string): Promise<Check[]> {
  const kernel = await attempt('leaks', 'links', async () => {
    const os = await observeAll(runner, recorded);
    return [...linkLeaks(os, recorded), ...missingNamespaces(os, recorded, applyHint)];
  });
  return [...kernel, ...orphanAllocations(recorded), ...(await attempt('leaks', 'firewall', () => firewall(runner, recorded, applyHint)))];
}
