/**
 * The controller (libnetwork's controller, sandbox and endpoint APIs): the only writer of
 * records and, through drivers and the executor, of the kernel.
 *
 * Every operation is queued into a transaction (`begin()` … `commit()`); outside one, each call
 * commits on its own. Commit order is the crash-safety argument:
 *
 *   1. intent: one store txn writes every new record as `creating` (with its IP allocations)
 *      and marks every record about to be destroyed `deleting` (libnetwork's inDelete);
 *   2. kernel: the steps run, batched per phase and namespace; a failed step is undone; the
 *      veths that went with a deleted namespace are waited for; the /etc/netns directories
 *      of deleted sandboxes are removed;
 *   3. outcome: one store txn marks successes `ready`, removes deleted records and releases
 *      their addresses, and removes what failed to be created;
 *   4. files, forwarding and the firewall are brought in line with the records.
 *
 * A kill -9 anywhere leaves records in `creating`/`deleting`; the next diff repairs or
 * finishes them, and no kernel object exists that no record accounts for.
 */
import { randomBytes } from 'node:crypto';
import { NetdError } from '../errors.js';
import type { Logger } from '../log.js';
import type { KernelView, NamespaceView, RouteView } from '../state/view.js';
import { firewallSpec, sysctlKeys, nsRef } from '../state/derive.js';
import { sandboxFiles } from '../state/files.js';
import { foreignNamespace } from '../state/marks.js';
import {
  ENDPOINTS,
  NETWORKS,
  SANDBOXES,
  endpointKey,
  networkKey,
  sandboxKey,
  PREDEFINED,
  withCurrentLease,
  type EndpointRecord,
  type NetworkRecord,
  type OverlayLease,
  type SandboxRecord,
} from '../state/records.js';
import type { Condition, Op, Store } from '../store/store.js';
import type { DriverRegistry } from '../drivers/registry.js';
import { compare, opsOf, type Comparison } from '../drivers/compare.js';
import type { Expected } from '../drivers/expect.js';
import { defaultRoute, isNetdRoute, routesExpected } from '../drivers/sandbox.js';
import type { KernelOp } from '../kernel/ops.js';
import { executeSteps, type ExecuteOptions } from './executor.js';
import type { AddressAllocator, HostOps } from './ports.js';
import { Step } from './step.js';
import { FILE_PARALLEL, syncFiles } from './netns-files.js';
import { Records } from './records.js';
import { attachmentKey } from '../desired/types.js';

/**
 * One op per key (the last wins: a released address taken again by a replacement in the same
 * transaction is one put), and no "must not exist" condition on a key this transaction itself
 * deletes first.
 */
export function compact(ops: readonly Op[], conditions: readonly Condition[]): { ops: Op[]; conditions: Condition[] } {
  const last = new Map<string, Op>();
  for (const op of ops) {
    last.delete(op.key);
    last.set(op.key, op);
  }
  const deleted = new Set(ops.filter((o) => o.type === 'delete').map((o) => o.key));
  const seen = new Set<string>();
  const kept = conditions.filter((c) => !(c.modRevision === 0 && deleted.has(c.key)) && !seen.has(c.key) && seen.add(c.key));
  return { ops: [...last.values()], conditions: kept };
}

/** How long the veths of a deleted namespace may take to go before netd deletes them itself. */
const VANISH_MS = 3000;

export const newId = (): string => randomBytes(32).toString('hex');

export interface ControllerDeps {
  readonly store: Store;
  readonly host: HostOps;
  readonly drivers: DriverRegistry;
  readonly ipam: AddressAllocator;
  readonly kernel: KernelView;
  /** Overlay networks' current leases and peers by name: attached to their records as they load. */
  readonly leases?: ReadonlyMap<string, OverlayLease>;
  readonly log: Logger;
  readonly execute?: ExecuteOptions;
}

export interface CommitResult {
  readonly steps: readonly Step[];
  readonly failed: readonly Step[];
  /** Namespaces read back by their last batch. */
  readonly views: ReadonlyMap<string, NamespaceView>;
  /** Kernel objects or files written outside the steps (files, sysctl, firewall). */
  readonly extraWrites: number;
  /** Which of them: verify reads back only these (and the namespaces the steps wrote to). */
  readonly written?: Written;
}

