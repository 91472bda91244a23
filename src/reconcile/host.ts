/** The controller's HostOps for a real host, through src/os (and node:fs for /etc/netns). */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BatchRunner } from '../controller/execute.js';
import type { HostOps } from '../controller/host.js';
import {
  IP_FORWARD, IPV6_FORWARDING, deleteTables, ensureSysctl, runLines, runLinesAndView, observeRuleset, applyRuleset,
  buildRuleset, diffRuleset, type FirewallInput, type Runner,
} from '../os/index.js';
import { NETNS_ETC } from '../plan/files.js';

/** Batches through `ip [-n NS] [-force] -batch -` (a failure carries its 1-based `line`). */
export const batchRunner = (runner: Runner): BatchRunner => ({
  run: (ns, lines, opts) => runLines(runner, ns, lines, opts),
  runAndView: (ns, lines) => runLinesAndView(runner, ns, lines),
});

export async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export function realHost(runner: Runner, nameservers: readonly string[]): HostOps {
  return {
    batch: batchRunner(runner),
    nameservers,
    readFile: readText,
    async writeFile(path, content) {
      await mkdir(dirname(path), { recursive: true, mode: 0o755 });
      const tmp = `${path}.netd-tmp`;
      await writeFile(tmp, content, { mode: 0o644 });
      await rename(tmp, path);
    },
    async removeNetnsDir(netns) {
      await rm(`${NETNS_ETC}/${netns}`, { recursive: true, force: true });
    },
    async ensureForwarding(ipv6) {
      const v4 = await ensureSysctl(runner, undefined, IP_FORWARD, '1');
      const v6 = ipv6 ? await ensureSysctl(runner, undefined, IPV6_FORWARDING, '1') : false;
      return v4 || v6;
    },
    async syncFirewall(spec: FirewallInput) {
      const have = await observeRuleset(runner, undefined);
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
