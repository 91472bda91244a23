/**
 * Turns a Plan into controller calls, all in one transaction so that the kernel work of every
 * change shares batches. Deletes come first (they free names and addresses), then containers,
 * networks and attachments; an object whose operation throws (a conflict found while queueing)
 * is reported and the rest go on.
 */
import { attachmentKey, type DesiredState } from '../desired/types.js';
import type { Controller, CommitResult } from '../controller/controller.js';
import type { Step } from '../controller/step.js';
import { deleteNetwork, newNetwork, repairNetwork, updateNetwork } from '../controller/networks.js';
import { deleteSandbox, newSandbox, repairSandbox, updateSandbox } from '../controller/sandboxes.js';
import { createEndpoint, deleteEndpoint, join, repairEndpoint, updateEndpoint } from '../controller/endpoints.js';
import { hostNetworkContainers } from '../plan/diff.js';
import type { Change, Plan } from '../plan/types.js';
import { messageOf } from '../errors.js';

export interface ChangeFailure {
  readonly change: Change;
  /** What queueing it threw (a NetdError, a SkippedChange or anything else). */
  readonly error: unknown;
  readonly message: string;
}

/** A change not attempted because one it needs could not be queued; `cause` is what that threw. */
export class SkippedChange extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'SkippedChange';
  }
}

export interface ExecuteResult {
  readonly commit: CommitResult;
  /** Changes whose queueing threw (a conflict found while queueing). */
  readonly failures: readonly ChangeFailure[];
  /** Every change that did not happen: its queueing threw or one of its steps failed. */
  readonly failed: ReadonlySet<Change>;
  /** Failed steps that belong to no single change (a container's default route). */
  readonly unowned: readonly Step[];
  /** The change each failed step was queued for. */
  readonly owners: ReadonlyMap<Step, Change>;
}

/**
 * Queues each change in one transaction and commits it; a change whose queueing throws is
 * reported and the rest go on. The steps queued for a change are its own, so the outcome is
 * counted per change, not per plan.
 */
export async function queueEach(c: Controller, changes: readonly Change[], queue: (ch: Change) => Promise<void>): Promise<ExecuteResult> {
  const failures: ChangeFailure[] = [];
  const owner = new Map<Step, Change | undefined>();
  const tx = c.begin();
  for (const ch of changes) {
    try {
      await queue(ch);
    } catch (e) {
      failures.push({ change: ch, error: e, message: messageOf(e) });
    }
    // Steps are only ever appended (a dropped one is spliced out): the new ones are at the end.
    for (let i = tx.steps.length - 1; i >= 0 && !owner.has(tx.steps[i]!); i--) owner.set(tx.steps[i]!, ch);
  }
  const commit = await c.commit();
  const failed = new Set(failures.map((f) => f.change));
  const unowned: Step[] = [];
  const owners = new Map<Step, Change>();
  for (const s of commit.failed) {
    const ch = owner.get(s);
    if (!ch) {
      unowned.push(s);
      continue;
    }
    failed.add(ch);
    owners.set(s, ch);
  }
  return { commit, failures, failed, unowned, owners };
}

export async function executePlan(c: Controller, desired: DesiredState, plan: Plan): Promise<ExecuteResult> {
  const nets = new Map(desired.networks.map((n) => [n.name, n]));
  const containers = new Map(desired.containers.map((x) => [x.name, x]));
  const attachments = new Map(desired.attachments.map((a) => [attachmentKey(a), a]));
  const onHost = hostNetworkContainers(desired);
  // What queueing a change threw, by `kind name`: an attachment whose container or network
  // could not be queued is skipped with that as its cause.
  const thrown = new Map<string, unknown>();
  return queueEach(c, plan.changes, async (ch) => {
    try {
      await queue(ch);
    } catch (e) {
      thrown.set(`${ch.kind} ${ch.name}`, e);
      throw e;
    }
  });

  async function queue(ch: Change): Promise<void> {
    const [container, network] = ch.name.split('/') as [string, string];
    if (ch.kind === 'network') {
      const rec = ch.id !== undefined ? c.networks.get(ch.id) : c.networkByName(ch.name);
      const d = nets.get(ch.name);
      if (rec && (ch.action === 'delete' || ch.action === 'replace')) await deleteNetwork(c, rec, { force: true });
      if (d && (ch.action === 'create' || ch.action === 'replace')) await newNetwork(c, d);
      if (rec && d && ch.action === 'update') await updateNetwork(c, rec, d);
      if (rec && d && ch.action === 'repair') {
        const next = await updateNetwork(c, rec, d); // an MTU change already re-ensures the bridge
        if (next.mtu === rec.mtu) await repairNetwork(c, next);
      }
    } else if (ch.kind === 'container') {
      const rec = ch.id !== undefined ? c.sandboxes.get(ch.id) : c.sandboxOf(ch.name);
      const d = containers.get(ch.name);
      if (rec && (ch.action === 'delete' || ch.action === 'replace')) await deleteSandbox(c, rec);
      if (d && (ch.action === 'create' || ch.action === 'replace')) await newSandbox(c, d, onHost.has(d.name));
      if (rec && d && ch.action === 'update') await updateSandbox(c, rec, d);
      if (rec && ch.action === 'repair') await repairSandbox(c, rec);
    } else if (ch.kind === 'attachment') {
      const rec = ch.id !== undefined ? c.endpoints.get(ch.id) : c.endpointOf(container, network);
      const d = attachments.get(ch.name);
      if (rec && (ch.action === 'delete' || ch.action === 'replace')) await deleteEndpoint(c, rec);
      if (d && (ch.action === 'create' || ch.action === 'replace')) {
        const net = c.findNetwork(d.network);
        const sb = c.sandboxOf(d.container);
        if (!net || !sb) {
          const what = net ? 'container' : 'network';
          const cause = thrown.get(net ? `container ${d.container}` : `network ${d.network}`);
          throw new SkippedChange(`create endpoint "${ch.name}": its ${what} could not be created`, cause);
        }
        await join(c, await createEndpoint(c, net, d, sb), sb);
      }
      if (rec && d && ch.action === 'update') await updateEndpoint(c, rec, d);
      if (rec && d && ch.action === 'repair') {
        await updateEndpoint(c, rec, d);
        await repairEndpoint(c, c.endpoints.get(rec.id)!);
      }
    }
    // firewall: the commit always renders and syncs the nft tables from the records.
  }
}
