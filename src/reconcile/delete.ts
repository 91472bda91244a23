/**
 * `netd delete -f`: removes exactly what the files declare — their attachments, then their
 * containers (a namespace netd created goes; an adopted one is only forgotten), then their
 * networks — and nothing else netd owns. A container's sandbox cannot outlive its namespace,
 * so deleting a container also deletes its attachments the files do not list. A network that
 * still carries attachments of containers the files do not declare is refused, naming them,
 * unless forced (then they go too): nothing is deleted when anything is refused.
 *
 * Like apply, everything is queued into one controller transaction so that the kernel work
 * shares batches, and the firewall and /etc/netns files are re-rendered once at the end.
 */
import { NetdError, messageOf } from '../errors.js';
import { attachmentKey, type DesiredState } from '../desired/types.js';
import type { EndpointRecord } from '../state/records.js';
import { deleteNetwork } from '../controller/networks.js';
import { deleteSandbox } from '../controller/sandboxes.js';
import { deleteEndpoint } from '../controller/endpoints.js';
import type { Change, RecordedState } from '../plan/types.js';
import { del, delKeeping } from '../plan/diff.js';
import { foreignObjects } from '../plan/foreign.js';
import { byteOrder } from '../state/derive.js';
import { queueEach } from './run-plan.js';
import { newController, observe, type Engine, type Observed } from './reconcile.js';

export interface DeleteSelection {
  /** Ordered: attachments, containers, networks. */
  readonly changes: readonly Change[];
  /** Per declared network: the attachments on it that the files do not account for. */
  readonly foreign: ReadonlyMap<string, readonly string[]>;
}

/** Which recorded objects the files select. Pure. */
export function selectDeletes(desired: DesiredState, recorded: RecordedState, force = false): DeleteSelection {
  const containers = new Set(desired.containers.map((c) => c.name).filter((n) => recorded.sandboxes.some((s) => s.container === n)));
  const networks = recorded.networks.filter((n) => desired.networks.some((d) => d.name === n.name));
  const declared = new Set(desired.attachments.map(attachmentKey));
  const reason = new Map<string, string>();
  for (const e of recorded.endpoints) {
    const key = attachmentKey(e);
    if (declared.has(key)) reason.set(key, 'declared');
    else if (containers.has(e.container)) reason.set(key, `container "${e.container}" is deleted`);
  }
  const foreign = new Map<string, string[]>();
  for (const n of networks) {
    const left = recorded.endpoints
      .filter((e) => e.networkId === n.id && !reason.has(attachmentKey(e)))
      .map(attachmentKey)
      .sort();
    if (left.length === 0) continue;
    foreign.set(n.name, left);
    if (force) for (const k of left) reason.set(k, `network "${n.name}" is deleted (--force)`);
  }
  const byKey = (a: EndpointRecord, b: EndpointRecord): number => attachmentKey(a).localeCompare(attachmentKey(b));
  return {
    // Every record of a name (an interrupted replace leaves two), each deleted by its id.
    changes: [
      ...recorded.endpoints
        .filter((e) => reason.has(attachmentKey(e)))
        .sort(byKey)
        .map((e) => del('attachment', attachmentKey(e), e.id, reason.get(attachmentKey(e))!)),
      ...recorded.sandboxes
        .filter((s) => containers.has(s.container))
        .sort((a, b) => byteOrder(a.container, b.container))
        .map((s) => del('container', s.container, s.id, 'declared')),
      ...networks.sort((a, b) => byteOrder(a.name, b.name)).map((n) => del('network', n.name, n.id, 'declared')),
    ],
    foreign,
  };
}

export interface DeleteResult {
  readonly changes: readonly Change[];
  /** One line per object that could not be deleted. */
  readonly errors: readonly string[];
  /** The selected deletes that did not happen. */
  readonly failed: ReadonlySet<Change>;
  /** Failures of no single change. */
  readonly otherFailures: number;
}

/** Deletes what the files declare; throws NetdError('conflict') naming foreign attachments unless forced. */
export async function deleteDeclared(e: Engine, desired: DesiredState, opts: { force?: boolean; observed?: Observed } = {}): Promise<DeleteResult> {
  const observed = opts.observed ?? (await observe(e, desired, undefined, undefined, 'delete'));
  const { changes: selected, foreign } = selectDeletes(desired, observed.recorded, opts.force);
  // A record whose kernel object is not netd's goes alone (the controller leaves the object): say so.
  const notNetds = new Map(foreignObjects(observed.recorded, observed.kernel).map((f) => [f.id, f.message]));
  const changes = selected.map((c) => delKeeping(c, notNetds.get(c.id!)));
  if (foreign.size > 0 && !opts.force) {
    const list = [...foreign].map(([n, eps]) => `network "${n}" still has attachments not declared in the files: ${eps.join(', ')}`);
    throw new NetdError('conflict', `${list.join('; ')} (delete them too with --force); nothing was deleted`);
  }
  // Even with nothing left to delete, the commit brings files and the firewall in line with
  // the records: a delete killed after its outcome txn left them for this one to finish.
  const c = await newController(e, desired, observed);
  const r = await queueEach(c, changes, async (ch) => {
    const id = ch.id!;
    if (ch.kind === 'attachment') {
      const rec = c.endpoints.get(id);
      if (rec) await deleteEndpoint(c, rec);
    } else if (ch.kind === 'container') {
      const rec = c.sandboxes.get(id);
      if (rec) await deleteSandbox(c, rec);
    } else {
      const rec = c.networks.get(id);
      if (rec) await deleteNetwork(c, rec, { force: opts.force === true });
    }
  });
  const errors = [
    ...r.failures.map((f) => `delete ${f.change.kind} "${f.change.name}": ${f.message}`),
    ...r.commit.failed.map((s) => `${s.label}: ${messageOf(s.error)}`),
  ];
  return { changes, errors, failed: r.failed, otherFailures: r.unowned.length };
}