export interface Written {
  /** /etc/netns files written. */
  readonly files: ReadonlySet<string>;
  /** Whether netd's nft tables were loaded. */
  readonly firewall: boolean;
  readonly count: number;
}

/** The pending work of one transaction. */
export class Tx {
  readonly intent: Op[] = [];
  readonly conditions: Condition[] = [];
  /** Record keys putIntent has guarded (a scan of `conditions` per put was O(N²) in a cold apply). */
  readonly guarded = new Set<string>();
  readonly steps: Step[] = [];
  /** Endpoints whose kernel objects this transaction (re)builds: their routes are rewritten. */
  readonly rebuilt = new Set<string>();
  /** The step that builds a network or sandbox in this transaction, by record id: endpoints depend on it. */
  readonly byId = new Map<string, Step>();
  /** Endpoints created in this transaction: a failed join removes them and their addresses. */
  readonly created = new Set<string>();
  /** Records this transaction deletes: a second delete of the same object (a container's
   *  endpoints, then the attachments themselves) is a no-op. */
  readonly doomed = new Set<string>();
  /** Per sandbox id, the steps deleting its endpoints: if its namespace goes, their veths go with it. */
  readonly leaving = new Map<string, { step: Step; hostVeth: string }[]>();
  /** Host veths that go with their namespace's `netns del` (its step): the kernel tears them down after it returns. */
  readonly vanishing: { step: Step; hostVeth: string }[] = [];

  /** Drops the step queued for a record (it is about to be deleted instead). */
  cancel(id: string): void {
    const s = this.byId.get(id);
    if (!s) return;
    this.steps.splice(this.steps.indexOf(s), 1);
    this.byId.delete(id);
    this.rebuilt.delete(id);
  }

  /** True the first time a record is doomed in this transaction. */
  doom(id: string): boolean {
    if (this.doomed.has(id)) return false;
    this.doomed.add(id);
    return true;
  }

  step(label: string): Step {
    const s = new Step(label);
    this.steps.push(s);
    return s;
  }
}

export class Controller {
  readonly networks = new Records<NetworkRecord, 'name'>({ name: (n) => n.name });
  /** `ns`: the namespace a sandbox lives in (its ref; the host's for host-network ones). */
  readonly sandboxes = new Records<SandboxRecord, 'name' | 'ns'>({ name: (s) => s.container, ns: (s) => (s.hostNetwork ? '' : nsRef(s.netns)) });
  readonly endpoints = new Records<EndpointRecord, 'name' | 'container'>({ name: attachmentKey, container: (e) => e.container });
  private revisions = new Map<string, number>();
  private tx: Tx | undefined;
  kernel: KernelView;
  /** Whether this.kernel's sandboxes and netnsNames are this controller's own copies (forget). */
  private ownView = false;

  constructor(readonly deps: ControllerDeps) {
    this.kernel = deps.kernel;
  }

  /** Loads the records (again); call after a commit or when the store may have changed. */
  async load(): Promise<void> {
    const { store } = this.deps;
    this.revisions = new Map();
    for (const [prefix, map] of [
      [NETWORKS, this.networks],
      [SANDBOXES, this.sandboxes],
      [ENDPOINTS, this.endpoints],
    ] as const) {
      map.clear();
      for (const kv of await store.list<never>(prefix)) {
        const value = prefix === NETWORKS ? withCurrentLease(kv.value, this.deps.leases) : kv.value;
        (map as Map<string, unknown>).set((kv.value as { id: string }).id, value);
        this.revisions.set(kv.key, kv.modRevision);
      }
    }
  }

  // ---- lookups and walkers --------------------------------------------------------------

