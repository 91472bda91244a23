/** The controller's HostOps for a real host, through src/kernel (and node:fs for /etc/netns). */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { relative } from 'node:path';
import type { OpRunner } from '../controller/executor.js';
import type { HostOps } from '../controller/ports.js';
import {
  deleteTables,
  ensureSysctl,
  readOwnSysctl,
  runOps,
  runOpsAndView,
  socketsAhead,
  type SocketsAhead,
  ownLinkNames,
  namespaceId,
  nsPath,
  observeRuleset,
  applyRuleset,
  buildRuleset,
  diffRuleset,
  foreignTableProblem,
  type FirewallInput,
  type Runner,
} from '../kernel/index.js';
import { digestBelow, readBelow, removeBelow, writeBelow } from '../kernel/nofollow.js';
import { readHostInfo, type HostInfo } from '../ipam/host-facts.js';
import type { FileDigest, TableView } from '../state/view.js';
import { NETNS_ETC } from '../state/files.js';
import type { HostResolv } from '../state/resolv.js';
import { NetdError } from '../errors.js';

/** Ops rendered for `ip [-n NS] [-force] -batch -` (a failure carries its op's index). */
export function opRunner(runner: Runner): OpRunner {
  let ahead: SocketsAhead | undefined;
  return {
    run: (ns, ops, opts) => runOps(runner, ns, ops, { ...opts, ahead }),
    runAndView: (ns, ops) => runOpsAndView(runner, ns, ops, ahead),
    ahead(namespaces) {
      const mine = (ahead = socketsAhead(runner, namespaces));
      return () => {
        mine?.close();
        if (ahead === mine) ahead = undefined;
      };
    },
  };
}

/** A file netd keeps under /etc/netns, as path components below it. */
const belowNetns = (path: string): string[] => relative(NETNS_ETC, path).split('/');

/**
 * A file netd writes under /etc/netns, read without following a symlink: null when it is
 * missing or a symlink stands there (drift: writing replaces it); a symlinked directory is refused.
 */
export const readNetnsFile = (path: string): Promise<string | null> => readBelow(NETNS_ETC, belowNetns(path));

/** A file netd recorded writing, read only as far as its size and digest need (digestBelow). */
export const digestNetnsFile = (path: string, size: number): Promise<FileDigest | null> => digestBelow(NETNS_ETC, belowNetns(path), size);

/** The host's routes and resolvers: what a subnet IPAM chooses from the pools must stay clear of. */
export const hostFacts = (runner: Runner): Promise<HostInfo> =>
  readHostInfo(async () => (await runner.run(['ip', '-json', 'route', 'show', 'table', 'all'])).stdout);

/** A host file netd only reads (/etc/resolv.conf, often a symlink); null when missing. */
export async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Polls the host's links until none of `names` is left or `ms` passed; returns those left. */
async function linksLeft(runner: Runner, names: readonly string[], ms: number): Promise<string[]> {
  const until = Date.now() + ms;
  for (;;) {
    const have = await ownLinkNames(runner);
    const left = names.filter((n) => have.has(n));
    if (left.length === 0 || Date.now() >= until) return left;
    await sleep(10);
  }
}

export function realHost(runner: Runner, resolv: HostResolv): HostOps {
  return {
    batch: opRunner(runner),
    resolv,
    readFile: readNetnsFile,
    // Never through a symlink: a temporary file created exclusively, renamed over the target.
    writeFile: (path, content) => writeBelow(NETNS_ETC, belowNetns(path), content, 0o644),
    removeNetnsDir: (netns) => removeBelow(NETNS_ETC, netns),
    linksLeft: (names, ms) => linksLeft(runner, names, ms),
    namespaceId: (ref) => namespaceId(nsPath(ref)),
    async ensureSysctls(keys) {
      let changed = false;
      // A bridge that is not there (its step failed) has no route_localnet yet: the next apply sets it.
      for (const key of keys) if ((await readOwnSysctl(key)) !== undefined && (await ensureSysctl(runner, undefined, key, '1'))) changed = true;
      return changed;
    },
    // `observed`: the tables as the plan's snapshot read them, under the same lock: the
    // firewall is read and compared once per apply.
    async syncFirewall(spec: FirewallInput, observed?: readonly TableView[]) {
      const have = observed ? { tables: observed } : await observeRuleset(runner, undefined);
      // Pre-flight refused already; this holds for a table created since: an admin's is never replaced.
      const foreign = have.tables.filter((t) => !t.marked);
      if (foreign.length > 0) throw new NetdError('conflict', foreign.map(foreignTableProblem).join('; '));
      if (spec.networks.length === 0) {
        if (have.tables.length === 0) return false;
        await deleteTables(runner, undefined);
        return true;
      }
      if (diffRuleset(buildRuleset(spec), have).length === 0) return false;
      await applyRuleset(runner, undefined, spec);
      return true;
    },
  };
}
