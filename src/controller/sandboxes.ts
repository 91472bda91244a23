/**
 * Sandbox operations (libnetwork's NewSandbox / SandboxDestroy). A sandbox is a container's
 * network namespace: a named one netd creates (and so may delete), an existing one adopted from
 * a path (configured, never deleted), or none for a container on the host's network.
 */
import { NetdError } from '../errors.js';
import type { DesiredContainer } from '../desired/types.js';
import { declaredSandboxFields, sandboxKey, type EndpointRecord, type SandboxRecord } from '../state/records.js';
import { newId, type Controller, type Tx } from './controller.js';
import { deleteEndpoint } from './endpoints.js';
import { sandboxExpected } from '../drivers/sandbox.js';
import { opsOf } from '../drivers/compare.js';
import { Step } from './step.js';
import { foreignNamespace } from '../state/marks.js';

/** Queues what the sandbox's namespace lacks; true when that is the namespace itself (a new identity). */
function ensureKernel(c: Controller, sb: SandboxRecord, step: Step): boolean {
  return opsOf(c.ensure(step, `container "${sb.container}"`, sandboxExpected(sb), 'not-found')).some((op) => op.op === 'netns-add');
}

/** An adopted namespace's identity is known at plan time (netd's own: once created, see Controller.identify). */
function adoptedId(c: Controller, d: DesiredContainer, hostNetwork: boolean, exists: boolean): { nsId?: string } {
  if (hostNetwork || (d.netns.kind === 'named' && !exists)) return {};
  const nsId = c.kernel.nsIds?.get(d.netns.kind === 'named' ? d.netns.name : d.netns.path);
  return nsId === undefined ? {} : { nsId };
}

export async function newSandbox(c: Controller, d: DesiredContainer, hostNetwork = false): Promise<SandboxRecord> {
  if (c.sandboxOf(d.name) && c.sandboxOf(d.name)?.state !== 'deleting') throw new NetdError('conflict', `create container "${d.name}": it exists`);
  const named = d.netns.kind === 'named' ? d.netns.name : undefined;
  const exists = named !== undefined && c.kernel.netnsNames.has(named);
  if (!hostNetwork && exists && !d.adopt) {
    throw new NetdError('conflict', `create container "${d.name}": namespace "${named}" exists and is not netd's (declare adopt: true to use it)`);
  }
  const same = [...c.sandboxes.values()].find(
    (s) => s.state !== 'deleting' && !hostNetwork && !s.hostNetwork && c.sandboxRef(s) === (named ?? (d.netns as { path: string }).path),
  );
  if (same) throw new NetdError('conflict', `create container "${d.name}": its namespace belongs to container "${same.container}"`);
  const { tx, auto } = c.current();
  const rec: SandboxRecord = {
    id: newId(),
    container: d.name,
    netns: d.netns,
    created: !hostNetwork && named !== undefined && !exists,
    ...adoptedId(c, d, hostNetwork, exists),
    ...declaredSandboxFields(d),
    ...(hostNetwork ? { hostNetwork } : {}),
    state: 'creating',
  };
  const step = new Step(`create container "${d.name}"`);
  ensureKernel(c, rec, step);
  tx.steps.push(step);
  c.setSandbox(tx, rec);
  step.done.push({ type: 'put', key: sandboxKey(rec.id), value: { ...rec, state: 'ready' } });
  step.failed.push({ type: 'delete', key: sandboxKey(rec.id) });
  tx.byId.set(rec.id, step);
  await c.autoCommit(auto);
  return rec;
}

/**
 * A veth pair whose peer is in a namespace being deleted goes with it: one `netns del` instead
 * of a `link del` per veth (each waits for the kernel to quiesce; the namespace's links are torn
 * down in one batch). Those endpoints' records go only if the namespace did.
 */
function takeOverVeths(tx: Tx, sb: SandboxRecord, step: Step): void {
  for (const l of tx.leaving.get(sb.id) ?? []) {
    l.step.drop((p) => p.phase === 0 && p.op.ns === undefined);
    l.step.deps.push(step);
    tx.vanishing.push({ step, hostVeth: l.hostVeth });
  }
  tx.leaving.delete(sb.id);
}

/**
 * Leaves and deletes the sandbox's endpoints, then removes the namespace if netd made it —
 * unless another live record claims it: the replacement an interrupted replace left behind
 * (its old record, `deleting`, is deleted by id) may already live in it.
 */
export async function deleteSandbox(c: Controller, sb: SandboxRecord): Promise<void> {
  const { tx, auto } = c.current();
  if (!tx.doom(sb.id)) return;
  const mine = (e: EndpointRecord): boolean => e.sandboxId === sb.id || (e.container === sb.container && !c.sandboxes.has(e.sandboxId));
  for (const e of c.walkEndpoints(mine)) await deleteEndpoint(c, e);
  c.setSandbox(tx, { ...sb, state: 'deleting' });
  const step = tx.step(`delete container "${sb.container}"`);
  const ref = c.sandboxRef(sb);
  const claimed = [...c.sandboxes.values()].some(
    (o) => o.id !== sb.id && o.state !== 'deleting' && !tx.doomed.has(o.id) && !o.hostNetwork && c.sandboxRef(o) === ref,
  );
  // A namespace under netd's name that is not netd's (the admin's) stays: only the record goes.
  const foreign = foreignNamespace(sb, c.kernel, [...c.sandboxes.values()]) !== undefined;
  if (sb.created && sb.netns.kind === 'named' && !claimed && !foreign) {
    if (c.kernel.netnsNames.has(sb.netns.name)) {
      step.add({ op: 'netns-del', name: sb.netns.name });
      takeOverVeths(tx, sb, step);
    }
    c.forget(sb.netns.name, [], true);
  }
  // netd wrote /etc/netns/<name>/{hosts,resolv.conf} for an adopted namespace too: they go,
  // the namespace stays.
  if (sb.netns.kind === 'named' && !sb.hostNetwork && !claimed) step.removeDir = sb.netns.name;
  step.done.push({ type: 'delete', key: sandboxKey(sb.id) });
  await c.autoCommit(auto);
}

export async function updateSandbox(c: Controller, sb: SandboxRecord, d: DesiredContainer): Promise<void> {
  const { tx, auto } = c.current();
  const { hostname: _h, dns: _d, extraHosts: _e, labels: _l, ...rest } = sb;
  c.setSandbox(tx, { ...rest, ...declaredSandboxFields(d) });
  await c.autoCommit(auto);
}

export async function repairSandbox(c: Controller, old: SandboxRecord): Promise<void> {
  const { tx, auto } = c.current();
  const step = tx.step(`repair container "${old.container}"`);
  let sb = old;
  if (ensureKernel(c, old, step) && old.nsId !== undefined) {
    // A re-created namespace has a new identity: until it is read (outcome txn), the record claims none.
    const { nsId: _gone, ...rest } = old;
    c.setSandbox(tx, (sb = rest));
  } else if (sb.state !== 'ready') c.setSandbox(tx, sb);
  step.done.push({ type: 'put', key: sandboxKey(sb.id), value: { ...sb, state: 'ready' } });
  tx.byId.set(sb.id, step);
  await c.autoCommit(auto);
}