  // A name can have two records (one being deleted, its replacement; or what an interrupted
  // replace left): lookups skip what this transaction deletes and pick as the diff does (byName).
  private live<T extends { id: string; state: string }>(xs: T[]): T | undefined {
    const left = xs.filter((x) => !this.tx?.doomed.has(x.id));
    return left.find((x) => x.state !== 'deleting') ?? left[0];
  }
  networkByName(name: string): NetworkRecord | undefined {
    return this.live(this.networks.by('name', name));
  }
  sandboxOf(container: string): SandboxRecord | undefined {
    return this.live(this.sandboxes.by('name', container));
  }
  endpointOf(container: string, network: string): EndpointRecord | undefined {
    return this.live(this.endpoints.by('name', attachmentKey({ container, network })));
  }
  /** Lookup by name including the predefined networks (host, none). */
  findNetwork(name: string): NetworkRecord | undefined {
    return this.networkByName(name) ?? PREDEFINED.find((p) => p.name === name);
  }
  walkEndpoints(pred: (e: EndpointRecord) => boolean): EndpointRecord[] {
    return [...this.endpoints.values()].filter(pred);
  }

  // ---- transactions -----------------------------------------------------------------------

  begin(): Tx {
    if (this.tx) throw new NetdError('internal', 'a transaction is already open');
    return (this.tx = new Tx());
  }

  /** The open transaction, or a new one that `autoCommit` will commit. */
  current(): { tx: Tx; auto: boolean } {
    return this.tx ? { tx: this.tx, auto: false } : { tx: this.begin(), auto: true };
  }

  /** Records a put in the intent txn, guarded by the revision this controller read. */
  putIntent(tx: Tx, key: string, value: unknown): void {
    tx.intent.push({ type: 'put', key, value });
    if (tx.guarded.has(key)) return;
    tx.guarded.add(key);
    tx.conditions.push({ key, modRevision: this.revisions.get(key) ?? 0 });
  }

  async commit(): Promise<CommitResult> {
    const tx = this.tx;
    if (!tx) throw new NetdError('internal', 'no transaction is open');
    this.tx = undefined;
    const { store, host, log } = this.deps;
    this.routeSteps(tx);
    if (tx.intent.length > 0) {
      const { ops, conditions } = compact(tx.intent, tx.conditions);
      const r = await store.txn(conditions, ops);
      if (!r.succeeded) throw new NetdError('conflict', 'the store changed while netd was planning; run again');
    }
    const { failed, views } = await executeSteps(host.batch, tx.steps, { ...this.deps.execute, log });
    // Before the outcome txn deletes the sandbox records: after a crash in between, the record
    // (still `deleting`) is what makes the next run finish the removal. The directories go while
    // the kernel destroys the deleted namespaces' veths (it holds the RTNL lock for that, not the
    // file system), in bounded batches as syncHost writes.
    const removed = new Set<string>();
    const dirs = tx.steps.flatMap((s) => (s.ok && s.removeDir ? [s.removeDir] : []));
    const removing = (async () => {
      for (let i = 0; i < dirs.length; i += FILE_PARALLEL) {
        await Promise.all(dirs.slice(i, i + FILE_PARALLEL).map(async (dir) => (await host.removeNetnsDir(dir), removed.add(dir))));
      }
    })();
    const [vanished, gone] = await Promise.allSettled([this.awaitVanished(tx), removing]);
    for (const r of [vanished, gone]) if (r.status === 'rejected') throw r.reason;
    const outcome = await this.identify(tx.steps.flatMap((s) => (s.ok ? s.done : s.failed)));
    if (outcome.length > 0) await store.txn([], compact(outcome, []).ops);
    await this.load();
    const written = await this.syncHost(removed);
    return { steps: tx.steps, failed, views, extraWrites: written.count, written };
  }

  /**
   * Nothing netd deleted may outlive the command (a doctor right after would call it a leak):
   * the veths of deleted namespaces are waited for, and deleted if a process still holds
   * their namespace.
   */
  private async awaitVanished(tx: Tx): Promise<void> {
    const names = tx.vanishing.filter((v) => v.step.ok).map((v) => v.hostVeth);
    if (names.length === 0) return;
    const left = await this.deps.host.linksLeft(names, VANISH_MS);
    if (left.length === 0) return;
    try {
      await this.deps.host.batch.run(
        undefined,
        left.map((name): KernelOp => ({ op: 'link-del', name })),
        { force: true },
      );
    } catch (e) {
      this.deps.log.warn({ links: left, err: String(e) }, 'veths of deleted namespaces remain');
    }
  }

