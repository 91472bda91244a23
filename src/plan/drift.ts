/**
 * Drift: how the kernel differs from what the records say netd built. Each record's kernel
 * objects are stated by its driver (or the sandbox rules) and compared by the one comparer,
 * so the reasons printed here and the ops `apply` runs come from the same place. Pure.
 */
import { compare, opsOf, reasonsOf } from '../drivers/compare.js';
import type { Expected } from '../drivers/expect.js';
import type { DriverRegistry } from '../drivers/registry.js';
import { routesExpected, sandboxExpected } from '../drivers/sandbox.js';
import type { KernelOp } from '../kernel/ops.js';
import { sysctlKeys, nsRef } from '../state/derive.js';
import type { EndpointRecord, FileRecord, NetworkRecord, SandboxRecord } from '../state/records.js';
import { checkFile, type WantedFile } from '../state/file-digest.js';
import type { KernelView, NamespaceView } from '../state/view.js';
import type { Change } from './types.js';

export interface Drift {
  readonly reasons: string[];
  readonly ops: KernelOp[];
}

const NONE: Drift = { reasons: [], ops: [] };

function drift(expected: readonly Expected[], k: KernelView): Drift {
  const c = compare(expected, k);
  return { reasons: [...new Set(reasonsOf(c))], ops: opsOf(c) };
}

export function networkDrift(net: NetworkRecord, k: KernelView, drivers: DriverRegistry): Drift {
  const d = drivers.find(net.driver);
  return d ? drift(d.network(net), k) : NONE;
}

/** `files`: the sandbox's wanted files; `recorded`: what netd wrote to them (file-digest.ts). */
export function sandboxDrift(
  sb: SandboxRecord,
  k: KernelView,
  files: Iterable<readonly [string, WantedFile]>,
  recorded: ReadonlyMap<string, FileRecord> = new Map(),
): Drift {
  if (sb.hostNetwork) return NONE;
  const d = drift(sandboxExpected(sb), k);
  if (d.reasons.some((r) => r.startsWith('namespace '))) return d;
  for (const [path, want] of files) {
    const have = k.files.get(path);
    if (have === undefined) continue;
    if (have === null) d.reasons.push(`${path} missing`);
    else if (!checkFile(want, have, recorded.get(path)).same) d.reasons.push(`${path} differs`);
  }
  return d;
}

export function endpointDrift(
  ep: EndpointRecord,
  net: NetworkRecord,
  sb: SandboxRecord,
  k: KernelView,
  drivers: DriverRegistry,
  endpoints: readonly EndpointRecord[],
  networks: ReadonlyMap<string, NetworkRecord>,
): Drift {
  const d = drivers.find(net.driver);
  if (!d || sb.hostNetwork) return NONE;
  const view = k.sandboxes.get(nsRef(sb.netns));
  const own = d.endpoint(ep, net, sb);
  if (own.length === 0) return NONE;
  if (!view) return { reasons: [`namespace ${nsRef(sb.netns)} missing`], ops: drift(own, k).ops };
  const routes = routesExpected(sb, endpoints, networks, view).filter((r) => r.endpoint.id === ep.id);
  return drift([...own, ...routes.map((r) => r.expected)], k);
}

/** A sysctl netd sets (forwarding, route_localnet) found off: a change of its own. */
export function sysctlDrift(networks: readonly NetworkRecord[], k: KernelView): Change[] {
  return sysctlKeys(networks).flatMap((key) => {
    const have = k.sysctls?.get(key);
    if (have === undefined || have === '1') return [];
    return [{ action: 'repair', kind: 'sysctl', name: key, reasons: [`${key} ${have} → 1`], ops: [{ op: 'sysctl', key, value: '1' }] }];
  });
}

/**
 * The snapshot as it will be once the plan's deletes ran: links carrying the marks of records
 * being deleted (and what hangs off them) are gone, so what replaces them is compared with
 * what will be there, as the controller does.
 */
export function withoutMarked(k: KernelView, marks: ReadonlySet<string>): KernelView {
  if (marks.size === 0) return k;
  const strip = (v: NamespaceView): NamespaceView => {
    const gone = new Set(v.links.filter((l) => l.alias !== undefined && marks.has(l.alias)).map((l) => l.name));
    if (gone.size === 0) return v;
    return {
      links: v.links.filter((l) => !gone.has(l.name)),
      addresses: v.addresses.filter((a) => !gone.has(a.dev)),
      routes: v.routes.filter((r) => r.dev === undefined || !gone.has(r.dev)),
    };
  };
  return { ...k, host: strip(k.host), sandboxes: new Map([...k.sandboxes].map(([ref, v]) => [ref, v ? strip(v) : v])) };
}
