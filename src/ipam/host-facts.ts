/**
 * What IPAM must not collide with in the host namespace netd runs in: its routes (every
 * table, so local and policy-routed prefixes count too) and the nameservers of
 * /etc/resolv.conf (a container network covering the resolver would cut DNS off).
 */
import { readFile } from 'node:fs/promises';
import { formatCidr, tryParseCidrOrHost } from '../desired/cidr.js';
import { parseResolvConf } from '../state/resolv.js';

export interface HostInfo {
  /** Route destinations in the host namespace, as CIDRs (the default route excluded). */
  readonly routes: readonly string[];
  readonly nameservers: readonly string[];
}

export function staticHostInfo(routes: readonly string[], nameservers: readonly string[]): HostInfo {
  return { routes: [...routes], nameservers: [...nameservers] };
}

/**
 * `runRoutes` returns the output of `ip -json route show table all` (and `ip -6 …` if wanted,
 * as a second JSON array on its own line). It is passed in so that IPAM never spawns
 * processes itself: the kernel layer runs the command.
 */
export async function readHostInfo(runRoutes: () => Promise<string>, resolvConf = '/etc/resolv.conf'): Promise<HostInfo> {
  return { routes: parseRoutes(await runRoutes()), nameservers: parseResolvConf(await readOptional(resolvConf)).nameservers.map((s) => s.split('%')[0]!) };
}

export function parseRoutes(output: string): string[] {
  const out = new Set<string>();
  for (const r of parseJsonArrays(output) as { dst?: string }[]) {
    const c = r.dst && r.dst !== 'default' ? tryParseCidrOrHost(r.dst) : undefined;
    if (c && c.prefix > 0) out.add(formatCidr(c));
  }
  return [...out];
}

/** One JSON array, or several (one per line, e.g. the -4 and -6 outputs concatenated). */
function parseJsonArrays(output: string): unknown[] {
  try {
    return JSON.parse(output) as unknown[];
  } catch {
    return output
      .split('\n')
      .filter((l) => l.trim() !== '')
      .flatMap((l) => JSON.parse(l) as unknown[]);
  }
}

async function readOptional(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}