  /**
   * Ownership by identity: a namespace netd creates is known by its nsfs inode, which exists
   * only once its `netns add` ran. A sandbox record of netd's own namespace put without one
   * (new, re-created, or written before identities were kept) gets it in the outcome txn.
   */
  private async identify(ops: readonly Op[]): Promise<Op[]> {
    const { host } = this.deps;
    if (!host.namespaceId) return [...ops];
    return Promise.all(
      ops.map(async (op) => {
        if (op.type !== 'put' || !op.key.startsWith(SANDBOXES)) return op;
        const sb = op.value as SandboxRecord;
        if (!sb.created || sb.hostNetwork || sb.netns.kind !== 'named' || sb.nsId !== undefined) return op;
        const nsId = await host.namespaceId!(sb.netns.name);
        return nsId === undefined ? op : { ...op, value: { ...sb, nsId } };
      }),
    );
  }

  /** Commits when the operation opened its own transaction. */
  async autoCommit(auto: boolean): Promise<void> {
    if (!auto) return;
    const r = await this.commit();
    if (r.failed.length > 0) throw r.failed[0]!.error;
  }

  /**
   * Default routes of every sandbox, rewritten where they differ or their endpoint was
   * rebuilt. netd's route goes when no attachment gives one (in a namespace netd created), and
   * an adopted namespace gets back the route netd's replaced.
   */
  private routeSteps(tx: Tx): void {
    for (const sb of this.sandboxes.values()) {
      // A namespace netd deletes takes its routes along; an adopted one being let go still
      // gets its own default route back.
      const leaving = sb.state === 'deleting' || tx.doomed.has(sb.id);
      if (sb.hostNetwork || (leaving && sb.created)) continue;
      const ns = nsRef(sb.netns);
      if (foreignNamespace(sb, this.kernel, this.sandboxes.by('ns', ns))) continue; // not netd's to route
      const view = this.kernel.sandboxes.get(ns);
      const live = leaving ? [] : this.endpoints.by('container', sb.container).filter((e) => !tx.doomed.has(e.id));
      const wanted = routesExpected(sb, live, this.networks, view, (id) => tx.rebuilt.has(id));
      const step = new Step(`default route of container "${sb.container}"`);
      step.follows = true;
      step.add(
        ...opsOf(
          compare(
            wanted.map((w) => w.expected),
            this.kernel,
          ),
        ),
      );
      const saved = { ...sb.savedRoutes };
      for (const w of wanted) if (w.replaces && !saved[w.expected.family]) saved[w.expected.family] = w.replaces;
      for (const family of [4, 6] as const) {
        if (wanted.some((w) => w.expected.family === family)) continue;
        // No attachment gives this family a route any more (a route through a link deleted
        // in this transaction is already out of view).
        const have = defaultRoute(view, family);
        const back = saved[family];
        if (back && (!have || isNetdRoute(have))) step.add({ op: 'route-replace', ns, dst: 'default', family, ...routeFields(back) });
        else if (have && isNetdRoute(have) && sb.created) step.add({ op: 'route-del', ns, dst: 'default', family });
        delete saved[family];
      }
      if (!step.kernel) continue;
      tx.steps.push(step);
      // A route through an endpoint that failed to build would fail too ("invalid gateway").
      for (const id of [sb.id, ...wanted.map((w) => w.endpoint.id)]) {
        const dep = tx.byId.get(id);
        if (dep) step.deps.push(dep);
      }
      if (!leaving && JSON.stringify(saved) !== JSON.stringify(sb.savedRoutes ?? {})) {
        // Recorded before the route is replaced: a crash in between must not lose the admin's.
        const { savedRoutes: _old, ...rest } = sb;
        const next: SandboxRecord = Object.keys(saved).length > 0 ? { ...rest, savedRoutes: saved } : rest;
        this.setSandbox(tx, next);
        step.done.push({ type: 'put', key: sandboxKey(sb.id), value: { ...next, state: 'ready' } });
      }
    }
  }

