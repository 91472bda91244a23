/**
 * The narrow, level-based peer pass `watch` runs on every lease event (DESIGN.md §9): list
 * the leases, read the host's peer routes, FDB and neighbour entries, compare them with what
 * the overlay driver expects of the current peers, and run the difference as one batch. It
 * reads the records and writes nothing to them; anything beyond peers (a network not built
 * yet, re-addressed, its device gone, a lease that expired) is left to a full pass, which it
 * asks for.
 */
import { isNetdError } from '../errors.js';
import type { DesiredState } from '../desired/types.js';
import { withCurrentLease } from '../state/records.js';
import type { KernelView } from '../state/view.js';
import { IpObserver, runOps } from '../kernel/index.js';
import type { Store } from '../store/store.js';
import { compare, opsOf } from '../drivers/compare.js';
import { isEntry } from '../drivers/entries.js';
import type { Expected } from '../drivers/expect.js';
import { overlayDriver, vxlanName } from '../drivers/overlay/index.js';
import { clusterView, type ClusterDeps } from './cluster.js';
import { loadRecorded } from './snapshot.js';
import type { Engine } from './reconcile.js';

export interface PeerPassResult {
  /** Kernel ops run (peer entries added or removed). */
  readonly ops: number;
  /** Leases kept alive. */
  readonly renewed: number;
  /** Seconds left on each renewed lease, by network. */
  readonly ttls?: Readonly<Record<string, number>>;
  /** Why a full pass is needed instead; nothing was changed. */
  readonly full?: string;
  /** The cluster store could not be read; nothing was changed. */
  readonly unreachable?: string;
  /** What the cluster view says aloud (a host-gw peer off the segment, skipped). */
  readonly notes?: readonly string[];
}

const NONE: PeerPassResult = { ops: 0, renewed: 0 };

export async function peerPass(
  e: Engine,
  desired: DesiredState,
  deps: ClusterDeps & { readonly store: Store },
  o: { renew: boolean },
): Promise<PeerPassResult> {
  const recorded = await loadRecorded(e.store);
  const view = await clusterView(desired, recorded, deps, 'peek');
  if (view.unreachable !== undefined) return { ...NONE, unreachable: view.unreachable };
  if (view.problems.length > 0) return { ...NONE, full: view.problems[0]! };
  let renewed = 0;
  const ttls: Record<string, number> = {};
  if (o.renew) {
    for (const [name, lease] of view.leases) {
      if (lease.leaseId === undefined) continue;
      try {
        ttls[name] = await deps.store.leases!.keepAlive(lease.leaseId);
        renewed++;
      } catch (err) {
        if (isNetdError(err, 'not-found')) return { ...NONE, renewed, full: `overlay network "${name}": this host's lease expired` };
        throw err;
      }
    }
  }
  const host = await new IpObserver(e.runner).observe({ namespaces: [] });
  const expected: Expected[] = [];
  for (const n of desired.networks) {
    if (!n.overlay) continue;
    const rec = recorded.networks.find((r) => r.name === n.name && r.state === 'ready');
    const lease = view.leases.get(n.name);
    if (!rec || !lease || rec.lease?.subnet !== lease.subnet) return { ...NONE, renewed, full: `overlay network "${n.name}" is not built on its lease yet` };
    if (n.overlay.backend === 'vxlan' && !host.links.some((l) => l.name === vxlanName(rec.id)))
      return { ...NONE, renewed, full: `overlay network "${n.name}": its vxlan device is missing` };
    expected.push(...overlayDriver.network(withCurrentLease(rec, view.leases)).filter(isEntry));
  }
  const kernel: KernelView = { host, netnsNames: new Set(), sandboxes: new Map(), files: new Map(), firewall: [] };
  const c = compare(expected, kernel);
  if (c.problems.length > 0) return { ...NONE, renewed, full: c.problems[0]! };
  const ops = opsOf(c);
  if (ops.length > 0) await runOps(e.runner, undefined, ops);
  return { ops: ops.length, renewed, ...(renewed > 0 ? { ttls } : {}), ...(view.notes.length > 0 ? { notes: view.notes } : {}) };
}