  /** Files, forwarding and firewall from the records; what it wrote. */
  private async syncHost(removed: ReadonlySet<string>): Promise<Written> {
    const { host, store } = this.deps;
    let writes = 0;
    const sandboxes = [...this.sandboxes.values()].filter((s) => !s.hostNetwork);
    const wanted = sandboxFiles(sandboxes, [...this.endpoints.values()], host.resolv, [...this.networks.values()]);
    // The snapshot read the recorded sandboxes' files: compared once; a new sandbox's, or one
    // whose directory this commit removed, are read by syncFiles.
    const files = await syncFiles(host, store, wanted, (path) => (removed.has(path.split('/')[3] ?? '') ? undefined : this.kernel.files.get(path)));
    const nets = [...this.networks.values()];
    if (await host.ensureSysctls(sysctlKeys(nets))) writes++;
    const firewall = await host.syncFirewall(firewallSpec(nets, [...this.endpoints.values()]), this.kernel.nftTables);
    return { files, firewall, count: files.size + writes + (firewall ? 1 : 0) };
  }

  // ---- record helpers used by the operations -------------------------------------------------

  setNetwork(tx: Tx, rec: NetworkRecord): void {
    this.networks.set(rec.id, rec);
    this.putIntent(tx, networkKey(rec.id), rec);
  }
  setSandbox(tx: Tx, rec: SandboxRecord): void {
    this.sandboxes.set(rec.id, rec);
    this.putIntent(tx, sandboxKey(rec.id), rec);
  }
  setEndpoint(tx: Tx, rec: EndpointRecord): void {
    this.endpoints.set(rec.id, rec);
    this.putIntent(tx, endpointKey(rec.id), rec);
  }

  /**
   * Updates the snapshot for objects this transaction removes in phase 0, so that what is
   * queued after (a replacement with the same name) is created rather than taken as present.
   */
  forget(ns: string | undefined, links: readonly string[], namespace = false): void {
    const k = this.kernel;
    // Routes through a removed link go with it: a later `route del` would find nothing.
    const drop = (v: NamespaceView): NamespaceView => ({
      links: v.links.filter((l) => !links.includes(l.name)),
      addresses: v.addresses.filter((a) => !links.includes(a.dev)),
      routes: v.routes.filter((r) => r.dev === undefined || !links.includes(r.dev)),
    });
    // Copied once per controller, then changed in place: a forget per deleted object stays O(1).
    if (!this.ownView) {
      this.ownView = true;
      this.kernel = { ...k, sandboxes: new Map(k.sandboxes), netnsNames: new Set(k.netnsNames) };
    }
    const own = this.kernel as KernelView & { sandboxes: Map<string, NamespaceView | null>; netnsNames: Set<string> };
    if (ns === undefined) this.kernel = { ...own, host: drop(k.host) };
    else own.sandboxes.set(ns, namespace ? null : own.sandboxes.get(ns) ? drop(own.sandboxes.get(ns)!) : null);
    if (namespace && ns !== undefined) own.netnsNames.delete(ns);
  }

  sandboxRef(sb: SandboxRecord): string {
    return nsRef(sb.netns);
  }

  /** Compares expectations with the snapshot; what netd may not change is an error for `what`. */
  check(what: string, expected: readonly Expected[], code: 'conflict' | 'not-found' = 'conflict'): Comparison {
    const cmp = compare(expected, this.kernel);
    if (cmp.problems.length > 0) throw new NetdError(code, `${what}: ${cmp.problems.join('; ')}`);
    return cmp;
  }

  /**
   * Queues what makes the kernel match these expectations (compared with the snapshot) into a
   * step, with the undo of what it creates; what netd may not change is an error for `what`.
   */
  ensure(step: Step, what: string, expected: readonly Expected[], code: 'conflict' | 'not-found' = 'conflict'): Comparison {
    const cmp = this.check(what, expected, code);
    step.add(...opsOf(cmp));
    step.undo(...cmp.undo);
    return cmp;
  }
}

/** A recorded route as op fields (its own protocol, so it is the admin's again). */
function routeFields(r: RouteView): { via?: string; dev?: string; metric?: number; proto?: number } {
  const proto = Number(r.proto);
  return {
    ...(r.via !== undefined ? { via: r.via } : {}),
    ...(r.dev !== undefined ? { dev: r.dev } : {}),
    ...(r.metric !== undefined ? { metric: r.metric } : {}),
    ...(Number.isInteger(proto) ? { proto } : r.proto === 'static' ? { proto: 4 } : r.proto === 'kernel' ? { proto: 2 } : { proto: 3 }),
  };
}
